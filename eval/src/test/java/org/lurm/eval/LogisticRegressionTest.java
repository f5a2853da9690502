package org.lurm.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.testing.TestData;

/**
 * The batched L-BFGS logistic regression against a naive double-precision Newton solver (brute force: the
 * exact optimum of the same objective), on dense and sparse inputs, for many problems at once, on products
 * small enough for the in-thread loops and large enough for the backend.
 */
class LogisticRegressionTest {
    /** Newton's method on (1/n) Σ loss + λ/2 ||w||² in double, Gaussian elimination for the step. */
    static double[] newton(float[] x, int n, int d, boolean[] y, double lambda) {
        int D = d + 1;
        double[] w = new double[D];
        for (int it = 0; it < 100; it++) {
            double[] g = new double[D];
            double[][] h = new double[D][D];
            for (int i = 0; i < n; i++) {
                double z = w[d];
                for (int j = 0; j < d; j++) z += x[i * d + j] * w[j];
                double p = LogisticRegression.sigmoid(z), r = (p - (y[i] ? 1 : 0)) / n, s = p * (1 - p) / n;
                for (int a = 0; a < D; a++) {
                    double xa = a == d ? 1 : x[i * d + a];
                    g[a] += r * xa;
                    for (int b = 0; b < D; b++) h[a][b] += s * xa * (b == d ? 1 : x[i * d + b]);
                }
            }
            for (int j = 0; j < d; j++) {
                g[j] += lambda * w[j];
                h[j][j] += lambda;
            }
            double[] step = solve(h, g);
            double norm = 0;
            for (int a = 0; a < D; a++) {
                w[a] -= step[a];
                norm = Math.max(norm, Math.abs(step[a]));
            }
            if (norm < 1e-13) break;
        }
        return w;
    }

    static double[] solve(double[][] a, double[] b) {
        int n = b.length;
        double[][] m = new double[n][];
        for (int i = 0; i < n; i++) {
            m[i] = java.util.Arrays.copyOf(a[i], n + 1);
            m[i][n] = b[i];
        }
        for (int c = 0; c < n; c++) {
            int piv = c;
            for (int r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) piv = r;
            double[] t = m[c];
            m[c] = m[piv];
            m[piv] = t;
            for (int r = c + 1; r < n; r++) {
                double f = m[r][c] / m[c][c];
                for (int k = c; k <= n; k++) m[r][k] -= f * m[c][k];
            }
        }
        double[] x = new double[n];
        for (int r = n - 1; r >= 0; r--) {
            double s = m[r][n];
            for (int k = r + 1; k < n; k++) s -= m[r][k] * x[k];
            x[r] = s / m[r][r];
        }
        return x;
    }

