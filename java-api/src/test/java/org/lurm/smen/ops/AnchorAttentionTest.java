package org.lurm.smen.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.lurm.smen.ops.RowTestCases.relErr;
import static org.lurm.smen.ops.RowTestCases.toDouble;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lurm.backend.cpu.Parallel;
import org.lurm.smen.SmenBatch;
import org.lurm.smen.SmenLayout;
import org.lurm.testing.TestData;

class AnchorAttentionTest {
    /** (users B, scales S, interests K, h, anchors M, max non-zeros per row, duplicate interests in a row). */
    private record Case(int users, int scales, int k, int h, int anchors, int maxNnz, boolean duplicates) {
    }

    private static final List<Case> CASES = List.of(
            new Case(2, 1, 7, 5, 1, 4, false),      // B = 2, S = 1, a single anchor
            new Case(3, 2, 12, 13, 3, 6, false),    // widths that are no multiple of any vector length
            new Case(4, 2, 10, 16, 8, 5, true),     // an interest repeated inside a row
            new Case(3, 1, 40, 64, 8, 12, false),   // MODEL.md's h and M
            new Case(2, 2, 9, 37, 11, 5, false),    // more anchors than one anchor vector holds
            new Case(2, 1, 120, 6, 2, 3 * RowKernelsSimd.TILE, false)); // rows over several online-softmax tiles

