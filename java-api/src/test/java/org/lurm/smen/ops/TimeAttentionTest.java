package org.lurm.smen.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lurm.smen.ops.UserOpsFixtures.ACC0;
import static org.lurm.smen.ops.UserOpsFixtures.assertClose;
import static org.lurm.smen.ops.UserOpsFixtures.fd;
import static org.lurm.smen.ops.UserOpsFixtures.slice;
import static org.lurm.smen.ops.UserOpsFixtures.toDouble;
import static org.lurm.smen.ops.UserOpsFixtures.weighted;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lurm.backend.cpu.Parallel;
import org.lurm.smen.SmenBatch;
import org.lurm.smen.SmenLayout;
import org.lurm.testing.TestData;

class TimeAttentionTest {
    /** Float forward equals the double reference (u and weights), at MODEL.md's sizes and at small odd ones. */
    @Test
    void forwardMatchesDoubleReference() {
        Random rnd = new Random(TestData.seed("TimeAttentionTest.forwardMatchesDoubleReference"));
        for (int trial = 0; trial < 8; trial++) {
            int scales = 1 + rnd.nextInt(3);
            SmenLayout l = trial < 2 ? UserOpsFixtures.defaultLayout(scales) : UserOpsFixtures.smallLayout(rnd, scales);
            int users = 2 + rnd.nextInt(40);
            SmenBatch batch = UserOpsFixtures.batch(rnd, users, scales, 1 + rnd.nextInt(12), l.config().recencyBuckets(), l.numInterests(), true);
            float[] params = UserOpsFixtures.params(l, rnd, 1.0);
            TimeAttention op = new TimeAttention(l);
            float[] o = UserOpsFixtures.gaussian(rnd, batch.rows() * l.config().outputWidth(), 1.0);
            float[] u = UserOpsFixtures.gaussian(rnd, op.outputSize(batch), 9);    // garbage to overwrite
            float[] w = UserOpsFixtures.gaussian(rnd, op.weightsSize(batch), 9);
            op.forward(params, batch, o, u, w, null);
            double[] refW = new double[w.length];
            double[] refU = UserOpsReference.timeAttention(l, toDouble(params), batch, toDouble(o), refW);
            assertClose(refU, toDouble(u), 1e-5, "u, trial " + trial);
            assertClose(refW, toDouble(w), 1e-5, "weights, trial " + trial);
        }
    }

    /** dO, dq, dbeta against central differences of the double reference, accumulated onto what was there. */
    @Test
    void backwardMatchesFiniteDifferences() {
        Random rnd = new Random(TestData.seed("TimeAttentionTest.backwardMatchesFiniteDifferences"));
        for (int trial = 0; trial < 10; trial++) {
            int scales = trial % 3 == 0 ? 1 : 1 + rnd.nextInt(3);
            SmenLayout l = UserOpsFixtures.smallLayout(rnd, scales);
            int users = trial == 0 ? 2 : 2 + rnd.nextInt(5);
            SmenBatch batch = UserOpsFixtures.batch(rnd, users, scales, 4, l.config().recencyBuckets(), l.numInterests(), true);
            checkGradients(l, batch, rnd, "trial " + trial);
        }
    }

    /** MODEL.md's widths (d' 16, M 8, R 16), so the FD check covers the sizes training runs at. */
    @Test
    void backwardMatchesFiniteDifferencesAtDefaultSizes() {
        Random rnd = new Random(TestData.seed("TimeAttentionTest.backwardMatchesFiniteDifferencesAtDefaultSizes"));
        SmenLayout l = UserOpsFixtures.defaultLayout(2);
        SmenBatch batch = UserOpsFixtures.batch(rnd, 3, 2, 5, 16, l.numInterests(), true);
        checkGradients(l, batch, rnd, "default sizes");
    }

