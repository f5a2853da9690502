package org.lurm.cluster;

import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;

/**
 * The outcome of {@link SphericalKMeans#fit}: the centroids (as a {@link NearestCentroids} index), the
 * interest of every item, and what the run did.
 *
 * <p><b>Memory.</b> The centroids, the item-to-interest table and the item scores live in the
 * {@link org.lurm.memory.MemoryScope} passed to {@code fit}; they are valid while that scope is open.
 *
 * <p><b>Thread-safety.</b> Immutable after construction; safe to read from any thread.
 */
public final class KMeansResult {
    private final NearestCentroids index;
    private final I32Array assignment;
    private final F32Array scores;
    private final int requestedK;
    private final int presentItems;
    private final int trainingItems;
    private final int distinctTrainingItems;
    private final int iterations;
    private final int coarseIterations;
    private final boolean converged;
    private final int reseeded;
    private final int emptyInterests;
    private final double objective;

    KMeansResult(NearestCentroids index, I32Array assignment, F32Array scores, int requestedK, int presentItems, int trainingItems,
                 int distinctTrainingItems, int iterations, int coarseIterations, boolean converged, int reseeded, int emptyInterests,
                 double objective) {
        this.index = index;
        this.assignment = assignment;
        this.scores = scores;
        this.requestedK = requestedK;
        this.presentItems = presentItems;
        this.trainingItems = trainingItems;
        this.distinctTrainingItems = distinctTrainingItems;
        this.iterations = iterations;
        this.coarseIterations = coarseIterations;
        this.converged = converged;
        this.reseeded = reseeded;
        this.emptyInterests = emptyInterests;
        this.objective = objective;
    }

    /** The centroids and how points are assigned to them. */
    public NearestCentroids index() {
        return index;
    }

    /** Effective number of interests: the requested K, or the number of distinct training rows if that is smaller. */
    public int k() {
        return index.k();
    }

    public int requestedK() {
        return requestedK;
    }

    public int dim() {
        return index.dim();
    }

    /** K x dim unit centroids (fine centroids, grouped by coarse cluster, for a two-level result). */
    public F32Array centroids() {
        return index.centroids();
    }

    public boolean isTwoLevel() {
        return index.isTwoLevel();
    }

    /** Interest of every item row (-1 for rows without an embedding). */
    public I32Array assignment() {
        return assignment;
    }

    /** Cosine of every item to its interest's centroid (NaN for rows without an embedding). */
    public F32Array scores() {
        return scores;
    }

    /** Items with an embedding. */
    public int presentItems() {
        return presentItems;
    }

    /** Items sampled for training (at most maxPointsPerCentroid x K). */
    public int trainingItems() {
        return trainingItems;
    }

    /** Distinct embedding rows among the training items (duplicates are trained on once, with their count as weight). */
    public int distinctTrainingItems() {
        return distinctTrainingItems;
    }

    /** Lloyd iterations (centroid updates); for a two-level run, the most any fine run needed. */
    public int iterations() {
        return iterations;
    }

    /** Lloyd iterations of the coarse level of a two-level run; 0 for a flat run. */
    public int coarseIterations() {
        return coarseIterations;
    }

    /** Whether every k-means run stopped on the tolerance (or on unchanged assignments) before maxIterations. */
    public boolean converged() {
        return converged;
    }

    /** How many times an empty cluster was re-seeded from the farthest point. */
    public int reseeded() {
        return reseeded;
    }

    /** Interests that no item was assigned to in the final table (possible only when a run hit maxIterations). */
    public int emptyInterests() {
        return emptyInterests;
    }

    /** Sum over all items with an embedding of (1 - cosine to its interest's centroid), in double. */
    public double objective() {
        return objective;
    }

    /** Mean cosine of an item to its interest's centroid. */
    public double meanCosine() {
        return presentItems == 0 ? Double.NaN : 1.0 - objective / presentItems;
    }

    @Override
    public String toString() {
        return "KMeansResult[k=" + k() + " (requested " + requestedK + "), " + (isTwoLevel() ? "two-level, coarseK=" + index.coarseK() : "flat")
                + ", items=" + presentItems + ", training=" + trainingItems + " (" + distinctTrainingItems + " distinct)"
                + ", iterations=" + iterations + (isTwoLevel() ? " (coarse " + coarseIterations + ")" : "")
                + ", converged=" + converged + ", reseeded=" + reseeded + ", emptyInterests=" + emptyInterests
                + ", objective=" + objective + ", meanCosine=" + meanCosine() + "]";
    }
}
