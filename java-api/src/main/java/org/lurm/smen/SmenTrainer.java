package org.lurm.smen;

import org.lurm.SmenConfig;
import org.lurm.TrainingDivergedException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.SplittableRandom;

/**
 * Trains SMEN end to end (MODEL.md): batches of users, two disjoint views per user, the contrastive objective,
 * Adam with lazy rows for V, warm-up + cosine schedule, global-norm clipping, early stopping on the loss of a
 * held-out user sample, checkpoints every N steps and resume from the last one.
 *
 * <p><b>Determinism.</b> Everything random is a pure function of (seed, epoch) or (seed, step): the user
 * order of epoch e, the views of step t, the held-out sample. So a run is reproducible for a seed and a thread
 * count, and resuming from a checkpoint continues exactly as the uninterrupted run would have.
 *
 * <p><b>Failure.</b> A non-finite loss or gradient stops training with {@link TrainingDivergedException}; the
 * last checkpoint written is left intact (a checkpoint is only written after a finite step).
 *
 * <p>Not thread-safe (one training run per instance); the objective parallelises internally.
 */
public final class SmenTrainer {
    /** Progress of one step. */
    public record StepInfo(long step, long totalSteps, int epoch, SmenObjective.Loss loss, float learningRate, double gradNorm,
                           double usersPerSecond, double etaSeconds) {
    }

    /** Told of steps, held-out evaluations and checkpoints (the CLI turns these into progress bars). */
    public interface Listener {
        default void onStep(StepInfo info) {
        }

        default void onEvaluation(long step, double heldOutLoss, boolean improved) {
        }

        default void onCheckpoint(long step) {
        }
    }

    /** Where checkpoints go; implementations write atomically. */
    public interface CheckpointStore {
        void save(Checkpoint c);

        Optional<Checkpoint> latest();
    }

    /** Everything needed to resume exactly. */
    public record Checkpoint(long step, float[] params, float[] adamM, float[] adamV, float[] bestParams, double bestHeldOutLoss,
                             int badEvaluations, double[] lossCurve) {
    }

    /** The outcome: the parameters to keep (best on the held-out sample when there is one). */
    /** What a run returned; {@code device} is where its steps ran ({@link SmenSteps#device}; null when unknown, e.g. a restored run). */
    public record Result(float[] params, long steps, double bestHeldOutLoss, boolean stoppedEarly, double[] lossCurve, int trainUsers, int heldOutUsers,
                         String device) {
        public Result(float[] params, long steps, double bestHeldOutLoss, boolean stoppedEarly, double[] lossCurve, int trainUsers, int heldOutUsers) {
            this(params, steps, bestHeldOutLoss, stoppedEarly, lossCurve, trainUsers, heldOutUsers, null);
        }

        public Result withDevice(String d) {
            return new Result(params, steps, bestHeldOutLoss, stoppedEarly, lossCurve, trainUsers, heldOutUsers, d);
        }
    }

    /** The layout's config, then (in train) the config sized for the training users ({@link SmenConfig#sizedFor}). */
    private SmenConfig cfg;
    private final SmenLayout layout;
    private final SmenSteps.Factory engine;
    private final SmenInputs inputs;
    private final float[] initial;
    private final Listener listener;
    private final CheckpointStore store;
    private final int checkpointEvery;

    /** Training on the host: {@code objective}'s gradients and {@link SmenOptimizer} on heap arrays. */
    public SmenTrainer(SmenLayout layout, SmenObjective objective, SmenInputs inputs, float[] initialParams, Listener listener,
                       CheckpointStore store, int checkpointEvery) {
        this(layout, SmenSteps.onHost(Objects.requireNonNull(objective), "cpu"), inputs, initialParams, listener, store, checkpointEvery);
    }

    /** Training on the engine {@code engine} opens (the host, or a device backend's {@link SmenSteps}). */
    public SmenTrainer(SmenLayout layout, SmenSteps.Factory engine, SmenInputs inputs, float[] initialParams, Listener listener,
                       CheckpointStore store, int checkpointEvery) {
        this.layout = layout;
        this.cfg = layout.config();
        this.engine = Objects.requireNonNull(engine);
        this.inputs = Objects.requireNonNull(inputs);
        if (initialParams.length != layout.total()) throw new IllegalArgumentException("initial parameters have " + initialParams.length + " floats, the layout needs " + layout.total());
        this.initial = initialParams;
        this.listener = listener == null ? new Listener() { } : listener;
        this.store = store;
        if (checkpointEvery < 0) throw new IllegalArgumentException("checkpointEvery must be >= 0 (0: never)");
        this.checkpointEvery = checkpointEvery;
    }

