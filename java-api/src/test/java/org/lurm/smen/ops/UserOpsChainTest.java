package org.lurm.smen.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.lurm.smen.ops.UserOpsFixtures.assertClose;
import static org.lurm.smen.ops.UserOpsFixtures.fd;
import static org.lurm.smen.ops.UserOpsFixtures.toDouble;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lurm.backend.cpu.Parallel;
import org.lurm.smen.SmenBatch;
import org.lurm.smen.SmenLayout;
import org.lurm.testing.TestData;

/**
 * The per-user ops composed as training uses them: for two views of the same users, o -> time attention ->
 * scale gate -> projection head -> symmetric InfoNCE, plus the weighted anchor-diversity term. Every backward
 * accumulates into one shared gradient array; the total is checked against central differences of the composed
 * double references, for the inputs o of both views and every parameter the chain reads.
 */
class UserOpsChainTest {
    private static final String[] PARAMS = {"A", "q", "beta", "g", "P1", "c1", "P2", "c2"};

    @Test
    void composedGradientMatchesFiniteDifferences() {
        Random rnd = new Random(TestData.seed("UserOpsChainTest.composedGradientMatchesFiniteDifferences"));
        try (Parallel par = new Parallel(2)) {
            for (int trial = 0; trial < 4; trial++) {
                int scales = trial == 0 ? 1 : 2;
                SmenLayout l = trial == 3 ? UserOpsFixtures.defaultLayout(scales) : UserOpsFixtures.smallLayout(rnd, scales);
                int users = trial == 0 ? 2 : 3 + rnd.nextInt(4);
                int r = l.config().recencyBuckets(), md = l.config().outputWidth(), h2 = l.config().headOut();
                SmenBatch va = UserOpsFixtures.batch(rnd, users, scales, 3, r, l.numInterests(), true);
                SmenBatch vb = UserOpsFixtures.batch(rnd, users, scales, 3, r, l.numInterests(), false);
                float[] params = UserOpsFixtures.params(l, rnd, 0.5);
                float[] oa = UserOpsFixtures.gaussian(rnd, va.rows() * md, 1.0), ob = UserOpsFixtures.gaussian(rnd, vb.rows() * md, 1.0);
                float tau = 0.5f, divWeight = 0.1f;

                TimeAttention time = new TimeAttention(l);
                ScaleGate gate = new ScaleGate(l);
                ProjectionHead head = new ProjectionHead(l);
                InfoNce nce = new InfoNce(tau);
                AnchorDiversity div = new AnchorDiversity(l);
                View a = new View(va, oa, time, gate, head, users), b = new View(vb, ob, time, gate, head, users);
                a.forward(params, par);
                b.forward(params, par);
                float[] dpA = new float[users * h2], dpB = new float[users * h2], grad = new float[params.length];
                double loss = nce.forwardBackward(a.act.p(), b.act.p(), users, h2, 1f, dpA, dpB, par)
                        + divWeight * div.forwardBackward(params, divWeight, grad);
                a.backward(params, dpA, grad, par);
                b.backward(params, dpB, grad, par);

                double[] pd = toDouble(params), oad = toDouble(oa), obd = toDouble(ob);
                double ref = total(l, pd, va, oad, vb, obd, users, tau, divWeight);
                String what = "trial " + trial + " (B " + users + ", S " + scales + ")";
                assertEquals(ref, loss, 1e-5 * Math.max(1, Math.abs(ref)), what + ": loss");
                for (String t : PARAMS) {
                    int off = l.offset(t), size = (int) l.tensor(t).size();
                    int[] idx = UserOpsFixtures.sample(rnd, off, size, 40);
                    double[] g = fd(x -> total(l, x, va, oad, vb, obd, users, tau, divWeight), pd, idx, 1e-6);
                    assertClose(g, UserOpsFixtures.at(grad, idx), 2e-4, what + ": d" + t);
                }
                int[] ia = UserOpsFixtures.sample(rnd, 0, oa.length, 60), ib = UserOpsFixtures.sample(rnd, 0, ob.length, 60);
                assertClose(fd(x -> total(l, pd, va, x, vb, obd, users, tau, divWeight), oad, ia, 1e-6), UserOpsFixtures.at(a.dO, ia), 2e-4, what + ": dO view A");
                assertClose(fd(x -> total(l, pd, va, oad, vb, x, users, tau, divWeight), obd, ib, 1e-6), UserOpsFixtures.at(b.dO, ib), 2e-4, what + ": dO view B");
            }
        }
    }

    /** One view's activations and its backward through head, gate and time attention. */
    private static final class View {
        final SmenBatch batch;
        final float[] o;
        final TimeAttention time;
        final ScaleGate gate;
        final ProjectionHead head;
        final float[] u, weights, z, gateW, dO;
        final ProjectionHead.Activations act;
        final int users;

        View(SmenBatch batch, float[] o, TimeAttention time, ScaleGate gate, ProjectionHead head, int users) {
            this.batch = batch;
            this.o = o;
            this.time = time;
            this.gate = gate;
            this.head = head;
            this.users = users;
            u = new float[time.outputSize(batch)];
            weights = new float[time.weightsSize(batch)];
            z = new float[gate.outputSize(users)];
            gateW = new float[gate.gateSize(users)];
            dO = new float[o.length];
            act = head.newActivations(users);
        }

        void forward(float[] params, Parallel par) {
            time.forward(params, batch, o, u, weights, par);
            gate.forward(params, batch, u, z, gateW, null, par);
            head.forward(params, z, users, act, par);
        }

        void backward(float[] params, float[] dp, float[] grad, Parallel par) {
            float[] dz = new float[z.length], du = new float[u.length];
            head.backward(params, z, act, dp, dz, grad, par);
            gate.backward(params, batch, u, gateW, dz, du, grad, par);
            time.backward(params, batch, o, weights, du, dO, grad, par);
        }
    }

    private static double total(SmenLayout l, double[] p, SmenBatch va, double[] oa, SmenBatch vb, double[] ob, int users, double tau, double w) {
        double[] pa = project(l, p, va, oa, users), pb = project(l, p, vb, ob, users);
        return UserOpsReference.infoNce(pa, pb, users, l.config().headOut(), tau)
                + w * UserOpsReference.diversity(l, p, AnchorDiversity.DEFAULT_NORM_EPS);
    }

    private static double[] project(SmenLayout l, double[] p, SmenBatch v, double[] o, int users) {
        double[] u = UserOpsReference.timeAttention(l, p, v, o, null);
        double[] z = UserOpsReference.scaleGate(l, p, v, u, null);
        return UserOpsReference.head(l, p, z, users, ProjectionHead.DEFAULT_NORM_EPS);
    }
}
