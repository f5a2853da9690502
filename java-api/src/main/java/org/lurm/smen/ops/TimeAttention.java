package org.lurm.smen.ops;

import java.util.Arrays;
import org.lurm.backend.cpu.Parallel;
import org.lurm.smen.SmenBatch;
import org.lurm.smen.SmenLayout;

/**
 * Time aggregation module (MODEL.md, Stage 2): for each user b, scale s and anchor m, attention over the user's
 * rows t at that scale (the rows of group (b, s) in {@link SmenBatch}),
 * <pre>
 *   e[m,t]   = (q[s,m] . o[t,m]) / sqrt(d') + beta[s][bucket(t)]
 *   u[b,s,m] = sum_t softmax_t(e[m,.])_t  o[t,m]
 * </pre>
 * An empty group (the user has no rows at scale s) gets u = 0; {@link ScaleGate} masks it out.
 *
 * <p><b>Layouts</b> (row-major heap arrays):
 * <ul>
 *   <li>{@code o}: T x M x d', {@code o[(t*M + m)*d' + j]}: the per-anchor projections of each batch row</li>
 *   <li>{@code u}: B x S x M x d', {@code u[((b*S + s)*M + m)*d' + j]}</li>
 *   <li>{@code weights}: T x M, {@code weights[t*M + m]} = the softmax weight of row t for anchor m within its
 *       group (sums to 1 over a group's rows); kept for the backward pass and to explain which periods each
 *       anchor attended to</li>
 *   <li>{@code params}/{@code grad}: the flat {@link SmenLayout} arrays; this op reads q and beta</li>
 * </ul>
 *
 * <p><b>Work and determinism.</b> Users are split into fixed chunks of {@value #USERS_PER_CHUNK} (independent of
 * the thread count); each user's outputs, weights and dO rows are written only by its chunk; dq and dbeta are
 * summed per chunk and the partials added to {@code grad} in chunk order, so results are bit-identical for any
 * {@link Parallel} (or none). The op costs O(T*M*d') per pass, far below the anchor attention that produces o
 * (O(nnz*M*h)), so it stays scalar.
 *
 * <p><b>Thread-safety and memory.</b> Immutable: any number of threads may call it on distinct output arrays.
 * Heap arrays only; nothing off-heap. Arguments are read, never retained; each call allocates only the small
 * per-chunk gradient partials.
 */
public final class TimeAttention {
    /** Users per work chunk. */
    static final int USERS_PER_CHUNK = 16;
    private static final String OP = "TimeAttention";

    private final SmenLayout layout;
    private final int anchors;
    private final int dim;
    private final int scales;
    private final int buckets;
    private final int qOff;
    private final int betaOff;
    private final float invSqrtDim;

    public TimeAttention(SmenLayout layout) {
        this.layout = layout;
        this.anchors = layout.config().anchors();
        this.dim = layout.config().anchorDim();
        this.scales = layout.scales();
        this.buckets = layout.config().recencyBuckets();
        this.qOff = layout.offset("q");
        this.betaOff = layout.offset("beta");
        this.invSqrtDim = (float) (1.0 / Math.sqrt(dim));
    }

    /** Floats of {@code u} for a batch: B*S*M*d'. */
    public int outputSize(SmenBatch batch) {
        return Math.multiplyExact(batch.users() * scales, anchors * dim);
    }

    /** Floats of {@code weights} for a batch: T*M. */
    public int weightsSize(SmenBatch batch) {
        return Math.multiplyExact(batch.rows(), anchors);
    }

    /**
     * Computes u (overwritten, including zeros for empty groups) and the attention weights (overwritten for every
     * batch row).
     */
    public void forward(float[] params, SmenBatch batch, float[] o, float[] u, float[] weights, Parallel par) {
        UserArgs.flat(OP, "params", params, layout);
        UserArgs.batch(OP, batch, layout);
        UserArgs.length(OP, "o", o, (long) batch.rows() * anchors * dim);
        UserArgs.length(OP, "u", u, outputSize(batch));
        UserArgs.length(OP, "weights", weights, weightsSize(batch));
        UserChunks.run(par, batch.users(), USERS_PER_CHUNK, (chunk, lo, hi) -> {
            for (int b = (int) lo; b < hi; b++) {
                for (int s = 0; s < scales; s++) forwardGroup(params, batch, o, u, weights, b, s);
            }
        });
    }

