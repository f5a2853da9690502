package org.lurm.smen;

import org.lurm.SmenConfig;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.lurm.boi.BoiSet;

/**
 * Turns BoI rows into {@link SmenBatch}es (MODEL.md, Stage 2): weighting at use (w = log(1 + x) * idf_k),
 * recency buckets, and the two disjoint views of contrastive training.
 *
 * <p><b>Recency.</b> A row's age is delta = reference period - p_t at its scale, bucketed log-wise:
 * bucket = min(R - 2, floor(log2(1 + delta))) (delta clamped at 0); history rows go to bucket R - 1. The
 * reference period of a scale is, by default, the newest period of that scale in the whole BoI set (the
 * "now" of the data); {@link #withReferencePeriods(long[])} sets it explicitly, e.g. to the encoding date.
 *
 * <p><b>Views.</b> Every unit of every raw count goes to view A or B with probability 1/2:
 * x_A ~ Binomial(floor(x), 1/2), plus the fractional part of x as one more unit (all of it to A or to B),
 * x_B = x - x_A. Each scale is split on its own counts, as MODEL.md specifies per BoI count. Rows left empty
 * in a view are dropped. The optional period crop keeps a random contiguous window of a user's periods at
 * each scale (history row kept when the window reaches back to it) before the split.
 *
 * <p>Thread-safe: immutable after construction; each call uses only its arguments and local state.
 */
public final class SmenInputs {
    private final BoiSet boi;
    private final int recencyBuckets;
    private final long[] reference;
    private final float[] idf;
    private final SmenConfig.VolumeSink sink;
    /** Per scale, the row sink's weight ({@link SmenConfig.VolumeSink#CALIBRATED}); null: 1. */
    private final float[] sinkWeights;
    /**
     * Per scale, the row sink's weight in the training views (a calibrated sink calibrated on these rows: the median
     * mass of a view's row, about half a full row's); null: the views use {@link #sinkWeights}.
     */
    private final float[] viewSinkWeights;

    public SmenInputs(BoiSet boi, int recencyBuckets) {
        this(boi, recencyBuckets, newestPeriods(boi));
    }

    private SmenInputs(BoiSet boi, int recencyBuckets, long[] reference) {
        this(boi, recencyBuckets, idfOf(boi), reference);
    }

    /**
     * Inputs weighted with a given IDF and recency reference, e.g. those of the training data when encoding
     * users the model never saw (inductive encoding must weigh interests as training did).
     */
    public SmenInputs(BoiSet boi, int recencyBuckets, float[] idf, long[] reference) {
        this(boi, recencyBuckets, idf, reference, SmenConfig.VolumeSink.NONE, null, null);
    }

    private SmenInputs(BoiSet boi, int recencyBuckets, float[] idf, long[] reference, SmenConfig.VolumeSink sink, float[] sinkWeights,
                       float[] viewSinkWeights) {
        this.sink = java.util.Objects.requireNonNull(sink);
        this.viewSinkWeights = viewSinkWeights;
        this.sinkWeights = sinkWeights == null ? null : checkedSinkWeights(sinkWeights, boi.config().scales().size());
        if (recencyBuckets < 2) throw new IllegalArgumentException("recencyBuckets must be >= 2");
        if (idf.length != boi.numInterests()) throw new IllegalArgumentException("idf has " + idf.length + " entries, the BoI set has K = " + boi.numInterests());
        if (reference.length != boi.config().scales().size()) throw new IllegalArgumentException("need one reference period per scale");
        this.boi = boi;
        this.recencyBuckets = recencyBuckets;
        this.reference = reference.clone();
        this.idf = idf.clone();
    }

    private static float[] idfOf(BoiSet boi) {
        float[] f = new float[boi.numInterests()];
        for (int k = 0; k < f.length; k++) f[k] = boi.idf(k);
        return f;
    }

    /** The IDF used for weighting (a copy). */
    public float[] idf() {
        return idf.clone();
    }

    /** The same inputs with the recency reference set per scale (one period index per scale). */
    public SmenInputs withReferencePeriods(long[] periods) {
        return new SmenInputs(boi, recencyBuckets, idf, periods, sink, sinkWeights, viewSinkWeights);
    }

