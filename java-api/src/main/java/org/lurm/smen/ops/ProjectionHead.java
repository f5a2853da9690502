package org.lurm.smen.ops;

import java.util.Arrays;
import org.lurm.backend.cpu.Parallel;
import org.lurm.smen.SmenLayout;

/**
 * Projection head of the contrastive learning module (MODEL.md, Stage 2):
 * <pre>
 *   hidden = relu(z . P1 + c1)          (H1)
 *   y      = hidden . P2 + c2           (H2)
 *   p      = y / max(|y|, normEps)      (unit length unless y is (nearly) zero)
 * </pre>
 * with z a user's representation as a row vector of width M*d' and P1, c1, P2, c2 as {@link SmenLayout}
 * stores them. The guard {@code max(|y|, normEps)} (the same as PyTorch's {@code F.normalize}) keeps a zero y
 * from dividing by zero: p is then 0 and the backward pass is the exact derivative of the guarded formula
 * (dp / normEps); MODEL.md leaves this choice open, {@link #DEFAULT_NORM_EPS} is the default.
 *
 * <p><b>Layouts</b> (row-major heap arrays): {@code z} B x (M*d') (the output of {@link ScaleGate}), and in
 * {@link Activations}: hidden B x H1 (after the relu), y B x H2, p B x H2, norm B (|y|).
 *
 * <p><b>Work and determinism.</b> The products run on {@link UserKernels#best()} (Vector API when available);
 * forward and the dz/dhidden products are split by user, the weight gradients by rows of P1/P2 and the bias
 * gradients by columns, each output element computed by one thread in a fixed order: bit-identical results for
 * any {@link Parallel} (or none).
 *
 * <p><b>Thread-safety and memory.</b> Immutable: any number of threads may call it with their own
 * {@link Activations} and output arrays. Heap arrays only; arguments are read, never retained.
 */
public final class ProjectionHead {
    /** Default guard of the normalisation: y is divided by max(|y|, 1e-12), as PyTorch's F.normalize does. */
    public static final float DEFAULT_NORM_EPS = 1e-12f;
    /** Users per work chunk of the user-split products. */
    static final int USERS_PER_CHUNK = 16;
    /** Rows of P1/P2 per work chunk of the weight gradients. */
    static final int WEIGHT_ROWS_PER_CHUNK = 16;
    private static final String OP = "ProjectionHead";

    /**
     * The per-user activations of one forward pass, kept for the backward pass (plus its scratch, including
     * transposed copies of P1 and P2). Reusable for
     * any batch of up to {@link #capacity()} users. Not thread-safe: one pass at a time.
     */
    public static final class Activations {
        private final int capacity;
        private final int in;
        private final int h1;
        private final int h2;
        private final float[] hidden;
        private final float[] y;
        private final float[] p;
        private final float[] norm;
        private final float[] dy;
        private final float[] dHidden;
        private final float[] p1t;
        private final float[] p2t;
        private int users;

        private Activations(int capacity, int in, int h1, int h2) {
            this.capacity = capacity;
            this.in = in;
            this.h1 = h1;
            this.h2 = h2;
            this.hidden = new float[Math.multiplyExact(capacity, h1)];
            this.y = new float[Math.multiplyExact(capacity, h2)];
            this.p = new float[Math.multiplyExact(capacity, h2)];
            this.norm = new float[capacity];
            this.dy = new float[y.length];
            this.dHidden = new float[hidden.length];
            this.p1t = new float[Math.multiplyExact(in, h1)];
            this.p2t = new float[Math.multiplyExact(h1, h2)];
        }

        public int capacity() {
            return capacity;
        }

        /** Users of the last forward pass. */
        public int users() {
            return users;
        }

        /** B x H1, after the relu (live array, not a copy). */
        public float[] hidden() {
            return hidden;
        }

        /** B x H2, before normalisation (live array). */
        public float[] y() {
            return y;
        }

        /** B x H2, the normalised projections fed to InfoNCE (live array). */
        public float[] p() {
            return p;
        }

        /** B, |y| per user (live array). */
        public float[] norm() {
            return norm;
        }
    }

