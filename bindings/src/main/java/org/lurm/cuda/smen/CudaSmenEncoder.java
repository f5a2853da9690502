package org.lurm.cuda.smen;

import org.lurm.cuda.CudaStream;
import org.lurm.cuda.DeviceBuffer;
import org.lurm.memory.MemoryScope;
import org.lurm.smen.SmenBatch;
import org.lurm.smen.SmenInputs;
import org.lurm.smen.SmenLayout;

/**
 * SMEN encoding on the GPU (MODEL.md: z for any user from its BoI rows): the parameters are uploaded once; users
 * are encoded in large batches, either from heap {@link SmenBatch}es ({@link #encode(SmenBatch)}) or from
 * {@link Users} that stay on the device ({@link #upload}, {@link #synthetic}) so that repeated encodings pay no
 * transfer. The anchor scores (A_m . V_k) / sqrt(h) are computed once per encoder for all K interests and
 * gathered per non-zero; the anchor attention runs fused with the per-anchor projection: r never reaches memory,
 * only o (M d' floats per row); then the time attention and the scale gate.
 *
 * <p>Results match {@code SmenModel.encode} on the CPU within float32 rounding.
 *
 * <p><b>Ownership</b>: the parameters, the work buffers and every {@link Users} belong to this encoder's scope;
 * {@link #close()} (idempotent) frees them all. Not thread-safe: one encoding at a time (it owns one stream).
 */
public final class CudaSmenEncoder implements org.lurm.smen.SmenEncoding {
    private final SmenLayout layout;
    private final DeviceModel model;
    private final MemoryScope scope;
    private final CudaStream stream;
    private final DeviceBuffer params;
    /** (A_m . V_k) / sqrt(h) for every interest, K x M: computed once, gathered per non-zero. */
    private final DeviceBuffer scores;
    private final Workspace work;
    private final DeviceBatch staging;
    private final int width;
    private boolean closed;

    /** Users resident on the device, with room for their z (users x M d'). Closed with their encoder. */
    public final class Users {
        final DeviceBatch batch;
        final DeviceBuffer z;

        private Users(DeviceBatch batch) {
            this.batch = batch;
            this.z = DeviceBuffer.allocateFloats(scope, (long) batch.users * width);
        }

        public int count() {
            return batch.users;
        }

        public int rows() {
            return batch.rows;
        }

        public long nonZeros() {
            return batch.nnz;
        }

        /** z of users [from, from + count), row-major (a new heap array); call after {@link #encode(Users)}. */
        public float[] z(int from, int count) {
            if (from < 0 || count < 0 || from + count > batch.users) throw new IndexOutOfBoundsException("users [" + from + ", " + (from + count) + ") of " + batch.users);
            stream.synchronize();
            float[] out = new float[count * width];
            Dev.down(z, (long) from * width, out, 0, out.length);
            return out;
        }
    }

    public CudaSmenEncoder(SmenLayout layout, float[] parameters) {
        if (parameters.length != layout.total()) throw new IllegalArgumentException("parameters have " + parameters.length + " floats, the layout needs " + layout.total());
        this.layout = layout;
        this.model = new DeviceModel(layout);
        this.width = layout.config().outputWidth();
        this.scope = MemoryScope.root("cuda-smen-encoder");
        try {
            stream = CudaStream.create(scope);
            params = Dev.up(scope, parameters, stream); // on the stream interestScores runs on, not the legacy default stream
            scores = DeviceBuffer.allocateFloats(scope, (long) layout.numInterests() * layout.config().anchors());
            model.interestScores(params.pointer(), scores.pointer(), stream);
            work = Workspace.on(scope);
            staging = new DeviceBatch(scope);
        } catch (RuntimeException | Error e) {
            scope.close();
            throw e;
        }
    }

    /** The device parameters and the stream, for the kernel timings of {@link SmenGpuTimer}. */
    org.lurm.cuda.DeviceBuffer parameterBuffer() {
        return params;
    }

    CudaStream stream() {
        return stream;
    }

    DeviceBuffer scoreBuffer() {
        return scores;
    }

    @Override
    public String device() {
        return "cuda: " + org.lurm.cuda.NativeLibrary.load().deviceDescription(0);
    }

    /** Width of one user's z: M * d'. */
    public int width() {
        return width;
    }

    private void open() {
        if (closed) throw new IllegalStateException("CudaSmenEncoder is closed");
    }

    /** Uploads a batch of users once (one asynchronous copy) for repeated encodings. */
    public Users upload(SmenBatch batch) {
        open();
        Batches.validate(batch, layout.numInterests(), layout.config().recencyBuckets(), layout.scales());
        DeviceBatch b = new DeviceBatch(scope);
        b.load(batch, null, null, 0, stream);
        stream.synchronize(); // the pinned staging of b may be reused or freed after this
        return new Users(b);
    }

