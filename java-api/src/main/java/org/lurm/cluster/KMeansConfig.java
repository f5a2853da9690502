package org.lurm.cluster;

/**
 * Options of the large-scale spherical k-means that turns item embeddings into interests (MODEL.md, Stage 1,
 * "Large-scale clustering module"). Every choice MODEL.md leaves open is a named option here; the defaults
 * are listed per component.
 *
 * <p>Immutable and thread-safe.
 *
 * @param k                        requested number of interests, at least 1. When the training points hold fewer
 *                                 distinct rows than k, the effective K is that number of distinct rows (see
 *                                 {@link KMeansResult#k()}): extra centroids could only duplicate others and
 *                                 stay empty forever.
 * @param seed                     seed of every random choice (sampling, k-means++); the same seed, input and
 *                                 options give bitwise the same result, for any thread count. Default 42.
 * @param maxIterations            Lloyd iterations (centroid updates) per k-means run, at least 1. Default 100.
 * @param tolerance                stop when an iteration lowers the objective by at most this fraction of it
 *                                 (or changes no assignment). Default 1e-5: at 1e-4, runs on overlapping
 *                                 clusters were seen to stop on a slow drift about 2 % above the optimum that
 *                                 Lloyd reaches from the same seeds.
 * @param maxPointsPerCentroid     training uses at most this many items per centroid, sampled uniformly
 *                                 without replacement (MODEL.md: 256). Applied at each level of the two-level
 *                                 scheme. Default 256.
 * @param seedingPointsPerCentroid k-means++ seeding runs on a sample of at most this many training points per
 *                                 centroid (seeding costs one pass over its sample per centroid). Default 32.
 * @param seedingTrials            candidates drawn per k-means++ step; the one that lowers the potential most is
 *                                 kept ("greedy k-means++"). 1 is classic k-means++. Default 1.
 * @param twoLevelThreshold        above this effective K the clustering is two-level: round(sqrt(K)) coarse
 *                                 clusters, each split into a share of the K fine ones proportional to its
 *                                 training points, so that assignment costs about 2 sqrt(K) dot products per
 *                                 item. Default 4096.
 * @param assignment               how items are assigned to interests in a two-level model, both for the
 *                                 item-to-interest table and for unseen items. Default
 *                                 {@link Assignment#HIERARCHICAL}. Flat models always search all centroids.
 * @param normTolerance            every present embedding row must have an L2 norm within this distance of 1;
 *                                 otherwise fitting fails naming the row. Default 1e-3.
 */
