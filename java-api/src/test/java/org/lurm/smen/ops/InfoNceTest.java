package org.lurm.smen.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lurm.smen.ops.TimeAttentionTest.diff;
import static org.lurm.smen.ops.UserOpsFixtures.ACC0;
import static org.lurm.smen.ops.UserOpsFixtures.assertClose;
import static org.lurm.smen.ops.UserOpsFixtures.fd;
import static org.lurm.smen.ops.UserOpsFixtures.gaussian;
import static org.lurm.smen.ops.UserOpsFixtures.toDouble;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lurm.backend.cpu.Parallel;
import org.lurm.testing.TestData;

class InfoNceTest {
    private static UserKernels[] kernels() {
        return UserKernels.simd() == null ? new UserKernels[]{UserKernels.scalar()} : new UserKernels[]{UserKernels.scalar(), UserKernels.simd()};
    }

    /** Random unit rows, as the projection head produces them. */
    private static float[] unitRows(Random rnd, int users, int dim) {
        float[] p = gaussian(rnd, users * dim, 1);
        for (int b = 0; b < users; b++) {
            double n = 0;
            for (int j = 0; j < dim; j++) n += (double) p[b * dim + j] * p[b * dim + j];
            for (int j = 0; j < dim; j++) p[b * dim + j] /= (float) Math.sqrt(n);
        }
        return p;
    }

    /** Loss equals the brute-force definition; dpA, dpB equal central differences of it (B = 2 included). */
    @Test
    void lossAndGradientMatchBruteForce() {
        Random rnd = new Random(TestData.seed("InfoNceTest.lossAndGradientMatchBruteForce"));
        for (UserKernels kern : kernels()) {
            for (int trial = 0; trial < 10; trial++) {
                int users = trial < 2 ? 2 : 2 + rnd.nextInt(12), dim = 1 + rnd.nextInt(trial < 5 ? 9 : 40);
                float tau = trial % 3 == 0 ? 0.1f : 0.05f + rnd.nextFloat();
                InfoNce nce = new InfoNce(tau, kern);
                float[] pA = unitRows(rnd, users, dim), pB = unitRows(rnd, users, dim);
                // Make the positives a little closer than chance, as a trained model would.
                for (int i = 0; i < pB.length; i++) pB[i] = 0.5f * pB[i] + 0.5f * pA[i];
                float scale = trial % 2 == 0 ? 1f : 0.37f;
                float[] dA0 = gaussian(rnd, users * dim, ACC0), dB0 = gaussian(rnd, users * dim, ACC0), dA = dA0.clone(), dB = dB0.clone();
                double loss = nce.forwardBackward(pA, pB, users, dim, scale, dA, dB, null);
                double ref = UserOpsReference.infoNce(toDouble(pA), toDouble(pB), users, dim, tau);
                String what = kern.name() + " trial " + trial + " (B " + users + ", dim " + dim + ", tau " + tau + ")";
                assertEquals(ref, loss, 1e-5 * Math.max(1, Math.abs(ref)), what + ": loss");
                assertEquals(loss, nce.loss(pA, pB, users, dim, null), 0.0, what + ": loss() = forwardBackward()");
                double[] a = toDouble(pA), b = toDouble(pB);
                double[] fdA = fd(x -> scale * UserOpsReference.infoNce(x, b, users, dim, tau), a, 0, a.length, 1e-6);
                double[] fdB = fd(x -> scale * UserOpsReference.infoNce(a, x, users, dim, tau), b, 0, b.length, 1e-6);
                assertClose(fdA, diff(dA, dA0, 0, a.length), 2e-4, what + ": dpA");
                assertClose(fdB, diff(dB, dB0, 0, b.length), 2e-4, what + ": dpB");
            }
        }
    }

    /**
     * dL/dS against the softmaxes computed by brute force; each row of dL/dS sums to (sum_j colsoftmax - 1)/(2B tau)
     * and each column to (sum_i rowsoftmax - 1)/(2B tau), so the whole matrix sums to 0; swapping the views
     * transposes it.
     */
    @Test
    void similarityGradientRowsAndColumnsSumCorrectly() {
        Random rnd = new Random(TestData.seed("InfoNceTest.similarityGradientRowsAndColumnsSumCorrectly"));
        for (int trial = 0; trial < 10; trial++) {
            int b = 2 + rnd.nextInt(30);
            float tau = 0.05f + rnd.nextFloat() * 0.5f;
            float[] s = gaussian(rnd, b * b, 1);
            InfoNce nce = new InfoNce(tau);
            float[] ds = new float[b * b];
            nce.lossFromSimilarities(s, b, 1f, ds, null);
            double[][] rowSm = new double[b][], colSm = new double[b][];
            for (int i = 0; i < b; i++) {
                double[] row = new double[b], col = new double[b];
                for (int j = 0; j < b; j++) {
                    row[j] = s[i * b + j] / (double) tau;
                    col[j] = s[j * b + i] / (double) tau;
                }
                rowSm[i] = UserOpsReference.softmax(row, null);
                colSm[i] = UserOpsReference.softmax(col, null);   // colSm[j][i] = softmax over i of column j
            }
            double k = 1.0 / (2.0 * b * tau), total = 0;
            double[] expect = new double[b * b];
            for (int i = 0; i < b; i++) for (int j = 0; j < b; j++) expect[i * b + j] = k * (rowSm[i][j] + colSm[j][i] - (i == j ? 2 : 0));
            assertClose(expect, toDouble(ds), 1e-5, "dS trial " + trial);
            for (int i = 0; i < b; i++) {
                double rs = 0, cs = 0, colMass = 0, rowMass = 0;
                for (int j = 0; j < b; j++) {
                    rs += ds[i * b + j];
                    cs += ds[j * b + i];
                    colMass += colSm[j][i];
                    rowMass += rowSm[j][i];
                }
                assertEquals(k * (colMass - 1), rs, 1e-5 * k * b, "row " + i + " sum");
                assertEquals(k * (rowMass - 1), cs, 1e-5 * k * b, "column " + i + " sum");
                total += rs;
            }
            assertEquals(0.0, total, 1e-5 * k * b, "dS sums to 0");
            float[] st = new float[b * b], dst = new float[b * b];
            UserKernels.transpose(s, 0, b, b, st, 0);
            nce.lossFromSimilarities(st, b, 1f, dst, null);
            for (int i = 0; i < b; i++) for (int j = 0; j < b; j++) assertEquals(ds[i * b + j], dst[j * b + i], 1e-6 * k, "swapped views transpose dS");
        }
    }

