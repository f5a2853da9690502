package org.lurm.smen;

import org.lurm.SmenConfig;
import java.util.Objects;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiSet;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;

/**
 * A trained SMEN encoder (MODEL.md, Stage 2): the parameters, the IDF and recency reference the model was
 * trained with, and the encoder that turns any user's BoI rows into M vectors of d' floats.
 *
 * <pre>{@code
 * Smen smen = Smen.train(boi, interests.centroids(), embeddingDim, SmenConfig.defaults(), par, listener, null, 0);
 * F32Array z = smen.encode(boi, par, scope);     // users x (M * d'), off-heap, owned by scope
 * }</pre>
 *
 * <p>Encoding is inductive: users the model never saw are encoded from their BoI rows alone, weighted with the
 * training IDF. Immutable and thread-safe: {@link #encode} may run from several threads at once.
 */
public final class Smen {
    private final SmenLayout layout;
    private final float[] params;
    private final float[] idf;
    private final long[] reference;
    private final SmenTrainer.Result training;
    /** The calibrated sink's weights per scale (from the training data), or null. */
    private final float[] sinkWeights;

    /** The row sink's weight per scale ({@link SmenConfig.VolumeSink#CALIBRATED}), or null when it is 1. */
    public float[] sinkWeights() {
        return sinkWeights == null ? null : sinkWeights.clone();
    }

    public Smen(SmenLayout layout, float[] params, float[] idf, long[] reference, SmenTrainer.Result training) {
        this(layout, params, idf, reference, null, training);
    }

    /**
     * @param sinkWeights the row sink's weight per scale, required with {@link SmenConfig.VolumeSink#CALIBRATED}
     *                    (those of the training data, see {@link SmenInputs#sinkWeights()}) and null otherwise
     */
    public Smen(SmenLayout layout, float[] params, float[] idf, long[] reference, float[] sinkWeights, SmenTrainer.Result training) {
        this.layout = Objects.requireNonNull(layout);
        if (params.length != layout.total()) throw new IllegalArgumentException("parameters do not match the layout");
        if (idf.length != layout.boiInterests()) throw new IllegalArgumentException("idf must have K entries");
        if (reference.length != layout.scales()) throw new IllegalArgumentException("need one reference period per scale");
        boolean calibrated = layout.config().volumeSink() == SmenConfig.VolumeSink.CALIBRATED;
        if (calibrated != (sinkWeights != null)) {
            throw new IllegalArgumentException(calibrated ? "a calibrated volume sink needs its weights per scale" : "sink weights are only for the calibrated volume sink");
        }
        this.params = params;
        this.idf = idf;
        this.reference = reference;
        this.sinkWeights = sinkWeights == null ? null : SmenInputs.checkedSinkWeights(sinkWeights, layout.scales());
        this.training = training;
    }

    /**
     * Initialises SMEN from the interest centroids (MODEL.md: V from the k-means centroids by PCA) and trains it
     * on the users of {@code boi}.
     *
     * @param centroids K x centroidDim, the interest model's centroids
     * @param store     checkpoints (null: none); training resumes from its latest checkpoint
     */
    public static Smen train(BoiSet boi, F32Array centroids, int centroidDim, SmenConfig config, Parallel par,
                             SmenTrainer.Listener listener, SmenTrainer.CheckpointStore store, int checkpointEvery) {
        Smen init = initial(boi, centroids, centroidDim, config, par);
        return train(boi, init.layout, init.params, par, listener, store, checkpointEvery);
    }

    /**
     * The untrained encoder: the initial parameters {@link #train} starts from (same config, same seed), weighted
     * with {@code boi}'s IDF. "What training adds" is the difference between this and the trained encoder.
     */
    public static Smen initial(BoiSet boi, F32Array centroids, int centroidDim, SmenConfig config, Parallel par) {
        SmenLayout layout = new SmenLayout(config, boi.numInterests(), boi.config().scales().size());
        SmenInputs in = new SmenInputs(boi, config.recencyBuckets()).withVolumeSink(config.volumeSink());
        float[] init = SmenInit.initialize(layout, boi, in.idf(), centroids, centroidDim, SmenInit.Options.defaults(config.seed()), par).parameters();
        return new Smen(layout, init, in.idf(), in.referencePeriods(), in.sinkWeights(), null);
    }

