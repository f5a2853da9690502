package org.lurm.smen.ops;

import java.util.Arrays;
import org.lurm.backend.cpu.Parallel;
import org.lurm.smen.SmenBatch;
import org.lurm.smen.SmenLayout;

/**
 * Multi-scale aggregation module (MODEL.md, Stage 2): per user b and anchor m, a softmax gate over the scales
 * at which the user has rows,
 * <pre>
 *   c[m,s] = softmax over present s of (g_m . u[b,s,m]) / sqrt(d')
 *   z[b,m] = sum_s c[m,s] u[b,s,m]
 * </pre>
 * A scale where the user has no rows (an empty group of the {@link SmenBatch}) is masked out of the softmax
 * (c = 0); a user with no rows at any scale gets z = 0 and is flagged.
 *
 * <p><b>Layouts</b> (row-major heap arrays):
 * <ul>
 *   <li>{@code u}: B x S x M x d' (the output of {@link TimeAttention})</li>
 *   <li>{@code z}: B x M x d', {@code z[(b*M + m)*d' + j]}: the user's representation, M*d' floats per user,
 *       one d'-vector per anchor</li>
 *   <li>{@code gate}: B x M x S, {@code gate[(b*M + m)*S + s]} = c[m,s] (0 at masked scales); kept for the
 *       backward pass and to explain which time scale each anchor relied on</li>
 *   <li>{@code noRows}: B flags, true for a user with no rows at all</li>
 *   <li>{@code params}/{@code grad}: the flat {@link SmenLayout} arrays; this op reads g</li>
 * </ul>
 *
 * <p><b>Work and determinism.</b> Fixed chunks of {@value #USERS_PER_CHUNK} users (independent of the thread
 * count); each user's z, gate and du are written only by its chunk; dg is summed per chunk and the partials
 * added in chunk order: bit-identical results for any {@link Parallel} (or none). O(B*S*M*d'): scalar.
 *
 * <p><b>Thread-safety and memory.</b> Immutable: any number of threads may call it on distinct output arrays.
 * Heap arrays only; arguments are read, never retained.
 */
public final class ScaleGate {
    /** Users per work chunk. */
    static final int USERS_PER_CHUNK = 32;
    private static final String OP = "ScaleGate";

    private final SmenLayout layout;
    private final int anchors;
    private final int dim;
    private final int scales;
    private final int gOff;
    private final float invSqrtDim;

    public ScaleGate(SmenLayout layout) {
        this.layout = layout;
        this.anchors = layout.config().anchors();
        this.dim = layout.config().anchorDim();
        this.scales = layout.scales();
        this.gOff = layout.offset("g");
        this.invSqrtDim = (float) (1.0 / Math.sqrt(dim));
    }

    /** Floats of {@code z} for B users: B*M*d'. */
    public int outputSize(int users) {
        return Math.multiplyExact(users, anchors * dim);
    }

    /** Floats of {@code gate} for B users: B*M*S. */
    public int gateSize(int users) {
        return Math.multiplyExact(users, anchors * scales);
    }

    /**
     * Computes z and the gate (both overwritten) and, when {@code noRows} is not null, the per-user flag.
     *
     * @return the number of users with no rows at any scale (their z is 0)
     */
    public int forward(float[] params, SmenBatch batch, float[] u, float[] z, float[] gate, boolean[] noRows, Parallel par) {
        UserArgs.flat(OP, "params", params, layout);
        UserArgs.batch(OP, batch, layout);
        int users = batch.users();
        UserArgs.length(OP, "u", u, (long) users * scales * anchors * dim);
        UserArgs.length(OP, "z", z, outputSize(users));
        UserArgs.length(OP, "gate", gate, gateSize(users));
        if (noRows != null && noRows.length < users) {
            throw new IllegalArgumentException(OP + ": noRows has " + noRows.length + " entries, needs " + users);
        }
        UserChunks.run(par, users, USERS_PER_CHUNK, (chunk, lo, hi) -> {
            for (int b = (int) lo; b < hi; b++) forwardUser(params, batch, u, z, gate, b);
        });
        int empty = 0;
        for (int b = 0; b < users; b++) {
            boolean none = batch.groupFrom(b, 0) == batch.groupTo(b, scales - 1);
            if (none) empty++;
            if (noRows != null) noRows[b] = none;
        }
        return empty;
    }

