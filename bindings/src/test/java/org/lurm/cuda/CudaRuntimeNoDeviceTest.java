package org.lurm.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.lurm.memory.MemoryScope;

/**
 * The runtime layer where the library is built but no GPU exists (CI): every call fails with a
 * {@link CudaException} that names the native function and carries CUDA's text, the scope stays usable and
 * nothing leaks or crashes. Where a device exists (the GPU run) the same calls succeed instead, so the test runs
 * on both machines and never skips there; the library must be built under CI=true ({@link DeviceTests}).
 */
class CudaRuntimeNoDeviceTest {
    static boolean deviceAbsent() {
        try {
            return NativeLibrary.load().deviceCount() == 0;
        } catch (CudaException e) {
            return true;
        }
    }

    @Test
    void failingCallsThrowCudaExceptionWithOpNameAndCudaText() {
        DeviceTests.nativeLibrary();
        NativeLibrary lib = NativeLibrary.load();
        assertEquals(5, NativeLibrary.ABI_VERSION);
        try (MemoryScope s = MemoryScope.root("no-device")) {
            if (deviceAbsent()) {
                CudaException e = assertThrows(CudaException.class, () -> DeviceBuffer.allocate(s, 1024));
                assertEquals("lurm_malloc", e.op());
                assertTrue(e.code() != 0);
                assertEquals(lib.errorText(e.code()), e.getMessage().substring(e.getMessage().indexOf('(') + 1, e.getMessage().length() - 1));
                assertTrue(e.getMessage().startsWith("lurm_malloc failed: CUDA error " + e.code()), e.getMessage());
                System.out.println("[cuda] " + e.getMessage());
                CudaException se = assertThrows(CudaException.class, () -> CudaStream.create(s));
                assertEquals("lurm_stream_create", se.op());
                CudaException pe = assertThrows(CudaException.class, () -> PinnedBuffer.allocate(s, 64));
                assertEquals("lurm_host_alloc", pe.op());
                assertThrows(CudaException.class, Cuda::deviceSynchronize);
                assertEquals(0, DeviceBuffer.liveCount(), "nothing half-allocated stays counted");
            } else {
                // A device is present (the GPU run): the same calls succeed and are owned by the scope.
                System.out.println("[cuda] a device is present: checking that the runtime calls succeed");
                DeviceBuffer b = DeviceBuffer.allocate(s, 1024);
                assertEquals(1024, b.byteSize());
                CudaStream st = CudaStream.create(s);
                PinnedBuffer pb = PinnedBuffer.allocate(s, 64);
                b.fill(0, st);
                st.synchronize();
                Cuda.deviceSynchronize();
                assertTrue(b.isOpen() && st.isOpen() && pb.segment().byteSize() == 64);
            }
            // Argument checks of the native side come back as cudaErrorInvalidValue (1), not as a crash.
            CudaException iv = assertThrows(CudaException.class, () -> Cuda.MALLOC.call(java.lang.foreign.MemorySegment.NULL, 16L));
            assertEquals(1, iv.code(), iv.getMessage());
            // An int passed for a long long argument is widened, not a WrongMethodTypeException.
            assertEquals(1, assertThrows(CudaException.class, () -> Cuda.MALLOC.call(java.lang.foreign.MemorySegment.NULL, 16)).code());
        }
    }

    @Test
    void zeroByteAllocationsNeedNoDevice() {
        DeviceTests.nativeLibrary();
        try (MemoryScope s = MemoryScope.root("zero")) {
            DeviceBuffer b = DeviceBuffer.allocate(s, 0);
            assertEquals(0, b.byteSize());
            assertEquals(0L, b.pointer().address());
            b.close();
            b.close(); // idempotent
            assertThrows(IllegalStateException.class, b::pointer);
        }
        assertEquals(0, DeviceBuffer.liveCount());
    }

    @Test
    void libraryPathComesFromPropertyOrEnvironment() {
        Path expected = DeviceTests.nativeLibrary().toAbsolutePath().normalize();
        assertEquals(expected, NativeLibrary.locate().orElseThrow());
        assertEquals(expected, NativeLibrary.load().path());
        assertTrue(NativeLibrary.load() == NativeLibrary.get(), "loaded once per path");
    }

    /** A library of another ABI version is rejected on load with both versions named (a stub built with cc). */
    @Test
    void libraryOfAnotherAbiVersionIsRejected(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path cc = Stream.of("/usr/bin/cc", "/usr/bin/gcc").map(Path::of).filter(Files::isExecutable).findFirst().orElse(null);
        assumeTrue(cc != null, "no C compiler here to build the stub library");
        Path src = dir.resolve("stub.c"), lib = dir.resolve("libstub.so");
        Files.writeString(src, "int lurm_abi_version(void) { return 1; }\n");
        Process p = new ProcessBuilder(cc.toString(), "-shared", "-fPIC", "-o", lib.toString(), src.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assumeTrue(p.waitFor() == 0, "stub library did not build: " + log);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> NativeLibrary.open(lib));
        assertTrue(e.getMessage().contains("ABI version 1") && e.getMessage().contains("needs " + NativeLibrary.ABI_VERSION), e.getMessage());
    }
}
