package org.lurm.cuda.smen;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.lurm.cuda.Cuda;
import org.lurm.cuda.CudaException;
import org.lurm.cuda.CudaStream;
import org.lurm.cuda.DeviceBuffer;
import org.lurm.cuda.NativeLibrary;
import org.lurm.memory.MemoryScope;

/**
 * Heap array &lt;-&gt; device buffer staging of the heap-array SMEN path ({@link CudaSmenOps}): synchronous copies
 * through a confined native arena (the Java heap is invisible to CUDA), on the legacy default stream, which the
 * kernels of that path use too; uploads read by kernels on a {@link CudaStream} go through
 * {@link #up(MemoryScope, float[], CudaStream)}. Stateless and thread-safe.
 */
final class Dev {
    private Dev() {
    }

    /** A device copy of {@code len} floats of {@code a} from {@code off}, owned by {@code scope}. */
    static DeviceBuffer up(MemoryScope scope, float[] a, long off, long len) {
        DeviceBuffer b = DeviceBuffer.allocateFloats(scope, len);
        if (len == 0) return b;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(len * 4, 16);
            MemorySegment.copy(a, Math.toIntExact(off), s, ValueLayout.JAVA_FLOAT, 0, Math.toIntExact(len));
            b.copyFromHost(s, 0);
        }
        return b;
    }

    static DeviceBuffer up(MemoryScope scope, float[] a) {
        return up(scope, a, 0, a.length);
    }

    /**
     * A device copy of {@code a}, owned by {@code scope}, enqueued on {@code stream} and waited for: kernels later
     * enqueued on that stream (non-blocking, so it does not wait for the legacy default stream that
     * {@link #up(MemoryScope, float[])}'s synchronous copy uses) read it only after it landed.
     */
    static DeviceBuffer up(MemoryScope scope, float[] a, CudaStream stream) {
        DeviceBuffer b = DeviceBuffer.allocateFloats(scope, a.length);
        if (a.length == 0) return b;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(a.length * 4L, 16);
            MemorySegment.copy(a, 0, s, ValueLayout.JAVA_FLOAT, 0, a.length);
            b.copyFromHostAsync(s, 0, stream);
            stream.synchronize(); // s is freed when the arena closes
        }
        return b;
    }

    static DeviceBuffer up(MemoryScope scope, int[] a, int len) {
        DeviceBuffer b = DeviceBuffer.allocateFloats(scope, len);
        if (len == 0) return b;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(len * 4L, 16);
            MemorySegment.copy(a, 0, s, ValueLayout.JAVA_INT, 0, len);
            b.copyFromHost(s, 0);
        }
        return b;
    }

    /** Zeroed device floats. */
    static DeviceBuffer zeros(MemoryScope scope, long n) {
        DeviceBuffer b = DeviceBuffer.allocateFloats(scope, n);
        if (n > 0) b.fill(0);
        return b;
    }

    /** Copies {@code len} floats of {@code b} from float {@code srcOff} into {@code dst} at {@code dstOff}. */
    static void down(DeviceBuffer b, long srcOff, float[] dst, long dstOff, long len) {
        if (len == 0) return;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(len * 4, 16);
            b.copyToHost(srcOff * 4, s);
            MemorySegment.copy(s, ValueLayout.JAVA_FLOAT, 0, dst, Math.toIntExact(dstOff), Math.toIntExact(len));
        }
    }

    static double[] downDoubles(DeviceBuffer b, long srcOff, int len) {
        double[] out = new double[len];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(len * 8L, 16);
            b.copyToHost(srcOff * 8, s);
            MemorySegment.copy(s, ValueLayout.JAVA_DOUBLE, 0, out, 0, len);
        }
        return out;
    }

    static int[] downInts(DeviceBuffer b, int len) {
        int[] out = new int[len];
        if (len == 0) return out;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(len * 4L, 16);
            b.copyToHost(0, s);
            MemorySegment.copy(s, ValueLayout.JAVA_INT, 0, out, 0, len);
        }
        return out;
    }

    /** Device pointer of {@code n} floats at float offset {@code off}. */
    static MemorySegment at(DeviceBuffer b, long off, long n) {
        return b.pointer(off * 4, n * 4);
    }

    static MemorySegment ptr(DeviceBuffer b) {
        return b == null ? MemorySegment.NULL : b.pointer();
    }

    /**
     * Waits for the device and reports an error of the kernels of {@code op} (which ran asynchronously) as a
     * {@link CudaException} naming the op, not the next unrelated call.
     */
    static void sync(String op) {
        NativeLibrary lib = NativeLibrary.get();
        int rc = Cuda.DEVICE_SYNCHRONIZE.callRaw(lib);
        if (rc != 0) throw new CudaException(op + " (kernel execution)", rc, lib.errorText(rc));
    }
}
