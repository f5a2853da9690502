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
import org.lurm.smen.SmenBatch;
import org.lurm.smen.SmenLayout;
import org.lurm.testing.TestData;

class ScaleGateTest {
    /** z, the gate and the no-rows flags equal the double reference; masked scales get gate 0. */
    @Test
    void forwardMatchesDoubleReference() {
        Random rnd = new Random(TestData.seed("ScaleGateTest.forwardMatchesDoubleReference"));
        for (int trial = 0; trial < 8; trial++) {
            int scales = 1 + rnd.nextInt(4);
            SmenLayout l = trial < 2 ? UserOpsFixtures.defaultLayout(scales) : UserOpsFixtures.smallLayout(rnd, scales);
            int users = 2 + rnd.nextInt(60);
            SmenBatch batch = UserOpsFixtures.batch(rnd, users, scales, 3, l.config().recencyBuckets(), l.numInterests(), true);
            ScaleGate op = new ScaleGate(l);
            float[] params = UserOpsFixtures.params(l, rnd, 2.0);
            float[] u = UserOpsFixtures.gaussian(rnd, users * scales * l.config().outputWidth(), 1.0);
            float[] z = UserOpsFixtures.gaussian(rnd, op.outputSize(users), 7), gate = UserOpsFixtures.gaussian(rnd, op.gateSize(users), 7);
            boolean[] noRows = new boolean[users];
            int empty = op.forward(params, batch, u, z, gate, noRows, null);
            double[] refGate = new double[gate.length];
            double[] refZ = UserOpsReference.scaleGate(l, toDouble(params), batch, toDouble(u), refGate);
            assertClose(refZ, toDouble(z), 1e-5, "z, trial " + trial);
            assertClose(refGate, toDouble(gate), 1e-5, "gate, trial " + trial);
            int expectEmpty = 0;
            for (int b = 0; b < users; b++) {
                boolean none = batch.groupFrom(b, 0) == batch.groupTo(b, scales - 1);
                assertEquals(none, noRows[b], "noRows[" + b + "]");
                if (none) expectEmpty++;
                for (int s = 0; s < scales; s++) {
                    if (batch.groupFrom(b, s) == batch.groupTo(b, s)) {
                        for (int m = 0; m < l.config().anchors(); m++) assertEquals(0f, gate[(b * l.config().anchors() + m) * scales + s], "masked gate");
                    }
                }
                if (none) for (int i = 0; i < l.config().outputWidth(); i++) assertEquals(0f, z[b * l.config().outputWidth() + i], "z of a user with no rows");
            }
            assertEquals(expectEmpty, empty, "count of users without rows");
            assertTrue(expectEmpty >= 1, "the fixture plants a user without rows");
        }
    }

    /** du and dg against central differences of the double reference; masked u entries get no gradient. */
    @Test
    void backwardMatchesFiniteDifferences() {
        Random rnd = new Random(TestData.seed("ScaleGateTest.backwardMatchesFiniteDifferences"));
        for (int trial = 0; trial < 12; trial++) {
            int scales = trial % 4 == 0 ? 1 : 2 + rnd.nextInt(3);
            SmenLayout l = trial == 11 ? UserOpsFixtures.defaultLayout(scales) : UserOpsFixtures.smallLayout(rnd, scales);
            int users = trial == 1 ? 2 : 2 + rnd.nextInt(6);
            SmenBatch batch = UserOpsFixtures.batch(rnd, users, scales, 2, l.config().recencyBuckets(), l.numInterests(), true);
            ScaleGate op = new ScaleGate(l);
            float[] params = UserOpsFixtures.params(l, rnd, 2.0);
            float[] u = UserOpsFixtures.gaussian(rnd, users * scales * l.config().outputWidth(), 1.0);
            float[] z = new float[op.outputSize(users)], gate = new float[op.gateSize(users)];
            op.forward(params, batch, u, z, gate, null, null);
            double[] upstream = toDouble(UserOpsFixtures.gaussian(rnd, z.length, 1.0));
            float[] dz = new float[z.length];
            for (int i = 0; i < dz.length; i++) dz[i] = (float) upstream[i];
            float[] du0 = UserOpsFixtures.gaussian(rnd, u.length, ACC0), du = du0.clone();
            float[] grad0 = UserOpsFixtures.params(l, rnd, ACC0), grad = grad0.clone();
            op.backward(params, batch, u, gate, dz, du, grad, null);

            double[] pd = toDouble(params), ud = toDouble(u);
            double[] fdU = fd(x -> weighted(upstream, UserOpsReference.scaleGate(l, pd, batch, x, null)), ud, 0, ud.length, 1e-6);
            int ng = (int) l.tensor("g").size();
            double[] fdG = fd(x -> weighted(upstream, UserOpsReference.scaleGate(l, x, batch, ud, null)), pd, l.offset("g"), ng, 1e-6);
            String what = "trial " + trial + " (S " + scales + ", B " + users + ")";
            assertClose(fdU, diff(du, du0, 0, u.length), 1e-4, what + ": du");
            if (UserOpsFixtures.norm(fdG) > 0) assertClose(fdG, diff(grad, grad0, l.offset("g"), ng), 1e-4, what + ": dg");
            else assertArrayEquals(new double[ng], diff(grad, grad0, l.offset("g"), ng), what + ": dg is zero (one scale per user)");
            for (int i = 0; i < grad.length; i++) {
                if (i < l.offset("g") || i >= l.offset("g") + ng) assertEquals(grad0[i], grad[i], "grad[" + i + "] outside g");
            }
        }
    }

