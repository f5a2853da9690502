package org.lurm.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;

/**
 * Vector API kernels. Loaded reflectively by {@link CpuBackendProvider} only when the
 * {@code jdk.incubator.vector} module is readable.
 *
 * <p>Vectorise only when the length exceeds two vector widths (short loops lose to the scalar code on setup);
 * several independent accumulators hide FMA latency (we don't know how many FMAs the CPU can issue at once);
 * a scalar tail handles the rest.
 *
 * <p>Nearest-centroid search ({@link #nearest}) is GEMM-shaped and works differently: centroids are packed
 * into panels of one vector width (lane j of panel p holds centroid p*L+j, dimension by dimension), so one
 * point coordinate broadcast against one panel load gives L partial scores at once and no horizontal sum is
 * needed. A 4-point x 2-panel register tile (8 accumulators) is computed per pass over the dimensions; panels
 * are walked in blocks that stay in L2 while a sub-chunk of points streams through them.
 */
public final class SimdKernels implements VectorKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Rotations by L/2, L/4, ..., 1 lanes for {@link #hsum}. */
    private static final VectorShuffle<Float>[] ROTATIONS = rotations();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] rotations() {
        int n = Integer.numberOfTrailingZeros(L);
        VectorShuffle<Float>[] r = new VectorShuffle[n];
        for (int i = 0, shift = L / 2; shift >= 1; shift /= 2, i++) r[i] = VectorShuffle.iota(S, shift, 1, true);
        return r;
    }

    /**
     * Sum of the lanes in a fixed pairwise order. reduceLanes(ADD) may sum in a different order once C2
     * compiles it than when interpreted, so the same call could return different bits early and late in a run;
     * explicit lane-wise adds of rotations keep every result reproducible.
     */
    static float hsum(FloatVector v) {
        for (VectorShuffle<Float> r : ROTATIONS) v = v.add(v.rearrange(r));
        return v.lane(0);
    }

    @Override
    public String name() {
        return "vector-api-" + S.vectorBitSize() + "bit";
    }

    @Override
    public float dot(MemorySegment a, long aOff, MemorySegment b, long bOff, int n) {
        int i = 0;
        float res = 0f;
        if (n >= 2 * L) {
            FloatVector acc1 = FloatVector.zero(S), acc2 = FloatVector.zero(S), acc3 = FloatVector.zero(S), acc4 = FloatVector.zero(S);
            long ab = aOff * 4, bb = bOff * 4;
            int bound4 = n - n % (4 * L);
            for (; i < bound4; i += 4 * L) {
                long o = (long) i * 4;
                acc1 = FloatVector.fromMemorySegment(S, a, ab + o, LE).fma(FloatVector.fromMemorySegment(S, b, bb + o, LE), acc1);
                acc2 = FloatVector.fromMemorySegment(S, a, ab + o + 4L * L, LE).fma(FloatVector.fromMemorySegment(S, b, bb + o + 4L * L, LE), acc2);
                acc3 = FloatVector.fromMemorySegment(S, a, ab + o + 8L * L, LE).fma(FloatVector.fromMemorySegment(S, b, bb + o + 8L * L, LE), acc3);
                acc4 = FloatVector.fromMemorySegment(S, a, ab + o + 12L * L, LE).fma(FloatVector.fromMemorySegment(S, b, bb + o + 12L * L, LE), acc4);
            }
            int bound = n - n % L;
            for (; i < bound; i += L) {
                long o = (long) i * 4;
                acc1 = FloatVector.fromMemorySegment(S, a, ab + o, LE).fma(FloatVector.fromMemorySegment(S, b, bb + o, LE), acc1);
            }
            res = hsum(acc1.add(acc2).add(acc3.add(acc4)));
        }
        for (; i < n; i++) res += a.getAtIndex(org.lurm.memory.F32Array.LAYOUT, aOff + i) * b.getAtIndex(org.lurm.memory.F32Array.LAYOUT, bOff + i);
        return res;
    }

    @Override
    public void axpy(float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff, int n) {
        int i = 0;
        if (n >= 2 * L) {
            FloatVector va = FloatVector.broadcast(S, alpha);
            long xb = xOff * 4, yb = yOff * 4;
            int bound = n - n % L;
            for (; i < bound; i += L) {
                long o = (long) i * 4;
                FloatVector.fromMemorySegment(S, x, xb + o, LE).fma(va, FloatVector.fromMemorySegment(S, y, yb + o, LE)).intoMemorySegment(y, yb + o, LE);
            }
        }
        for (; i < n; i++) {
            long yi = yOff + i;
            y.setAtIndex(org.lurm.memory.F32Array.LAYOUT, yi, y.getAtIndex(org.lurm.memory.F32Array.LAYOUT, yi) + alpha * x.getAtIndex(org.lurm.memory.F32Array.LAYOUT, xOff + i));
        }
    }

    /**
     * Register-blocked: the output row is computed in panels of up to four vectors held in registers while the
     * row's non-zeros stream past, so each non-zero costs only the loads of x (no load and store of the output
     * per non-zero, as with one axpy per non-zero); the last partial vector is masked, not scalar.
     */
    @Override
    public void csrRow(MemorySegment cols, MemorySegment vals, long from, long to, MemorySegment x, int r, MemorySegment out, long outOff) {
        long rb = 4L * r;
        int p = 0;
        for (; p + 8 * L <= r; p += 8 * L) {
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
            FloatVector a4 = FloatVector.zero(S), a5 = FloatVector.zero(S), a6 = FloatVector.zero(S), a7 = FloatVector.zero(S);
            long pb = 4L * p;
            for (long j = from; j < to; j++) {
                FloatVector v = FloatVector.broadcast(S, vals.getAtIndex(F32Array.LAYOUT, j));
                long b = cols.getAtIndex(I32Array.LAYOUT, j) * rb + pb;
                a0 = FloatVector.fromMemorySegment(S, x, b, LE).fma(v, a0);
                a1 = FloatVector.fromMemorySegment(S, x, b + 4L * L, LE).fma(v, a1);
                a2 = FloatVector.fromMemorySegment(S, x, b + 8L * L, LE).fma(v, a2);
                a3 = FloatVector.fromMemorySegment(S, x, b + 12L * L, LE).fma(v, a3);
                a4 = FloatVector.fromMemorySegment(S, x, b + 16L * L, LE).fma(v, a4);
                a5 = FloatVector.fromMemorySegment(S, x, b + 20L * L, LE).fma(v, a5);
                a6 = FloatVector.fromMemorySegment(S, x, b + 24L * L, LE).fma(v, a6);
                a7 = FloatVector.fromMemorySegment(S, x, b + 28L * L, LE).fma(v, a7);
            }
            long ob = 4L * (outOff + p);
            a0.intoMemorySegment(out, ob, LE);
            a1.intoMemorySegment(out, ob + 4L * L, LE);
            a2.intoMemorySegment(out, ob + 8L * L, LE);
            a3.intoMemorySegment(out, ob + 12L * L, LE);
            a4.intoMemorySegment(out, ob + 16L * L, LE);
            a5.intoMemorySegment(out, ob + 20L * L, LE);
            a6.intoMemorySegment(out, ob + 24L * L, LE);
            a7.intoMemorySegment(out, ob + 28L * L, LE);
        }
        for (; p + 4 * L <= r; p += 4 * L) {
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
            long pb = 4L * p;
            for (long j = from; j < to; j++) {
                FloatVector v = FloatVector.broadcast(S, vals.getAtIndex(F32Array.LAYOUT, j));
                long b = cols.getAtIndex(I32Array.LAYOUT, j) * rb + pb;
                a0 = FloatVector.fromMemorySegment(S, x, b, LE).fma(v, a0);
                a1 = FloatVector.fromMemorySegment(S, x, b + 4L * L, LE).fma(v, a1);
                a2 = FloatVector.fromMemorySegment(S, x, b + 8L * L, LE).fma(v, a2);
                a3 = FloatVector.fromMemorySegment(S, x, b + 12L * L, LE).fma(v, a3);
            }
            long ob = 4L * (outOff + p);
            a0.intoMemorySegment(out, ob, LE);
            a1.intoMemorySegment(out, ob + 4L * L, LE);
            a2.intoMemorySegment(out, ob + 8L * L, LE);
            a3.intoMemorySegment(out, ob + 12L * L, LE);
        }
        for (; p < r; p += L) {
            VectorMask<Float> m = S.indexInRange(p, r);
            boolean full = p + L <= r;
            FloatVector a = FloatVector.zero(S);
            long pb = 4L * p;
            for (long j = from; j < to; j++) {
                FloatVector v = FloatVector.broadcast(S, vals.getAtIndex(F32Array.LAYOUT, j));
                long b = cols.getAtIndex(I32Array.LAYOUT, j) * rb + pb;
                a = (full ? FloatVector.fromMemorySegment(S, x, b, LE) : FloatVector.fromMemorySegment(S, x, b, LE, m)).fma(v, a);
            }
            if (full) a.intoMemorySegment(out, 4L * (outOff + p), LE);
            else a.intoMemorySegment(out, 4L * (outOff + p), LE, m);
        }
    }

    @Override
    public void dot4(MemorySegment x, long xOff, MemorySegment m, long o0, long o1, long o2, long o3, int n, float[] out) {
        int i = 0;
        float r0 = 0, r1 = 0, r2 = 0, r3 = 0;
        if (n >= 2 * L) {
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
            long xb = xOff * 4, b0 = o0 * 4, b1 = o1 * 4, b2 = o2 * 4, b3 = o3 * 4;
            int bound = n - n % L;
            for (; i < bound; i += L) {
                long o = (long) i * 4;
                FloatVector vx = FloatVector.fromMemorySegment(S, x, xb + o, LE);
                a0 = vx.fma(FloatVector.fromMemorySegment(S, m, b0 + o, LE), a0);
                a1 = vx.fma(FloatVector.fromMemorySegment(S, m, b1 + o, LE), a1);
                a2 = vx.fma(FloatVector.fromMemorySegment(S, m, b2 + o, LE), a2);
                a3 = vx.fma(FloatVector.fromMemorySegment(S, m, b3 + o, LE), a3);
            }
            r0 = hsum(a0);
            r1 = hsum(a1);
            r2 = hsum(a2);
            r3 = hsum(a3);
        }
        for (; i < n; i++) {
            float xv = x.getAtIndex(org.lurm.memory.F32Array.LAYOUT, xOff + i);
            r0 += xv * m.getAtIndex(org.lurm.memory.F32Array.LAYOUT, o0 + i);
            r1 += xv * m.getAtIndex(org.lurm.memory.F32Array.LAYOUT, o1 + i);
            r2 += xv * m.getAtIndex(org.lurm.memory.F32Array.LAYOUT, o2 + i);
            r3 += xv * m.getAtIndex(org.lurm.memory.F32Array.LAYOUT, o3 + i);
        }
        out[0] = r0;
        out[1] = r1;
        out[2] = r2;
        out[3] = r3;
    }

    /** Below this many centroids a panel would be mostly padding: use one dot product per centroid instead. */
    private static final int MIN_PANEL_K = Math.max(2, L / 2);
    /** Bytes of packed centroids per block: fits L2 (512 KiB and more on current x86) with room for the points. */
    private static final int PANEL_BLOCK_BYTES = 128 * 1024;
    /** Points copied to the heap and held while every centroid block streams past them. */
    private static final int SUB_POINTS = 128;
    private static final int MAX_PACKED = Integer.MAX_VALUE - 64;
    private static final FloatVector NEG_INF = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
    private static final FloatVector POS_INF = FloatVector.broadcast(S, Float.POSITIVE_INFINITY);
    private static final FloatVector LANE_STEP = FloatVector.broadcast(S, (float) L);
    private static final FloatVector IOTA;

    static {
        float[] iota = new float[L];
        for (int i = 0; i < L; i++) iota[i] = i;
        IOTA = FloatVector.fromArray(S, iota, 0);
    }

    /** Panels of L centroids, dimension-major inside a panel; bias is 0 for real lanes, -Inf for padding. */
    private record Panels(float[] data, float[] bias, int count, int dim, int panels) implements PackedCentroids {
    }

    @Override
    public PackedCentroids packCentroids(MemorySegment centroids, long off, int k, int dim) {
        int np = (k + L - 1) / L;
        long size = (long) np * dim * L;
        if (k < MIN_PANEL_K || size > MAX_PACKED) return new ScalarKernels.RowMajor(centroids, off, k, dim);
        float[] data = new float[(int) size];
        float[] row = new float[dim];
        for (int c = 0; c < k; c++) {
            MemorySegment.copy(centroids, F32Array.LAYOUT, (off + (long) c * dim) * 4, row, 0, dim);
            int base = (c / L) * dim * L + c % L;
            for (int d = 0; d < dim; d++) data[base + d * L] = row[d];
        }
        // Padding lanes start at -Inf, so they can never win and no per-tile masking is needed.
        float[] bias = new float[np * L];
        Arrays.fill(bias, k, bias.length, Float.NEGATIVE_INFINITY);
        return new Panels(data, bias, k, dim, np);
    }

    @Override
    public void nearest(PackedCentroids centroids, MemorySegment points, long pointOff, int count,
                        MemorySegment outIndex, MemorySegment outScore, long outOff) {
        if (centroids instanceof Panels p) nearestPanels(p, points, pointOff, count, outIndex, outScore, outOff);
        else nearestRows((ScalarKernels.RowMajor) centroids, points, pointOff, count, outIndex, outScore, outOff);
    }

    private void nearestRows(ScalarKernels.RowMajor c, MemorySegment points, long pointOff, int count,
                             MemorySegment outIndex, MemorySegment outScore, long outOff) {
        ScalarKernels.nearestRows(this, c, points, pointOff, count, outIndex, outScore, outOff);
    }

    private static void nearestPanels(Panels pc, MemorySegment points, long pointOff, int count,
                                      MemorySegment outIndex, MemorySegment outScore, long outOff) {
        int dim = pc.dim(), np = pc.panels();
        float[] data = pc.data(), bias = pc.bias();
        int blockPanels = Math.max(2, (PANEL_BLOCK_BYTES / (dim * L * 4)) & ~1);
        int sub = Math.min(SUB_POINTS, count);
        float[] xs = new float[sub * dim];
        float[] best = new float[sub];
        int[] bestIdx = new int[sub];
        int maxWidth = Math.min(blockPanels, np) * L;
        float[] tile = new float[4 * maxWidth];
        for (int s = 0; s < count; s += SUB_POINTS) {
            int m = Math.min(SUB_POINTS, count - s);
            MemorySegment.copy(points, F32Array.LAYOUT, (pointOff + (long) s * dim) * 4, xs, 0, m * dim);
            Arrays.fill(best, 0, m, Float.NEGATIVE_INFINITY);
            Arrays.fill(bestIdx, 0, m, 0);
            // Blocks in ascending centroid order: a later block must be strictly better to win, so ties keep
            // the lower index across blocks as well as inside one.
            for (int pb = 0; pb < np; pb += blockPanels) {
                int pe = Math.min(np, pb + blockPanels);
                int width = (pe - pb) * L;
                int i = 0;
                for (; i + 4 <= m; i += 4) {
                    int xo = i * dim;
                    int p = pb;
                    for (; p + 2 <= pe; p += 2) tile4x2(data, bias, xs, xo, dim, p, tile, (p - pb) * L, width);
                    if (p < pe) tile4x1(data, bias, xs, xo, dim, p, tile, (p - pb) * L, width);
                    for (int q = 0; q < 4; q++) merge(tile, q * width, width, pb * L, best, bestIdx, i + q);
                }
                for (; i < m; i++) {
                    int xo = i * dim;
                    int p = pb;
                    for (; p + 2 <= pe; p += 2) tile1x2(data, bias, xs, xo, dim, p, tile, (p - pb) * L);
                    if (p < pe) tile1x1(data, bias, xs, xo, dim, p, tile, (p - pb) * L);
                    merge(tile, 0, width, pb * L, best, bestIdx, i);
                }
            }
            for (int j = 0; j < m; j++) {
                outIndex.setAtIndex(I32Array.LAYOUT, outOff + s + j, bestIdx[j]);
                outScore.setAtIndex(F32Array.LAYOUT, outOff + s + j, best[j]);
            }
        }
    }

    /** Scores of 4 points (rows xo, xo+dim, ...) against panels p and p+1, written to 4 tile rows of width w. */
    private static void tile4x2(float[] data, float[] bias, float[] xs, int xo, int dim, int p, float[] tile, int to, int w) {
        int c0 = p * dim * L, c1 = c0 + dim * L;
        FloatVector b0 = FloatVector.fromArray(S, bias, p * L), b1 = FloatVector.fromArray(S, bias, p * L + L);
        FloatVector a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
        int x1 = xo + dim, x2 = x1 + dim, x3 = x2 + dim;
        for (int d = 0; d < dim; d++) {
            FloatVector v0 = FloatVector.fromArray(S, data, c0 + d * L);
            FloatVector v1 = FloatVector.fromArray(S, data, c1 + d * L);
            FloatVector x = FloatVector.broadcast(S, xs[xo + d]);
            a00 = v0.fma(x, a00);
            a01 = v1.fma(x, a01);
            x = FloatVector.broadcast(S, xs[x1 + d]);
            a10 = v0.fma(x, a10);
            a11 = v1.fma(x, a11);
            x = FloatVector.broadcast(S, xs[x2 + d]);
            a20 = v0.fma(x, a20);
            a21 = v1.fma(x, a21);
            x = FloatVector.broadcast(S, xs[x3 + d]);
            a30 = v0.fma(x, a30);
            a31 = v1.fma(x, a31);
        }
        a00.intoArray(tile, to);
        a01.intoArray(tile, to + L);
        a10.intoArray(tile, to + w);
        a11.intoArray(tile, to + w + L);
        a20.intoArray(tile, to + 2 * w);
        a21.intoArray(tile, to + 2 * w + L);
        a30.intoArray(tile, to + 3 * w);
        a31.intoArray(tile, to + 3 * w + L);
    }

    private static void tile4x1(float[] data, float[] bias, float[] xs, int xo, int dim, int p, float[] tile, int to, int w) {
        int c0 = p * dim * L;
        FloatVector b0 = FloatVector.fromArray(S, bias, p * L);
        FloatVector a0 = b0, a1 = b0, a2 = b0, a3 = b0;
        int x1 = xo + dim, x2 = x1 + dim, x3 = x2 + dim;
        for (int d = 0; d < dim; d++) {
            FloatVector v0 = FloatVector.fromArray(S, data, c0 + d * L);
            a0 = v0.fma(FloatVector.broadcast(S, xs[xo + d]), a0);
            a1 = v0.fma(FloatVector.broadcast(S, xs[x1 + d]), a1);
            a2 = v0.fma(FloatVector.broadcast(S, xs[x2 + d]), a2);
            a3 = v0.fma(FloatVector.broadcast(S, xs[x3 + d]), a3);
        }
        a0.intoArray(tile, to);
        a1.intoArray(tile, to + w);
        a2.intoArray(tile, to + 2 * w);
        a3.intoArray(tile, to + 3 * w);
    }

    private static void tile1x2(float[] data, float[] bias, float[] xs, int xo, int dim, int p, float[] tile, int to) {
        int c0 = p * dim * L, c1 = c0 + dim * L;
        FloatVector a0 = FloatVector.fromArray(S, bias, p * L), a1 = FloatVector.fromArray(S, bias, p * L + L);
        for (int d = 0; d < dim; d++) {
            FloatVector x = FloatVector.broadcast(S, xs[xo + d]);
            a0 = FloatVector.fromArray(S, data, c0 + d * L).fma(x, a0);
            a1 = FloatVector.fromArray(S, data, c1 + d * L).fma(x, a1);
        }
        a0.intoArray(tile, to);
        a1.intoArray(tile, to + L);
    }

    private static void tile1x1(float[] data, float[] bias, float[] xs, int xo, int dim, int p, float[] tile, int to) {
        int c0 = p * dim * L;
        FloatVector a0 = FloatVector.fromArray(S, bias, p * L);
        for (int d = 0; d < dim; d++) a0 = FloatVector.fromArray(S, data, c0 + d * L).fma(FloatVector.broadcast(S, xs[xo + d]), a0);
        a0.intoArray(tile, to);
    }

    /**
     * Arg-max of one tile row (width a multiple of L, first column = centroid {@code base}) merged into the
     * running best of point {@code slot}. Lane-wise strictly-greater keeps the earliest centroid of each lane;
     * across lanes the lowest index among the maxima wins. Indices are tracked as floats, exact because a
     * block is far narrower than 2^24.
     */
    private static void merge(float[] tile, int off, int width, int base, float[] best, int[] bestIdx, int slot) {
        FloatVector bv = NEG_INF, bi = FloatVector.zero(S), iv = IOTA;
        for (int j = 0; j < width; j += L) {
            FloatVector v = FloatVector.fromArray(S, tile, off + j);
            VectorMask<Float> gt = v.compare(VectorOperators.GT, bv);
            bv = bv.blend(v, gt);
            bi = bi.blend(iv, gt);
            iv = iv.add(LANE_STEP);
        }
        float mx = bv.reduceLanes(VectorOperators.MAX);
        if (mx > best[slot]) {
            float first = bi.blend(POS_INF, bv.compare(VectorOperators.LT, mx)).reduceLanes(VectorOperators.MIN);
            best[slot] = mx;
            bestIdx[slot] = base + (int) first;
        }
    }
}
