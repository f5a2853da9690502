package org.lurm.cluster;

import java.lang.foreign.MemorySegment;
import org.lurm.backend.Backend;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.MemoryScope;

/**
 * Nearest-centroid search over K interest centroids (largest dot product, i.e. cosine for L2-normalised
 * rows; ties go to the lower index), flat or two-level.
 *
 * <p>A two-level index has coarse centroids, and the fine centroids ordered by coarse cluster: fine
 * centroids {@code [fineOffsets[j], fineOffsets[j+1])} belong to coarse cluster j. {@link #assign} then finds
 * the nearest coarse centroid and the nearest fine centroid under it (about 2 sqrt(K) dot products per point,
 * an approximation of the exact search that the clustering was trained to match); {@link #assignExhaustive}
 * searches all K fine centroids.
 *
 * <p><b>Memory.</b> The centroid arrays are wrapped, not copied: whoever allocated them (usually the
 * {@link MemoryScope} of an {@link InterestModel}) keeps them alive while this index is used. Each call
 * allocates its temporaries in its own short-lived scope (on the heap for a few points) and frees them before
 * returning.
 *
 * <p><b>Thread-safety.</b> Immutable; any number of threads may assign at once (the backend is thread-safe).
 */
public final class NearestCentroids {
    /** Up to this many points, hierarchical assignment keeps its temporaries on the heap. */
    private static final int SMALL_BATCH = 256;

    private final F32Array centroids;
    private final int k;
    private final int dim;
    private final F32Array coarse;
    private final int[] fineOffsets;

    private NearestCentroids(F32Array centroids, int k, int dim, F32Array coarse, int[] fineOffsets) {
        this.centroids = centroids;
        this.k = k;
        this.dim = dim;
        this.coarse = coarse;
        this.fineOffsets = fineOffsets;
    }

    /** A flat index over {@code k} centroids (row-major, k x dim), wrapped without copying. */
    public static NearestCentroids flat(F32Array centroids, int k, int dim) {
        check(centroids, "centroids", k, dim);
        return new NearestCentroids(centroids, k, dim, null, null);
    }

    /**
     * A two-level index, wrapped without copying.
     *
     * @param coarse      coarseK x dim coarse centroids
     * @param fine        K x dim fine centroids, grouped by coarse cluster
     * @param fineOffsets coarseK + 1 entries: 0, strictly increasing (every coarse cluster owns at least one fine
     *                    centroid), last entry K; copied
     */
    public static NearestCentroids twoLevel(F32Array coarse, int coarseK, F32Array fine, int[] fineOffsets, int dim) {
        if (fineOffsets == null || fineOffsets.length != coarseK + 1) {
            throw new IllegalArgumentException("fineOffsets must have coarseK + 1 = " + (coarseK + 1) + " entries");
        }
        if (fineOffsets[0] != 0) throw new IllegalArgumentException("fineOffsets[0] must be 0, got " + fineOffsets[0]);
        for (int j = 0; j < coarseK; j++) {
            if (fineOffsets[j + 1] <= fineOffsets[j]) {
                throw new IllegalArgumentException("coarse cluster " + j + " owns no fine centroid: fineOffsets[" + j + "] = " + fineOffsets[j]
                        + ", fineOffsets[" + (j + 1) + "] = " + fineOffsets[j + 1]);
            }
        }
        int kFine = fineOffsets[coarseK];
        check(coarse, "coarse centroids", coarseK, dim);
        check(fine, "fine centroids", kFine, dim);
        return new NearestCentroids(fine, kFine, dim, coarse, fineOffsets.clone());
    }

    private static void check(F32Array a, String what, int rows, int dim) {
        if (rows < 1) throw new IllegalArgumentException("need at least one row of " + what + ", got " + rows);
        if (dim < 1) throw new IllegalArgumentException("dim must be >= 1, got " + dim);
        if (a.length() < (long) rows * dim) throw new IllegalArgumentException(what + ": " + rows + " x " + dim + " does not fit in an array of " + a.length());
    }

    /** Number of (fine) centroids, i.e. interests. */
    public int k() {
        return k;
    }

    public int dim() {
        return dim;
    }

    /** The K x dim (fine) centroids; wrapped, owned by whoever allocated them. */
    public F32Array centroids() {
        return centroids;
    }

    public boolean isTwoLevel() {
        return coarse != null;
    }

    /** Number of coarse clusters; 0 for a flat index. */
    public int coarseK() {
        return coarse == null ? 0 : fineOffsets.length - 1;
    }

    /** The coarse centroids of a two-level index, else null. */
    public F32Array coarseCentroids() {
        return coarse;
    }

    /** A copy of the fine offsets of a two-level index, else null. */
    public int[] fineOffsets() {
        return fineOffsets == null ? null : fineOffsets.clone();
    }

