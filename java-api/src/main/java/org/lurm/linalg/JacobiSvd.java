package org.lurm.linalg;

/**
 * Singular value decomposition of a small dense matrix in double precision by one-sided (Hestenes) Jacobi
 * rotations: the columns of A are rotated pairwise until they are mutually orthogonal, A·V = U·Σ. It is the
 * small dense step of the randomized SVD (an l x l matrix, l = dims + oversampling) and is accurate to double
 * precision in the singular values relative to the largest one (up to 1e-13·||A||_F, below which a column
 * counts as zero).
 *
 * <p>Cost about 2·m·n² flops per sweep; typically 6-10 sweeps.
 *
 * <p><b>Thread-safety.</b> Stateless; the input is not modified.
 */
public final class JacobiSvd {
    private static final int MAX_SWEEPS = 100;
    private static final double EPS = 1e-15;
    /** Relative column norm (to the Frobenius norm of A) below which a column is treated as zero. */
    private static final double NEGLIGIBLE = 1e-13;

    private JacobiSvd() {
    }

    /**
     * A = u · diag(s) · v^T.
     *
     * @param u      m x n row-major ({@code u[i][j]}); column j is the j-th left singular vector, or zero when
     *               s[j] is 0
     * @param s      n singular values, descending, non-negative
     * @param v      n x n row-major, orthogonal; column j is the j-th right singular vector
     * @param sweeps sweeps the rotations needed
     */
    public record Result(double[][] u, double[] s, double[][] v, int sweeps) {
    }

    /** SVD of the m x n matrix given as {@code a[i][j]} (rows of equal length n). */
    public static Result decompose(double[][] a) {
        int m = a.length;
        int n = m == 0 ? 0 : a[0].length;
        double[][] col = new double[n][m];
        for (int i = 0; i < m; i++) {
            if (a[i].length != n) throw new IllegalArgumentException("row " + i + " has " + a[i].length + " entries, row 0 has " + n);
            for (int j = 0; j < n; j++) {
                double x = a[i][j];
                if (!Double.isFinite(x)) throw new IllegalArgumentException("matrix entry (" + i + ", " + j + ") is not finite: " + x);
                col[j][i] = x;
            }
        }
        double[][] vc = new double[n][n];
        for (int j = 0; j < n; j++) vc[j][j] = 1;
        double frob2 = 0;
        for (double[] c : col) for (double x : c) frob2 += x * x;
        // Columns this small are rounding noise of a rank-deficient matrix: rotating them against each other
        // never converges by the relative test and cannot change any singular value that double can resolve.
        double negligible = frob2 * NEGLIGIBLE * NEGLIGIBLE;

        int sweeps = 0;
        boolean rotated = true;
        while (rotated) {
            if (sweeps == MAX_SWEEPS) throw new ArithmeticException("Jacobi SVD did not converge in " + MAX_SWEEPS + " sweeps (" + m + " x " + n + ")");
            sweeps++;
            rotated = false;
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    double[] ap = col[p], aq = col[q];
                    double alpha = 0, beta = 0, gamma = 0;
                    for (int i = 0; i < m; i++) {
                        alpha += ap[i] * ap[i];
                        beta += aq[i] * aq[i];
                        gamma += ap[i] * aq[i];
                    }
                    if (gamma == 0 || Math.abs(gamma) <= EPS * Math.sqrt(alpha * beta)) continue;
                    if (alpha <= negligible || beta <= negligible) continue;
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    // t = tan of the rotation angle, the smaller root: keeps the rotation close to the identity.
                    double t = Math.abs(zeta) > 1e150
                            ? 1 / (2 * zeta)
                            : (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
                    double c = 1 / Math.sqrt(1 + t * t);
                    double s = c * t;
                    rotate(ap, aq, m, c, s);
                    rotate(vc[p], vc[q], n, c, s);
                }
            }
        }

        double[] norm = new double[n];
        for (int j = 0; j < n; j++) {
            double ss = 0;
            for (int i = 0; i < m; i++) ss += col[j][i] * col[j][i];
            norm[j] = Math.sqrt(ss);
        }
        // Order columns by singular value, descending (stable: ties keep column order).
        Integer[] order = new Integer[n];
        for (int j = 0; j < n; j++) order[j] = j;
        java.util.Arrays.sort(order, (x, y) -> Double.compare(norm[y], norm[x]));

        double[][] u = new double[m][n];
        double[] s = new double[n];
        double[][] v = new double[n][n];
        for (int jj = 0; jj < n; jj++) {
            int j = order[jj];
            s[jj] = norm[j];
            if (norm[j] > 0) for (int i = 0; i < m; i++) u[i][jj] = col[j][i] / norm[j];
            for (int i = 0; i < n; i++) v[i][jj] = vc[j][i];
        }
        return new Result(u, s, v, sweeps);
    }

    private static void rotate(double[] x, double[] y, int len, double c, double s) {
        for (int i = 0; i < len; i++) {
            double xi = x[i], yi = y[i];
            x[i] = c * xi - s * yi;
            y[i] = s * xi + c * yi;
        }
    }
}