    /** Trainable users (>= 2 events) split into training and held-out sets by the seed. */
    int[][] splitUsers() {
        int n = inputs.boi().numUsers();
        int[] ok = new int[n];
        int m = 0;
        for (int u = 0; u < n; u++) if (inputs.trainable(u)) ok[m++] = u;
        ok = Arrays.copyOf(ok, m);
        shuffle(ok, new SplittableRandom(cfg.seed() ^ 0x5DEECE66DL));
        int held = heldOutCount(m, cfg.heldOutFraction());
        int[] heldOut = Arrays.copyOf(ok, held);
        int[] train = Arrays.copyOfRange(ok, held, m);
        Arrays.sort(heldOut);
        Arrays.sort(train);
        return new int[][] {train, heldOut};
    }

    /**
     * Most users held out for early stopping, whatever the fraction: the held-out loss is evaluated over all of
     * them every {@code evalEvery} steps (views built on the host), so an uncapped 5 % of 10^6 users is 196
     * batches 40 times in 2,000 steps: 7,840 batch evaluations beside the 2,000 steps, growing with the users while
     * the steps do not (the H200 scale rows: training 19.7 s at 6.2·10^6 events, 79.9 s at 10^8 for the same
     * steps). 4,096 users are 16 batches of 256, enough for a stable mean loss.
     */
    static final int MAX_HELD_OUT_USERS = 4096;

    /** Held-out users of {@code trainable}: the fraction, floored, at most {@link #MAX_HELD_OUT_USERS}; 0 below 2 (a batch needs negatives). */
    static int heldOutCount(int trainable, double fraction) {
        int held = (int) Math.min(MAX_HELD_OUT_USERS, Math.floor(trainable * fraction));
        return held < 2 ? 0 : held;
    }

