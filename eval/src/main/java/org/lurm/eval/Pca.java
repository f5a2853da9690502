package org.lurm.eval;

import java.util.SplittableRandom;

/**
 * Principal component projection of dense features (for the 2-D plot of users): the columns are centred, the
 * covariance formed in double, and its leading eigenvectors found by power iteration with deflation (a fixed
 * start, so the result is deterministic; each component's sign makes its largest-magnitude loading positive).
 *
 * <p><b>Thread-safety.</b> Stateless.
 */
public final class Pca {
    private Pca() {
    }

    /** Coordinates of every row on the leading {@code components} principal axes: result[c][row]. */
    public static double[][] project(Features x, int components) {
        int n = x.rows(), d = x.dim();
        double[] mean = new double[d];
        double[][] rows = new double[n][];
        for (int r = 0; r < n; r++) {
            float[] v = x.row(r);
            rows[r] = new double[d];
            for (int c = 0; c < d; c++) {
                rows[r][c] = v[c];
                mean[c] += v[c];
            }
        }
        for (int c = 0; c < d; c++) mean[c] /= Math.max(1, n);
        double[][] cov = new double[d][d];
        for (double[] row : rows) {
            for (int c = 0; c < d; c++) row[c] -= mean[c];
            for (int a = 0; a < d; a++) {
                double ra = row[a];
                if (ra == 0) continue;
                for (int b = 0; b < d; b++) cov[a][b] += ra * row[b];
            }
        }
        double[][] out = new double[components][n];
        SplittableRandom rnd = new SplittableRandom(12345);
        for (int k = 0; k < Math.min(components, d); k++) {
            double[] v = new double[d];
            for (int c = 0; c < d; c++) v[c] = rnd.nextGaussian();
            double lambda = 0;
            for (int it = 0; it < 500; it++) {
                double[] w = new double[d];
                for (int a = 0; a < d; a++) {
                    double s = 0;
                    for (int b = 0; b < d; b++) s += cov[a][b] * v[b];
                    w[a] = s;
                }
                double norm = 0;
                for (double q : w) norm += q * q;
                norm = Math.sqrt(norm);
                if (norm == 0) break;
                double change = 0;
                for (int a = 0; a < d; a++) {
                    double nv = w[a] / norm;
                    change += Math.abs(nv - v[a]);
                    v[a] = nv;
                }
                lambda = norm;
                if (change < 1e-10) break;
            }
            int arg = 0;
            for (int a = 1; a < d; a++) if (Math.abs(v[a]) > Math.abs(v[arg])) arg = a;
            if (v[arg] < 0) for (int a = 0; a < d; a++) v[a] = -v[a];
            for (int a = 0; a < d; a++) for (int b = 0; b < d; b++) cov[a][b] -= lambda * v[a] * v[b];
            for (int r = 0; r < n; r++) {
                double s = 0;
                for (int c = 0; c < d; c++) s += rows[r][c] * v[c];
                out[k][r] = s;
            }
        }
        return out;
    }
}
