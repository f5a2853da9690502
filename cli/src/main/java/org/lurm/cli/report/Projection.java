package org.lurm.cli.report;

import java.util.SplittableRandom;
import org.lurm.eval.EvaluationReport;

/**
 * Two-dimensional PCA of user vectors for the report's scatter plot: the covariance of the (centred) rows,
 * its top two eigenvectors by power iteration with deflation, and each row's coordinates on them. Stateless.
 */
public final class Projection {
    private Projection() {
    }

    /**
     * @param values  rows x dim, row-major
     * @param classes the label of each row (null: no label)
     */
    public static EvaluationReport.UserProjection pca(String method, String label, float[] values, int rows, int dim, String[] classes) {
        double[] mean = new double[dim];
        for (int r = 0; r < rows; r++) for (int j = 0; j < dim; j++) mean[j] += values[r * dim + j];
        for (int j = 0; j < dim; j++) mean[j] /= Math.max(1, rows);
        double[][] cov = new double[dim][dim];
        double[] x = new double[dim];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < dim; j++) x[j] = values[r * dim + j] - mean[j];
            for (int a = 0; a < dim; a++) {
                if (x[a] == 0) continue;
                for (int b = a; b < dim; b++) cov[a][b] += x[a] * x[b];
            }
        }
        for (int a = 0; a < dim; a++) for (int b = 0; b < a; b++) cov[a][b] = cov[b][a];
        double[] v1 = topEigenvector(cov, 1);
        double l1 = rayleigh(cov, v1);
        for (int a = 0; a < dim; a++) for (int b = 0; b < dim; b++) cov[a][b] -= l1 * v1[a] * v1[b];
        double[] v2 = topEigenvector(cov, 2);
        float[] px = new float[rows], py = new float[rows];
        for (int r = 0; r < rows; r++) {
            double s1 = 0, s2 = 0;
            for (int j = 0; j < dim; j++) {
                double d = values[r * dim + j] - mean[j];
                s1 += d * v1[j];
                s2 += d * v2[j];
            }
            px[r] = (float) s1;
            py[r] = (float) s2;
        }
        return new EvaluationReport.UserProjection(method, label, px, py, classes.clone());
    }

    static double[] topEigenvector(double[][] m, long seed) {
        int n = m.length;
        double[] v = new double[n];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) v[i] = rnd.nextDouble() - 0.5;
        normalize(v);
        double[] w = new double[n];
        for (int it = 0; it < 500; it++) {
            for (int a = 0; a < n; a++) {
                double s = 0;
                for (int b = 0; b < n; b++) s += m[a][b] * v[b];
                w[a] = s;
            }
            if (normalize(w) == 0) return v;
            double diff = 0;
            for (int a = 0; a < n; a++) diff = Math.max(diff, Math.abs(w[a] - v[a]));
            System.arraycopy(w, 0, v, 0, n);
            if (diff < 1e-10) break;
        }
        return v;
    }

    static double rayleigh(double[][] m, double[] v) {
        double s = 0;
        for (int a = 0; a < m.length; a++) for (int b = 0; b < m.length; b++) s += v[a] * m[a][b] * v[b];
        return s;
    }

    private static double normalize(double[] v) {
        double n = 0;
        for (double d : v) n += d * d;
        n = Math.sqrt(n);
        if (n == 0) return 0;
        for (int i = 0; i < v.length; i++) v[i] /= n;
        return n;
    }
}