    /** With S = 1 the gate is 1 wherever the user has rows: z = u and no gradient for g. */
    @Test
    void singleScalePassesThrough() {
        Random rnd = new Random(TestData.seed("ScaleGateTest.singleScalePassesThrough"));
        SmenLayout l = UserOpsFixtures.smallLayout(rnd, 1);
        int users = 2, md = l.config().outputWidth();
        SmenBatch batch = UserOpsFixtures.batch(rnd, users, 1, 3, l.config().recencyBuckets(), l.numInterests(), true);
        ScaleGate op = new ScaleGate(l);
        float[] params = UserOpsFixtures.params(l, rnd, 1.0);
        float[] u = UserOpsFixtures.gaussian(rnd, users * md, 1.0), z = new float[users * md], gate = new float[op.gateSize(users)];
        op.forward(params, batch, u, z, gate, null, null);
        for (int b = 0; b < users; b++) {
            boolean has = batch.groupTo(b, 0) > batch.groupFrom(b, 0);
            for (int i = 0; i < md; i++) assertEquals(has ? u[b * md + i] : 0f, z[b * md + i]);
        }
        float[] grad = new float[params.length], du = new float[u.length];
        op.backward(params, batch, u, gate, UserOpsFixtures.gaussian(rnd, z.length, 1), du, grad, null);
        for (float g : grad) assertEquals(0f, g);
    }

    @Test
    void deterministicForAnyThreadCount() {
        Random rnd = new Random(TestData.seed("ScaleGateTest.deterministicForAnyThreadCount"));
        SmenLayout l = UserOpsFixtures.defaultLayout(3);
        int users = 200;
        SmenBatch batch = UserOpsFixtures.batch(rnd, users, 3, 2, 16, l.numInterests(), true);
        ScaleGate op = new ScaleGate(l);
        float[] params = UserOpsFixtures.params(l, rnd, 1.0);
        float[] u = UserOpsFixtures.gaussian(rnd, users * 3 * l.config().outputWidth(), 1.0);
        float[] dz = UserOpsFixtures.gaussian(rnd, op.outputSize(users), 1.0);
        float[][] ref = null;
        try (Parallel p1 = new Parallel(1); Parallel p3 = new Parallel(3)) {
            for (Parallel par : new Parallel[]{null, p1, p3}) {
                float[] z = new float[op.outputSize(users)], gate = new float[op.gateSize(users)], du = new float[u.length], grad = new float[params.length];
                op.forward(params, batch, u, z, gate, null, par);
                op.backward(params, batch, u, gate, dz, du, grad, par);
                float[][] got = {z, gate, du, grad};
                if (ref == null) ref = got;
                else for (int i = 0; i < got.length; i++) assertArrayEquals(ref[i], got[i], "output " + i + " with " + par.threads() + " threads");
            }
        }
    }

    @Test
    void rejectsBadInput() {
        Random rnd = new Random(TestData.seed("ScaleGateTest.rejectsBadInput"));
        SmenLayout l = UserOpsFixtures.smallLayout(rnd, 2);
        ScaleGate op = new ScaleGate(l);
        float[] params = UserOpsFixtures.params(l, rnd, 1.0);
        int md = l.config().outputWidth();
        SmenBatch batch = UserOpsFixtures.batch(rnd, 3, 2, 2, l.config().recencyBuckets(), l.numInterests(), false);
        var e = assertThrows(IllegalArgumentException.class, () -> op.forward(params, batch, new float[3 * 2 * md - 1], new float[3 * md], new float[op.gateSize(3)], null, null));
        assertTrue(e.getMessage().contains("u has"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> op.forward(params, batch, new float[3 * 2 * md], new float[3 * md], new float[op.gateSize(3)], new boolean[2], null));
        assertTrue(e.getMessage().contains("noRows"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> op.backward(params, batch, new float[3 * 2 * md], new float[op.gateSize(3)], new float[3 * md], new float[3 * 2 * md], new float[5], null));
        assertTrue(e.getMessage().contains("grad"), e.getMessage());
    }
}
