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
 * <p>Forward of one row: its V rows are first copied into a row-local buffer (independent copies, so the cache
 * misses of the scattered rows overlap instead of being paid one row at a time; every later step reads L1). Then
 * one pass over the row in tiles of {@value #TILE} non-zeros with an online softmax, as FlashAttention does it:
 * scores of the tile for all anchors, one running-max update and at most one rescale of the accumulators per
 * tile, and the tile's weighted sum as a small (M x n) x (n x h) product with 4 anchors x 2 vectors of
 * accumulators held in registers. Rows of typical length (30) are one tile.
 *
 * <p>Two vector directions. Along the interest width h (weighted sums, gradients of V) the preferred species is
 * used. Across the anchors, the M scores of one non-zero are one vector: the anchors are transposed into an h x M'
 * panel (M' = M rounded up to the anchor species' width), so broadcasting one V coordinate against one panel row
 * adds to all M scores at once and no horizontal sum is needed; the softmax steps (max, exp, sums) are then
 * vector steps with a vectorised exp. The anchor species is 256 bits where the hardware has them, since M = 8 is
 * the default and a 512-bit vector would be half padding.
 *
 * <p>Backward: the per-row pass reuses the same pieces (dr[t] transposed like the anchors gives dr . V for all
 * anchors at once; dA is the same weighted-rows product with ds as weights); the per-interest pass streams the
 * rows and keeps the h-wide sum of each occurrence in registers.
 *
 * <p>Several independent accumulators in the dot-product loops hide FMA latency (we don't know how many FMAs the
 * CPU issues at once); scalar tails handle widths that are not a multiple of the vector length.
 */
final class RowKernelsSimd implements RowKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final VectorSpecies<Float> SM = S.vectorBitSize() >= 256 ? FloatVector.SPECIES_256 : S;
    private static final int LM = SM.length();

    /** Non-zeros per online-softmax tile: rows of typical length are one tile; the tile scratch stays in L1. */
    static final int TILE = 64;

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
        final int h = c.h(), nm = c.anchors(), mp = padAnchors(nm);
        final int[] rowPtr = c.rowPtr();
        float[] at = anchorPanel(c, mp);
        float[] acc = new float[nm * h];
        float[] mx = new float[mp], l = new float[mp], sc = new float[mp];
        int cap = maxRow(rowPtr, rowFrom, rowTo);
        float[] vrow = new float[cap * h], lw = new float[cap];
        float[] tile = new float[TILE * mp];
        for (int t = rowFrom; t < rowTo; t++) {
            Arrays.fill(acc, 0f);
            Arrays.fill(mx, Float.NEGATIVE_INFINITY);
            Arrays.fill(l, 0f);
            int from = rowPtr[t], to = rowPtr[t + 1];
            // A row of one tile keeps its exp(s - max) in the tile: its attention is that times 1 / l, with no
            // second exp (the same bits, since its max is the tile's). Longer rows keep their scores in attn.
            boolean oneTile = to - from <= TILE;
            gather(c, from, to, vrow, lw);
            // Online softmax over tiles of non-zeros: per tile one max update and one rescale of the accumulators.
            for (int j0 = from; j0 < to; j0 += TILE) {
                int n = Math.min(TILE, to - j0), v0 = (j0 - from) * h;
                scores(at, mp, vrow, v0, lw, j0 - from, n, h, tile);
                if (attn != null && !oneTile) for (int jj = 0; jj < n; jj++) System.arraycopy(tile, jj * mp, attn, (j0 + jj) * nm, nm);
                boolean moved = false;
                for (int mb = 0; mb < mp; mb += LM) {
                    FloatVector tm = FloatVector.fromArray(SM, tile, mb);
                    for (int jj = 1; jj < n; jj++) tm = tm.max(FloatVector.fromArray(SM, tile, jj * mp + mb));
                    FloatVector mo = FloatVector.fromArray(SM, mx, mb);
                    FloatVector mn = mo.max(tm);
                    // exp(-inf) = 0 rescales the empty accumulators away at the first tile.
                    FloatVector scv = RowVectorMath.exp(mo.sub(mn));
                    FloatVector sum = FloatVector.zero(SM);
                    for (int jj = 0; jj < n; jj++) {
                        FloatVector pv = RowVectorMath.exp(FloatVector.fromArray(SM, tile, jj * mp + mb).sub(mn));
                        pv.intoArray(tile, jj * mp + mb);
                        sum = sum.add(pv);
                    }
                    FloatVector.fromArray(SM, l, mb).fma(scv, sum).intoArray(l, mb);
                    mn.intoArray(mx, mb);
                    scv.intoArray(sc, mb);
                    moved |= mn.compare(VectorOperators.NE, mo).anyTrue();
                }
                // The running max moves O(log n) times per row: most tiles after the first rescale nothing.
                if (moved) for (int m = 0; m < nm; m++) if (sc[m] != 1f) scale(sc[m], acc, m * h, h);
                weightedRows(tile, mp, vrow, v0, n, h, nm, acc, 0);
            }
            for (int m = 0; m < nm; m++) scaleInto(1f / l[m], acc, m * h, r, (t * nm + m) * h, h);
            if (attn != null) {
                for (int mb = 0; mb < mp; mb += LM) {
                    FloatVector mv = FloatVector.fromArray(SM, mx, mb);
                    FloatVector il = FloatVector.broadcast(SM, 1f).div(FloatVector.fromArray(SM, l, mb));
                    if (oneTile) {
                        for (int jj = 0; jj < to - from; jj++) storeAnchors(FloatVector.fromArray(SM, tile, jj * mp + mb).mul(il), attn, (from + jj) * nm + mb, nm - mb);
                        continue;
                    }
                    for (int j = from; j < to; j++) {
                        FloatVector s = loadAnchors(attn, j * nm + mb, nm - mb);
                        storeAnchors(RowVectorMath.exp(s.sub(mv)).mul(il), attn, j * nm + mb, nm - mb);
                    }
                }
            }
        }
    }

    /** The anchors as an h x M' panel with 1/sqrt(h) folded in; padding lanes are 0 and never read back. */
    private static float[] anchorPanel(RowAttentionCall c, int mp) {
        int h = c.h();
        float[] at = new float[h * mp];
        for (int m = 0; m < c.anchors(); m++) for (int i = 0; i < h; i++) at[i * mp + m] = c.params()[c.aOff() + m * h + i] * c.invSqrtH();
        return at;
    }

    private static int maxRow(int[] rowPtr, int rowFrom, int rowTo) {
        int cap = 0;
        for (int t = rowFrom; t < rowTo; t++) cap = Math.max(cap, rowPtr[t + 1] - rowPtr[t]);
        return cap;
    }

    /**
     * Copies the V rows of non-zeros [from, to) into {@code vrow} (row jj at jj*h) and, when {@code lw} is not
     * null, their log weights. The copies are independent, so the CPU has the cache misses of many scattered V
     * rows in flight at once instead of one row's at a time; every later pass reads the row from L1.
     */
    private static void gather(RowAttentionCall c, int from, int to, float[] vrow, float[] lw) {
        final int h = c.h(), vOff = c.vOff();
        final float[] p = c.params(), vals = c.vals();
        final int[] cols = c.cols();
        for (int j = from; j < to; j++) System.arraycopy(p, vOff + cols[j] * h, vrow, (j - from) * h, h);
        if (lw == null) return;
        // StrictMath, not lanewise(LOG): the same bits interpreted and compiled (see RowVectorMath).
        for (int j = from; j < to; j++) lw[j - from] = (float) StrictMath.log(vals[j]);
    }

    /**
     * out[jj*M' + m] = panel^T x_jj (+ bias[b0 + jj] when bias is not null) for the n rows x_jj = x[x0 + jj*h ..]:
     * all anchors of two rows per pass, so each panel load serves two rows and eight FMA chains run at once.
     */
    private static void scores(float[] panel, int mp, float[] x, int x0, float[] bias, int b0, int n, int h, float[] out) {
        for (int mb = 0; mb < mp; mb += LM) {
            int jj = 0;
            for (; jj + 2 <= n; jj += 2) {
                int xa = x0 + jj * h, xb = xa + h;
                FloatVector a0 = FloatVector.zero(SM), a1 = FloatVector.zero(SM), a2 = FloatVector.zero(SM), a3 = FloatVector.zero(SM);
                FloatVector c0 = FloatVector.zero(SM), c1 = FloatVector.zero(SM), c2 = FloatVector.zero(SM), c3 = FloatVector.zero(SM);
                int i = 0;
                for (; i + 4 <= h; i += 4) {
                    int q = i * mp + mb;
                    FloatVector p0 = FloatVector.fromArray(SM, panel, q), p1 = FloatVector.fromArray(SM, panel, q + mp);
                    FloatVector p2 = FloatVector.fromArray(SM, panel, q + 2 * mp), p3 = FloatVector.fromArray(SM, panel, q + 3 * mp);
                    a0 = p0.fma(FloatVector.broadcast(SM, x[xa + i]), a0);
                    c0 = p0.fma(FloatVector.broadcast(SM, x[xb + i]), c0);
                    a1 = p1.fma(FloatVector.broadcast(SM, x[xa + i + 1]), a1);
                    c1 = p1.fma(FloatVector.broadcast(SM, x[xb + i + 1]), c1);
                    a2 = p2.fma(FloatVector.broadcast(SM, x[xa + i + 2]), a2);
                    c2 = p2.fma(FloatVector.broadcast(SM, x[xb + i + 2]), c2);
                    a3 = p3.fma(FloatVector.broadcast(SM, x[xa + i + 3]), a3);
                    c3 = p3.fma(FloatVector.broadcast(SM, x[xb + i + 3]), c3);
                }
                for (; i < h; i++) {
                    FloatVector p0 = FloatVector.fromArray(SM, panel, i * mp + mb);
                    a0 = p0.fma(FloatVector.broadcast(SM, x[xa + i]), a0);
                    c0 = p0.fma(FloatVector.broadcast(SM, x[xb + i]), c0);
                }
                FloatVector sa = a0.add(a1).add(a2.add(a3)), sb = c0.add(c1).add(c2.add(c3));
                if (bias != null) {
                    sa = sa.add(bias[b0 + jj]);
                    sb = sb.add(bias[b0 + jj + 1]);
                }
                sa.intoArray(out, jj * mp + mb);
                sb.intoArray(out, (jj + 1) * mp + mb);
            }
            if (jj < n) {
                FloatVector sa = panelDot(panel, mp, mb, x, x0 + jj * h, h);
                if (bias != null) sa = sa.add(bias[b0 + jj]);
                sa.intoArray(out, jj * mp + mb);
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

    /**
     * acc[a0 + m*h + i] += sum_jj w[jj*M' + m] * x[x0 + jj*h + i] for the n rows of x and all M anchors: a small
     * (M x n) x (n x h) product with 4 anchors x 2 vectors of h held in registers while the rows stream past, so
     * acc is loaded and stored once per call instead of once per row.
     */
    private static void weightedRows(float[] w, int mp, float[] x, int x0, int n, int h, int nm, float[] acc, int a0) {
        int m = 0;
        for (; m + 4 <= nm; m += 4) {
            int o0 = a0 + m * h, o1 = o0 + h, o2 = o1 + h, o3 = o2 + h;
            int i = 0;
            for (; i + 2 * L <= h; i += 2 * L) {
                FloatVector c00 = FloatVector.fromArray(S, acc, o0 + i), c01 = FloatVector.fromArray(S, acc, o0 + i + L);
                FloatVector c10 = FloatVector.fromArray(S, acc, o1 + i), c11 = FloatVector.fromArray(S, acc, o1 + i + L);
                FloatVector c20 = FloatVector.fromArray(S, acc, o2 + i), c21 = FloatVector.fromArray(S, acc, o2 + i + L);
                FloatVector c30 = FloatVector.fromArray(S, acc, o3 + i), c31 = FloatVector.fromArray(S, acc, o3 + i + L);
                for (int jj = 0; jj < n; jj++) {
                    int xo = x0 + jj * h + i, wo = jj * mp + m;
                    FloatVector v0 = FloatVector.fromArray(S, x, xo), v1 = FloatVector.fromArray(S, x, xo + L);
                    FloatVector b = FloatVector.broadcast(S, w[wo]);
                    c00 = v0.fma(b, c00);
                    c01 = v1.fma(b, c01);
                    b = FloatVector.broadcast(S, w[wo + 1]);
                    c10 = v0.fma(b, c10);
                    c11 = v1.fma(b, c11);
                    b = FloatVector.broadcast(S, w[wo + 2]);
                    c20 = v0.fma(b, c20);
                    c21 = v1.fma(b, c21);
                    b = FloatVector.broadcast(S, w[wo + 3]);
                    c30 = v0.fma(b, c30);
                    c31 = v1.fma(b, c31);
                }
                c00.intoArray(acc, o0 + i);
                c01.intoArray(acc, o0 + i + L);
                c10.intoArray(acc, o1 + i);
                c11.intoArray(acc, o1 + i + L);
                c20.intoArray(acc, o2 + i);
                c21.intoArray(acc, o2 + i + L);
                c30.intoArray(acc, o3 + i);
                c31.intoArray(acc, o3 + i + L);
            }
            for (; i + L <= h; i += L) {
                FloatVector c0 = FloatVector.fromArray(S, acc, o0 + i), c1 = FloatVector.fromArray(S, acc, o1 + i);
                FloatVector c2 = FloatVector.fromArray(S, acc, o2 + i), c3 = FloatVector.fromArray(S, acc, o3 + i);
                for (int jj = 0; jj < n; jj++) {
                    FloatVector v = FloatVector.fromArray(S, x, x0 + jj * h + i);
                    int wo = jj * mp + m;
                    c0 = v.fma(FloatVector.broadcast(S, w[wo]), c0);
                    c1 = v.fma(FloatVector.broadcast(S, w[wo + 1]), c1);
                    c2 = v.fma(FloatVector.broadcast(S, w[wo + 2]), c2);
                    c3 = v.fma(FloatVector.broadcast(S, w[wo + 3]), c3);
                }
                c0.intoArray(acc, o0 + i);
                c1.intoArray(acc, o1 + i);
                c2.intoArray(acc, o2 + i);
                c3.intoArray(acc, o3 + i);
            }
            for (; i < h; i++) {
                for (int q = 0; q < 4; q++) {
                    float sum = acc[o0 + q * h + i];
                    for (int jj = 0; jj < n; jj++) sum += w[jj * mp + m + q] * x[x0 + jj * h + i];
                    acc[o0 + q * h + i] = sum;
                }
            }
        }
        for (; m < nm; m++) {
            int o0 = a0 + m * h;
            int i = 0;
            for (; i + L <= h; i += L) {
                FloatVector c0 = FloatVector.fromArray(S, acc, o0 + i);
                for (int jj = 0; jj < n; jj++) c0 = FloatVector.fromArray(S, x, x0 + jj * h + i).fma(FloatVector.broadcast(S, w[jj * mp + m]), c0);
                c0.intoArray(acc, o0 + i);
            }
            for (; i < h; i++) {
                float sum = acc[o0 + i];
                for (int jj = 0; jj < n; jj++) sum += w[jj * mp + m] * x[x0 + jj * h + i];
                acc[o0 + i] = sum;
            }
        }
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
        final int h = c.h(), nm = c.anchors(), mp = padAnchors(nm);
        final int[] rowPtr = c.rowPtr();
        final float inv = c.invSqrtH();
        float[] drT = new float[h * mp];
        int cap = maxRow(rowPtr, rowFrom, rowTo);
        float[] vrow = new float[cap * h];
        // Row-local copies with padded anchor lanes (zero), so every anchor vector load is a full one.
        float[] aRow = new float[cap * mp], dsRow = new float[cap * mp];
        float[] dAl = new float[nm * h];
        for (int t = rowFrom; t < rowTo; t++) {
            int from = rowPtr[t], to = rowPtr[t + 1], n = to - from;
            gather(c, from, to, vrow, null);
            // dr[t] transposed like the anchors: da[., j] = dr[t] . V[k_j] for all anchors is then a panel product.
            for (int m = 0; m < nm; m++) {
                int d = (t * nm + m) * h;
                for (int i = 0; i < h; i++) drT[i * mp + m] = dr[d + i];
            }
            for (int jj = 0; jj < n; jj++) System.arraycopy(attn, (from + jj) * nm, aRow, jj * mp, nm);
            scores(drT, mp, vrow, 0, null, 0, n, h, dsRow);
            for (int mb = 0; mb < mp; mb += LM) {
                // sum_j a da = dr . r: the mean the softmax Jacobian subtracts.
                FloatVector rd = FloatVector.zero(SM);
                for (int jj = 0; jj < n; jj++) rd = FloatVector.fromArray(SM, aRow, jj * mp + mb).fma(FloatVector.fromArray(SM, dsRow, jj * mp + mb), rd);
                for (int jj = 0; jj < n; jj++) {
                    int q = jj * mp + mb;
                    FloatVector.fromArray(SM, aRow, q).mul(FloatVector.fromArray(SM, dsRow, q).sub(rd)).intoArray(dsRow, q);
                }
            }
            for (int jj = 0; jj < n; jj++) System.arraycopy(dsRow, jj * mp, ds, (from + jj) * nm, nm);
            // dA[m] += sum_j ds[m,j] V[k_j], with 1/sqrt(h) applied once per chunk.
            weightedRows(dsRow, mp, vrow, 0, n, h, nm, dAl, 0);
        }
        for (int x = 0; x < nm * h; x++) dA[x] += dAl[x] * inv;
    }

    @Override
    public void interestGrads(RowAttentionCall c, int rows, int kLo, int kHi, float[] attn, float[] ds, float[] dr, float[] grad) {
        final int h = c.h(), nm = c.anchors(), vOff = c.vOff(), rowW = nm * h;
        final int[] rowPtr = c.rowPtr(), cols = c.cols();
        // A / sqrt(h), so that ds multiplies it directly.
        float[] as = new float[nm * h];
        for (int x = 0; x < as.length; x++) as[x] = c.params()[c.aOff() + x] * c.invSqrtH();
        for (int t = 0; t < rows; t++) {
            // Rows stream in order: dr[t] (M*h floats, contiguous) is prefetched and reused by the row's interests.
            for (int j = rowPtr[t]; j < rowPtr[t + 1]; j++) {
                int k = cols[j];
                if (k < kLo || k >= kHi) continue;
                int go = vOff + k * h, d0 = t * rowW, w0 = j * nm;
                int i = 0;
                for (; i + 4 * L <= h; i += 4 * L) {
                    FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
                    for (int m = 0, d = d0 + i, q = i; m < nm; m++, d += h, q += h) {
                        FloatVector wa = FloatVector.broadcast(S, attn[w0 + m]), wd = FloatVector.broadcast(S, ds[w0 + m]);
                        a0 = FloatVector.fromArray(S, dr, d).fma(wa, a0);
                        a1 = FloatVector.fromArray(S, dr, d + L).fma(wa, a1);
                        a2 = FloatVector.fromArray(S, dr, d + 2 * L).fma(wa, a2);
                        a3 = FloatVector.fromArray(S, dr, d + 3 * L).fma(wa, a3);
                        a0 = FloatVector.fromArray(S, as, q).fma(wd, a0);
                        a1 = FloatVector.fromArray(S, as, q + L).fma(wd, a1);
                        a2 = FloatVector.fromArray(S, as, q + 2 * L).fma(wd, a2);
                        a3 = FloatVector.fromArray(S, as, q + 3 * L).fma(wd, a3);
                    }
                    FloatVector.fromArray(S, grad, go + i).add(a0).intoArray(grad, go + i);
                    FloatVector.fromArray(S, grad, go + i + L).add(a1).intoArray(grad, go + i + L);
                    FloatVector.fromArray(S, grad, go + i + 2 * L).add(a2).intoArray(grad, go + i + 2 * L);
                    FloatVector.fromArray(S, grad, go + i + 3 * L).add(a3).intoArray(grad, go + i + 3 * L);
                }
                for (; i + L <= h; i += L) {
                    FloatVector a0 = FloatVector.zero(S);
                    for (int m = 0; m < nm; m++) {
                        a0 = FloatVector.fromArray(S, dr, d0 + m * h + i).fma(FloatVector.broadcast(S, attn[w0 + m]), a0);
                        a0 = FloatVector.fromArray(S, as, m * h + i).fma(FloatVector.broadcast(S, ds[w0 + m]), a0);
                    }
                    FloatVector.fromArray(S, grad, go + i).add(a0).intoArray(grad, go + i);
                }
                for (; i < h; i++) {
                    float sum = 0f;
                    for (int m = 0; m < nm; m++) sum += attn[w0 + m] * dr[d0 + m * h + i] + ds[w0 + m] * as[m * h + i];
                    grad[go + i] += sum;
                }
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

    /** y *= a. */
    private static void scale(float a, float[] y, int yo, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(S, a);
        for (; i + L <= n; i += L) FloatVector.fromArray(S, y, yo + i).mul(va).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] *= a;
    }

    /** y = a * x. */
    private static void scaleInto(float a, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(S, a);
        for (; i + L <= n; i += L) FloatVector.fromArray(S, x, xo + i).mul(va).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] = x[xo + i] * a;
    }
}
