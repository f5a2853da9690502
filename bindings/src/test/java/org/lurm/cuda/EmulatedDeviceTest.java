package org.lurm.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.lurm.memory.MemoryScope;

/**
 * The emulated device is not more forgiving than hardware where that would hide our bugs (docs/GPU.md, "The
 * emulated device"): a host pointer handed to a kernel is an illegal address, queued stream work runs only at a
 * synchronisation point (a host read without one sees stale data), fresh device memory is not zero, a copy past
 * its allocation is refused. Runs only on the emulated library (the bindings' {@code emulated-device} test run).
 */
class EmulatedDeviceTest {
    NativeLibrary lib;
    MemoryScope scope;

    @BeforeEach
    void emulatedOnly() {
        DeviceTests.assumeDevice(NativeLibrary.locate().isPresent() ? null : "no native library");
        lib = NativeLibrary.load();
        assumeTrue(lib.hasSymbol("lurm_emulated"), "not the emulated device: " + lib);
        scope = MemoryScope.root("emulated-device-test");
    }

    @AfterEach
    void reset() throws Throwable {
        if (lib != null && lib.hasSymbol("lurm_emu_reset")) {
            int rc = (int) lib.downcall("lurm_emu_reset", FunctionDescriptor.of(ValueLayout.JAVA_INT)).invokeExact();
            assertEquals(0, rc);
        }
        if (scope != null) scope.close();
    }

    @Test
    void aKernelGivenHostMemoryFaultsLikeHardware() throws Throwable {
        MethodHandle dot = lib.downcall("lurm_dot", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        DeviceBuffer a = DeviceBuffer.allocateFloats(scope, 64);
        DeviceBuffer scratch = DeviceBuffer.allocate(scope, CudaKernels.dotScratchBytes() + 16);
        DeviceBuffer out = DeviceBuffer.allocateFloats(scope, 1);
        a.fill(0);
        try (Arena host = Arena.ofConfined()) {
            MemorySegment b = host.allocate(64 * 4L, 16); // host memory where device memory belongs
            int rc = (int) dot.invokeExact(a.pointer(), b, 64L, scratch.pointer(), out.pointer(), MemorySegment.NULL);
            assertEquals(700, rc, "cudaErrorIllegalAddress expected");
            assertTrue(lib.errorText(rc).contains("illegal memory access"), lib.errorText(rc));
            // sticky, as on hardware: every later call fails until the context is gone
            CudaException e = assertThrows(CudaException.class, () -> DeviceBuffer.allocate(scope, 16));
            assertTrue(e.getMessage().contains("illegal memory access"), e.getMessage());
        }
    }

    @Test
    void queuedWorkRunsOnlyAtASynchronisation() {
        int n = 256;
        DeviceBuffer d = DeviceBuffer.allocateFloats(scope, n);
        PinnedBuffer staging = PinnedBuffer.allocate(scope, 4L * n);
        CudaStream stream = CudaStream.create(scope);
        MemorySegment host = staging.segment();
        for (int i = 0; i < n; i++) host.setAtIndex(ValueLayout.JAVA_FLOAT, i, i + 0.5f);
        d.copyFromHost(host, 0); // synchronous upload
        for (int i = 0; i < n; i++) host.setAtIndex(ValueLayout.JAVA_FLOAT, i, -7f);
        d.copyToHostAsync(0, host, stream);
        // Without a synchronisation the pinned buffer still holds what the host wrote: reading it now is the bug
        // hardware hides most of the time.
        assertEquals(-7f, host.getAtIndex(ValueLayout.JAVA_FLOAT, n - 1));
        stream.synchronize();
        for (int i = 0; i < n; i++) assertEquals(i + 0.5f, host.getAtIndex(ValueLayout.JAVA_FLOAT, i));
    }

    @Test
    void freshDeviceMemoryIsNotZero() {
        DeviceBuffer d = DeviceBuffer.allocate(scope, 64);
        try (Arena host = Arena.ofConfined()) {
            MemorySegment h = host.allocate(64);
            d.copyToHost(0, h);
            for (int i = 0; i < 64; i++) assertEquals((byte) 0xFF, h.get(ValueLayout.JAVA_BYTE, i));
            assertTrue(Float.isNaN(h.getAtIndex(ValueLayout.JAVA_FLOAT, 0)));
        }
    }

    @Test
    void aCopyPastItsAllocationIsRefused() {
        DeviceBuffer d = DeviceBuffer.allocate(scope, 64);
        try (Arena host = Arena.ofConfined()) {
            MemorySegment h = host.allocate(128);
            // past the Java-side bounds check: the raw call, as a native bug would make it
            CudaException e = assertThrows(CudaException.class, () -> Cuda.MEMCPY_H2D.call(d.pointer(), h, 128L));
            assertTrue(e.getMessage().contains("invalid argument"), e.getMessage());
        }
    }
}
