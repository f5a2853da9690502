package org.lurm.smen.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lurm.smen.ops.TimeAttentionTest.diff;
import static org.lurm.smen.ops.UserOpsFixtures.ACC0;
import static org.lurm.smen.ops.UserOpsFixtures.assertClose;
import static org.lurm.smen.ops.UserOpsFixtures.fd;
import static org.lurm.smen.ops.UserOpsFixtures.toDouble;
import static org.lurm.smen.ops.UserOpsFixtures.weighted;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lurm.backend.cpu.Parallel;
import org.lurm.smen.SmenLayout;
import org.lurm.testing.TestData;

class ProjectionHeadTest {
    private static final String[] TENSORS = {"P1", "c1", "P2", "c2"};

    private static UserKernels[] kernels() {
        return UserKernels.simd() == null ? new UserKernels[]{UserKernels.scalar()} : new UserKernels[]{UserKernels.scalar(), UserKernels.simd()};
    }

    /** p equals the double reference at MODEL.md's widths and at small odd ones, on both kernel sets; |p| = 1. */
    @Test
    void forwardMatchesDoubleReference() {
        Random rnd = new Random(TestData.seed("ProjectionHeadTest.forwardMatchesDoubleReference"));
        for (UserKernels kern : kernels()) {
            for (int trial = 0; trial < 6; trial++) {
                SmenLayout l = trial < 2 ? UserOpsFixtures.defaultLayout(2) : UserOpsFixtures.smallLayout(rnd, 1);
                int users = trial == 0 ? 2 : 1 + rnd.nextInt(40);
                ProjectionHead head = new ProjectionHead(l, ProjectionHead.DEFAULT_NORM_EPS, kern);
                float[] params = UserOpsFixtures.params(l, rnd, 1.0 / Math.sqrt(l.config().headHidden()));
                float[] z = UserOpsFixtures.gaussian(rnd, users * l.config().outputWidth(), 1.0);
                ProjectionHead.Activations act = head.newActivations(users + rnd.nextInt(3));
                head.forward(params, z, users, act, null);
                double[] ref = UserOpsReference.head(l, toDouble(params), toDouble(z), users, ProjectionHead.DEFAULT_NORM_EPS);
                int h2 = l.config().headOut();
                assertClose(ref, UserOpsFixtures.slice(act.p(), 0, users * h2), 2e-5, kern.name() + " p, trial " + trial);
                for (int b = 0; b < users; b++) {
                    double n = 0;
                    for (int j = 0; j < h2; j++) n += (double) act.p()[b * h2 + j] * act.p()[b * h2 + j];
                    if (act.norm()[b] > ProjectionHead.DEFAULT_NORM_EPS) assertEquals(1.0, n, 1e-5, "|p| of user " + b);
                }
            }
        }
    }

    /** dz, dP1, dc1, dP2, dc2 against central differences of the double reference: every coordinate at small sizes. */
    @Test
    void backwardMatchesFiniteDifferences() {
        Random rnd = new Random(TestData.seed("ProjectionHeadTest.backwardMatchesFiniteDifferences"));
        for (UserKernels kern : kernels()) {
            for (int trial = 0; trial < 8; trial++) {
                SmenLayout l = UserOpsFixtures.smallLayout(rnd, 1);
                int users = trial == 0 ? 2 : 1 + rnd.nextInt(6);
                checkGradients(l, users, kern, rnd, 1e9, kern.name() + " trial " + trial);
            }
        }
    }

    /** The same at MODEL.md's widths (128 -> 256 -> 128) on a random sample of coordinates of every tensor. */
    @Test
    void backwardMatchesFiniteDifferencesAtDefaultSizes() {
        Random rnd = new Random(TestData.seed("ProjectionHeadTest.backwardMatchesFiniteDifferencesAtDefaultSizes"));
        checkGradients(UserOpsFixtures.defaultLayout(2), 9, UserKernels.best(), rnd, 40, "default sizes");
    }

    private static void checkGradients(SmenLayout l, int users, UserKernels kern, Random rnd, double perTensor, String what) {
        int in = l.config().outputWidth(), h2 = l.config().headOut();
        ProjectionHead head = new ProjectionHead(l, ProjectionHead.DEFAULT_NORM_EPS, kern);
        float[] params = UserOpsFixtures.params(l, rnd, 1.0 / Math.sqrt(Math.max(in, l.config().headHidden())));
        // Biases around zero keep some hidden units dead, so the relu mask is exercised.
        float[] z = UserOpsFixtures.gaussian(rnd, users * in, 1.0);
        ProjectionHead.Activations act = head.newActivations(users);
        head.forward(params, z, users, act, null);
        double[] upstream = toDouble(UserOpsFixtures.gaussian(rnd, users * h2, 1.0));
        float[] dp = new float[users * h2];
        for (int i = 0; i < dp.length; i++) dp[i] = (float) upstream[i];
        float[] dz0 = UserOpsFixtures.gaussian(rnd, z.length, ACC0), dz = dz0.clone();
        float[] grad0 = UserOpsFixtures.params(l, rnd, ACC0), grad = grad0.clone();
        head.backward(params, z, act, dp, dz, grad, null);

        double[] pd = toDouble(params), zd = toDouble(z);
        double eps = ProjectionHead.DEFAULT_NORM_EPS;
        int nz = (int) Math.min(z.length, perTensor);
        int[] zi = UserOpsFixtures.sample(rnd, 0, z.length, nz);
        double[] fdZ = fd(x -> weighted(upstream, UserOpsReference.head(l, pd, x, users, eps)), zd, zi, 1e-6);
        assertClose(fdZ, sub(dz, dz0, zi), 1e-4, what + ": dz");
        for (String t : TENSORS) {
            int off = l.offset(t), size = (int) l.tensor(t).size();
            int[] idx = UserOpsFixtures.sample(rnd, off, size, (int) Math.min(size, perTensor));
            double[] fdT = fd(x -> weighted(upstream, UserOpsReference.head(l, x, zd, users, eps)), pd, idx, 1e-6);
            assertClose(fdT, sub(grad, grad0, idx), 1e-4, what + ": d" + t);
        }
        for (int i = 0; i < l.offset("P1"); i++) assertEquals(grad0[i], grad[i], "grad[" + i + "] before the head");
    }