    /** The coarse cluster that owns fine centroid {@code interest} (two-level only). */
    public int coarseOf(int interest) {
        if (coarse == null) throw new IllegalStateException("a flat index has no coarse clusters");
        if (interest < 0 || interest >= k) throw new IndexOutOfBoundsException("interest " + interest + " outside [0, " + k + ")");
        int lo = 0, hi = fineOffsets.length - 2;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (fineOffsets[mid] <= interest) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /**
     * The interest of each of n points (row-major, n x dim) and its dot product with that centroid: flat search
     * for a flat index, coarse-then-fine for a two-level one.
     */
    public void assign(Backend backend, F32Array points, int n, I32Array outIndex, F32Array outScore) {
        checkCall(points, n, outIndex, outScore);
        if (coarse == null) {
            backend.assignNearest(points, n, centroids, k, dim, outIndex, outScore);
            return;
        }
        if (n == 0) return;
        if (n <= SMALL_BATCH) {
            // A few points (single look-ups at encode time): heap temporaries, no scope to open and close.
            assignHierarchical(backend, points, n, outIndex, outScore, null);
            return;
        }
        try (MemoryScope tmp = MemoryScope.root("lurm-nearest-centroids")) {
            assignHierarchical(backend, points, n, outIndex, outScore, tmp);
        }
    }

    /** Temporaries go to {@code tmp}, or to the heap when it is null. */
    private void assignHierarchical(Backend backend, F32Array points, int n, I32Array outIndex, F32Array outScore, MemoryScope tmp) {
        int kc = fineOffsets.length - 1;
        I32Array ci = tmp != null ? tmp.allocateI32(n) : I32Array.wrap(new int[n]);
        F32Array cs = tmp != null ? tmp.allocateF32(n) : F32Array.wrap(new float[n]);
        backend.assignNearest(points, n, coarse, kc, dim, ci, cs);
        // Group the points by coarse cluster (counting sort, stable) so that each group is one GEMM-shaped call.
        int[] start = new int[kc + 1];
        for (int i = 0; i < n; i++) start[ci.get(i) + 1]++;
        for (int j = 0; j < kc; j++) start[j + 1] += start[j];
        int[] order = new int[n];
        int[] fill = start.clone();
        for (int i = 0; i < n; i++) order[fill[ci.get(i)]++] = i;
        int maxGroup = 0;
        for (int j = 0; j < kc; j++) maxGroup = Math.max(maxGroup, start[j + 1] - start[j]);
        // One group at a time through a buffer of the largest group: no n x dim copy to allocate and fill.
        F32Array buf = tmp != null ? tmp.allocateF32((long) maxGroup * dim) : F32Array.wrap(new float[maxGroup * dim]);
        I32Array gi = tmp != null ? tmp.allocateI32(maxGroup) : I32Array.wrap(new int[maxGroup]);
        F32Array gs = tmp != null ? tmp.allocateF32(maxGroup) : F32Array.wrap(new float[maxGroup]);
        MemorySegment src = points.segment(), dst = buf.segment();
        long rowBytes = (long) dim * F32Array.BYTES;
        for (int j = 0; j < kc; j++) {
            int cnt = start[j + 1] - start[j];
            if (cnt == 0) continue;
            for (int q = 0; q < cnt; q++) MemorySegment.copy(src, order[start[j] + q] * rowBytes, dst, q * rowBytes, rowBytes);
            int f0 = fineOffsets[j], kj = fineOffsets[j + 1] - f0;
            backend.assignNearest(buf, cnt, centroids.slice((long) f0 * dim, (long) kj * dim), kj, dim, gi, gs);
            for (int q = 0; q < cnt; q++) {
                int i = order[start[j] + q];
                outIndex.set(i, f0 + gi.get(q));
                outScore.set(i, gs.get(q));
            }
        }
    }

    /** The nearest of all K (fine) centroids for each of n points: exact, K dot products per point. */
    public void assignExhaustive(Backend backend, F32Array points, int n, I32Array outIndex, F32Array outScore) {
        checkCall(points, n, outIndex, outScore);
        backend.assignNearest(points, n, centroids, k, dim, outIndex, outScore);
    }

    /** {@link #assign} (or {@link #assignExhaustive} when {@code exhaustive}) for one point. */
    public int assign(Backend backend, float[] point, boolean exhaustive) {
        if (point == null || point.length != dim) {
            throw new IllegalArgumentException("point must have dim = " + dim + " values, got " + (point == null ? "null" : point.length));
        }
        int[] idx = new int[1];
        float[] score = new float[1];
        if (exhaustive) assignExhaustive(backend, F32Array.wrap(point), 1, I32Array.wrap(idx), F32Array.wrap(score));
        else assign(backend, F32Array.wrap(point), 1, I32Array.wrap(idx), F32Array.wrap(score));
        return idx[0];
    }

    private void checkCall(F32Array points, int n, I32Array outIndex, F32Array outScore) {
        if (n < 0) throw new IllegalArgumentException("negative point count " + n);
        if (points.length() < (long) n * dim) throw new IllegalArgumentException("points: " + n + " x " + dim + " does not fit in an array of " + points.length());
        if (outIndex.length() < n || outScore.length() < n) throw new IllegalArgumentException("outputs shorter than n = " + n);
    }

    @Override
    public String toString() {
        return "NearestCentroids[k=" + k + ", dim=" + dim + (coarse == null ? ", flat]" : ", two-level, coarseK=" + coarseK() + "]");
    }
}