    private final SmenLayout layout;
    private final int in;
    private final int h1;
    private final int h2;
    private final int p1Off;
    private final int c1Off;
    private final int p2Off;
    private final int c2Off;
    private final float normEps;
    private final UserKernels kernels;

    /** A head with the default normalisation guard {@link #DEFAULT_NORM_EPS}. */
    public ProjectionHead(SmenLayout layout) {
        this(layout, DEFAULT_NORM_EPS);
    }

    /** @param normEps guard of the normalisation: y / max(|y|, normEps); must be > 0 */
    public ProjectionHead(SmenLayout layout, float normEps) {
        this(layout, normEps, UserKernels.best());
    }

    ProjectionHead(SmenLayout layout, float normEps, UserKernels kernels) {
        if (!(normEps > 0) || Float.isInfinite(normEps)) throw new IllegalArgumentException(OP + ": normEps must be a finite value > 0, got " + normEps);
        this.layout = layout;
        this.in = layout.config().outputWidth();
        this.h1 = layout.config().headHidden();
        this.h2 = layout.config().headOut();
        this.p1Off = layout.offset("P1");
        this.c1Off = layout.offset("c1");
        this.p2Off = layout.offset("P2");
        this.c2Off = layout.offset("c2");
        this.normEps = normEps;
        this.kernels = kernels;
    }

    public float normEps() {
        return normEps;
    }

    /** Width of the output p (H2). */
    public int outputWidth() {
        return h2;
    }

    /** Activations (and backward scratch) for up to {@code capacity} users. */
    public Activations newActivations(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException(OP + ": capacity must be >= 1, got " + capacity);
        return new Activations(capacity, in, h1, h2);
    }

    /** Forward pass for {@code users} rows of z; the results are in {@code act} ({@link Activations#p()}). */
    public void forward(float[] params, float[] z, int users, Activations act, Parallel par) {
        UserArgs.flat(OP, "params", params, layout);
        UserArgs.users(OP, users);
        UserArgs.length(OP, "z", z, (long) users * in);
        capacity(act, users);
        act.users = users;
        float[] hidden = act.hidden, y = act.y, p = act.p, norm = act.norm;
        UserChunks.run(par, users, USERS_PER_CHUNK, (chunk, lo, hi) -> {
            int r0 = (int) lo, r1 = (int) hi;
            for (int r = r0; r < r1; r++) System.arraycopy(params, c1Off, hidden, r * h1, h1);
            kernels.gemmNN(z, 0, params, p1Off, hidden, 0, in, h1, r0, r1);
            for (int i = r0 * h1; i < r1 * h1; i++) hidden[i] = Math.max(hidden[i], 0f);
            for (int r = r0; r < r1; r++) System.arraycopy(params, c2Off, y, r * h2, h2);
            kernels.gemmNN(hidden, 0, params, p2Off, y, 0, h1, h2, r0, r1);
            for (int r = r0; r < r1; r++) {
                int yb = r * h2;
                float ss = 0f;
                for (int j = 0; j < h2; j++) ss += y[yb + j] * y[yb + j];
                float n = (float) Math.sqrt(ss);
                norm[r] = n;
                float inv = 1f / Math.max(n, normEps);
                for (int j = 0; j < h2; j++) p[yb + j] = y[yb + j] * inv;
            }
        });
    }

