package org.lurm.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Hand-written FFM bindings (jextract is not available) to {@code liblurm_kernels.so}, whose C ABI is
 * {@code native-kernels/include/lurm_kernels.h}. The library is found through {@code -Dlurm.native.lib},
 * then the environment variable {@code LURM_NATIVE_LIB}, then {@code java.library.path}. A library with another
 * ABI version is rejected with a clear message.
 *
 * <p>Thread-safe: the handles are immutable and the C functions are reentrant.
 */
public final class NativeLibrary {
    /** The ABI version this Java code was written against (LURM_ABI_VERSION in lurm_kernels.h). */
    public static final int ABI_VERSION = 1;
    public static final String LIB_NAME = "liblurm_kernels.so";

    private final Path path;
    private final MethodHandle deviceCount;
    private final MethodHandle errorString;
    private final MethodHandle deviceInfo;

    private NativeLibrary(Path path) {
        this.path = path;
        Linker linker = Linker.nativeLinker();
        // The global arena keeps the library loaded for the life of the JVM, as System.load would.
        SymbolLookup lookup = SymbolLookup.libraryLookup(path, Arena.global());
        MethodHandle abi = linker.downcallHandle(find(lookup, "lurm_abi_version"), FunctionDescriptor.of(ValueLayout.JAVA_INT));
        int v;
        try {
            v = (int) abi.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("calling lurm_abi_version in " + path + " failed", t);
        }
        if (v != ABI_VERSION) {
            throw new IllegalStateException(path + " has native ABI version " + v + " but this lurm-bindings needs " + ABI_VERSION + ": rebuild native-kernels");
        }
        deviceCount = linker.downcallHandle(find(lookup, "lurm_device_count"), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        errorString = linker.downcallHandle(find(lookup, "lurm_error_string"), FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        deviceInfo = linker.downcallHandle(find(lookup, "lurm_device_info"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    }

    private static MemorySegment find(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new IllegalStateException("symbol " + name + " missing from " + LIB_NAME));
    }

    /** Candidate paths, in search order. */
    public static List<Path> candidates() {
        List<Path> c = new ArrayList<>();
        String p = System.getProperty("lurm.native.lib");
        if (p != null && !p.isBlank()) c.add(Path.of(p));
        String e = System.getenv("LURM_NATIVE_LIB");
        if (e != null && !e.isBlank()) c.add(Path.of(e));
        String lp = System.getProperty("java.library.path", "");
        for (String d : lp.split(java.io.File.pathSeparator)) if (!d.isBlank()) c.add(Path.of(d, LIB_NAME));
        return c;
    }

    /** Loads the first existing candidate; throws {@link IllegalStateException} listing where it looked. */
    public static NativeLibrary load() {
        List<Path> c = candidates();
        for (Path p : c) if (Files.isRegularFile(p)) return new NativeLibrary(p.toAbsolutePath());
        throw new IllegalStateException(LIB_NAME + " not found (looked at " + c + "); build native-kernels with nvcc and set LURM_NATIVE_LIB or -Dlurm.native.lib");
    }

    public Path path() {
        return path;
    }

    /** Device count; throws {@link CudaException} with the CUDA error text when the runtime reports an error. */
    public int deviceCount() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.JAVA_INT);
            int rc = (int) deviceCount.invokeExact(out);
            check(rc, "cudaGetDeviceCount");
            return out.get(ValueLayout.JAVA_INT, 0);
        } catch (CudaException ce) {
            throw ce;
        } catch (Throwable t) {
            throw new IllegalStateException("native call lurm_device_count failed", t);
        }
    }

    /** "NAME, N GiB, sm_XY" of a device. */
    public String deviceDescription(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment name = a.allocate(256);
            MemorySegment total = a.allocate(ValueLayout.JAVA_LONG);
            MemorySegment major = a.allocate(ValueLayout.JAVA_INT);
            MemorySegment minor = a.allocate(ValueLayout.JAVA_INT);
            int rc = (int) deviceInfo.invokeExact(device, name, 256, total, major, minor);
            check(rc, "cudaGetDeviceProperties");
            return name.getString(0) + ", " + (total.get(ValueLayout.JAVA_LONG, 0) >> 30) + " GiB, sm_"
                    + major.get(ValueLayout.JAVA_INT, 0) + minor.get(ValueLayout.JAVA_INT, 0);
        } catch (CudaException ce) {
            throw ce;
        } catch (Throwable t) {
            throw new IllegalStateException("native call lurm_device_info failed", t);
        }
    }

    /** CUDA's text for an error code. */
    public String errorText(int code) {
        try {
            MemorySegment s = (MemorySegment) errorString.invokeExact(code);
            return s.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            return "CUDA error " + code;
        }
    }

    void check(int rc, String op) {
        if (rc != 0) throw new CudaException(op, rc, errorText(rc));
    }
}
