package org.lurm.cluster;

import java.util.Arrays;
import org.lurm.backend.Backend;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.MemoryScope;

/**
 * The K interests of MODEL.md, Stage 1: the centroids of the item embeddings, the interest of every item,
 * each interest's most typical items (for showing to a person), and nearest-centroid assignment of embeddings
 * not seen in training (cold-start items at encode time).
 *
 * <p>Build one with {@link #build} (spherical k-means, {@link SphericalKMeans}) or, for centroids that already
 * exist (a loaded model), with {@link #fromCentroids}.
 *
 * <p><b>Memory.</b> The centroids, the item-to-interest table, the item scores and the typical-item lists are
 * off-heap arrays allocated in the {@link MemoryScope} given at construction and live exactly as long as it:
 * accessors return views of them, not copies (except the {@code int[]}/{@code float[]} accessors, which
 * copy). The input embeddings are read during construction only and never retained. Assignment calls allocate
 * their temporaries in their own short-lived scopes.
 *
 * <p><b>Thread-safety.</b> Immutable once built: any number of threads may read it and assign at once.
 */
public final class InterestModel {
    private final NearestCentroids index;
    private final boolean exhaustive;
    private final int numItems;
    private final I32Array itemInterest;
    private final F32Array itemScore;
    private final I32Array interestSize;
    private final I32Array typicalOffsets;
    private final I32Array typicalItems;
    private final F32Array typicalScores;
    private final double objective;
    private final int presentItems;
    private final KMeansResult clustering;

    private InterestModel(NearestCentroids index, boolean exhaustive, int numItems, I32Array itemInterest, F32Array itemScore,
                          int presentItems, double objective, int typicalN, KMeansResult clustering, MemoryScope scope) {
        this.index = index;
        this.exhaustive = exhaustive;
        this.numItems = numItems;
        this.itemInterest = itemInterest;
        this.itemScore = itemScore;
        this.presentItems = presentItems;
        this.objective = objective;
        this.clustering = clustering;
        int k = index.k();
        // Typical items: members of each interest by cosine descending, ties to the lower item index.
        int[] size = new int[k];
        for (int i = 0; i < numItems; i++) {
            int c = itemInterest.get(i);
            if (c >= 0) size[c]++;
        }
        int[] start = new int[k + 1];
        for (int c = 0; c < k; c++) start[c + 1] = start[c] + size[c];
        long[] keys = new long[start[k]];
        int[] fill = Arrays.copyOf(start, k);
        for (int i = 0; i < numItems; i++) {
            int c = itemInterest.get(i);
            if (c >= 0) keys[fill[c]++] = ((long) ~SphericalKMeans.sortableFloat(itemScore.get(i)) << 32) | i;
        }
        int[] offsets = new int[k + 1];
        for (int c = 0; c < k; c++) offsets[c + 1] = offsets[c] + Math.min(typicalN, size[c]);
        this.interestSize = scope.copyOf(size);
        this.typicalOffsets = scope.copyOf(offsets);
        this.typicalItems = scope.allocateI32(offsets[k]);
        this.typicalScores = scope.allocateF32(offsets[k]);
        for (int c = 0; c < k; c++) {
            Arrays.sort(keys, start[c], start[c + 1]);
            for (int t = 0; t < offsets[c + 1] - offsets[c]; t++) {
                int item = (int) keys[start[c] + t];
                typicalItems.set(offsets[c] + t, item);
                typicalScores.set(offsets[c] + t, itemScore.get(item));
            }
        }
    }

    /**
     * Clusters the item embeddings into interests.
     *
     * @param embeddings numItems x dim L2-normalised rows (row-major); read only during the call
     * @param present    which items have an embedding (null: all); the others get interest -1
     * @param scope      owner of every array of the model
     */
    public static InterestModel build(F32Array embeddings, int numItems, int dim, boolean[] present, InterestConfig config,
                                      Backend backend, MemoryScope scope) {
        return build(embeddings, numItems, dim, present, config, backend, scope, org.lurm.progress.Progress.NONE);
    }

    /** {@link #build(F32Array, int, int, boolean[], InterestConfig, Backend, MemoryScope)}, reporting k-means' phases to {@code progress}. */
    public static InterestModel build(F32Array embeddings, int numItems, int dim, boolean[] present, InterestConfig config,
                                      Backend backend, MemoryScope scope, org.lurm.progress.Progress progress) {
        if (config == null) throw new IllegalArgumentException("config must not be null");
        KMeansResult r = SphericalKMeans.fit(embeddings, numItems, dim, present, config.clustering(), backend, scope, progress);
        return new InterestModel(r.index(), config.clustering().assignment() == KMeansConfig.Assignment.EXHAUSTIVE, numItems,
                r.assignment(), r.scores(), r.presentItems(), r.objective(), config.typicalItems(), r, scope);
    }