    /**
     * As {@link #train(BoiSet, F32Array, int, SmenConfig, Parallel, SmenTrainer.Listener, SmenTrainer.CheckpointStore, int)},
     * with the training steps on {@code backend}'s device when it has a device path
     * ({@link org.lurm.backend.Backend#smenTraining}; the CPU backends train on the host with {@code par}).
     * {@link #training()}{@code .device()} says where it ran.
     */
    public static Smen train(BoiSet boi, F32Array centroids, int centroidDim, SmenConfig config, org.lurm.backend.Backend backend, Parallel par,
                             SmenTrainer.Listener listener, SmenTrainer.CheckpointStore store, int checkpointEvery) {
        Smen init = initial(boi, centroids, centroidDim, config, par);
        return train(boi, init.layout, init.params, backend, par, listener, store, checkpointEvery);
    }

    /** Trains from given initial parameters (e.g. for a random-init comparison), on the host. */
    public static Smen train(BoiSet boi, SmenLayout layout, float[] init, Parallel par, SmenTrainer.Listener listener,
                             SmenTrainer.CheckpointStore store, int checkpointEvery) {
        return train(boi, layout, init, null, par, listener, store, checkpointEvery);
    }

    /** Trains from given initial parameters on {@code backend} (null: the host with {@code par}). */
    public static Smen train(BoiSet boi, SmenLayout layout, float[] init, org.lurm.backend.Backend backend, Parallel par, SmenTrainer.Listener listener,
                             SmenTrainer.CheckpointStore store, int checkpointEvery) {
        SmenInputs inputs = new SmenInputs(boi, layout.config().recencyBuckets()).withVolumeSink(layout.config().volumeSink());
        SmenSteps.Factory host = SmenSteps.onHost(new SmenModel(layout, par), "cpu (" + par.threads() + " threads)");
        SmenSteps.Factory engine = backend == null ? host
                : (l, p, total) -> backend.smenTraining(l, p, total).orElseGet(() -> host.open(l, p, total));
        SmenTrainer.Result r = new SmenTrainer(layout, engine, inputs, init, listener, store, checkpointEvery).train();
        return new Smen(layout, r.params(), inputs.idf(), inputs.referencePeriods(), inputs.sinkWeights(), r);
    }

    /** An untrained encoder over given parameters (the random-init baseline, or a loaded model). */
    public static Smen of(SmenLayout layout, float[] params, BoiSet weightingFrom) {
        SmenInputs in = new SmenInputs(weightingFrom, layout.config().recencyBuckets()).withVolumeSink(layout.config().volumeSink());
        return new Smen(layout, params, in.idf(), in.referencePeriods(), in.sinkWeights(), null);
    }

    public SmenLayout layout() {
        return layout;
    }

    public SmenConfig config() {
        return layout.config();
    }

    /** The parameters (a copy). */
    public float[] parameters() {
        return params.clone();
    }

    float[] parametersShared() {
        return params;
    }

    public float[] idf() {
        return idf.clone();
    }

    public long[] referencePeriods() {
        return reference.clone();
    }

    /** How training went, or null for a loaded or untrained model. */
    public SmenTrainer.Result training() {
        return training;
    }

    /** Width of one user's representation: M * d'. */
    public int width() {
        return layout.config().outputWidth();
    }

    /** The inputs view of a BoI set, weighted as this model was trained. */
    public SmenInputs inputs(BoiSet boi) {
        if (boi.numInterests() != layout.boiInterests()) {
            throw new IllegalArgumentException("the BoI set has K = " + boi.numInterests() + " interests, the model " + layout.boiInterests());
        }
        if (boi.config().scales().size() != layout.scales()) {
            throw new IllegalArgumentException("the BoI set has " + boi.config().scales().size() + " scales, the model " + layout.scales());
        }
        return new SmenInputs(boi, layout.config().recencyBuckets(), idf, reference).withVolumeSink(layout.config().volumeSink(), sinkWeights);
    }