    private static void checkGradients(SmenLayout l, SmenBatch batch, Random rnd, String what) {
        int md = l.config().outputWidth();
        TimeAttention op = new TimeAttention(l);
        float[] params = UserOpsFixtures.params(l, rnd, 1.0);
        float[] o = UserOpsFixtures.gaussian(rnd, batch.rows() * md, 1.0);
        float[] u = new float[op.outputSize(batch)], w = new float[op.weightsSize(batch)];
        op.forward(params, batch, o, u, w, null);
        double[] upstream = toDouble(UserOpsFixtures.gaussian(rnd, u.length, 1.0));
        float[] du = new float[u.length];
        for (int i = 0; i < du.length; i++) du[i] = (float) upstream[i];
        float[] dO0 = UserOpsFixtures.gaussian(rnd, o.length, ACC0), dO = dO0.clone();
        float[] grad0 = UserOpsFixtures.params(l, rnd, ACC0), grad = grad0.clone();
        op.backward(params, batch, o, w, du, dO, grad, null);

        double[] pd = toDouble(params), od = toDouble(o);
        double[] fdO = fd(x -> weighted(upstream, UserOpsReference.timeAttention(l, pd, batch, x, null)), od, 0, od.length, 1e-6);
        double[] fdP = fd(x -> weighted(upstream, UserOpsReference.timeAttention(l, x, batch, od, null)), pd, l.offset("q"),
                (int) (l.tensor("q").size() + l.tensor("beta").size()), 1e-6);
        assertClose(fdO, diff(dO, dO0, 0, o.length), 1e-4, what + ": dO");
        int nq = (int) l.tensor("q").size(), nb = (int) l.tensor("beta").size();
        assertClose(slice(fdP, 0, nq), diff(grad, grad0, l.offset("q"), nq), 1e-4, what + ": dq");
        assertClose(slice(fdP, nq, nb), diff(grad, grad0, l.offset("beta"), nb), 1e-4, what + ": dbeta");
        // Nothing else in grad moves.
        for (int i = 0; i < grad.length; i++) {
            if (i < l.offset("q") || i >= l.offset("beta") + nb) assertEquals(grad0[i], grad[i], "grad[" + i + "] outside q/beta");
        }
    }

    /** actual - before over [off, off + n), in double. */
    static double[] diff(float[] after, float[] before, int off, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = (double) after[off + i] - before[off + i];
        return d;
    }

    /** Empty group: u = 0; a one-row group: weight 1, u = o, and no gradient for q or beta. */
    @Test
    void emptyAndSingleRowGroups() {
        Random rnd = new Random(TestData.seed("TimeAttentionTest.emptyAndSingleRowGroups"));
        SmenLayout l = UserOpsFixtures.smallLayout(rnd, 2);
        int m = l.config().anchors(), d = l.config().anchorDim(), md = m * d;
        // user 0: one row at scale 0, nothing at scale 1; user 1: nothing at all
        int[] groupStart = {0, 1, 1, 1, 1};
        SmenBatch batch = new SmenBatch(2, 2, 1, new int[]{0, 1}, new int[]{0}, new float[]{1f}, new int[]{l.config().recencyBuckets() - 1}, groupStart);
        TimeAttention op = new TimeAttention(l);
        float[] params = UserOpsFixtures.params(l, rnd, 3.0);
        float[] o = UserOpsFixtures.gaussian(rnd, md, 1.0);
        float[] u = UserOpsFixtures.gaussian(rnd, op.outputSize(batch), 5), w = new float[m];
        op.forward(params, batch, o, u, w, null);
        for (int a = 0; a < m; a++) assertEquals(1f, w[a], "weight of a lone row");
        for (int i = 0; i < md; i++) assertEquals(o[i], u[i], "u of a one-row group is its o");
        for (int i = md; i < u.length; i++) assertEquals(0f, u[i], "u of an empty group");
        float[] du = UserOpsFixtures.gaussian(rnd, u.length, 1.0), dO = new float[o.length], grad = new float[params.length];
        op.backward(params, batch, o, w, du, dO, grad, null);
        for (int i = 0; i < md; i++) assertEquals(du[i], dO[i], "dO of a one-row group is du");
        for (float g : grad) assertEquals(0f, g, "q and beta get no gradient from one-row groups");
    }

