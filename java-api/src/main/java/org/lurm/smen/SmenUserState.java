package org.lurm.smen;

import org.lurm.SmenConfig;
import java.util.ArrayList;
import java.util.List;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiSet;
import org.lurm.smen.ops.AnchorAttention;
import org.lurm.smen.ops.AnchorProjection;
import org.lurm.smen.ops.ScaleGate;
import org.lurm.smen.ops.TimeAttention;

/**
 * One user's encoder state for cheap re-encoding (MODEL.md: "Encoding a user after a new period costs one new
 * row per scale plus the aggregation, not a pass over the whole life"). It keeps the user's raw BoI rows per
 * scale and each row's per-anchor projection o[t] (which does not depend on time); {@link #add} merges the
 * BoI of new events exactly as {@link org.lurm.boi.BoiMerge} would (same period summed, T_max folding into
 * the history row) and marks only the changed rows; {@link #encode} recomputes the anchor attention of those
 * rows, then the time attention and scale gate over all cached o[t] with the recency of the given reference.
 *
 * <p>Not thread-safe: one state per user, used by one thread at a time.
 */
public final class SmenUserState {
    private static final class Row {
        long period;
        boolean history;
        int[] cols;
        float[] raw;
        float[] o;
        /** The volume sink's own row in the time attention ({@code ROWS_AND_PERIODS}, {@code CALIBRATED}). */
        boolean sinkOnly;

        Row(long period, boolean history, int[] cols, float[] raw) {
            this.period = period;
            this.history = history;
            this.cols = cols;
            this.raw = raw;
        }
    }

    private final Smen smen;
    private final List<List<Row>> scales = new ArrayList<>();
    /** The sink interest (K) when the model has a volume sink, else -1; its weight per scale (null: 1). */
    private final int sinkK;
    private final float[] sinkWeights;
    /** The sink-only row every non-empty (user, scale) group ends with, when the sink has period rows; else null. */
    private final Row sinkRow;

    private SmenUserState(Smen smen) {
        this.smen = smen;
        for (int s = 0; s < smen.layout().scales(); s++) scales.add(new ArrayList<>());
        SmenConfig.VolumeSink sink = smen.config().volumeSink();
        this.sinkK = sink == SmenConfig.VolumeSink.NONE ? -1 : smen.layout().boiInterests();
        this.sinkWeights = smen.sinkWeights();
        if (sink.periodRows()) {
            sinkRow = new Row(Long.MAX_VALUE, false, new int[0], new float[0]);
            sinkRow.sinkOnly = true;
        } else {
            sinkRow = null;
        }
    }

    /** The state of {@code user} from a BoI set (rows copied; nothing is computed until {@link #encode}). */
    public static SmenUserState of(Smen smen, BoiSet boi, int user) {
        smen.inputs(boi); // checks K and scales
        SmenUserState st = new SmenUserState(smen);
        st.tMaxes = new int[boi.config().scales().size()];
        for (int s = 0; s < st.tMaxes.length; s++) st.tMaxes[s] = boi.config().scales().get(s).tMax();
        st.merge(boi, user, true);
        return st;
    }

    /**
     * Adds the BoI rows of new events (a BoI set over the same interests and scales, e.g. the aggregation of the
     * latest period's events) for user {@code userInUpdate} of that set.
     */
    public void add(BoiSet update, int userInUpdate) {
        smen.inputs(update);
        merge(update, userInUpdate, false);
    }

