package org.lurm.eval;

import java.util.Objects;
import java.util.SplittableRandom;
import org.lurm.backend.Backend;
import org.lurm.memory.F32Array;

/**
 * The second probe of EVALUATION.md: a one-hidden-layer perceptron (ReLU) on frozen vectors, trained full-batch
 * with Adam and an L2 weight penalty, stopped early on a validation split (the parameters with the lowest
 * validation loss are kept), from a fixed seed.
 *
 * <p>Outputs are sigmoid units with binary cross-entropy (binary and multi-label tasks: one unit per class) or
 * a softmax with cross-entropy (multi-class). The first layer's products run on the {@link Backend} through
 * {@link Features#multiply}, so sparse inputs (raw BoI) stay sparse; the rest through {@code gemm}.
 *
 * <p><b>Thread-safety.</b> Stateless; concurrent fits are independent. Fitted models are immutable.
 */
public final class MlpProbe {
    /**
     * @param hidden       hidden units (64)
     * @param learningRate Adam learning rate (0.01)
     * @param weightDecay  L2 penalty on the weights, added to the mean loss as (wd/2)||W||² (1e-4)
     * @param maxEpochs    full-batch epochs at most (200)
     * @param patience     epochs without a better validation loss before stopping (10)
     * @param seed         initialisation seed
     */
    public record Options(int hidden, double learningRate, double weightDecay, int maxEpochs, int patience, long seed) {
        public Options {
            if (hidden < 1 || maxEpochs < 1 || patience < 1 || !(learningRate > 0) || !(weightDecay >= 0)) {
                throw new IllegalArgumentException("invalid MLP options");
            }
        }

        public static Options defaults() {
            return new Options(64, 0.01, 1e-4, 200, 10, 42L);
        }

        public Options withSeed(long s) {
            return new Options(hidden, learningRate, weightDecay, maxEpochs, patience, s);
        }

        public Options withMaxEpochs(int e) {
            return new Options(hidden, learningRate, weightDecay, e, patience, seed);
        }
    }

    /** A fitted perceptron; {@link #predict} gives probabilities (rows x outputs). */
    public static final class Model {
        private final int dim, hidden, outputs;
        private final boolean softmax;
        private final float[] w1, b1, w2, b2;
        private final int epochs;
        private final double validationLoss;

        private Model(int dim, int hidden, int outputs, boolean softmax, float[] params, int epochs, double validationLoss) {
            this.dim = dim;
            this.hidden = hidden;
            this.outputs = outputs;
            this.softmax = softmax;
            this.w1 = java.util.Arrays.copyOfRange(params, 0, dim * hidden);
            this.b1 = java.util.Arrays.copyOfRange(params, dim * hidden, dim * hidden + hidden);
            int o = dim * hidden + hidden;
            this.w2 = java.util.Arrays.copyOfRange(params, o, o + hidden * outputs);
            this.b2 = java.util.Arrays.copyOfRange(params, o + hidden * outputs, o + hidden * outputs + outputs);
            this.epochs = epochs;
            this.validationLoss = validationLoss;
        }

        /** Epoch whose parameters were kept. */
        public int epochs() {
            return epochs;
        }

        public double validationLoss() {
            return validationLoss;
        }

        /** Class probabilities, rows x outputs, row-major. */
        public double[] predict(Features x, Backend backend) {
            float[] h = new float[x.rows() * hidden];
            float[] o = new float[x.rows() * outputs];
            forward(x, backend, dim, hidden, outputs, w1, b1, w2, b2, h, o);
            double[] p = new double[o.length];
            activate(o, x.rows(), outputs, softmax, p);
            return p;
        }
    }

    private MlpProbe() {
    }