    /**
     * {@code users} synthetic users generated on the device ({@link SmenSynth} rebuilds any of them on the host, given
     * {@code layout.numInterests()}: the volume sink's interest included when the config has one):
     * every (user, scale) has {@code periods} rows of {@code nnz} interests.
     */
    public Users synthetic(int users, int periods, int nnz, long seed) {
        open();
        int scales = layout.scales();
        long rows = (long) users * scales * periods, n = rows * nnz;
        if (n >= Integer.MAX_VALUE) throw new IllegalArgumentException(n + " non-zeros: the kernels index non-zeros with int32 (at most 2^31 - 1)");
        DeviceBatch b = new DeviceBatch(scope);
        DeviceBuffer rowPtr = DeviceBuffer.allocateFloats(scope, rows + 1), cols = DeviceBuffer.allocateFloats(scope, n),
                vals = DeviceBuffer.allocateFloats(scope, n), bucket = DeviceBuffer.allocateFloats(scope, rows),
                groups = DeviceBuffer.allocateFloats(scope, (long) users * scales + 1);
        SmenNative.SYNTH_BATCH.call(users, scales, periods, nnz, layout.numInterests(), layout.config().recencyBuckets(), seed, rowPtr.pointer(),
                cols.pointer(), vals.pointer(), bucket.pointer(), groups.pointer(), stream.handle());
        b.users = users;
        b.rows = (int) rows;
        b.nnz = (int) n;
        b.rowPtr = rowPtr.pointer();
        b.cols = cols.pointer();
        b.vals = vals.pointer();
        b.rowBucket = bucket.pointer();
        b.groupStart = groups.pointer();
        return new Users(b);
    }

    /** Device bytes an encoding of these users needs beyond their batch and z (o, u, weights, gate). */
    public long workBytes(Users users) {
        Workspace plan = Workspace.sizing();
        model.carveEncoder(plan, users.batch.users, users.batch.rows);
        return plan.used();
    }

    /** Enqueues the encoding of {@code users} into their z on this encoder's stream; returns without waiting. */
    public void encode(Users users) {
        open();
        DeviceBatch b = users.batch;
        work.ensure(workBytes(users), stream);
        work.reset();
        DeviceModel.View v = model.carveEncoder(work, b.users, b.rows);
        v.z = users.z.pointer();
        model.encode(params.pointer(), scores.pointer(), b, v, stream);
    }

    /** Waits for the enqueued encodings; reports their errors. */
    public void synchronize() {
        stream.synchronize();
    }

    /** z of every user of a heap batch (users x M d', a new array); the batch is uploaded, encoded and freed. */
    @Override
    public float[] encode(SmenBatch batch) {
        open();
        Batches.validate(batch, layout.numInterests(), layout.config().recencyBuckets(), layout.scales());
        staging.load(batch, null, null, 0, stream);
        work.ensure(encodeBytes(batch.users(), batch.rows()), stream);
        work.reset();
        DeviceModel.View v = model.carveEncoder(work, batch.users(), batch.rows());
        v.z = work.floats((long) batch.users() * width);
        model.encode(params.pointer(), scores.pointer(), staging, v, stream);
        stream.synchronize();
        float[] out = new float[batch.users() * width];
        Dev.down(work.buffer(), work.offsetOf(v.z) / 4, out, 0, out.length);
        return out;
    }

    /**
     * z of every user of {@code inputs} ({@code Smen.inputs(boi)}: weighted as the model was trained), users x M d'
     * with row u = user u, encoded in batches of {@code batchUsers} users (users without rows get zeros).
     */
    public float[] encodeAll(SmenInputs inputs, int batchUsers) {
        if (batchUsers < 1) throw new IllegalArgumentException("batchUsers must be >= 1, got " + batchUsers);
        int n = inputs.boi().numUsers();
        float[] out = new float[Math.multiplyExact(n, width)];
        for (int b0 = 0; b0 < n; b0 += batchUsers) {
            int[] users = new int[Math.min(batchUsers, n - b0)];
            for (int i = 0; i < users.length; i++) users[i] = b0 + i;
            float[] z = encode(inputs.full(users));
            System.arraycopy(z, 0, out, b0 * width, z.length);
        }
        return out;
    }

    private long encodeBytes(int users, int rows) {
        Workspace plan = Workspace.sizing();
        model.carveEncoder(plan, users, rows);
        plan.floats((long) users * width);
        return plan.used();
    }

    /** Frees the parameters, the work buffers and every {@link Users}; idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        scope.close();
    }

}
