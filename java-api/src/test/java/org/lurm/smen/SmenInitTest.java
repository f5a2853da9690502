package org.lurm.smen;

import org.lurm.SmenConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lurm.BagOfInterests;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Parallel;
import org.lurm.events.io.MovieLens;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

class SmenInitTest {
    /** Exact SVD reference: one-sided Jacobi on the m x n matrix itself (not on its covariance), in double. */
    record RefSvd(double[] s, double[][] u, double[][] v) {
    }

    static RefSvd referenceSvd(double[][] a) {
        int m = a.length, n = a[0].length;
        double[][] col = new double[n][m];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) col[j][i] = a[i][j];
        double[][] v = new double[n][n];
        for (int j = 0; j < n; j++) v[j][j] = 1;
        for (int sweep = 0; sweep < 60; sweep++) {
            boolean changed = false;
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    double al = 0, be = 0, ga = 0;
                    for (int i = 0; i < m; i++) {
                        al += col[p][i] * col[p][i];
                        be += col[q][i] * col[q][i];
                        ga += col[p][i] * col[q][i];
                    }
                    if (Math.abs(ga) <= 1e-15 * Math.sqrt(al * be) || al == 0 || be == 0) continue;
                    changed = true;
                    double zeta = (be - al) / (2 * ga);
                    double t = Math.signum(zeta == 0 ? 1 : zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
                    double c = 1 / Math.sqrt(1 + t * t), s = c * t;
                    for (int i = 0; i < m; i++) {
                        double x = col[p][i], y = col[q][i];
                        col[p][i] = c * x - s * y;
                        col[q][i] = s * x + c * y;
                    }
                    for (int i = 0; i < n; i++) {
                        double x = v[i][p], y = v[i][q];
                        v[i][p] = c * x - s * y;
                        v[i][q] = s * x + c * y;
                    }
                }
            }
            if (!changed) break;
        }
        Integer[] order = new Integer[n];
        double[] norm = new double[n];
        for (int j = 0; j < n; j++) {
            order[j] = j;
            double ss = 0;
            for (double x : col[j]) ss += x * x;
            norm[j] = Math.sqrt(ss);
        }
        Arrays.sort(order, (x, y) -> Double.compare(norm[y], norm[x]));
        double[] s = new double[n];
        double[][] u = new double[m][n], vs = new double[n][n];
        for (int jj = 0; jj < n; jj++) {
            int j = order[jj];
            s[jj] = norm[j];
            for (int i = 0; i < m; i++) u[i][jj] = norm[j] > 0 ? col[j][i] / norm[j] : 0;
            for (int i = 0; i < n; i++) vs[i][jj] = v[i][j];
        }
        return new RefSvd(s, u, vs);
    }

    /** K x e centroids: mean + Gaussian columns of decreasing scale, rotated so the axes are not coordinate axes. */
    static float[] plantedCentroids(Random rnd, int k, int e, int rank) {
        double[][] rot = new double[e][e];
        for (double[] r : rot) for (int j = 0; j < e; j++) r[j] = rnd.nextGaussian();
        for (int j = 0; j < e; j++) { // Gram-Schmidt on rows: a random orthogonal matrix
            for (int p = 0; p < j; p++) {
                double d = 0;
                for (int i = 0; i < e; i++) d += rot[j][i] * rot[p][i];
                for (int i = 0; i < e; i++) rot[j][i] -= d * rot[p][i];
            }
            double nn = 0;
            for (int i = 0; i < e; i++) nn += rot[j][i] * rot[j][i];
            for (int i = 0; i < e; i++) rot[j][i] /= Math.sqrt(nn);
        }
        double[] mean = new double[e];
        for (int i = 0; i < e; i++) mean[i] = rnd.nextGaussian();
        float[] x = new float[k * e];
        for (int r = 0; r < k; r++) {
            for (int j = 0; j < rank; j++) {
                double g = rnd.nextGaussian() * 3 * Math.pow(0.75, j);
                for (int i = 0; i < e; i++) x[r * e + i] += (float) (g * rot[j][i]);
            }
            for (int i = 0; i < e; i++) x[r * e + i] += (float) mean[i];
        }
        return x;
    }

    static SmenConfig config(int h) {
        SmenConfig d = SmenConfig.defaults();
        return new SmenConfig(h, d.anchors(), d.anchorDim(), d.recencyBuckets(), d.headHidden(), d.headOut(), d.tau(), d.diversityWeight(),
                d.learningRate(), d.beta1(), d.beta2(), d.eps(), d.warmupSteps(), d.maxSteps(), d.maxEpochs(), d.clipNorm(), d.batchUsers(),
                d.heldOutFraction(), d.patience(), d.evalEvery(), d.periodCrop(), d.seed());
    }

    /**
     * Checks V's principal columns against the exact SVD of the centered centroids: column j is c·σ_j·u_j with the
     * documented sign, c gives the principal entries a mean square of interestStd², and the kept count, the scale
     * and the explained variance are right. Returns the reference.
     */
    static RefSvd assertPrincipalColumns(float[] x, int k, int e, int h, int expectKept, SmenInit.Result r, SmenLayout layout, double interestStd, double tol) {
        double[] mean = new double[e];
        for (int row = 0; row < k; row++) for (int i = 0; i < e; i++) mean[i] += x[row * e + i];
        for (int i = 0; i < e; i++) mean[i] /= k;
        double[][] xc = new double[k][e];
        for (int row = 0; row < k; row++) for (int i = 0; i < e; i++) xc[row][i] = x[row * e + i] - mean[i];
        RefSvd ref = referenceSvd(xc);
        assertEquals(expectKept, r.principalComponents(), "principal components kept");
        double kept2 = 0, all2 = 0;
        for (int j = 0; j < e; j++) {
            all2 += ref.s()[j] * ref.s()[j];
            if (j < expectKept) kept2 += ref.s()[j] * ref.s()[j];
        }
        double c = expectKept == 0 ? 0 : interestStd * Math.sqrt((double) k * expectKept / kept2);
        assertEquals(c, r.scale(), 1e-9 * Math.max(1, c), "scale c");
        assertEquals(expectKept == 0 ? 0 : kept2 / all2, r.explainedVariance(), 1e-9, "explained variance");
        int vOff = layout.offset("V");
        float[] p = r.parameters();
        double ms = 0;
        // Degeneracy-proof: the kept columns are orthogonal with norms c·σ_j, so they hold the largest variance any
        // expectKept-dimensional projection can (Ky Fan), which only the principal subspace achieves.
        for (int i = 0; i < expectKept; i++) {
            for (int j = i; j < expectKept; j++) {
                double dot = 0;
                for (int row = 0; row < k; row++) dot += (double) p[vOff + row * h + i] * p[vOff + row * h + j];
                double want = i == j ? c * c * ref.s()[i] * ref.s()[i] : 0;
                assertEquals(want, dot, tol * c * c * ref.s()[i] * ref.s()[j], "column Gram (" + i + ", " + j + ")");
            }
        }
        for (int j = 0; j < expectKept; j++) {
            for (int row = 0; row < k; row++) ms += (double) p[vOff + row * h + j] * p[vOff + row * h + j];
            // A singular vector is only defined up to rotation within a cluster of close singular values.
            double gap = Math.min(j == 0 ? 1 : 1 - ref.s()[j] / ref.s()[j - 1], j + 1 < e ? 1 - ref.s()[j + 1] / ref.s()[j] : 1);
            if (gap < 0.05) continue;
            // The documented sign: the direction's entry of largest magnitude is positive.
            int arg = 0;
            for (int i = 0; i < e; i++) if (Math.abs(ref.v()[i][j]) > Math.abs(ref.v()[arg][j])) arg = i;
            double sign = ref.v()[arg][j] < 0 ? -1 : 1;
            double err2 = 0, norm2 = 0;
            for (int row = 0; row < k; row++) {
                double want = sign * c * ref.s()[j] * ref.u()[row][j];
                double got = p[vOff + row * h + j];
                err2 += (got - want) * (got - want);
                norm2 += want * want;
            }
            assertTrue(Math.sqrt(err2 / norm2) < tol / gap, "column " + j + ": relative error " + Math.sqrt(err2 / norm2));
        }
        if (expectKept > 0) assertEquals(interestStd * interestStd, ms / ((double) k * expectKept), 1e-4 * interestStd * interestStd, "mean square of principal entries");
        return ref;
    }

    static double[] stats(float[] p, int off, int n) {
        double s = 0, ss = 0;
        for (int i = 0; i < n; i++) {
            s += p[off + i];
            ss += (double) p[off + i] * p[off + i];
        }
        double mean = s / n;
        return new double[] {mean, Math.sqrt(ss / n - mean * mean)};
    }

    /** Fill columns [from, h) of V: mean near 0, standard deviation near fillStd. */
    static void assertFill(float[] p, SmenLayout layout, int from, double fillStd) {
        int k = layout.numInterests(), h = layout.config().h();
        int vOff = layout.offset("V");
        int n = k * (h - from);
        float[] f = new float[n];
        int t = 0;
        for (int row = 0; row < k; row++) for (int j = from; j < h; j++) f[t++] = p[vOff + row * h + j];
        double[] st = stats(f, 0, n);
        assertTrue(Math.abs(st[0]) < 5 * fillStd / Math.sqrt(n), "fill mean " + st[0]);
        assertEquals(fillStd, st[1], 5 * fillStd / Math.sqrt(2.0 * n), "fill std over " + n + " draws");
    }

    @Test
    void pcaKeepsThePrincipalSubspaceWhenCentroidsAreWiderThanH() {
        long seed = TestData.seed("SmenInitTest.pcaKeepsThePrincipalSubspaceWhenCentroidsAreWiderThanH");
        Random rnd = new Random(seed);
        int k = 300, e = 24, h = 16;
        float[] x = plantedCentroids(rnd, k, e, e);
        SmenLayout layout = new SmenLayout(config(h), k, 2);
        SmenInit.Result r = SmenInit.initialize(layout, F32Array.wrap(x), e, SmenInit.Options.defaults(rnd.nextLong()), null);
        assertEquals(layout.total(), r.parameters().length);
        assertPrincipalColumns(x, k, e, h, h, r, layout, 1.0, 1e-5);
        assertTrue(r.explainedVariance() > 0.9 && r.explainedVariance() < 1, "most, not all, variance kept: " + r.explainedVariance());
    }

    @Test
    void narrowCentroidsAreFilledWithRandomColumns() {
        long seed = TestData.seed("SmenInitTest.narrowCentroidsAreFilledWithRandomColumns");
        Random rnd = new Random(seed);
        int k = 400, e = 8, h = 16;
        float[] x = plantedCentroids(rnd, k, e, e);
        SmenLayout layout = new SmenLayout(config(h), k, 1);
        SmenInit.Options o = SmenInit.Options.defaults(rnd.nextLong()).withInterestStd(0.5).withFillStd(0.03);
        SmenInit.Result r = SmenInit.initialize(layout, F32Array.wrap(x), e, o, null);
        assertPrincipalColumns(x, k, e, h, e, r, layout, 0.5, 1e-5);
        assertEquals(1.0, r.explainedVariance(), 1e-12, "all of an e-dimensional cloud fits into h > e columns");
        assertFill(r.parameters(), layout, e, 0.03);
    }

    @Test
    void lowRankCentroidsKeepOnlyTheirRank() {
        long seed = TestData.seed("SmenInitTest.lowRankCentroidsKeepOnlyTheirRank");
        Random rnd = new Random(seed);
        // A planted rank-3 cloud in 20 dimensions (float rounding adds noise far below the tolerance).
        int k = 200, e = 20, h = 12;
        float[] x = plantedCentroids(rnd, k, e, 3);
        SmenLayout layout = new SmenLayout(config(h), k, 2);
        SmenInit.Result r = SmenInit.initialize(layout, F32Array.wrap(x), e, SmenInit.Options.defaults(rnd.nextLong()), null);
        assertPrincipalColumns(x, k, e, h, 3, r, layout, 1.0, 1e-4);
        assertFill(r.parameters(), layout, 3, SmenInit.Options.DEFAULT_FILL_STD);
        // Fewer interests than dimensions: K centered points span at most K - 1 directions.
        int k2 = 6;
        float[] x2 = plantedCentroids(rnd, k2, 12, 12);
        SmenLayout l2 = new SmenLayout(config(16), k2, 1);
        SmenInit.Result r2 = SmenInit.initialize(l2, F32Array.wrap(x2), 12, SmenInit.Options.defaults(7), null);
        assertPrincipalColumns(x2, k2, 12, 16, k2 - 1, r2, l2, 1.0, 1e-4);
    }

    @Test
    void noVarianceMeansAllFill() {
        for (int k : new int[] {1, 30}) {
            float[] x = new float[k * 5];
            for (int r = 0; r < k; r++) for (int i = 0; i < 5; i++) x[r * 5 + i] = 0.25f * i; // identical rows
            SmenLayout layout = new SmenLayout(config(64), k, 2);
            SmenInit.Result r = SmenInit.initialize(layout, F32Array.wrap(x), 5, SmenInit.Options.defaults(3), null);
            assertEquals(0, r.principalComponents());
            assertEquals(0, r.explainedVariance());
            assertEquals(0, r.scale());
            assertFill(r.parameters(), layout, 0, SmenInit.Options.DEFAULT_FILL_STD);
        }
    }

    /** The other tensors follow the documented distributions; biases and beta are exactly zero. */
    @Test
    void denseParametersFollowTheDocumentedDistributions() {
        long seed = TestData.seed("SmenInitTest.denseParametersFollowTheDocumentedDistributions");
        Random rnd = new Random(seed);
        SmenConfig cfg = SmenConfig.defaults();
        int k = 50, e = 16;
        float[] x = plantedCentroids(rnd, k, e, e);
        SmenLayout layout = new SmenLayout(cfg, k, 2);
        SmenInit.Options o = SmenInit.Options.defaults(rnd.nextLong());
        float[] p = SmenInit.initialize(layout, F32Array.wrap(x), e, o, null).parameters();
        for (String zero : new String[] {"b", "beta", "c1", "c2"}) {
            SmenLayout.Tensor t = layout.tensor(zero);
            for (long i = 0; i < t.size(); i++) assertEquals(0f, p[(int) (t.offset() + i)], zero + " starts at zero");
        }
        expectNormal(p, layout, "A", 0.1);
        expectNormal(p, layout, "q", 0.1);
        expectNormal(p, layout, "g", 0.1);
        expectNormal(p, layout, "W", 1 / Math.sqrt(cfg.h()));
        expectNormal(p, layout, "P1", 1 / Math.sqrt(cfg.outputWidth()));
        expectNormal(p, layout, "P2", 1 / Math.sqrt(cfg.headHidden()));

        // Options scale exactly what they name (powers of two keep the float values exact).
        float[] p2 = SmenInit.initialize(layout, F32Array.wrap(x), e, o.withWeightGain(2).withSmallStd(0), null).parameters();
        for (String w : new String[] {"W", "P1", "P2"}) {
            SmenLayout.Tensor t = layout.tensor(w);
            for (long i = 0; i < t.size(); i++) assertEquals(2 * p[(int) (t.offset() + i)], p2[(int) (t.offset() + i)], w);
        }
        for (String s : new String[] {"A", "q", "g"}) {
            SmenLayout.Tensor t = layout.tensor(s);
            for (long i = 0; i < t.size(); i++) assertEquals(0f, Math.abs(p2[(int) (t.offset() + i)]), s + " with smallStd 0");
        }
    }

    private static void expectNormal(float[] p, SmenLayout layout, String name, double std) {
        SmenLayout.Tensor t = layout.tensor(name);
        int n = (int) t.size();
        double[] st = stats(p, (int) t.offset(), n);
        assertTrue(Math.abs(st[0]) < 5 * std / Math.sqrt(n), name + " mean " + st[0]);
        assertEquals(std, st[1], 5 * std / Math.sqrt(2.0 * n), name + " std over " + n + " draws");
        double kurt = 0;
        for (int i = 0; i < n; i++) kurt += Math.pow((p[(int) t.offset() + i] - st[0]) / st[1], 4);
        assertEquals(3, kurt / n, 5 * Math.sqrt(96.0 / n), name + " kurtosis of a normal");
    }

    @Test
    void deterministicForASeedAndAnyThreadCount() {
        long seed = TestData.seed("SmenInitTest.deterministicForASeedAndAnyThreadCount");
        Random rnd = new Random(seed);
        int k = 5000, e = 32, h = 48;
        float[] x = plantedCentroids(rnd, k, e, e);
        SmenLayout layout = new SmenLayout(config(h), k, 2);
        SmenInit.Options o = SmenInit.Options.defaults(rnd.nextLong());
        float[] one = SmenInit.initialize(layout, F32Array.wrap(x), e, o, null).parameters();
        assertArrayEquals(one, SmenInit.initialize(layout, F32Array.wrap(x), e, o, null).parameters(), "same seed, same parameters");
        for (int threads : new int[] {2, 3}) {
            try (Parallel par = new Parallel(threads)) {
                assertArrayEquals(one, SmenInit.initialize(layout, F32Array.wrap(x), e, o, par).parameters(), threads + " threads");
            }
        }
        try (MemoryScope scope = MemoryScope.root("test")) {
            assertArrayEquals(one, SmenInit.initialize(layout, scope.copyOf(x), e, o, null).parameters(), "off-heap centroids");
        }
        float[] other = SmenInit.initialize(layout, F32Array.wrap(x), e, o.withSeed(o.seed() + 1), null).parameters();
        int vOff = layout.offset("V");
        for (int row = 0; row < k; row++) {
            for (int j = 0; j < e; j++) assertEquals(one[vOff + row * h + j], other[vOff + row * h + j], "principal columns do not depend on the seed");
        }
        assertFalse(Arrays.equals(Arrays.copyOfRange(one, vOff, layout.offset("A")), Arrays.copyOfRange(other, vOff, layout.offset("A"))), "fill depends on the seed");
        int a = layout.offset("A");
        assertFalse(Arrays.equals(Arrays.copyOfRange(one, a, one.length), Arrays.copyOfRange(other, a, other.length)), "dense part depends on the seed");
        // Each tensor has its own stream: K changes V's size but not the anchors' draws.
        SmenLayout bigger = new SmenLayout(config(h), k + 10, 2);
        float[] x2 = Arrays.copyOf(x, (k + 10) * e);
        float[] more = SmenInit.initialize(bigger, F32Array.wrap(x2), e, o, null).parameters();
        int a2 = bigger.offset("A");
        assertArrayEquals(Arrays.copyOfRange(one, a, one.length), Arrays.copyOfRange(more, a2, more.length), "dense draws independent of K");
    }

    @Test
    void badCentroidsAreRejected() {
        SmenLayout layout = new SmenLayout(config(8), 4, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SmenInit.initialize(layout, F32Array.wrap(new float[15]), 4));
        assertTrue(e.getMessage().contains("K x e = 4 x 4"), e.getMessage());
        float[] x = new float[16];
        x[9] = Float.NaN;
        e = assertThrows(IllegalArgumentException.class, () -> SmenInit.initialize(layout, F32Array.wrap(x), 4));
        assertTrue(e.getMessage().contains("centroid 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SmenInit.initialize(layout, F32Array.wrap(new float[0]), 0));
        assertThrows(IllegalArgumentException.class, () -> SmenInit.Options.defaults(1).withFillStd(-1));
        assertThrows(IllegalArgumentException.class, () -> SmenInit.Options.defaults(1).withRankTolerance(1));
    }

    /** On 200 interests k-means finds in MovieLens 100k (co-occurrence embeddings, e = 64), reduced to h = 32. */
    @Test
    void principalSubspaceOfRealInterests() throws Exception {
        try (MemoryScope scope = MemoryScope.root("t"); Backend backend = Backends.create()) {
            MovieLens.Dataset d = MovieLens.read100k(TestData.dataset("movielens-100k"), scope);
            BagOfInterests boi = BagOfInterests.fit(d.events(), d.catalog(), BagOfInterests.Config.defaults().withInterests(200), backend, scope, null);
            int k = boi.numInterests(), e = boi.interests().dim(), h = 32;
            float[] x = boi.interests().centroids().toArray();
            assertEquals((long) k * e, x.length);
            SmenLayout layout = new SmenLayout(config(h), k, 2);
            SmenInit.Result r = SmenInit.initialize(layout, boi.interests().centroids(), e, SmenInit.Options.defaults(11), null);
            RefSvd ref = assertPrincipalColumns(x, k, e, h, h, r, layout, 1.0, 1e-4);
            System.out.println("[ml-100k] K = " + k + ", e = " + e + ": h = " + h + " principal columns keep " + r.explainedVariance()
                    + " of the centroid variance; top singular values " + Arrays.toString(Arrays.copyOf(ref.s(), 4)));
        }
    }

    /**
     * anchorInitScale S: every anchor is a fixed point of spherical k-means over V's unit rows (its direction is the
     * normalised mean of the rows whose nearest anchor it is, checked by brute force), the planted clusters get one
     * anchor each, the logit of interest k under anchor m is S · |V[k]| / rms · cos, and nothing but A changes.
     */
    @Test
    void clusteredAnchorsAreTheSphericalKMeansCentresOfV() {
        long seed = TestData.seed("SmenInitTest.clusteredAnchorsAreTheSphericalKMeansCentresOfV");
        Random rnd = new Random(seed);
        for (int trial = 0; trial < 12; trial++) checkClusteredAnchors(new Random(rnd.nextLong()));
    }

    /**
     * One draw of {@link #clusteredAnchorsAreTheSphericalKMeansCentresOfV}: 8 planted clusters along orthonormal
     * directions (after the PCA's centring any two are still 98 degrees apart, so k-means++ seeds every cluster;
     * random directions can lie close enough for a local optimum that merges two).
     */
    private static void checkClusteredAnchors(Random rnd) {
        int h = 16, e = 16, m = 8, k = 400;
        double[][] dirs = new double[m][e];
        for (int c = 0; c < m; c++) {
            for (int i = 0; i < e; i++) dirs[c][i] = rnd.nextGaussian();
            for (int b = 0; b < c; b++) { // Gram-Schmidt against the earlier directions
                double d = dotD(dirs[c], dirs[b]);
                for (int i = 0; i < e; i++) dirs[c][i] -= d * dirs[b][i];
            }
            double n = Math.sqrt(dotD(dirs[c], dirs[c]));
            for (int i = 0; i < e; i++) dirs[c][i] /= n;
        }
        float[] x = new float[k * e];
        for (int r = 0; r < k; r++) {
            double len = 1 + 0.5 * rnd.nextDouble();
            for (int i = 0; i < e; i++) x[r * e + i] = (float) (len * dirs[r % m][i] + 0.05 * rnd.nextGaussian());
        }
        SmenConfig plain = config(h);
        float scale = 3f;
        SmenLayout layout = new SmenLayout(plain.toBuilder().anchorInitScale(scale).build(), k, 2);
        SmenLayout plainLayout = new SmenLayout(plain, k, 2);
        SmenInit.Options o = SmenInit.Options.defaults(rnd.nextLong());
        float[] p = SmenInit.initialize(layout, F32Array.wrap(x), e, o, null).parameters();
        float[] q = SmenInit.initialize(plainLayout, F32Array.wrap(x), e, o, null).parameters();
        SmenLayout.Tensor a = layout.tensor("A");
        for (int i = 0; i < p.length; i++) {
            if (i >= a.offset() && i < a.offset() + a.size()) continue;
            assertEquals(q[i], p[i], "only A depends on anchorInitScale (index " + i + ")");
        }
        int vOff = layout.offset("V"), aOff = (int) a.offset();
        double[][] unit = new double[k][h];
        double[] norm = new double[k];
        double sumSq = 0;
        for (int r = 0; r < k; r++) {
            for (int j = 0; j < h; j++) norm[r] += (double) p[vOff + r * h + j] * p[vOff + r * h + j];
            sumSq += norm[r];
            norm[r] = Math.sqrt(norm[r]);
            for (int j = 0; j < h; j++) unit[r][j] = p[vOff + r * h + j] / norm[r];
        }
        double rms = Math.sqrt(sumSq / k);
        double[][] anchor = unitAnchors(p, aOff, m, h, scale * Math.sqrt(h) / rms);
        int[] nearest = assertSphericalKMeansFixedPoint(unit, anchor);
        int[] plantedOf = new int[m];
        Arrays.fill(plantedOf, -1);
        for (int r = 0; r < k; r++) {
            int best = nearest[r];
            if (plantedOf[best] == -1) plantedOf[best] = r % m;
            assertEquals(plantedOf[best], r % m, "anchor " + best + " holds rows of one planted cluster");
            // The logit formula.
            double logit = 0;
            for (int j = 0; j < h; j++) logit += (double) p[aOff + best * h + j] * p[vOff + r * h + j];
            logit /= Math.sqrt(h);
            assertEquals(scale * norm[r] / rms * dotD(unit[r], anchor[best]), logit, 1e-4 * scale, "logit of row " + r);
        }
        assertEquals(m, Arrays.stream(plantedOf).distinct().count(), "each planted cluster has its own anchor");
        // Deterministic.
        assertArrayEquals(p, SmenInit.initialize(layout, F32Array.wrap(x), e, o, null).parameters());

        // anchorInitClusters C = 3: the first three anchors are a 3-cluster fixed point, the other five keep their random draws.
        int cl = 3;
        SmenLayout part = new SmenLayout(plain.toBuilder().anchorInitScale(scale).anchorInitClusters(cl).build(), k, 2);
        float[] pp = SmenInit.initialize(part, F32Array.wrap(x), e, o, null).parameters();
        for (int i = aOff + cl * h; i < aOff + m * h; i++) assertEquals(q[i], pp[i], "unclustered anchors keep the random start");
        assertSphericalKMeansFixedPoint(unit, unitAnchors(pp, aOff, cl, h, scale * Math.sqrt(h) / rms));
        assertThrows(IllegalArgumentException.class, () -> plain.toBuilder().anchorInitClusters(m + 1).build());
        // Bad values are refused by the config.
        assertThrows(IllegalArgumentException.class, () -> plain.toBuilder().anchorInitScale(-1).build());
        assertThrows(IllegalArgumentException.class, () -> plain.toBuilder().anchorInitScale(Float.NaN).build());
    }

    /** The unit directions of the first {@code count} anchors, each checked to have norm {@code expectNorm}. */
    private static double[][] unitAnchors(float[] p, int aOff, int count, int h, double expectNorm) {
        double[][] anchor = new double[count][h];
        for (int c = 0; c < count; c++) {
            double n = 0;
            for (int j = 0; j < h; j++) n += (double) p[aOff + c * h + j] * p[aOff + c * h + j];
            n = Math.sqrt(n);
            assertEquals(expectNorm, n, 1e-4 * n, "anchor " + c + " norm");
            for (int j = 0; j < h; j++) anchor[c][j] = p[aOff + c * h + j] / n;
        }
        return anchor;
    }

    /**
     * Brute force: every unit row's nearest anchor (by cosine), then each anchor against the mean direction of its
     * rows (every anchor must have rows). Returns the nearest anchor of each row.
     */
    private static int[] assertSphericalKMeansFixedPoint(double[][] unit, double[][] anchor) {
        int h = unit[0].length, m = anchor.length;
        double[][] sum = new double[m][h];
        int[] nearest = new int[unit.length];
        int[] rows = new int[m];
        for (int r = 0; r < unit.length; r++) {
            int best = 0;
            for (int c = 1; c < m; c++) if (dotD(unit[r], anchor[c]) > dotD(unit[r], anchor[best])) best = c;
            nearest[r] = best;
            rows[best]++;
            for (int j = 0; j < h; j++) sum[best][j] += unit[r][j];
        }
        for (int c = 0; c < m; c++) {
            assertTrue(rows[c] > 0, "anchor " + c + " of " + m + " has rows");
            double n = Math.sqrt(dotD(sum[c], sum[c]));
            for (int j = 0; j < h; j++) assertEquals(sum[c][j] / n, anchor[c][j], 1e-5, "anchor " + c + " of " + m + " is its rows' mean direction");
        }
        return nearest;
    }

    private static double dotD(double[] u, double[] v) {
        double s = 0;
        for (int i = 0; i < u.length; i++) s += u[i] * v[i];
        return s;
    }
}
