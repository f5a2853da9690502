package org.lurm.cuda.smen;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.lurm.cuda.Cuda;
import org.lurm.cuda.CudaStream;
import org.lurm.cuda.DeviceBuffer;
import org.lurm.cuda.PinnedBuffer;
import org.lurm.memory.MemoryScope;
import org.lurm.smen.SmenBatch;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenInputs;
import org.lurm.smen.SmenLayout;
import org.lurm.smen.SmenModel;
import org.lurm.smen.SmenObjective;
import org.lurm.smen.SmenSteps;
import org.lurm.TrainingDivergedException;
import org.lurm.smen.ops.InterestPrediction;

/**
 * SMEN training steps kept on the GPU: parameters, gradient and Adam moments live in device memory for the life of
 * this object; each {@link #step} uploads the two views of a batch (one asynchronous copy each, from pinned
 * staging), runs forward, InfoNCE, the diversity term, the cross-view interest prediction (when
 * {@code SmenConfig.predictionWeight} &gt; 0: targets built on the device from the uploaded views, both directions),
 * backward, the global-norm clip and Adam (dense, and lazy for the touched V rows, the prediction's candidates
 * included) as one sequence of launches on one stream, and reads back only the loss and the gradient norm. The
 * same algorithm as {@code SmenModel.lossAndGradient} + {@code SmenOptimizer.apply} (schedule, clipping, lazy rows
 * with the global step for bias correction, per-group step sizes, the same sampled candidates), so the parameters
 * after n steps match the CPU's within float32 rounding.
 *
 * <pre>{@code
 * try (CudaSmenTraining t = new CudaSmenTraining(layout, init, totalSteps)) {
 *     for (...) { SmenObjective.Loss l = t.step(views[0], views[1]); }
 *     float[] trained = t.parameters();
 * }
 * }</pre>
 *
 * <p><b>Failure</b>: a non-finite loss or gradient norm throws {@link TrainingDivergedException} before Adam
 * touches the parameters (the device checks the norm itself).
 *
 * <p><b>Ownership</b>: all device and pinned memory belongs to a scope this object opens and {@link #close()}
 * (idempotent) frees. Not thread-safe: one step at a time.
 */
public final class CudaSmenTraining implements SmenSteps {
    private final SmenLayout layout;
    private final SmenConfig cfg;
    private final long totalSteps;
    private final MemoryScope scope;
    private final CudaStream stream;
    private final DeviceBuffer params;
    private final DeviceBuffer grad;
    private final DeviceBuffer m1;
    private final DeviceBuffer m2;
    /** Doubles: [0] nce loss, [1] diversity loss, [2..4) norm state, [4] and [5] the prediction's two directions, then the norm scratch. */
    private final DeviceBuffer scalars;
    private final PinnedBuffer scalarsHost;
    /** The batch the current step reads (the two views); swapped with {@link #nextA}/{@link #nextB} when a staged step comes. */
    private DeviceBatch batchA;
    private DeviceBatch batchB;
    /** The other buffer pair: the next step's host-built views are uploaded there on {@link #copyStream} while this step runs. */
    private DeviceBatch nextA;
    private DeviceBatch nextB;
    private final CudaStream copyStream;
    /** What sits in {@link #nextA}/{@link #nextB} (null: nothing staged). */
    private Staged staged;
    private final Workspace work;
    private final DeviceModel model;
    /** The training BoI rows when {@link #keepInputs} kept them (null: views come from the host). */
    private DeviceBoi resident;
    /** The device views' scratch, the batch's user list (device and pinned staging) and the counts read back. */
    private DeviceBuffer viewScratch;
    private DeviceBuffer usersDev;
    private PinnedBuffer usersHost;
    private DeviceBuffer counts;
    private PinnedBuffer countsHost;
    /** Pinned staging of the prediction's candidates on the resident path. */
    private PinnedBuffer extraHost;
    /** Device bytes {@link #keepInputs} may use for the rows; negative: half of the device's free memory. */
    private final long residentBudget;
    /** Doubles of {@link #scalars} before the norm scratch. */
    private static final int SCALARS = 6;
    private long step;
    private double lastNorm = Double.NaN;
    private boolean closed;

