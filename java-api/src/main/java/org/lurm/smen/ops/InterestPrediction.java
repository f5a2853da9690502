package org.lurm.smen.ops;

import org.lurm.SmenConfig;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.lurm.backend.cpu.Parallel;
import org.lurm.smen.SmenBatch;
import org.lurm.smen.SmenLayout;

/**
 * Cross-view interest prediction, SMEN's auxiliary self-supervised objective ({@code SmenConfig.predictionWeight}):
 * from one view's representation z, predict the distribution of the other view's interests, through the model's
 * own tensors (no new parameters): the decoder input is the transposed anchor projection and the decoder is the
 * interest table,
 * <pre>
 *   q[i]      = sum_m sum_j W[m][i][j] z[m][j]                      (h)
 *   logit[c]  = (V[k_c] . q) / sqrt(h)                              over the candidate interests k_c
 *   L_pred    = - sum_c y[c] log softmax(logit)[c]                  y = the other view's interest weights (its
 *                                                                   finest-scale rows summed), normalised to 1
 * </pre>
 * averaged over the users that have targets. It rewards z for keeping what a user's held-back behaviour looks like
 * (the broad taste a probe uses), where InfoNCE rewards only what tells the users of a batch apart; and since the
 * decoder is V itself, V's rows become directions that predict co-occurring interests.
 *
 * <p><b>Candidates.</b> With K at most {@link #FULL_SOFTMAX_MAX} the softmax runs over all K interests (exact).
 * Above, over a sampled candidate set ({@link #candidates}): every interest present in either view of the batch
 * (so every target is a candidate) plus seeded uniform negatives up to {@link #FULL_SOFTMAX_MAX} in all, the
 * "in-batch plus uniform negatives" sampled softmax; its gradient touches only the candidates' rows of V.
 *
 * <p><b>Cost.</b> B·C·h multiply-adds forward and 2·B·C·h backward (C candidates). Users are split over fixed
 * chunks and V's gradient is reduced per candidate in user order, so results do not depend on the thread count.
 *
 * <p>Stateless and thread-safe.
 */
public final class InterestPrediction {
    /** Largest K whose full softmax is computed; above, sampled candidates of this many interests. */
    public static final int FULL_SOFTMAX_MAX = 8192;

    private InterestPrediction() {
    }

    /**
     * The candidate interests of a step, ascending: all K when K &lt;= {@link #FULL_SOFTMAX_MAX}; else the union
     * of both views' interests plus uniform negatives drawn from {@code rnd} up to {@link #FULL_SOFTMAX_MAX} (more
     * when the views alone hold more).
     */
    public static int[] candidates(int numInterests, SmenBatch a, SmenBatch b, SplittableRandom rnd) {
        return numInterests <= FULL_SOFTMAX_MAX ? candidates(numInterests, new int[0], rnd) : candidates(numInterests, interests(a, b), rnd);
    }

    /** The sorted distinct interests of two views. */
    public static int[] interests(SmenBatch a, SmenBatch b) {
        java.util.BitSet s = new java.util.BitSet();
        for (SmenBatch v : new SmenBatch[] {a, b}) for (int j = 0; j < v.nnz(); j++) s.set(v.cols()[j]);
        return s.stream().toArray();
    }

    /** {@link #candidates(int, SmenBatch, SmenBatch, SplittableRandom)} from the views' sorted distinct interests. */
    public static int[] candidates(int numInterests, int[] viewInterests, SplittableRandom rnd) {
        if (numInterests <= FULL_SOFTMAX_MAX) {
            int[] all = new int[numInterests];
            for (int k = 0; k < numInterests; k++) all[k] = k;
            return all;
        }
        java.util.BitSet s = new java.util.BitSet(numInterests);
        for (int k : viewInterests) s.set(k);
        int have = s.cardinality();
        int want = Math.max(have, FULL_SOFTMAX_MAX);
        int guard = 0;
        while (have < want && guard++ < 64 * FULL_SOFTMAX_MAX) {
            int k = rnd.nextInt(numInterests);
            if (!s.get(k)) {
                s.set(k);
                have++;
            }
        }
        return s.stream().toArray();
    }

