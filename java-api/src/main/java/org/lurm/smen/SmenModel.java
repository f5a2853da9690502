package org.lurm.smen;

import java.util.Objects;
import org.lurm.backend.cpu.Parallel;
import org.lurm.smen.ops.AnchorAttention;
import org.lurm.smen.ops.AnchorDiversity;
import org.lurm.smen.ops.AnchorProjection;
import org.lurm.smen.ops.InfoNce;
import org.lurm.smen.ops.ProjectionHead;
import org.lurm.smen.ops.ScaleGate;
import org.lurm.smen.ops.TimeAttention;

/**
 * SMEN's forward and backward passes (MODEL.md, Stage 2) composed from the ops in {@code org.lurm.smen.ops}:
 * multi-anchor attention → per-anchor projection → time attention → scale gate → z (the representation);
 * for training, projection head → symmetric InfoNCE between the two views, plus the anchor-diversity term.
 *
 * <p>Thread-safe: every call allocates its own activations; the ops parallelise over {@link Parallel}'s
 * threads with results that depend only on the thread count.
 */
public final class SmenModel implements SmenObjective {
    private final SmenLayout layout;
    private final SmenConfig cfg;
    private final Parallel par;
    private final AnchorAttention attention;
    private final AnchorProjection projection;
    private final TimeAttention time;
    private final ScaleGate gate;
    private final ProjectionHead head;
    private final InfoNce nce;
    private final AnchorDiversity diversity;

    public SmenModel(SmenLayout layout, Parallel par) {
        this.layout = Objects.requireNonNull(layout);
        this.cfg = layout.config();
        this.par = Objects.requireNonNull(par);
        this.attention = AnchorAttention.create(layout);
        this.projection = AnchorProjection.create(layout);
        this.time = new TimeAttention(layout);
        this.gate = new ScaleGate(layout);
        this.head = new ProjectionHead(layout);
        this.nce = new InfoNce(cfg.tau());
        this.diversity = new AnchorDiversity(layout);
    }

    public SmenLayout layout() {
        return layout;
    }

    /** Activations of one view, kept for the backward pass and for explanations. */
    public static final class Forward {
        final SmenBatch batch;
        final float[] r;
        final float[] attn;
        final float[] o;
        final float[] u;
        final float[] timeWeights;
        final float[] z;
        final float[] gateWeights;
        final boolean[] noRows;
        ProjectionHead.Activations head;

        Forward(SmenBatch batch, float[] r, float[] attn, float[] o, float[] u, float[] timeWeights, float[] z, float[] gateWeights, boolean[] noRows) {
            this.batch = batch;
            this.r = r;
            this.attn = attn;
            this.o = o;
            this.u = u;
            this.timeWeights = timeWeights;
            this.z = z;
            this.gateWeights = gateWeights;
            this.noRows = noRows;
        }

        /** z, B x (M*d'): the users' representations. */
        public float[] z() {
            return z;
        }

        /** Users of the batch with no rows at all (their z is 0). */
        public boolean[] noRows() {
            return noRows;
        }

        /** Anchor attention a[j][m] over the batch's non-zeros. */
        public float[] anchorAttention() {
            return attn;
        }

        /** Time attention weights, T x M. */
        public float[] timeWeights() {
            return timeWeights;
        }

        /** Scale-gate weights, B x M x S. */
        public float[] gateWeights() {
            return gateWeights;
        }

        public SmenBatch batch() {
            return batch;
        }
    }

    /** The encoder: z for every user of the batch (keepAttention: also the anchor attention, for explanations). */
    public Forward encode(float[] params, SmenBatch batch, boolean keepAttention) {
        int m = cfg.anchors(), h = cfg.h(), d = cfg.anchorDim();
        float[] r = new float[Math.multiplyExact(batch.rows(), m * h)];
        float[] attn = keepAttention ? new float[Math.multiplyExact(batch.nnz(), m)] : null;
        attention.forward(params, batch, r, attn, par);
        float[] o = new float[Math.multiplyExact(batch.rows(), m * d)];
        projection.forward(params, batch.rows(), r, o, par);
        float[] u = new float[time.outputSize(batch)];
        float[] tw = new float[time.weightsSize(batch)];
        time.forward(params, batch, o, u, tw, par);
        float[] z = new float[gate.outputSize(batch.users())];
        float[] gw = new float[gate.gateSize(batch.users())];
        boolean[] none = new boolean[batch.users()];
        gate.forward(params, batch, u, z, gw, none, par);
        return new Forward(batch, r, attn, o, u, tw, z, gw, none);
    }

    private float[] project(float[] params, Forward f) {
        f.head = head.newActivations(Math.max(1, f.batch.users()));
        head.forward(params, f.z, f.batch.users(), f.head, par);
        return f.head.p();
    }

    @Override
    public Loss loss(float[] params, SmenBatch viewA, SmenBatch viewB) {
        checkViews(viewA, viewB);
        Forward a = encode(params, viewA, false), b = encode(params, viewB, false);
        float[] pA = project(params, a), pB = project(params, b);
        double l = nce.loss(pA, pB, viewA.users(), head.outputWidth(), par);
        double dv = diversity.loss(params);
        return new Loss(l + cfg.diversityWeight() * dv, l, dv);
    }

    @Override
    public Loss lossAndGradient(float[] params, SmenBatch viewA, SmenBatch viewB, float[] grad, TouchedRows touched) {
        checkViews(viewA, viewB);
        if (grad.length != params.length) throw new IllegalArgumentException("gradient array does not match the parameters");
        Forward a = encode(params, viewA, true), b = encode(params, viewB, true);
        float[] pA = project(params, a), pB = project(params, b);
        int users = viewA.users(), width = head.outputWidth();
        float[] dpA = new float[users * width], dpB = new float[users * width];
        double l = nce.forwardBackward(pA, pB, users, width, 1f, dpA, dpB, par);
        double dv = diversity.forwardBackward(params, cfg.diversityWeight(), grad);
        backward(params, a, dpA, grad, touched);
        backward(params, b, dpB, grad, touched);
        return new Loss(l + cfg.diversityWeight() * dv, l, dv);
    }

    private void backward(float[] params, Forward f, float[] dp, float[] grad, TouchedRows touched) {
        SmenBatch batch = f.batch;
        float[] dz = new float[f.z.length];
        head.backward(params, f.z, f.head, dp, dz, grad, par);
        float[] du = new float[f.u.length];
        gate.backward(params, batch, f.u, f.gateWeights, dz, du, grad, par);
        float[] dO = new float[f.o.length];
        time.backward(params, batch, f.o, f.timeWeights, du, dO, grad, par);
        float[] dr = new float[f.r.length];
        projection.backward(params, batch.rows(), f.r, dO, dr, grad, par);
        int[] rows = attention.backward(params, batch, f.attn, dr, grad, par);
        if (touched != null) for (int k : rows) touched.add(k);
    }

    private static void checkViews(SmenBatch a, SmenBatch b) {
        if (a.users() != b.users()) throw new IllegalArgumentException("the two views must hold the same users: " + a.users() + " vs " + b.users());
        if (a.users() < 2) throw new IllegalArgumentException("the contrastive loss needs at least 2 users per batch, got " + a.users());
    }
}
