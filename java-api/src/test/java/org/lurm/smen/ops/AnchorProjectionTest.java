package org.lurm.smen.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.lurm.smen.ops.RowTestCases.relErr;
import static org.lurm.smen.ops.RowTestCases.toDouble;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lurm.backend.cpu.Parallel;
import org.lurm.smen.SmenBatch;
import org.lurm.smen.SmenLayout;
import org.lurm.testing.TestData;

class AnchorProjectionTest {
    /** (rows T, h, anchors M, d'): T not a multiple of 4, widths off the vector lengths, MODEL.md's sizes. */
    private static final int[][] CASES = {{1, 5, 1, 3}, {7, 13, 3, 5}, {6, 64, 8, 16}, {9, 20, 2, 33}, {2, 16, 11, 17}};

    private static AnchorProjection op(String kernels, SmenLayout layout) {
        if (kernels.equals(RowKernels.VECTOR)) assumeTrue(AnchorAttention.vectorAvailable(), RowKernels.FLAG_HINT);
        return AnchorProjection.create(layout, kernels);
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void forwardMatchesDoubleReferenceAndBackwardMatchesFiniteDifferences(String kernels) {
        SplittableRandom r = new SplittableRandom(TestData.seed("anchor-projection-fd-" + kernels));
        try (Parallel par = new Parallel(2)) {
            for (int[] c : CASES) {
                int rows = c[0], h = c[1], nm = c[2], dp = c[3];
                String what = "T " + rows + ", h " + h + ", M " + nm + ", d' " + dp;
                SmenLayout layout = RowTestCases.layout(3, 1, h, nm, dp);
                AnchorProjection op = op(kernels, layout);
                float[] p = RowTestCases.params(r, layout, 0.5);
                float[] in = RowTestCases.randomFloats(r, rows * nm * h);
                float[] out = new float[rows * nm * dp];
                op.forward(p, rows, in, out, par);
                double[] pd = toDouble(p), rd = toDouble(in);
                assertTrue(relErr(out, RowTestCases.refProject(pd, layout, rows, rd)) < 1e-5, what + ": o vs float64 reference");

                float[] dout = RowTestCases.randomFloats(r, out.length);
                float[] dr0 = RowTestCases.randomFloats(r, in.length), dr = dr0.clone();
                float[] grad0 = RowTestCases.randomFloats(r, p.length), grad = grad0.clone();
                op.backward(p, rows, in, dout, dr, grad, par);
                double[] g = toDouble(dout);
                int wOff = layout.offset("W"), bOff = layout.offset("b");
                int nw = nm * h * dp, nb = nm * dp;
                double[] fdW = new double[nw], anW = new double[nw], fdB = new double[nb], anB = new double[nb];
                for (int x = 0; x < nw; x++) {
                    fdW[x] = fd(pd, wOff + x, layout, rows, rd, g);
                    anW[x] = (double) grad[wOff + x] - grad0[wOff + x];
                }
                for (int x = 0; x < nb; x++) {
                    fdB[x] = fd(pd, bOff + x, layout, rows, rd, g);
                    anB[x] = (double) grad[bOff + x] - grad0[bOff + x];
                }
                double[] fdR = new double[in.length], anR = new double[in.length];
                for (int x = 0; x < in.length; x++) {
                    fdR[x] = fd(rd, x, layout, rows, pd, g, true);
                    anR[x] = (double) dr[x] - dr0[x];
                }
                assertTrue(relErr(anW, fdW) < 2e-4, what + ": dW vs finite differences " + relErr(anW, fdW));
                assertTrue(relErr(anB, fdB) < 2e-4, what + ": db vs finite differences " + relErr(anB, fdB));
                assertTrue(relErr(anR, fdR) < 2e-4, what + ": dr vs finite differences " + relErr(anR, fdR));
                for (int x = 0; x < p.length; x++) {
                    if (x < wOff || x >= bOff + nb) assertEquals(grad0[x], grad[x], what + ": gradient outside W and b changed at " + x);
                }
            }
        }
    }

    /** Central difference of f = sum dout * o at parameter coordinate x. */
    private static double fd(double[] pd, int x, SmenLayout layout, int rows, double[] rd, double[] dout) {
        double keep = pd[x], eps = 1e-5 * Math.max(1, Math.abs(keep));
        pd[x] = keep + eps;
        double fp = RowTestCases.dot(dout, RowTestCases.refProject(pd, layout, rows, rd));
        pd[x] = keep - eps;
        double fm = RowTestCases.dot(dout, RowTestCases.refProject(pd, layout, rows, rd));
        pd[x] = keep;
        return (fp - fm) / (2 * eps);
    }

    /** Central difference of f = sum dout * o at input coordinate x of r. */
    private static double fd(double[] rd, int x, SmenLayout layout, int rows, double[] pd, double[] dout, boolean input) {
        double keep = rd[x], eps = 1e-5 * Math.max(1, Math.abs(keep));
        rd[x] = keep + eps;
        double fp = RowTestCases.dot(dout, RowTestCases.refProject(pd, layout, rows, rd));
        rd[x] = keep - eps;
        double fm = RowTestCases.dot(dout, RowTestCases.refProject(pd, layout, rows, rd));
        rd[x] = keep;
        return (fp - fm) / (2 * eps);
    }

    @Test
    void vectorKernelsAgreeWithScalarKernelsAndAnyThreadCountGivesTheSameBits() {
        assumeTrue(AnchorAttention.vectorAvailable(), RowKernels.FLAG_HINT);
        SplittableRandom r = new SplittableRandom(TestData.seed("anchor-projection-vector-vs-scalar"));
        for (int[] c : new int[][]{{403, 64, 8, 16}, {130, 37, 3, 21}, {57, 8, 16, 4}}) {
            int rows = c[0], h = c[1], nm = c[2], dp = c[3];
            String what = "T " + rows + ", h " + h + ", M " + nm + ", d' " + dp;
            SmenLayout layout = RowTestCases.layout(3, 1, h, nm, dp);
            float[] p = RowTestCases.params(r, layout, 0.5);
            float[] in = RowTestCases.randomFloats(r, rows * nm * h);
            float[] dout = RowTestCases.randomFloats(r, rows * nm * dp);
            float[][] o = new float[2][], dr = new float[2][], grad = new float[2][];
            String[] names = {"scalar", "vector"};
            for (int v = 0; v < 2; v++) {
                AnchorProjection op = AnchorProjection.create(layout, names[v]);
                float[] o1 = null, dr1 = null, g1 = null;
                for (int threads : new int[]{1, 3, 2}) {
                    float[] oo = new float[rows * nm * dp], dd = new float[in.length], gg = new float[p.length];
                    try (Parallel par = new Parallel(threads)) {
                        op.forward(p, rows, in, oo, par);
                        op.backward(p, rows, in, dout, dd, gg, par);
                    }
                    if (o1 == null) {
                        o1 = oo;
                        dr1 = dd;
                        g1 = gg;
                    } else {
                        assertArrayEquals(o1, oo, what + ", " + names[v] + ", " + threads + " threads: o");
                        assertArrayEquals(dr1, dd, what + ", " + names[v] + ", " + threads + " threads: dr");
                        assertArrayEquals(g1, gg, what + ", " + names[v] + ", " + threads + " threads: gradient");
                    }
                }
                o[v] = o1;
                dr[v] = dr1;
                grad[v] = g1;
            }
            assertTrue(relErr(o[1], o[0]) < 1e-5, what + ": o " + relErr(o[1], o[0]));
            assertTrue(relErr(dr[1], dr[0]) < 1e-5, what + ": dr " + relErr(dr[1], dr[0]));
            assertTrue(relErr(grad[1], grad[0]) < 1e-5, what + ": gradient " + relErr(grad[1], grad[0]));
        }
    }

    /**
     * Attention then projection composed through the accumulating backward: the gradients of V, A, W and b of
     * f = sum G * o(r(V, A)) match central differences of the composed float64 references.
     */
    @ParameterizedTest
    @ValueSource(strings = {"scalar", "vector"})
    void composesWithAnchorAttention(String kernels) {
        SplittableRandom r = new SplittableRandom(TestData.seed("anchor-projection-composed-" + kernels));
        int k = 9, h = 12, nm = 3, dp = 5;
        SmenLayout layout = RowTestCases.layout(k, 2, h, nm, dp);
        AnchorAttention att = AnchorAttentionTest.op(kernels, layout);
        AnchorProjection proj = op(kernels, layout);
        SmenBatch b = RowTestCases.batch(r, 3, 2, k, 5, false);
        float[] p = RowTestCases.params(r, layout, 0.7);
        float[] rr = new float[b.rows() * nm * h], attn = new float[b.nnz() * nm], o = new float[b.rows() * nm * dp];
        float[] dout = RowTestCases.randomFloats(r, o.length);
        float[] grad = new float[p.length], dr = new float[rr.length];
        try (Parallel par = new Parallel(2)) {
            att.forward(p, b, rr, attn, par);
            proj.forward(p, b.rows(), rr, o, par);
            proj.backward(p, b.rows(), rr, dout, dr, grad, par);
            att.backward(p, b, attn, dr, grad, par);
        }
        double[] pd = toDouble(p), g = toDouble(dout);
        int last = layout.offset("b") + nm * dp;
        double[] fd = new double[last], an = new double[last];
        for (int x = 0; x < last; x++) {
            double keep = pd[x], eps = 1e-5 * Math.max(1, Math.abs(keep));
            pd[x] = keep + eps;
            double fp = RowTestCases.dot(g, RowTestCases.refProject(pd, layout, b.rows(), RowTestCases.refAttend(pd, layout, b)));
            pd[x] = keep - eps;
            double fm = RowTestCases.dot(g, RowTestCases.refProject(pd, layout, b.rows(), RowTestCases.refAttend(pd, layout, b)));
            pd[x] = keep;
            fd[x] = (fp - fm) / (2 * eps);
            an[x] = grad[x];
        }
        assertTrue(relErr(an, fd) < 2e-4, "V, A, W, b of the composed ops vs finite differences " + relErr(an, fd));
    }

    @Test
    void shortArraysAreNamed() {
        SmenLayout layout = RowTestCases.layout(3, 1, 8, 2, 4);
        AnchorProjection op = AnchorProjection.create(layout);
        float[] p = new float[(int) layout.total()];
        try (Parallel par = new Parallel(1)) {
            AnchorAttentionTest.assertMessage(() -> op.forward(p, 2, new float[31], new float[16], par), "r has 31 floats, needs at least 32");
            AnchorAttentionTest.assertMessage(() -> op.forward(p, 2, new float[32], new float[15], par), "o has 15 floats");
            AnchorAttentionTest.assertMessage(() -> op.forward(p, -1, new float[32], new float[16], par), "rows must be >= 0");
            float[] in = new float[32];
            AnchorAttentionTest.assertMessage(() -> op.backward(p, 2, in, new float[16], in, new float[p.length], par), "dr must not be the input array r");
            AnchorAttentionTest.assertMessage(() -> op.backward(p, 2, in, new float[16], new float[32], new float[7], par), "grad has 7 floats");
        }
    }
}
