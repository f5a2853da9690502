package org.lurm.cuda.smen;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.lurm.boi.BoiSet;
import org.lurm.cuda.DeviceBuffer;
import org.lurm.memory.MemoryScope;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenInputs;

/**
 * The training BoI rows kept on the device for a whole run, so that each step builds its two views there
 * ({@code lurm_smen_views_*}, smen_views.cu) from the batch's user list instead of uploading them: BoiSet's columns as
 * they are (user row offsets, row non-zero offsets, the scale column with its history bit, periods, interests, raw
 * counts), plus the recency bucket of every row and the IDF, both computed by {@link SmenInputs} on the host.
 *
 * <p>Ownership: the buffers belong to the scope given at construction. Thread-safe after construction (immutable).
 */
final class DeviceBoi {
    final DeviceBuffer userRow;
    final DeviceBuffer rowEntry;
    final DeviceBuffer rowScale;
    final DeviceBuffer rowPeriod;
    final DeviceBuffer cols;
    final DeviceBuffer vals;
    final DeviceBuffer rowBucket;
    final DeviceBuffer idf;
    /** The model's interests, the sink's included. */
    final int numInterests;
    final int scales;
    final int buckets;
    /** 0 none, 1 sink entries in rows, 2 also sink rows (lurm_smen.h). */
    final int sinkMode;
    /** The row sink's weight per scale in the views (a calibrated sink), or null for 1. */
    private final DeviceBuffer sinkWeights;
    final long bytes;
    private final BoiSet boi;

    /** Device bytes the rows of {@code boi} take (what {@link #DeviceBoi} allocates). */
    static long bytesFor(BoiSet boi) {
        long u = boi.numUsers(), r = boi.numRows(), n = boi.nnz();
        return 8 * (u + 1) + 8 * (r + 1) + 4 * r + 8 * r + 4 * n + 4 * n + 4 * r + 4L * boi.numInterests() + 4L * boi.config().scales().size();
    }

    DeviceBoi(MemoryScope scope, SmenInputs inputs) {
        this.boi = inputs.boi();
        this.scales = boi.config().scales().size();
        this.buckets = inputs.recencyBuckets();
        SmenConfig.VolumeSink sink = inputs.volumeSink();
        this.sinkMode = sink == SmenConfig.VolumeSink.NONE ? 0 : sink.periodRows() ? 2 : 1;
        this.numInterests = boi.numInterests() + (sinkMode > 0 ? 1 : 0);
        if (boi.nnz() >= Integer.MAX_VALUE) throw new IllegalArgumentException("the BoI set has " + boi.nnz() + " non-zeros; device views index them with 32-bit offsets");
        float[] w = inputs.idf();
        for (int k = 0; k < w.length; k++) {
            if (!(w[k] > 0f) || w[k] == Float.POSITIVE_INFINITY) throw new IllegalArgumentException("idf of interest " + k + " is " + w[k] + "; weights must be finite and > 0");
        }
        long rows = boi.numRows();
        int[] bucket = new int[Math.toIntExact(rows)];
        for (long r = 0; r < rows; r++) bucket[(int) r] = inputs.bucket(r);
        userRow = up(scope, boi.userRowPtrArray().segment());
        rowEntry = up(scope, boi.rowPtrArray().segment());
        rowScale = up(scope, boi.rowScaleArray().segment());
        rowPeriod = up(scope, boi.rowPeriodArray().segment());
        cols = up(scope, boi.colArray().segment());
        vals = up(scope, boi.valArray().segment());
        rowBucket = up(scope, MemorySegment.ofArray(bucket));
        idf = up(scope, MemorySegment.ofArray(w));
        float[] sw = inputs.viewSinkWeights(); // the device builds training views only
        sinkWeights = sw == null ? null : up(scope, MemorySegment.ofArray(sw));
        bytes = bytesFor(boi);
    }

    /** The device pointer of the row sink's weights per scale, or NULL (weight 1). */
    MemorySegment sinkWeightsPointer() {
        return sinkWeights == null ? MemorySegment.NULL : sinkWeights.pointer();
    }

    /** A synchronous copy of all of {@code host} (copied through native memory when it is on the heap). */
    private static DeviceBuffer up(MemoryScope scope, MemorySegment host) {
        DeviceBuffer d = DeviceBuffer.allocate(scope, Math.max(4, host.byteSize()));
        if (host.byteSize() == 0) return d;
        if (host.isNative()) {
            d.copyFromHost(host, 0);
        } else {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment s = a.allocate(host.byteSize(), 16);
                s.copyFrom(host);
                d.copyFromHost(s, 0);
            }
        }
        return d;
    }

    /**
     * Upper bounds of either view of {@code users}: {rows, non-zeros} (every raw row and non-zero, a sink entry per row
     * and a sink row per (user, scale) when there is a sink).
     */
    long[] bounds(int[] users) {
        long rows = 0, nnz = 0;
        for (int u : users) {
            if (u < 0 || u >= boi.numUsers()) throw new IllegalArgumentException("user index " + u + " outside the BoI set of " + boi.numUsers() + " users");
            long r0 = boi.userRowStart(u), r1 = boi.userRowStart(u + 1);
            rows += r1 - r0;
            nnz += boi.rowStart(r1) - boi.rowStart(r0);
        }
        if (sinkMode > 0) nnz += rows;
        if (sinkMode == 2) {
            rows += (long) users.length * scales;
            nnz += (long) users.length * scales;
        }
        return new long[] {rows, Math.max(1, nnz)};
    }
}
