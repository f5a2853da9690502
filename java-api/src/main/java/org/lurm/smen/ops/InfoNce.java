package org.lurm.smen.ops;

import org.lurm.SmenConfig;
import java.util.Arrays;
import org.lurm.backend.cpu.Parallel;

/**
 * Symmetric InfoNCE of the contrastive learning module (MODEL.md, Stage 2). For a batch of B users with
 * projections pA (view A) and pB (view B), {@code S_ij = pA_i . pB_j} and
 * <pre>
 *   L = 1/2 [ CE(S / tau, identity) + CE(S^T / tau, identity) ]
 *     = 1/(2B) sum_i [ lse_j(S_ij / tau) - S_ii / tau ] + 1/(2B) sum_j [ lse_i(S_ij / tau) - S_jj / tau ]
 * </pre>
 * (each cross-entropy the mean over the B rows). Log-sum-exps are shifted by the row (column) maximum, so large
 * logits never overflow; the softmax sums run in double.
 *
 * <p><b>Layouts</b> (row-major heap arrays): pA, pB, dpA, dpB are B x dim; S and dS are B x B,
 * {@code S[i*B + j] = pA_i . pB_j}.
 *
 * <p><b>Work and determinism.</b> Rows (and, for the column softmax, column blocks) are split into fixed chunks;
 * every output element is computed by one thread in a fixed order and the loss is summed over users in order:
 * bit-identical results for any {@link Parallel} (or none). The products run on {@link UserKernels#best()}.
 *
 * <p><b>Thread-safety and memory.</b> Immutable: any number of threads may call it on distinct output arrays.
 * Heap arrays only; each call allocates its temporaries (S, and for the gradient dS and one exponential table,
 * B x B each; pB transposed).
 */
public final class InfoNce {
    /** Rows (or columns) per work chunk. */
    static final int ROWS_PER_CHUNK = 16;
    private static final String OP = "InfoNce";

    private final float tau;
    private final UserKernels kernels;

    /** @param tau contrastive temperature (MODEL.md default 0.1, {@code SmenConfig.tau()}); must be > 0 */
    public InfoNce(float tau) {
        this(tau, UserKernels.best());
    }

    InfoNce(float tau, UserKernels kernels) {
        if (!(tau > 0) || Float.isInfinite(tau)) throw new IllegalArgumentException(OP + ": tau must be a finite value > 0, got " + tau);
        this.tau = tau;
        this.kernels = kernels;
    }

    public float tau() {
        return tau;
    }

    /** The B x B similarity matrix S_ij = pA_i . pB_j (a new array). */
    public float[] similarities(float[] pA, float[] pB, int users, int dim, Parallel par) {
        check(users, dim);
        UserArgs.length(OP, "pA", pA, (long) users * dim);
        UserArgs.length(OP, "pB", pB, (long) users * dim);
        float[] s = new float[Math.multiplyExact(users, users)];
        float[] pBt = new float[Math.multiplyExact(users, dim)];
        UserKernels.transpose(pB, 0, users, dim, pBt, 0);
        UserChunks.run(par, users, ROWS_PER_CHUNK, (chunk, lo, hi) -> kernels.gemmNN(pA, 0, pBt, 0, s, 0, dim, users, (int) lo, (int) hi));
        return s;
    }

    /** The loss only (e.g. on held-out users). */
    public double loss(float[] pA, float[] pB, int users, int dim, Parallel par) {
        return lossFromSimilarities(similarities(pA, pB, users, dim, par), users, 0f, null, par);
    }

    /**
     * The loss, and {@code scale} times its gradient ACCUMULATED into dpA and dpB (B x dim each).
     *
     * @param scale weight of this loss in the total (its gradient is multiplied by it; the returned loss is not)
     */
    public double forwardBackward(float[] pA, float[] pB, int users, int dim, float scale, float[] dpA, float[] dpB, Parallel par) {
        float[] s = similarities(pA, pB, users, dim, par);
        UserArgs.length(OP, "dpA", dpA, (long) users * dim);
        UserArgs.length(OP, "dpB", dpB, (long) users * dim);
        float[] ds = new float[s.length];
        double loss = lossFromSimilarities(s, users, scale, ds, par);
        // dL/dpA = dS . pB, dL/dpB = dS^T . pA
        UserChunks.run(par, users, ROWS_PER_CHUNK, (chunk, lo, hi) -> {
            kernels.gemmNN(ds, 0, pB, 0, dpA, 0, users, dim, (int) lo, (int) hi);
            kernels.gemmTN(ds, 0, pA, 0, dpB, 0, users, users, dim, (int) lo, (int) hi);
        });
        return loss;
    }

