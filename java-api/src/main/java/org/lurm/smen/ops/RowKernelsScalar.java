package org.lurm.smen.ops;

import java.util.Arrays;

/**
 * Plain Java row kernels: the reference the Vector API kernels are tested against, and the fallback when
 * {@code jdk.incubator.vector} is absent. Same algorithm (one pass with an online softmax, two-pass backward)
 * written with scalar loops in the obvious order. Stateless and thread-safe.
 */
final class RowKernelsScalar implements RowKernels {
    static final RowKernelsScalar INSTANCE = new RowKernelsScalar();

    private RowKernelsScalar() {
    }

    @Override
    public String name() {
        return SCALAR;
    }

    @Override
    public void attendRows(RowAttentionCall c, int rowFrom, int rowTo, float[] r, float[] attn) {
        final int h = c.h(), nm = c.anchors(), vOff = c.vOff(), aOff = c.aOff();
        final float inv = c.invSqrtH();
        final float[] p = c.params();
        final int[] rowPtr = c.rowPtr(), cols = c.cols();
        final float[] vals = c.vals();
        float[] acc = new float[nm * h];
        float[] mx = new float[nm];
        float[] l = new float[nm];
        for (int t = rowFrom; t < rowTo; t++) {
            Arrays.fill(acc, 0f);
            Arrays.fill(mx, Float.NEGATIVE_INFINITY);
            Arrays.fill(l, 0f);
            int from = rowPtr[t], to = rowPtr[t + 1];
            for (int j = from; j < to; j++) {
                int vo = vOff + cols[j] * h;
                float lw = (float) StrictMath.log(vals[j]);
                for (int m = 0; m < nm; m++) {
                    int ao = aOff + m * h;
                    float s = 0f;
                    for (int i = 0; i < h; i++) s += p[ao + i] * p[vo + i];
                    s = s * inv + lw;
                    if (attn != null) attn[j * nm + m] = s;
                    int ac = m * h;
                    if (s > mx[m]) {
                        // New running max: rescale what was summed under the old one (exp(-inf) = 0 at the first).
                        float sc = (float) StrictMath.exp(mx[m] - s);
                        l[m] = l[m] * sc + 1f;
                        for (int i = 0; i < h; i++) acc[ac + i] = acc[ac + i] * sc + p[vo + i];
                        mx[m] = s;
                    } else {
                        float e = (float) StrictMath.exp(s - mx[m]);
                        l[m] += e;
                        for (int i = 0; i < h; i++) acc[ac + i] += e * p[vo + i];
                    }
                }
            }
            for (int m = 0; m < nm; m++) {
                float il = 1f / l[m];
                int ro = (t * nm + m) * h, ac = m * h;
                for (int i = 0; i < h; i++) r[ro + i] = acc[ac + i] * il;
            }
            if (attn != null) {
                for (int j = from; j < to; j++) {
                    for (int m = 0; m < nm; m++) attn[j * nm + m] = (float) StrictMath.exp(attn[j * nm + m] - mx[m]) / l[m];
                }
            }
        }
    }

    @Override
    public void attendRowsBackward(RowAttentionCall c, int rowFrom, int rowTo, float[] attn, float[] dr, float[] ds, float[] dA) {
        final int h = c.h(), nm = c.anchors(), vOff = c.vOff();
        final float inv = c.invSqrtH();
        final float[] p = c.params();
        final int[] rowPtr = c.rowPtr(), cols = c.cols();
        float[] rdot = new float[nm];
        for (int t = rowFrom; t < rowTo; t++) {
            int from = rowPtr[t], to = rowPtr[t + 1];
            Arrays.fill(rdot, 0f);
            // da[m,j] = dr[t,m] . V[k_j]; sum_j a da = dr . r, the softmax's subtracted mean.
            for (int j = from; j < to; j++) {
                int vo = vOff + cols[j] * h;
                for (int m = 0; m < nm; m++) {
                    int d = (t * nm + m) * h;
                    float da = 0f;
                    for (int i = 0; i < h; i++) da += dr[d + i] * p[vo + i];
                    ds[j * nm + m] = da;
                    rdot[m] += attn[j * nm + m] * da;
                }
            }
            for (int j = from; j < to; j++) {
                int vo = vOff + cols[j] * h;
                for (int m = 0; m < nm; m++) {
                    float g = attn[j * nm + m] * (ds[j * nm + m] - rdot[m]);
                    ds[j * nm + m] = g;
                    float gs = g * inv;
                    int ao = m * h;
                    for (int i = 0; i < h; i++) dA[ao + i] += gs * p[vo + i];
                }
            }
        }
    }

    @Override
    public void interestGrads(RowAttentionCall c, int rows, int kLo, int kHi, float[] attn, float[] ds, float[] dr, float[] grad) {
        final int h = c.h(), nm = c.anchors(), vOff = c.vOff(), aOff = c.aOff();
        final float inv = c.invSqrtH();
        final float[] p = c.params();
        final int[] rowPtr = c.rowPtr(), cols = c.cols();
        float[] g = new float[h];
        for (int t = 0; t < rows; t++) {
            for (int j = rowPtr[t]; j < rowPtr[t + 1]; j++) {
                int k = cols[j];
                if (k < kLo || k >= kHi) continue;
                Arrays.fill(g, 0f);
                for (int m = 0; m < nm; m++) {
                    float a = attn[j * nm + m], cs = ds[j * nm + m] * inv;
                    int d = (t * nm + m) * h, ao = aOff + m * h;
                    for (int i = 0; i < h; i++) g[i] += a * dr[d + i] + cs * p[ao + i];
                }
                int go = vOff + k * h;
                for (int i = 0; i < h; i++) grad[go + i] += g[i];
            }
        }
    }

    @Override
    public void projectRows(RowProjectionCall c, int rowFrom, int rowTo, float[] r, float[] o) {
        final int h = c.h(), nm = c.anchors(), dp = c.anchorDim();
        final float[] p = c.params();
        for (int t = rowFrom; t < rowTo; t++) {
            for (int m = 0; m < nm; m++) {
                int ro = (t * nm + m) * h, oo = (t * nm + m) * dp, wo = c.wOff() + m * h * dp, bo = c.bOff() + m * dp;
                for (int jj = 0; jj < dp; jj++) {
                    float s = p[bo + jj];
                    for (int i = 0; i < h; i++) s += r[ro + i] * p[wo + i * dp + jj];
                    o[oo + jj] = s;
                }
            }
        }
    }

    @Override
    public void projectRowsBackward(RowProjectionCall c, int rowFrom, int rowTo, float[] r, float[] dout, float[] dr, float[] dW, float[] db) {
        final int h = c.h(), nm = c.anchors(), dp = c.anchorDim();
        final float[] p = c.params();
        for (int t = rowFrom; t < rowTo; t++) {
            for (int m = 0; m < nm; m++) {
                int ro = (t * nm + m) * h, oo = (t * nm + m) * dp, wo = c.wOff() + m * h * dp, wl = m * h * dp;
                for (int i = 0; i < h; i++) {
                    float s = 0f;
                    for (int jj = 0; jj < dp; jj++) s += dout[oo + jj] * p[wo + i * dp + jj];
                    dr[ro + i] += s;
                    float ri = r[ro + i];
                    for (int jj = 0; jj < dp; jj++) dW[wl + i * dp + jj] += ri * dout[oo + jj];
                }
                for (int jj = 0; jj < dp; jj++) db[m * dp + jj] += dout[oo + jj];
            }
        }
    }
}