    /**
     * A model over existing centroids (for instance from a model file): assigns every present item with
     * {@code index} ({@link NearestCentroids#assign}, or exhaustively when {@code exhaustive}). The index's
     * arrays are wrapped, not copied, and must stay alive as long as the model.
     */
    public static InterestModel fromCentroids(NearestCentroids index, boolean exhaustive, F32Array embeddings, int numItems, boolean[] present,
                                              int typicalItems, Backend backend, MemoryScope scope) {
        int dim = index.dim();
        if (numItems < 0) throw new IllegalArgumentException("negative item count " + numItems);
        if (embeddings.length() < (long) numItems * dim) throw new IllegalArgumentException("embeddings: " + numItems + " x " + dim + " does not fit in an array of " + embeddings.length());
        if (present != null && present.length != numItems) throw new IllegalArgumentException("present has " + present.length + " entries, expected " + numItems);
        if (typicalItems < 0) throw new IllegalArgumentException("typicalItems must be >= 0, got " + typicalItems);
        I32Array table = scope.allocateI32(numItems);
        F32Array scores = scope.allocateF32(numItems);
        if (numItems > 0) {
            if (exhaustive) index.assignExhaustive(backend, embeddings, numItems, table, scores);
            else index.assign(backend, embeddings, numItems, table, scores);
        }
        double objective = 0;
        int m = 0;
        for (int i = 0; i < numItems; i++) {
            if (present != null && !present[i]) {
                table.set(i, -1);
                scores.set(i, Float.NaN);
            } else {
                objective += Math.max(0.0, 1.0 - scores.get(i));
                m++;
            }
        }
        return new InterestModel(index, exhaustive, numItems, table, scores, m, objective, typicalItems, null, scope);
    }

    /** Number of interests K (the effective K of the clustering). */
    public int numInterests() {
        return index.k();
    }

    /** Embedding width. */
    public int dim() {
        return index.dim();
    }

    /** Rows of the item table. */
    public int numItems() {
        return numItems;
    }

    /** Items with an embedding (and so an interest). */
    public int presentItems() {
        return presentItems;
    }

    /** K x dim unit centroids, a view of memory owned by the model's scope. */
    public F32Array centroids() {
        return index.centroids();
    }

    /** The centroids as a search index (flat or two-level). */
    public NearestCentroids index() {
        return index;
    }

    /** Whether unseen items are assigned by searching all K centroids rather than hierarchically. */
    public boolean exhaustiveAssignment() {
        return exhaustive;
    }

    /** Interest of every item (-1: no embedding); a view, owned by the model's scope. */
    public I32Array itemInterest() {
        return itemInterest;
    }

    /** Cosine of every item to its interest's centroid (NaN: no embedding); a view. */
    public F32Array itemScore() {
        return itemScore;
    }

    public int interestOf(int item) {
        checkItem(item);
        return itemInterest.get(item);
    }

    /** Number of items assigned to {@code interest}. */
    public int interestSize(int interest) {
        checkInterest(interest);
        return interestSize.get(interest);
    }

    /** The most typical items of {@code interest} (highest cosine first, ties to the lower item); a copy. */
    public int[] typicalItems(int interest) {
        checkInterest(interest);
        int a = typicalOffsets.get(interest), b = typicalOffsets.get(interest + 1);
        int[] out = new int[b - a];
        typicalItems.copyTo(a, out, 0, out.length);
        return out;
    }

    /** Cosines of {@link #typicalItems(int)}, in the same order; a copy. */
    public float[] typicalScores(int interest) {
        checkInterest(interest);
        int a = typicalOffsets.get(interest), b = typicalOffsets.get(interest + 1);
        float[] out = new float[b - a];
        typicalScores.copyTo(a, out, 0, out.length);
        return out;
    }

    /**
     * The interest of one embedding (it need not be normalised: for a positive multiple of a vector the largest
     * dot product and the largest cosine pick the same centroid).
     */
    public int assign(Backend backend, float[] embedding) {
        return index.assign(backend, embedding, exhaustive);
    }

    /**
     * The interests of n embeddings (row-major n x dim) and their dot products with the chosen centroids (the
     * cosine, for unit rows); outputs are written in place.
     */
    public void assign(Backend backend, F32Array embeddings, int n, I32Array outInterest, F32Array outScore) {
        if (exhaustive) index.assignExhaustive(backend, embeddings, n, outInterest, outScore);
        else index.assign(backend, embeddings, n, outInterest, outScore);
    }

    /** Sum over items with an embedding of (1 - cosine to its interest's centroid): the k-means objective. */
    public double objective() {
        return objective;
    }

    /** Mean cosine of an item to its interest's centroid. */
    public double meanCosine() {
        return presentItems == 0 ? Double.NaN : 1.0 - objective / presentItems;
    }

    /** How the clustering ran (sampling, iterations, effective K, ...); null for {@link #fromCentroids} models. */
    public KMeansResult clustering() {
        return clustering;
    }

    private void checkItem(int item) {
        if (item < 0 || item >= numItems) throw new IndexOutOfBoundsException("item " + item + " outside [0, " + numItems + ")");
    }

    private void checkInterest(int interest) {
        if (interest < 0 || interest >= index.k()) throw new IndexOutOfBoundsException("interest " + interest + " outside [0, " + index.k() + ")");
    }

    @Override
    public String toString() {
        return "InterestModel[K=" + numInterests() + ", dim=" + dim() + ", items=" + numItems + " (" + presentItems + " with an embedding), "
                + index + ", meanCosine=" + meanCosine() + "]";
    }
}
