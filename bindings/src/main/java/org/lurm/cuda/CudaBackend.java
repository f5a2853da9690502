package org.lurm.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.EnumSet;
import java.util.Set;
import org.lurm.backend.Backend;
import org.lurm.backend.cpu.BackendChecks;
import org.lurm.backend.Capability;
import org.lurm.boi.BoiAggregator;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.boi.Scale;
import org.lurm.events.EventTable;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.memory.MemoryScope;

/**
 * "cuda": the {@link Backend} ops on one CUDA device through our own kernels ({@link CudaKernels}).
 *
 * <p><b>Zero-copy contract.</b> None: the device cannot read host memory in place. For every call, the input
 * ranges the op reads are copied to fresh device memory (native segments directly; heap-backed arrays such as
 * {@link F32Array#wrap} through a pinned staging buffer), the kernel runs, and the outputs are copied back into
 * the caller's arrays before the method returns. Nothing of the caller's is retained after the call; the
 * caller's arrays must only stay alive (and unmodified) for the duration of the call. Device memory of a call
 * lives in a child scope of this backend and is freed before the call returns. {@link #aggregate} allocates its
 * result in the caller's {@code scope}, like the CPU backend.
 *
 * <p><b>Results.</b> The same as the scalar reference within the normalised error bounds of the cross-backend
 * tests: float sums may associate differently (dot accumulates in double, GEMM/assignment in float with FMA);
 * {@link #aggregate} is identical row for row and bit for bit to the CPU aggregation (it runs the CPU aggregation
 * for inputs the CPU rejects, so that the error is the CPU's, and for period spans the packed keys cannot hold).
 * The transposed {@link #csrMultiply} transposes the CSR on the host (O(nnz), like the CPU backend).
 *
 * <p><b>Thread-safety.</b> Thread-safe: ops are serialised on this backend's stream (one op at a time); use one
 * backend per thread for concurrent work. {@link #close()} is idempotent.
 */
public final class CudaBackend implements Backend {
    private static final long STAGING_BYTES = 8L << 20;

    private final int device;
    private final int hostThreads;
    private final String description;
    private final MemoryScope scope;
    private final CudaStream stream;
    private final DeviceBuffer dotScratch;
    private PinnedBuffer staging;
    private boolean closed;
    /** Device copies of the retained host arrays, by the arrays' host address. */
    private final java.util.Map<Long, DeviceBuffer> retained = new java.util.HashMap<>();
    /** Bytes copied host to device by the ops (retained copies included), for tests and reports. */
    private long uploadedBytes;

    /** Opens device {@code device} (its number in cudaGetDeviceCount order), with one host thread. */
    public CudaBackend(int device) {
        this(device, 1);
    }

    /**
     * Opens device {@code device}; {@code hostThreads} is {@link #threads()}: the host parts of the stages around
     * the device ops (k-means seeding and updates, the SVD's small dense steps) run on that many threads.
     */
    public CudaBackend(int device, int hostThreads) {
        if (hostThreads < 1) throw new IllegalArgumentException("hostThreads must be >= 1");
        this.hostThreads = hostThreads;
        NativeLibrary lib = NativeLibrary.load();
        this.device = device;
        this.description = lib.deviceDescription(device);
        Cuda.setDevice(device);
        this.scope = MemoryScope.root("cuda-backend-" + device);
        try {
            this.stream = CudaStream.create(scope);
            this.dotScratch = DeviceBuffer.allocate(scope, CudaKernels.dotScratchBytes() + 16);
        } catch (RuntimeException e) {
            scope.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.GPU, Capability.DENSE_MATH, Capability.SPARSE_MATH, Capability.KMEANS_ASSIGN, Capability.BOI_AGGREGATION);
    }

    /**
     * Host threads for the CPU parts of the stages that use this backend (the device ops themselves are serialised
     * on one stream).
     */
    @Override
    public int threads() {
        return hostThreads;
    }

    /** "NAME, N GiB, sm_XY" of the device. */
    public String device() {
        return description;
    }

    /** The stream every op of this backend runs on. */
    public CudaStream stream() {
        return stream;
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("cuda backend is closed");
        Cuda.setDevice(device);
    }

