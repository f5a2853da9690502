package org.lurm.smen.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.lurm.smen.ops.RowTestCases.relErr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.lurm.BagOfInterests;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiSet;
import org.lurm.events.io.MovieLens;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.smen.SmenBatch;
import org.lurm.smen.SmenLayout;
import org.lurm.testing.TestData;

/**
 * The anchor attention on real BoI rows: MovieLens-100k through Stage 1 (K = I/2 interests, 30- and 365-day
 * scales, weights log(1 + x) * idf), interest table V = the k-means centroids (e = h = 64).
 * Skips without the data (fails under CI=true).
 */
class AnchorAttentionMovieLensTest {
    @Test
    void realBoiRowsGiveWeightedMeansAgreeingKernelsAndFiniteDifferenceGradients() throws Exception {
        SplittableRandom r = new SplittableRandom(TestData.seed("anchor-attention-movielens"));
        try (MemoryScope scope = MemoryScope.root("t"); Backend backend = Backends.create(); Parallel par = new Parallel(2)) {
            MovieLens.Dataset d = MovieLens.read100k(TestData.dataset("movielens-100k"), scope);
            // Lenient: the few events of items too rare to be embedded by co-occurrence are skipped and counted.
            BagOfInterests.Config cfg = BagOfInterests.Config.defaults();
            BagOfInterests boi = BagOfInterests.fit(d.events(), d.catalog(), cfg.withBoi(cfg.boi().withLenient(true)), backend, scope, null);
            BoiSet set = boi.aggregate(d.events(), backend, scope);
            assertTrue(set.skippedEvents() < d.events().size() / 100, set.skippedEvents() + " events skipped");
            int k = boi.numInterests(), scales = set.config().scales().size(), h = boi.interests().dim();
            SmenLayout layout = RowTestCases.layout(k, scales, h, 8, 16);
            SmenBatch b = batch(set, 120, layout.config().recencyBuckets());
            assertTrue(b.nnz() > 2000, "a real batch: " + b.rows() + " rows, " + b.nnz() + " non-zeros");

            float[] p = RowTestCases.params(r, layout, 1.0);
            F32Array centroids = boi.interests().centroids();
            for (int x = 0; x < k * h; x++) p[layout.offset("V") + x] = centroids.get(x);
            int aOff = layout.offset("A"), nm = 8;

            // All anchors zero: r is the weight-averaged centroid of each row.
            float[] pz = p.clone();
            Arrays.fill(pz, aOff, aOff + nm * h, 0f);
            AnchorAttention op = AnchorAttention.create(layout);
            float[] out = new float[b.rows() * op.rowWidth()];
            op.forward(pz, b, out, null, par);
            double[] mean = new double[out.length];
            for (int t = 0; t < b.rows(); t++) {
                double sw = 0;
                for (int j = b.rowPtr()[t]; j < b.rowPtr()[t + 1]; j++) sw += b.vals()[j];
                for (int j = b.rowPtr()[t]; j < b.rowPtr()[t + 1]; j++) {
                    for (int m = 0; m < nm; m++) {
                        for (int i = 0; i < h; i++) mean[(t * nm + m) * h + i] += b.vals()[j] / sw * centroids.get((long) b.cols()[j] * h + i);
                    }
                }
            }
            assertTrue(relErr(out, mean) < 1e-5, "zero anchors: r vs weighted mean " + relErr(out, mean));

            // Random anchors: both kernels against the float64 reference, gradients along random directions.
            double[] pd = RowTestCases.toDouble(p);
            double[] ref = RowTestCases.refAttend(pd, layout, b);
            float[] dr = RowTestCases.randomFloats(r, out.length);
            double[] drd = RowTestCases.toDouble(dr);
            float[] grad0 = null;
            int[] touched0 = null;
            for (String kernels : new String[]{"scalar", "vector"}) {
                if (kernels.equals(RowKernels.VECTOR) && !AnchorAttention.vectorAvailable()) continue;
                AnchorAttention o = AnchorAttention.create(layout, kernels);
                float[] attn = new float[b.nnz() * nm];
                o.forward(p, b, out, attn, par);
                assertTrue(relErr(out, ref) < 1e-5, kernels + ": r vs float64 reference " + relErr(out, ref));
                float[] grad = new float[p.length];
                int[] touched = o.backward(p, b, attn, dr, grad, par);
                TreeSet<Integer> distinct = new TreeSet<>();
                for (int j = 0; j < b.nnz(); j++) distinct.add(b.cols()[j]);
                assertArrayEquals(distinct.stream().mapToInt(Integer::intValue).toArray(), touched, kernels + ": touched interests");
                for (int rep = 0; rep < 3; rep++) {
                    for (String block : new String[]{"V", "A"}) {
                        int off = layout.offset(block), n = (int) layout.tensor(block).size();
                        double[] dir = new double[n];
                        for (int x = 0; x < n; x++) dir[x] = RowTestCases.gaussian(r);
                        double an = 0;
                        for (int x = 0; x < n; x++) an += grad[off + x] * dir[x];
                        double eps = 1e-5;
                        double fd = (f(pd, off, dir, eps, layout, b, drd) - f(pd, off, dir, -eps, layout, b, drd)) / (2 * eps);
                        assertEquals(fd, an, 2e-4 * Math.abs(fd) + 1e-6, kernels + ": directional derivative along d" + block);
                    }
                }
                if (grad0 == null) {
                    grad0 = grad;
                    touched0 = touched;
                } else {
                    assertTrue(relErr(grad, grad0) < 1e-5, "vector vs scalar gradient " + relErr(grad, grad0));
                    assertArrayEquals(touched0, touched);
                }
            }
        }
    }

