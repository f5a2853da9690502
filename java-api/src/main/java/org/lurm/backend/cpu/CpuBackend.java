package org.lurm.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.util.Set;
import org.lurm.backend.Backend;
import org.lurm.backend.cpu.BackendChecks;
import org.lurm.backend.Capability;
import org.lurm.boi.BoiAggregator;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.events.EventTable;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.memory.MemoryScope;

/**
 * The CPU backend: the same code for the Vector API ("cpu") and the plain scalar reference ("cpu-scalar"),
 * differing only in the {@link VectorKernels} it is given. Parallel over all requested threads.
 *
 * <p>Thread-safe; {@link #close()} is idempotent and stops the worker threads.
 */
public final class CpuBackend implements Backend {
    private final String name;
    private final VectorKernels k;
    private final Parallel par;
    private final Set<Capability> caps;

    public CpuBackend(String name, VectorKernels kernels, int threads, Set<Capability> caps) {
        this.name = name;
        this.k = kernels;
        this.par = new Parallel(threads);
        this.caps = Set.copyOf(caps);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Set<Capability> capabilities() {
        return caps;
    }

    @Override
    public int threads() {
        return par.threads();
    }

    public VectorKernels kernels() {
        return k;
    }

    public Parallel parallel() {
        return par;
    }

    @Override
    public float dot(F32Array a, long aOff, F32Array b, long bOff, int n) {
        BackendChecks.checkRange("a", a.length(), aOff, n);
        BackendChecks.checkRange("b", b.length(), bOff, n);
        return k.dot(a.segment(), aOff, b.segment(), bOff, n);
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int kk, float alpha, F32Array a, F32Array b, float beta, F32Array c) {
        BackendChecks.checkRange("A", a.length(), 0, (long) m * kk);
        BackendChecks.checkRange("B", b.length(), 0, (long) kk * n);
        BackendChecks.checkRange("C", c.length(), 0, (long) m * n);
        MemorySegment as = a.segment(), bs = b.segment(), cs = c.segment();
        if (transB) {
            // C[i,j] = A_i . B_j : contiguous dot products when A is not transposed.
            F32Array at = transA ? transpose(a, kk, m) : a;
            MemorySegment ats = at.segment();
            par.forRange(m, Math.max(1, 4096 / Math.max(1, n * kk / 64 + 1)), (chunk, lo, hi) -> {
                float[] out4 = new float[4];
                for (long i = lo; i < hi; i++) {
                    long ao = i * kk;
                    int j = 0;
                    for (; j + 4 <= n; j += 4) {
                        k.dot4(ats, ao, bs, (long) j * kk, (long) (j + 1) * kk, (long) (j + 2) * kk, (long) (j + 3) * kk, kk, out4);
                        for (int q = 0; q < 4; q++) store(cs, i * n + j + q, alpha * out4[q], beta);
                    }
                    for (; j < n; j++) store(cs, i * n + j, alpha * k.dot(ats, ao, bs, (long) j * kk, kk), beta);
                }
            });
            return;
        }
        // C[i,:] = beta*C[i,:] + alpha * sum_p op(A)[i,p] * B[p,:]: rows of B streamed with axpy.
        par.forRange(m, 1, (chunk, lo, hi) -> {
            for (long i = lo; i < hi; i++) {
                long co = i * n;
                if (beta == 0f) c.segment().asSlice(co * 4, (long) n * 4).fill((byte) 0);
                else if (beta != 1f) for (int j = 0; j < n; j++) cs.setAtIndex(F32Array.LAYOUT, co + j, beta * cs.getAtIndex(F32Array.LAYOUT, co + j));
                for (int p = 0; p < kk; p++) {
                    float av = transA ? as.getAtIndex(F32Array.LAYOUT, (long) p * m + i) : as.getAtIndex(F32Array.LAYOUT, i * kk + p);
                    if (av != 0f) k.axpy(alpha * av, bs, (long) p * n, cs, co, n);
                }
            }
        });
    }

    private static void store(MemorySegment c, long idx, float v, float beta) {
        if (beta != 0f) v += beta * c.getAtIndex(F32Array.LAYOUT, idx);
        c.setAtIndex(F32Array.LAYOUT, idx, v);
    }

    private static F32Array transpose(F32Array a, int rows, int cols) {
        float[] t = new float[rows * cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = a.get((long) r * cols + c);
        return F32Array.wrap(t);
    }

    @Override
    public void csrMultiply(boolean transpose, I64Array rowPtr, I32Array cols, F32Array vals, int nRows, int nCols,
                            F32Array dense, int r, F32Array out) {
        long nnz = BackendChecks.csrNonZeros(rowPtr, cols, vals, nRows);
        if (transpose) {
            // Transpose on the host once (counting sort by column) and run the plain product.
            BackendChecks.CsrTranspose t = BackendChecks.transposeCsr(rowPtr, cols, vals, nRows, nCols, nnz);
            csrMultiply(false, t.rowPtr(), t.cols(), t.vals(), nCols, nRows, dense, r, out);
            return;
        }
        BackendChecks.checkRange("dense", dense.length(), 0, (long) nCols * r);
        BackendChecks.checkRange("out", out.length(), 0, (long) nRows * r);
        MemorySegment ds = dense.segment(), os = out.segment(), cs = cols.segment(), vs = vals.segment();
        par.forRange(nRows, 64, (chunk, lo, hi) -> {
            for (long row = lo; row < hi; row++) {
                long from = rowPtr.get(row), to = rowPtr.get(row + 1);
                for (long j = from; j < to; j++) BackendChecks.checkColumn(cs.getAtIndex(I32Array.LAYOUT, j), nCols);
                k.csrRow(cs, vs, from, to, ds, r, os, row * r);
            }
        });
    }

    /**
     * GEMM-shaped nearest-centroid search: the centroids are packed once by the kernels (panels of one vector
     * width for the Vector API), then the points are split into contiguous chunks over the worker threads. Each
     * point's result depends only on that point, so the output is the same for every thread count.
     */
    @Override
    public void assignNearest(F32Array points, int n, F32Array centroids, int kc, int dim, I32Array outIndex, F32Array outScore) {
        BackendChecks.checkAssignNearest(points, n, centroids, kc, dim, outIndex, outScore);
        if (n == 0) return;
        MemorySegment ps = points.segment(), is = outIndex.segment(), ss = outScore.segment();
        VectorKernels.PackedCentroids packed = k.packCentroids(centroids.segment(), 0, kc, dim);
        // At least ~2^18 multiply-adds per chunk, so that the fork/join cost stays small next to the work.
        long minChunk = Math.max(4, (1L << 18) / ((long) kc * dim));
        par.forRange(n, minChunk, (chunk, lo, hi) -> k.nearest(packed, ps, lo * dim, (int) (hi - lo), is, ss, lo));
    }

    @Override
    public BoiSet aggregate(EventTable events, I32Array itemInterest, int numInterests, BoiConfig config, MemoryScope scope) {
        return BoiAggregator.aggregate(events, itemInterest, numInterests, config, scope, par);
    }

    /** SMEN ops on this backend's threads: Vector API row kernels for "cpu", the scalar reference for "cpu-scalar". */
    @Override
    public org.lurm.smen.SmenOps smenOps(org.lurm.smen.SmenLayout layout) {
        return new org.lurm.smen.CpuSmenOps(layout, par, !(k instanceof ScalarKernels));
    }

    @Override
    public void close() {
        par.close();
    }

    @Override
    public String toString() {
        return "CpuBackend[" + name + ", " + k.name() + ", " + threads() + " threads]";
    }
}