    public CudaSmenTraining(SmenLayout layout, float[] initialParams, long totalSteps) {
        this(layout, initialParams, totalSteps, Long.getLong("lurm.cuda.residentBytes", -1L));
    }

    /**
     * @param residentBudget device bytes the training BoI rows may take to stay resident ({@link #keepInputs});
     *                       negative: half of the device's free memory at that time (the default; the system property
     *                       {@code lurm.cuda.residentBytes} sets it for the one-argument constructor); 0: never
     */
    public CudaSmenTraining(SmenLayout layout, float[] initialParams, long totalSteps, long residentBudget) {
        this.residentBudget = residentBudget;
        this.layout = layout;
        this.cfg = layout.config();
        this.totalSteps = Math.max(1, totalSteps);
        if (initialParams.length != layout.total()) {
            throw new IllegalArgumentException("initial parameters have " + initialParams.length + " floats, the layout needs " + layout.total());
        }
        this.model = new DeviceModel(layout);
        this.scope = MemoryScope.root("cuda-smen-training");
        try {
            stream = CudaStream.create(scope);
            params = Dev.up(scope, initialParams, stream); // on the stream the steps run on: ordered before them
            grad = Dev.zeros(scope, layout.total());
            m1 = Dev.zeros(scope, layout.total());
            m2 = Dev.zeros(scope, layout.total());
            scalars = DeviceBuffer.allocate(scope, 8L * (SCALARS + SmenNative.NORM_BLOCKS));
            scalarsHost = PinnedBuffer.allocate(scope, 8L * SCALARS);
            batchA = new DeviceBatch(scope);
            batchB = new DeviceBatch(scope);
            nextA = new DeviceBatch(scope);
            nextB = new DeviceBatch(scope);
            copyStream = CudaStream.create(scope);
            work = Workspace.on(scope);
        } catch (RuntimeException | Error e) {
            scope.close();
            throw e;
        }
    }

    public SmenLayout layout() {
        return layout;
    }

    /** Steps taken so far. */
    @Override
    public long steps() {
        return step;
    }

    /** Global gradient norm (before clipping) of the last step. */
    @Override
    public double lastGradNorm() {
        return lastNorm;
    }

    /** Learning rate at step t, as {@code SmenOptimizer.learningRate}: linear warm-up, then cosine decay to 0. */
    @Override
    public float learningRate(long t) {
        return learningRate(cfg, totalSteps, t);
    }

