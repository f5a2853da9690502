package org.lurm.smen.ops;

import org.lurm.smen.SmenLayout;

/**
 * Anchor-diversity term of the SMEN loss (MODEL.md, Stage 2), which keeps the anchors apart:
 * <pre>
 *   L_div = || Ahat Ahat^T - I ||_F^2 / M^2,    Ahat_m = A_m / max(|A_m|, normEps)
 * </pre>
 * with A the M x h anchors of the flat {@link SmenLayout} array. The guard {@code max(|A_m|, normEps)} (MODEL.md
 * leaves it open; default {@link #DEFAULT_NORM_EPS}, as PyTorch's {@code F.normalize}) makes an all-zero anchor
 * a zero row of Ahat: it adds 1 to the diagonal error and receives a zero gradient, instead of a division by
 * zero.
 *
 * <p>The term costs O(M^2 h) (a few thousand operations), so it runs on the calling thread, in double
 * internally; the gradient is rounded to float once, when it is added to {@code grad}.
 *
 * <p><b>Thread-safety and memory.</b> Immutable: any number of threads may call it on distinct gradient arrays.
 * Heap arrays only; arguments are read, never retained.
 */
public final class AnchorDiversity {
    /** Default guard of the anchor normalisation: A_m / max(|A_m|, 1e-12). */
    public static final float DEFAULT_NORM_EPS = 1e-12f;
    private static final String OP = "AnchorDiversity";

    private final SmenLayout layout;
    private final int anchors;
    private final int h;
    private final int aOff;
    private final double normEps;

    /** The term with the default guard {@link #DEFAULT_NORM_EPS}. */
    public AnchorDiversity(SmenLayout layout) {
        this(layout, DEFAULT_NORM_EPS);
    }

    /** @param normEps guard of the anchor normalisation: A_m / max(|A_m|, normEps); must be > 0 */
    public AnchorDiversity(SmenLayout layout, float normEps) {
        if (!(normEps > 0) || Float.isInfinite(normEps)) throw new IllegalArgumentException(OP + ": normEps must be a finite value > 0, got " + normEps);
        this.layout = layout;
        this.anchors = layout.config().anchors();
        this.h = layout.config().h();
        this.aOff = layout.offset("A");
        this.normEps = normEps;
    }

    /** L_div of the anchors in {@code params}. */
    public double loss(float[] params) {
        UserArgs.flat(OP, "params", params, layout);
        return compute(params, 0f, null);
    }

    /**
     * L_div, and {@code scale} times its gradient with respect to A ACCUMULATED into {@code grad}.
     *
     * @param scale weight of this term in the total loss (MODEL.md: diversityWeight, 0.1); the returned loss is
     *              not multiplied by it
     */
    public double forwardBackward(float[] params, float scale, float[] grad) {
        UserArgs.flat(OP, "params", params, layout);
        UserArgs.flat(OP, "grad", grad, layout);
        return compute(params, scale, grad);
    }

    private double compute(float[] params, float scale, float[] grad) {
        int m = anchors;
        double[] ahat = new double[m * h];
        double[] norm = new double[m];
        for (int a = 0; a < m; a++) {
            double ss = 0;
            for (int i = 0; i < h; i++) {
                double v = params[aOff + a * h + i];
                ss += v * v;
            }
            norm[a] = Math.sqrt(ss);
            double inv = 1.0 / Math.max(norm[a], normEps);
            for (int i = 0; i < h; i++) ahat[a * h + i] = params[aOff + a * h + i] * inv;
        }
        // G - I, symmetric: only the upper triangle is computed.
        double[] diff = new double[m * m];
        double loss = 0;
        for (int a = 0; a < m; a++) {
            for (int c = a; c < m; c++) {
                double g = 0;
                for (int i = 0; i < h; i++) g += ahat[a * h + i] * ahat[c * h + i];
                double d = g - (a == c ? 1 : 0);
                diff[a * m + c] = d;
                diff[c * m + a] = d;
                loss += (a == c ? 1 : 2) * d * d;
            }
        }
        double mm = (double) m * m;
        loss /= mm;
        if (grad == null) return loss;
        // dL/dAhat_a = 4/M^2 sum_c (G - I)_ac Ahat_c (G symmetric: both factors of each product)
        double[] dAhat = new double[h];
        for (int a = 0; a < m; a++) {
            java.util.Arrays.fill(dAhat, 0);
            for (int c = 0; c < m; c++) {
                double w = 4.0 * diff[a * m + c] / mm;
                for (int i = 0; i < h; i++) dAhat[i] += w * ahat[c * h + i];
            }
            int base = aOff + a * h;
            if (norm[a] > normEps) {
                // d(A/|A|) = (I - Ahat Ahat^T) / |A|
                double pd = 0;
                for (int i = 0; i < h; i++) pd += ahat[a * h + i] * dAhat[i];
                for (int i = 0; i < h; i++) grad[base + i] += (float) (scale * (dAhat[i] - ahat[a * h + i] * pd) / norm[a]);
            } else {
                for (int i = 0; i < h; i++) grad[base + i] += (float) (scale * dAhat[i] / normEps);
            }
        }
        return loss;
    }
}
