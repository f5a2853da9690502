package org.lurm.linalg;

import java.util.Random;
import org.lurm.memory.F32Array;

/**
 * Independent references for the linear-algebra tests: an exact SVD through the classic two-sided cyclic
 * Jacobi eigenvalue algorithm on A^T·A (a different method from the one-sided Jacobi under test), all in double,
 * plus small dense helpers. Slow (O(n^3) per sweep) and only for small matrices.
 */
final class DenseReference {
    private DenseReference() {
    }

    /** Eigen-decomposition of a symmetric matrix: values descending, vectors as columns of vec[i][j]. */
    record Eigen(double[] values, double[][] vectors) {
    }

    static Eigen symmetricEigen(double[][] sym) {
        int n = sym.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) a[i] = sym[i].clone();
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) v[i][i] = 1;
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0, total = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
                total += a[i][j] * a[i][j];
                if (i != j) off += a[i][j] * a[i][j];
            }
            if (off <= 1e-30 * total || off == 0) break;
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (a[p][q] == 0) continue;
                    double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t = Math.signum(theta) == 0 ? 1 : Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    double c = 1 / Math.sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++) { // A = A J
                        double akp = a[k][p], akq = a[k][q];
                        a[k][p] = c * akp - s * akq;
                        a[k][q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) { // A = J^T A
                        double apk = a[p][k], aqk = a[q][k];
                        a[p][k] = c * apk - s * aqk;
                        a[q][k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = v[k][p], vkq = v[k][q];
                        v[k][p] = c * vkp - s * vkq;
                        v[k][q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, (x, y) -> Double.compare(a[y][y], a[x][x]));
        double[] vals = new double[n];
        double[][] vecs = new double[n][n];
        for (int jj = 0; jj < n; jj++) {
            vals[jj] = a[order[jj]][order[jj]];
            for (int i = 0; i < n; i++) vecs[i][jj] = v[i][order[jj]];
        }
        return new Eigen(vals, vecs);
    }

    /** Exact SVD reference: singular values descending and the left singular vectors u[i][j] (m x n). */
    record Svd(double[] s, double[][] u, double[][] v) {
    }

    static Svd svd(double[][] a) {
        int m = a.length, n = a[0].length;
        double[][] ata = new double[n][n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
            double s = 0;
            for (int r = 0; r < m; r++) s += a[r][i] * a[r][j];
            ata[i][j] = s;
        }
        Eigen e = symmetricEigen(ata);
        double[] s = new double[n];
        double[][] u = new double[m][n];
        for (int j = 0; j < n; j++) {
            s[j] = Math.sqrt(Math.max(0, e.values()[j]));
            if (s[j] == 0) continue;
            for (int i = 0; i < m; i++) {
                double x = 0;
                for (int c = 0; c < n; c++) x += a[i][c] * e.vectors()[c][j];
                u[i][j] = x / s[j];
            }
        }
        return new Svd(s, u, e.vectors());
    }

    /** A random m x n matrix with the given singular values (random orthonormal factors) plus N(0, noise²) entries. */
    static double[][] lowRankPlusNoise(Random rnd, int m, int n, double[] sv, double noise) {
        double[][] u = randomOrthonormal(rnd, m, sv.length);
        double[][] v = randomOrthonormal(rnd, n, sv.length);
        double[][] a = new double[m][n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
            double x = 0;
            for (int c = 0; c < sv.length; c++) x += u[i][c] * sv[c] * v[j][c];
            a[i][j] = x + noise * rnd.nextGaussian();
        }
        return a;
    }

    /** m x k with orthonormal columns (modified Gram-Schmidt twice on Gaussian columns). */
    static double[][] randomOrthonormal(Random rnd, int m, int k) {
        double[][] q = new double[m][k];
        for (int i = 0; i < m; i++) for (int j = 0; j < k; j++) q[i][j] = rnd.nextGaussian();
        for (int pass = 0; pass < 2; pass++) {
            for (int j = 0; j < k; j++) {
                for (int p = 0; p < j; p++) {
                    double d = 0;
                    for (int i = 0; i < m; i++) d += q[i][p] * q[i][j];
                    for (int i = 0; i < m; i++) q[i][j] -= d * q[i][p];
                }
                double nrm = 0;
                for (int i = 0; i < m; i++) nrm += q[i][j] * q[i][j];
                nrm = Math.sqrt(nrm);
                for (int i = 0; i < m; i++) q[i][j] /= nrm;
            }
        }
        return q;
    }

    static float[] toFloatRowMajor(double[][] a) {
        int m = a.length, n = a[0].length;
        float[] f = new float[m * n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) f[i * n + j] = (float) a[i][j];
        return f;
    }

    static double[][] fromFloat(float[] f, int m, int n) {
        double[][] a = new double[m][n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) a[i][j] = f[i * n + j];
        return a;
    }

    /** Columns [0, k) of a row-major rows x width F32Array, as double[rows][k]. */
    static double[][] columns(F32Array a, int rows, int width, int k) {
        double[][] out = new double[rows][k];
        for (int i = 0; i < rows; i++) for (int j = 0; j < k; j++) out[i][j] = a.get((long) i * width + j);
        return out;
    }

    /** Frobenius norm of P_a - P_b for the projectors onto the column spans of a and b (orthonormal, m x k). */
    static double projectorDistance(double[][] a, double[][] b, int k) {
        int m = a.length;
        // ||P_a - P_b||_F^2 = 2k - 2 ||a^T b||_F^2 for orthonormal a, b.
        double cross = 0;
        for (int p = 0; p < k; p++) for (int q = 0; q < k; q++) {
            double d = 0;
            for (int i = 0; i < m; i++) d += a[i][p] * b[i][q];
            cross += d * d;
        }
        return Math.sqrt(Math.max(0, 2.0 * k - 2 * cross));
    }

    static double frobenius(double[][] a) {
        double s = 0;
        for (double[] row : a) for (double x : row) s += x * x;
        return Math.sqrt(s);
    }
}
