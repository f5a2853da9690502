package org.lurm.smen;

import org.lurm.SmenConfig;
import org.lurm.testing.SmenCase;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.testing.TestData;

/**
 * The plumbing between Java and the PyTorch SMEN reference, proven before the Java model exists: cases survive
 * the files, the reference's loss is finite, its gradient non-zero where the batch lets a parameter act, and
 * equal to a central finite difference of the reference's own loss along random directions (all parameters,
 * and each tensor alone, which pins the flat layout on both sides).
 */
class SmenCaseTest {

    @Test
    void roundTripsThroughTheCaseDirectory(@TempDir Path tmp) throws IOException {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("smen-case-round-trip"));
        for (int i = 0; i < 6; i++) {
            SmenCase c = i == 0 ? SmenCase.random(rnd, 1, 2) : SmenCase.random(rnd);
            if (i % 2 == 1) c = c.withPredictionWeight(0.1f * i);
            Path dir = c.write(tmp.resolve("case" + i));
            SmenCase r = SmenCase.read(dir);
            assertEquals(c.config(), r.config());
            assertEquals(c.numInterests(), r.numInterests());
            assertEquals(c.scales(), r.scales());
            assertArrayEquals(c.params(), r.params());
            assertSameView(c.viewA(), r.viewA());
            assertSameView(c.viewB(), r.viewB());
            // The raw files are little-endian and exactly as long as case.json says.
            assertEquals(4L * c.layout().total(), Files.size(dir.resolve("params.f32")));
            assertEquals(4L * c.viewA().nnz(), Files.size(dir.resolve("A.cols.i32")));
            byte[] rp = Files.readAllBytes(dir.resolve("B.rowPtr.i32"));
            int last = (rp[rp.length - 4] & 0xff) | (rp[rp.length - 3] & 0xff) << 8 | (rp[rp.length - 2] & 0xff) << 16 | (rp[rp.length - 1] & 0xff) << 24;
            assertEquals(c.viewB().nnz(), last);

            // float64 parameters replace the float32 ones (and read back rounded).
            double[] p64 = new double[c.params().length];
            for (int j = 0; j < p64.length; j++) p64[j] = c.params()[j] + 1e-3 * rnd.nextGaussian();
            c.write(dir, p64);
            assertFalse(Files.exists(dir.resolve("params.f32")));
            assertArrayEquals(p64, SmenCase.readDoubles(dir.resolve("params.f64")));
            float[] rounded = SmenCase.read(dir).params();
            for (int j = 0; j < p64.length; j++) assertEquals((float) p64[j], rounded[j]);
            // All K are the candidates here: no list is written.
            assertFalse(Files.exists(dir.resolve("candidates.i32")));
        }
        // Above InterestPrediction's cap with the term on, the case lists SmenModel's sampled candidates.
        SmenCase big = SmenCase.random(rnd, SmenCase.sized(4, 2, 2, 3, 4, 3, 0.2f, 0.1f), org.lurm.smen.ops.InterestPrediction.FULL_SOFTMAX_MAX + 50, 2, 3)
                .withPredictionWeight(0.5f);
        Path dir = big.write(tmp.resolve("big"));
        int[] cand = SmenCase.readInts(dir.resolve("candidates.i32"));
        assertArrayEquals(big.sampledCandidates(), cand);
        assertEquals(org.lurm.smen.ops.InterestPrediction.FULL_SOFTMAX_MAX, cand.length);
        assertEquals(big.config(), SmenCase.read(dir).config());
        assertNull(big.withPredictionWeight(0f).sampledCandidates(), "term off: no candidates");
    }

    @Test
    void randomCasesPlantTheEdgeCases() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("smen-case-edges"));
        for (int i = 0; i < 20; i++) {
            SmenCase c = SmenCase.random(rnd);
            SmenBatch a = c.viewA(), b = c.viewB();
            assertFalse(SmenCase.hasRows(a, 0), "user 0 has no rows in view A");
            assertEquals(1, a.rowPtr()[1] - a.rowPtr()[0], "first row of A has one interest");
            assertEquals(1, b.rowPtr()[1] - b.rowPtr()[0], "first row of B has one interest");
            if (c.scales() > 1) {
                assertEquals(a.groupFrom(1, 0), a.groupTo(1, 0), "user 1 has no rows at scale 0 in A");
                assertTrue(SmenCase.hasRows(a, 1));
                int u = b.users() - 1, s = c.scales() - 1;
                assertEquals(b.groupFrom(u, s), b.groupTo(u, s), "last user has no rows at the last scale in B");
            }
            for (int u = 0; u < b.users(); u++) assertTrue(SmenCase.hasRows(b, u));
            for (SmenBatch v : List.of(a, b))
                for (int t = 0; t < v.rows(); t++)
                    for (int j = v.rowPtr()[t] + 1; j < v.rowPtr()[t + 1]; j++)
                        assertTrue(v.cols()[j - 1] < v.cols()[j], "interests of a row are distinct and sorted");
        }
    }

    @Test
    void invalidCasesAreRefusedWithTheEntryNamed() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("smen-case-invalid"));
        SmenCase c = SmenCase.random(rnd, 2, 3);
        int[] cols = c.viewB().cols().clone();
        cols[0] = c.numInterests();
        SmenBatch bad = new SmenBatch(c.users(), 2, c.viewB().rows(), c.viewB().rowPtr(), cols, c.viewB().vals(), c.viewB().rowBucket(), c.viewB().groupStart());
        var e = assertThrows(IllegalArgumentException.class, () -> new SmenCase(c.config(), c.numInterests(), 2, c.params(), c.viewA(), bad));
        assertTrue(e.getMessage().contains("view B: cols[0]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new SmenCase(c.config(), c.numInterests(), 2, new float[c.params().length - 1], c.viewA(), c.viewB()));
        assertTrue(e.getMessage().contains("SmenLayout needs"), e.getMessage());
    }

    @Test
    void referenceDefaultsAreSmenConfigDefaults() throws IOException {
        SmenCase.assumeTorch();
        Map<String, Object> py = SmenCase.referenceDefaults();
        SmenConfig d = SmenConfig.defaults();
        Map<String, Number> java = Map.ofEntries(Map.entry("h", d.h()), Map.entry("anchors", d.anchors()), Map.entry("anchorDim", d.anchorDim()),
                Map.entry("recencyBuckets", d.recencyBuckets()), Map.entry("headHidden", d.headHidden()), Map.entry("headOut", d.headOut()),
                Map.entry("tau", d.tau()), Map.entry("diversityWeight", d.diversityWeight()), Map.entry("learningRate", d.learningRate()),
                Map.entry("beta1", d.beta1()), Map.entry("beta2", d.beta2()), Map.entry("eps", d.eps()), Map.entry("warmupSteps", d.warmupSteps()),
                Map.entry("clipNorm", d.clipNorm()), Map.entry("batchUsers", d.batchUsers()), Map.entry("predictionWeight", d.predictionWeight()));
        assertEquals(java.keySet(), py.keySet());
        for (var en : java.entrySet())
            assertEquals((float) en.getValue().doubleValue(), (float) ((Number) py.get(en.getKey())).doubleValue(), en.getKey());
    }

    /**
     * For a few random cases (one with S = 1 and B = 2): the float64 reference's gradient against central
     * differences of its loss (parameters written as f64, step 1e-7 along unit directions), and the float32
     * reference against the float64 one.
     */
    @Test
    void referenceGradientMatchesFiniteDifferencesOfItsLoss(@TempDir Path tmp) throws IOException {
        SmenCase.assumeTorch();
        SplittableRandom rnd = new SplittableRandom(TestData.seed("smen-case-reference-fd"));
        final double eps = 1e-7;
        // The third with the interest prediction term, so the reference's gradient of it is checked too.
        List<SmenCase> cases = List.of(SmenCase.random(rnd, 1, 2), SmenCase.random(rnd, 2, 3), SmenCase.random(rnd).withPredictionWeight(0.8f));
        List<Path> base = new ArrayList<>(), perturbed = new ArrayList<>();
        List<List<double[]>> directions = new ArrayList<>();
        for (int ci = 0; ci < cases.size(); ci++) {
            SmenCase c = cases.get(ci);
            base.add(c.write(tmp.resolve("c" + ci)));
            double[] theta = new double[c.params().length];
            for (int j = 0; j < theta.length; j++) theta[j] = c.params()[j];
            // One direction over all parameters, then one inside each tensor.
            List<double[]> dirs = new ArrayList<>();
            dirs.add(unitDirection(rnd, theta.length, 0, theta.length));
            for (SmenLayout.Tensor t : c.layout().tensors())
                dirs.add(unitDirection(rnd, theta.length, (int) t.offset(), (int) (t.offset() + t.size())));
            directions.add(dirs);
            for (int di = 0; di < dirs.size(); di++)
                for (int sign : new int[] {1, -1}) {
                    double[] p = theta.clone();
                    for (int j = 0; j < p.length; j++) p[j] += sign * eps * dirs.get(di)[j];
                    perturbed.add(c.write(tmp.resolve("c" + ci + "-d" + di + (sign > 0 ? "+" : "-")), p));
                }
        }
        List<Path> all = new ArrayList<>(base);
        all.addAll(perturbed);
        List<SmenCase.Result> r64 = SmenCase.runReference(all, true);
        List<SmenCase.Result> r32 = SmenCase.runReference(base, false);

        int k = 0;
        for (int ci = 0; ci < cases.size(); ci++) {
            SmenCase c = cases.get(ci);
            SmenCase.Result res = r64.get(ci), res32 = r32.get(ci);
            String label = "case " + ci + " (S=" + c.scales() + ", B=" + c.users() + ", K=" + c.numInterests() + ")";
            assertTrue(Double.isFinite(res.loss()) && res.loss() > 0, label + ": loss " + res.loss());
            assertEquals(res.loss(), res.nce() + c.config().diversityWeight() * res.div() + c.config().predictionWeight() * res.pred(),
                    1e-12 * Math.max(1, res.loss()), label);
            assertEquals(c.config().predictionWeight() > 0, res.pred() > 0, label + ": pred is there exactly when its weight is");
            assertNull(res32.grad64());
            assertEquals(res.loss(), res32.loss(), 1e-5 * Math.max(1, res.loss()), label + ": float32 loss");
            assertTrue(normError(res32.grad(), res.grad64()) < 1e-4, label + ": float32 gradient vs float64 " + normError(res32.grad(), res.grad64()));
            checkGradientActs(c, res.grad64(), label);
            checkEmptyUsers(c, res, label);

            List<double[]> dirs = directions.get(ci);
            double gnorm = norm(res.grad64());
            for (int di = 0; di < dirs.size(); di++) {
                double plus = r64.get(base.size() + k++).loss(), minus = r64.get(base.size() + k++).loss();
                double fd = (plus - minus) / (2 * eps), an = dot(res.grad64(), dirs.get(di));
                String what = di == 0 ? "all parameters" : c.layout().tensors().get(di - 1).name();
                // Directions are unit vectors: |g.d| <= |g|; float64 rounding of L over 2 eps is about 1e-9.
                assertEquals(an, fd, 1e-6 * gnorm + 1e-8, label + ": directional derivative along " + what);
            }
        }
    }

    @Test
    void referenceRejectsABadCaseNamingTheFile(@TempDir Path tmp) throws IOException {
        SmenCase.assumeTorch();
        SplittableRandom rnd = new SplittableRandom(TestData.seed("smen-case-reference-bad"));
        SmenCase c = SmenCase.random(rnd, 2, 3);
        Path dir = c.write(tmp.resolve("bad"));
        int[] cols = c.viewA().cols().clone();
        cols[cols.length - 1] = c.numInterests() + 5;
        SmenCase.writeInts(dir.resolve("A.cols.i32"), cols, cols.length);
        IOException e = assertThrows(IOException.class, () -> SmenCase.runReference(dir, false));
        assertTrue(e.getMessage().contains("A.cols.i32") && e.getMessage().contains("outside [0, K=" + c.numInterests() + ")"), e.getMessage());
        assertTrue(e.getMessage().contains("exit 2"), e.getMessage());
    }

    // ------------------------------------------------------------------------------------------------------

    /** Every tensor's gradient is non-zero, except where the batch gives it no effect (softmax shift invariance). */
    private static void checkGradientActs(SmenCase c, double[] g, String label) {
        boolean q = false, beta = false, gate = false;
        for (SmenBatch v : List.of(c.viewA(), c.viewB()))
            for (int u = 0; u < v.users(); u++) {
                int scalesWithRows = 0;
                for (int s = 0; s < v.scales(); s++) {
                    int lo = v.groupFrom(u, s), hi = v.groupTo(u, s);
                    if (hi > lo) scalesWithRows++;
                    q |= hi - lo >= 2;
                    Set<Integer> buckets = new HashSet<>();
                    for (int t = lo; t < hi; t++) buckets.add(v.rowBucket()[t]);
                    beta |= buckets.size() >= 2;
                }
                gate |= scalesWithRows >= 2;
            }
        Map<String, Boolean> acts = Map.of("q", q, "beta", beta, "g", gate);
        for (SmenLayout.Tensor t : c.layout().tensors()) {
            double max = 0;
            for (long j = t.offset(); j < t.offset() + t.size(); j++) max = Math.max(max, Math.abs(g[(int) j]));
            // q, beta and g act only through the few users with several rows (or scales) in a group; when all of
            // those users' head units are dead (relu < 0) their gradient is legitimately zero (seen with B = 3), so
            // for them only "cannot act => zero" is asserted. The FD check above covers their values.
            boolean sparse = acts.containsKey(t.name());
            if (!sparse) assertTrue(max > 0, label + ": gradient of " + t.name() + " is zero");
            else if (!acts.get(t.name())) assertTrue(max < 1e-15, label + ": " + t.name() + " cannot act on this batch, yet has gradient " + max);
        }
        // V: only the interests the batch touched (not all of those: a user whose head units are all dead,
        // relu < 0, passes no gradient back, so touched rows may stay zero). With the prediction term every row is
        // a candidate (all K) and takes a gradient through its softmax.
        int h = c.config().h();
        if (c.config().predictionWeight() > 0) {
            for (int kk = 0; kk < c.numInterests(); kk++) {
                double sum = 0;
                for (int i = 0; i < h; i++) sum += Math.abs(g[kk * h + i]);
                assertTrue(sum > 0, label + ": V row " + kk + " is a candidate of the prediction, yet has no gradient");
            }
            return;
        }
        boolean[] touched = new boolean[c.numInterests()];
        for (SmenBatch v : List.of(c.viewA(), c.viewB()))
            for (int j = 0; j < v.nnz(); j++) touched[v.cols()[j]] = true;
        for (int kk = 0; kk < c.numInterests(); kk++) {
            double sum = 0;
            for (int i = 0; i < h; i++) sum += Math.abs(g[kk * h + i]);
            if (!touched[kk]) assertEquals(0.0, sum, label + ": gradient of V row " + kk + ", an interest the batch does not hold");
        }
    }

    private static void checkEmptyUsers(SmenCase c, SmenCase.Result r, String label) {
        int w = c.config().outputWidth();
        for (int u = 0; u < c.users(); u++) {
            assertEquals(!SmenCase.hasRows(c.viewA(), u), r.emptyA()[u], label + ": empty flag of user " + u + " in A");
            assertEquals(!SmenCase.hasRows(c.viewB(), u), r.emptyB()[u], label + ": empty flag of user " + u + " in B");
            double za = 0;
            for (int i = 0; i < w; i++) za += Math.abs(r.zA()[u * w + i]);
            assertEquals(!SmenCase.hasRows(c.viewA(), u), za == 0, label + ": z of user " + u + " in A is zero iff the user has no rows");
        }
    }

    private static double[] unitDirection(SplittableRandom rnd, int n, int from, int to) {
        double[] d = new double[n];
        double s = 0;
        for (int j = from; j < to; j++) {
            d[j] = rnd.nextGaussian();
            s += d[j] * d[j];
        }
        s = Math.sqrt(s);
        for (int j = from; j < to; j++) d[j] /= s;
        return d;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    private static double normError(float[] x, double[] ref) {
        double num = 0, den = 0;
        for (int i = 0; i < x.length; i++) {
            num += (x[i] - ref[i]) * (x[i] - ref[i]);
            den += ref[i] * ref[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-300));
    }

    private static void assertSameView(SmenBatch e, SmenBatch a) {
        assertEquals(e.users(), a.users());
        assertEquals(e.scales(), a.scales());
        assertEquals(e.rows(), a.rows());
        assertArrayEquals(e.rowPtr(), a.rowPtr());
        assertArrayEquals(java.util.Arrays.copyOf(e.cols(), e.nnz()), a.cols());
        assertArrayEquals(java.util.Arrays.copyOf(e.vals(), e.nnz()), a.vals());
        assertArrayEquals(e.rowBucket(), a.rowBucket());
        assertArrayEquals(e.groupStart(), a.groupStart());
    }
}