    private PinnedBuffer staging() {
        if (staging == null) staging = PinnedBuffer.allocate(scope, STAGING_BYTES);
        return staging;
    }

    /**
     * A read-only input: {@code bytes} bytes of host memory at {@code src} (offset {@code off}) copied into a new device
     * buffer in {@code tmp}; or, when {@code src} from {@code off} is a {@link #retain}ed array holding at least those bytes, returns its
     * device copy (owned by the retain handle, not by {@code tmp}).
     */
    private DeviceBuffer input(MemoryScope tmp, MemorySegment src, long off, long bytes) {
        DeviceBuffer kept = src.isNative() ? retained.get(src.address() + off) : null;
        return kept != null && kept.byteSize() >= bytes ? kept : upload(tmp, src, off, bytes);
    }

    /** A fresh device copy in {@code tmp} (for buffers an op writes, and inputs that are never retained). */
    private DeviceBuffer upload(MemoryScope tmp, MemorySegment src, long off, long bytes) {
        DeviceBuffer d = DeviceBuffer.allocate(tmp, bytes);
        copyIn(src, off, d, 0, bytes);
        return d;
    }

    /**
     * Uploads {@code array} once and lets the ops read it from the device until the handle is closed (k-means'
     * Lloyd iterations pass the same points every iteration). Heap arrays are not retained (their address can move);
     * the handle then does nothing.
     */
    @Override
    public synchronized Retained retain(F32Array array) {
        ensureOpen();
        MemorySegment seg = array.segment();
        if (!seg.isNative() || seg.byteSize() == 0) return () -> { };
        long key = seg.address();
        if (retained.containsKey(key)) return () -> { }; // already retained: the outer handle releases it (ops check its size)
        DeviceBuffer d = DeviceBuffer.allocate(scope, seg.byteSize());
        try {
            copyIn(seg, 0, d, 0, seg.byteSize());
            stream.synchronize();
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
        retained.put(key, d);
        return new Retained() {
            private boolean released;

            @Override
            public void close() {
                synchronized (CudaBackend.this) {
                    if (released) return;
                    released = true;
                    if (retained.remove(key, d) && !closed) d.close();
                }
            }
        };
    }

    /** Bytes the ops have copied from the host to the device so far (retained arrays once). */
    public synchronized long uploadedBytes() {
        return uploadedBytes;
    }

    /**
     * Enqueues the upload on {@link #stream}, the stream the op's kernels then run on, so that they read it only
     * after it landed: a synchronous cudaMemcpy runs on the legacy default stream, which our non-blocking stream
     * does not wait for (and from pageable memory it may return before the DMA is done). From pageable memory
     * cudaMemcpyAsync stages the bytes before it returns; the pinned staging buffer is reused only after the
     * stream passed its previous copy. Every op ends with {@link #copyOut}, which waits for the stream.
     */
    private void copyIn(MemorySegment src, long off, DeviceBuffer d, long dOff, long bytes) {
        if (bytes == 0) return;
        uploadedBytes += bytes;
        if (src.isNative()) {
            d.copyFromHostAsync(src.asSlice(off, bytes), dOff, stream);
            return;
        }
        MemorySegment pin = staging().segment();
        for (long done = 0; done < bytes; ) {
            long len = Math.min(STAGING_BYTES, bytes - done);
            stream.synchronize(); // an earlier copy from the staging buffer may still be reading it
            MemorySegment.copy(src, off + done, pin, 0, len);
            d.copyFromHostAsync(pin.asSlice(0, len), dOff + done, stream);
            done += len;
        }
    }

    private void copyOut(DeviceBuffer d, long dOff, MemorySegment dst, long off, long bytes) {
        if (bytes == 0) return;
        stream.synchronize();
        if (dst.isNative()) {
            d.copyToHost(dOff, dst.asSlice(off, bytes));
            return;
        }
        MemorySegment pin = staging().segment();
        for (long done = 0; done < bytes; ) {
            long len = Math.min(STAGING_BYTES, bytes - done);
            d.copyToHost(dOff + done, pin.asSlice(0, len));
            MemorySegment.copy(pin, 0, dst, off + done, len);
            done += len;
        }
    }

    @Override
    public synchronized float dot(F32Array a, long aOff, F32Array b, long bOff, int n) {
        ensureOpen();
        BackendChecks.checkRange("a", a.length(), aOff, n);
        BackendChecks.checkRange("b", b.length(), bOff, n);
        if (n == 0) return 0f;
        try (MemoryScope tmp = scope.child("dot")) {
            DeviceBuffer da = upload(tmp, a.segment(), aOff * 4, 4L * n);
            DeviceBuffer db = upload(tmp, b.segment(), bOff * 4, 4L * n);
            CudaKernels.dot(da, 0, db, 0, n, dotScratch, dotScratch, dotScratch.byteSize() / 4 - 4, stream);
            try (Arena ar = Arena.ofConfined()) {
                MemorySegment out = ar.allocate(4);
                copyOut(dotScratch, dotScratch.byteSize() - 16, out, 0, 4);
                return out.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0);
            }
        }
    }