    private void merge(BoiSet boi, int user, boolean initial) {
        if (user < 0 || user >= boi.numUsers()) return;
        for (long r = boi.userRowStart(user); r < boi.userRowStart(user + 1); r++) {
            int s = boi.rowScale(r);
            int n = (int) (boi.rowEnd(r) - boi.rowStart(r));
            int[] cols = new int[n];
            float[] raw = new float[n];
            for (int j = 0; j < n; j++) {
                cols[j] = boi.col(boi.rowStart(r) + j);
                raw[j] = boi.val(boi.rowStart(r) + j);
            }
            List<Row> rows = scales.get(s);
            if (initial) {
                rows.add(new Row(boi.rowPeriod(r), boi.isHistory(r), cols, raw));
                continue;
            }
            if (boi.isHistory(r)) {
                throw new IllegalArgumentException("the update spans more than T_max periods of scale " + s
                        + " for this user: re-encode from the merged BoI set instead");
            }
            insert(rows, boi.rowPeriod(r), cols, raw);
        }
        if (!initial) for (int s = 0; s < scales.size(); s++) fold(scales.get(s), tMaxes[s]);
    }

    /** T_max per scale, from the BoI config of the set the state was made from. */
    private int[] tMaxes;

    private static void insert(List<Row> rows, long period, int[] cols, float[] raw) {
        int firstVisible = rows.isEmpty() || !rows.get(0).history ? 0 : 1;
        Row hist = firstVisible == 1 ? rows.get(0) : null;
        if (hist != null && (rows.size() == 1 || period < rows.get(1).period) && period <= hist.period) {
            addInto(hist, cols, raw); // late data older than every visible period
            return;
        }
        int i = firstVisible;
        while (i < rows.size() && rows.get(i).period < period) i++;
        if (i < rows.size() && rows.get(i).period == period) {
            addInto(rows.get(i), cols, raw);
        } else {
            rows.add(i, new Row(period, false, cols, raw));
        }
    }

    /** Folds the oldest visible rows into the history row until at most tMax stay visible. */
    private static void fold(List<Row> rows, int tMax) {
        int visible = rows.size() - (rows.isEmpty() || !rows.get(0).history ? 0 : 1);
        while (visible > tMax) {
            boolean hasHistory = rows.get(0).history;
            Row oldest = rows.get(hasHistory ? 1 : 0);
            if (hasHistory) {
                Row h = rows.get(0);
                addInto(h, oldest.cols, oldest.raw);
                h.period = Math.max(h.period, oldest.period);
                rows.remove(1);
            } else {
                oldest.history = true;
                oldest.o = null;
            }
            visible--;
        }
    }

    /** Sorted sparse sum into a row; marks it changed. */
    private static void addInto(Row row, int[] cols, float[] raw) {
        int[] c = new int[row.cols.length + cols.length];
        float[] v = new float[c.length];
        int a = 0, b = 0, n = 0;
        while (a < row.cols.length || b < cols.length) {
            if (b == cols.length || (a < row.cols.length && row.cols[a] < cols[b])) {
                c[n] = row.cols[a];
                v[n++] = row.raw[a++];
            } else if (a == row.cols.length || cols[b] < row.cols[a]) {
                c[n] = cols[b];
                v[n++] = raw[b++];
            } else {
                c[n] = cols[b];
                v[n++] = row.raw[a++] + raw[b++];
            }
        }
        row.cols = java.util.Arrays.copyOf(c, n);
        row.raw = java.util.Arrays.copyOf(v, n);
        row.o = null;
    }

    /** Number of rows whose projection must be recomputed at the next {@link #encode}. */
    public int dirtyRows() {
        int n = 0;
        for (List<Row> rows : scales) for (Row r : rows) if (r.o == null) n++;
        return n;
    }