    static float learningRate(SmenConfig cfg, long totalSteps, long t) {
        float base = cfg.effectiveLearningRate(totalSteps);
        int warm = cfg.effectiveWarmup(totalSteps);
        if (warm > 0 && t < warm) return base * (t + 1) / warm;
        double progress = Math.min(1.0, (t - warm) / (double) Math.max(1, totalSteps - warm));
        return (float) (base * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }

    private MemorySegment scalar(int i) {
        return scalars.pointer(8L * i, 8);
    }

    private void checkViews(SmenBatch a, SmenBatch b) {
        if (closed) throw new IllegalStateException("CudaSmenTraining is closed");
        if (a.users() != b.users()) throw new IllegalArgumentException("the two views must hold the same users: " + a.users() + " vs " + b.users());
        if (a.users() < 2) throw new IllegalArgumentException("the contrastive loss needs at least 2 users per batch, got " + a.users());
        Batches.validate(a, layout.numInterests(), cfg.recencyBuckets(), layout.scales());
        Batches.validate(b, layout.numInterests(), cfg.recencyBuckets(), layout.scales());
    }

    /** Carves both views' buffers (after a counting pass sized the workspace); with {@code candidates} > 0 the prediction's too. */
    private DeviceModel.View[] carve(SmenBatch a, SmenBatch b, boolean training, int candidates) {
        return carve(a.users(), a.rows(), a.nnz(), b.rows(), b.nnz(), training, candidates);
    }

    private DeviceModel.View[] carve(int users, int rowsA, int nnzA, int rowsB, int nnzB, boolean training, int candidates) {
        Workspace plan = Workspace.sizing();
        model.carve(plan, users, rowsA, nnzA, training);
        model.carve(plan, users, rowsB, nnzB, training);
        plan.floats(SmenNative.infoNceScratch(users));
        if (candidates > 0) carvePrediction(plan, users, candidates);
        work.ensure(plan.used(), stream);
        work.reset();
        DeviceModel.View va = model.carve(work, users, rowsA, nnzA, training);
        DeviceModel.View vb = model.carve(work, users, rowsB, nnzB, training);
        return new DeviceModel.View[] {va, vb};
    }

    /** The prediction's device memory: both views' targets and one scratch the two directions use in turn. */
    private record Prediction(MemorySegment targetsA, MemorySegment targetsB, MemorySegment scratch) {
    }

    private Prediction carvePrediction(Workspace w, int users, int candidates) {
        long y = (long) users * candidates;
        return new Prediction(w.floats(y), w.floats(y), w.floats(SmenNative.predictScratch(users, candidates, cfg.h())));
    }

    /** The step's candidates, as SmenModel draws them (InterestPrediction.candidates, seeded by SmenModel.batchSeed); null when the term is off. */
    private int[] candidates(SmenBatch a, SmenBatch b) {
        if (!(cfg.predictionWeight() > 0)) return null;
        return InterestPrediction.candidates(layout.numInterests(), a, b, new SplittableRandom(SmenModel.batchSeed(a, b)));
    }

    /**
     * L_pred's two directions into scalars 4 (z_A predicts view B) and 5 (z_B predicts view A), as SmenModel's
     * prediction: with {@code gradient}, weight / 2 times each direction's gradient into grad and the views' dz.
     * The candidates are batchB's extra ints.
     */
    private void prediction(MemorySegment p, MemorySegment g, DeviceModel.View[] v, int users, int nc, boolean gradient) {
        Prediction pr = carvePrediction(work, users, nc);
        model.predictionTargets(batchB, batchB.extraInts, nc, pr.targetsB(), stream);
        model.predictionTargets(batchA, batchB.extraInts, nc, pr.targetsA(), stream);
        float half = gradient ? 0.5f * cfg.predictionWeight() : 0f;
        model.prediction(p, g, v[0], users, batchB.extraInts, nc, pr.targetsB(), half, scalar(4), pr.scratch(), gradient, stream);
        model.prediction(p, g, v[1], users, batchB.extraInts, nc, pr.targetsA(), half, scalar(5), pr.scratch(), gradient, stream);
    }

    /** The loss from the scalars read back, summed as SmenModel does. */
    private SmenObjective.Loss lossOf(double[] l, boolean pred) {
        double pr = pred ? 0.5 * (l[4] + l[5]) : 0;
        return new SmenObjective.Loss(l[0] + cfg.diversityWeight() * l[1] + cfg.predictionWeight() * pr, l[0], l[1], pr);
    }

    private double[] readScalars(int n) {
        return readBack(scalars, scalarsHost, 8L * n).toArray(ValueLayout.JAVA_DOUBLE);
    }

    /** The first {@code bytes} of {@code device} in {@code pinned}, after the stream has passed everything enqueued so far. */
    private MemorySegment readBack(DeviceBuffer device, PinnedBuffer pinned, long bytes) {
        MemorySegment host = pinned.segment().asSlice(0, bytes);
        device.copyToHostAsync(0, host, stream);
        stream.synchronize();
        return host;
    }

    /** The loss of two views without a gradient (held-out evaluation); parameters unchanged. */
    @Override
    public SmenObjective.Loss loss(SmenBatch a, SmenBatch b) {
        checkViews(a, b);
        int[] cand = candidates(a, b);
        int nc = cand == null ? 0 : cand.length;
        batchA.load(a, null, null, 0, stream);
        batchB.load(b, null, cand, nc, stream);
        DeviceModel.View[] v = carve(a, b, false, nc);
        MemorySegment p = params.pointer();
        model.forward(p, batchA, v[0], false, true, stream);
        model.forward(p, batchB, v[1], false, true, stream);
        model.infoNce(v[0], v[1], a.users(), scalar(0), work.floats(SmenNative.infoNceScratch(a.users())), false, stream);
        model.diversity(p, null, scalar(1), stream);
        if (cand != null) prediction(p, null, v, a.users(), nc, false);
        return lossOf(readScalars(SCALARS), cand != null);
    }

    /**
     * One training step on two views of the same users: loss, gradient, clipping and Adam, all on the device.
     *
     * @return the loss before the update (as {@code SmenModel.lossAndGradient} returns it)
     * @throws TrainingDivergedException when the loss or the gradient norm is not finite (parameters unchanged)
     */
    @Override
    public SmenObjective.Loss step(SmenBatch a, SmenBatch b) {
        return step(a, b, null);
    }

    /** Host-built views checked and prepared for the device: their sorted non-zeros, the prediction's candidates, the touched rows. */
    private record Staged(SmenBatch a, SmenBatch b, Batches.Segments sa, Batches.Segments sb, int[] cand, int[] touched) {
        int nc() {
            return cand == null ? 0 : cand.length;
        }
    }

    private Staged prepare(SmenBatch a, SmenBatch b) {
        checkViews(a, b);
        int k = layout.numInterests();
        Batches.Segments sa = Batches.segments(a, k), sb = Batches.segments(b, k);
        int[] cand = candidates(a, b);
        // The rows Adam updates: the views' interests and, with the prediction, its candidates (a superset of
        // them: InterestPrediction.candidates holds every interest of both views).
        int[] touched = union(sa.interests(), sb.interests());
        if (cand != null) touched = union(touched, cand);
        return new Staged(a, b, sa, sb, cand, touched);
    }

    private static void load(Staged s, DeviceBatch da, DeviceBatch db, CudaStream on) {
        da.load(s.a(), s.sa(), s.touched(), s.touched().length, on);
        db.load(s.b(), s.sb(), s.cand(), s.nc(), on);
    }

    /**
     * One step on host-built views that overlaps the next step's upload with this step's kernels: after this step's
     * launches are enqueued, {@code next} is asked for the next step's views (null: none), which are checked,
     * prepared and copied on a second stream into the other buffer pair from its own pinned staging; when the next
     * call passes those same views, the step only waits for that copy. Results are those of {@link #step(SmenBatch, SmenBatch)}.
     */
    @Override
    public SmenObjective.Loss step(SmenBatch a, SmenBatch b, java.util.function.Supplier<SmenBatch[]> next) {
        if (closed) throw new IllegalStateException("CudaSmenTraining is closed");
        Staged s;
        if (staged != null && staged.a() == a && staged.b() == b) {
            copyStream.synchronize(); // the copy landed before any kernel on the compute stream reads it
            DeviceBatch ta = batchA, tb = batchB;
            batchA = nextA;
            batchB = nextB;
            nextA = ta;
            nextB = tb;
            s = staged;
        } else {
            if (staged != null) copyStream.synchronize(); // an unused staging: its copy must end before the buffers are reused
            s = prepare(a, b);
            load(s, batchA, batchB, stream);
        }
        staged = null;
        Runnable stageNext = next == null ? null : () -> {
            try {
                SmenBatch[] n = next.get();
                if (n == null) return;
                Staged t = prepare(n[0], n[1]);
                load(t, nextA, nextB, copyStream); // nextA/nextB's last kernels ended with the previous step's synchronisation
                staged = t;
            } catch (RuntimeException e) {
                // Not this step's failure: the next call prepares those views again and reports it there.
                staged = null;
            }
        };
        return run(a.users(), carve(a, b, true, s.nc()), s.touched().length, s.cand() != null, s.nc(), stageNext);
    }

    /**
     * Offers the training rows to the device: kept (uploaded once; each {@link #stepOnUsers} then builds its views
     * there) when they fit the budget. Returns whether they were kept.
     */
    @Override
    public boolean keepInputs(SmenInputs inputs) {
        if (closed) throw new IllegalStateException("CudaSmenTraining is closed");
        if (residentBudget == 0) return false;
        org.lurm.boi.BoiSet boi = inputs.boi();
        int sinkExtra = inputs.volumeSink() == SmenConfig.VolumeSink.NONE ? 0 : 1;
        if (boi.numInterests() + sinkExtra != layout.numInterests() || inputs.recencyBuckets() != cfg.recencyBuckets()
                || boi.config().scales().size() != layout.scales()) {
            throw new IllegalArgumentException("the inputs (K " + boi.numInterests() + " + sink " + sinkExtra + ", R " + inputs.recencyBuckets() + ", "
                    + boi.config().scales().size() + " scales) do not match the model (K " + layout.numInterests() + ", R " + cfg.recencyBuckets() + ", "
                    + layout.scales() + " scales)");
        }
        if (boi.nnz() >= Integer.MAX_VALUE / 4) return false;
        long budget = residentBudget > 0 ? residentBudget : Cuda.memInfo()[0] / 2;
        if (DeviceBoi.bytesFor(boi) > budget) return false;
        if (resident != null) throw new IllegalStateException("the inputs are already kept");
        stream.synchronize();
        resident = new DeviceBoi(scope, inputs);
        counts = DeviceBuffer.allocate(scope, 4L * 8);
        countsHost = PinnedBuffer.allocate(scope, 4L * 8);
        return true;
    }

    /** Device bytes of the kept training rows (0 when the views come from the host). */
    public long residentBytes() {
        return resident == null ? 0 : resident.bytes;
    }

    /**
     * One training step on the views of {@code users} built on the device from the kept rows: the same views as
     * {@code inputs.views(users, splitSeed)}. Three host round trips of a few ints: the views' sizes, their segment and
     * touched-row counts, then the loss.
     */
    @Override
    public SmenObjective.Loss stepOnUsers(int[] users, long splitSeed) {
        int[] n = buildViews(users, splitSeed);
        int b = users.length, touched = n[6], nc = 0;
        boolean pred = cfg.predictionWeight() > 0;
        if (pred) {
            // The prediction's candidates, drawn as SmenModel draws them from the views' distinct interests (the
            // union the device just built: a few thousand ints back, not the views); Adam's rows are the candidates
            // (a superset of the views' interests).
            int[] viewInterests = ints(batchA.extraInts, touched);
            int[] cand = InterestPrediction.candidates(layout.numInterests(), viewInterests, new SplittableRandom(SmenModel.batchSeed(b, viewInterests)));
            nc = cand.length;
            if (extraHost == null || extraHost.byteSize() < 4L * nc) {
                if (extraHost != null) extraHost.close();
                extraHost = PinnedBuffer.allocate(scope, 4L * Math.max(nc, 1024));
            }
            MemorySegment h = extraHost.segment().asSlice(0, 4L * nc);
            MemorySegment.copy(cand, 0, h, ValueLayout.JAVA_INT, 0, nc);
            Cuda.MEMCPY_H2D_ASYNC.call(batchA.extraInts, h, 4L * nc, stream.handle());
            Cuda.MEMCPY_H2D_ASYNC.call(batchB.extraInts, h, 4L * nc, stream.handle());
            batchA.counts(n[0], n[1], n[4], nc);
            batchB.counts(n[2], n[3], n[5], nc);
            touched = nc;
        }
        return run(b, carve(b, n[0], n[1], n[2], n[3], true, nc), touched, pred, nc, null);
    }

    /** Builds both views into batchA / batchB; returns {rowsA, nnzA, rowsB, nnzB, segmentsA, segmentsB, touched}. */
    private int[] buildViews(int[] users, long splitSeed) {
        if (closed) throw new IllegalStateException("CudaSmenTraining is closed");
        if (resident == null) throw new IllegalStateException("keepInputs was not called, or declined: build the views on the host and call step");
        int b = users.length;
        if (b < 2) throw new IllegalArgumentException("the contrastive loss needs at least 2 users per batch, got " + b);
        long[] bound = resident.bounds(users);
        long maxRows = bound[0], maxNnz = bound[1];
        if (2 * maxNnz >= Integer.MAX_VALUE) throw new IllegalArgumentException("a batch of " + b + " users with " + maxNnz + " non-zeros is too large for the device views");
        long scratchBytes = SmenNative.viewsScratch(b, maxNnz);
        if (viewScratch == null || viewScratch.byteSize() < scratchBytes) {
            if (viewScratch != null) viewScratch.close();
            viewScratch = DeviceBuffer.allocate(scope, scratchBytes + scratchBytes / 4);
        }
        if (usersDev == null || usersDev.byteSize() < 4L * b) {
            if (usersDev != null) usersDev.close();
            if (usersHost != null) usersHost.close();
            usersDev = DeviceBuffer.allocate(scope, 4L * Math.max(b, cfg.batchUsers()));
            usersHost = PinnedBuffer.allocate(scope, 4L * Math.max(b, cfg.batchUsers()));
        }
        MemorySegment uh = usersHost.segment().asSlice(0, 4L * b);
        MemorySegment.copy(users, 0, uh, ValueLayout.JAVA_INT, 0, b);
        usersDev.copyFromHostAsync(uh, 0, stream);
        DeviceBoi d = resident;
        MemorySegment scratch = viewScratch.pointer();
        for (int view = 0; view < 2; view++) {
            SmenNative.VIEWS_COUNT.call(d.userRow.pointer(), d.rowEntry.pointer(), d.rowScale.pointer(), d.rowPeriod.pointer(), d.cols.pointer(),
                    d.vals.pointer(), usersDev.pointer(), b, splitSeed, view, d.sinkMode, maxNnz, scratch, counts.pointer(8L * view, 8), stream.handle());
        }
        int[] sizes = readInts(4);
        int rowsA = sizes[0], nnzA = sizes[1], rowsB = sizes[2], nnzB = sizes[3];
        boolean pred = cfg.predictionWeight() > 0; // the candidates (at most K) go into both batches' extra ints
        batchA.reserve(b, d.scales, maxRows, maxNnz, Math.max(2 * maxNnz, pred ? d.numInterests : 0));
        batchB.reserve(b, d.scales, maxRows, maxNnz, pred ? d.numInterests : 0);
        DeviceBatch[] out = {batchA, batchB};
        for (int view = 0; view < 2; view++) {
            DeviceBatch o = out[view];
            SmenNative.VIEWS_WRITE.call(d.userRow.pointer(), d.rowEntry.pointer(), d.rowScale.pointer(), d.rowPeriod.pointer(), d.cols.pointer(),
                    d.vals.pointer(), d.rowBucket.pointer(), d.idf.pointer(), d.scales, d.buckets, d.numInterests, usersDev.pointer(), b, splitSeed, view,
                    d.sinkMode, d.sinkWeightsPointer(), maxNnz, scratch, sizes[2 * view], sizes[2 * view + 1], o.rowPtr, o.cols, o.vals, o.rowBucket, o.groupStart, o.perm,
                    o.segStart, o.segInterest, counts.pointer(4L * (4 + view), 4), stream.handle());
        }
        SmenNative.VIEWS_UNION.call(batchA.cols, nnzA, batchB.cols, nnzB, d.numInterests, b, maxNnz, scratch, batchA.extraInts,
                counts.pointer(4L * 6, 4), stream.handle());
        int[] seg = readInts(7);
        batchA.counts(rowsA, nnzA, seg[4], seg[6]);
        batchB.counts(rowsB, nnzB, seg[5], 0);
        return seg;
    }

    /** What {@link #stepOnUsers} builds on the device, downloaded (tests): per view its batch and sorted non-zeros, and the touched rows. */
    record DeviceViews(SmenBatch a, SmenBatch b, Batches.Segments segA, Batches.Segments segB, int[] touched) {
    }

    DeviceViews deviceViews(int[] users, long splitSeed) {
        int[] n = buildViews(users, splitSeed);
        return new DeviceViews(download(batchA, n[0], n[1]), download(batchB, n[2], n[3]), segments(batchA, n[1], n[4]), segments(batchB, n[3], n[5]),
                ints(batchA.extraInts, n[6]));
    }

    private SmenBatch download(DeviceBatch d, int rows, int nnz) {
        int groups = d.users * layout.scales();
        float[] vals = new float[nnz];
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment s = a.allocate(4L * Math.max(1, nnz), 16);
            if (nnz > 0) {
                Cuda.MEMCPY_D2H.call(s, d.vals, 4L * nnz);
                MemorySegment.copy(s, ValueLayout.JAVA_FLOAT, 0, vals, 0, nnz);
            }
        }
        return new SmenBatch(d.users, layout.scales(), rows, ints(d.rowPtr, rows + 1), ints(d.cols, nnz), vals, ints(d.rowBucket, rows),
                ints(d.groupStart, groups + 1));
    }

