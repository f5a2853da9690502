package org.lurm.eval;

import java.util.Arrays;
import java.util.Objects;
import org.lurm.backend.Backend;

/**
 * L2-regularised binary logistic regression, many problems over the same design matrix at once.
 *
 * <p>Problem p minimises {@code (1/n) Σ_i log(1 + exp(-s_i z_i)) + (λ_p / 2) ||w_p||²} with
 * {@code z = X w_p + b_p} (the intercept is not penalised). In scikit-learn's convention
 * ({@code 0.5 ||w||² + C Σ loss}) this is {@code C = 1 / (λ n)}.
 *
 * <p><b>Solver.</b> L-BFGS (10 pairs, Armijo backtracking) run for all problems in lock step: each round
 * evaluates every still-active problem's trial point with one product X·W and one X^T·R on the
 * {@link Backend} (gemm for dense, csrMultiply for sparse features), so the one-vs-rest classes of a task and
 * every value of the regularisation grid cost two matrix products per round, not two per problem. Products
 * run in float32; the objective, gradients and the L-BFGS algebra in double. A problem stops when the largest
 * gradient entry is below {@link Options#tolerance}, when the objective no longer decreases, or after
 * {@link Options#maxIterations} accepted steps.
 *
 * <p><b>Thread-safety.</b> Stateless; concurrent fits are independent (the backend is thread-safe).
 */
public final class LogisticRegression {
    /**
     * @param maxIterations accepted L-BFGS steps per problem (200)
     * @param tolerance     stop when max |gradient entry| is below this (1e-5; the objective is a mean over rows)
     * @param history       L-BFGS correction pairs (10)
     */
    public record Options(int maxIterations, double tolerance, int history) {
        public Options {
            if (maxIterations < 1 || history < 1 || !(tolerance > 0)) throw new IllegalArgumentException("invalid logistic regression options");
        }

        public static Options defaults() {
            return new Options(200, 1e-5, 10);
        }

        public Options withMaxIterations(int m) {
            return new Options(m, tolerance, history);
        }

        public Options withTolerance(double t) {
            return new Options(maxIterations, t, history);
        }
    }

    /**
     * Fitted problems: weights (problems x dim, row-major) and intercepts.
     *
     * @param iterations accepted L-BFGS steps per problem
     * @param objective  final objective per problem
     * @param rounds     lock-step rounds (one X·W and one X^T·R each) the fit took
     */
    public record Model(int dim, int problems, double[] weights, double[] intercepts, int[] iterations, double[] objective, int rounds) {
        /** Weights of problem p (a copy). */
        public double[] weights(int p) {
            return Arrays.copyOfRange(weights, p * dim, (p + 1) * dim);
        }

        /** Decision values X·w_p + b_p, rows x problems, row-major. */
        public double[] decision(Features x, Backend backend) {
            if (x.dim() != dim) throw new IllegalArgumentException("features have " + x.dim() + " columns, model " + dim);
            int n = x.rows();
            float[] w = new float[dim * problems];
            for (int p = 0; p < problems; p++) for (int j = 0; j < dim; j++) w[j * problems + p] = (float) weights[p * dim + j];
            float[] z = new float[n * problems];
            x.multiply(backend, w, problems, z);
            double[] out = new double[n * problems];
            for (int i = 0; i < n; i++) for (int p = 0; p < problems; p++) out[i * problems + p] = z[i * problems + p] + intercepts[p];
            return out;
        }
    }

    private LogisticRegression() {
    }

    /**
     * Fits one problem per target column.
     *
     * @param x       design (rows x dim)
     * @param targets targets[p][i]: whether row i is positive in problem p
     * @param lambda  regularisation per problem (>= 0)
     */
    public static Model fit(Features x, boolean[][] targets, double[] lambda, Options options, Backend backend) {
        return fit(x, targets, lambda, null, options, backend);
    }

