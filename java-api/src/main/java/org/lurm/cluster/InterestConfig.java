package org.lurm.cluster;

/**
 * How an {@link InterestModel} is built.
 *
 * <p>Immutable and thread-safe.
 *
 * @param clustering   the k-means options (K, seed, sampling, two-level threshold, assignment mode, ...)
 * @param typicalItems how many most typical items (highest cosine to the centroid) each interest keeps for showing
 *                     to a person; at least 0. Default 10.
 */
public record InterestConfig(KMeansConfig clustering, int typicalItems) {
    public static final int DEFAULT_TYPICAL_ITEMS = 10;

    public InterestConfig {
        if (clustering == null) throw new IllegalArgumentException("clustering config must not be null");
        if (typicalItems < 0) throw new IllegalArgumentException("typicalItems must be >= 0, got " + typicalItems);
    }

    /** K interests, every other option at its default. */
    public static InterestConfig of(int k) {
        return new InterestConfig(KMeansConfig.of(k), DEFAULT_TYPICAL_ITEMS);
    }

    /** MODEL.md's default K for {@code items} items, every other option at its default. */
    public static InterestConfig forItems(long items) {
        return new InterestConfig(KMeansConfig.forItems(items), DEFAULT_TYPICAL_ITEMS);
    }

    public InterestConfig withClustering(KMeansConfig c) {
        return new InterestConfig(c, typicalItems);
    }

    public InterestConfig withTypicalItems(int n) {
        return new InterestConfig(clustering, n);
    }
}
