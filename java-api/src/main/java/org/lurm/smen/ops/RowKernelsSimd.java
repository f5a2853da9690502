package org.lurm.smen.ops;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API row kernels. Loaded by name from {@link RowKernels} only when {@code jdk.incubator.vector} is
 * readable. Stateless and thread-safe; scratch arrays are allocated per call (per chunk), never shared.
 *
 * <p>Two vector directions. Along the interest width h (weighted sums, gradients of V) the preferred species is
 * used. Across the anchors, the M scores of one non-zero are computed as one vector: the anchors are transposed
 * into an h x M' panel (M' = M rounded up to the anchor species' width), so broadcasting one V coordinate against
 * one panel row adds to all M scores at once and no horizontal sum is needed; the online-softmax update (running
 * max, rescale factor, new weight) is then one vector step with a vectorised exp. The anchor species is 256 bits
 * where the hardware has them, since M = 8 is the default and a 512-bit vector would be half padding.
 *
 * <p>Several independent accumulators in the dot-product loops hide FMA latency (we don't know how many FMAs the
 * CPU issues at once); scalar tails handle widths that are not a multiple of the vector length.
 */
final class RowKernelsSimd implements RowKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final VectorSpecies<Float> SM = S.vectorBitSize() >= 256 ? FloatVector.SPECIES_256 : S;
    private static final int LM = SM.length();

    public RowKernelsSimd() {
    }

    @Override
    public String name() {
        return VECTOR;
    }

    private static int padAnchors(int nm) {
        return (nm + LM - 1) / LM * LM;
    }

    @Override
    public void attendRows(RowAttentionCall c, int rowFrom, int rowTo, float[] r, float[] attn) {
        final int h = c.h(), nm = c.anchors(), vOff = c.vOff(), mp = padAnchors(nm);
        final float[] p = c.params();
        final int[] rowPtr = c.rowPtr(), cols = c.cols();
        final float[] vals = c.vals();
        // Anchor panel with 1/sqrt(h) folded in; padding lanes stay 0 and are never read back.
        float[] at = new float[h * mp];
        for (int m = 0; m < nm; m++) for (int i = 0; i < h; i++) at[i * mp + m] = p[c.aOff() + m * h + i] * c.invSqrtH();
        float[] acc = new float[nm * h];
        float[] mx = new float[mp], l = new float[mp], sc = new float[mp], pe = new float[mp];
        for (int t = rowFrom; t < rowTo; t++) {
            Arrays.fill(acc, 0f);
            Arrays.fill(mx, Float.NEGATIVE_INFINITY);
            Arrays.fill(l, 0f);
            int from = rowPtr[t], to = rowPtr[t + 1];
            for (int j = from; j < to; j++) {
                int vo = vOff + cols[j] * h;
                float lw = (float) Math.log(vals[j]);
                for (int mb = 0; mb < mp; mb += LM) {
                    FloatVector s = panelDot(at, mp, mb, p, vo, h).add(lw);
                    if (attn != null) storeAnchors(s, attn, j * nm + mb, nm - mb);
                    FloatVector mo = FloatVector.fromArray(SM, mx, mb);
                    FloatVector mn = mo.max(s);
                    // exp(-inf) = 0 rescales the empty accumulators away at the first non-zero.
                    FloatVector scv = mo.sub(mn).lanewise(VectorOperators.EXP);
                    FloatVector pv = s.sub(mn).lanewise(VectorOperators.EXP);
                    FloatVector.fromArray(SM, l, mb).fma(scv, pv).intoArray(l, mb);
                    mn.intoArray(mx, mb);
                    scv.intoArray(sc, mb);
                    pv.intoArray(pe, mb);
                }
                for (int m = 0; m < nm; m++) {
                    // The running max rarely moves (O(log n) times per row): skip the rescale when it did not.
                    if (sc[m] == 1f) axpy(pe[m], p, vo, acc, m * h, h);
                    else scaleAxpy(sc[m], pe[m], p, vo, acc, m * h, h);
                }
            }
            for (int m = 0; m < nm; m++) scaleInto(1f / l[m], acc, m * h, r, (t * nm + m) * h, h);
            if (attn != null) {
                for (int mb = 0; mb < mp; mb += LM) {
                    FloatVector mv = FloatVector.fromArray(SM, mx, mb);
                    FloatVector il = FloatVector.broadcast(SM, 1f).div(FloatVector.fromArray(SM, l, mb));
                    for (int j = from; j < to; j++) {
                        FloatVector s = loadAnchors(attn, j * nm + mb, nm - mb);
                        storeAnchors(s.sub(mv).lanewise(VectorOperators.EXP).mul(il), attn, j * nm + mb, nm - mb);
                    }
                }
            }
        }
    }

    /** sum_i panel[i*mp + mb ..] * x[xo + i]: M' dot products of length h at once, four accumulators. */
    private static FloatVector panelDot(float[] panel, int mp, int mb, float[] x, int xo, int h) {
        FloatVector s0 = FloatVector.zero(SM), s1 = FloatVector.zero(SM), s2 = FloatVector.zero(SM), s3 = FloatVector.zero(SM);
        int i = 0;
        for (; i + 4 <= h; i += 4) {
            int b = i * mp + mb;
            s0 = FloatVector.fromArray(SM, panel, b).fma(FloatVector.broadcast(SM, x[xo + i]), s0);
            s1 = FloatVector.fromArray(SM, panel, b + mp).fma(FloatVector.broadcast(SM, x[xo + i + 1]), s1);
            s2 = FloatVector.fromArray(SM, panel, b + 2 * mp).fma(FloatVector.broadcast(SM, x[xo + i + 2]), s2);
            s3 = FloatVector.fromArray(SM, panel, b + 3 * mp).fma(FloatVector.broadcast(SM, x[xo + i + 3]), s3);
        }
        for (; i < h; i++) s0 = FloatVector.fromArray(SM, panel, i * mp + mb).fma(FloatVector.broadcast(SM, x[xo + i]), s0);
        return s0.add(s1).add(s2.add(s3));
    }

    /** Stores the first min(n, LM) lanes at arr[off..]; full stores when a whole vector of anchors is real. */
    private static void storeAnchors(FloatVector v, float[] arr, int off, int n) {
        if (n >= LM) v.intoArray(arr, off);
        else v.intoArray(arr, off, SM.indexInRange(0, n));
    }

    private static FloatVector loadAnchors(float[] arr, int off, int n) {
        if (n >= LM) return FloatVector.fromArray(SM, arr, off);
        VectorMask<Float> mask = SM.indexInRange(0, n);
        return FloatVector.fromArray(SM, arr, off, mask);
    }

    @Override
    public void attendRowsBackward(RowAttentionCall c, int rowFrom, int rowTo, float[] attn, float[] dr, float[] ds, float[] dA) {
        final int h = c.h(), nm = c.anchors(), vOff = c.vOff(), mp = padAnchors(nm);
        final float[] p = c.params();
        final int[] rowPtr = c.rowPtr(), cols = c.cols();
        float[] drT = new float[h * mp];
        float[] dAT = new float[h * mp];
        float[] rdot = new float[mp];
        int cap = 0;
        for (int t = rowFrom; t < rowTo; t++) cap = Math.max(cap, rowPtr[t + 1] - rowPtr[t]);
        // Row-local copies with padded anchor lanes (zero), so every anchor vector load is a full one.
        float[] aRow = new float[cap * mp], dsRow = new float[cap * mp];
        for (int t = rowFrom; t < rowTo; t++) {
            int from = rowPtr[t], to = rowPtr[t + 1];
            // dr[t] transposed like the anchors: da[., j] = dr[t] . V[k_j] for all anchors is then one panel dot.
            for (int m = 0; m < nm; m++) {
                int d = (t * nm + m) * h;
                for (int i = 0; i < h; i++) drT[i * mp + m] = dr[d + i];
            }
            Arrays.fill(rdot, 0f);
            for (int j = from; j < to; j++) {
                int jj = (j - from) * mp, vo = vOff + cols[j] * h;
                System.arraycopy(attn, j * nm, aRow, jj, nm);
                for (int mb = 0; mb < mp; mb += LM) {
                    FloatVector da = panelDot(drT, mp, mb, p, vo, h);
                    da.intoArray(dsRow, jj + mb);
                    FloatVector.fromArray(SM, aRow, jj + mb).fma(da, FloatVector.fromArray(SM, rdot, mb)).intoArray(rdot, mb);
                }
            }
            for (int j = from; j < to; j++) {
                int jj = (j - from) * mp, vo = vOff + cols[j] * h;
                for (int mb = 0; mb < mp; mb += LM) {
                    FloatVector a = FloatVector.fromArray(SM, aRow, jj + mb);
                    FloatVector g = a.mul(FloatVector.fromArray(SM, dsRow, jj + mb).sub(FloatVector.fromArray(SM, rdot, mb)));
                    g.intoArray(dsRow, jj + mb);
                    // dA^T[i, .] += ds[., j] * V[k_j][i]: all anchors per coordinate, transposed back per chunk.
                    for (int i = 0; i < h; i++) {
                        int b = i * mp + mb;
                        g.fma(FloatVector.broadcast(SM, p[vo + i]), FloatVector.fromArray(SM, dAT, b)).intoArray(dAT, b);
                    }
                }
                System.arraycopy(dsRow, jj, ds, j * nm, nm);
            }
        }
        float inv = c.invSqrtH();
        for (int m = 0; m < nm; m++) for (int i = 0; i < h; i++) dA[m * h + i] += dAT[i * mp + m] * inv;
    }

    @Override
    public void interestGrads(RowAttentionCall c, RowInterestIndex idx, int from, int to, float[] attn, float[] ds, float[] dr, float[] grad) {
        final int h = c.h(), nm = c.anchors(), vOff = c.vOff(), aOff = c.aOff(), rowW = nm * h;
        final float inv = c.invSqrtH();
        final float[] p = c.params();
        final int[] interests = idx.interests(), start = idx.start(), occ = idx.occurrences(), rowOf = idx.rowOf();
        float[] cA = new float[nm];
        for (int u = from; u < to; u++) {
            int q0 = start[u], q1 = start[u + 1];
            Arrays.fill(cA, 0f);
            for (int q = q0; q < q1; q++) {
                int j = occ[q];
                for (int m = 0; m < nm; m++) cA[m] += ds[j * nm + m];
            }
            for (int m = 0; m < nm; m++) cA[m] *= inv;
            int go = vOff + interests[u] * h;
            int i = 0;
            // Blocks of 4 vectors over h: four accumulators, one pass over the occurrences per block.
            for (; i + 4 * L <= h; i += 4 * L) {
                FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
                for (int q = q0; q < q1; q++) {
                    int j = occ[q], d = rowOf[j] * rowW + i;
                    for (int m = 0; m < nm; m++, d += h) {
                        FloatVector w = FloatVector.broadcast(S, attn[j * nm + m]);
                        a0 = FloatVector.fromArray(S, dr, d).fma(w, a0);
                        a1 = FloatVector.fromArray(S, dr, d + L).fma(w, a1);
                        a2 = FloatVector.fromArray(S, dr, d + 2 * L).fma(w, a2);
                        a3 = FloatVector.fromArray(S, dr, d + 3 * L).fma(w, a3);
                    }
                }
                for (int m = 0; m < nm; m++) {
                    FloatVector w = FloatVector.broadcast(S, cA[m]);
                    int b = aOff + m * h + i;
                    a0 = FloatVector.fromArray(S, p, b).fma(w, a0);
                    a1 = FloatVector.fromArray(S, p, b + L).fma(w, a1);
                    a2 = FloatVector.fromArray(S, p, b + 2 * L).fma(w, a2);
                    a3 = FloatVector.fromArray(S, p, b + 3 * L).fma(w, a3);
                }
                FloatVector.fromArray(S, grad, go + i).add(a0).intoArray(grad, go + i);
                FloatVector.fromArray(S, grad, go + i + L).add(a1).intoArray(grad, go + i + L);
                FloatVector.fromArray(S, grad, go + i + 2 * L).add(a2).intoArray(grad, go + i + 2 * L);
                FloatVector.fromArray(S, grad, go + i + 3 * L).add(a3).intoArray(grad, go + i + 3 * L);
            }
            for (; i + L <= h; i += L) {
                FloatVector a0 = FloatVector.zero(S);
                for (int q = q0; q < q1; q++) {
                    int j = occ[q], d = rowOf[j] * rowW + i;
                    for (int m = 0; m < nm; m++, d += h) a0 = FloatVector.fromArray(S, dr, d).fma(FloatVector.broadcast(S, attn[j * nm + m]), a0);
                }
                for (int m = 0; m < nm; m++) a0 = FloatVector.fromArray(S, p, aOff + m * h + i).fma(FloatVector.broadcast(S, cA[m]), a0);
                FloatVector.fromArray(S, grad, go + i).add(a0).intoArray(grad, go + i);
            }
            for (; i < h; i++) {
                float s = 0f;
                for (int q = q0; q < q1; q++) {
                    int j = occ[q], d = rowOf[j] * rowW + i;
                    for (int m = 0; m < nm; m++, d += h) s += attn[j * nm + m] * dr[d];
                }
                for (int m = 0; m < nm; m++) s += cA[m] * p[aOff + m * h + i];
                grad[go + i] += s;
            }
        }
    }

    @Override
    public void projectRows(RowProjectionCall c, int rowFrom, int rowTo, float[] r, float[] o) {
        final int h = c.h(), nm = c.anchors(), dp = c.anchorDim(), rs = nm * h, os = nm * dp;
        final float[] p = c.params();
        for (int m = 0; m < nm; m++) {
            int wo = c.wOff() + m * h * dp, bo = c.bOff() + m * dp;
            int t = rowFrom;
            // Four rows share every W_m load: four independent accumulator chains per output block.
            for (; t + 4 <= rowTo; t += 4) {
                int r0 = (t * nm + m) * h, o0 = (t * nm + m) * dp;
                int jb = 0;
                for (; jb + L <= dp; jb += L) {
                    FloatVector b = FloatVector.fromArray(S, p, bo + jb);
                    FloatVector a0 = b, a1 = b, a2 = b, a3 = b;
                    for (int i = 0; i < h; i++) {
                        FloatVector w = FloatVector.fromArray(S, p, wo + i * dp + jb);
                        a0 = w.fma(FloatVector.broadcast(S, r[r0 + i]), a0);
                        a1 = w.fma(FloatVector.broadcast(S, r[r0 + rs + i]), a1);
                        a2 = w.fma(FloatVector.broadcast(S, r[r0 + 2 * rs + i]), a2);
                        a3 = w.fma(FloatVector.broadcast(S, r[r0 + 3 * rs + i]), a3);
                    }
                    a0.intoArray(o, o0 + jb);
                    a1.intoArray(o, o0 + os + jb);
                    a2.intoArray(o, o0 + 2 * os + jb);
                    a3.intoArray(o, o0 + 3 * os + jb);
                }
                for (int q = 0; q < 4; q++) projectTail(p, wo, bo, h, dp, jb, r, r0 + q * rs, o, o0 + q * os);
            }
            for (; t < rowTo; t++) {
                int r0 = (t * nm + m) * h, o0 = (t * nm + m) * dp;
                int jb = 0;
                for (; jb + L <= dp; jb += L) {
                    FloatVector a0 = FloatVector.fromArray(S, p, bo + jb);
                    for (int i = 0; i < h; i++) a0 = FloatVector.fromArray(S, p, wo + i * dp + jb).fma(FloatVector.broadcast(S, r[r0 + i]), a0);
                    a0.intoArray(o, o0 + jb);
                }
                projectTail(p, wo, bo, h, dp, jb, r, r0, o, o0);
            }
        }
    }

    /** Output columns [jb, dp) of one (row, anchor), scalar. */
    private static void projectTail(float[] p, int wo, int bo, int h, int dp, int jb, float[] r, int ro, float[] o, int oo) {
        for (int jj = jb; jj < dp; jj++) {
            float s = p[bo + jj];
            for (int i = 0; i < h; i++) s += r[ro + i] * p[wo + i * dp + jj];
            o[oo + jj] = s;
        }
    }

    @Override
    public void projectRowsBackward(RowProjectionCall c, int rowFrom, int rowTo, float[] r, float[] dout, float[] dr, float[] dW, float[] db) {
        final int h = c.h(), nm = c.anchors(), dp = c.anchorDim();
        final float[] p = c.params();
        // W_m transposed (d' x h) so dr[t,m] = W_m dout[t,m] runs along h with broadcast dout values.
        float[] wt = new float[nm * dp * h];
        for (int m = 0; m < nm; m++) {
            int wo = c.wOff() + m * h * dp;
            for (int i = 0; i < h; i++) for (int jj = 0; jj < dp; jj++) wt[(m * dp + jj) * h + i] = p[wo + i * dp + jj];
        }
        for (int t = rowFrom; t < rowTo; t++) {
            for (int m = 0; m < nm; m++) {
                int ro = (t * nm + m) * h, oo = (t * nm + m) * dp, wl = m * h * dp, tb = m * dp * h;
                int i = 0;
                for (; i + L <= h; i += L) {
                    FloatVector a = FloatVector.fromArray(S, dr, ro + i);
                    for (int jj = 0; jj < dp; jj++) a = FloatVector.fromArray(S, wt, tb + jj * h + i).fma(FloatVector.broadcast(S, dout[oo + jj]), a);
                    a.intoArray(dr, ro + i);
                }
                for (; i < h; i++) {
                    float s = 0f;
                    for (int jj = 0; jj < dp; jj++) s += dout[oo + jj] * wt[tb + jj * h + i];
                    dr[ro + i] += s;
                }
                int jb = 0;
                for (; jb + L <= dp; jb += L) {
                    FloatVector d = FloatVector.fromArray(S, dout, oo + jb);
                    for (int k = 0; k < h; k++) {
                        int b = wl + k * dp + jb;
                        d.fma(FloatVector.broadcast(S, r[ro + k]), FloatVector.fromArray(S, dW, b)).intoArray(dW, b);
                    }
                    d.add(FloatVector.fromArray(S, db, m * dp + jb)).intoArray(db, m * dp + jb);
                }
                for (; jb < dp; jb++) {
                    float d = dout[oo + jb];
                    for (int k = 0; k < h; k++) dW[wl + k * dp + jb] += r[ro + k] * d;
                    db[m * dp + jb] += d;
                }
            }
        }
    }

    private static void axpy(float a, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(S, a);
        for (; i + L <= n; i += L) FloatVector.fromArray(S, x, xo + i).fma(va, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] += a * x[xo + i];
    }

    /** y = y * sc + a * x. */
    private static void scaleAxpy(float sc, float a, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        FloatVector vs = FloatVector.broadcast(S, sc), va = FloatVector.broadcast(S, a);
        for (; i + L <= n; i += L) FloatVector.fromArray(S, x, xo + i).fma(va, FloatVector.fromArray(S, y, yo + i).mul(vs)).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] = y[yo + i] * sc + a * x[xo + i];
    }

    /** y = a * x. */
    private static void scaleInto(float a, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(S, a);
        for (; i + L <= n; i += L) FloatVector.fromArray(S, x, xo + i).mul(va).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] = x[xo + i] * a;
    }
}