    private static void shuffle(int[] a, SplittableRandom r) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int x = a[i];
            a[i] = a[j];
            a[j] = x;
        }
    }

    /** Steps of a run on {@code trainUsers} users ({@link SmenConfig#sizedFor}). */
    public long totalSteps(int trainUsers) {
        return layout.config().sizedFor(trainUsers).maxSteps();
    }

    public Result train() {
        int[][] split = splitUsers();
        int[] train = split[0], heldOut = split[1];
        if (train.length < 2) {
            throw new IllegalArgumentException("SMEN needs at least 2 trainable users (users with >= 2 events), found " + train.length);
        }
        cfg = layout.config().sizedFor(train.length);
        long total = cfg.maxSteps();
        try (SmenSteps steps = engine.open(layout, initial, total)) {
            return run(steps, train, heldOut, total).withDevice(steps.device());
        }
    }

    private Result run(SmenSteps steps, int[] train, int[] heldOut, long total) {
        float[] best = null;
        double bestLoss = Double.POSITIVE_INFINITY;
        int bad = 0;
        List<Double> curve = new ArrayList<>();
        long start = 0;
        if (store != null) {
            Optional<Checkpoint> c = store.latest();
            if (c.isPresent()) {
                Checkpoint k = c.get();
                if (k.params().length != layout.total()) throw new IllegalStateException("checkpoint does not match the model layout");
                steps.restore(k.step(), k.params(), k.adamM(), k.adamV());
                best = k.bestParams();
                bestLoss = k.bestHeldOutLoss();
                bad = k.badEvaluations();
                for (double x : k.lossCurve()) curve.add(x);
                start = k.step();
            }
        }
        int perEpoch = (train.length + cfg.batchUsers() - 1) / cfg.batchUsers();
        boolean stoppedEarly = false;
        long t0 = System.nanoTime();
        long usersDone = 0;
        // The next step's views are built on another thread while this step runs (on the device, or on the
        // objective's threads): building views is host work on the critical path otherwise. Views depend only on
        // the step number, so the result is the same as building them in turn.
        ExecutorService prefetch = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "lurm-smen-views");
            t.setDaemon(true);
            return t;
        });
        orderEpoch = -1;
        // An engine that keeps the BoI rows builds the views itself from the step's users and split seed.
        boolean resident = cfg.periodCrop() >= 1.0 && steps.keepInputs(inputs);
        try {
            Future<StepViews> next = start < total ? prefetch.submit(viewsOf(train, perEpoch, start, resident)) : null;
            for (long step = start; step < total; step++) {
                int epoch = (int) (step / perEpoch);
                StepViews v = await(next);
                next = step + 1 < total ? prefetch.submit(viewsOf(train, perEpoch, step + 1, resident)) : null;
                int batchUsers = v.users().length;
                Future<StepViews> after = next;
                SmenObjective.Loss loss = v.views() == null ? steps.stepOnUsers(v.users(), v.splitSeed())
                        : steps.step(v.views()[0], v.views()[1], () -> after == null ? null : await(after).views());
                double norm = steps.lastGradNorm();
                curve.add(loss.total());
                usersDone += batchUsers;
                double secs = (System.nanoTime() - t0) / 1e9;
                double ups = usersDone / Math.max(1e-9, secs);
                double eta = (total - step - 1) * (secs / (step - start + 1));
                listener.onStep(new StepInfo(step + 1, total, epoch, loss, steps.learningRate(step), norm, ups, eta));

                if (heldOut.length >= 2 && ((step + 1) % cfg.evalEvery() == 0 || step + 1 == total)) {
                    double hl = heldOutLoss(steps, heldOut);
                    boolean improved = hl < bestLoss - 1e-6;
                    if (improved) {
                        bestLoss = hl;
                        best = steps.parameters();
                        bad = 0;
                    } else {
                        bad++;
                    }
                    listener.onEvaluation(step + 1, hl, improved);
                    if (bad >= cfg.patience()) {
                        stoppedEarly = true;
                        maybeCheckpoint(step + 1, true, steps, best, bestLoss, bad, curve);
                        total = step + 1;
                        break;
                    }
                }
                maybeCheckpoint(step + 1, step + 1 == total, steps, best, bestLoss, bad, curve);
            }
        } finally {
            prefetch.shutdownNow();
        }
        double[] c = curve.stream().mapToDouble(Double::doubleValue).toArray();
        return new Result(best != null ? best : steps.parameters(), Math.min(total, curve.size()), bestLoss, stoppedEarly, c, train.length, heldOut.length);
    }

    /** The shuffled training users of epoch {@link #orderEpoch} (built by the prefetch thread only). */
    private int[] order;
    private int orderEpoch = -1;

    /** A step's users and split seed, and its two views unless the engine builds them ({@code views} null). */
    private record StepViews(int[] users, long splitSeed, SmenBatch[] views) {
    }

    /** The two views of step {@code step}: the epoch's shuffled order, the step's slice of it, the step's seed. */
    private Callable<StepViews> viewsOf(int[] train, int perEpoch, long step, boolean resident) {
        return () -> {
            int epoch = (int) (step / perEpoch);
            if (epoch != orderEpoch) { // only the prefetch thread, one task at a time, touches the cache
                order = train.clone();
                shuffle(order, new SplittableRandom(SmenInputs.mix(cfg.seed() + 0x9E3779B97F4A7C15L * (epoch + 1))));
                orderEpoch = epoch;
            }
            int b0 = (int) (step % perEpoch) * cfg.batchUsers();
            int[] users = Arrays.copyOfRange(order, b0, Math.min(order.length, b0 + cfg.batchUsers()));
            if (users.length < 2) users = Arrays.copyOfRange(order, Math.max(0, order.length - cfg.batchUsers()), order.length);
            SplittableRandom rnd = new SplittableRandom(SmenInputs.mix(cfg.seed() ^ (0xA24BAED4963EE407L * (step + 1))));
            if (resident) return new StepViews(users, SmenInputs.splitSeed(rnd), null);
            return new StepViews(users, 0, inputs.views(users, rnd, cfg.periodCrop()));
        };
    }

    private static <T> T await(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while building a batch's views", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        }
    }

    private void maybeCheckpoint(long step, boolean last, SmenSteps steps, float[] best, double bestLoss, int bad, List<Double> curve) {
        if (store == null || checkpointEvery == 0) return;
        if (step % checkpointEvery != 0 && !last) return;
        store.save(new Checkpoint(step, steps.parameters(), steps.firstMoment(), steps.secondMoment(), best == null ? null : best.clone(),
                bestLoss, bad, curve.stream().mapToDouble(Double::doubleValue).toArray()));
        listener.onCheckpoint(step);
    }

    /** Mean loss over held-out batches with fixed views, so evaluations compare. */
    double heldOutLoss(SmenSteps steps, int[] heldOut) {
        double sum = 0;
        int batches = 0;
        for (int b0 = 0; b0 < heldOut.length; b0 += cfg.batchUsers()) {
            int[] users = Arrays.copyOfRange(heldOut, b0, Math.min(heldOut.length, b0 + cfg.batchUsers()));
            if (users.length < 2) continue;
            SmenBatch[] v = inputs.views(users, new SplittableRandom(SmenInputs.mix(cfg.seed() ^ 0x3C6EF372FE94F82AL ^ b0)), 1.0);
            sum += steps.loss(v[0], v[1]).total();
            batches++;
        }
        return batches == 0 ? Double.NaN : sum / batches;
    }
}