    /**
     * As {@link #fit(Features, boolean[][], double[], Options, Backend)} with a generalised penalty
     * {@code (λ_p / 2) Σ_j c_j w_j²} ({@code c} null: all 1), as a {@link Whitening} produces. L-BFGS then starts
     * each step from the diagonal Hessian guess {@code 1 / (κ + λ_p c_j)} (κ: the curvature seen along the last
     * step, 0.25 before the first), so strongly penalised directions do not dominate its conditioning.
     */
    public static Model fit(Features x, boolean[][] targets, double[] lambda, double[] c, Options options, Backend backend) {
        Objects.requireNonNull(backend, "backend");
        if (c != null && c.length != x.dim()) throw new IllegalArgumentException("need one penalty weight per column");
        int n = x.rows(), d = x.dim(), P = targets.length;
        if (lambda.length != P) throw new IllegalArgumentException("need one lambda per problem: " + P + " problems, " + lambda.length + " lambdas");
        for (boolean[] t : targets) if (t.length != n) throw new IllegalArgumentException("targets must have one entry per row (" + n + ")");
        for (double l : lambda) if (!(l >= 0) || Double.isInfinite(l)) throw new IllegalArgumentException("lambda must be finite and >= 0, got " + l);
        if (n == 0) throw new IllegalArgumentException("cannot fit on zero rows");
        int D = d + 1, m = options.history();
        double[][] w = new double[P][D], g = new double[P][D], dir = new double[P][D], trial = new double[P][D];
        double[][] gTrial = new double[P][D];
        double[] f = new double[P], fTrial = new double[P], t = new double[P], gd = new double[P];
        double[][][] S = new double[P][m][], Y = new double[P][m][];
        double[][] rho = new double[P][m];
        int[] stored = new int[P], head = new int[P], iters = new int[P];
        boolean[] done = new boolean[P];
        int[] all = new int[P];
        for (int p = 0; p < P; p++) all[p] = p;
        evaluate(x, targets, lambda, c, w, all, P, f, g, backend);
        for (int p = 0; p < P; p++) {
            if (maxAbs(g[p]) <= options.tolerance()) {
                done[p] = true;
                continue;
            }
            diagonalStep(g[p], lambda[p], c, 0.25, dir[p]);
            gd[p] = dot(g[p], dir[p]);
            t[p] = 1.0;
        }
        int[] active = new int[P];
        int rounds = 0, maxRounds = options.maxIterations() * 4;
        while (rounds++ < maxRounds) {
            int na = 0;
            for (int p = 0; p < P; p++) if (!done[p]) active[na++] = p;
            if (na == 0) break;
            for (int q = 0; q < na; q++) {
                int p = active[q];
                for (int j = 0; j < D; j++) trial[p][j] = w[p][j] + t[p] * dir[p][j];
            }
            evaluate(x, targets, lambda, c, trial, active, na, fTrial, gTrial, backend);
            for (int q = 0; q < na; q++) {
                int p = active[q];
                boolean accept = Double.isFinite(fTrial[p]) && fTrial[p] <= f[p] + 1e-4 * t[p] * gd[p];
                if (!accept) {
                    t[p] *= 0.5;
                    if (t[p] < 1e-14) done[p] = true; // no descent left at float32 resolution
                    continue;
                }
                double[] s = new double[D], y = new double[D];
                for (int j = 0; j < D; j++) {
                    s[j] = trial[p][j] - w[p][j];
                    y[j] = gTrial[p][j] - g[p][j];
                }
                double sy = dot(s, y);
                if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
                    int slot = head[p];
                    S[p][slot] = s;
                    Y[p][slot] = y;
                    rho[p][slot] = 1.0 / sy;
                    head[p] = (slot + 1) % m;
                    stored[p] = Math.min(m, stored[p] + 1);
                }
                double fOld = f[p];
                System.arraycopy(trial[p], 0, w[p], 0, D);
                System.arraycopy(gTrial[p], 0, g[p], 0, D);
                f[p] = fTrial[p];
                iters[p]++;
                if (maxAbs(g[p]) <= options.tolerance() || iters[p] >= options.maxIterations()
                        || fOld - f[p] <= 1e-13 * Math.max(1.0, Math.abs(f[p]))) {
                    done[p] = true;
                    continue;
                }
                twoLoop(g[p], S[p], Y[p], rho[p], stored[p], head[p], m, lambda[p], c, dir[p]);
                gd[p] = dot(g[p], dir[p]);
                if (!(gd[p] < 0)) { // not a descent direction: restart from steepest descent
                    stored[p] = 0;
                    diagonalStep(g[p], lambda[p], c, 0.25, dir[p]);
                    gd[p] = dot(g[p], dir[p]);
                }
                t[p] = 1.0;
            }
        }
        double[] weights = new double[P * d], b = new double[P];
        for (int p = 0; p < P; p++) {
            System.arraycopy(w[p], 0, weights, p * d, d);
            b[p] = w[p][d];
        }
        return new Model(d, P, weights, b, iters, f, rounds);
    }

    /** Objective and gradient of problems active[0..na) at points pts[p]. */
    private static void evaluate(Features x, boolean[][] targets, double[] lambda, double[] cw, double[][] pts, int[] active, int na,
                                 double[] fOut, double[][] gOut, Backend backend) {
        int n = x.rows(), d = x.dim();
        float[] W = new float[d * na];
        for (int q = 0; q < na; q++) {
            double[] pt = pts[active[q]];
            for (int j = 0; j < d; j++) W[j * na + q] = (float) pt[j];
        }
        float[] Z = new float[n * na];
        x.multiply(backend, W, na, Z);
        float[] R = new float[n * na];
        double[] loss = new double[na], gb = new double[na];
        double invN = 1.0 / n;
        for (int i = 0; i < n; i++) {
            for (int q = 0; q < na; q++) {
                int p = active[q];
                double z = Z[i * na + q] + pts[p][d];
                boolean y = targets[p][i];
                // log(1 + e^z) - y z, stably
                double sp = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
                loss[q] += sp - (y ? z : 0);
                double sig = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
                double r = (sig - (y ? 1 : 0)) * invN;
                R[i * na + q] = (float) r;
                gb[q] += r;
            }
        }
        float[] G = new float[d * na];
        x.multiplyTranspose(backend, R, na, G);
        for (int q = 0; q < na; q++) {
            int p = active[q];
            double[] pt = pts[p];
            double reg = 0;
            for (int j = 0; j < d; j++) {
                double cj = cw == null ? 1 : cw[j];
                reg += cj * pt[j] * pt[j];
                gOut[p][j] = G[j * na + q] + lambda[p] * cj * pt[j];
            }
            gOut[p][d] = gb[q];
            fOut[p] = loss[q] * invN + 0.5 * lambda[p] * reg;
        }
    }

    /** out = -H0 g with the diagonal guess H0_j = 1 / (κ + λ c_j) (the intercept: 1 / κ). */
    private static void diagonalStep(double[] g, double lambda, double[] c, double kappa, double[] out) {
        int d = g.length - 1;
        for (int j = 0; j < d; j++) out[j] = -g[j] / (kappa + lambda * (c == null ? 1 : c[j]));
        out[d] = -g[d] / kappa;
    }

    private static void twoLoop(double[] g, double[][] S, double[][] Y, double[] rho, int stored, int head, int m, double lambda, double[] c, double[] out) {
        int D = g.length;
        double[] q = g.clone();
        double[] alpha = new double[m];
        for (int k = 0; k < stored; k++) {
            int i = Math.floorMod(head - 1 - k, m);
            alpha[i] = rho[i] * dot(S[i], q);
            for (int j = 0; j < D; j++) q[j] -= alpha[i] * Y[i][j];
        }
        double kappa = 0.25;
        if (stored > 0) {
            int last = Math.floorMod(head - 1, m);
            kappa = Math.max(1e-12, dot(Y[last], Y[last]) / dot(S[last], Y[last]));
        }
        if (c == null) {
            double gamma = 1 / kappa; // the usual scalar guess
            for (int j = 0; j < D; j++) q[j] *= gamma;
        } else {
            // the usual scalar curvature estimate y.y / s.y applied to the data term only (y minus the penalty's
            // exact share λ c ⊙ s), plus the exact per-direction penalty
            double dataKappa = kappa;
            if (stored > 0) {
                int last = Math.floorMod(head - 1, m);
                double yy = 0, sy = 0;
                for (int j = 0; j < D; j++) {
                    double yd = Y[last][j] - (j < D - 1 ? lambda * c[j] * S[last][j] : 0);
                    yy += yd * yd;
                    sy += S[last][j] * yd;
                }
                dataKappa = sy > 0 ? Math.max(1e-12, yy / sy) : kappa;
            }
            for (int j = 0; j < D - 1; j++) q[j] /= dataKappa + lambda * c[j];
            q[D - 1] /= dataKappa;
        }
        for (int k = stored - 1; k >= 0; k--) {
            int i = Math.floorMod(head - 1 - k, m);
            double beta = rho[i] * dot(Y[i], q);
            for (int j = 0; j < D; j++) q[j] += (alpha[i] - beta) * S[i][j];
        }
        for (int j = 0; j < D; j++) out[j] = -q[j];
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    /** The logistic function. */
    public static double sigmoid(double z) {
        return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    }
}