    /**
     * The targets of a view over the candidates: per user, the interest weights of its finest-scale rows summed
     * and normalised to sum 1 (dense users x C; a user without finest-scale rows gets an all-zero row and is not
     * scored). Every interest of the view must be a candidate.
     */
    public static float[] targets(SmenBatch view, int[] candidates) {
        return targets(view, candidates, Integer.MAX_VALUE);
    }

    /** As {@link #targets(SmenBatch, int[])}, leaving out the view's interests {@code >= limit} (a calibrated sink). */
    public static float[] targets(SmenBatch view, int[] candidates, int limit) {
        int b = view.users(), c = candidates.length;
        float[] y = new float[Math.multiplyExact(b, c)];
        for (int u = 0; u < b; u++) {
            double sum = 0;
            int from = view.groupFrom(u, 0), to = view.groupTo(u, 0);
            for (int t = from; t < to; t++) {
                for (int j = view.rowPtr()[t]; j < view.rowPtr()[t + 1]; j++) {
                    if (view.cols()[j] >= limit) continue;
                    int idx = Arrays.binarySearch(candidates, view.cols()[j]);
                    if (idx < 0) throw new IllegalArgumentException("interest " + view.cols()[j] + " of the view is not a candidate");
                    y[u * c + idx] += view.vals()[j];
                    sum += view.vals()[j];
                }
            }
            if (sum > 0) {
                float inv = (float) (1 / sum);
                for (int i = 0; i < c; i++) y[u * c + i] *= inv;
            }
        }
        return y;
    }