    /** Bit-identical results without a pool and with 1 or 3 threads (fixed chunks, partials summed in order). */
    @Test
    void deterministicForAnyThreadCount() {
        Random rnd = new Random(TestData.seed("TimeAttentionTest.deterministicForAnyThreadCount"));
        SmenLayout l = UserOpsFixtures.defaultLayout(2);
        SmenBatch batch = UserOpsFixtures.batch(rnd, 150, 2, 10, 16, l.numInterests(), true);
        TimeAttention op = new TimeAttention(l);
        float[] params = UserOpsFixtures.params(l, rnd, 1.0);
        float[] o = UserOpsFixtures.gaussian(rnd, batch.rows() * l.config().outputWidth(), 1.0);
        float[] du = UserOpsFixtures.gaussian(rnd, op.outputSize(batch), 1.0);
        float[][] ref = null;
        try (Parallel p1 = new Parallel(1); Parallel p3 = new Parallel(3)) {
            for (Parallel par : new Parallel[]{null, p1, p3}) {
                float[] u = new float[op.outputSize(batch)], w = new float[op.weightsSize(batch)];
                float[] dO = new float[o.length], grad = new float[params.length];
                op.forward(params, batch, o, u, w, par);
                op.backward(params, batch, o, w, du, dO, grad, par);
                float[][] got = {u, w, dO, grad};
                if (ref == null) ref = got;
                else for (int i = 0; i < got.length; i++) assertArrayEquals(ref[i], got[i], "output " + i + " with " + par.threads() + " threads");
            }
        }
    }

    @Test
    void rejectsBadInput() {
        Random rnd = new Random(TestData.seed("TimeAttentionTest.rejectsBadInput"));
        SmenLayout l = UserOpsFixtures.smallLayout(rnd, 2);
        TimeAttention op = new TimeAttention(l);
        float[] params = UserOpsFixtures.params(l, rnd, 1.0);
        int md = l.config().outputWidth(), r = l.config().recencyBuckets();
        SmenBatch badBucket = new SmenBatch(1, 2, 1, new int[]{0, 1}, new int[]{0}, new float[]{1f}, new int[]{r}, new int[]{0, 1, 1});
        var e = assertThrows(IllegalArgumentException.class, () -> op.forward(params, badBucket, new float[md], new float[2 * md], new float[md], null));
        assertTrue(e.getMessage().contains("rowBucket[0]"), e.getMessage());
        SmenBatch decreasing = new SmenBatch(2, 1, 2, new int[]{0, 1, 2}, new int[]{0, 0}, new float[]{1f, 1f}, new int[]{0, 0}, new int[]{0, 2, 2});
        SmenBatch bad = new SmenBatch(2, 1, 2, new int[]{0, 1, 2}, new int[]{0, 0}, new float[]{1f, 1f}, new int[]{0, 0}, new int[]{0, 3, 2});
        SmenLayout l1 = new SmenLayout(l.config(), l.numInterests(), 1);
        TimeAttention op1 = new TimeAttention(l1);
        float[] params1 = UserOpsFixtures.params(l1, rnd, 1.0);
        op1.forward(params1, decreasing, new float[2 * md], new float[2 * md], new float[2 * md], null);
        e = assertThrows(IllegalArgumentException.class, () -> op1.forward(params1, bad, new float[2 * md], new float[2 * md], new float[2 * md], null));
        assertTrue(e.getMessage().contains("groupStart decreases"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> op.forward(params1, badBucket, new float[md], new float[2 * md], new float[md], null));
        assertTrue(e.getMessage().contains("params"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> op1.forward(params1, badBucket, new float[md], new float[2 * md], new float[md], null));
        assertTrue(e.getMessage().contains("scales"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> op1.forward(params1, decreasing, new float[md], new float[2 * md], new float[2 * md], null));
        assertTrue(e.getMessage().contains("o has"), e.getMessage());
    }
}