    private static double[] sub(float[] after, float[] before, int[] idx) {
        double[] d = new double[idx.length];
        for (int i = 0; i < idx.length; i++) d[i] = (double) after[idx[i]] - before[idx[i]];
        return d;
    }

    /**
     * y = 0 (P2 = 0, c2 = 0): p = 0 without NaN; inside the guard p = y / normEps is linear, so with a large guard
     * (1e-3, a named option) the FD of the reference still checks the backward there.
     */
    @Test
    void zeroOutputIsGuarded() {
        Random rnd = new Random(TestData.seed("ProjectionHeadTest.zeroOutputIsGuarded"));
        SmenLayout l = UserOpsFixtures.smallLayout(rnd, 1);
        int users = 3, in = l.config().outputWidth(), h2 = l.config().headOut();
        float[] params = UserOpsFixtures.params(l, rnd, 1.0);
        java.util.Arrays.fill(params, l.offset("P2"), l.offset("c2") + h2, 0f);
        float[] z = UserOpsFixtures.gaussian(rnd, users * in, 1.0);
        ProjectionHead def = new ProjectionHead(l);
        ProjectionHead.Activations act = def.newActivations(users);
        def.forward(params, z, users, act, null);
        for (int i = 0; i < users * h2; i++) assertEquals(0f, act.p()[i], "p of y = 0");
        float[] grad = new float[params.length], dz = new float[z.length];
        def.backward(params, z, act, UserOpsFixtures.gaussian(rnd, users * h2, 1.0), dz, grad, null);
        for (float g : grad) assertTrue(Float.isFinite(g), "finite gradient at y = 0");

        float eps = 1e-3f;
        ProjectionHead guarded = new ProjectionHead(l, eps);
        act = guarded.newActivations(users);
        guarded.forward(params, z, users, act, null);
        double[] upstream = toDouble(UserOpsFixtures.gaussian(rnd, users * h2, 1.0));
        float[] dp = new float[upstream.length];
        for (int i = 0; i < dp.length; i++) dp[i] = (float) upstream[i];
        float[] grad0 = new float[params.length];
        grad = grad0.clone();
        guarded.backward(params, z, act, dp, new float[z.length], grad, null);
        double[] pd = toDouble(params), zd = toDouble(z);
        int off = l.offset("P2"), n = (int) (l.tensor("P2").size() + l.tensor("c2").size());
        double[] fdT = fd(x -> weighted(upstream, UserOpsReference.head(l, x, zd, users, eps)), pd, off, n, 1e-7);
        assertClose(fdT, diff(grad, grad0, off, n), 1e-4, "dP2, dc2 inside the guard");
        assertThrows(IllegalArgumentException.class, () -> new ProjectionHead(l, 0f));
    }

    @Test
    void deterministicForAnyThreadCount() {
        Random rnd = new Random(TestData.seed("ProjectionHeadTest.deterministicForAnyThreadCount"));
        SmenLayout l = UserOpsFixtures.defaultLayout(2);
        int users = 70, in = l.config().outputWidth(), h2 = l.config().headOut();
        ProjectionHead head = new ProjectionHead(l);
        float[] params = UserOpsFixtures.params(l, rnd, 0.1);
        float[] z = UserOpsFixtures.gaussian(rnd, users * in, 1.0), dp = UserOpsFixtures.gaussian(rnd, users * h2, 1.0);
        float[][] ref = null;
        try (Parallel p1 = new Parallel(1); Parallel p3 = new Parallel(3)) {
            for (Parallel par : new Parallel[]{null, p1, p3}) {
                ProjectionHead.Activations act = head.newActivations(users);
                float[] dz = new float[z.length], grad = new float[params.length];
                head.forward(params, z, users, act, par);
                head.backward(params, z, act, dp, dz, grad, par);
                float[][] got = {act.p().clone(), dz, grad};
                if (ref == null) ref = got;
                else for (int i = 0; i < got.length; i++) assertArrayEquals(ref[i], got[i], "output " + i + " with " + par.threads() + " threads");
            }
        }
    }

    @Test
    void rejectsBadInput() {
        Random rnd = new Random(TestData.seed("ProjectionHeadTest.rejectsBadInput"));
        SmenLayout l = UserOpsFixtures.smallLayout(rnd, 1);
        ProjectionHead head = new ProjectionHead(l);
        float[] params = UserOpsFixtures.params(l, rnd, 1.0);
        int in = l.config().outputWidth();
        ProjectionHead.Activations act = head.newActivations(2);
        var e = assertThrows(IllegalArgumentException.class, () -> head.forward(params, new float[3 * in], 3, act, null));
        assertTrue(e.getMessage().contains("capacity"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> head.forward(params, new float[in], 2, act, null));
        assertTrue(e.getMessage().contains("z has"), e.getMessage());
        SmenLayout other = new SmenLayout(UserOpsFixtures.config(2, 1, 1, 2, l.config().headHidden() + 1, 1), 3, 1);
        ProjectionHead.Activations wrong = new ProjectionHead(other).newActivations(2);
        e = assertThrows(IllegalArgumentException.class, () -> head.forward(params, new float[2 * in], 2, wrong, null));
        assertTrue(e.getMessage().contains("widths"), e.getMessage());
    }
}
