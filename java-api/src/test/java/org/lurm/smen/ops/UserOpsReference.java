package org.lurm.smen.ops;

import org.lurm.smen.SmenBatch;
import org.lurm.smen.SmenLayout;

/**
 * Double-precision forward passes of the per-user SMEN ops, written straight from MODEL.md's formulas with
 * nothing shared with the float code: the references for the forward checks and the functions whose central
 * differences check the backward passes. Parameters come as the flat {@link SmenLayout} array in double.
 */
final class UserOpsReference {
    private UserOpsReference() {
    }

    /** softmax of the entries of x whose mask is true (others 0), shifted by the maximum. */
    static double[] softmax(double[] x, boolean[] mask) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < x.length; i++) if (mask == null || mask[i]) max = Math.max(max, x[i]);
        double[] y = new double[x.length];
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            if (mask == null || mask[i]) {
                y[i] = Math.exp(x[i] - max);
                sum += y[i];
            }
        }
        for (int i = 0; i < x.length; i++) y[i] /= sum;
        return y;
    }

    /** u[b][s][m][j]; weightsOut (T x M) receives the attention weights when not null. */
    static double[] timeAttention(SmenLayout l, double[] p, SmenBatch batch, double[] o, double[] weightsOut) {
        int m = l.config().anchors(), d = l.config().anchorDim(), sc = l.scales(), r = l.config().recencyBuckets();
        int q = l.offset("q"), beta = l.offset("beta");
        double[] u = new double[batch.users() * sc * m * d];
        for (int b = 0; b < batch.users(); b++) {
            for (int s = 0; s < sc; s++) {
                int t0 = batch.groupFrom(b, s), n = batch.groupTo(b, s) - t0;
                if (n == 0) continue;
                for (int a = 0; a < m; a++) {
                    double[] e = new double[n];
                    for (int t = 0; t < n; t++) {
                        double dot = 0;
                        for (int j = 0; j < d; j++) dot += p[q + (s * m + a) * d + j] * o[((t0 + t) * m + a) * d + j];
                        e[t] = dot / Math.sqrt(d) + p[beta + s * r + batch.rowBucket()[t0 + t]];
                    }
                    double[] w = softmax(e, null);
                    for (int t = 0; t < n; t++) {
                        if (weightsOut != null) weightsOut[(t0 + t) * m + a] = w[t];
                        for (int j = 0; j < d; j++) u[((b * sc + s) * m + a) * d + j] += w[t] * o[((t0 + t) * m + a) * d + j];
                    }
                }
            }
        }
        return u;
    }

    /** z[b][m][j]; gateOut (B x M x S) receives the gate when not null. */
    static double[] scaleGate(SmenLayout l, double[] p, SmenBatch batch, double[] u, double[] gateOut) {
        int m = l.config().anchors(), d = l.config().anchorDim(), sc = l.scales();
        int g = l.offset("g");
        double[] z = new double[batch.users() * m * d];
        for (int b = 0; b < batch.users(); b++) {
            boolean[] present = new boolean[sc];
            boolean any = false;
            for (int s = 0; s < sc; s++) {
                present[s] = batch.groupTo(b, s) > batch.groupFrom(b, s);
                any |= present[s];
            }
            if (!any) continue;
            for (int a = 0; a < m; a++) {
                double[] logit = new double[sc];
                for (int s = 0; s < sc; s++) {
                    for (int j = 0; j < d; j++) logit[s] += p[g + a * d + j] * u[((b * sc + s) * m + a) * d + j];
                    logit[s] /= Math.sqrt(d);
                }
                double[] c = softmax(logit, present);
                for (int s = 0; s < sc; s++) {
                    if (gateOut != null) gateOut[(b * m + a) * sc + s] = c[s];
                    for (int j = 0; j < d; j++) z[(b * m + a) * d + j] += c[s] * u[((b * sc + s) * m + a) * d + j];
                }
            }
        }
        return z;
    }

    /** The projection head's output p (B x H2), normalised with the guard max(|y|, eps). */
    static double[] head(SmenLayout l, double[] p, double[] z, int users, double eps) {
        int in = l.config().outputWidth(), h1 = l.config().headHidden(), h2 = l.config().headOut();
        int p1 = l.offset("P1"), c1 = l.offset("c1"), p2 = l.offset("P2"), c2 = l.offset("c2");
        double[] out = new double[users * h2];
        for (int b = 0; b < users; b++) {
            double[] hid = new double[h1];
            for (int j = 0; j < h1; j++) {
                double s = p[c1 + j];
                for (int i = 0; i < in; i++) s += z[b * in + i] * p[p1 + i * h1 + j];
                hid[j] = Math.max(0, s);
            }
            double[] y = new double[h2];
            double ss = 0;
            for (int j = 0; j < h2; j++) {
                double s = p[c2 + j];
                for (int i = 0; i < h1; i++) s += hid[i] * p[p2 + i * h2 + j];
                y[j] = s;
                ss += s * s;
            }
            double den = Math.max(Math.sqrt(ss), eps);
            for (int j = 0; j < h2; j++) out[b * h2 + j] = y[j] / den;
        }
        return out;
    }

    /** Symmetric InfoNCE by its definition: mean cross-entropy of S/tau rows and of its columns against the diagonal. */
    static double infoNce(double[] pA, double[] pB, int users, int dim, double tau) {
        double[][] x = new double[users][users];
        for (int i = 0; i < users; i++) {
            for (int j = 0; j < users; j++) {
                double s = 0;
                for (int k = 0; k < dim; k++) s += pA[i * dim + k] * pB[j * dim + k];
                x[i][j] = s / tau;
            }
        }
        double rows = 0, cols = 0;
        for (int i = 0; i < users; i++) {
            double[] row = new double[users], col = new double[users];
            for (int j = 0; j < users; j++) {
                row[j] = x[i][j];
                col[j] = x[j][i];
            }
            rows += -Math.log(softmax(row, null)[i]) ;
            cols += -Math.log(softmax(col, null)[i]);
        }
        return 0.5 * (rows / users + cols / users);
    }

    /** Numerically safe -log softmax(x)_i, for the large-logit checks where softmax underflows to 0. */
    static double crossEntropy(double[] x, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) max = Math.max(max, v);
        double s = 0;
        for (double v : x) s += Math.exp(v - max);
        return max + Math.log(s) - x[target];
    }

    /** InfoNCE through {@link #crossEntropy}: valid for any logit size. */
    static double infoNceStable(double[] pA, double[] pB, int users, int dim, double tau) {
        double total = 0;
        for (int i = 0; i < users; i++) {
            double[] row = new double[users], col = new double[users];
            for (int j = 0; j < users; j++) {
                for (int k = 0; k < dim; k++) {
                    row[j] += pA[i * dim + k] * pB[j * dim + k];
                    col[j] += pA[j * dim + k] * pB[i * dim + k];
                }
                row[j] /= tau;
                col[j] /= tau;
            }
            total += crossEntropy(row, i) + crossEntropy(col, i);
        }
        return total / (2.0 * users);
    }

    /** ||Ahat Ahat^T - I||_F^2 / M^2 with Ahat_m = A_m / max(|A_m|, eps). */
    static double diversity(SmenLayout l, double[] p, double eps) {
        int m = l.config().anchors(), h = l.config().h(), a = l.offset("A");
        double[][] ahat = new double[m][h];
        for (int i = 0; i < m; i++) {
            double n = 0;
            for (int k = 0; k < h; k++) n += p[a + i * h + k] * p[a + i * h + k];
            n = Math.max(Math.sqrt(n), eps);
            for (int k = 0; k < h; k++) ahat[i][k] = p[a + i * h + k] / n;
        }
        double f = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                double g = 0;
                for (int k = 0; k < h; k++) g += ahat[i][k] * ahat[j][k];
                double d = g - (i == j ? 1 : 0);
                f += d * d;
            }
        }
        return f / ((double) m * m);
    }
}
