package org.lurm.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The kernels of {@code native-kernels} on device-resident data ({@link DeviceBuffer}s): the layer under
 * {@link CudaBackend} (which stages host arrays in and out) and what the GPU benchmarks time. Every call checks
 * the launch's cudaError_t ({@link CudaException} naming the native function); kernels run asynchronously on the
 * given stream ({@code null}: the legacy default stream) unless a method says it synchronises.
 *
 * <p>Shapes follow {@link org.lurm.backend.Backend}: row-major float32, sizes in elements. Buffer sizes are
 * checked here before any launch.
 *
 * <p>Thread-safe (stateless).
 */
public final class CudaKernels {
    private CudaKernels() {
    }

    static final Class<?> P = MemorySegment.class;
    public static final CudaFn SGEMM = CudaFn.of("lurm_sgemm", int.class, int.class, int.class, int.class, int.class, float.class, P, P, float.class, P, P);
    public static final CudaFn DOT_SCRATCH_BYTES = CudaFn.of("lurm_dot_scratch_bytes", P);
    public static final CudaFn DOT = CudaFn.of("lurm_dot", P, P, long.class, P, P, P);
    public static final CudaFn CSR_SPMM = CudaFn.of("lurm_csr_spmm", int.class, int.class, P, P, P, P, int.class, P, P, P);
    public static final CudaFn KMEANS_ASSIGN = CudaFn.of("lurm_kmeans_assign", P, int.class, P, int.class, int.class, P, P, P);
    public static final CudaFn KMEANS_ASSIGN_TWO_LEVEL = CudaFn.of("lurm_kmeans_assign_two_level", P, int.class, int.class, P, int.class, P, P, P, P, P, P);
    public static final CudaFn KMEANS_UPDATE = CudaFn.of("lurm_kmeans_update", P, int.class, int.class, P, P, int.class, int.class, P, P, P, P);
    public static final CudaFn BANDWIDTH_COPY = CudaFn.of("lurm_bandwidth_copy", P, P, long.class, P);
    public static final CudaFn BANDWIDTH_READ = CudaFn.of("lurm_bandwidth_read", P, long.class, P, P);
    public static final CudaFn BOI_AGGREGATE = CudaFn.of("lurm_boi_aggregate", long.class, P, P, P, P, P, int.class, int.class, P, int.class,
            P, int.class, int.class, P, P, long.class, int.class, P, P, P);
    public static final CudaFn BOI_AGGREGATE_HOST = CudaFn.of("lurm_boi_aggregate_host", long.class, P, P, P, P, P, int.class, int.class, P, int.class,
            P, int.class, int.class, P, P, long.class, int.class, P, P);
    public static final CudaFn BOI_RESULT_SIZES = CudaFn.of("lurm_boi_result_sizes", P, P, P, P);
    public static final CudaFn BOI_RESULT_COPY = CudaFn.of("lurm_boi_result_copy", P, P, P, P, P, P, P, P, P);
    public static final CudaFn BOI_RESULT_FREE = CudaFn.of("lurm_boi_result_free", P);

    static MemorySegment s(CudaStream stream) {
        return stream == null ? MemorySegment.NULL : stream.handle();
    }

    static void need(DeviceBuffer b, long bytes, String what) {
        if (b.byteSize() < bytes) throw new IllegalArgumentException(what + ": device buffer of " + b.byteSize() + " bytes, need " + bytes);
    }

