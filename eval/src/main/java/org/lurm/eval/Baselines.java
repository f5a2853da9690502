package org.lurm.eval;

import java.util.List;
import java.util.SplittableRandom;
import org.lurm.backend.Backend;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.embed.CooccurrenceEmbedder;
import org.lurm.embed.EmbeddingInput;
import org.lurm.embed.ItemEmbeddings;
import org.lurm.events.EventTable;
import org.lurm.linalg.CsrMatrix;
import org.lurm.linalg.CsrOperator;
import org.lurm.linalg.RandomizedSvd;
import org.lurm.linalg.SvdResult;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.memory.MemoryScope;
import org.lurm.progress.Progress;

/**
 * The general-purpose baselines of EVALUATION.md, each as {@link Features} with one row per user index of the
 * events (users without events get a zero row):
 * <ol>
 * <li>{@link #rawBoi}: the lifetime Bag-of-Interests (every period of the finest scale summed, history row
 * included), weighted log(1 + x) · idf_k with the BoI set's idf, rows L2-normalised; sparse, K columns.</li>
 * <li>{@link #truncatedSvd} of it: U · diag(s) of the randomized SVD at the given width.</li>
 * <li>{@link #itemTfIdf} (user x item, the same weighting over items) then {@link #truncatedSvd}.</li>
 * <li>{@link #meanItemEmbedding}: the event-weighted mean of the item embeddings of the user's events.</li>
 * <li>{@link #randomProjection} of the raw BoI by a Gaussian matrix with N(0, 1/width) entries.</li>
 * </ol>
 * {@link #widthMatched} computes all five the one way the harness defines them (the same seeds and the same
 * mean item embedding wherever they are computed: {@link Benchmark}, {@code lurm evaluate}, {@code lurm demo}).
 * Temporaries live in a child scope closed before each method returns; results are on-heap.
 *
 * <p><b>Thread-safety.</b> Stateless; concurrent calls are independent.
 */
public final class Baselines {
    public static final String LURM = "LURM", RAW_BOI = "raw BoI", BOI_RSVD = "BoI + RSVD", ITEM_TFIDF_RSVD = "item TF-IDF + RSVD",
            MEAN_ITEM_EMBEDDING = "mean item embedding", RANDOM_PROJECTION = "random projection";

    private Baselines() {
    }

    /**
     * The five baselines of EVALUATION.md at LURM's width, in this order and with these names and seeds:
     * <ol>
     * <li>{@value #RAW_BOI}: {@link #rawBoi} of {@code boi} (sparse, K columns);</li>
     * <li>{@value #BOI_RSVD}: {@link #truncatedSvd} of it to {@code width}, seed {@code seed + 1};</li>
     * <li>{@value #ITEM_TFIDF_RSVD}: {@link #truncatedSvd} of {@link #itemTfIdf}, seed {@code seed + 2};</li>
     * <li>{@value #MEAN_ITEM_EMBEDDING}: {@link #meanItemEmbedding} over a co-occurrence item embedding trained on
     * {@code events} at width {@code width} ({@link CooccurrenceEmbedder.Options#forBoi}: the finest scale's
     * periods are the baskets; seed {@code embeddingSeed}, the Stage 1 seed), so that it is width-matched too;</li>
     * <li>{@value #RANDOM_PROJECTION}: {@link #randomProjection} of the raw BoI, seed {@code seed + 3}.</li>
     * </ol>
     * This is the one definition the harness and the command line share: the same events, BoI rows, width and
     * seeds give bit-identical vectors on the same backend and thread count.
     *
     * @param events        the events the representations are computed from (one row per user index)
     * @param boi           their BoI rows (from the fitted Stage 1 or a model's interests), over the same users
     * @param width         M·d', LURM's output width
     * @param seed          the evaluation seed; the random matrices use {@code seed + 1 .. seed + 3}
     * @param boiConfig     Stage 1's BoI configuration (its finest scale and origin define the embedding's baskets)
     * @param embeddingSeed Stage 1's seed (seeds the mean item embedding's co-occurrence embedding)
     * @param task          advanced by one per baseline computed; null for none
     */
    public static List<Features> widthMatched(EventTable events, BoiSet boi, int width, long seed, BoiConfig boiConfig, long embeddingSeed, Backend backend,
                                              MemoryScope scope, Progress.Task task) {
        if (boi.numUsers() != events.numUsers()) throw new IllegalArgumentException("BoI covers " + boi.numUsers() + " users, the events " + events.numUsers());
        if (width < 1) throw new IllegalArgumentException("width must be >= 1, got " + width);
        Progress.Task t = task == null ? Progress.Task.NONE : task;
        List<Features> out = new java.util.ArrayList<>(5);
        try (MemoryScope tmp = scope.child("baselines")) {
            Features raw = rawBoi(boi);
            out.add(raw);
            t.advance(1);
            out.add(truncatedSvd(BOI_RSVD, raw, width, seed + 1, backend, tmp));
            t.advance(1);
            out.add(truncatedSvd(ITEM_TFIDF_RSVD, itemTfIdf(events), width, seed + 2, backend, tmp));
            t.advance(1);
            ItemEmbeddings emb = new CooccurrenceEmbedder(CooccurrenceEmbedder.Options.forBoi(boiConfig).withDim(width).withSeed(embeddingSeed))
                    .embed(EmbeddingInput.of(events), backend, tmp);
            out.add(meanItemEmbedding(events, emb));
            t.advance(1);
            out.add(randomProjection(raw, width, seed + 3, backend));
            t.advance(1);
        }
        return List.copyOf(out);
    }

