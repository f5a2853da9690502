package org.lurm.smen.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.lurm.smen.ops.UserOpsFixtures.assertClose;
import static org.lurm.smen.ops.UserOpsFixtures.gaussian;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lurm.testing.TestData;

class UserKernelsTest {
    private static final int[] WIDTHS = {1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 128, 256};

    /** The three products of both implementations equal a naive double product, at odd and vector-sized widths. */
    @Test
    void productsMatchNaiveDouble() {
        Random rnd = new Random(TestData.seed("UserKernelsTest.productsMatchNaiveDouble"));
        for (UserKernels kern : kernels()) {
            for (int trial = 0; trial < 40; trial++) {
                int n = 1 + rnd.nextInt(13), k = WIDTHS[rnd.nextInt(WIDTHS.length)], m = WIDTHS[rnd.nextInt(WIDTHS.length)];
                int off = rnd.nextInt(5);   // offsets into larger arrays, as the flat parameter array needs
                String what = kern.name() + " n " + n + " k " + k + " m " + m;
                // NN: c (n x m) += a (n x k) b (k x m)
                float[] a = gaussian(rnd, off + n * k, 1), b = gaussian(rnd, off + k * m, 1), c = gaussian(rnd, off + n * m, 1);
                double[] exp = new double[n * m], mag = new double[n * m];
                for (int r = 0; r < n; r++) for (int j = 0; j < m; j++) {
                    double s = c[off + r * m + j], sa = Math.abs(s);
                    for (int i = 0; i < k; i++) {
                        double t = (double) a[off + r * k + i] * b[off + i * m + j];
                        s += t;
                        sa += Math.abs(t);
                    }
                    exp[r * m + j] = s;
                    mag[r * m + j] = sa;
                }
                kern.gemmNN(a, off, b, off, c, off, k, m, 0, n);
                assertWithinRounding(exp, mag, c, off, k, "NN " + what);
                // TN: c (k x m) += a^T (a is n x k) b (n x m)
                b = gaussian(rnd, off + n * m, 1);
                c = gaussian(rnd, off + k * m, 1);
                double[] expT = new double[k * m], magT = new double[k * m];
                for (int i = 0; i < k; i++) for (int j = 0; j < m; j++) {
                    double s = c[off + i * m + j], sa = Math.abs(s);
                    for (int r = 0; r < n; r++) {
                        double t = (double) a[off + r * k + i] * b[off + r * m + j];
                        s += t;
                        sa += Math.abs(t);
                    }
                    expT[i * m + j] = s;
                    magT[i * m + j] = sa;
                }
                kern.gemmTN(a, off, b, off, c, off, n, k, m, 0, k);
                assertWithinRounding(expT, magT, c, off, n, "TN " + what);
            }
        }
    }

    /**
     * Each element within the worst-case rounding bound of a float sum of len + 1 terms, (len + 1) u sum|terms|
     * (u = 2^-24), plus one rounding of the result: cancellation cannot make it flaky, a wrong term always fails.
     */
    private static void assertWithinRounding(double[] exp, double[] mag, float[] c, int off, int len, String what) {
        double u = 0x1p-24;
        for (int i = 0; i < exp.length; i++) {
            double bound = (len + 2) * u * mag[i];
            double err = Math.abs(c[off + i] - exp[i]);
            org.junit.jupiter.api.Assertions.assertTrue(err <= bound, what + ": element " + i + " off by " + err + " > " + bound);
        }
    }

    /** Any split of the output rows gives the same bits as one call: the ops may chunk rows freely. */
    @Test
    void rowSplitsGiveIdenticalBits() {
        Random rnd = new Random(TestData.seed("UserKernelsTest.rowSplitsGiveIdenticalBits"));
        for (UserKernels kern : kernels()) {
            for (int trial = 0; trial < 20; trial++) {
                int n = 2 + rnd.nextInt(20), k = WIDTHS[rnd.nextInt(WIDTHS.length)], m = WIDTHS[rnd.nextInt(WIDTHS.length)];
                float[] a = gaussian(rnd, n * k, 1), bNN = gaussian(rnd, k * m, 1), bTN = gaussian(rnd, n * m, 1);
                float[] c0 = gaussian(rnd, n * m, 1), t0 = gaussian(rnd, k * m, 1);
                float[] whole = c0.clone(), split = c0.clone();
                kern.gemmNN(a, 0, bNN, 0, whole, 0, k, m, 0, n);
                for (int[] r : cuts(rnd, n)) kern.gemmNN(a, 0, bNN, 0, split, 0, k, m, r[0], r[1]);
                assertArrayEquals(whole, split, kern.name() + " NN");
                whole = t0.clone();
                split = t0.clone();
                kern.gemmTN(a, 0, bTN, 0, whole, 0, n, k, m, 0, k);
                for (int[] r : cuts(rnd, k)) kern.gemmTN(a, 0, bTN, 0, split, 0, n, k, m, r[0], r[1]);
                assertArrayEquals(whole, split, kern.name() + " TN");
            }
        }
    }