    private static long[] newestPeriods(BoiSet boi) {
        long[] ref = new long[boi.config().scales().size()];
        Arrays.fill(ref, Long.MIN_VALUE);
        for (long r = 0; r < boi.numRows(); r++) ref[boi.rowScale(r)] = Math.max(ref[boi.rowScale(r)], boi.rowPeriod(r));
        for (int s = 0; s < ref.length; s++) if (ref[s] == Long.MIN_VALUE) ref[s] = 0;
        return ref;
    }

    public BoiSet boi() {
        return boi;
    }

    /** The volume sink these inputs add ({@link #withVolumeSink}). */
    public SmenConfig.VolumeSink volumeSink() {
        return sink;
    }

    /** R, the number of recency buckets. */
    public int recencyBuckets() {
        return recencyBuckets;
    }

    public long[] referencePeriods() {
        return reference.clone();
    }

    /** Recency bucket of a row. */
    public int bucket(long row) {
        if (boi.isHistory(row)) return recencyBuckets - 1;
        return bucketOf(reference[boi.rowScale(row)] - boi.rowPeriod(row), recencyBuckets);
    }

    /** Bucket of a (non-history) row of age delta periods: min(R - 2, floor(log2(1 + max(0, delta)))). */
    public static int bucketOf(long delta, int recencyBuckets) {
        long d = Math.max(0, delta);
        int b = 63 - Long.numberOfLeadingZeros(d + 1); // floor(log2(1 + delta))
        return Math.min(recencyBuckets - 2, b);
    }

    /** Raw weight of a user at the finest scale (the number of events when weights are 1). */
    public double userWeight(int user) {
        double s = 0;
        for (long r = boi.userRowStart(user); r < boi.userRowStart(user + 1); r++) {
            if (boi.rowScale(r) != 0) continue;
            for (long j = boi.rowStart(r); j < boi.rowEnd(r); j++) s += boi.val(j);
        }
        return s;
    }

    /** MODEL.md: users with fewer than 2 events are not trained on (their views cannot be disjoint). */
    public boolean trainable(int user) {
        return userWeight(user) >= 2;
    }

    /**
     * These inputs with a volume sink ({@link SmenConfig.VolumeSink}): every row gets the sink interest (index K)
     * with weight 1 and, with {@code ROWS_AND_PERIODS}, every (user, scale) with rows one more row holding only
     * the sink, in the oldest recency bucket. The model's V then has K + 1 rows ({@link SmenLayout#numInterests}).
     */
    public SmenInputs withVolumeSink(SmenConfig.VolumeSink mode) {
        if (mode != SmenConfig.VolumeSink.CALIBRATED) return new SmenInputs(boi, recencyBuckets, idf, reference, mode, null, null);
        float[][] w = medianRowMasses();
        return new SmenInputs(boi, recencyBuckets, idf, reference, mode, w[0], w[1]);
    }

    /**
     * With a volume sink whose row weights per scale are given (those of the training data, for encoding; null:
     * calibrate on these rows). Views of these inputs use the given weights too.
     */
    public SmenInputs withVolumeSink(SmenConfig.VolumeSink mode, float[] weights) {
        if (mode != SmenConfig.VolumeSink.CALIBRATED || weights == null) return withVolumeSink(mode);
        return new SmenInputs(boi, recencyBuckets, idf, reference, mode, weights, null);
    }

    /** The row sink's weight per scale (a copy), or null when it is 1. */
    public float[] sinkWeights() {
        return sinkWeights == null ? null : sinkWeights.clone();
    }

    /** The row sink's weight per scale in the training views (a copy), or null when it is 1. */
    public float[] viewSinkWeights() {
        return viewSinkWeights != null ? viewSinkWeights.clone() : sinkWeights();
    }

