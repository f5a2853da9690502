package org.lurm;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiSet;
import org.lurm.events.EventTable;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.progress.Progress;
import org.lurm.smen.Smen;
import org.lurm.smen.SmenEncoding;
import org.lurm.smen.SmenExplanation;
import org.lurm.smen.SmenTrainer;

/**
 * The entry point for the three jobs: {@link #fit} a model on events, {@link #encode} users (from events or from
 * BoI rows, all at once or period by period), and {@link #explain} what a user's representation picked. It owns
 * the compute backend (the GPU when one is usable, else the Vector API CPU kernels, else plain Java) and the CPU
 * worker threads; both are settings of the {@link Builder}, not parameters of the jobs.
 *
 * <pre>{@code
 * try (Lurm lurm = Lurm.builder().threads(8).build(); MemoryScope scope = MemoryScope.root("app")) {
 *     LurmModel model = lurm.fit(events, LurmConfig.defaults(), scope);
 *     F32Array z = lurm.encode(model, events, scope);           // users x model.width() floats, off-heap
 * }
 * }</pre>
 *
 * <p><b>Ownership.</b> Every array a job returns (the model's tensors, the representations, BoI rows) lives in the
 * {@link MemoryScope} passed to it and is freed when that scope closes; the job's temporaries live in a child
 * scope closed before it returns. Closing the {@code Lurm} releases the backend (device memory, streams) and the
 * threads, not the results.
 *
 * <p><b>Thread-safety.</b> Thread-safe: jobs on one instance run one at a time (each already uses every thread
 * and the device); use several instances to run jobs side by side. Closing while a job runs waits for it.
 */
public final class Lurm implements AutoCloseable {
    /** The interests one anchor picked for a user, heaviest first: interest ids (see {@link LurmModel#interestItems}) and their weights. */
    public record AnchorPick(int anchor, int[] interests, float[] weights) {
        public AnchorPick {
            interests = interests.clone();
            weights = weights.clone();
        }

        @Override
        public int[] interests() {
            return interests.clone();
        }

        @Override
        public float[] weights() {
            return weights.clone();
        }
    }

    private final Backend backend;
    private final Parallel par;
    private final Progress progress;
    private boolean closed;

    private Lurm(Backend backend, int threads, Progress progress) {
        this.backend = backend;
        this.par = new Parallel(threads);
        this.progress = progress;
    }

    /** A builder: every available processor, the best backend that can run here, no progress reports. */
    public static Builder builder() {
        return new Builder();
    }

    /** {@code builder().build()}. */
    public static Lurm create() {
        return builder().build();
    }

    /** The settings of a {@link Lurm}. Not thread-safe (one builder per thread). */
    public static final class Builder {
        private int threads = Runtime.getRuntime().availableProcessors();
        private String backend;
        private Progress progress = Progress.NONE;

        private Builder() {
        }

        /** CPU worker threads for the CPU kernels and the host side of the GPU path (default: every processor). */
        public Builder threads(int threads) {
            if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
            this.threads = threads;
            return this;
        }