    /**
     * The loss from a B x B similarity matrix and, when {@code dS} is not null, {@code scale * dL/dS} written
     * (overwritten) into it:
     * {@code dL/dS_ij = [softmax_j(S_i./tau)_j + softmax_i(S_.j/tau)_i - 2 delta_ij] / (2 B tau)}.
     * Each row of the first (row cross-entropy) term and each column of the second sums to zero.
     */
    public double lossFromSimilarities(float[] s, int users, float scale, float[] dS, Parallel par) {
        check(users, 1);
        int n2 = Math.multiplyExact(users, users);
        UserArgs.length(OP, "S", s, n2);
        if (dS != null) UserArgs.length(OP, "dS", dS, n2);
        final float invTau = 1f / tau;
        final int b = users;
        double[] rowMax = new double[b], rowSum = new double[b], colMax = new double[b], colSum = new double[b];
        // With a gradient wanted, exp(x - rowMax) lands in dS and exp(x - colMax) in a table of its own, so that dS
        // needs no further exp; for the loss alone only the sums are kept.
        float[] rowExp = dS;
        float[] colExp = dS != null ? new float[n2] : null;
        UserChunks.run(par, b, ROWS_PER_CHUNK, (chunk, lo, hi) -> {
            for (int i = (int) lo; i < hi; i++) {
                int base = i * b;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < b; j++) max = Math.max(max, s[base + j] * invTau);
                double sum = 0;
                for (int j = 0; j < b; j++) {
                    float e = (float) StrictMath.exp(s[base + j] * invTau - max);
                    if (rowExp != null) rowExp[base + j] = e;
                    sum += e;
                }
                rowMax[i] = max;
                rowSum[i] = sum;
            }
        });
        UserChunks.run(par, b, ROWS_PER_CHUNK, (chunk, lo, hi) -> {
            int j0 = (int) lo, j1 = (int) hi;
            // Row by row over a block of columns: contiguous reads of a row-major S.
            float[] max = new float[j1 - j0];
            Arrays.fill(max, Float.NEGATIVE_INFINITY);
            for (int i = 0; i < b; i++) {
                int base = i * b + j0;
                for (int j = 0; j < max.length; j++) max[j] = Math.max(max[j], s[base + j] * invTau);
            }
            double[] sum = new double[j1 - j0];
            for (int i = 0; i < b; i++) {
                int base = i * b + j0;
                for (int j = 0; j < max.length; j++) {
                    float e = (float) StrictMath.exp(s[base + j] * invTau - max[j]);
                    if (colExp != null) colExp[base + j] = e;
                    sum[j] += e;
                }
            }
            for (int j = 0; j < max.length; j++) {
                colMax[j0 + j] = max[j];
                colSum[j0 + j] = sum[j];
            }
        });
        double total = 0;
        for (int i = 0; i < b; i++) {
            double diag = (double) (s[i * b + i] * invTau);
            total += (rowMax[i] + StrictMath.log(rowSum[i]) - diag) + (colMax[i] + StrictMath.log(colSum[i]) - diag);
        }
        double loss = total / (2.0 * b);
        if (dS != null) {
            float k = (float) (scale / (2.0 * b * tau));
            float[] colInv = new float[b];
            for (int j = 0; j < b; j++) colInv[j] = (float) (1.0 / colSum[j]);
            UserChunks.run(par, b, ROWS_PER_CHUNK, (chunk, lo, hi) -> {
                for (int i = (int) lo; i < hi; i++) {
                    int base = i * b;
                    float rInv = (float) (1.0 / rowSum[i]);
                    // softmax_ii - 1 as -(sum of the other terms) / sum, in double: when the positive dominates,
                    // 1 - softmax_ii is tiny and float subtraction from 1 would cancel its digits away.
                    // (Read before the row is overwritten: rowExp may be dS itself.)
                    double offRow = rowSum[i] - rowExp[base + i], offCol = colSum[i] - colExp[base + i];
                    for (int j = 0; j < b; j++) dS[base + j] = k * (rowExp[base + j] * rInv + colExp[base + j] * colInv[j]);
                    dS[base + i] = (float) (-k * (offRow / rowSum[i] + offCol / colSum[i]));
                }
            });
        }
        return loss;
    }

    private static void check(int users, int dim) {
        if (users < 2) throw new IllegalArgumentException(OP + ": needs at least 2 users (the other users are the negatives), got " + users);
        if (dim < 1) throw new IllegalArgumentException(OP + ": dim must be >= 1, got " + dim);
    }
}