    /** z (M * d') with recency measured from {@code reference} (one period per scale). */
    public float[] encode(long[] reference, Parallel par) {
        SmenLayout l = smen.layout();
        SmenConfig cfg = l.config();
        int m = cfg.anchors(), d = cfg.anchorDim(), h = cfg.h(), rBuckets = cfg.recencyBuckets();
        float[] params = smen.parametersShared();
        float[] idf = smen.idf();
        // 1. anchor attention + projection of the changed rows only
        List<Row> dirty = new ArrayList<>();
        for (List<Row> rows : scales) for (Row r : rows) if (r.o == null) dirty.add(r);
        if (sinkRow != null && sinkRow.o == null) dirty.add(sinkRow); // depends on the parameters only: once
        if (!dirty.isEmpty()) {
            SmenBatch b = batchOf(dirty, null, idf, reference, rBuckets, true);
            float[] rr = new float[dirty.size() * m * h];
            AnchorAttention.create(l).forward(params, b, rr, null, par);
            float[] o = new float[dirty.size() * m * d];
            AnchorProjection.create(l).forward(params, dirty.size(), rr, o, par);
            for (int i = 0; i < dirty.size(); i++) dirty.get(i).o = java.util.Arrays.copyOfRange(o, i * m * d, (i + 1) * m * d);
        }
        // 2. time attention and scale gate over all cached rows
        List<Row> all = new ArrayList<>();
        int[] groupStart = new int[scales.size() + 1];
        for (int s = 0; s < scales.size(); s++) {
            groupStart[s] = all.size();
            all.addAll(scales.get(s));
            if (sinkRow != null && !scales.get(s).isEmpty()) all.add(sinkRow); // SmenInputs' order: after the rows
        }
        groupStart[scales.size()] = all.size();
        SmenBatch b = batchOf(all, groupStart, idf, reference, rBuckets, false);
        float[] o = new float[all.size() * m * d];
        for (int i = 0; i < all.size(); i++) System.arraycopy(all.get(i).o, 0, o, i * m * d, m * d);
        TimeAttention time = new TimeAttention(l);
        float[] u = new float[time.outputSize(b)];
        time.forward(params, b, o, u, new float[time.weightsSize(b)], par);
        ScaleGate gate = new ScaleGate(l);
        float[] z = new float[gate.outputSize(1)];
        gate.forward(params, b, u, z, new float[gate.gateSize(1)], new boolean[1], par);
        return z;
    }

    private SmenBatch batchOf(List<Row> rows, int[] groupStart, float[] idf, long[] reference, int rBuckets, boolean flat) {
        int t = rows.size();
        int extra = sinkK >= 0 ? 1 : 0; // a sink entry ends every row (SmenInputs.withVolumeSink)
        int[] rowPtr = new int[t + 1];
        for (int i = 0; i < t; i++) rowPtr[i + 1] = rowPtr[i] + (rows.get(i).sinkOnly ? 1 : rows.get(i).cols.length + extra);
        int[] cols = new int[rowPtr[t]];
        float[] vals = new float[rowPtr[t]];
        int[] bucket = new int[t];
        for (int i = 0; i < t; i++) {
            Row r = rows.get(i);
            if (r.sinkOnly) {
                cols[rowPtr[i]] = sinkK;
                vals[rowPtr[i]] = 1f;
                bucket[i] = rBuckets - 1;
                continue;
            }
            for (int j = 0; j < r.cols.length; j++) {
                cols[rowPtr[i] + j] = r.cols[j];
                vals[rowPtr[i] + j] = (float) StrictMath.log1p(r.raw[j]) * idf[r.cols[j]];
            }
            int scale = scaleOf(r);
            if (extra == 1) {
                cols[rowPtr[i + 1] - 1] = sinkK;
                vals[rowPtr[i + 1] - 1] = sinkWeights == null ? 1f : sinkWeights[scale];
            }
            bucket[i] = r.history ? rBuckets - 1 : SmenInputs.bucketOf(reference[scale] - r.period, rBuckets);
        }
        int s = scales.size();
        int[] gs = groupStart;
        if (flat) {
            gs = new int[s + 1];
            java.util.Arrays.fill(gs, 1, s + 1, t); // all rows in scale 0's group: only the row ops read this batch
        }
        return new SmenBatch(1, s, t, rowPtr, cols, vals, bucket, gs);
    }

    private int scaleOf(Row r) {
        for (int s = 0; s < scales.size(); s++) if (scales.get(s).contains(r)) return s;
        throw new IllegalStateException("row not in any scale");
    }
}
