package org.lurm.backend.cpu;

import java.lang.foreign.MemorySegment;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;

/** Plain-Java reference kernels: the yardstick every other backend is tested against. */
public final class ScalarKernels implements VectorKernels {
    public static final ScalarKernels INSTANCE = new ScalarKernels();

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public float dot(MemorySegment a, long aOff, MemorySegment b, long bOff, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) s += a.getAtIndex(F32Array.LAYOUT, aOff + i) * b.getAtIndex(F32Array.LAYOUT, bOff + i);
        return s;
    }

    @Override
    public void axpy(float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff, int n) {
        for (int i = 0; i < n; i++) {
            long yi = yOff + i;
            y.setAtIndex(F32Array.LAYOUT, yi, y.getAtIndex(F32Array.LAYOUT, yi) + alpha * x.getAtIndex(F32Array.LAYOUT, xOff + i));
        }
    }

    @Override
    public void csrRow(MemorySegment cols, MemorySegment vals, long from, long to, MemorySegment x, int r, MemorySegment out, long outOff) {
        for (int i = 0; i < r; i++) out.setAtIndex(F32Array.LAYOUT, outOff + i, 0f);
        for (long j = from; j < to; j++) {
            axpy(vals.getAtIndex(F32Array.LAYOUT, j), x, (long) cols.getAtIndex(org.lurm.memory.I32Array.LAYOUT, j) * r, out, outOff, r);
        }
    }

    @Override
    public void dot4(MemorySegment x, long xOff, MemorySegment m, long o0, long o1, long o2, long o3, int n, float[] out) {
        out[0] = dot(x, xOff, m, o0, n);
        out[1] = dot(x, xOff, m, o1, n);
        out[2] = dot(x, xOff, m, o2, n);
        out[3] = dot(x, xOff, m, o3, n);
    }

    /** Row-major centroids, referenced in place (no copy). */
    record RowMajor(MemorySegment segment, long offset, int count, int dim) implements PackedCentroids {
    }

    @Override
    public PackedCentroids packCentroids(MemorySegment centroids, long off, int k, int dim) {
        return new RowMajor(centroids, off, k, dim);
    }

    /** The reference: one sequential float dot product per (point, centroid), strictly-greater keeps the lower index. */
    @Override
    public void nearest(PackedCentroids centroids, MemorySegment points, long pointOff, int count,
                        MemorySegment outIndex, MemorySegment outScore, long outOff) {
        nearestRows(this, (RowMajor) centroids, points, pointOff, count, outIndex, outScore, outOff);
    }

    /**
     * Exhaustive nearest centroid over row-major centroids with {@code k}'s dot product (ties to the lower
     * index); shared by the scalar kernels and the Vector API kernels' small-K path.
     */
    static void nearestRows(VectorKernels k, RowMajor c, MemorySegment points, long pointOff, int count,
                            MemorySegment outIndex, MemorySegment outScore, long outOff) {
        int dim = c.dim();
        for (int i = 0; i < count; i++) {
            long po = pointOff + (long) i * dim;
            int best = 0;
            float bestS = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < c.count(); j++) {
                float s = k.dot(points, po, c.segment(), c.offset() + (long) j * dim, dim);
                if (s > bestS) {
                    bestS = s;
                    best = j;
                }
            }
            outIndex.setAtIndex(I32Array.LAYOUT, outOff + i, best);
            outScore.setAtIndex(F32Array.LAYOUT, outOff + i, bestS);
        }
    }
}
