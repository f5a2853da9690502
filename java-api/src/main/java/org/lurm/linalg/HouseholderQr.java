package org.lurm.linalg;

import org.lurm.backend.cpu.Parallel;

/**
 * Thin QR factorisation A = Q R of a tall matrix (m x n, m >= n) by Householder reflections in double
 * precision. Unlike Gram-Schmidt or Cholesky QR, the Q it returns has orthonormal columns to double precision
 * whatever the conditioning of A, including exactly rank-deficient and all-zero columns (a zero column gets the
 * identity reflector, and Q still has orthonormal columns): what the randomized SVD needs when the matrix has
 * lower rank than the number of dimensions requested.
 *
 * <p>Storage is column-major, {@code double[n][m]} (column j is {@code a[j]}), so the inner loops run over
 * contiguous memory. The factorisation works in place: on return the columns hold Q.
 *
 * <p>Cost 4·m·n² flops (2·m·n² to factor, 2·m·n² to form Q); the column updates of each step run in parallel,
 * column by column, so the result does not depend on the number of threads.
 *
 * <p><b>Thread-safety.</b> Stateless; each call works only on the arrays it is given.
 */
public final class HouseholderQr {
    /** Below this many multiply-adds per step a loop stays on the calling thread (fork cost dominates). */
    private static final long PARALLEL_WORK = 1L << 15;

    private HouseholderQr() {
    }

    /**
     * Overwrites the columns of A (m x n, {@code cols[j]} of length at least m) with the thin Q (m x n) and
     * returns R (n x n, upper triangular, row-major {@code r[i][j]}), so that A = Q R.
     *
     * @param par worker threads, or null for the calling thread only
     */
    public static double[][] factorInPlace(double[][] cols, int m, Parallel par) {
        int n = cols.length;
        if (m < n) throw new IllegalArgumentException("Householder thin QR needs rows >= columns, got " + m + " x " + n);
        for (int j = 0; j < n; j++) {
            if (cols[j].length < m) throw new IllegalArgumentException("column " + j + " has " + cols[j].length + " entries, needs " + m);
        }
        double[] tau = new double[n];
        double[][] r = new double[n][n];
        for (int j = 0; j < n; j++) {
            double[] x = cols[j];
            double alpha = x[j];
            double tail = 0;
            for (int i = j + 1; i < m; i++) tail += x[i] * x[i];
            if (tail == 0) {
                // Already upper triangular in this column (or zero): H = I.
                tau[j] = 0;
                r[j][j] = alpha;
            } else {
                double norm = Math.sqrt(alpha * alpha + tail);
                double beta = alpha >= 0 ? -norm : norm;
                tau[j] = (beta - alpha) / beta;
                double scale = 1.0 / (alpha - beta);
                for (int i = j + 1; i < m; i++) x[i] *= scale;
                x[j] = beta;
                r[j][j] = beta;
                applyReflector(cols, m, j, tau[j], j + 1, n, par);
            }
            for (int c = j + 1; c < n; c++) r[j][c] = cols[c][j];
        }
        // Form Q in place, last reflector first (LAPACK's dorg2r): Q = H_0 ... H_{n-1} [I; 0].
        for (int j = n - 1; j >= 0; j--) {
            double[] v = cols[j];
            if (j < n - 1) applyReflector(cols, m, j, tau[j], j + 1, n, par);
            double t = tau[j];
            for (int i = j + 1; i < m; i++) v[i] = -t * v[i];
            v[j] = 1 - t;
            for (int i = 0; i < j; i++) v[i] = 0;
        }
        return r;
    }

    /**
     * Applies H = I - tau v v^T (v = [1; cols[j][j+1..m)]) from the left to rows j..m of columns [from, to).
     * During forming Q the columns below are already transformed; rows above j are untouched either way.
     */
    private static void applyReflector(double[][] cols, int m, int j, double tau, int from, int to, Parallel par) {
        if (tau == 0 || from >= to) return;
        double[] v = cols[j];
        int count = to - from;
        long work = (long) (m - j) * count;
        if (par == null || par.threads() == 1 || work < PARALLEL_WORK) {
            for (int c = from; c < to; c++) reflectColumn(v, cols[c], j, m, tau);
            return;
        }
        long minChunk = Math.max(1, PARALLEL_WORK / Math.max(1, m - j));
        par.forRange(count, minChunk, (chunk, lo, hi) -> {
            for (long c = lo; c < hi; c++) reflectColumn(v, cols[from + (int) c], j, m, tau);
        });
    }

    private static void reflectColumn(double[] v, double[] y, int j, int m, double tau) {
        // Four partial sums: the loop-carried dependency of one accumulator would bound the dot by FP latency.
        double w0 = 0, w1 = 0, w2 = 0, w3 = 0;
        int i = j + 1;
        for (; i + 3 < m; i += 4) {
            w0 += v[i] * y[i];
            w1 += v[i + 1] * y[i + 1];
            w2 += v[i + 2] * y[i + 2];
            w3 += v[i + 3] * y[i + 3];
        }
        for (; i < m; i++) w0 += v[i] * y[i];
        double w = y[j] + ((w0 + w1) + (w2 + w3));
        w *= tau;
        if (w == 0) return;
        y[j] -= w;
        for (int r = j + 1; r < m; r++) y[r] -= w * v[r];
    }
}