    /**
     * The loss (mean over scored users) and, with {@code grad} and {@code dz} not null, scale times its gradient
     * accumulated into them (V's candidate rows and W in grad, the z's in dz).
     *
     * @param z          users x (M·d') representations of the predicting view
     * @param candidates ascending candidate interests (C of them)
     * @param y          users x C targets of the other view ({@link #targets})
     */
    public static double lossAndGradient(SmenLayout layout, float[] params, float[] z, int users, int[] candidates, float[] y, float scale, float[] dz,
                                         float[] grad, Parallel par) {
        int h = layout.config().h(), m = layout.config().anchors(), d = layout.config().anchorDim(), c = candidates.length;
        int md = m * d;
        int vOff = layout.offset("V"), wOff = layout.offset("W");
        UserArgs.length("interestPrediction", "z", z, (long) users * md);
        UserArgs.length("interestPrediction", "y", y, (long) users * c);
        float invSqrtH = (float) (1 / Math.sqrt(h));
        boolean[] has = new boolean[users];
        int scored = 0;
        for (int u = 0; u < users; u++) {
            double s = 0;
            for (int i = 0; i < c; i++) s += y[u * c + i];
            has[u] = s > 0;
            if (has[u]) scored++;
        }
        if (scored == 0) return 0;
        int chunks = Math.max(1, Math.min(users, 32));
        // q[u] = sum_m W_m z_m[u]
        float[] q = new float[users * h];
        par.forRange(users, chunks, 1, (chunk, lo, hi) -> {
            for (int u = (int) lo; u < hi; u++) {
                for (int mm = 0; mm < m; mm++) {
                    for (int i = 0; i < h; i++) {
                        int w0 = wOff + (mm * h + i) * d, z0 = u * md + mm * d;
                        float s = 0;
                        for (int j = 0; j < d; j++) s += params[w0 + j] * z[z0 + j];
                        q[u * h + i] += s;
                    }
                }
            }
        });
        boolean backward = grad != null;
        // The three products over the candidates (logits, dV, dq: users x C x h each) run on UserKernels' GEMMs,
        // each output element one ascending chain, so any split over threads gives the same bits.
        UserKernels kern = UserKernels.best();
        float[] vc = new float[c * h]; // the candidates' rows of V
        for (int i = 0; i < c; i++) System.arraycopy(params, vOff + candidates[i] * h, vc, i * h, h);
        float[] vct = new float[h * c];
        UserKernels.transpose(vc, 0, c, h, vct, 0);
        float[] g = new float[users * c]; // the logits, then dL/dlogit times scale
        par.forRange(users, chunks, 1, (chunk, lo, hi) -> kern.gemmNN(q, 0, vct, 0, g, 0, h, c, (int) lo, (int) hi));
        double[] lossPer = new double[users];
        final float gScale = scale / scored;
        par.forRange(users, chunks, 1, (chunk, lo, hi) -> {
            double[] e = new double[c];
            for (int u = (int) lo; u < hi; u++) {
                int r = u * c;
                if (!has[u]) {
                    java.util.Arrays.fill(g, r, r + c, 0f);
                    continue;
                }
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < c; i++) {
                    float li = g[r + i] * invSqrtH;
                    g[r + i] = li;
                    if (li > max) max = li;
                }
                double sum = 0;
                for (int i = 0; i < c; i++) sum += e[i] = Math.exp(g[r + i] - max);
                double logZ = max + Math.log(sum);
                double l = 0;
                for (int i = 0; i < c; i++) {
                    float yi = y[r + i];
                    if (yi != 0) l -= yi * (g[r + i] - logZ);
                }
                lossPer[u] = l;
                if (backward) for (int i = 0; i < c; i++) g[r + i] = (float) (e[i] / sum - y[r + i]) * gScale;
            }
        });
        double loss = 0;
        for (int u = 0; u < users; u++) loss += lossPer[u];
        loss /= scored;
        if (!backward) return loss;
        // dV[k_c] += sum_u g[u][c] q[u] / sqrt(h): dVc = g^T q (users in order), then added to V's rows
        float[] dvc = new float[c * h];
        par.forRange(c, 64, 16, (chunk, lo, hi) -> {
            kern.gemmTN(g, 0, q, 0, dvc, 0, users, c, h, (int) lo, (int) hi);
            for (int i = (int) lo; i < hi; i++) {
                int v0 = vOff + candidates[i] * h;
                for (int x = 0; x < h; x++) grad[v0 + x] += dvc[i * h + x] * invSqrtH;
            }
        });
        // dq[u] = sum_c g[u][c] V[k_c] / sqrt(h) = (g Vc)[u] / sqrt(h);  dz[u][m][j] += sum_i W[m][i][j] dq[u][i]
        float[] dq = new float[users * h];
        par.forRange(users, chunks, 1, (chunk, lo, hi) -> {
            kern.gemmNN(g, 0, vc, 0, dq, 0, c, h, (int) lo, (int) hi);
            for (int u = (int) lo; u < hi; u++) {
                int q0 = u * h;
                for (int x = 0; x < h; x++) dq[q0 + x] *= invSqrtH;
                for (int mm = 0; mm < m; mm++) {
                    int z0 = u * md + mm * d;
                    for (int x = 0; x < h; x++) {
                        float dqx = dq[q0 + x];
                        int w0 = wOff + (mm * h + x) * d;
                        for (int j = 0; j < d; j++) dz[z0 + j] += params[w0 + j] * dqx;
                    }
                }
            }
        });
        // dW[m][i][j] += sum_u dq[u][i] z[u][m][j]   (per W row, users in order)
        par.forRange((long) m * h, 32, 8, (chunk, lo, hi) -> {
            for (int row = (int) lo; row < hi; row++) {
                int mm = row / h, x = row % h;
                int w0 = wOff + row * d;
                for (int u = 0; u < users; u++) {
                    float dqx = dq[u * h + x];
                    if (dqx == 0) continue;
                    int z0 = u * md + mm * d;
                    for (int j = 0; j < d; j++) grad[w0 + j] += dqx * z[z0 + j];
                }
            }
        });
        return loss;
    }
}
