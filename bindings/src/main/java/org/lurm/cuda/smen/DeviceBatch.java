package org.lurm.cuda.smen;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.lurm.cuda.CudaStream;
import org.lurm.cuda.DeviceBuffer;
import org.lurm.cuda.PinnedBuffer;
import org.lurm.memory.MemoryScope;
import org.lurm.smen.SmenBatch;

/**
 * A {@link SmenBatch} on the device, packed into one buffer and uploaded with one asynchronous copy from pinned
 * staging: rowPtr, cols, vals, rowBucket, groupStart and, for the backward pass, the non-zeros sorted by
 * interest (perm, segStart, segInterest), plus optional extra ints (e.g. the rows Adam updates). Reusable: each
 * {@link #load} overwrites the previous batch, growing the buffers when needed.
 *
 * <p>Ownership: both buffers belong to the {@link MemoryScope} given at construction. The pinned staging must not
 * be overwritten while the previous copy is in flight: callers synchronise the stream between two loads (the
 * training step does, at its end). Not thread-safe.
 */
final class DeviceBatch implements AutoCloseable {
    private static final int ALIGN = 64; // ints: 256 bytes

    private final MemoryScope scope;
    private PinnedBuffer pinned;
    private DeviceBuffer device;

    int users;
    int rows;
    int nnz;
    int segments;
    int extra;
    MemorySegment rowPtr;
    MemorySegment cols;
    MemorySegment vals;
    MemorySegment rowBucket;
    MemorySegment groupStart;
    MemorySegment perm;
    MemorySegment segStart;
    MemorySegment segInterest;
    MemorySegment extraInts;

    DeviceBatch(MemoryScope scope) {
        this.scope = scope;
    }

    private static long pad(long n) {
        return (n + ALIGN - 1) / ALIGN * ALIGN;
    }

    /** Stages {@code b} (with {@code seg} when not null, and {@code more} ints) and enqueues its upload on {@code stream}. */
    void load(SmenBatch b, Batches.Segments seg, int[] more, int moreCount, CudaStream stream) {
        users = b.users();
        rows = b.rows();
        nnz = b.nnz();
        segments = seg == null ? 0 : seg.count();
        extra = moreCount;
        int groups = b.users() * b.scales();
        long[] len = {rows + 1, nnz, nnz, rows, groups + 1, seg == null ? 0 : nnz, seg == null ? 0 : segments + 1, segments, moreCount};
        long[] off = place(len);
        long total = off[len.length];
        long bytes = Math.max(total * 4, 256);
        if (pinned == null || pinned.byteSize() < bytes) {
            if (pinned != null) pinned.close();
            pinned = PinnedBuffer.allocate(scope, bytes + bytes / 4);
        }
        MemorySegment h = pinned.segment();
        MemorySegment.copy(b.rowPtr(), 0, h, ValueLayout.JAVA_INT, off[0] * 4, rows + 1);
        MemorySegment.copy(b.cols(), 0, h, ValueLayout.JAVA_INT, off[1] * 4, nnz);
        MemorySegment.copy(b.vals(), 0, h, ValueLayout.JAVA_FLOAT, off[2] * 4, nnz);
        MemorySegment.copy(b.rowBucket(), 0, h, ValueLayout.JAVA_INT, off[3] * 4, rows);
        MemorySegment.copy(b.groupStart(), 0, h, ValueLayout.JAVA_INT, off[4] * 4, groups + 1);
        if (seg != null) {
            MemorySegment.copy(seg.perm(), 0, h, ValueLayout.JAVA_INT, off[5] * 4, nnz);
            MemorySegment.copy(seg.segStart(), 0, h, ValueLayout.JAVA_INT, off[6] * 4, segments + 1);
            MemorySegment.copy(seg.interests(), 0, h, ValueLayout.JAVA_INT, off[7] * 4, segments);
        }
        if (moreCount > 0) MemorySegment.copy(more, 0, h, ValueLayout.JAVA_INT, off[8] * 4, moreCount);
        device.copyFromHostAsync(h.asSlice(0, total * 4), 0, stream);
    }

    /**
     * Offsets (in ints) of the nine arrays of lengths {@code len}, each padded to 256 bytes, plus the total at the
     * end; grows the device buffer to hold them and points the fields at them.
     */
    private long[] place(long[] len) {
        long[] off = new long[len.length + 1];
        long total = 0;
        for (int i = 0; i < len.length; i++) {
            off[i] = total;
            total += pad(len[i]);
        }
        off[len.length] = total;
        long bytes = Math.max(total * 4, 256);
        if (device == null || device.byteSize() < bytes) {
            if (device != null) device.close();
            device = DeviceBuffer.allocate(scope, bytes + bytes / 4);
        }
        rowPtr = p(off[0], len[0]);
        cols = p(off[1], len[1]);
        vals = p(off[2], len[2]);
        rowBucket = p(off[3], len[3]);
        groupStart = p(off[4], len[4]);
        perm = p(off[5], len[5]);
        segStart = p(off[6], len[6]);
        segInterest = p(off[7], len[7]);
        extraInts = p(off[8], len[8]);
        return off;
    }

    /**
     * Buffers for a batch the device builds itself (DeviceBoi's views): room for {@code maxRows} rows and
     * {@code maxNnz} non-zeros (segments included) and {@code extraCap} extra ints; the counts are set by
     * {@link #counts} once the device has reported them. Nothing is uploaded.
     */
    void reserve(int users, int scales, long maxRows, long maxNnz, long extraCap) {
        this.users = users;
        place(new long[] {maxRows + 1, maxNnz, maxNnz, maxRows, (long) users * scales + 1, maxNnz, maxNnz + 1, maxNnz, extraCap});
    }

    /** The counts of a batch built on the device into the {@link #reserve}d buffers. */
    void counts(int rows, int nnz, int segments, int extra) {
        this.rows = rows;
        this.nnz = nnz;
        this.segments = segments;
        this.extra = extra;
    }

    private MemorySegment p(long off, long len) {
        return device.pointer(off * 4, len * 4);
    }

    @Override
    public void close() {
        if (pinned != null) pinned.close();
        if (device != null) device.close();
        pinned = null;
        device = null;
    }
}
