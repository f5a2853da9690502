package org.lurm.smen;

import org.lurm.SmenConfig;

/**
 * MODEL.md's optimisation: Adam for the dense parameters, row-sparse ("lazy") Adam for the interest table V
 * (only the rows a batch touched are read or written, so a step costs O(touched rows), not O(K)), a linear
 * warm-up then cosine decay of the learning rate, and clipping by the global gradient norm (over the dense
 * gradient and the touched V rows).
 *
 * <p>Lazy Adam uses the global step for bias correction (as PyTorch's SparseAdam does): a row's moments only
 * decay on the steps that touch it.
 *
 * <p>The optimizer owns its moment arrays (same layout as the parameters). Not thread-safe: one trainer steps it.
 */
public final class SmenOptimizer {
    private final SmenLayout layout;
    private final SmenConfig cfg;
    private final long totalSteps;
    private final float[] m;
    private final float[] v;
    private long step;

    public SmenOptimizer(SmenLayout layout, long totalSteps) {
        this.layout = layout;
        this.cfg = layout.config();
        this.totalSteps = Math.max(1, totalSteps);
        this.m = new float[Math.toIntExact(layout.total())];
        this.v = new float[m.length];
    }

    /** Steps taken so far. */
    public long step() {
        return step;
    }

    /** Adam moments, for checkpoints (live arrays). */
    public float[] firstMoment() {
        return m;
    }

    public float[] secondMoment() {
        return v;
    }

    /** Restores the state of a checkpoint. */
    public void restore(long steps, float[] m1, float[] m2) {
        if (m1.length != m.length || m2.length != v.length) throw new IllegalArgumentException("checkpoint moments do not match the model layout");
        System.arraycopy(m1, 0, m, 0, m.length);
        System.arraycopy(m2, 0, v, 0, v.length);
        step = steps;
    }

    /** Learning rate at step t (0-based): linear warm-up to the base rate, then cosine decay to 0 at totalSteps. */
    public float learningRate(long t) {
        float base = cfg.effectiveLearningRate(totalSteps);
        int warm = cfg.effectiveWarmup(totalSteps);
        if (warm > 0 && t < warm) return base * (t + 1) / warm;
        double progress = Math.min(1.0, (t - warm) / (double) Math.max(1, totalSteps - warm));
        return (float) (base * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }

    /**
     * Global L2 norm of the gradient: the dense part and the touched rows of V.
     */
    public double gradNorm(float[] grad, int[] touchedRows, int nTouched) {
        double s = 0;
        int h = cfg.h();
        int dense = (int) layout.denseOffset();
        for (int i = dense; i < grad.length; i++) s += (double) grad[i] * grad[i];
        int vOff = layout.offset("V");
        for (int q = 0; q < nTouched; q++) {
            int o = vOff + touchedRows[q] * h;
            for (int i = 0; i < h; i++) s += (double) grad[o + i] * grad[o + i];
        }
        return Math.sqrt(s);
    }

    /**
     * One update; then the gradient entries it read are zeroed for the next step.
     *
     * @return the global gradient norm before clipping
     */
    public double apply(float[] params, float[] grad, int[] touchedRows, int nTouched) {
        double norm = gradNorm(grad, touchedRows, nTouched);
        if (!Double.isFinite(norm)) throw new ArithmeticException("gradient norm is " + norm + " at step " + step);
        float scale = norm > cfg.clipNorm() ? (float) (cfg.clipNorm() / norm) : 1f;
        float lr = learningRate(step);
        step++;
        float b1 = cfg.beta1(), b2 = cfg.beta2(), eps = cfg.eps();
        double c1 = 1 - Math.pow(b1, step), c2 = 1 - Math.pow(b2, step);
        float stepSize = (float) (lr / c1);
        float c2s = (float) Math.sqrt(c2);
        int dense = (int) layout.denseOffset();
        // Per-group step sizes (SmenConfig.anchorLrScale, interestLrScale): A is the head of the dense part.
        int aEnd = dense + Math.toIntExact(layout.tensor("A").size());
        update(params, grad, dense, aEnd, scale, b1, b2, eps, stepSize * cfg.anchorLrScale(), c2s);
        update(params, grad, aEnd, grad.length, scale, b1, b2, eps, stepSize, c2s);
        int h = cfg.h();
        int vOff = layout.offset("V");
        float vStep = stepSize * cfg.interestLrScale();
        for (int q = 0; q < nTouched; q++) {
            int o = vOff + touchedRows[q] * h;
            update(params, grad, o, o + h, scale, b1, b2, eps, vStep, c2s);
        }
        return norm;
    }

    private void update(float[] p, float[] g, int from, int to, float scale, float b1, float b2, float eps, float stepSize, float c2s) {
        for (int i = from; i < to; i++) {
            float gi = g[i] * scale;
            float mi = b1 * m[i] + (1 - b1) * gi;
            float vi = b2 * v[i] + (1 - b2) * gi * gi;
            m[i] = mi;
            v[i] = vi;
            p[i] -= stepSize * mi / ((float) Math.sqrt(vi) / c2s + eps);
            g[i] = 0f;
        }
    }
}