        /**
         * Forces a backend by name ({@code "cuda"}, {@code "cpu"}, {@code "cpu-scalar"}); {@link #build()} then fails
         * with the reason when it cannot run here. Default: the {@code -Dlurm.backend} property or
         * {@code LURM_BACKEND} when set, else the best backend available ({@link Backends#select()}).
         */
        public Builder backend(String name) {
            this.backend = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Where the jobs report how far they are (Stage 1's stages, training steps, users encoded). */
        public Builder progress(Progress progress) {
            this.progress = Objects.requireNonNull(progress, "progress");
            return this;
        }

        /**
         * Opens the backend and starts the threads.
         *
         * @throws org.lurm.backend.BackendUnavailableException when the backend asked for cannot run here (the
         *                                                      message says why)
         */
        public Lurm build() {
            Backend b = Backends.select(backend == null ? Backends.requestedName() : backend).create(threads);
            try {
                return new Lurm(b, threads, progress);
            } catch (RuntimeException | Error e) {
                b.close();
                throw e;
            }
        }
    }

    /** The backend's name ({@code "cuda"}, {@code "cpu"} or {@code "cpu-scalar"}). */
    public String backendName() {
        return backend.name();
    }

    /** The number of CPU worker threads. */
    public int threads() {
        return par.threads();
    }

    /**
     * Fits a model on {@code events}: Stage 1 (item embeddings, k-means into interests, multi-scale BoI rows), then
     * SMEN trained self-supervised on every user's rows (on the device when the backend has one). No labels are
     * involved.
     *
     * @param scope owns the model's arrays
     * @throws TrainingDivergedException when SMEN's loss stops being finite (lower the learning rate)
     */
    public synchronized LurmModel fit(EventTable events, LurmConfig config, MemoryScope scope) {
        ensureOpen();
        BagOfInterests.Config c1 = config.interests();
        if (config.lenient() != c1.boi().lenient()) c1 = c1.withBoi(c1.boi().withLenient(config.lenient()));
        BagOfInterests stage1 = BagOfInterests.fit(events, null, c1, backend, scope, (stage, nanos, summary) -> {
            try (Progress.Task t = progress.start(stage, 1, "stage")) {
                t.status(summary);
                t.advance(1);
            }
        }, progress);
        try (MemoryScope tmp = scope.child("fit-rows");
             Progress.Task task = progress.start("train SMEN", config.smen().maxSteps(), "steps")) {
            BoiSet rows = stage1.aggregate(events, backend, tmp);
            SmenTrainer.Listener steps = new SmenTrainer.Listener() {
                @Override
                public void onStep(SmenTrainer.StepInfo info) {
                    task.advance(1);
                }
            };
            Smen smen = Smen.train(rows, stage1.interests().centroids(), stage1.embeddings().dim(), config.smen(), backend, par, steps, null, 0);
            return LurmModel.of(stage1, events.items(), events.types(), smen);
        }
    }

    /**
     * The multi-scale BoI rows of {@code events} under {@code model} (items matched by id). For incremental use:
     * aggregate a new period's events, merge them into the rows kept so far
     * ({@link org.lurm.boi.BoiMerge#merge}) and {@link #encode(LurmModel, BoiSet, MemoryScope) encode} the result.
     *
     * @param lenient true: events of items the model has no interest for are skipped and counted
     *                ({@link BoiSet#skippedEvents()}); false: they are an error naming the item
     * @param scope   owns the rows
     */
    public synchronized BoiSet aggregate(LurmModel model, EventTable events, boolean lenient, MemoryScope scope) {
        ensureOpen();
        return model.aggregate(events, lenient, backend, scope);
    }

    /**
     * One representation per user of {@code events} (row u = the table's user index u), {@code model.width()}
     * floats each, off-heap in {@code scope}. Events of items the model does not know are skipped and counted (use
     * {@link #aggregate} with {@code lenient = false} to make them an error instead).
     */
    public synchronized F32Array encode(LurmModel model, EventTable events, MemoryScope scope) {
        ensureOpen();
        try (MemoryScope tmp = scope.child("encode-rows")) {
            return encodeRows(model, model.aggregate(events, true, backend, tmp), scope);
        }
    }

    /** One representation per user of {@code rows} (row u = user index u), {@code model.width()} floats each, in {@code scope}. */
    public synchronized F32Array encode(LurmModel model, BoiSet rows, MemoryScope scope) {
        ensureOpen();
        return encodeRows(model, rows, scope);
    }

    private F32Array encodeRows(LurmModel model, BoiSet rows, MemoryScope scope) {
        if (rows.numInterests() != model.numInterests()) {
            throw new IllegalArgumentException("the rows have " + rows.numInterests() + " interests, the model " + model.numInterests());
        }
        try (SmenEncoding enc = model.smen().encoder(backend, par);
             Progress.Task task = progress.start("encode", rows.numUsers(), "users")) {
            int[] last = {0};
            return model.smen().encode(rows, enc, scope, done -> {
                task.advance(done - last[0]);
                last[0] = done;
            });
        }
    }

    /**
     * What user {@code user}'s representation is made of: per anchor, the {@code top} interests with the largest
     * weight in it (empty when the user has no rows). The volume sink, in a model that has one
     * ({@link SmenConfig#volumeSink()}), carries activity volume and not an interest, and is left out.
     */
    public synchronized List<AnchorPick> explain(LurmModel model, BoiSet rows, int user, int top) {
        ensureOpen();
        if (user < 0 || user >= rows.numUsers()) throw new IndexOutOfBoundsException("user " + user + " of " + rows.numUsers());
        List<AnchorPick> out = new ArrayList<>();
        int k = model.numInterests();
        for (SmenExplanation.AnchorPick p : SmenExplanation.explain(model.smen(), rows, user, top + 1, par)) {
            // The volume sink (a column past the K interests, when the config has one) is not an interest: left out.
            int[] ids = new int[Math.min(top, p.interests().length)];
            float[] w = new float[ids.length];
            int n = 0;
            for (int i = 0; i < p.interests().length && n < ids.length; i++) {
                if (p.interests()[i] >= k) continue;
                ids[n] = p.interests()[i];
                w[n++] = p.weights()[i];
            }
            out.add(new AnchorPick(p.anchor(), java.util.Arrays.copyOf(ids, n), java.util.Arrays.copyOf(w, n)));
        }
        return List.copyOf(out);
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("this Lurm is closed");
    }

    /** Releases the backend and stops the threads (idempotent); results in callers' scopes stay valid. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            par.close();
        } finally {
            backend.close();
        }
    }
}