    /**
     * Backward pass from {@code dp} (B x H2) of the last {@link #forward} with these activations and the same
     * z: ACCUMULATES dL/dz into {@code dz} (B x (M*d')) and dL/dP1, dL/dc1, dL/dP2, dL/dc2 into {@code grad}.
     */
    public void backward(float[] params, float[] z, Activations act, float[] dp, float[] dz, float[] grad, Parallel par) {
        UserArgs.flat(OP, "params", params, layout);
        UserArgs.flat(OP, "grad", grad, layout);
        capacity(act, 0);
        int users = act.users;
        UserArgs.length(OP, "z", z, (long) users * in);
        UserArgs.length(OP, "dp", dp, (long) users * h2);
        UserArgs.length(OP, "dz", dz, (long) users * in);
        float[] hidden = act.hidden, p = act.p, norm = act.norm, dy = act.dy, dh = act.dHidden;
        // Transposed weights turn dy . P2^T and dh . P1^T into axpy-shaped products (see UserKernels.transpose).
        UserKernels.transpose(params, p2Off, h1, h2, act.p2t, 0);
        UserKernels.transpose(params, p1Off, in, h1, act.p1t, 0);
        // dy from dp through the normalisation, then dhidden = dy . P2^T masked by the relu: per user.
        UserChunks.run(par, users, USERS_PER_CHUNK, (chunk, lo, hi) -> {
            int r0 = (int) lo, r1 = (int) hi;
            for (int r = r0; r < r1; r++) {
                int yb = r * h2;
                float n = norm[r];
                if (n > normEps) {
                    // d(y/|y|) = (I - p p^T) / |y|
                    float pd = 0f;
                    for (int j = 0; j < h2; j++) pd += p[yb + j] * dp[yb + j];
                    float inv = 1f / n;
                    for (int j = 0; j < h2; j++) dy[yb + j] = (dp[yb + j] - p[yb + j] * pd) * inv;
                } else {
                    float inv = 1f / normEps;
                    for (int j = 0; j < h2; j++) dy[yb + j] = dp[yb + j] * inv;
                }
            }
            Arrays.fill(dh, r0 * h1, r1 * h1, 0f);
            kernels.gemmNN(dy, 0, act.p2t, 0, dh, 0, h2, h1, r0, r1);
            // hidden > 0 exactly where the pre-activation was > 0: the relu's derivative.
            for (int i = r0 * h1; i < r1 * h1; i++) if (!(hidden[i] > 0f)) dh[i] = 0f;
            kernels.gemmNN(dh, 0, act.p1t, 0, dz, 0, h1, in, r0, r1);
        });
        // Weight gradients, split by rows of P1 / P2; the bias gradients are column sums over users in order.
        UserChunks.run(par, h1, WEIGHT_ROWS_PER_CHUNK, (chunk, lo, hi) -> {
            kernels.gemmTN(hidden, 0, dy, 0, grad, p2Off, users, h1, h2, (int) lo, (int) hi);
            columnSums(dh, users, h1, grad, c1Off, (int) lo, (int) hi);
        });
        UserChunks.run(par, in, WEIGHT_ROWS_PER_CHUNK, (chunk, lo, hi) -> {
            kernels.gemmTN(z, 0, dh, 0, grad, p1Off, users, in, h1, (int) lo, (int) hi);
            // c2 has H2 columns; spread them over the same chunks proportionally.
            int j0 = (int) (lo * h2 / in), j1 = (int) (hi * h2 / in);
            columnSums(dy, users, h2, grad, c2Off, j0, j1);
        });
    }

    /** out[outOff + j] += sum_r x[r][j] for j in [j0, j1), users in order. */
    private static void columnSums(float[] x, int users, int width, float[] out, int outOff, int j0, int j1) {
        if (j1 <= j0) return;
        // Row by row into a slice-sized buffer: contiguous reads, and each column still sums users in order.
        float[] acc = new float[j1 - j0];
        for (int r = 0; r < users; r++) {
            int xb = r * width + j0;
            for (int j = 0; j < acc.length; j++) acc[j] += x[xb + j];
        }
        for (int j = 0; j < acc.length; j++) out[outOff + j0 + j] += acc[j];
    }

    private void capacity(Activations act, int users) {
        if (act == null) throw new IllegalArgumentException(OP + ": activations are null");
        if (act.in != in || act.h1 != h1 || act.h2 != h2) {
            throw new IllegalArgumentException(OP + ": activations are for widths " + act.in + "/" + act.h1 + "/" + act.h2
                    + ", this head has " + in + "/" + h1 + "/" + h2);
        }
        if (users > act.capacity) {
            throw new IllegalArgumentException(OP + ": " + users + " users exceed the activations' capacity of " + act.capacity);
        }
    }
}