    private Batches.Segments segments(DeviceBatch d, int nnz, int segs) {
        return new Batches.Segments(ints(d.perm, nnz), ints(d.segStart, segs + 1), ints(d.segInterest, segs));
    }

    private static int[] ints(MemorySegment device, int n) {
        int[] out = new int[n];
        if (n == 0) return out;
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment s = a.allocate(4L * n, 16);
            Cuda.MEMCPY_D2H.call(s, device, 4L * n);
            MemorySegment.copy(s, ValueLayout.JAVA_INT, 0, out, 0, n);
        }
        return out;
    }

    /** The first {@code n} ints of {@link #counts}, after the stream has passed everything enqueued so far. */
    private int[] readInts(int n) {
        return readBack(counts, countsHost, 4L * n).toArray(ValueLayout.JAVA_INT);
    }

    /** Forward, losses, backward, clip and Adam on the loaded batches; {@code touched} V rows (batchA's extra ints). */
    private SmenObjective.Loss run(int users, DeviceModel.View[] v, int touched, boolean withPrediction, int nc, Runnable beforeWait) {
        MemorySegment p = params.pointer(), g = grad.pointer();
        model.forward(p, batchA, v[0], true, true, stream);
        model.forward(p, batchB, v[1], true, true, stream);
        model.zeroGradients(work, v[0], stream);
        model.zeroGradients(work, v[1], stream);
        model.infoNce(v[0], v[1], users, scalar(0), work.floats(SmenNative.infoNceScratch(users)), true, stream);
        model.diversity(p, g, scalar(1), stream);
        // Before the backward passes: the prediction adds into dz, from which the head's backward continues.
        if (withPrediction) prediction(p, g, v, users, nc, true);
        model.backward(p, g, batchA, v[0], stream);
        model.backward(p, g, batchB, v[1], stream);
        long dense = layout.denseOffset(), total = layout.total(), vOff = layout.tensor("V").offset();
        SmenNative.GRAD_NORM.call(g, dense, total, batchA.extraInts, touched, cfg.h(), vOff, cfg.clipNorm(), scalar(SCALARS),
                scalar(2), stream.handle());
        if (beforeWait != null) beforeWait.run(); // host work and the next upload while the kernels above run
        double[] l = readScalars(SCALARS);
        SmenObjective.Loss loss = lossOf(l, withPrediction);
        lastNorm = l[2];
        if (!loss.isFinite() || !Double.isFinite(l[2])) {
            grad.fill(0);
            throw new TrainingDivergedException((loss.isFinite() ? "gradient norm is " + l[2] : "loss became " + loss.total() + " (nce " + loss.nce()
                    + ", div " + loss.div() + ", pred " + loss.pred() + ")") + " at step " + step + " on the GPU; parameters are those before this step");
        }
        float lr = learningRate(step);
        step++;
        float b1 = cfg.beta1(), b2 = cfg.beta2();
        double c1 = 1 - Math.pow(b1, step), c2 = 1 - Math.pow(b2, step);
        float stepSize = (float) (lr / c1), c2s = (float) Math.sqrt(c2);
        if (cfg.anchorLrScale() == 1f && cfg.interestLrScale() == 1f) {
            SmenNative.ADAM.call(p, g, m1.pointer(), m2.pointer(), dense, total, batchA.extraInts, touched, cfg.h(), vOff, scalar(2),
                    b1, b2, cfg.eps(), stepSize, c2s, stream.handle());
        } else {
            // Per-group step sizes, as SmenOptimizer: A (the head of the dense part), the rest of the dense part,
            // then the touched V rows; each launch zeroes the gradient entries it read, so the three are disjoint.
            long aEnd = dense + layout.tensor("A").size();
            SmenNative.ADAM.call(p, g, m1.pointer(), m2.pointer(), dense, aEnd, MemorySegment.NULL, 0, cfg.h(), vOff, scalar(2),
                    b1, b2, cfg.eps(), stepSize * cfg.anchorLrScale(), c2s, stream.handle());
            SmenNative.ADAM.call(p, g, m1.pointer(), m2.pointer(), aEnd, total, MemorySegment.NULL, 0, cfg.h(), vOff, scalar(2),
                    b1, b2, cfg.eps(), stepSize, c2s, stream.handle());
            SmenNative.ADAM.call(p, g, m1.pointer(), m2.pointer(), total, total, batchA.extraInts, touched, cfg.h(), vOff, scalar(2),
                    b1, b2, cfg.eps(), stepSize * cfg.interestLrScale(), c2s, stream.handle());
        }
        stream.synchronize();
        return loss;
    }

    /** The sorted union of two ascending arrays of distinct ints. */
    static int[] union(int[] x, int[] y) {
        int[] out = new int[x.length + y.length];
        int i = 0, j = 0, n = 0;
        while (i < x.length || j < y.length) {
            int v = j >= y.length || (i < x.length && x[i] <= y[j]) ? x[i] : y[j];
            if (i < x.length && x[i] == v) i++;
            if (j < y.length && y[j] == v) j++;
            out[n++] = v;
        }
        return Arrays.copyOf(out, n);
    }

    /** The current parameters (a new heap array). */
    @Override
    public float[] parameters() {
        return download(params);
    }

    /** Adam's first moment (a new heap array). */
    @Override
    public float[] firstMoment() {
        return download(m1);
    }

    /** Adam's second moment (a new heap array). */
    @Override
    public float[] secondMoment() {
        return download(m2);
    }

    private float[] download(DeviceBuffer b) {
        if (closed) throw new IllegalStateException("CudaSmenTraining is closed");
        stream.synchronize();
        float[] out = new float[Math.toIntExact(layout.total())];
        Dev.down(b, 0, out, 0, out.length);
        return out;
    }

    /** Continues from a checkpoint: parameters and Adam's moments uploaded, the step count (schedule, bias correction) set. */
    @Override
    public void restore(long steps, float[] p, float[] adamM, float[] adamV) {
        if (closed) throw new IllegalStateException("CudaSmenTraining is closed");
        long n = layout.total();
        if (p.length != n || adamM.length != n || adamV.length != n) throw new IllegalStateException("checkpoint does not match the model layout");
        if (steps < 0) throw new IllegalArgumentException("steps < 0");
        stream.synchronize();
        upload(params, p);
        upload(m1, adamM);
        upload(m2, adamV);
        this.step = steps;
    }

    private static void upload(DeviceBuffer b, float[] a) {
        try (java.lang.foreign.Arena ar = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment s = ar.allocate(4L * a.length, 16);
            MemorySegment.copy(a, 0, s, ValueLayout.JAVA_FLOAT, 0, a.length);
            b.copyFromHost(s, 0);
        }
    }

    @Override
    public String device() {
        String d = "cuda: " + org.lurm.cuda.NativeLibrary.load().deviceDescription(0);
        return resident == null ? d + ", views built on the host" : d + String.format(", BoI rows resident (%.1f MiB), views built on the device", resident.bytes / 1048576.0);
    }

    /** Frees every device and pinned buffer; idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        scope.close();
    }
}
