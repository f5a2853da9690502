package org.lurm.cluster;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.lurm.backend.Backend;
import org.lurm.backend.cpu.Parallel;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.progress.Progress;

/**
 * Large-scale spherical k-means (cosine) of L2-normalised item embeddings into K interests (MODEL.md,
 * Stage 1, "Large-scale clustering module").
 *
 * <p><b>Algorithm.</b>
 * <ol>
 *   <li>Training sample: at most {@code maxPointsPerCentroid x K} items with an embedding, drawn uniformly
 *       without replacement. Identical rows are merged into one weighted row, so duplicates cost nothing and
 *       k-means++ can never pick the same point twice.</li>
 *   <li>Effective K = min(K, distinct training rows): with fewer distinct points than K, the extra centroids
 *       could only copy others and stay empty. {@link KMeansResult#k()} reports it.</li>
 *   <li>Flat (effective K up to {@code twoLevelThreshold}): k-means++ seeding on a sample of
 *       {@code seedingPointsPerCentroid x K} training rows (optionally greedy, {@code seedingTrials}), then Lloyd
 *       iterations: assignment by {@link Backend#assignNearest}, centroid = normalised (weighted) mean. An
 *       empty cluster is re-seeded with the training row farthest from its centroid (lowest cosine) taken from a
 *       cluster that keeps at least one row. Stops when an iteration lowers the objective by at most
 *       {@code tolerance} of it, changes no assignment, or after {@code maxIterations} updates.</li>
 *   <li>Two-level (effective K above the threshold): round(sqrt(K)) coarse clusters (flat run on at most
 *       {@code maxPointsPerCentroid} points per coarse centroid); every training row goes to its nearest coarse
 *       centroid; each coarse cluster gets a share of the K fine centroids proportional to its training items
 *       (largest remainder, at least one, at most its distinct rows) and is split by its own flat run. A point
 *       then needs about 2 sqrt(K) dot products: nearest coarse centroid, nearest fine centroid under it.</li>
 *   <li>Every item with an embedding is assigned (see {@link KMeansConfig.Assignment}); the objective is the
 *       sum of (1 - cosine) over all of them.</li>
 * </ol>
 *
 * <p><b>Determinism.</b> Every random draw comes from {@link SplittableRandom}s derived from the seed, all
 * reductions run in a fixed order, and the assignment of a point never depends on how points are split over
 * threads: a seed gives bitwise the same result for any thread count (on one backend).
 *
 * <p><b>Memory.</b> Inputs are read during the call only (never retained, never written). The centroids, the
 * item table and the item scores of the result are allocated in the caller's scope; temporaries (the training
 * rows, about {@code 4 x dim x maxPointsPerCentroid x K} bytes at most) live in a child scope that is closed
 * before returning.
 *
 * <p><b>Thread-safety.</b> Stateless; concurrent calls are independent.
 */
public final class SphericalKMeans {
    // Tags that derive independent random streams from the one seed.
    static final long TAG_SAMPLE = 1, TAG_SUBSAMPLE = 2, TAG_SEEDING_SAMPLE = 3, TAG_SEEDING = 4, TAG_COARSE = 5, TAG_FINE = 6;

    private SphericalKMeans() {
    }

    /**
     * Clusters the rows of {@code embeddings} marked present.
     *
     * @param embeddings n x dim, row-major; rows marked present must be finite with an L2 norm within
     *                   {@code config.normTolerance()} of 1
     * @param present    which rows have an embedding (length n); null means all
     * @param scope      owner of the result's centroids, item table and scores
     * @throws IllegalArgumentException naming the row when a present row is not finite or not normalised, or
     *                                  when no row is present
     */
    public static KMeansResult fit(F32Array embeddings, int n, int dim, boolean[] present, KMeansConfig config, Backend backend, MemoryScope scope) {
        return fit(embeddings, n, dim, present, config, backend, scope, Progress.NONE);
    }

    /**
     * {@link #fit(F32Array, int, int, boolean[], KMeansConfig, Backend, MemoryScope)}, reporting each phase to
     * {@code progress} as its own step with a known total: k-means++ seeding (centroids), Lloyd iterations (up to
     * {@code maxIterations}; a converged run ends early), and for two-level runs the coarse run's phases and then
     * the fine runs (groups), and the final assignment of the items (items).
     */
    public static KMeansResult fit(F32Array embeddings, int n, int dim, boolean[] present, KMeansConfig config, Backend backend, MemoryScope scope,
                                   Progress progress) {
        return run(embeddings, n, dim, present, config, backend, scope, null, 0, Progress.orNone(progress));
    }