    /** C = alpha op(A) op(B) + beta C on the device (row-major, as {@link org.lurm.backend.Backend#gemm}). */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b, float beta,
                             DeviceBuffer c, CudaStream stream) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("negative gemm shape " + m + "x" + n + "x" + k);
        need(a, 4L * m * k, "A");
        need(b, 4L * k * n, "B");
        need(c, 4L * m * n, "C");
        SGEMM.call(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a.pointer(), b.pointer(), beta, c.pointer(), s(stream));
    }

    /** Device scratch bytes for {@link #dot}. */
    public static long dotScratchBytes() {
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment out = ar.allocate(ValueLayout.JAVA_LONG);
            DOT_SCRATCH_BYTES.call(out);
            return out.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    /** out[outOffset] = a[aOff, aOff+n) . b[bOff, bOff+n) (double accumulation, deterministic order). */
    public static void dot(DeviceBuffer a, long aOff, DeviceBuffer b, long bOff, long n, DeviceBuffer scratch, DeviceBuffer out, long outOffset,
                           CudaStream stream) {
        need(scratch, dotScratchBytes(), "dot scratch");
        DOT.call(a.pointer(4 * aOff, 4 * n), b.pointer(4 * bOff, 4 * n), n, scratch.pointer(), out.pointer(4 * outOffset, 4), s(stream));
    }

    /** out = X * dense for a CSR X on the device; {@code badEntry} (one int) must hold -1 and receives a bad entry's index. */
    public static void csrSpmm(int nRows, int nCols, DeviceBuffer rowPtr, DeviceBuffer cols, DeviceBuffer vals, long nnz, DeviceBuffer dense,
                               int r, DeviceBuffer out, DeviceBuffer badEntry, CudaStream stream) {
        need(rowPtr, 8L * (nRows + 1L), "rowPtr");
        need(cols, 4L * nnz, "cols");
        need(vals, 4L * nnz, "vals");
        need(dense, 4L * nCols * r, "dense");
        need(out, 4L * nRows * r, "out");
        need(badEntry, 4, "badEntry");
        CSR_SPMM.call(nRows, nCols, rowPtr.pointer(), cols.pointer(), vals.pointer(), dense.pointer(), r, out.pointer(), badEntry.pointer(), s(stream));
    }

    /** Nearest centroid (largest dot product, ties to the lower index) of every point. */
    public static void kmeansAssign(DeviceBuffer points, int n, DeviceBuffer centroids, int k, int dim, DeviceBuffer outIndex,
                                    DeviceBuffer outScore, CudaStream stream) {
        need(points, 4L * n * dim, "points");
        need(centroids, 4L * k * dim, "centroids");
        need(outIndex, 4L * n, "outIndex");
        need(outScore, 4L * n, "outScore");
        KMEANS_ASSIGN.call(points.pointer(), n, centroids.pointer(), k, dim, outIndex.pointer(), outScore.pointer(), s(stream));
    }

    /**
     * Two-level search ({@link org.lurm.cluster.NearestCentroids} hierarchical): coarse, then the fine centroids
     * {@code [fineOffsets[j], fineOffsets[j+1])} of the nearest coarse centroid j. {@code scratch}: n ints.
     */
    public static void kmeansAssignTwoLevel(DeviceBuffer points, int n, int dim, DeviceBuffer coarse, int kc, DeviceBuffer fine, int kFine,
                                            DeviceBuffer fineOffsets, DeviceBuffer scratch, DeviceBuffer outIndex, DeviceBuffer outScore,
                                            CudaStream stream) {
        need(points, 4L * n * dim, "points");
        need(coarse, 4L * kc * dim, "coarse");
        need(fine, 4L * kFine * dim, "fine");
        need(fineOffsets, 4L * (kc + 1), "fineOffsets");
        need(scratch, 4L * n, "scratch");
        need(outIndex, 4L * n, "outIndex");
        need(outScore, 4L * n, "outScore");
        KMEANS_ASSIGN_TWO_LEVEL.call(points.pointer(), n, dim, coarse.pointer(), kc, fine.pointer(), fineOffsets.pointer(), scratch.pointer(),
                outIndex.pointer(), outScore.pointer(), s(stream));
    }

    /**
     * Centroid update: row c = (weighted) mean of its points, or their L2-normalised sum when {@code normalize};
     * empty clusters keep their row. Synchronous. {@code weights} may be null.
     *
     * @throws IllegalArgumentException when an assignment lies outside [0, k)
     */
    public static void kmeansUpdate(DeviceBuffer points, int n, int dim, DeviceBuffer assign, DeviceBuffer weights, int k, boolean normalize,
                                    DeviceBuffer centroids, DeviceBuffer counts, CudaStream stream) {
        need(points, 4L * n * dim, "points");
        need(assign, 4L * n, "assign");
        if (weights != null) need(weights, 4L * n, "weights");
        need(centroids, 4L * k * dim, "centroids");
        need(counts, 4L * k, "counts");
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment bad = ar.allocate(ValueLayout.JAVA_INT);
            KMEANS_UPDATE.call(points.pointer(), n, dim, assign.pointer(), weights == null ? MemorySegment.NULL : weights.pointer(), k,
                    normalize ? 1 : 0, centroids.pointer(), counts.pointer(), bad, s(stream));
            if (bad.get(ValueLayout.JAVA_INT, 0) != 0) throw new IllegalArgumentException("an assignment lies outside [0, " + k + ")");
        }
    }

    /** Streaming copy of {@code bytes} (multiple of 16) from src to dst: the bandwidth floor (2 x bytes moved). */
    public static void bandwidthCopy(DeviceBuffer src, DeviceBuffer dst, long bytes, CudaStream stream) {
        need(src, bytes, "src");
        need(dst, bytes, "dst");
        BANDWIDTH_COPY.call(src.pointer(), dst.pointer(), bytes, s(stream));
    }

    /** Streaming read of {@code bytes} (multiple of 16); {@code sink} holds one float. */
    public static void bandwidthRead(DeviceBuffer src, long bytes, DeviceBuffer sink, CudaStream stream) {
        need(src, bytes, "src");
        need(sink, 4, "sink");
        BANDWIDTH_READ.call(src.pointer(), bytes, sink.pointer(), s(stream));
    }
}