    /**
     * Encodes every user of {@code boi} into an off-heap float32 matrix (users x M*d', row u = user u) owned by
     * {@code scope}. Users without rows get zeros.
     */
    public F32Array encode(BoiSet boi, Parallel par, MemoryScope scope) {
        return encode(boi, null, par, scope);
    }

    /**
     * As {@link #encode(BoiSet, Parallel, MemoryScope)}, on {@code backend}'s device when it has a device encoder
     * ({@link #encoder}; null: the host).
     */
    public F32Array encode(BoiSet boi, org.lurm.backend.Backend backend, Parallel par, MemoryScope scope) {
        try (SmenEncoding enc = encoder(backend, par)) {
            return encode(boi, enc, scope, done -> { });
        }
    }

    /**
     * Every user of {@code boi} encoded by {@code enc} (not closed here) in batches of 2,048 users, into one off-heap
     * array (users x width) owned by {@code scope}; {@code progress} is told the users done after each batch.
     */
    public F32Array encode(BoiSet boi, SmenEncoding enc, MemoryScope scope, java.util.function.IntConsumer progress) {
        int n = boi.numUsers();
        F32Array out = scope.allocateF32((long) n * width());
        SmenInputs in = inputs(boi);
        int batch = 2048;
        for (int b0 = 0; b0 < n; b0 += batch) {
            int[] users = new int[Math.min(batch, n - b0)];
            for (int i = 0; i < users.length; i++) users[i] = b0 + i;
            float[] z = enc.encode(in.full(users));
            out.copyFrom(z, 0, (long) b0 * width(), z.length);
            progress.accept(users.length);
        }
        return out;
    }

    /**
     * Diagnostic: for every user, V's rows averaged over the user's lifetime interests at the finest scale, each
     * weighted as SMEN weighs its inputs (log(1 + x) · idf with x the lifetime count): the representation without
     * the anchor, time and scale modules. Users without rows get zeros. Heap array, users x h.
     */
    public float[] meanInterestEmbedding(BoiSet boi) {
        int n = boi.numUsers(), h = layout.config().h(), k = layout.boiInterests();
        if (boi.numInterests() != k) throw new IllegalArgumentException("the BoI set has K = " + boi.numInterests() + " interests, the model " + k);
        int vOff = layout.offset("V");
        float[] out = new float[Math.multiplyExact(n, h)];
        double[] acc = new double[k];
        boolean[] touched = new boolean[k];
        int[] list = new int[k];
        double[] sum = new double[h];
        for (int u = 0; u < n; u++) {
            int m = LifetimeBoi.accumulate(boi, u, acc, touched, list);
            java.util.Arrays.fill(sum, 0);
            double wsum = 0;
            for (int q = 0; q < m; q++) {
                int c = list[q];
                double w = Math.log1p(Math.max(0, acc[c])) * idf[c];
                acc[c] = 0;
                touched[c] = false;
                if (!(w > 0)) continue;
                wsum += w;
                for (int i = 0; i < h; i++) sum[i] += w * params[vOff + c * h + i];
            }
            if (wsum > 0) for (int i = 0; i < h; i++) out[u * h + i] = (float) (sum[i] / wsum);
        }
        return out;
    }

    /**
     * An encoder session: on {@code backend}'s device when it has a device path
     * ({@link org.lurm.backend.Backend#smenEncoder}, parameters uploaded once), else on the host with {@code par}.
     * The caller closes it.
     */
    public SmenEncoding encoder(org.lurm.backend.Backend backend, Parallel par) {
        if (backend != null) {
            java.util.Optional<SmenEncoding> d = backend.smenEncoder(layout, params);
            if (d.isPresent()) return d.get();
        }
        SmenModel model = new SmenModel(layout, par);
        String where = "cpu (" + par.threads() + " threads)";
        return new SmenEncoding() {
            @Override
            public float[] encode(SmenBatch batch) {
                return model.encode(params, batch, false).z();
            }

            @Override
            public String device() {
                return where;
            }

            @Override
            public void close() {
            }
        };
    }

    /** z of the given users (heap array, users.length x M*d'). */
    public float[] encode(BoiSet boi, int[] users, Parallel par) {
        return new SmenModel(layout, par).encode(params, inputs(boi).full(users), false).z();
    }
}