    /**
     * A flat Lloyd run from the given initial centroids (no seeding; {@code config.k()} and the two-level threshold
     * are ignored, K is {@code initialK}). The initial rows are normalised and copied. Useful to refine an
     * existing interest model on new items, and to compare with other k-means implementations from the same start.
     */
    public static KMeansResult fit(F32Array embeddings, int n, int dim, boolean[] present, F32Array initialCentroids, int initialK,
                                   KMeansConfig config, Backend backend, MemoryScope scope) {
        if (initialCentroids == null) throw new IllegalArgumentException("initialCentroids must not be null");
        if (initialK < 1) throw new IllegalArgumentException("initialK must be >= 1, got " + initialK);
        if (initialCentroids.length() < (long) initialK * dim) {
            throw new IllegalArgumentException("initialCentroids: " + initialK + " x " + dim + " does not fit in an array of " + initialCentroids.length());
        }
        return run(embeddings, n, dim, present, config.withK(initialK), backend, scope, initialCentroids, initialK, Progress.NONE);
    }

    /**
     * The k-means++ centroids a flat {@link #fit} with the same arguments starts its Lloyd iterations from
     * (effective K x dim, allocated in {@code scope}); the effective K is {@code length() / dim}. Always flat,
     * whatever the two-level threshold.
     */
    public static F32Array seeds(F32Array embeddings, int n, int dim, boolean[] present, KMeansConfig config, Backend backend, MemoryScope scope) {
        int[] items = validate(embeddings, n, dim, present, config);
        try (MemoryScope scratch = scope.child("kmeans-seeding"); Parallel par = new Parallel(Math.max(1, backend.threads()))) {
            Ctx c = new Ctx(backend, par, config, dim, Progress.NONE);
            TrainingSet t = TrainingSet.sample(embeddings, items, dim, cap(config.maxPointsPerCentroid(), config.k()), mix(config.seed(), TAG_SAMPLE), scratch);
            int keff = Math.min(config.k(), t.m);
            F32Array out = scope.allocateF32((long) keff * dim);
            TrainingSet tr = t.subsample(cap(config.maxPointsPerCentroid(), keff), mix(config.seed(), TAG_SUBSAMPLE), scratch);
            seedPlusPlus(tr, keff, out, config.seed(), c, scratch);
            return out;
        }
    }

    private static KMeansResult run(F32Array embeddings, int n, int dim, boolean[] present, KMeansConfig cfg, Backend backend,
                                    MemoryScope scope, F32Array init, int initK, Progress progress) {
        int[] items = validate(embeddings, n, dim, present, cfg);
        try (MemoryScope scratch = scope.child("kmeans-scratch"); Parallel par = new Parallel(Math.max(1, backend.threads()))) {
            Ctx c = new Ctx(backend, par, cfg, dim, progress);
            TrainingSet t = TrainingSet.sample(embeddings, items, dim, cap(cfg.maxPointsPerCentroid(), cfg.k()), mix(cfg.seed(), TAG_SAMPLE), scratch);
            NearestCentroids index;
            RunStats stats;
            int coarseIterations = 0;
            if (init != null) {
                F32Array cent = scope.allocateF32((long) initK * dim);
                copyNormalised(init, initK, dim, cent);
                stats = flat(t, initK, cent, true, cfg.seed(), c, scratch);
                index = NearestCentroids.flat(cent, initK, dim);
            } else {
                int keff = Math.min(cfg.k(), t.m);
                if (keff > cfg.twoLevelThreshold()) {
                    TwoLevel tl = twoLevel(t, keff, c, scope, scratch);
                    index = tl.index;
                    stats = tl.fine;
                    coarseIterations = tl.coarseIterations;
                } else {
                    F32Array cent = scope.allocateF32((long) keff * dim);
                    stats = flat(t, keff, cent, false, cfg.seed(), c, scratch);
                    index = NearestCentroids.flat(cent, keff, dim);
                }
            }
            try (Progress.Task assign = progress.start("k-means: assign items", items.length, "items")) {
                KMeansResult r = finish(embeddings, n, dim, items, index, cfg, backend, scope, scratch, t, stats, coarseIterations);
                assign.advance(items.length);
                return r;
            }
        }
    }

