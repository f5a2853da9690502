package org.lurm.smen;

import org.lurm.SmenConfig;
import java.util.Objects;
import org.lurm.backend.cpu.Parallel;

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
    private final SmenOps ops;

    /** On the CPU ops (Vector API kernels where the module is present) over {@code par}'s threads. */
    public SmenModel(SmenLayout layout, Parallel par) {
        this(CpuSmenOps.best(Objects.requireNonNull(layout), Objects.requireNonNull(par)));
    }

    /** On a backend's ops ({@link org.lurm.backend.Backend#smenOps}). */
    public SmenModel(SmenOps ops) {
        this.ops = Objects.requireNonNull(ops);
        this.layout = ops.layout();
        this.cfg = layout.config();
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
        SmenOps.HeadState head;

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
        ops.attentionForward(params, batch, r, attn);
        float[] o = new float[Math.multiplyExact(batch.rows(), m * d)];
        ops.projectionForward(params, batch.rows(), r, o);
        int s = layout.scales();
        float[] u = new float[Math.multiplyExact(batch.users() * s, m * d)];
        float[] tw = new float[Math.multiplyExact(batch.rows(), m)];
        ops.timeForward(params, batch, o, u, tw);
        float[] z = new float[Math.multiplyExact(batch.users(), m * d)];
        float[] gw = new float[Math.multiplyExact(batch.users(), m * s)];
        boolean[] none = new boolean[batch.users()];
        ops.gateForward(params, batch, u, z, gw, none);
        return new Forward(batch, r, attn, o, u, tw, z, gw, none);
    }

    private float[] project(float[] params, Forward f) {
        f.head = ops.headForward(params, f.z, f.batch.users());
        return f.head.p();
    }

    @Override
    public Loss loss(float[] params, SmenBatch viewA, SmenBatch viewB) {
        checkViews(viewA, viewB);
        Forward a = encode(params, viewA, false), b = encode(params, viewB, false);
        float[] pA = project(params, a), pB = project(params, b);
        double l = ops.infoNce(pA, pB, viewA.users(), 1f, null, null);
        double dv = ops.diversity(params, 0f, null);
        double pr = cfg.predictionWeight() > 0 ? prediction(params, a, b, 0f, null, null, null, null) : 0;
        return new Loss(l + cfg.diversityWeight() * dv + cfg.predictionWeight() * pr, l, dv, pr);
    }

    @Override
    public Loss lossAndGradient(float[] params, SmenBatch viewA, SmenBatch viewB, float[] grad, TouchedRows touched) {
        checkViews(viewA, viewB);
        if (grad.length != params.length) throw new IllegalArgumentException("gradient array does not match the parameters");
        Forward a = encode(params, viewA, true), b = encode(params, viewB, true);
        float[] pA = project(params, a), pB = project(params, b);
        int users = viewA.users(), width = cfg.headOut();
        float[] dpA = new float[users * width], dpB = new float[users * width];
        double l = ops.infoNce(pA, pB, users, 1f, dpA, dpB);
        double dv = ops.diversity(params, cfg.diversityWeight(), grad);
        float[] dzA = new float[a.z.length], dzB = new float[b.z.length];
        double pr = cfg.predictionWeight() > 0 ? prediction(params, a, b, cfg.predictionWeight(), dzA, dzB, grad, touched) : 0;
        backward(params, a, dpA, dzA, grad, touched);
        backward(params, b, dpB, dzB, grad, touched);
        return new Loss(l + cfg.diversityWeight() * dv + cfg.predictionWeight() * pr, l, dv, pr);
    }

    /**
     * L_pred = (L(z_A predicts view B) + L(z_B predicts view A)) / 2 ({@link org.lurm.smen.ops.InterestPrediction});
     * with grad not null, weight times its gradient goes into grad and dzA / dzB, and the candidates' V rows are
     * recorded as touched.
     */
    private double prediction(float[] params, Forward a, Forward b, float weight, float[] dzA, float[] dzB, float[] grad, TouchedRows touched) {
        int k = layout.numInterests(), users = a.batch.users();
        int[] cand = org.lurm.smen.ops.InterestPrediction.candidates(k, a.batch, b.batch, new java.util.SplittableRandom(batchSeed(a.batch, b.batch)));
        float half = 0.5f * weight;
        int limit = layout.predictionTargetLimit();
        double l = ops.interestPrediction(params, a.z, users, cand, org.lurm.smen.ops.InterestPrediction.targets(b.batch, cand, limit), half, dzA, grad)
                + ops.interestPrediction(params, b.z, users, cand, org.lurm.smen.ops.InterestPrediction.targets(a.batch, cand, limit), half, dzB, grad);
        if (touched != null && grad != null) for (int c : cand) touched.add(c);
        return 0.5 * l;
    }

    /** A seed that depends only on the two views' interests (sampled candidates are reproducible); public: CudaSmenTraining draws the same. */
    public static long batchSeed(SmenBatch a, SmenBatch b) {
        return batchSeed(a.users(), org.lurm.smen.ops.InterestPrediction.interests(a, b));
    }

    /**
     * The seed of a batch's sampled candidates from its size and the sorted distinct interests of its two views
     * (what a device that built the views can report without sending them back).
     */
    public static long batchSeed(int users, int[] interests) {
        long x = 0x9E3779B97F4A7C15L * (users + 1);
        for (int k : interests) {
            x = (x ^ k) * 0xBF58476D1CE4E5B9L;
            x ^= x >>> 31;
        }
        return x;
    }

    private void backward(float[] params, Forward f, float[] dp, float[] dz, float[] grad, TouchedRows touched) {
        SmenBatch batch = f.batch;
        ops.headBackward(params, f.z, f.head, dp, dz, grad);
        float[] du = new float[f.u.length];
        ops.gateBackward(params, batch, f.u, f.gateWeights, dz, du, grad);
        float[] dO = new float[f.o.length];
        ops.timeBackward(params, batch, f.o, f.timeWeights, du, dO, grad);
        float[] dr = new float[f.r.length];
        ops.projectionBackward(params, batch.rows(), f.r, dO, dr, grad);
        int[] rows = ops.attentionBackward(params, batch, f.attn, dr, grad);
        if (touched != null) for (int k : rows) touched.add(k);
    }

    private static void checkViews(SmenBatch a, SmenBatch b) {
        if (a.users() != b.users()) throw new IllegalArgumentException("the two views must hold the same users: " + a.users() + " vs " + b.users());
        if (a.users() < 2) throw new IllegalArgumentException("the contrastive loss needs at least 2 users per batch, got " + a.users());
    }
}