    /**
     * The first (interpreted) call and a call after thousands of repetitions (JIT-compiled) give the same bits:
     * the kernels avoid horizontal vector sums, whose order differs between the two.
     */
    @Test
    void sameBitsColdAndCompiled() {
        Random rnd = new Random(TestData.seed("UserKernelsTest.sameBitsColdAndCompiled"));
        int n = 9, k = 67, m = 70;
        float[] a = gaussian(rnd, n * k, 1), b = gaussian(rnd, k * m, 1), bt = gaussian(rnd, n * m, 1);
        for (UserKernels kern : kernels()) {
            float[] cold = new float[n * m], coldT = new float[k * m];
            kern.gemmNN(a, 0, b, 0, cold, 0, k, m, 0, n);
            kern.gemmTN(a, 0, bt, 0, coldT, 0, n, k, m, 0, k);
            float[] c = null, t = null;
            for (int rep = 0; rep < 3000; rep++) {
                c = new float[n * m];
                t = new float[k * m];
                kern.gemmNN(a, 0, b, 0, c, 0, k, m, 0, n);
                kern.gemmTN(a, 0, bt, 0, t, 0, n, k, m, 0, k);
            }
            assertArrayEquals(cold, c, kern.name() + " NN");
            assertArrayEquals(coldT, t, kern.name() + " TN");
        }
    }

    /** transpose moves every element of an r x c block (at offsets) to its mirrored place, and nothing else. */
    @Test
    void transposeMirrors() {
        Random rnd = new Random(TestData.seed("UserKernelsTest.transposeMirrors"));
        for (int trial = 0; trial < 20; trial++) {
            int r = 1 + rnd.nextInt(70), c = 1 + rnd.nextInt(70), so = rnd.nextInt(4), dOff = rnd.nextInt(4);
            float[] src = gaussian(rnd, so + r * c + 3, 1), dst = gaussian(rnd, dOff + r * c + 3, 1), before = dst.clone();
            UserKernels.transpose(src, so, r, c, dst, dOff);
            for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) org.junit.jupiter.api.Assertions.assertEquals(src[so + i * c + j], dst[dOff + j * r + i]);
            for (int i = 0; i < dOff; i++) org.junit.jupiter.api.Assertions.assertEquals(before[i], dst[i]);
            for (int i = dOff + r * c; i < dst.length; i++) org.junit.jupiter.api.Assertions.assertEquals(before[i], dst[i]);
        }
    }

    /** The Vector API and scalar versions agree (when the module is present). */
    @Test
    void simdAgreesWithScalar() {
        assumeTrue(UserKernels.simd() != null, UserKernels.simdUnavailableReason());
        Random rnd = new Random(TestData.seed("UserKernelsTest.simdAgreesWithScalar"));
        UserKernels simd = UserKernels.simd(), scalar = UserKernels.scalar();
        int n = 37, k = 128, m = 256;
        float[] a = gaussian(rnd, n * k, 1), b = gaussian(rnd, k * m, 1);
        float[] c1 = new float[n * m], c2 = new float[n * m];
        simd.gemmNN(a, 0, b, 0, c1, 0, k, m, 0, n);
        scalar.gemmNN(a, 0, b, 0, c2, 0, k, m, 0, n);
        assertClose(UserOpsFixtures.toDouble(c2), UserOpsFixtures.toDouble(c1), 1e-6, "NN simd vs scalar");
        assertTrue(UserKernels.best() == simd, "best() picks the Vector API when it is present");
    }

    private static void assertTrue(boolean c, String msg) {
        org.junit.jupiter.api.Assertions.assertTrue(c, msg);
    }

    private static UserKernels[] kernels() {
        return UserKernels.simd() == null ? new UserKernels[]{UserKernels.scalar()} : new UserKernels[]{UserKernels.scalar(), UserKernels.simd()};
    }

    /** A random partition of [0, n) into consecutive ranges, visited in random order. */
    private static java.util.List<int[]> cuts(Random rnd, int n) {
        java.util.List<int[]> out = new java.util.ArrayList<>();
        int lo = 0;
        while (lo < n) {
            int hi = Math.min(n, lo + 1 + rnd.nextInt(6));
            out.add(new int[]{lo, hi});
            lo = hi;
        }
        java.util.Collections.shuffle(out, rnd);
        return out;
    }
}
