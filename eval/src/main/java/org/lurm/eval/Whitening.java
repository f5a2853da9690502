package org.lurm.eval;

import org.lurm.linalg.JacobiSvd;

/**
 * An exact reparametrisation that makes the logistic probe on dense features fast to solve: with
 * {@code X^T X / n = V Λ V^T} on the training rows, the design becomes {@code X' = X V Λ^{-1/2}} (uncorrelated
 * unit-variance columns; directions with Λ below 1e-10 of the largest are dropped, since the L2 penalty keeps
 * weights there at exactly zero) and the penalty {@code λ ||w||²} becomes {@code λ Σ_j v_j² / Λ_j}. The
 * optimum is the same classifier ({@code w = V Λ^{-1/2} v}); only L-BFGS's conditioning changes: collinear
 * representation dimensions no longer slow it down, and its diagonal initial Hessian absorbs the per-direction
 * penalty (see {@link LogisticRegression#fit(Features, boolean[][], double[], double[], LogisticRegression.Options, org.lurm.backend.Backend)}).
 *
 * <p><b>Thread-safety.</b> Immutable.
 */
public final class Whitening {
    private final int dim;
    private final int rank;
    private final double[] map;      // dim x rank: V Λ^{-1/2}
    private final double[] penalty;  // rank: 1 / Λ_j

    private Whitening(int dim, int rank, double[] map, double[] penalty) {
        this.dim = dim;
        this.rank = rank;
        this.map = map;
        this.penalty = penalty;
    }

    /** Fits the whitening on dense (already standardised, or at least centred) rows. */
    public static Whitening fit(Features x) {
        if (x.isSparse()) throw new IllegalArgumentException("whitening is for dense features");
        int n = x.rows(), d = x.dim();
        double[][] g = new double[d][d];
        for (int r = 0; r < n; r++) {
            float[] row = x.row(r);
            for (int a = 0; a < d; a++) {
                double ra = row[a];
                if (ra == 0) continue;
                for (int b = a; b < d; b++) g[a][b] += ra * row[b];
            }
        }
        for (int a = 0; a < d; a++) {
            for (int b = a; b < d; b++) {
                g[a][b] /= Math.max(1, n);
                g[b][a] = g[a][b];
            }
        }
        JacobiSvd.Result svd = JacobiSvd.decompose(g);
        double[] s = svd.s();
        double top = s.length == 0 ? 0 : s[0];
        int rank = 0;
        while (rank < s.length && s[rank] > 1e-10 * top && s[rank] > 0) rank++;
        if (rank == 0) rank = 1; // all-zero design: keep one (null) direction so shapes stay valid
        double[] map = new double[d * rank], pen = new double[rank];
        for (int j = 0; j < rank; j++) {
            double lam = s[j] > 0 ? s[j] : 1;
            double inv = 1 / Math.sqrt(lam);
            pen[j] = 1 / lam;
            for (int a = 0; a < d; a++) map[a * rank + j] = svd.v()[a][j] * inv;
        }
        return new Whitening(d, rank, map, pen);
    }

    /** Directions kept. */
    public int rank() {
        return rank;
    }

    /** Per-direction penalty weights 1/Λ_j (a copy). */
    public double[] penaltyWeights() {
        return penalty.clone();
    }

    /** X · V Λ^{-1/2} (rows x rank). */
    public Features apply(Features x) {
        if (x.dim() != dim) throw new IllegalArgumentException("features have " + x.dim() + " columns, whitening " + dim);
        int n = x.rows();
        float[] out = new float[n * rank];
        double[] acc = new double[rank];
        for (int r = 0; r < n; r++) {
            float[] row = x.row(r);
            java.util.Arrays.fill(acc, 0);
            for (int a = 0; a < dim; a++) {
                double v = row[a];
                if (v == 0) continue;
                int o = a * rank;
                for (int j = 0; j < rank; j++) acc[j] += v * map[o + j];
            }
            for (int j = 0; j < rank; j++) out[r * rank + j] = (float) acc[j];
        }
        return Features.dense(x.name(), out, n, rank);
    }

    /** Weights in the original coordinates, w = V Λ^{-1/2} v, of whitened weights v (rank entries). */
    public double[] unwhiten(double[] v) {
        double[] w = new double[dim];
        for (int a = 0; a < dim; a++) for (int j = 0; j < rank; j++) w[a] += map[a * rank + j] * v[j];
        return w;
    }
}
