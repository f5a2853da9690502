package org.lurm.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The runtime functions of {@code native-kernels/src/runtime.cu} ({@code lurm_kernels.h}) as {@link CudaFn}
 * constants, plus small typed helpers over them. Device and pinned pointers are passed as zero-length
 * {@link MemorySegment}s ({@link MemorySegment#ofAddress}); device pointers must never be dereferenced on the
 * host. Use {@link DeviceBuffer}, {@link PinnedBuffer} and {@link CudaStream} rather than these directly.
 *
 * <p>Thread-safe (stateless); CUDA makes a device current per host thread, see {@link #setDevice}.
 */
public final class Cuda {
    private Cuda() {
    }

    public static final CudaFn CHECK_KERNEL_IMAGE = CudaFn.of("lurm_check_kernel_image", int.class);
    public static final CudaFn SET_DEVICE = CudaFn.of("lurm_set_device", int.class);
    public static final CudaFn MEM_INFO = CudaFn.of("lurm_mem_info", MemorySegment.class, MemorySegment.class);
    public static final CudaFn MALLOC = CudaFn.of("lurm_malloc", MemorySegment.class, long.class);
    public static final CudaFn FREE = CudaFn.of("lurm_free", MemorySegment.class);
    public static final CudaFn MEMSET = CudaFn.of("lurm_memset", MemorySegment.class, int.class, long.class);
    public static final CudaFn MEMSET_ASYNC = CudaFn.of("lurm_memset_async", MemorySegment.class, int.class, long.class, MemorySegment.class);
    public static final CudaFn MEMCPY_H2D = CudaFn.of("lurm_memcpy_h2d", MemorySegment.class, MemorySegment.class, long.class);
    public static final CudaFn MEMCPY_D2H = CudaFn.of("lurm_memcpy_d2h", MemorySegment.class, MemorySegment.class, long.class);
    public static final CudaFn MEMCPY_D2D = CudaFn.of("lurm_memcpy_d2d", MemorySegment.class, MemorySegment.class, long.class);
    public static final CudaFn MEMCPY_H2D_ASYNC = CudaFn.of("lurm_memcpy_h2d_async", MemorySegment.class, MemorySegment.class, long.class, MemorySegment.class);
    public static final CudaFn MEMCPY_D2H_ASYNC = CudaFn.of("lurm_memcpy_d2h_async", MemorySegment.class, MemorySegment.class, long.class, MemorySegment.class);
    public static final CudaFn MEMCPY_D2D_ASYNC = CudaFn.of("lurm_memcpy_d2d_async", MemorySegment.class, MemorySegment.class, long.class, MemorySegment.class);
    public static final CudaFn HOST_ALLOC = CudaFn.of("lurm_host_alloc", MemorySegment.class, long.class);
    public static final CudaFn HOST_FREE = CudaFn.of("lurm_host_free", MemorySegment.class);
    public static final CudaFn STREAM_CREATE = CudaFn.of("lurm_stream_create", MemorySegment.class);
    public static final CudaFn STREAM_DESTROY = CudaFn.of("lurm_stream_destroy", MemorySegment.class);
    public static final CudaFn STREAM_SYNCHRONIZE = CudaFn.of("lurm_stream_synchronize", MemorySegment.class);
    public static final CudaFn DEVICE_SYNCHRONIZE = CudaFn.of("lurm_device_synchronize");
    public static final CudaFn LAST_ERROR = CudaFn.of("lurm_last_error");
    public static final CudaFn PEEK_LAST_ERROR = CudaFn.of("lurm_peek_last_error");
    public static final CudaFn EVENT_CREATE = CudaFn.of("lurm_event_create", MemorySegment.class);
    public static final CudaFn EVENT_DESTROY = CudaFn.of("lurm_event_destroy", MemorySegment.class);
    public static final CudaFn EVENT_RECORD = CudaFn.of("lurm_event_record", MemorySegment.class, MemorySegment.class);
    public static final CudaFn EVENT_ELAPSED_MS = CudaFn.of("lurm_event_elapsed_ms", MemorySegment.class, MemorySegment.class, MemorySegment.class);

    /** Makes {@code device} current for the calling thread. */
    public static void setDevice(int device) {
        SET_DEVICE.call(device);
    }

    /** Blocks until all work on the current device is done; reports asynchronous kernel errors. */
    public static void deviceSynchronize() {
        DEVICE_SYNCHRONIZE.call();
    }

    /**
     * {@code cudaGetLastError}: the last launch error of this thread (0 when none), cleared by the call. Returns
     * the code rather than throwing, for diagnostics; every {@link CudaFn#call} already checks its own.
     */
    public static int lastError() {
        return LAST_ERROR.callRaw(NativeLibrary.get());
    }

    /** {@code cudaPeekAtLastError}: like {@link #lastError()} without clearing it. */
    public static int peekLastError() {
        return PEEK_LAST_ERROR.callRaw(NativeLibrary.get());
    }

    /** {free, total} bytes of the current device. */
    public static long[] memInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(ValueLayout.JAVA_LONG), t = a.allocate(ValueLayout.JAVA_LONG);
            MEM_INFO.call(f, t);
            return new long[] {f.get(ValueLayout.JAVA_LONG, 0), t.get(ValueLayout.JAVA_LONG, 0)};
        }
    }

    /** Calls a function {@code int f(void **out, args...)} and returns the pointer it wrote. */
    static MemorySegment callForPointer(CudaFn fn, Object... rest) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.ADDRESS);
            Object[] args = new Object[rest.length + 1];
            args[0] = out;
            System.arraycopy(rest, 0, args, 1, rest.length);
            fn.call(args);
            return out.get(ValueLayout.ADDRESS, 0);
        }
    }
}