    /**
     * Per scale, the median over the BoI rows of that scale of the row's mass, the sum of its input weights
     * log(1 + x) · idf_k (at most 2^20 rows per scale, evenly strided); 1 for a scale without rows or mass: [0].
     * [1]: the same for the mass of the row's share in one view, each entry's count split as the views split it
     * ({@link #shareA}, with a fixed seed per entry), rows the split leaves empty not counted.
     */
    float[][] medianRowMasses() {
        int nScales = boi.config().scales().size();
        long[] count = new long[nScales];
        for (long r = 0; r < boi.numRows(); r++) count[boi.rowScale(r)]++;
        long[] stride = new long[nScales], seen = new long[nScales];
        double[][] full = new double[nScales][], view = new double[nScales][];
        int[] nFull = new int[nScales], nView = new int[nScales];
        for (int s = 0; s < nScales; s++) {
            stride[s] = Math.max(1, (count[s] + (1 << 20) - 1) >> 20);
            full[s] = new double[(int) ((count[s] + stride[s] - 1) / stride[s])];
            view[s] = new double[full[s].length];
        }
        for (long r = 0; r < boi.numRows(); r++) {
            int s = boi.rowScale(r);
            if (seen[s]++ % stride[s] != 0 || nFull[s] == full[s].length) continue;
            double m = 0, mv = 0;
            for (long j = boi.rowStart(r); j < boi.rowEnd(r); j++) {
                float x = boi.val(j), a = shareA(x, viewMassSeed(j));
                float w = idf[boi.col(j)];
                if (x > 0) m += StrictMath.log1p(x) * w;
                if (a > 0) mv += StrictMath.log1p(a) * w;
            }
            full[s][nFull[s]++] = m;
            if (mv > 0) view[s][nView[s]++] = mv;
        }
        return new float[][] {medians(full, nFull), medians(view, nView)};
    }

    private static float[] medians(double[][] values, int[] n) {
        float[] out = new float[values.length];
        for (int s = 0; s < values.length; s++) {
            Arrays.sort(values[s], 0, n[s]);
            double med = n[s] == 0 ? 0 : values[s][n[s] / 2];
            out[s] = med > 0 && Double.isFinite(med) ? (float) med : 1f;
        }
        return out;
    }

    /** A copy of {@code w} after checking it has one finite weight > 0 per scale (IllegalArgumentException otherwise). */
    static float[] checkedSinkWeights(float[] w, int scales) {
        if (w.length != scales) throw new IllegalArgumentException("need one sink weight per scale: " + w.length + " for " + scales + " scales");
        for (int s = 0; s < w.length; s++) {
            if (!(w[s] > 0) || Float.isInfinite(w[s])) throw new IllegalArgumentException("sink weight " + s + " is " + w[s] + "; sink weights must be finite and > 0");
        }
        return w.clone();
    }

    /** The split seed of BoI entry {@code j} when calibrating the views' sink ({@link #medianRowMasses}). */
    static long viewMassSeed(long j) {
        return mix(0x5EEDL ^ (j * 0x9E3779B97F4A7C15L));
    }

    /** All rows of the given users, no split (encoding). */
    public SmenBatch full(int[] users) {
        return build(users, 0, null, 1.0, 0);
    }

    /** Views A and B of the given users: a disjoint split of every count (and the optional period crop). */
    public SmenBatch[] views(int[] users, SplittableRandom rnd, double periodCrop) {
        long splitSeed = splitSeed(rnd);
        // Each entry's split is a pure function of (seed, user, scale, period, interest), so view B takes
        // exactly the complement of view A's share even when the two views crop different periods.
        return new SmenBatch[] {build(users, splitSeed, Boolean.TRUE, periodCrop, rnd.nextLong()),
                build(users, splitSeed, Boolean.FALSE, periodCrop, rnd.nextLong())};
    }

    /**
     * The split seed {@link #views(int[], SplittableRandom, double)} draws from {@code rnd} (its first long): with
     * it, an engine that keeps the BoI rows itself builds the same views.
     */
    public static long splitSeed(SplittableRandom rnd) {
        return rnd.nextLong();
    }

    /** Views A and B without a period crop, split with {@code splitSeed}: what a device engine builds from the same seed. */
    public SmenBatch[] views(int[] users, long splitSeed) {
        return new SmenBatch[] {build(users, splitSeed, Boolean.TRUE, 1.0, 0), build(users, splitSeed, Boolean.FALSE, 1.0, 0)};
    }

