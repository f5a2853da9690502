package org.lurm.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A fixed-length array of {@code int} over a {@link MemorySegment} (little-endian, as the model file and the
 * native kernels expect). Off-heap instances come from a {@link MemoryScope} and live as long as it;
 * {@link #wrap(int[])} views a heap array without copying (a convenience: heap arrays cannot be passed to
 * native kernels, which copy them first).
 *
 * <p><b>Thread-safety.</b> Like a plain Java array: concurrent reads are safe, concurrent writes to
 * different indices are safe, anything else needs external synchronisation.
 */
public final class I32Array {
    public static final ValueLayout.OfInt LAYOUT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final int BYTES = 4;

    private final MemorySegment segment;
    private final long length;

    I32Array(MemorySegment segment, long length) {
        if (segment.byteSize() < length * BYTES) {
            throw new IllegalArgumentException("segment of " + segment.byteSize() + " bytes is too small for " + length + " elements");
        }
        this.segment = segment;
        this.length = length;
    }

    /** A view of an existing segment (no copy); the caller keeps the segment alive. */
    public static I32Array view(MemorySegment segment) {
        if (segment.byteSize() % BYTES != 0) {
            throw new IllegalArgumentException("segment size " + segment.byteSize() + " is not a multiple of " + BYTES);
        }
        return new I32Array(segment, segment.byteSize() / BYTES);
    }

    /** Wraps a heap array without copying. */
    public static I32Array wrap(int[] values) {
        return new I32Array(MemorySegment.ofArray(values), values.length);
    }

    public long length() {
        return length;
    }

    /** Length as an int, for arrays known to be smaller than 2^31 elements. */
    public int intLength() {
        return Math.toIntExact(length);
    }

    public MemorySegment segment() {
        return segment;
    }

    public int get(long i) {
        return segment.getAtIndex(LAYOUT, i);
    }

    public void set(long i, int v) {
        segment.setAtIndex(LAYOUT, i, v);
    }

    /** A view of elements [from, from + len) sharing this array's memory. */
    public I32Array slice(long from, long len) {
        return new I32Array(segment.asSlice(from * BYTES, len * BYTES), len);
    }

    public int[] toArray() {
        int[] out = new int[intLength()];
        MemorySegment.copy(segment, LAYOUT, 0, out, 0, out.length);
        return out;
    }

    public void copyTo(long from, int[] dst, int dstOff, int len) {
        MemorySegment.copy(segment, LAYOUT, from * BYTES, dst, dstOff, len);
    }

    public void copyFrom(int[] src, int srcOff, long to, int len) {
        MemorySegment.copy(src, srcOff, segment, LAYOUT, to * BYTES, len);
    }

    public void fill(int v) {
        for (long i = 0; i < length; i++) set(i, v);
    }

    @Override
    public String toString() {
        return "I32Array[" + length + "]";
    }
}
