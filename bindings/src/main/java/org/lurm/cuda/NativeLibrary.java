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
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hand-written FFM bindings (jextract is not available) to {@code liblurm_kernels.so}, whose C ABI is
 * {@code native-kernels/include/lurm_kernels.h}. The library is found through {@code -Dlurm.native.lib},
 * then the environment variable {@code LURM_NATIVE_LIB}, then {@code java.library.path}. A library with another
 * ABI version is rejected with a clear message. Functions are declared as {@link CudaFn} constants and bound
 * here on first use; {@link #check(int, String)} turns a non-zero cudaError_t into a {@link CudaException}.
 *
 * <p>Thread-safe: the handles are immutable and the C functions are reentrant.
 */
@SuppressWarnings("restricted") // the one place that looks up the library and binds downcalls (module org.lurm.cuda has native access)
public final class NativeLibrary {
    /** The ABI version this Java code was written against (LURM_ABI_VERSION in lurm_kernels.h). */
    public static final int ABI_VERSION = 5;
    public static final String LIB_NAME = "liblurm_kernels.so";

    private static final ConcurrentHashMap<Path, NativeLibrary> LOADED = new ConcurrentHashMap<>();

    private final Path path;
    private final SymbolLookup lookup;
    private final Linker linker = Linker.nativeLinker();
    private final ConcurrentHashMap<String, MethodHandle> handles = new ConcurrentHashMap<>();
    private final MethodHandle deviceCount;
    private final MethodHandle errorString;
    private final MethodHandle deviceInfo;

    private NativeLibrary(Path path) {
        this.path = path;
        // The global arena keeps the library loaded for the life of the JVM, as System.load would.
        this.lookup = SymbolLookup.libraryLookup(path, Arena.global());
        MethodHandle abi = linker.downcallHandle(find("lurm_abi_version"), FunctionDescriptor.of(ValueLayout.JAVA_INT));
        int v;
        try {
            v = (int) abi.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("calling lurm_abi_version in " + path + " failed", t);
        }
        if (v != ABI_VERSION) {
            throw new IllegalStateException(path + " has native ABI version " + v + " but this lurm-bindings needs " + ABI_VERSION + ": rebuild native-kernels");
        }
        deviceCount = linker.downcallHandle(find("lurm_device_count"), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        errorString = linker.downcallHandle(find("lurm_error_string"), FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        deviceInfo = linker.downcallHandle(find("lurm_device_info"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    }

    private MemorySegment find(String name) {
        return lookup.find(name).orElseThrow(() -> new IllegalStateException("symbol " + name + " missing from " + path + ": rebuild native-kernels"));
    }

    /** Whether the library exports {@code symbol}. */
    public boolean hasSymbol(String symbol) {
        return lookup.find(symbol).isPresent();
    }

    /** A downcall handle for {@code symbol} (cached per symbol); throws {@link IllegalStateException} when it is missing. */
    public MethodHandle downcall(String symbol, FunctionDescriptor descriptor) {
        MethodHandle h = handles.get(symbol);
        if (h == null) {
            h = linker.downcallHandle(find(symbol), descriptor);
            MethodHandle prev = handles.putIfAbsent(symbol, h);
            if (prev != null) h = prev;
        }
        if (!h.type().equals(descriptor.toMethodType())) {
            throw new IllegalStateException(symbol + " bound twice with different signatures: " + h.type() + " and " + descriptor.toMethodType());
        }
        return h;
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

    /** The first existing candidate, if any. */
    public static Optional<Path> locate() {
        for (Path p : candidates()) if (Files.isRegularFile(p)) return Optional.of(p.toAbsolutePath().normalize());
        return Optional.empty();
    }

    /**
     * Loads (once per path) the first existing candidate; throws {@link IllegalStateException} listing where it
     * looked, or saying why the library was rejected.
     */
    public static NativeLibrary load() {
        Path p = locate().orElseThrow(() -> new IllegalStateException(LIB_NAME + " not found (looked at " + candidates()
                + "); build native-kernels with nvcc and set LURM_NATIVE_LIB or -Dlurm.native.lib"));
        return LOADED.computeIfAbsent(p, NativeLibrary::new);
    }

    /** Opens the library at {@code path} (checking its ABI version) without caching it: for tests and tools. */
    static NativeLibrary open(Path path) {
        return new NativeLibrary(path.toAbsolutePath().normalize());
    }

    /** The process-wide library ({@link #load()}). */
    public static NativeLibrary get() {
        return load();
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

    /** Throws {@link CudaException} naming {@code op} with CUDA's text when {@code rc} is not 0 (cudaSuccess). */
    public void check(int rc, String op) {
        if (rc != 0) throw new CudaException(op, rc, errorText(rc));
    }

    @Override
    public String toString() {
        return "NativeLibrary[" + path + ", ABI " + ABI_VERSION + "]";
    }
}