    /** Lifetime BoI at scale 0 (sum of all its rows, history included), log(1 + x) · idf, L2-normalised rows. */
    public static Features rawBoi(BoiSet boi) {
        int n = boi.numUsers(), k = boi.numInterests();
        long[] ptr = new long[n + 1];
        java.util.List<int[]> colsPer = new java.util.ArrayList<>(n);
        java.util.List<float[]> valsPer = new java.util.ArrayList<>(n);
        float[] acc = new float[k];
        boolean[] touched = new boolean[k];
        int[] list = new int[k];
        for (int u = 0; u < n; u++) {
            int m = 0;
            for (long row = boi.userRowStart(u); row < boi.userRowStart(u + 1); row++) {
                if (boi.rowScale(row) != 0) continue;
                for (long j = boi.rowStart(row); j < boi.rowEnd(row); j++) {
                    int c = boi.col(j);
                    if (!touched[c]) {
                        touched[c] = true;
                        list[m++] = c;
                    }
                    acc[c] += boi.val(j);
                }
            }
            java.util.Arrays.sort(list, 0, m);
            int[] cc = new int[m];
            float[] vv = new float[m];
            double ss = 0;
            for (int q = 0; q < m; q++) {
                int c = list[q];
                cc[q] = c;
                vv[q] = (float) (Math.log1p(acc[c]) * boi.idf(c));
                ss += (double) vv[q] * vv[q];
                acc[c] = 0;
                touched[c] = false;
            }
            double inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
            for (int q = 0; q < m; q++) vv[q] = (float) (vv[q] * inv);
            colsPer.add(cc);
            valsPer.add(vv);
            ptr[u + 1] = ptr[u] + m;
        }
        return concat(RAW_BOI, n, k, ptr, colsPer, valsPer);
    }

    /** User x item TF-IDF: x = summed event weights, log(1 + x) · (log((1 + U) / (1 + df_i)) + 1), L2 rows. */
    public static Features itemTfIdf(EventTable events) {
        int n = events.numUsers(), items = events.numItems();
        org.lurm.events.UserGrouping g = org.lurm.events.UserGrouping.of(events);
        int[] df = new int[items];
        java.util.List<int[]> colsPer = new java.util.ArrayList<>(n);
        java.util.List<float[]> sums = new java.util.ArrayList<>(n);
        float[] acc = new float[items];
        boolean[] touched = new boolean[items];
        int[] list = new int[items];
        int[] start = g.userStart();
        for (int u = 0; u < n; u++) {
            int m = 0;
            for (int q = start[u]; q < start[u + 1]; q++) {
                int e = g.event(q);
                int it = events.item(e);
                if (!touched[it]) {
                    touched[it] = true;
                    list[m++] = it;
                }
                acc[it] += events.weight(e);
            }
            java.util.Arrays.sort(list, 0, m);
            int[] cc = java.util.Arrays.copyOf(list, m);
            float[] vv = new float[m];
            for (int q = 0; q < m; q++) {
                vv[q] = acc[cc[q]];
                if (vv[q] > 0) df[cc[q]]++;
                acc[cc[q]] = 0;
                touched[cc[q]] = false;
            }
            colsPer.add(cc);
            sums.add(vv);
        }
        long[] ptr = new long[n + 1];
        for (int u = 0; u < n; u++) {
            int[] cc = colsPer.get(u);
            float[] vv = sums.get(u);
            double ss = 0;
            for (int q = 0; q < cc.length; q++) {
                double idf = Math.log((1.0 + n) / (1.0 + df[cc[q]])) + 1;
                vv[q] = (float) (Math.log1p(vv[q]) * idf);
                ss += (double) vv[q] * vv[q];
            }
            double inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
            for (int q = 0; q < vv.length; q++) vv[q] = (float) (vv[q] * inv);
            ptr[u + 1] = ptr[u] + cc.length;
        }
        return concat(ITEM_TFIDF_RSVD, n, items, ptr, colsPer, sums);
    }