    private void forwardGroup(float[] params, SmenBatch batch, float[] o, float[] u, float[] w, int b, int s) {
        int t0 = batch.groupFrom(b, s), t1 = batch.groupTo(b, s);
        int md = anchors * dim;
        int uBase = (b * scales + s) * md;
        Arrays.fill(u, uBase, uBase + md, 0f);
        if (t0 == t1) return;
        int[] bucket = batch.rowBucket();
        int betaBase = betaOff + s * buckets;
        for (int m = 0; m < anchors; m++) {
            int qBase = qOff + (s * anchors + m) * dim;
            float max = Float.NEGATIVE_INFINITY;
            for (int t = t0; t < t1; t++) {
                int ob = (t * anchors + m) * dim;
                float d = 0f;
                for (int j = 0; j < dim; j++) d += params[qBase + j] * o[ob + j];
                float e = d * invSqrtDim + params[betaBase + bucket[t]];
                w[t * anchors + m] = e;
                max = Math.max(max, e);
            }
            // Shift by the maximum so that exp never overflows.
            float sum = 0f;
            for (int t = t0; t < t1; t++) {
                float x = (float) StrictMath.exp(w[t * anchors + m] - max);
                w[t * anchors + m] = x;
                sum += x;
            }
            float inv = 1f / sum;
            int ub = uBase + m * dim;
            for (int t = t0; t < t1; t++) {
                float a = w[t * anchors + m] * inv;
                w[t * anchors + m] = a;
                int ob = (t * anchors + m) * dim;
                for (int j = 0; j < dim; j++) u[ub + j] += a * o[ob + j];
            }
        }
    }

    /**
     * Backward pass from {@code du} (same layout as u): ACCUMULATES dL/do into {@code dO} (T x M x d') and
     * dL/dq, dL/dbeta into {@code grad} (flat layout). {@code o} and {@code weights} must be those of the
     * forward pass; the entries of du for empty groups are ignored.
     */
    public void backward(float[] params, SmenBatch batch, float[] o, float[] weights, float[] du, float[] dO, float[] grad, Parallel par) {
        UserArgs.flat(OP, "params", params, layout);
        UserArgs.flat(OP, "grad", grad, layout);
        UserArgs.batch(OP, batch, layout);
        long oSize = (long) batch.rows() * anchors * dim;
        UserArgs.length(OP, "o", o, oSize);
        UserArgs.length(OP, "dO", dO, oSize);
        UserArgs.length(OP, "weights", weights, weightsSize(batch));
        UserArgs.length(OP, "du", du, outputSize(batch));
        int qSize = scales * anchors * dim, partSize = qSize + scales * buckets;
        float[][] partials = new float[UserChunks.count(batch.users(), USERS_PER_CHUNK)][];
        UserChunks.run(par, batch.users(), USERS_PER_CHUNK, (chunk, lo, hi) -> {
            float[] part = new float[partSize];
            for (int b = (int) lo; b < hi; b++) {
                for (int s = 0; s < scales; s++) backwardGroup(params, batch, o, weights, du, dO, part, qSize, b, s);
            }
            partials[chunk] = part;
        });
        // Chunk order, whatever thread finished first: the sum has the same bits for any pool.
        for (float[] part : partials) {
            for (int i = 0; i < qSize; i++) grad[qOff + i] += part[i];
            for (int i = qSize; i < partSize; i++) grad[betaOff + i - qSize] += part[i];
        }
    }

    private void backwardGroup(float[] params, SmenBatch batch, float[] o, float[] w, float[] du, float[] dO,
                               float[] part, int qSize, int b, int s) {
        int t0 = batch.groupFrom(b, s), t1 = batch.groupTo(b, s);
        if (t0 == t1) return;
        int[] bucket = batch.rowBucket();
        int uBase = (b * scales + s) * anchors * dim;
        for (int m = 0; m < anchors; m++) {
            int ub = uBase + m * dim;
            int qBase = qOff + (s * anchors + m) * dim;
            int pq = (s * anchors + m) * dim;
            // d u / d a_t = o_t, so dL/da_t = du . o_t; the softmax Jacobian needs their a-weighted mean first.
            float mean = 0f;
            for (int t = t0; t < t1; t++) mean += w[t * anchors + m] * dot(du, ub, o, (t * anchors + m) * dim);
            for (int t = t0; t < t1; t++) {
                int ob = (t * anchors + m) * dim;
                float a = w[t * anchors + m];
                float de = a * (dot(du, ub, o, ob) - mean);
                float deScaled = de * invSqrtDim;
                for (int j = 0; j < dim; j++) {
                    dO[ob + j] += a * du[ub + j] + deScaled * params[qBase + j];
                    part[pq + j] += deScaled * o[ob + j];
                }
                part[qSize + s * buckets + bucket[t]] += de;
            }
        }
    }

    private float dot(float[] x, int xo, float[] y, int yo) {
        float d = 0f;
        for (int j = 0; j < dim; j++) d += x[xo + j] * y[yo + j];
        return d;
    }
}
