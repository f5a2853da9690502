package org.lurm.smen.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lurm.smen.ops.TimeAttentionTest.diff;
import static org.lurm.smen.ops.UserOpsFixtures.ACC0;
import static org.lurm.smen.ops.UserOpsFixtures.assertClose;
import static org.lurm.smen.ops.UserOpsFixtures.fd;
import static org.lurm.smen.ops.UserOpsFixtures.toDouble;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenLayout;
import org.lurm.testing.TestData;

class AnchorDiversityTest {
    /** Loss equals the reference; scale * dA equals central differences of it; nothing outside A moves. */
    @Test
    void lossAndGradientMatchReference() {
        Random rnd = new Random(TestData.seed("AnchorDiversityTest.lossAndGradientMatchReference"));
        for (int trial = 0; trial < 12; trial++) {
            SmenLayout l = trial < 2 ? UserOpsFixtures.defaultLayout(1) : UserOpsFixtures.smallLayout(rnd, 1);
            AnchorDiversity div = new AnchorDiversity(l);
            float[] params = UserOpsFixtures.params(l, rnd, trial % 3 == 0 ? 0.01 : 1.0);
            float scale = trial % 2 == 0 ? 0.1f : 1f;
            float[] grad0 = UserOpsFixtures.params(l, rnd, ACC0), grad = grad0.clone();
            double loss = div.forwardBackward(params, scale, grad);
            double[] pd = toDouble(params);
            double ref = UserOpsReference.diversity(l, pd, AnchorDiversity.DEFAULT_NORM_EPS);
            String what = "trial " + trial + " (M " + l.config().anchors() + ", h " + l.config().h() + ")";
            assertEquals(ref, loss, 1e-9 + 1e-9 * ref, what + ": loss");
            assertEquals(loss, div.loss(params), 0.0, what + ": loss() = forwardBackward()");
            int off = l.offset("A"), n = (int) l.tensor("A").size();
            double[] fdA = fd(x -> scale * UserOpsReference.diversity(l, x, AnchorDiversity.DEFAULT_NORM_EPS), pd, off, n, 1e-6 * (trial % 3 == 0 ? 0.01 : 1));
            // (with h = 1 every normalised anchor is +-1: a constant loss, rightly no gradient)
            if (l.config().anchors() > 1 && l.config().h() > 1) assertTrue(UserOpsFixtures.norm(fdA) > 1e-6, what + ": random anchors have a gradient");
            assertClose(fdA, diff(grad, grad0, off, n), 1e-4, what + ": dA");
            for (int i = 0; i < grad.length; i++) if (i < off || i >= off + n) assertEquals(grad0[i], grad[i], "grad[" + i + "] outside A");
        }
    }

    /** Orthogonal anchors of any lengths: L_div = 0 and no gradient; one anchor (M = 1) likewise. */
    @Test
    void orthogonalAnchorsCostNothing() {
        Random rnd = new Random(TestData.seed("AnchorDiversityTest.orthogonalAnchorsCostNothing"));
        SmenLayout l = new SmenLayout(UserOpsFixtures.config(12, 5, 3, 4, 4, 4), 10, 1);
        float[] params = new float[(int) l.total()];
        int a = l.offset("A");
        for (int m = 0; m < 5; m++) params[a + m * 12 + (m * 2 + 1)] = (float) (0.1 + rnd.nextDouble() * 5) * (rnd.nextBoolean() ? 1 : -1);
        float[] grad = new float[params.length];
        AnchorDiversity div = new AnchorDiversity(l);
        assertEquals(0.0, div.forwardBackward(params, 1f, grad), 1e-15);
        for (float g : grad) assertEquals(0f, g, 1e-7f);
        SmenLayout one = new SmenLayout(UserOpsFixtures.config(7, 1, 3, 4, 4, 4), 10, 1);
        float[] p1 = UserOpsFixtures.params(one, rnd, 1.0);
        assertEquals(0.0, new AnchorDiversity(one).loss(p1), 1e-12);
    }

    /** All-zero anchors are guarded: each adds 1 on the diagonal (L = zeros / M^2), gets no gradient, no NaN. */
    @Test
    void zeroAnchorsAreGuarded() {
        Random rnd = new Random(TestData.seed("AnchorDiversityTest.zeroAnchorsAreGuarded"));
        SmenLayout l = UserOpsFixtures.defaultLayout(1);
        int m = l.config().anchors(), h = l.config().h(), a = l.offset("A");
        float[] params = UserOpsFixtures.params(l, rnd, 1.0);
        Arrays.fill(params, a, a + m * h, 0f);
        AnchorDiversity div = new AnchorDiversity(l);
        float[] grad = new float[params.length];
        assertEquals(1.0 / m, div.forwardBackward(params, 1f, grad), 1e-12, "all anchors zero");
        for (float g : grad) assertEquals(0f, g);
        // Two zero anchors among random ones: the reference agrees and the zero rows get no gradient.
        float[] mixed = UserOpsFixtures.params(l, rnd, 1.0);
        Arrays.fill(mixed, a + 2 * h, a + 4 * h, 0f);
        grad = new float[params.length];
        double loss = div.forwardBackward(mixed, 1f, grad);
        assertEquals(UserOpsReference.diversity(l, toDouble(mixed), AnchorDiversity.DEFAULT_NORM_EPS), loss, 1e-9);
        for (int i = a + 2 * h; i < a + 4 * h; i++) assertEquals(0f, grad[i], "zero anchor's gradient");
        for (float g : grad) assertTrue(Float.isFinite(g));
        assertThrows(IllegalArgumentException.class, () -> new AnchorDiversity(l, -1f));
        assertThrows(IllegalArgumentException.class, () -> div.loss(new float[3]));
    }

    /** Random anchors in MODEL.md's sizes (M 8, h 64) are nearly orthogonal, so L_div starts small; identical anchors are maximal. */
    @Test
    void identicalAnchorsCostTheMost() {
        Random rnd = new Random(TestData.seed("AnchorDiversityTest.identicalAnchorsCostTheMost"));
        SmenLayout l = new SmenLayout(SmenConfig.defaults(), 20, 2);
        int m = l.config().anchors(), h = l.config().h(), a = l.offset("A");
        float[] params = UserOpsFixtures.params(l, rnd, 1.0);
        AnchorDiversity div = new AnchorDiversity(l);
        double random = div.loss(params);
        for (int k = 1; k < m; k++) System.arraycopy(params, a, params, a + k * h, h);
        double same = div.loss(params);
        // identical unit rows: G = all ones, (G - I) has M^2 - M ones
        assertEquals((double) (m * m - m) / (m * m), same, 1e-6);
        assertTrue(random < 0.1 * same, "random " + random + " vs identical " + same);
    }
}