    /**
     * @param split null: whole counts; TRUE: view A's share; FALSE: view B's share (the complement of A's)
     */
    private SmenBatch build(int[] users, long splitSeed, Boolean split, double periodCrop, long cropSeed) {
        int nScales = boi.config().scales().size();
        int b = users.length;
        int[] groupStart = new int[b * nScales + 1];
        IntList rowPtr = new IntList(64), cols = new IntList(256), buckets = new IntList(64);
        FloatList vals = new FloatList(256);
        rowPtr.add(0);
        int sinkK = sink == SmenConfig.VolumeSink.NONE ? -1 : boi.numInterests();
        boolean sinkRows = sink.periodRows();
        SplittableRandom crop = new SplittableRandom(cropSeed ^ 0x9E3779B97F4A7C15L);
        for (int q = 0; q < b; q++) {
            int u = users[q];
            if (u < 0 || u >= boi.numUsers()) throw new IllegalArgumentException("user index " + u + " outside the BoI set of " + boi.numUsers() + " users");
            long r0 = boi.userRowStart(u), r1 = boi.userRowStart(u + 1);
            for (int s = 0; s < nScales; s++) {
                groupStart[q * nScales + s] = buckets.size();
                // rows of this user at scale s (contiguous: rows are ordered by scale within a user)
                long from = r0, to;
                while (from < r1 && boi.rowScale(from) < s) from++;
                to = from;
                while (to < r1 && boi.rowScale(to) == s) to++;
                if (periodCrop < 1.0 && to - from > 1) {
                    int n = (int) (to - from);
                    int keep = Math.max(1, (int) Math.ceil(periodCrop * n));
                    int start = crop.nextInt(n - keep + 1);
                    from += start;
                    to = from + keep;
                }
                for (long r = from; r < to; r++) {
                    int before = cols.size();
                    for (long j = boi.rowStart(r); j < boi.rowEnd(r); j++) {
                        float x = boi.val(j);
                        float share = split == null ? x
                                : shareA(x, entrySeed(splitSeed, u, s, boi.isHistory(r) ? Long.MIN_VALUE : boi.rowPeriod(r), boi.col(j)));
                        if (split == Boolean.FALSE) share = x - share;
                        if (share > 0) {
                            int k = boi.col(j);
                            cols.add(k);
                            vals.add((float) StrictMath.log1p(share) * idf[k]);
                        }
                    }
                    if (cols.size() > before) {
                        if (sinkK >= 0) {
                            cols.add(sinkK); // the largest index: the row stays sorted
                            float[] w = split != null && viewSinkWeights != null ? viewSinkWeights : sinkWeights;
                            vals.add(w == null ? 1f : w[s]);
                        }
                        rowPtr.add(cols.size());
                        buckets.add(bucket(r));
                    }
                }
                if (sinkRows && buckets.size() > groupStart[q * nScales + s]) {
                    cols.add(sinkK);
                    vals.add(1f);
                    rowPtr.add(cols.size());
                    buckets.add(recencyBuckets - 1);
                }
            }
        }
        groupStart[b * nScales] = buckets.size();
        return new SmenBatch(b, nScales, buckets.size(), rowPtr.toArray(), cols.toArray(), vals.toArray(), buckets.toArray(), groupStart);
    }

    /** Seed of one BoI entry's split. */
    static long entrySeed(long seed, int user, int scale, long period, int interest) {
        long h = seed;
        h = mix(h ^ (user * 0x9E3779B97F4A7C15L));
        h = mix(h ^ (scale * 0xC2B2AE3D27D4EB4FL));
        h = mix(h ^ period);
        return mix(h ^ (interest * 0x165667B19E3779F9L));
    }

    /** SplitMix64's finaliser. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * View A's share of a raw count: Binomial(floor(x), 1/2) units (one random bit per unit, from a SplitMix64
     * stream seeded by the entry) plus the fractional part, all of it, with probability 1/2.
     */
    static float shareA(float x, long seed) {
        long n = (long) Math.floor(x);
        float frac = x - n;
        long a = 0;
        long state = seed;
        while (n >= 64) {
            a += Long.bitCount(mix(state += 0x9E3779B97F4A7C15L));
            n -= 64;
        }
        if (n > 0) a += Long.bitCount(mix(state += 0x9E3779B97F4A7C15L) & ((1L << n) - 1));
        float share = a;
        if (frac > 0 && (mix(state + 0x632BE59BD9B4E019L) & 1) != 0) share += frac;
        return share;
    }

    /** Minimal growable int array (no boxing on the batch-building path). */
    static final class IntList {
        int[] a;
        int n;

        IntList(int cap) {
            a = new int[cap];
        }

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        int size() {
            return n;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    /** Minimal growable float array. */
    static final class FloatList {
        float[] a;
        int n;

        FloatList(int cap) {
            a = new float[cap];
        }

        void add(float v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        float[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