    /**
     * The rank-{@code width} randomized SVD of sparse features, as U · diag(s) (scikit-learn's
     * TruncatedSVD.transform); components past the matrix's rank are zero columns.
     */
    public static Features truncatedSvd(String name, Features sparse, int width, long seed, Backend backend, MemoryScope scope) {
        if (!sparse.isSparse()) throw new IllegalArgumentException("truncatedSvd expects sparse features");
        int n = sparse.rows();
        try (MemoryScope tmp = scope.child("baseline-svd")) {
            CsrMatrix a = toCsr(sparse, tmp);
            RandomizedSvd svd = new RandomizedSvd(backend, RandomizedSvd.Options.defaults().withSeed(seed).withComputeV(false));
            SvdResult r = svd.compute(CsrOperator.withTranspose(backend, a, tmp), width, tmp);
            float[] z = new float[n * width];
            r.u().copyTo(0, z, 0, z.length);
            double[] s = r.singularValues();
            for (int i = 0; i < n; i++) for (int c = 0; c < width; c++) z[i * width + c] = (float) (z[i * width + c] * s[c]);
            return Features.dense(name, z, n, width);
        }
    }

    /** Sparse features times a Gaussian matrix (dim x width, entries N(0, 1/width)) drawn from {@code seed}. */
    public static Features randomProjection(Features sparse, int width, long seed, Backend backend) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] r = new float[sparse.dim() * width];
        double sd = 1 / Math.sqrt(width);
        for (int i = 0; i < r.length; i++) r[i] = (float) (rnd.nextGaussian() * sd);
        float[] z = new float[sparse.rows() * width];
        sparse.multiply(backend, r, width, z);
        return Features.dense(RANDOM_PROJECTION, z, sparse.rows(), width);
    }

    /** Event-weighted mean of the embeddings of the user's items (items without an embedding are passed over). */
    public static Features meanItemEmbedding(EventTable events, ItemEmbeddings embeddings) {
        int n = events.numUsers(), e = embeddings.dim();
        float[] z = new float[n * e];
        double[] wsum = new double[n];
        double[] acc = new double[n * e];
        float[] v = new float[e];
        F32Array vec = embeddings.vectors();
        for (long i = 0; i < events.size(); i++) {
            int it = events.item(i);
            if (it >= embeddings.numItems() || !embeddings.isPresent(it)) continue;
            int u = events.user(i);
            float w = events.weight(i);
            vec.copyTo((long) it * e, v, 0, e);
            for (int c = 0; c < e; c++) acc[u * e + c] += w * v[c];
            wsum[u] += w;
        }
        for (int u = 0; u < n; u++) if (wsum[u] > 0) for (int c = 0; c < e; c++) z[u * e + c] = (float) (acc[u * e + c] / wsum[u]);
        return Features.dense(MEAN_ITEM_EMBEDDING, z, n, e);
    }

    /** Off-heap CSR copy of sparse features, in {@code scope}. */
    public static CsrMatrix toCsr(Features sparse, MemoryScope scope) {
        int n = sparse.rows();
        long nnz = sparse.storedValues();
        I64Array ptr = scope.allocateI64(n + 1);
        I32Array cols = scope.allocateI32(Math.max(1, nnz));
        F32Array vals = scope.allocateF32(Math.max(1, nnz));
        long[] p = sparse.csrRowPtr();
        int[] c = sparse.csrCols();
        float[] v = sparse.csrVals();
        for (int r = 0; r <= n; r++) ptr.set(r, p[r]);
        for (int j = 0; j < nnz; j++) {
            cols.set(j, c[j]);
            vals.set(j, v[j]);
        }
        return new CsrMatrix(n, sparse.dim(), ptr, cols, vals);
    }

    private static Features concat(String name, int n, int dim, long[] ptr, java.util.List<int[]> colsPer, java.util.List<float[]> valsPer) {
        int nnz = Math.toIntExact(ptr[n]);
        int[] cols = new int[nnz];
        float[] vals = new float[nnz];
        for (int u = 0; u < n; u++) {
            System.arraycopy(colsPer.get(u), 0, cols, (int) ptr[u], colsPer.get(u).length);
            System.arraycopy(valsPer.get(u), 0, vals, (int) ptr[u], valsPer.get(u).length);
        }
        return Features.sparse(name, n, dim, ptr, cols, vals);
    }
}