    @Test
    void matchesNewtonOnDenseAndSparseForManyProblemsAtOnce() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("LogisticRegressionTest"));
        try (Backend backend = Backends.create()) {
            for (int[] shape : new int[][] {{200, 6, 5}, {1500, 40, 80}}) { // the second goes through the backend's products
                int n = shape[0], d = shape[1], P = shape[2];
                float[] x = new float[n * d];
                for (int i = 0; i < x.length; i++) x[i] = rnd.nextDouble() < 0.5 ? 0f : (float) rnd.nextGaussian();
                boolean[][] y = new boolean[P][n];
                double[] lambda = new double[P];
                for (int p = 0; p < P; p++) {
                    double[] w = new double[d];
                    for (int j = 0; j < d; j++) w[j] = rnd.nextGaussian() * 0.7;
                    for (int i = 0; i < n; i++) {
                        double z = -0.5;
                        for (int j = 0; j < d; j++) z += w[j] * x[i * d + j];
                        y[p][i] = rnd.nextDouble() < LogisticRegression.sigmoid(z);
                    }
                    lambda[p] = Math.pow(10, -3 + 2 * rnd.nextDouble());
                }
                Features dense = Features.dense("dense", x, n, d);
                Features sparse = dense.toSparse("sparse");
                assertTrue((long) n * d * P >= Features.BACKEND_MIN_WORK || n < 1000);
                var opt = LogisticRegression.Options.defaults().withMaxIterations(1000).withTolerance(1e-8);
                for (Features f : new Features[] {dense, sparse}) {
                    LogisticRegression.Model m = LogisticRegression.fit(f, y, lambda, opt, backend);
                    for (int p = 0; p < P; p += Math.max(1, P / 7)) {
                        double[] ref = newton(x, n, d, y[p], lambda[p]);
                        double scale = 0;
                        for (double v : ref) scale = Math.max(scale, Math.abs(v));
                        for (int j = 0; j < d; j++) assertEquals(ref[j], m.weights()[p * d + j], 1e-3 * Math.max(1, scale), f.name() + " problem " + p + " w" + j);
                        assertEquals(ref[d], m.intercepts()[p], 1e-3 * Math.max(1, scale), f.name() + " problem " + p + " intercept");
                    }
                }
            }
        }
    }

    @Test
    void whitenedProblemHasTheSameOptimumOnCollinearFeatures() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("LogisticRegressionTest.whitening"));
        try (Backend backend = Backends.create()) {
            int n = 400, d = 30, base = 8;
            float[] x = new float[n * d];
            for (int i = 0; i < n; i++) {
                double[] z = new double[base];
                for (int b = 0; b < base; b++) z[b] = rnd.nextGaussian();
                for (int j = 0; j < d; j++) x[i * d + j] = (float) (z[j % base] * (1 + 0.1 * j) + 0.01 * rnd.nextGaussian() + (j < 4 ? 3 : 0)); // collinear, off-centre
            }
            boolean[][] y = new boolean[3][n];
            for (int i = 0; i < n; i++) {
                y[0][i] = x[i * d] + x[i * d + 1] > 6 + rnd.nextGaussian();
                y[1][i] = rnd.nextBoolean();
                y[2][i] = x[i * d + 5] > rnd.nextGaussian();
            }
            double[] lambda = {1e-4, 1e-2, 1};
            Features f = Features.dense("collinear", x, n, d);
            Features std = f.standardized(f.columnMoments());
            Whitening wh = Whitening.fit(std);
            Features w = wh.apply(std);
            var opt = LogisticRegression.Options.defaults().withMaxIterations(3000).withTolerance(1e-9);
            var plain = LogisticRegression.fit(std, y, lambda, opt, backend);
            var white = LogisticRegression.fit(w, y, lambda, wh.penaltyWeights(), opt, backend);
            double[] dp = plain.decision(std, backend), dw = white.decision(w, backend);
            for (int p = 0; p < 3; p++) {
                double[] back = wh.unwhiten(white.weights(p));
                double[] ref = plain.weights(p);
                double scale = 0;
                for (double v : ref) scale = Math.max(scale, Math.abs(v));
                // at lambda 1e-4 the collinear directions leave the weights ill-determined (flat objective): compare
                // the classifier and the optimum there, the weights where the penalty pins them down
                if (lambda[p] >= 1e-2) for (int j = 0; j < d; j++) assertEquals(ref[j], back[j], 2e-2 * Math.max(1, scale), "problem " + p + " weight " + j);
                for (int i = 0; i < n; i++) assertEquals(LogisticRegression.sigmoid(dp[i * 3 + p]), LogisticRegression.sigmoid(dw[i * 3 + p]), 2e-3);
                assertEquals(plain.objective()[p], white.objective()[p], 1e-5 * Math.max(1, Math.abs(plain.objective()[p])), "same optimum value");
            }
        }
    }

    @Test
    void separableDataStaysFiniteAndRanksPerfectly() {
        try (Backend backend = Backends.create()) {
            int n = 100;
            float[] x = new float[n];
            boolean[] y = new boolean[n];
            for (int i = 0; i < n; i++) {
                x[i] = i - 49.5f;
                y[i] = i >= 50;
            }
            Features f = Features.dense("sep", x, n, 1);
            var m = LogisticRegression.fit(f, new boolean[][] {y}, new double[] {1e-6}, LogisticRegression.Options.defaults(), backend);
            double[] dec = m.decision(f, backend);
            for (double v : dec) assertTrue(Double.isFinite(v));
            assertEquals(1.0, Metrics.rocAuc(y, dec), 0);
            assertTrue(m.weights()[0] > 0);
        }
    }
}