public record KMeansConfig(int k, long seed, int maxIterations, double tolerance, int maxPointsPerCentroid,
                           int seedingPointsPerCentroid, int seedingTrials, int twoLevelThreshold,
                           Assignment assignment, double normTolerance) {

    /** How a point finds its interest in a two-level model. */
    public enum Assignment {
        /** Nearest coarse centroid, then nearest fine centroid under it: about 2 sqrt(K) dot products. */
        HIERARCHICAL,
        /** Nearest of all K fine centroids: exact, K dot products. */
        EXHAUSTIVE
    }

    public static final long DEFAULT_SEED = 42L;
    public static final int DEFAULT_MAX_ITERATIONS = 100;
    public static final double DEFAULT_TOLERANCE = 1e-5;
    public static final int DEFAULT_MAX_POINTS_PER_CENTROID = 256;
    public static final int DEFAULT_SEEDING_POINTS_PER_CENTROID = 32;
    public static final int DEFAULT_SEEDING_TRIALS = 1;
    public static final int DEFAULT_TWO_LEVEL_THRESHOLD = 4096;
    public static final double DEFAULT_NORM_TOLERANCE = 1e-3;

    public KMeansConfig {
        if (k < 1) throw new IllegalArgumentException("k (number of interests) must be >= 1, got " + k);
        if (maxIterations < 1) throw new IllegalArgumentException("maxIterations must be >= 1, got " + maxIterations);
        if (!(tolerance >= 0) || Double.isInfinite(tolerance)) throw new IllegalArgumentException("tolerance must be finite and >= 0, got " + tolerance);
        if (maxPointsPerCentroid < 1) throw new IllegalArgumentException("maxPointsPerCentroid must be >= 1, got " + maxPointsPerCentroid);
        if (seedingPointsPerCentroid < 1) throw new IllegalArgumentException("seedingPointsPerCentroid must be >= 1, got " + seedingPointsPerCentroid);
        if (seedingTrials < 1) throw new IllegalArgumentException("seedingTrials must be >= 1, got " + seedingTrials);
        if (twoLevelThreshold < 1) throw new IllegalArgumentException("twoLevelThreshold must be >= 1, got " + twoLevelThreshold);
        if (assignment == null) throw new IllegalArgumentException("assignment must not be null");
        if (!(normTolerance > 0) || Double.isInfinite(normTolerance)) throw new IllegalArgumentException("normTolerance must be finite and > 0, got " + normTolerance);
    }

    /** All defaults with k interests. */
    public static KMeansConfig of(int k) {
        return new KMeansConfig(k, DEFAULT_SEED, DEFAULT_MAX_ITERATIONS, DEFAULT_TOLERANCE, DEFAULT_MAX_POINTS_PER_CENTROID,
                DEFAULT_SEEDING_POINTS_PER_CENTROID, DEFAULT_SEEDING_TRIALS, DEFAULT_TWO_LEVEL_THRESHOLD, Assignment.HIERARCHICAL,
                DEFAULT_NORM_TOLERANCE);
    }

    /**
     * The default K for a catalogue of {@code items} embedded items: min(100000, max(16, items)), i.e. one interest
     * per item up to 10^5 items, clusters of items above. MODEL.md's reconstruction had items / 2; measured on
     * MovieLens (docs/RESULTS.md, issue 10's ablation) merging co-rated items costs every method that reads the
     * BoI more than it saves, so interests stay as fine as the 10^5 cap allows (docs/DESIGN.md).
     */
    public static int defaultK(long items) {
        return (int) Math.min(100_000L, Math.max(16L, items));
    }

    /** All defaults with MODEL.md's default K for {@code items} items. */
    public static KMeansConfig forItems(long items) {
        return of(defaultK(items));
    }

    public KMeansConfig withK(int v) {
        return new KMeansConfig(v, seed, maxIterations, tolerance, maxPointsPerCentroid, seedingPointsPerCentroid, seedingTrials, twoLevelThreshold, assignment, normTolerance);
    }

    public KMeansConfig withSeed(long v) {
        return new KMeansConfig(k, v, maxIterations, tolerance, maxPointsPerCentroid, seedingPointsPerCentroid, seedingTrials, twoLevelThreshold, assignment, normTolerance);
    }

    public KMeansConfig withMaxIterations(int v) {
        return new KMeansConfig(k, seed, v, tolerance, maxPointsPerCentroid, seedingPointsPerCentroid, seedingTrials, twoLevelThreshold, assignment, normTolerance);
    }

    public KMeansConfig withTolerance(double v) {
        return new KMeansConfig(k, seed, maxIterations, v, maxPointsPerCentroid, seedingPointsPerCentroid, seedingTrials, twoLevelThreshold, assignment, normTolerance);
    }

    public KMeansConfig withMaxPointsPerCentroid(int v) {
        return new KMeansConfig(k, seed, maxIterations, tolerance, v, seedingPointsPerCentroid, seedingTrials, twoLevelThreshold, assignment, normTolerance);
    }

    public KMeansConfig withSeedingPointsPerCentroid(int v) {
        return new KMeansConfig(k, seed, maxIterations, tolerance, maxPointsPerCentroid, v, seedingTrials, twoLevelThreshold, assignment, normTolerance);
    }

    public KMeansConfig withSeedingTrials(int v) {
        return new KMeansConfig(k, seed, maxIterations, tolerance, maxPointsPerCentroid, seedingPointsPerCentroid, v, twoLevelThreshold, assignment, normTolerance);
    }

    public KMeansConfig withTwoLevelThreshold(int v) {
        return new KMeansConfig(k, seed, maxIterations, tolerance, maxPointsPerCentroid, seedingPointsPerCentroid, seedingTrials, v, assignment, normTolerance);
    }

    public KMeansConfig withAssignment(Assignment v) {
        return new KMeansConfig(k, seed, maxIterations, tolerance, maxPointsPerCentroid, seedingPointsPerCentroid, seedingTrials, twoLevelThreshold, v, normTolerance);
    }

    public KMeansConfig withNormTolerance(double v) {
        return new KMeansConfig(k, seed, maxIterations, tolerance, maxPointsPerCentroid, seedingPointsPerCentroid, seedingTrials, twoLevelThreshold, assignment, v);
    }
}