    /**
     * Logits far beyond exp's range (|S|/tau up to 1e6) stay finite and match the shifted double reference; with
     * orthogonal rows the loss has a closed form.
     */
    @Test
    void largeLogitsDoNotOverflow() {
        Random rnd = new Random(TestData.seed("InfoNceTest.largeLogitsDoNotOverflow"));
        for (int trial = 0; trial < 6; trial++) {
            int users = 2 + rnd.nextInt(10), dim = 3 + rnd.nextInt(10);
            float tau = trial % 2 == 0 ? 1e-4f : 0.01f;
            float[] pA = gaussian(rnd, users * dim, 30), pB = gaussian(rnd, users * dim, 30);
            // Views pointing away from each other: every positive is far below the negatives, a huge loss.
            for (int i = 0; i < pB.length; i++) pB[i] = 0.2f * pB[i] - pA[i];
            InfoNce nce = new InfoNce(tau);
            float[] dA = new float[pA.length], dB = new float[pB.length];
            double loss = nce.forwardBackward(pA, pB, users, dim, 1f, dA, dB, null);
            double ref = UserOpsReference.infoNceStable(toDouble(pA), toDouble(pB), users, dim, tau);
            assertTrue(Double.isFinite(loss) && ref > 1e3, "large finite loss: " + loss + " vs " + ref);
            assertEquals(ref, loss, 1e-5 * ref, "trial " + trial);
            for (float g : dA) assertTrue(Float.isFinite(g), "finite dpA");
            for (float g : dB) assertTrue(Float.isFinite(g), "finite dpB");
        }
        // pA = pB = c * e_i: S = c^2 I, L = log(1 + (B - 1) exp(-c^2 / tau)); shifted by one user: L = c^2 / tau + log(...)
        int users = 5;
        float c = 40f, tau = 0.01f;
        float[] pA = new float[users * users], pB = new float[users * users], pShift = new float[users * users];
        for (int i = 0; i < users; i++) {
            pA[i * users + i] = c;
            pB[i * users + i] = c;
            pShift[i * users + (i + 1) % users] = c;
        }
        InfoNce nce = new InfoNce(tau);
        double x = (double) c * c / tau;
        assertEquals(Math.log1p((users - 1) * Math.exp(-x)), nce.loss(pA, pB, users, users, null), 1e-12, "aligned views");
        assertEquals(x + Math.log1p((users - 1) * Math.exp(-x)), nce.loss(pA, pShift, users, users, null), 1e-6 * x, "misaligned views (1/tau rounded to float)");
    }

    @Test
    void deterministicForAnyThreadCount() {
        Random rnd = new Random(TestData.seed("InfoNceTest.deterministicForAnyThreadCount"));
        int users = 150, dim = 128;
        float[] pA = unitRows(rnd, users, dim), pB = unitRows(rnd, users, dim);
        InfoNce nce = new InfoNce(0.1f);
        float[][] ref = null;
        double refLoss = 0;
        try (Parallel p1 = new Parallel(1); Parallel p3 = new Parallel(3)) {
            for (Parallel par : new Parallel[]{null, p1, p3}) {
                float[] dA = new float[pA.length], dB = new float[pB.length];
                double loss = nce.forwardBackward(pA, pB, users, dim, 1f, dA, dB, par);
                if (ref == null) {
                    ref = new float[][]{dA, dB};
                    refLoss = loss;
                } else {
                    assertEquals(refLoss, loss, 0.0, "loss with " + par.threads() + " threads");
                    assertArrayEquals(ref[0], dA, "dpA with " + par.threads() + " threads");
                    assertArrayEquals(ref[1], dB, "dpB with " + par.threads() + " threads");
                }
            }
        }
    }

    @Test
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> new InfoNce(0f));
        assertThrows(IllegalArgumentException.class, () -> new InfoNce(Float.NaN));
        InfoNce nce = new InfoNce(0.1f);
        var e = assertThrows(IllegalArgumentException.class, () -> nce.loss(new float[4], new float[4], 1, 4, null));
        assertTrue(e.getMessage().contains("at least 2 users"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> nce.loss(new float[8], new float[7], 2, 4, null));
        assertTrue(e.getMessage().contains("pB has 7"), e.getMessage());
    }
}
