package org.lurm.cuda.smen;

import java.lang.foreign.MemorySegment;
import org.lurm.cuda.CudaStream;
import org.lurm.cuda.DeviceBuffer;
import org.lurm.memory.MemoryScope;

/**
 * A bump allocator over one device buffer, for the temporaries of a call sequence: {@link #reset} before a
 * sequence, {@link #floats}/{@link #ints}/{@link #doubles} hand out 256-byte aligned slices. Plan a sequence by
 * running its allocations on a {@link #sizing()} workspace first (it only counts), then {@link #ensure} that many
 * bytes: the buffer grows (after synchronising the stream that may still use it) and never shrinks.
 *
 * <p>Owned by the {@link MemoryScope} given at construction. Not thread-safe: one call sequence at a time.
 */
final class Workspace implements AutoCloseable {
    private static final long ALIGN = 256;

    private final MemoryScope scope;
    private final boolean counting;
    private DeviceBuffer buffer;
    private long used;

    private Workspace(MemoryScope scope, boolean counting) {
        this.scope = scope;
        this.counting = counting;
    }

    static Workspace on(MemoryScope scope) {
        return new Workspace(scope, false);
    }

    /** A workspace that only counts bytes ({@link #used()}); its slices are NULL. */
    static Workspace sizing() {
        return new Workspace(null, true);
    }

    /** Makes room for {@code bytes}; synchronises {@code stream} (may be null: device-wide) before regrowing. */
    void ensure(long bytes, CudaStream stream) {
        if (counting) return;
        if (buffer != null && buffer.byteSize() >= bytes) return;
        if (buffer != null) {
            if (stream != null) stream.synchronize();
            else org.lurm.cuda.Cuda.deviceSynchronize();
            buffer.close();
        }
        buffer = DeviceBuffer.allocate(scope, Math.max(bytes, 1L << 20));
    }

    void reset() {
        used = 0;
    }

    long used() {
        return used;
    }

    private MemorySegment take(long bytes) {
        long at = used;
        used = (used + Math.max(bytes, 0) + ALIGN - 1) / ALIGN * ALIGN;
        if (counting) return MemorySegment.NULL;
        if (buffer == null || used > buffer.byteSize()) {
            throw new IllegalStateException("workspace of " + (buffer == null ? 0 : buffer.byteSize()) + " bytes overrun (" + used + " needed): plan with sizing() first");
        }
        return buffer.pointer(at, Math.max(bytes, 0));
    }

    MemorySegment floats(long n) {
        return take(n * 4);
    }

    MemorySegment ints(long n) {
        return take(n * 4);
    }

    MemorySegment doubles(long n) {
        return take(n * 8);
    }

    /** Byte offset of a slice inside the buffer (for memsets of a contiguous run of slices). */
    long offsetOf(MemorySegment slice) {
        return counting ? 0 : slice.address() - buffer.pointer().address();
    }

    DeviceBuffer buffer() {
        return buffer;
    }

    @Override
    public void close() {
        if (buffer != null) buffer.close();
        buffer = null;
    }
}