    /**
     * Trains on {@code train} and stops early on {@code validation}.
     *
     * @param trainTargets rows x outputs, row-major, 0/1 (one-hot rows for softmax)
     * @param softmax      softmax output (multi-class) instead of independent sigmoids
     */
    public static Model fit(Features train, float[] trainTargets, Features validation, float[] validationTargets, int outputs, boolean softmax,
                            Options options, Backend backend) {
        Objects.requireNonNull(backend, "backend");
        int n = train.rows(), d = train.dim(), H = options.hidden();
        if (trainTargets.length != n * outputs || validationTargets.length != validation.rows() * outputs) {
            throw new IllegalArgumentException("targets must be rows x outputs");
        }
        if (validation.dim() != d) throw new IllegalArgumentException("validation features have " + validation.dim() + " columns, training " + d);
        int nW1 = d * H, nW2 = H * outputs, total = nW1 + H + nW2 + outputs;
        float[] params = new float[total];
        SplittableRandom rnd = new SplittableRandom(options.seed());
        double a1 = Math.sqrt(6.0 / d), a2 = Math.sqrt(6.0 / (H + outputs));
        for (int i = 0; i < nW1; i++) params[i] = (float) ((rnd.nextDouble() * 2 - 1) * a1);
        for (int i = 0; i < nW2; i++) params[nW1 + H + i] = (float) ((rnd.nextDouble() * 2 - 1) * a2);
        float[] grad = new float[total], m = new float[total], v = new float[total], best = params.clone();
        float[] h = new float[n * H], o = new float[n * outputs], dO = new float[n * outputs], dH = new float[n * H];
        float[] hv = new float[validation.rows() * H], ov = new float[validation.rows() * outputs];
        double[] prob = new double[n * outputs], probV = new double[validation.rows() * outputs];
        double bestLoss = Double.POSITIVE_INFINITY;
        int bestEpoch = 0, bad = 0;
        double b1 = 0.9, b2 = 0.999, eps = 1e-8, lr = options.learningRate(), wd = options.weightDecay();
        for (int epoch = 1; epoch <= options.maxEpochs(); epoch++) {
            float[] w1 = slice(params, 0, nW1), bb1 = slice(params, nW1, H), w2 = slice(params, nW1 + H, nW2), bb2 = slice(params, nW1 + H + nW2, outputs);
            forward(train, backend, d, H, outputs, w1, bb1, w2, bb2, h, o);
            activate(o, n, outputs, softmax, prob);
            for (int i = 0; i < dO.length; i++) dO[i] = (float) ((prob[i] - trainTargets[i]) / n);
            java.util.Arrays.fill(grad, 0f);
            // dW2 = H^T dO, db2 = colsum dO
            float[] gW2 = new float[nW2];
            backend.gemm(true, false, H, outputs, n, 1f, F32Array.wrap(h), F32Array.wrap(dO), 0f, F32Array.wrap(gW2));
            System.arraycopy(gW2, 0, grad, nW1 + H, nW2);
            for (int i = 0; i < n; i++) for (int c = 0; c < outputs; c++) grad[nW1 + H + nW2 + c] += dO[i * outputs + c];
            // dH = dO W2^T masked by ReLU
            backend.gemm(false, true, n, H, outputs, 1f, F32Array.wrap(dO), F32Array.wrap(w2), 0f, F32Array.wrap(dH));
            for (int i = 0; i < dH.length; i++) if (h[i] <= 0) dH[i] = 0;
            float[] gW1 = new float[nW1];
            train.multiplyTranspose(backend, dH, H, gW1);
            System.arraycopy(gW1, 0, grad, 0, nW1);
            for (int i = 0; i < n; i++) for (int j = 0; j < H; j++) grad[nW1 + j] += dH[i * H + j];
            for (int i = 0; i < nW1; i++) grad[i] += (float) (wd * params[i]);
            for (int i = 0; i < nW2; i++) grad[nW1 + H + i] += (float) (wd * params[nW1 + H + i]);
            double c1 = 1 - Math.pow(b1, epoch), c2 = 1 - Math.pow(b2, epoch);
            for (int i = 0; i < total; i++) {
                m[i] = (float) (b1 * m[i] + (1 - b1) * grad[i]);
                v[i] = (float) (b2 * v[i] + (1 - b2) * grad[i] * grad[i]);
                params[i] -= (float) (lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + eps));
            }
            // validation loss of the updated parameters
            forward(validation, backend, d, H, outputs, slice(params, 0, nW1), slice(params, nW1, H), slice(params, nW1 + H, nW2),
                    slice(params, nW1 + H + nW2, outputs), hv, ov);
            activate(ov, validation.rows(), outputs, softmax, probV);
            double loss = crossEntropy(probV, validationTargets, validation.rows(), outputs, softmax);
            if (loss < bestLoss - 1e-7) {
                bestLoss = loss;
                bestEpoch = epoch;
                System.arraycopy(params, 0, best, 0, total);
                bad = 0;
            } else if (++bad >= options.patience()) {
                break;
            }
        }
        return new Model(d, H, outputs, softmax, best, bestEpoch, bestLoss);
    }

    private static float[] slice(float[] a, int from, int len) {
        return java.util.Arrays.copyOfRange(a, from, from + len);
    }

    private static void forward(Features x, Backend backend, int d, int H, int outputs, float[] w1, float[] b1, float[] w2, float[] b2,
                                float[] h, float[] o) {
        int n = x.rows();
        if (n == 0) return;
        x.multiply(backend, w1, H, h);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < H; j++) {
                float a = h[i * H + j] + b1[j];
                h[i * H + j] = a > 0 ? a : 0;
            }
        }
        backend.gemm(false, false, n, outputs, H, 1f, F32Array.wrap(h), F32Array.wrap(w2), 0f, F32Array.wrap(o));
        for (int i = 0; i < n; i++) for (int c = 0; c < outputs; c++) o[i * outputs + c] += b2[c];
    }

    private static void activate(float[] o, int n, int outputs, boolean softmax, double[] p) {
        for (int i = 0; i < n; i++) {
            if (softmax) {
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < outputs; c++) max = Math.max(max, o[i * outputs + c]);
                double s = 0;
                for (int c = 0; c < outputs; c++) s += (p[i * outputs + c] = Math.exp(o[i * outputs + c] - max));
                for (int c = 0; c < outputs; c++) p[i * outputs + c] /= s;
            } else {
                for (int c = 0; c < outputs; c++) p[i * outputs + c] = LogisticRegression.sigmoid(o[i * outputs + c]);
            }
        }
    }

    private static double crossEntropy(double[] p, float[] t, int n, int outputs, boolean softmax) {
        double s = 0;
        for (int i = 0; i < n * outputs; i++) {
            double q = Math.min(1 - 1e-12, Math.max(1e-12, p[i]));
            s -= t[i] * Math.log(q) + (softmax ? 0 : (1 - t[i]) * Math.log(1 - q));
        }
        return s / Math.max(1, n);
    }
}