    /** f(p + eps * dir on one block) = sum dr * r in float64. */
    private static double f(double[] pd, int off, double[] dir, double eps, SmenLayout layout, SmenBatch b, double[] dr) {
        double[] q = pd.clone();
        for (int x = 0; x < dir.length; x++) q[off + x] += eps * dir[x];
        return RowTestCases.dot(dr, RowTestCases.refAttend(q, layout, b));
    }

    /** The first {@code users} users' rows as a SMEN batch: grouped by (user, scale), history first, then by period. */
    private static SmenBatch batch(BoiSet set, int users, int buckets) {
        int scales = set.config().scales().size();
        List<int[]> rowCols = new ArrayList<>();
        List<float[]> rowVals = new ArrayList<>();
        List<Integer> bucket = new ArrayList<>();
        int[] groupStart = new int[users * scales + 1];
        for (int u = 0; u < users; u++) {
            for (int s = 0; s < scales; s++) {
                List<Long> rows = new ArrayList<>();
                for (long row = set.userRowStart(u); row < set.userRowStart(u + 1); row++) if (set.rowScale(row) == s) rows.add(row);
                rows.sort(Comparator.comparing((Long row) -> !set.isHistory(row)).thenComparingLong(set::rowPeriod));
                long newest = rows.isEmpty() ? 0 : set.rowPeriod(rows.get(rows.size() - 1));
                for (long row : rows) {
                    int n = (int) (set.rowEnd(row) - set.rowStart(row));
                    int[] c = new int[n];
                    float[] v = new float[n];
                    for (int x = 0; x < n; x++) {
                        c[x] = set.col(set.rowStart(row) + x);
                        v[x] = set.weighted(set.rowStart(row) + x);
                    }
                    rowCols.add(c);
                    rowVals.add(v);
                    long age = newest - set.rowPeriod(row);
                    bucket.add(set.isHistory(row) ? buckets - 1 : (int) Math.min(buckets - 2, 63 - Long.numberOfLeadingZeros(age + 1)));
                }
                groupStart[u * scales + s + 1] = rowCols.size();
            }
        }
        int rows = rowCols.size();
        int[] rowPtr = new int[rows + 1];
        for (int t = 0; t < rows; t++) rowPtr[t + 1] = rowPtr[t] + rowCols.get(t).length;
        int[] cols = new int[rowPtr[rows]];
        float[] vals = new float[rowPtr[rows]];
        int[] rb = new int[rows];
        for (int t = 0; t < rows; t++) {
            System.arraycopy(rowCols.get(t), 0, cols, rowPtr[t], rowCols.get(t).length);
            System.arraycopy(rowVals.get(t), 0, vals, rowPtr[t], rowVals.get(t).length);
            rb[t] = bucket.get(t);
        }
        assumeTrue(rows > 0, "no BoI rows");
        return new SmenBatch(users, scales, rows, rowPtr, cols, vals, rb, groupStart);
    }
}
