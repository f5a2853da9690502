package org.lurm.smen;

import org.lurm.backend.cpu.Parallel;
import org.lurm.smen.ops.AnchorAttention;
import org.lurm.smen.ops.AnchorDiversity;
import org.lurm.smen.ops.AnchorProjection;
import org.lurm.smen.ops.InfoNce;
import org.lurm.smen.ops.ProjectionHead;
import org.lurm.smen.ops.ScaleGate;
import org.lurm.smen.ops.TimeAttention;

/**
 * The CPU implementation of {@link SmenOps}: the ops of {@code org.lurm.smen.ops} on a {@link Parallel} pool,
 * with the Vector API row kernels or the scalar ones. Thread-safe.
 */
public final class CpuSmenOps implements SmenOps {
    private final SmenLayout layout;
    private final Parallel par;
    private final AnchorAttention attention;
    private final AnchorProjection projection;
    private final TimeAttention time;
    private final ScaleGate gate;
    private final ProjectionHead head;
    private final InfoNce nce;
    private final AnchorDiversity diversity;

    /** @param vector Vector API row kernels (else the scalar reference kernels) */
    public CpuSmenOps(SmenLayout layout, Parallel par, boolean vector) {
        this.layout = layout;
        this.par = par;
        String k = vector ? "vector" : "scalar";
        this.attention = AnchorAttention.create(layout, k);
        this.projection = AnchorProjection.create(layout, k);
        this.time = new TimeAttention(layout);
        this.gate = new ScaleGate(layout);
        this.head = new ProjectionHead(layout);
        this.nce = new InfoNce(layout.config().tau());
        this.diversity = new AnchorDiversity(layout);
    }

    /** The Vector API kernels where the module is present, the scalar ones otherwise. */
    public static CpuSmenOps best(SmenLayout layout, Parallel par) {
        return new CpuSmenOps(layout, par, AnchorAttention.vectorAvailable());
    }

    @Override
    public SmenLayout layout() {
        return layout;
    }

    @Override
    public void attentionForward(float[] params, SmenBatch batch, float[] r, float[] attn) {
        attention.forward(params, batch, r, attn, par);
    }

    @Override
    public int[] attentionBackward(float[] params, SmenBatch batch, float[] attn, float[] dr, float[] grad) {
        return attention.backward(params, batch, attn, dr, grad, par);
    }

    @Override
    public void projectionForward(float[] params, int rows, float[] r, float[] o) {
        projection.forward(params, rows, r, o, par);
    }

    @Override
    public void projectionBackward(float[] params, int rows, float[] r, float[] dout, float[] dr, float[] grad) {
        projection.backward(params, rows, r, dout, dr, grad, par);
    }

    @Override
    public void timeForward(float[] params, SmenBatch batch, float[] o, float[] u, float[] weights) {
        time.forward(params, batch, o, u, weights, par);
    }

    @Override
    public void timeBackward(float[] params, SmenBatch batch, float[] o, float[] weights, float[] du, float[] dO, float[] grad) {
        time.backward(params, batch, o, weights, du, dO, grad, par);
    }

    @Override
    public int gateForward(float[] params, SmenBatch batch, float[] u, float[] z, float[] g, boolean[] noRows) {
        return gate.forward(params, batch, u, z, g, noRows, par);
    }

    @Override
    public void gateBackward(float[] params, SmenBatch batch, float[] u, float[] g, float[] dz, float[] du, float[] grad) {
        gate.backward(params, batch, u, g, dz, du, grad, par);
    }

    private record Head(ProjectionHead.Activations act) implements HeadState {
        @Override
        public float[] p() {
            return act.p();
        }
    }

    @Override
    public HeadState headForward(float[] params, float[] z, int users) {
        ProjectionHead.Activations act = head.newActivations(Math.max(1, users));
        head.forward(params, z, users, act, par);
        return new Head(act);
    }

    @Override
    public void headBackward(float[] params, float[] z, HeadState state, float[] dp, float[] dz, float[] grad) {
        head.backward(params, z, ((Head) state).act(), dp, dz, grad, par);
    }

    @Override
    public double infoNce(float[] pA, float[] pB, int users, float scale, float[] dpA, float[] dpB) {
        int dim = layout.config().headOut();
        return dpA == null ? nce.loss(pA, pB, users, dim, par) : nce.forwardBackward(pA, pB, users, dim, scale, dpA, dpB, par);
    }

    @Override
    public double diversity(float[] params, float scale, float[] grad) {
        return grad == null ? diversity.loss(params) : diversity.forwardBackward(params, scale, grad);
    }

    @Override
    public double interestPrediction(float[] params, float[] z, int users, int[] candidates, float[] y, float scale, float[] dz, float[] grad) {
        return org.lurm.smen.ops.InterestPrediction.lossAndGradient(layout, params, z, users, candidates, y, scale, dz, grad, par);
    }
}