    private void forwardUser(float[] params, SmenBatch batch, float[] u, float[] z, float[] gate, int b) {
        int md = anchors * dim;
        Arrays.fill(z, b * md, (b + 1) * md, 0f);
        Arrays.fill(gate, b * anchors * scales, (b + 1) * anchors * scales, 0f);
        for (int m = 0; m < anchors; m++) {
            int gBase = gOff + m * dim;
            int cBase = (b * anchors + m) * scales;
            float max = Float.NEGATIVE_INFINITY;
            boolean any = false;
            for (int s = 0; s < scales; s++) {
                if (!present(batch, b, s)) continue;
                float l = dot(params, gBase, u, uIndex(b, s, m)) * invSqrtDim;
                gate[cBase + s] = l;
                max = any ? Math.max(max, l) : l;
                any = true;
            }
            if (!any) continue;
            float sum = 0f;
            for (int s = 0; s < scales; s++) {
                if (!present(batch, b, s)) continue;
                float x = (float) StrictMath.exp(gate[cBase + s] - max);
                gate[cBase + s] = x;
                sum += x;
            }
            float inv = 1f / sum;
            int zb = (b * anchors + m) * dim;
            for (int s = 0; s < scales; s++) {
                if (!present(batch, b, s)) continue;
                float c = gate[cBase + s] * inv;
                gate[cBase + s] = c;
                int ub = uIndex(b, s, m);
                for (int j = 0; j < dim; j++) z[zb + j] += c * u[ub + j];
            }
        }
    }

    /**
     * Backward pass from {@code dz} (B x M x d'): ACCUMULATES dL/du into {@code du} (B x S x M x d'; masked
     * scales are left untouched) and dL/dg into {@code grad}. {@code u} and {@code gate} must be those of the
     * forward pass. Users with no rows contribute nothing.
     */
    public void backward(float[] params, SmenBatch batch, float[] u, float[] gate, float[] dz, float[] du, float[] grad, Parallel par) {
        UserArgs.flat(OP, "params", params, layout);
        UserArgs.flat(OP, "grad", grad, layout);
        UserArgs.batch(OP, batch, layout);
        int users = batch.users();
        long uSize = (long) users * scales * anchors * dim;
        UserArgs.length(OP, "u", u, uSize);
        UserArgs.length(OP, "du", du, uSize);
        UserArgs.length(OP, "gate", gate, gateSize(users));
        UserArgs.length(OP, "dz", dz, outputSize(users));
        int gSize = anchors * dim;
        float[][] partials = new float[UserChunks.count(users, USERS_PER_CHUNK)][];
        UserChunks.run(par, users, USERS_PER_CHUNK, (chunk, lo, hi) -> {
            float[] part = new float[gSize];
            for (int b = (int) lo; b < hi; b++) backwardUser(params, batch, u, gate, dz, du, part, b);
            partials[chunk] = part;
        });
        for (float[] part : partials) {
            for (int i = 0; i < gSize; i++) grad[gOff + i] += part[i];
        }
    }

    private void backwardUser(float[] params, SmenBatch batch, float[] u, float[] gate, float[] dz, float[] du, float[] part, int b) {
        for (int m = 0; m < anchors; m++) {
            int gBase = gOff + m * dim;
            int cBase = (b * anchors + m) * scales;
            int zb = (b * anchors + m) * dim;
            // dL/dc_s = dz . u_s; the softmax Jacobian needs their c-weighted mean.
            float mean = 0f;
            for (int s = 0; s < scales; s++) {
                if (present(batch, b, s)) mean += gate[cBase + s] * dot(dz, zb, u, uIndex(b, s, m));
            }
            for (int s = 0; s < scales; s++) {
                if (!present(batch, b, s)) continue;
                int ub = uIndex(b, s, m);
                float c = gate[cBase + s];
                float de = c * (dot(dz, zb, u, ub) - mean) * invSqrtDim;
                for (int j = 0; j < dim; j++) {
                    du[ub + j] += c * dz[zb + j] + de * params[gBase + j];
                    part[m * dim + j] += de * u[ub + j];
                }
            }
        }
    }

    private static boolean present(SmenBatch batch, int b, int s) {
        return batch.groupFrom(b, s) < batch.groupTo(b, s);
    }

    private int uIndex(int b, int s, int m) {
        return ((b * scales + s) * anchors + m) * dim;
    }

    private float dot(float[] x, int xo, float[] y, int yo) {
        float d = 0f;
        for (int j = 0; j < dim; j++) d += x[xo + j] * y[yo + j];
        return d;
    }
}