    /** Assigns every present item, fills the table and the objective. */
    private static KMeansResult finish(F32Array embeddings, int n, int dim, int[] items, NearestCentroids index, KMeansConfig cfg,
                                       Backend backend, MemoryScope scope, MemoryScope scratch, TrainingSet t, RunStats stats, int coarseIterations) {
        I32Array table = scope.allocateI32(n);
        F32Array scores = scope.allocateF32(n);
        boolean exhaustive = cfg.assignment() == KMeansConfig.Assignment.EXHAUSTIVE;
        int m = items.length;
        if (m == n) {
            if (exhaustive) index.assignExhaustive(backend, embeddings, n, table, scores);
            else index.assign(backend, embeddings, n, table, scores);
        } else {
            // Absent rows may hold anything: assign a compact copy of the present rows only.
            F32Array rows = scratch.allocateF32((long) m * dim);
            gatherRows(embeddings, items, dim, rows);
            I32Array ti = scratch.allocateI32(m);
            F32Array ts = scratch.allocateF32(m);
            if (exhaustive) index.assignExhaustive(backend, rows, m, ti, ts);
            else index.assign(backend, rows, m, ti, ts);
            table.fill(-1);
            scores.fill(Float.NaN);
            for (int j = 0; j < m; j++) {
                table.set(items[j], ti.get(j));
                scores.set(items[j], ts.get(j));
            }
        }
        double objective = 0;
        int[] size = new int[index.k()];
        for (int item : items) {
            objective += Math.max(0.0, 1.0 - scores.get(item));
            size[table.get(item)]++;
        }
        int empty = 0;
        for (int s : size) if (s == 0) empty++;
        return new KMeansResult(index, table, scores, cfg.k(), m, (int) t.totalWeight, t.m, stats.iterations, coarseIterations,
                stats.converged, stats.reseeded, empty, objective);
    }

    // ---------------------------------------------------------------- validation

    /** Checks shapes and rows; returns the indices of the present rows, ascending. */
    private static int[] validate(F32Array emb, int n, int dim, boolean[] present, KMeansConfig cfg) {
        if (emb == null) throw new IllegalArgumentException("embeddings must not be null");
        if (cfg == null) throw new IllegalArgumentException("config must not be null");
        if (n < 0) throw new IllegalArgumentException("negative item count " + n);
        if (dim < 1) throw new IllegalArgumentException("embedding width must be >= 1, got " + dim);
        if (emb.length() < (long) n * dim) throw new IllegalArgumentException("embeddings: " + n + " x " + dim + " does not fit in an array of " + emb.length());
        if (present != null && present.length != n) throw new IllegalArgumentException("present has " + present.length + " entries, expected n = " + n);
        int m = 0;
        for (int i = 0; i < n; i++) if (present == null || present[i]) m++;
        if (m == 0) throw new IllegalArgumentException("no item has an embedding (n = " + n + "): nothing to cluster");
        int[] items = new int[m];
        float[] row = new float[dim];
        double tol = cfg.normTolerance();
        for (int i = 0, j = 0; i < n; i++) {
            if (present != null && !present[i]) continue;
            items[j++] = i;
            emb.copyTo((long) i * dim, row, 0, dim);
            double ss = 0;
            for (int d = 0; d < dim; d++) {
                float v = row[d];
                if (!Float.isFinite(v)) throw new IllegalArgumentException("embedding row " + i + ", dimension " + d + " is not finite: " + v);
                ss += (double) v * v;
            }
            double norm = Math.sqrt(ss);
            if (Math.abs(norm - 1.0) > tol) {
                throw new IllegalArgumentException("embedding row " + i + " has L2 norm " + norm + "; spherical k-means needs L2-normalised rows (|norm - 1| <= "
                        + tol + ", option normTolerance); mark rows without an embedding as absent instead of zero-filling them");
            }
        }
        return items;
    }

    private static void copyNormalised(F32Array src, int k, int dim, F32Array dst) {
        float[] row = new float[dim];
        for (int c = 0; c < k; c++) {
            src.copyTo((long) c * dim, row, 0, dim);
            double ss = 0;
            for (int d = 0; d < dim; d++) {
                if (!Float.isFinite(row[d])) throw new IllegalArgumentException("initial centroid " + c + ", dimension " + d + " is not finite: " + row[d]);
                ss += (double) row[d] * row[d];
            }
            if (ss == 0) throw new IllegalArgumentException("initial centroid " + c + " is the zero vector");
            double inv = 1.0 / Math.sqrt(ss);
            for (int d = 0; d < dim; d++) row[d] = (float) (row[d] * inv);
            dst.copyFrom(row, 0, (long) c * dim, dim);
        }
    }

    private static void gatherRows(F32Array src, int[] rows, int dim, F32Array dst) {
        MemorySegment s = src.segment(), d = dst.segment();
        long rb = (long) dim * F32Array.BYTES;
        for (int j = 0; j < rows.length; j++) MemorySegment.copy(s, rows[j] * rb, d, j * rb, rb);
    }

    static int cap(int perCentroid, int k) {
        return (int) Math.min(Integer.MAX_VALUE - 8L, (long) perCentroid * k);
    }