    static AnchorAttention op(String kernels, SmenLayout layout) {
        if (kernels.equals(RowKernels.VECTOR)) assumeTrue(AnchorAttention.vectorAvailable(), RowKernels.FLAG_HINT);
        return AnchorAttention.create(layout, kernels);
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void forwardMatchesDoubleReferenceAndBackwardMatchesFiniteDifferences(String kernels) {
        SplittableRandom r = new SplittableRandom(TestData.seed("anchor-attention-fd-" + kernels));
        try (Parallel par = new Parallel(2)) {
            for (Case c : CASES) {
                SmenLayout layout = RowTestCases.layout(c.k(), c.scales(), c.h(), c.anchors(), 4);
                SmenBatch b = RowTestCases.batch(r, c.users(), c.scales(), c.k(), c.maxNnz(), c.duplicates());
                checkAgainstReference(op(kernels, layout), layout, b, RowTestCases.params(r, layout, 1.0), r, par, c.toString());
            }
        }
    }

    /** Forward vs the float64 reference; backward vs central differences of the float64 reference. */
    private static void checkAgainstReference(AnchorAttention op, SmenLayout layout, SmenBatch b, float[] p, SplittableRandom r, Parallel par, String what) {
        int h = layout.config().h(), nm = layout.config().anchors();
        float[] out = new float[b.rows() * nm * h];
        float[] attn = new float[b.nnz() * nm];
        op.forward(p, b, out, attn, par);
        double[] pd = toDouble(p);
        double errR = relErr(out, RowTestCases.refAttend(pd, layout, b));
        assertTrue(errR < 1e-5, what + ": r vs float64 reference " + errR);
        assertTrue(relErr(attn, RowTestCases.refAttention(pd, layout, b)) < 1e-5, what + ": attention vs float64 reference");

        float[] dr = RowTestCases.randomFloats(r, out.length);
        float[] grad0 = RowTestCases.randomFloats(r, p.length);
        float[] grad = grad0.clone();
        int[] touched = op.backward(p, b, attn, dr, grad, par);

        TreeSet<Integer> expect = new TreeSet<>();
        for (int j = 0; j < b.nnz(); j++) expect.add(b.cols()[j]);
        assertArrayEquals(expect.stream().mapToInt(Integer::intValue).toArray(), touched, what + ": touched interest rows");

        double[] g = new double[p.length];
        for (int x = 0; x < p.length; x++) g[x] = (double) grad[x] - grad0[x];
        int vOff = layout.offset("V"), aOff = layout.offset("A");
        double[] drd = toDouble(dr);
        // Every V coordinate (touched rows and the rest) and every A coordinate.
        double[] fdV = new double[layout.numInterests() * h], anV = new double[fdV.length];
        for (int x = 0; x < fdV.length; x++) {
            fdV[x] = fd(pd, vOff + x, layout, b, drd);
            anV[x] = g[vOff + x];
        }
        double[] fdA = new double[nm * h], anA = new double[fdA.length];
        for (int x = 0; x < fdA.length; x++) {
            fdA[x] = fd(pd, aOff + x, layout, b, drd);
            anA[x] = g[aOff + x];
        }
        assertTrue(relErr(anV, fdV) < 2e-4, what + ": dV vs finite differences, normalised error " + relErr(anV, fdV));
        // When every row's distinct interests are one (duplicates), r does not depend on A and dA is zero: the float
        // backward then leaves rounding of order 1e-7 against an exact 0, so the error is measured against dV's scale.
        double normFdA = Math.sqrt(dot(fdA, fdA)), normFdV = Math.sqrt(dot(fdV, fdV));
        if (normFdA > 1e-6 * normFdV) {
            assertTrue(relErr(anA, fdA) < 2e-4, what + ": dA vs finite differences, normalised error " + relErr(anA, fdA));
        } else {
            double err = relErr(anA, fdA) * Math.max(normFdA, 1e-30);
            assertTrue(err < 2e-4 * normFdV, what + ": dA is zero here (the rows cannot tell anchors apart), got norm " + err + " against |dV| " + normFdV);
        }
        // Rows of V outside the touched list and every other tensor are left exactly as they were.
        for (int k = 0; k < layout.numInterests(); k++) {
            if (expect.contains(k)) continue;
            for (int i = 0; i < h; i++) assertEquals(grad0[vOff + k * h + i], grad[vOff + k * h + i], what + ": untouched V row " + k + " changed");
        }
        for (int x = aOff + nm * h; x < p.length; x++) assertEquals(grad0[x], grad[x], what + ": gradient outside V and A changed at " + x);
    }

    /** Central difference of f = sum dr * r(params) at coordinate x, in float64. */
    private static double fd(double[] pd, int x, SmenLayout layout, SmenBatch b, double[] dr) {
        double keep = pd[x], eps = 1e-5 * Math.max(1, Math.abs(keep));
        pd[x] = keep + eps;
        double fp = RowTestCases.dot(dr, RowTestCases.refAttend(pd, layout, b));
        pd[x] = keep - eps;
        double fm = RowTestCases.dot(dr, RowTestCases.refAttend(pd, layout, b));
        pd[x] = keep;
        return (fp - fm) / (2 * eps);
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void zeroAnchorsGiveTheWeightAveragedInterestEmbedding(String kernels) {
        SplittableRandom r = new SplittableRandom(TestData.seed("anchor-attention-zero-anchors-" + kernels));
        int h = 64, nm = 8, k = 30;
        SmenLayout layout = RowTestCases.layout(k, 2, h, nm, 16);
        AnchorAttention op = op(kernels, layout);
        SmenBatch b = RowTestCases.batch(r, 5, 2, k, 12, false);
        float[] p = RowTestCases.params(r, layout, 1.0);
        Arrays.fill(p, layout.offset("A"), layout.offset("A") + nm * h, 0f);
        float[] out = new float[b.rows() * nm * h];
        float[] attn = new float[b.nnz() * nm];
        try (Parallel par = new Parallel(2)) {
            op.forward(p, b, out, attn, par);
        }
        // softmax of log w = w / sum w, the same for every anchor.
        double[] mean = new double[out.length];
        double[] share = new double[attn.length];
        for (int t = 0; t < b.rows(); t++) {
            double sw = 0;
            for (int j = b.rowPtr()[t]; j < b.rowPtr()[t + 1]; j++) sw += b.vals()[j];
            for (int j = b.rowPtr()[t]; j < b.rowPtr()[t + 1]; j++) {
                double a = b.vals()[j] / sw;
                for (int m = 0; m < nm; m++) {
                    share[j * nm + m] = a;
                    for (int i = 0; i < h; i++) mean[(t * nm + m) * h + i] += a * p[b.cols()[j] * h + i];
                }
            }
        }
        assertTrue(relErr(out, mean) < 1e-6, "r vs weighted mean: " + relErr(out, mean));
        assertTrue(relErr(attn, share) < 1e-6, "attention vs w / sum w: " + relErr(attn, share));
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void aRowWithOneNonZeroIsItsInterestAndGivesTheAnchorsNoGradient(String kernels) {
        SplittableRandom r = new SplittableRandom(TestData.seed("anchor-attention-single-" + kernels));
        int h = 64, nm = 8, k = 6;
        SmenLayout layout = RowTestCases.layout(k, 1, h, nm, 16);
        AnchorAttention op = op(kernels, layout);
        SmenBatch b = RowTestCases.singleNonZeroRows(r, 7, k);
        float[] p = RowTestCases.params(r, layout, 1.0);
        float[] out = new float[b.rows() * nm * h];
        float[] attn = new float[b.nnz() * nm];
        float[] dr = RowTestCases.randomFloats(r, out.length);
        float[] grad = new float[p.length];
        try (Parallel par = new Parallel(2)) {
            op.forward(p, b, out, attn, par);
            op.backward(p, b, attn, dr, grad, par);
        }
        for (float a : attn) assertEquals(1f, a, "attention of a single interest");
        double[] dv = new double[k * h];
        for (int t = 0; t < b.rows(); t++) {
            int kk = b.cols()[b.rowPtr()[t]];
            for (int m = 0; m < nm; m++) {
                for (int i = 0; i < h; i++) {
                    assertEquals(p[kk * h + i], out[(t * nm + m) * h + i], "r of row " + t + " anchor " + m + " is V[" + kk + "]");
                    dv[kk * h + i] += dr[(t * nm + m) * h + i];
                }
            }
        }
        int aOff = layout.offset("A");
        for (int x = 0; x < nm * h; x++) assertEquals(0f, grad[aOff + x], "dA of single-interest rows");
        assertTrue(relErr(Arrays.copyOf(grad, k * h), dv) < 1e-6, "dV = sum of dr over the rows of each interest");
    }

    @Test
    void vectorKernelsAgreeWithScalarKernels() {
        assumeTrue(AnchorAttention.vectorAvailable(), RowKernels.FLAG_HINT);
        SplittableRandom r = new SplittableRandom(TestData.seed("anchor-attention-vector-vs-scalar"));
        int[][] sizes = {{64, 8}, {37, 3}, {16, 11}, {7, 16}};
        try (Parallel par = new Parallel(2)) {
            for (int[] sz : sizes) {
                int h = sz[0], nm = sz[1], k = 300;
                SmenLayout layout = RowTestCases.layout(k, 1, h, nm, 16);
                SmenBatch b = RowTestCases.large(r, 40, 3, k, 25);
                float[] p = RowTestCases.params(r, layout, 1.0);
                float[] dr = RowTestCases.randomFloats(r, b.rows() * nm * h);
                float[][] res = new float[2][], att = new float[2][], grads = new float[2][];
                int[][] touched = new int[2][];
                String[] names = {"scalar", "vector"};
                for (int v = 0; v < 2; v++) {
                    AnchorAttention op = AnchorAttention.create(layout, names[v]);
                    assertEquals(names[v], op.kernels());
                    res[v] = new float[b.rows() * nm * h];
                    att[v] = new float[b.nnz() * nm];
                    grads[v] = new float[p.length];
                    op.forward(p, b, res[v], att[v], par);
                    touched[v] = op.backward(p, b, att[v], dr, grads[v], par);
                }
                String what = "h " + h + ", M " + nm;
                assertTrue(relErr(res[1], res[0]) < 1e-5, what + ": r " + relErr(res[1], res[0]));
                assertTrue(relErr(att[1], att[0]) < 1e-5, what + ": attention " + relErr(att[1], att[0]));
                assertTrue(relErr(grads[1], grads[0]) < 1e-5, what + ": gradient " + relErr(grads[1], grads[0]));
                assertArrayEquals(touched[0], touched[1], what + ": touched rows");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void resultsAreBitIdenticalForAnyThreadCount(String kernels) {
        SplittableRandom r = new SplittableRandom(TestData.seed("anchor-attention-threads-" + kernels));
        int h = 64, nm = 8, k = 500;
        SmenLayout layout = RowTestCases.layout(k, 1, h, nm, 16);
        AnchorAttention op = op(kernels, layout);
        SmenBatch b = RowTestCases.large(r, 80, 4, k, 20);
        float[] p = RowTestCases.params(r, layout, 1.0);
        float[] dr = RowTestCases.randomFloats(r, b.rows() * nm * h);
        float[] r0 = null, a0 = null, g0 = null;
        for (int threads : new int[]{1, 2, 3, 2}) {
            float[] out = new float[b.rows() * nm * h], attn = new float[b.nnz() * nm], grad = new float[p.length];
            try (Parallel par = new Parallel(threads)) {
                op.forward(p, b, out, attn, par);
                op.backward(p, b, attn, dr, grad, par);
            }
            if (r0 == null) {
                r0 = out;
                a0 = attn;
                g0 = grad;
            } else {
                assertArrayEquals(r0, out, threads + " threads: r");
                assertArrayEquals(a0, attn, threads + " threads: attention");
                assertArrayEquals(g0, grad, threads + " threads: gradient");
            }
        }
    }

    @Test
    void forwardWithoutAttentionGivesTheSameR() {
        SplittableRandom r = new SplittableRandom(TestData.seed("anchor-attention-no-attn"));
        SmenLayout layout = RowTestCases.layout(50, 1, 64, 8, 16);
        AnchorAttention op = AnchorAttention.create(layout);
        SmenBatch b = RowTestCases.large(r, 10, 3, 50, 10);
        float[] p = RowTestCases.params(r, layout, 1.0);
        float[] r1 = new float[b.rows() * op.rowWidth()], r2 = new float[r1.length];
        try (Parallel par = new Parallel(2)) {
            op.forward(p, b, r1, new float[b.nnz() * 8], par);
            op.forward(p, b, r2, null, par);
        }
        assertArrayEquals(r1, r2);
    }

    @Test
    void badInputIsRejectedWithTheRowAndNonZero() {
        SmenLayout layout = RowTestCases.layout(5, 1, 8, 2, 4);
        AnchorAttention op = AnchorAttention.create(layout, "scalar");
        float[] p = new float[(int) layout.total()];
        float[] out = new float[3 * 16];
        int[] gs = {0, 3};
        try (Parallel par = new Parallel(1)) {
            SmenBatch empty = new SmenBatch(1, 1, 3, new int[]{0, 2, 2, 3}, new int[]{0, 1, 2}, new float[]{1, 1, 1}, new int[3], gs);
            assertMessage(() -> op.forward(p, empty, out, null, par), "row 1", "no interests");
            SmenBatch zeroW = new SmenBatch(1, 1, 3, new int[]{0, 1, 2, 3}, new int[]{0, 1, 2}, new float[]{1, 0, 1}, new int[3], gs);
            assertMessage(() -> op.forward(p, zeroW, out, null, par), "row 1", "non-zero 1", "weight 0.0");
            SmenBatch nanW = new SmenBatch(1, 1, 3, new int[]{0, 1, 2, 3}, new int[]{0, 1, 2}, new float[]{1, 1, Float.NaN}, new int[3], gs);
            assertMessage(() -> op.forward(p, nanW, out, null, par), "row 2", "NaN");
            SmenBatch outside = new SmenBatch(1, 1, 3, new int[]{0, 1, 2, 3}, new int[]{0, 5, 2}, new float[]{1, 1, 1}, new int[3], gs);
            assertMessage(() -> op.forward(p, outside, out, null, par), "row 1", "interest 5 outside [0, 5)");
            SmenBatch ok = new SmenBatch(1, 1, 3, new int[]{0, 1, 2, 3}, new int[]{0, 1, 2}, new float[]{1, 1, 1}, new int[3], gs);
            assertMessage(() -> op.forward(p, ok, new float[47], null, par), "r has 47 floats");
            assertMessage(() -> op.forward(p, ok, out, new float[5], par), "attn has 5 floats");
            assertMessage(() -> op.forward(new float[3], ok, out, null, par), "params has 3 floats");
            assertMessage(() -> op.backward(p, ok, new float[6], out, p, par), "grad must not be the parameter array");
            assertMessage(() -> op.backward(p, ok, new float[6], new float[4], new float[p.length], par), "dr has 4 floats");
        }
        assertMessage(() -> AnchorAttention.create(layout, "gpu"), "unknown SMEN row kernels 'gpu'");
    }

    static void assertMessage(Runnable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        for (String part : parts) assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' lacks '" + part + "'");
    }

    private static double dot(double[] a, double[] b) {
        double d = 0;
        for (int x = 0; x < a.length; x++) d += a[x] * b[x];
        return d;
    }
}