    @Override
    public synchronized void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, F32Array a, F32Array b, float beta, F32Array c) {
        ensureOpen();
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("negative gemm shape " + m + "x" + n + "x" + k);
        BackendChecks.checkRange("A", a.length(), 0, (long) m * k);
        BackendChecks.checkRange("B", b.length(), 0, (long) k * n);
        BackendChecks.checkRange("C", c.length(), 0, (long) m * n);
        if (m == 0 || n == 0) return;
        try (MemoryScope tmp = scope.child("gemm")) {
            DeviceBuffer da = upload(tmp, a.segment(), 0, 4L * m * k);
            DeviceBuffer db = upload(tmp, b.segment(), 0, 4L * k * n);
            DeviceBuffer dc = beta != 0f ? upload(tmp, c.segment(), 0, 4L * m * n) : DeviceBuffer.allocate(tmp, 4L * m * n);
            CudaKernels.sgemm(transA, transB, m, n, k, alpha, da, db, beta, dc, stream);
            copyOut(dc, 0, c.segment(), 0, 4L * m * n);
        }
    }

    @Override
    public synchronized void csrMultiply(boolean transpose, I64Array rowPtr, I32Array cols, F32Array vals, int nRows, int nCols,
                                         F32Array dense, int r, F32Array out) {
        ensureOpen();
        long nnz = BackendChecks.csrNonZeros(rowPtr, cols, vals, nRows);
        if (transpose) {
            // Transpose on the host once (counting sort by column) and run the plain product.
            BackendChecks.CsrTranspose t = BackendChecks.transposeCsr(rowPtr, cols, vals, nRows, nCols, nnz);
            csrMultiply(false, t.rowPtr(), t.cols(), t.vals(), nCols, nRows, dense, r, out);
            return;
        }
        BackendChecks.checkRange("dense", dense.length(), 0, (long) nCols * r);
        BackendChecks.checkRange("out", out.length(), 0, (long) nRows * r);
        if (nRows == 0 || r == 0) return;
        try (MemoryScope tmp = scope.child("csr")) {
            DeviceBuffer dp = upload(tmp, rowPtr.segment(), 0, 8L * (nRows + 1L));
            DeviceBuffer dc = upload(tmp, cols.segment(), 0, 4L * nnz);
            DeviceBuffer dv = upload(tmp, vals.segment(), 0, 4L * nnz);
            DeviceBuffer dd = upload(tmp, dense.segment(), 0, 4L * nCols * r);
            DeviceBuffer dout = DeviceBuffer.allocate(tmp, 4L * nRows * r);
            DeviceBuffer bad = DeviceBuffer.allocate(tmp, 4);
            bad.fill(0xff, stream);
            CudaKernels.csrSpmm(nRows, nCols, dp, dc, dv, nnz, dd, r, dout, bad, stream);
            try (Arena ar = Arena.ofConfined()) {
                MemorySegment flag = ar.allocate(4);
                copyOut(bad, 0, flag, 0, 4);
                int e = flag.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
                if (e != -1) {
                    BackendChecks.checkColumn(cols.get(e), nCols);
                    throw new IndexOutOfBoundsException("a CSR column lies outside [0, " + nCols + ")");
                }
            }
            copyOut(dout, 0, out.segment(), 0, 4L * nRows * r);
        }
    }

    @Override
    public synchronized void assignNearest(F32Array points, int n, F32Array centroids, int kc, int dim, I32Array outIndex, F32Array outScore) {
        ensureOpen();
        BackendChecks.checkAssignNearest(points, n, centroids, kc, dim, outIndex, outScore);
        if (n == 0) return;
        try (MemoryScope tmp = scope.child("assign")) {
            DeviceBuffer dp = input(tmp, points.segment(), 0, 4L * n * dim);
            DeviceBuffer dc = upload(tmp, centroids.segment(), 0, 4L * kc * dim);
            DeviceBuffer di = DeviceBuffer.allocate(tmp, 4L * n);
            DeviceBuffer ds = DeviceBuffer.allocate(tmp, 4L * n);
            CudaKernels.kmeansAssign(dp, n, dc, kc, dim, di, ds, stream);
            copyOut(di, 0, outIndex.segment(), 0, 4L * n);
            copyOut(ds, 0, outScore.segment(), 0, 4L * n);
        }
    }

    /**
     * Two-level nearest-centroid search, the device version of {@link org.lurm.cluster.NearestCentroids}'s
     * hierarchical assignment: nearest of the {@code kc} coarse centroids, then the nearest of the fine centroids
     * {@code [fineOffsets[j], fineOffsets[j+1])} under it; outIndex gets fine indices.
     */
    public synchronized void assignTwoLevel(F32Array points, int n, int dim, F32Array coarse, int kc, F32Array fine, int[] fineOffsets,
                                            I32Array outIndex, F32Array outScore) {
        ensureOpen();
        if (kc < 1 || dim < 1 || n < 0) throw new IllegalArgumentException("bad two-level shape: n " + n + ", kc " + kc + ", dim " + dim);
        if (fineOffsets.length != kc + 1) throw new IllegalArgumentException("fineOffsets must have kc+1 = " + (kc + 1) + " entries");
        int kFine = fineOffsets[kc];
        for (int j = 0; j < kc; j++) {
            if (fineOffsets[j] > fineOffsets[j + 1] || fineOffsets[j] < 0) throw new IllegalArgumentException("fineOffsets must be non-decreasing from 0");
        }
        BackendChecks.checkRange("points", points.length(), 0, (long) n * dim);
        BackendChecks.checkRange("coarse", coarse.length(), 0, (long) kc * dim);
        BackendChecks.checkRange("fine", fine.length(), 0, (long) kFine * dim);
        if (outIndex.length() < n || outScore.length() < n) throw new IllegalArgumentException("outputs shorter than n = " + n);
        if (n == 0) return;
        try (MemoryScope tmp = scope.child("assign2")) {
            DeviceBuffer dp = input(tmp, points.segment(), 0, 4L * n * dim);
            DeviceBuffer dco = upload(tmp, coarse.segment(), 0, 4L * kc * dim);
            DeviceBuffer dfi = upload(tmp, fine.segment(), 0, Math.max(4L, 4L * kFine * dim));
            DeviceBuffer dof = upload(tmp, MemorySegment.ofArray(fineOffsets), 0, 4L * (kc + 1));
            DeviceBuffer scratch = DeviceBuffer.allocate(tmp, 4L * n);
            DeviceBuffer di = DeviceBuffer.allocate(tmp, 4L * n);
            DeviceBuffer ds = DeviceBuffer.allocate(tmp, 4L * n);
            CudaKernels.kmeansAssignTwoLevel(dp, n, dim, dco, kc, dfi, kFine, dof, scratch, di, ds, stream);
            copyOut(di, 0, outIndex.segment(), 0, 4L * n);
            copyOut(ds, 0, outScore.segment(), 0, 4L * n);
        }
    }

    /**
     * Centroid update on the device: row c of {@code centroids} becomes the (weighted) mean of the points assigned
     * to c, or their L2-normalised sum when {@code normalize} (spherical k-means); rows of empty clusters are left
     * unchanged. Returns the member count of every centroid.
     */
    public synchronized int[] updateCentroids(F32Array points, int n, int dim, I32Array assign, F32Array weights, int k, boolean normalize,
                                              F32Array centroids) {
        ensureOpen();
        BackendChecks.checkRange("points", points.length(), 0, (long) n * dim);
        BackendChecks.checkRange("assign", assign.length(), 0, n);
        if (weights != null) BackendChecks.checkRange("weights", weights.length(), 0, n);
        BackendChecks.checkRange("centroids", centroids.length(), 0, (long) k * dim);
        try (MemoryScope tmp = scope.child("update")) {
            DeviceBuffer dp = input(tmp, points.segment(), 0, 4L * n * dim);
            DeviceBuffer da = upload(tmp, assign.segment(), 0, 4L * n);
            DeviceBuffer dw = weights == null ? null : upload(tmp, weights.segment(), 0, 4L * n);
            DeviceBuffer dc = upload(tmp, centroids.segment(), 0, 4L * k * dim);
            DeviceBuffer counts = DeviceBuffer.allocate(tmp, 4L * k);
            CudaKernels.kmeansUpdate(dp, n, dim, da, dw, k, normalize, dc, counts, stream);
            copyOut(dc, 0, centroids.segment(), 0, 4L * k * dim);
            int[] cnt = new int[k];
            copyOut(counts, 0, MemorySegment.ofArray(cnt), 0, 4L * k);
            return cnt;
        }
    }

    @Override
    public synchronized BoiSet aggregate(EventTable events, I32Array itemInterest, int numInterests, BoiConfig config, MemoryScope scope) {
        ensureOpen();
        return aggregate(events, itemInterest, numInterests, config, scope, stream.handle());
    }

    /**
     * The device pipeline of {@link #aggregate} run sequentially on the host by the native library
     * ({@code lurm_boi_aggregate_host}: the same passes, index arithmetic and sort semantics, no device needed).
     * For checking the pipeline's logic against the CPU aggregator on machines without a GPU; slow.
     */
    public static BoiSet aggregateHostEmulation(EventTable events, I32Array itemInterest, int numInterests, BoiConfig config, MemoryScope scope) {
        return aggregate(events, itemInterest, numInterests, config, scope, null);
    }

    /** {@code stream} null: the host emulation. */
    private static BoiSet aggregate(EventTable events, I32Array itemInterest, int numInterests, BoiConfig config, MemoryScope scope, MemorySegment stream) {
        BackendChecks.checkAggregate(events, itemInterest, numInterests);
        long n = events.size();
        int nScales = config.scales().size();
        float[] tw = config.typeWeights();
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment periods = ar.allocate(8L * nScales), tMax = ar.allocate(4L * nScales);
            for (int s = 0; s < nScales; s++) {
                Scale sc = config.scales().get(s);
                periods.setAtIndex(ValueLayout.JAVA_LONG, s, sc.periodSeconds());
                tMax.setAtIndex(ValueLayout.JAVA_INT, s, sc.tMax());
            }
            MemorySegment twSeg = tw == null || tw.length == 0 ? MemorySegment.NULL : ar.allocateFrom(ValueLayout.JAVA_FLOAT, tw);
            MemorySegment resultOut = ar.allocate(ValueLayout.ADDRESS), status = ar.allocate(ValueLayout.JAVA_INT);
            Object[] args = {n, host(ar, events.userColumn().segment(), 4 * n), host(ar, events.itemColumn().segment(), 4 * n),
                    host(ar, events.typeColumn().segment(), 4 * n), host(ar, events.weightColumn().segment(), 4 * n),
                    host(ar, events.timestampColumn().segment(), 8 * n), events.numUsers(), events.numItems(),
                    host(ar, itemInterest.segment(), 4L * events.numItems()), numInterests, twSeg, tw == null ? 0 : tw.length, nScales, periods, tMax,
                    config.origin(), config.lenient() ? 1 : 0};
            if (stream == null) {
                Object[] all = java.util.Arrays.copyOf(args, args.length + 2);
                all[args.length] = resultOut;
                all[args.length + 1] = status;
                CudaKernels.BOI_AGGREGATE_HOST.call(all);
            } else {
                Object[] all = java.util.Arrays.copyOf(args, args.length + 3);
                all[args.length] = stream;
                all[args.length + 1] = resultOut;
                all[args.length + 2] = status;
                CudaKernels.BOI_AGGREGATE.call(all);
            }
            if (status.get(ValueLayout.JAVA_INT, 0) == 0) {
                MemorySegment res = resultOut.get(ValueLayout.ADDRESS, 0);
                try {
                    MemorySegment sizes = ar.allocate(ValueLayout.JAVA_LONG, 3);
                    CudaKernels.BOI_RESULT_SIZES.call(res, sizes, sizes.asSlice(8), sizes.asSlice(16));
                    long rows = sizes.getAtIndex(ValueLayout.JAVA_LONG, 0), nnz = sizes.getAtIndex(ValueLayout.JAVA_LONG, 1);
                    long skipped = sizes.getAtIndex(ValueLayout.JAVA_LONG, 2);
                    I64Array rowPtr = scope.allocateI64(rows + 1);
                    I32Array cols = scope.allocateI32(nnz);
                    F32Array vals = scope.allocateF32(nnz);
                    I32Array rowUser = scope.allocateI32(rows);
                    I32Array rowScale = scope.allocateI32(rows);
                    I64Array rowPeriod = scope.allocateI64(rows);
                    I64Array userRowPtr = scope.allocateI64(events.numUsers() + 1L);
                    I32Array df = scope.allocateI32(numInterests);
                    CudaKernels.BOI_RESULT_COPY.call(res, rowPtr.segment(), cols.segment(), vals.segment(), rowUser.segment(), rowScale.segment(),
                            rowPeriod.segment(), userRowPtr.segment(), df.segment());
                    return new BoiSet(config, numInterests, events.numUsers(), rowPtr, cols, vals, rowUser, rowScale, rowPeriod, userRowPtr, df,
                            n - skipped, skipped);
                } finally {
                    CudaKernels.BOI_RESULT_FREE.call(res);
                }
            }
        }
        // Inputs the CPU rejects (its error names the event) or key ranges the device sort cannot pack.
        return BoiAggregator.aggregate(events, itemInterest, numInterests, config, scope);
    }

    /** A native view of {@code bytes} bytes of {@code seg}: the segment itself when native, else a copy in {@code ar}. */
    private static MemorySegment host(Arena ar, MemorySegment seg, long bytes) {
        if (bytes == 0) return MemorySegment.NULL;
        if (seg.isNative()) return seg.asSlice(0, bytes);
        MemorySegment c = ar.allocate(bytes, 8);
        MemorySegment.copy(seg, 0, c, 0, bytes);
        return c;
    }

    /**
     * The SMEN ops on the GPU ({@link org.lurm.cuda.smen.CudaSmenOps}: heap arrays staged through device buffers
     * per op, on the calling thread's current device). For throughput keep everything on the device with
     * {@link org.lurm.cuda.smen.CudaSmenTraining} and {@link org.lurm.cuda.smen.CudaSmenEncoder}.
     */
    @Override
    public org.lurm.smen.SmenOps smenOps(org.lurm.smen.SmenLayout layout) {
        return new org.lurm.cuda.smen.CudaSmenOps(layout);
    }

    /** Whole training runs on the device ({@link org.lurm.cuda.smen.CudaSmenTraining}). */
    @Override
    public java.util.Optional<org.lurm.smen.SmenSteps> smenTraining(org.lurm.smen.SmenLayout layout, float[] initialParams, long totalSteps) {
        ensureOpen();
        Cuda.setDevice(device);
        return java.util.Optional.of(new org.lurm.cuda.smen.CudaSmenTraining(layout, initialParams, totalSteps));
    }

    /** Encoding with the parameters resident on the device ({@link org.lurm.cuda.smen.CudaSmenEncoder}). */
    @Override
    public java.util.Optional<org.lurm.smen.SmenEncoding> smenEncoder(org.lurm.smen.SmenLayout layout, float[] params) {
        ensureOpen();
        Cuda.setDevice(device);
        return java.util.Optional.of(new org.lurm.cuda.smen.CudaSmenEncoder(layout, params));
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        retained.clear();
        scope.close();
    }

    @Override
    public String toString() {
        return "CudaBackend[" + description + "]";
    }
}
