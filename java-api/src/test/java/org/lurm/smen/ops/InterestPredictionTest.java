package org.lurm.smen.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lurm.smen.ops.TimeAttentionTest.diff;
import static org.lurm.smen.ops.UserOpsFixtures.assertClose;
import static org.lurm.smen.ops.UserOpsFixtures.fd;
import static org.lurm.smen.ops.UserOpsFixtures.toDouble;

import java.util.Arrays;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.backend.cpu.Parallel;
import org.lurm.smen.SmenBatch;
import org.lurm.smen.SmenLayout;
import org.lurm.testing.TestData;

class InterestPredictionTest {
    /** Float64 reference written from the formula: q = sum_m W_m z_m, logits = V[cand] q / sqrt(h), CE with y. */
    static double reference(SmenLayout l, double[] p, double[] z, int users, int[] cand, float[] y) {
        int h = l.config().h(), m = l.config().anchors(), d = l.config().anchorDim(), c = cand.length;
        int vOff = l.offset("V"), wOff = l.offset("W");
        double total = 0;
        int scored = 0;
        for (int u = 0; u < users; u++) {
            double ysum = 0;
            for (int i = 0; i < c; i++) ysum += y[u * c + i];
            if (ysum <= 0) continue;
            scored++;
            double[] q = new double[h];
            for (int mm = 0; mm < m; mm++) for (int i = 0; i < h; i++) for (int j = 0; j < d; j++) q[i] += p[wOff + (mm * h + i) * d + j] * z[u * m * d + mm * d + j];
            double[] logit = new double[c];
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < c; i++) {
                double s = 0;
                for (int x = 0; x < h; x++) s += p[vOff + cand[i] * h + x] * q[x];
                logit[i] = s / Math.sqrt(h);
                max = Math.max(max, logit[i]);
            }
            double se = 0;
            for (int i = 0; i < c; i++) se += Math.exp(logit[i] - max);
            double logZ = max + Math.log(se);
            for (int i = 0; i < c; i++) total -= y[u * c + i] * (logit[i] - logZ);
        }
        return scored == 0 ? 0 : total / scored;
    }

    private static float[] randomTargets(Random rnd, int users, int c, boolean emptyUser) {
        float[] y = new float[users * c];
        for (int u = 0; u < users; u++) {
            if (emptyUser && u == 1) continue;
            double s = 0;
            int nz = 1 + rnd.nextInt(Math.min(5, c));
            for (int q = 0; q < nz; q++) {
                int i = rnd.nextInt(c);
                float v = (float) (0.1 + rnd.nextDouble());
                y[u * c + i] += v;
                s += v;
            }
            for (int i = 0; i < c; i++) y[u * c + i] /= (float) s;
        }
        return y;
    }

    /** Loss equals the float64 reference; V, W and z gradients equal its central differences; nothing else moves. */
    @Test
    void lossAndGradientMatchReference() {
        Random rnd = new Random(TestData.seed("InterestPredictionTest.lossAndGradientMatchReference"));
        try (Parallel par = new Parallel(2)) {
            for (int trial = 0; trial < 8; trial++) {
                SmenLayout l = UserOpsFixtures.smallLayout(rnd, 1);
                int k = l.numInterests(), users = 2 + rnd.nextInt(4), md = l.config().outputWidth();
                int[] cand = trial % 2 == 0 ? java.util.stream.IntStream.range(0, k).toArray()
                        : java.util.stream.IntStream.range(0, k).filter(x -> rnd.nextBoolean() || x < 2).toArray();
                float[] params = UserOpsFixtures.params(l, rnd, 1.0);
                float[] z = UserOpsFixtures.gaussian(rnd, users * md, 1.0);
                float[] y = randomTargets(rnd, users, cand.length, trial == 3);
                float scale = trial % 3 == 0 ? 0.5f : 1f;
                float[] grad0 = UserOpsFixtures.params(l, rnd, UserOpsFixtures.ACC0), grad = grad0.clone();
                float[] dz0 = UserOpsFixtures.gaussian(rnd, users * md, 0.01), dz = dz0.clone();
                double loss = InterestPrediction.lossAndGradient(l, params, z, users, cand, y, scale, dz, grad, par);
                double[] pd = toDouble(params), zd = toDouble(z);
                double ref = reference(l, pd, zd, users, cand, y);
                String what = "trial " + trial + " (K " + k + ", C " + cand.length + ", B " + users + ")";
                assertEquals(ref, loss, 1e-5 * Math.max(1, ref), what + ": loss");
                assertEquals(loss, InterestPrediction.lossAndGradient(l, params, z, users, cand, y, scale, null, null, par), 0.0, what + ": loss only");
                for (String t : new String[] {"V", "W"}) {
                    int off = l.offset(t), n = (int) l.tensor(t).size();
                    double[] g = fd(x -> scale * reference(l, x, zd, users, cand, y), pd, off, n, 1e-5);
                    assertTrue(UserOpsFixtures.norm(g) > 1e-8, what + ": " + t + " has a gradient");
                    assertClose(g, diff(grad, grad0, off, n), 2e-3, what + ": d" + t);
                }
                double[] gz = fd(x -> scale * reference(l, pd, x, users, cand, y), zd, 0, zd.length, 1e-5);
                assertClose(gz, diff(dz, dz0, 0, dz.length), 2e-3, what + ": dz");
                int v0 = l.offset("V"), h = l.config().h();
                for (int kk = 0; kk < k; kk++) {
                    if (Arrays.binarySearch(cand, kk) >= 0) continue;
                    for (int i = 0; i < h; i++) assertEquals(grad0[v0 + kk * h + i], grad[v0 + kk * h + i], what + ": V row " + kk + " is no candidate");
                }
                int w0 = l.offset("W"), wn = (int) l.tensor("W").size();
                for (int i = 0; i < grad.length; i++) {
                    boolean inV = i >= v0 && i < v0 + k * h, inW = i >= w0 && i < w0 + wn;
                    if (!inV && !inW) assertEquals(grad0[i], grad[i], what + ": grad[" + i + "] outside V and W");
                }
            }
        }
    }

    /** The same numbers on 1 and 3 threads (fixed chunks, ordered reductions). */
    @Test
    void threadCountDoesNotChangeBits() {
        Random rnd = new Random(TestData.seed("InterestPredictionTest.threadCountDoesNotChangeBits"));
        SmenLayout l = UserOpsFixtures.defaultLayout(2);
        int users = 37, k = l.numInterests(), md = l.config().outputWidth();
        int[] cand = java.util.stream.IntStream.range(0, k).toArray();
        float[] params = UserOpsFixtures.params(l, rnd, 1.0), z = UserOpsFixtures.gaussian(rnd, users * md, 1.0);
        float[] y = randomTargets(rnd, users, k, true);
        float[][] g = new float[2][], d = new float[2][];
        double[] loss = new double[2];
        for (int t = 0; t < 2; t++) {
            try (Parallel par = new Parallel(t == 0 ? 1 : 3)) {
                g[t] = new float[params.length];
                d[t] = new float[z.length];
                loss[t] = InterestPrediction.lossAndGradient(l, params, z, users, cand, y, 1f, d[t], g[t], par);
            }
        }
        assertEquals(loss[0], loss[1], 0.0);
        assertArrayEquals(g[0], g[1]);
        assertArrayEquals(d[0], d[1]);
    }

    /** Targets: the finest scale's weights per user, normalised; candidates: all K below the cap, else a superset of both views. */
    @Test
    void targetsAndCandidates() {
        Random rnd = new Random(TestData.seed("InterestPredictionTest.targetsAndCandidates"));
        SmenBatch a = UserOpsFixtures.batch(rnd, 6, 2, 4, 8, 50, true), b = UserOpsFixtures.batch(rnd, 6, 2, 4, 8, 50, true);
        int[] all = InterestPrediction.candidates(50, a, b, new SplittableRandom(1));
        assertEquals(50, all.length);
        float[] y = InterestPrediction.targets(a, all);
        for (int u = 0; u < 6; u++) {
            double[] naive = new double[50];
            double s = 0;
            for (int t = a.groupFrom(u, 0); t < a.groupTo(u, 0); t++) {
                for (int j = a.rowPtr()[t]; j < a.rowPtr()[t + 1]; j++) {
                    naive[a.cols()[j]] += a.vals()[j];
                    s += a.vals()[j];
                }
            }
            for (int c = 0; c < 50; c++) assertEquals(s > 0 ? naive[c] / s : 0, y[u * 50 + c], 1e-6, "user " + u + " interest " + c);
        }
        int big = InterestPrediction.FULL_SOFTMAX_MAX * 3;
        SmenBatch ba = UserOpsFixtures.batch(rnd, 6, 2, 4, 8, big, false), bb = UserOpsFixtures.batch(rnd, 6, 2, 4, 8, big, false);
        int[] sampled = InterestPrediction.candidates(big, ba, bb, new SplittableRandom(5));
        assertEquals(InterestPrediction.FULL_SOFTMAX_MAX, sampled.length);
        for (int i = 1; i < sampled.length; i++) assertTrue(sampled[i] > sampled[i - 1], "ascending, distinct");
        for (SmenBatch v : new SmenBatch[] {ba, bb}) for (int j = 0; j < v.nnz(); j++) assertTrue(Arrays.binarySearch(sampled, v.cols()[j]) >= 0, "view interest is a candidate");
        assertArrayEquals(sampled, InterestPrediction.candidates(big, ba, bb, new SplittableRandom(5)), "same seed, same candidates");
        assertThrows(IllegalArgumentException.class, () -> InterestPrediction.targets(ba, new int[] {0}));
    }
}