    /** An independent 64-bit stream id from (seed, tag) (SplitMix64 finaliser). */
    static long mix(long seed, long tag) {
        long z = seed + tag * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    // ---------------------------------------------------------------- flat k-means

    /** What every phase needs; {@code progress} is where the phases of this run (not of nested fine runs) report. */
    private record Ctx(Backend backend, Parallel par, KMeansConfig cfg, int dim, Progress progress, String label) {
        Ctx(Backend backend, Parallel par, KMeansConfig cfg, int dim, Progress progress) {
            this(backend, par, cfg, dim, progress, "k-means");
        }

        Ctx quiet() {
            return new Ctx(backend, par, cfg, dim, Progress.NONE, label);
        }

        Ctx labelled(String l) {
            return new Ctx(backend, par, cfg, dim, progress, l);
        }
    }

    private record RunStats(int iterations, boolean converged, int reseeded, double objective) {
    }

    /** One flat run on (a subsample of) {@code t}; writes k centroids to {@code cent}, seeding them unless {@code hasInit}. */
    private static RunStats flat(TrainingSet t, int k, F32Array cent, boolean hasInit, long seed, Ctx c, MemoryScope scratch) {
        TrainingSet tr = t.subsample(cap(c.cfg.maxPointsPerCentroid(), k), mix(seed, TAG_SUBSAMPLE), scratch);
        if (!hasInit) seedPlusPlus(tr, k, cent, seed, c, scratch);
        try (Backend.Retained points = c.backend.retain(tr.rows)) { // uploaded once for every Lloyd iteration on a device
            return lloyd(tr, k, cent, c, scratch);
        }
    }

    /**
     * Weighted k-means++ on a sample of {@code tr}: the first centroid is drawn with probability proportional to
     * the row weight, each next one proportional to weight x cosine distance to the nearest centroid so far
     * (which is half the squared Euclidean distance for unit vectors). With {@code seedingTrials} > 1, that many
     * candidates are drawn and the one leaving the smallest potential is kept. Chosen rows get distance exactly 0,
     * so a row (and, rows being distinct, a point) is never chosen twice; requires k <= tr.m.
     */
    private static void seedPlusPlus(TrainingSet tr, int k, F32Array cent, long seed, Ctx c, MemoryScope scratch) {
        int sampleSize = (int) Math.max(k, Math.min(tr.m, (long) c.cfg.seedingPointsPerCentroid() * k));
        TrainingSet s = tr.subsample(sampleSize, mix(seed, TAG_SEEDING_SAMPLE), scratch);
        try (Backend.Retained kept = c.backend.retain(s.rows)) { // every candidate's distances read the same sample
            seedPlusPlusOn(s, k, cent, seed, c, scratch);
        }
    }

    private static void seedPlusPlusOn(TrainingSet s, int k, F32Array cent, long seed, Ctx c, MemoryScope scratch) {
        int dim = c.dim;
        int m = s.m;
        if (k > m) throw new IllegalStateException("k-means++ needs k <= distinct rows: k = " + k + ", rows = " + m);
        SplittableRandom rnd = new SplittableRandom(mix(seed, TAG_SEEDING));
        double[] dist = new double[m];
        double[] candDist = new double[m];
        double[] bestDist = new double[m];
        boolean[] chosen = new boolean[m];
        I32Array idx = scratch.allocateI32(m);
        F32Array dots = scratch.allocateF32(m);
        F32Array cand = scratch.allocateF32(dim);

        // First centroid: proportional to weight.
        double r = rnd.nextDouble() * s.totalWeight;
        int first = m - 1;
        double cum = 0;
        for (int i = 0; i < m; i++) {
            cum += s.weight[i];
            if (cum > r) {
                first = i;
                break;
            }
        }
        Arrays.fill(dist, Double.POSITIVE_INFINITY);
        try (Progress.Task task = c.progress.start(c.label + ": k-means++ seeding", k, "centroids")) {
            task.status("from " + m + " rows");
            distancesTo(s, first, cand, idx, dots, c, bestDist);
            take(s, first, 0, cent, chosen, dist, bestDist);
            task.advance(1);
            seedRest(s, k, cent, rnd, c, task, dist, candDist, bestDist, chosen, idx, dots, cand);
        }
    }

    private static void seedRest(TrainingSet s, int k, F32Array cent, SplittableRandom rnd, Ctx c, Progress.Task task, double[] dist,
                                 double[] candDist, double[] bestDist, boolean[] chosen, I32Array idx, F32Array dots, F32Array cand) {
        int m = s.m;
        int trials = c.cfg.seedingTrials();
        for (int j = 1; j < k; j++, task.advance(1)) {
            int best = -1;
            double bestPot = Double.POSITIVE_INFINITY;
            if (trials == 1) {
                int pick = draw(s, dist, chosen, rnd);
                distancesTo(s, pick, cand, idx, dots, c, bestDist);
                take(s, pick, j, cent, chosen, dist, bestDist);
                continue;
            }
            for (int trial = 0; trial < trials; trial++) {
                int pick = draw(s, dist, chosen, rnd);
                distancesTo(s, pick, cand, idx, dots, c, candDist);
                double pot = 0;
                for (int i = 0; i < m; i++) pot += s.weight[i] * Math.min(dist[i], candDist[i]);
                if (pot < bestPot) {
                    bestPot = pot;
                    best = pick;
                    System.arraycopy(candDist, 0, bestDist, 0, m);
                }
            }
            take(s, best, j, cent, chosen, dist, bestDist);
        }
    }

    /** Draws a row with probability proportional to weight x distance; a row at distance 0 (chosen) never comes out. */
    private static int draw(TrainingSet s, double[] dist, boolean[] chosen, SplittableRandom rnd) {
        int m = s.m;
        double total = 0;
        for (int i = 0; i < m; i++) total += s.weight[i] * dist[i];
        if (total > 0 && Double.isFinite(total)) {
            double r = rnd.nextDouble() * total;
            double cum = 0;
            int lastPositive = -1;
            for (int i = 0; i < m; i++) {
                double w = s.weight[i] * dist[i];
                if (w > 0) {
                    cum += w;
                    lastPositive = i;
                    if (cum > r) return i;
                }
            }
            if (lastPositive >= 0) return lastPositive; // only when rounding left r at the very top
        }
        // Every remaining row sits on a chosen centroid up to rounding: take the first row not chosen yet.
        for (int i = 0; i < m; i++) if (!chosen[i]) return i;
        throw new IllegalStateException("k-means++ ran out of distinct rows");
    }

    /** Cosine distance max(0, 1 - x.c) of every row of s to row {@code row} of s. */
    private static void distancesTo(TrainingSet s, int row, F32Array cand, I32Array idx, F32Array dots, Ctx c, double[] out) {
        int dim = c.dim;
        MemorySegment.copy(s.rows.segment(), (long) row * dim * F32Array.BYTES, cand.segment(), 0, (long) dim * F32Array.BYTES);
        c.backend.assignNearest(s.rows, s.m, cand, 1, dim, idx, dots);
        for (int i = 0; i < s.m; i++) out[i] = Math.max(0.0, 1.0 - dots.get(i));
    }

    private static void take(TrainingSet s, int row, int j, F32Array cent, boolean[] chosen, double[] dist, double[] newDist) {
        int dim = s.dim;
        MemorySegment.copy(s.rows.segment(), (long) row * dim * F32Array.BYTES, cent.segment(), (long) j * dim * F32Array.BYTES, (long) dim * F32Array.BYTES);
        chosen[row] = true;
        for (int i = 0; i < s.m; i++) if (newDist[i] < dist[i]) dist[i] = newDist[i];
        dist[row] = 0;
    }

    /** Lloyd iterations from the centroids in {@code cent}; the final centroids are left there. */
    private static RunStats lloyd(TrainingSet t, int k, F32Array cent, Ctx c, MemoryScope scratch) {
        int m = t.m;
        double tol = c.cfg.tolerance();
        I32Array idxArr = scratch.allocateI32(m);
        F32Array scoreArr = scratch.allocateF32(m);
        int[] idx = new int[m];
        int[] prev = new int[m];
        float[] score = new float[m];
        int[] counts = new int[k];
        double prevObjective = Double.POSITIVE_INFINITY;
        int reseeded = 0;
        int updates = 0;
        boolean converged = false;
        double objective;
        try (Progress.Task task = c.progress.start(c.label + ": Lloyd iterations", c.cfg.maxIterations(), "iterations")) {
            while (true) {
                c.backend.assignNearest(t.rows, m, cent, k, c.dim, idxArr, scoreArr);
                idxArr.copyTo(0, idx, 0, m);
                scoreArr.copyTo(0, score, 0, m);
                objective = 0;
                Arrays.fill(counts, 0);
                int changed = 0;
                for (int i = 0; i < m; i++) {
                    objective += t.weight[i] * Math.max(0.0, 1.0 - score[i]);
                    counts[idx[i]]++;
                    if (idx[i] != prev[i]) changed++;
                }
                int empty = 0;
                for (int j = 0; j < k; j++) if (counts[j] == 0) empty++;
                if (updates > 0 && empty == 0 && (changed == 0 || prevObjective - objective <= tol * prevObjective)) {
                    converged = true;
                    break;
                }
                if (updates >= c.cfg.maxIterations()) break;
                if (empty > 0) reseeded += reseed(idx, score, counts, k, empty);
                update(t, idx, counts, k, cent, c);
                updates++;
                prevObjective = objective;
                System.arraycopy(idx, 0, prev, 0, m);
                task.status(String.format(java.util.Locale.ROOT, "%d of %d rows moved, objective %.4g", changed, m, objective));
                task.advance(1);
            }
            if (converged) task.status("converged after " + updates + " iterations");
        }
        return new RunStats(updates, converged, reseeded, objective);
    }

    /**
     * Moves the farthest rows (lowest cosine to their centroid, ties to the lower row) into the empty clusters,
     * each taken from a cluster that keeps at least one row; the following update makes each such row its
     * cluster's centroid. Returns how many clusters were re-seeded (fewer than {@code empty} only when there are
     * fewer distinct rows than clusters, which happens only with caller-given initial centroids).
     */
    private static int reseed(int[] idx, float[] score, int[] counts, int k, int empty) {
        int m = idx.length;
        long[] keys = new long[m];
        for (int i = 0; i < m; i++) keys[i] = ((long) sortableFloat(score[i]) << 32) | i;
        Arrays.sort(keys);
        int done = 0;
        int target = 0;
        for (int p = 0; p < m && done < empty; p++) {
            int i = (int) keys[p];
            if (counts[idx[i]] <= 1) continue;
            while (counts[target] != 0) target++;
            counts[idx[i]]--;
            idx[i] = target;
            counts[target] = 1;
            done++;
        }
        return done;
    }

    /** An int whose signed order is the order of the (non-NaN) float. */
    static int sortableFloat(float f) {
        int b = Float.floatToIntBits(f);
        return b ^ ((b >> 31) & 0x7fffffff);
    }

    /** Centroid = normalised weighted mean of its rows; parallel over clusters, each summed in row order (deterministic). */
    private static void update(TrainingSet t, int[] idx, int[] counts, int k, F32Array cent, Ctx c) {
        int m = t.m, dim = c.dim;
        int[] start = new int[k + 1];
        for (int j = 0; j < k; j++) start[j + 1] = start[j] + counts[j];
        int[] order = new int[m];
        int[] fill = Arrays.copyOf(start, k);
        for (int i = 0; i < m; i++) order[fill[idx[i]]++] = i;
        MemorySegment rows = t.rows.segment();
        long minChunk = Math.max(1, (1L << 16) / Math.max(1L, (long) dim * Math.max(1, m / k)));
        c.par.forRange(k, minChunk, (chunk, lo, hi) -> {
            double[] acc = new double[dim];
            float[] row = new float[dim];
            for (int j = (int) lo; j < hi; j++) {
                if (start[j] == start[j + 1]) continue; // still empty: keep the old centroid
                Arrays.fill(acc, 0);
                for (int p = start[j]; p < start[j + 1]; p++) {
                    int i = order[p];
                    MemorySegment.copy(rows, F32Array.LAYOUT, (long) i * dim * F32Array.BYTES, row, 0, dim);
                    double w = t.weight[i];
                    for (int d = 0; d < dim; d++) acc[d] += w * row[d];
                }
                double ss = 0;
                for (int d = 0; d < dim; d++) ss += acc[d] * acc[d];
                if (!(ss > 0)) continue; // rows that cancel exactly: keep the old centroid
                double inv = 1.0 / Math.sqrt(ss);
                for (int d = 0; d < dim; d++) row[d] = (float) (acc[d] * inv);
                cent.copyFrom(row, 0, (long) j * dim, dim);
            }
        });
    }

    // ---------------------------------------------------------------- two-level

    private record TwoLevel(NearestCentroids index, RunStats fine, int coarseIterations) {
    }

    private static TwoLevel twoLevel(TrainingSet t, int keff, Ctx c, MemoryScope scope, MemoryScope scratch) {
        int dim = c.dim;
        long seed = c.cfg.seed();
        int kc = (int) Math.max(1, Math.min(keff, Math.round(Math.sqrt(keff))));
        F32Array coarse = scratch.allocateF32((long) kc * dim);
        RunStats cs = flat(t, kc, coarse, false, mix(seed, TAG_COARSE), c.labelled("k-means coarse (" + kc + " centroids)"), scratch);

        // Route every training row to its nearest coarse centroid, as items will be routed later.
        I32Array gi = scratch.allocateI32(t.m);
        F32Array gs = scratch.allocateF32(t.m);
        c.backend.assignNearest(t.rows, t.m, coarse, kc, dim, gi, gs);
        int[] group = gi.toArray();
        int[] rowsIn = new int[kc];
        long[] itemsIn = new long[kc];
        for (int i = 0; i < t.m; i++) {
            rowsIn[group[i]]++;
            itemsIn[group[i]] += t.weight[i];
        }
        // Drop coarse clusters that received no row (possible after the last centroid update).
        int[] keep = new int[kc];
        int kept = 0;
        for (int j = 0; j < kc; j++) if (rowsIn[j] > 0) keep[kept++] = j;
        int[] d = new int[kept];
        long[] w = new long[kept];
        for (int q = 0; q < kept; q++) {
            d[q] = rowsIn[keep[q]];
            w[q] = itemsIn[keep[q]];
        }
        int[] share = shares(keff, w, d);

        int[] offsets = new int[kept + 1];
        for (int q = 0; q < kept; q++) offsets[q + 1] = offsets[q] + share[q];
        F32Array fine = scope.allocateF32((long) keff * dim);
        F32Array coarseOut = scope.allocateF32((long) kept * dim);
        int[] members = new int[t.m];
        int[] start = new int[kc + 1];
        for (int j = 0; j < kc; j++) start[j + 1] = start[j] + rowsIn[j];
        int[] fill = Arrays.copyOf(start, kc);
        for (int i = 0; i < t.m; i++) members[fill[group[i]]++] = i;

        int maxIt = 0, reseeded = cs.reseeded;
        boolean converged = cs.converged;
        double objective = 0;
        Ctx quiet = c.quiet();
        try (Progress.Task task = c.progress.start("k-means fine (" + keff + " centroids)", keff, "centroids")) {
            task.status("in " + kept + " groups");
            for (int q = 0; q < kept; q++) {
                int j = keep[q];
                MemorySegment.copy(coarse.segment(), (long) j * dim * F32Array.BYTES, coarseOut.segment(), (long) q * dim * F32Array.BYTES, (long) dim * F32Array.BYTES);
                try (MemoryScope sub = scratch.child("fine-" + q)) {
                    TrainingSet part = t.select(members, start[j], start[j + 1], sub);
                    RunStats fs = flat(part, share[q], fine.slice((long) offsets[q] * dim, (long) share[q] * dim), false, mix(seed, TAG_FINE + 2L * j), quiet, sub);
                    maxIt = Math.max(maxIt, fs.iterations);
                    converged &= fs.converged;
                    reseeded += fs.reseeded;
                    objective += fs.objective;
                }
                task.advance(share[q]);
            }
        }
        NearestCentroids index = NearestCentroids.twoLevel(coarseOut, kept, fine, offsets, dim);
        return new TwoLevel(index, new RunStats(maxIt, converged, reseeded, objective), cs.iterations);
    }

    /**
     * Splits {@code total} fine centroids over groups proportionally to their items {@code w} (largest remainder),
     * each at least 1 and at most its distinct rows {@code d}. Requires groups <= total <= sum(d).
     */
    static int[] shares(int total, long[] w, int[] d) {
        int g = w.length;
        double sumW = 0;
        for (long x : w) sumW += x;
        double[] quota = new double[g];
        int[] s = new int[g];
        long assigned = 0;
        for (int q = 0; q < g; q++) {
            quota[q] = total * (w[q] / sumW);
            s[q] = (int) Math.max(1, Math.min(d[q], Math.floor(quota[q])));
            assigned += s[q];
        }
        long rem = total - assigned;
        int[] order = new int[g];
        double[] key = new double[g];
        while (rem != 0) {
            int e = 0;
            for (int q = 0; q < g; q++) {
                boolean eligible = rem > 0 ? s[q] < d[q] : s[q] > 1;
                if (eligible) {
                    order[e] = q;
                    // Give to the most under-served first, take from the most over-served first.
                    key[q] = rem > 0 ? quota[q] - s[q] : s[q] - quota[q];
                    e++;
                }
            }
            if (e == 0) throw new IllegalStateException("cannot split " + total + " centroids over " + g + " groups");
            sortDescending(order, e, key);
            long each = Math.max(1, Math.abs(rem) / e);
            for (int p = 0; p < e && rem != 0; p++) {
                int q = order[p];
                long room = rem > 0 ? d[q] - s[q] : s[q] - 1;
                int step = (int) Math.min(Math.min(each, room), Math.abs(rem));
                s[q] += rem > 0 ? step : -step;
                rem += rem > 0 ? -step : step;
            }
        }
        return s;
    }

    /** Sorts order[0..n) by key descending, ties by index ascending (insertion sort: n is about sqrt(K)). */
    private static void sortDescending(int[] order, int n, double[] key) {
        for (int i = 1; i < n; i++) {
            int v = order[i];
            int j = i - 1;
            while (j >= 0 && (key[order[j]] < key[v] || (key[order[j]] == key[v] && order[j] > v))) {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = v;
        }
    }

    // ---------------------------------------------------------------- training rows

    /** Distinct training rows (off-heap, m x dim) with their multiplicities. */
    static final class TrainingSet {
        final F32Array rows;
        final int m;
        final int dim;
        final int[] weight;
        final long totalWeight;

        private TrainingSet(F32Array rows, int m, int dim, int[] weight) {
            this.rows = rows;
            this.m = m;
            this.dim = dim;
            this.weight = weight;
            long tw = 0;
            for (int x : weight) tw += x;
            this.totalWeight = tw;
        }

        /** Up to {@code cap} of the given items drawn uniformly without replacement, identical rows merged. */
        static TrainingSet sample(F32Array emb, int[] items, int dim, int cap, long seed, MemoryScope scratch) {
            return dedup(emb, sampledItems(items, cap, seed), dim, scratch);
        }

        /** The items {@link #sample} draws, ascending: all of them when there are at most {@code cap}. */
        static int[] sampledItems(int[] items, int cap, long seed) {
            if (items.length <= cap) return items;
            int[] pick = items.clone();
            partialShuffle(pick, cap, new SplittableRandom(seed));
            pick = Arrays.copyOf(pick, cap);
            Arrays.sort(pick); // memory order: faster gathers, and the result does not depend on draw order
            return pick;
        }

        /** Merges identical rows (bitwise, with -0 = +0); the first occurrence keeps its place. */
        private static TrainingSet dedup(F32Array emb, int[] pick, int dim, MemoryScope scratch) {
            int p = pick.length;
            if (p > (1 << 29)) throw new IllegalArgumentException("at most 2^29 training items supported, got " + p + " (lower maxPointsPerCentroid)");
            int tableSize = Integer.highestOneBit(Math.max(4, p) * 2 - 1) << 1;
            int mask = tableSize - 1;
            int[] table = new int[tableSize];
            Arrays.fill(table, -1);
            int[] first = new int[p];
            int[] weight = new int[p];
            int m = 0;
            float[] row = new float[dim];
            float[] other = new float[dim];
            for (int j = 0; j < p; j++) {
                emb.copyTo((long) pick[j] * dim, row, 0, dim);
                int slot = (int) hash(row) & mask;
                while (true) {
                    int u = table[slot];
                    if (u < 0) {
                        table[slot] = m;
                        first[m] = pick[j];
                        weight[m] = 1;
                        m++;
                        break;
                    }
                    emb.copyTo((long) first[u] * dim, other, 0, dim);
                    if (sameRow(row, other)) {
                        weight[u]++;
                        break;
                    }
                    slot = (slot + 1) & mask;
                }
            }
            F32Array rows = scratch.allocateF32((long) m * dim);
            gatherRows(emb, Arrays.copyOf(first, m), dim, rows);
            return new TrainingSet(rows, m, dim, Arrays.copyOf(weight, m));
        }

        private static long hash(float[] row) {
            long h = 0x9E3779B97F4A7C15L;
            for (float v : row) {
                h ^= Float.floatToIntBits(v + 0.0f); // + 0.0f turns -0 into +0
                h *= 0xBF58476D1CE4E5B9L;
                h ^= h >>> 29;
            }
            return h ^ (h >>> 32);
        }

        private static boolean sameRow(float[] a, float[] b) {
            for (int d = 0; d < a.length; d++) if (Float.floatToIntBits(a[d] + 0.0f) != Float.floatToIntBits(b[d] + 0.0f)) return false;
            return true;
        }

        /** At most {@code cap} rows drawn uniformly without replacement (weights kept), or this set if it is small enough. */
        TrainingSet subsample(int cap, long seed, MemoryScope scratch) {
            if (m <= cap) return this;
            int[] pick = new int[m];
            for (int i = 0; i < m; i++) pick[i] = i;
            partialShuffle(pick, cap, new SplittableRandom(seed));
            pick = Arrays.copyOf(pick, cap);
            Arrays.sort(pick);
            return select(pick, 0, cap, scratch);
        }

        /** Rows {@code sel[from..to)} of this set (copied, weights kept). */
        TrainingSet select(int[] sel, int from, int to, MemoryScope scratch) {
            int cnt = to - from;
            F32Array out = scratch.allocateF32((long) cnt * dim);
            int[] w = new int[cnt];
            MemorySegment s = rows.segment(), d = out.segment();
            long rb = (long) dim * F32Array.BYTES;
            for (int j = 0; j < cnt; j++) {
                int i = sel[from + j];
                MemorySegment.copy(s, i * rb, d, j * rb, rb);
                w[j] = weight[i];
            }
            return new TrainingSet(out, cnt, dim, w);
        }

        private static void partialShuffle(int[] a, int count, SplittableRandom rnd) {
            for (int i = 0; i < count; i++) {
                int j = i + rnd.nextInt(a.length - i);
                int t = a[i];
                a[i] = a[j];
                a[j] = t;
            }
        }
    }
}
