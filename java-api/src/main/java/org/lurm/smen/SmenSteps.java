package org.lurm.smen;

import org.lurm.TrainingDivergedException;

/**
 * Where SMEN's training steps run: forward, InfoNCE (+ the diversity and prediction terms), backward, the
 * global-norm clip and Adam, with the parameters and Adam's moments kept by the engine between steps. The host
 * engine ({@link #onHost}) runs {@link SmenObjective#lossAndGradient} and {@link SmenOptimizer} on heap arrays; a
 * backend with a device path ({@link org.lurm.backend.Backend#smenTraining}) keeps everything in device memory and
 * copies only the views up and the loss back. {@link SmenTrainer} drives either the same way (schedule, held-out
 * evaluation, early stopping, checkpoints), so the results agree within float32 rounding.
 *
 * <p><b>Ownership</b>: the engine owns its memory; {@link #close} (idempotent) frees it. Heap arrays it returns are
 * copies the caller owns. <b>Not thread-safe</b>: one step at a time.
 */
public interface SmenSteps extends AutoCloseable {
    /**
     * One optimisation step on two views of the same users.
     *
     * @throws TrainingDivergedException when the loss or the gradient norm is not finite (the parameters are
     *                                   left as they were before the step)
     */
    SmenObjective.Loss step(SmenBatch a, SmenBatch b);

    /**
     * Offers the engine the training inputs so that it can keep the BoI rows where its steps run and build each
     * step's views there ({@link #stepOnUsers}): the data go up once, and a step sends only its user list. Returns
     * whether it will; when not (the default, rows that do not fit, a configuration it cannot build views for), the
     * trainer builds the views on the host and calls {@link #step}.
     */
    default boolean keepInputs(SmenInputs inputs) {
        return false;
    }

    /**
     * One step on the views {@code inputs.views(users, splitSeed)} would build ({@link SmenInputs#views(int[], long)}),
     * built by the engine from the inputs it kept; only after {@link #keepInputs} returned true. Same contract as
     * {@link #step}.
     */
    default SmenObjective.Loss stepOnUsers(int[] users, long splitSeed) {
        throw new UnsupportedOperationException("this engine does not keep the training inputs (keepInputs returned false)");
    }

    /**
     * {@link #step(SmenBatch, SmenBatch)}, told how to get the next step's views ({@code next} may block until they are
     * built and returns null after the last step) so that a device engine can upload them while this step's kernels
     * run. The default ignores {@code next}.
     */
    default SmenObjective.Loss step(SmenBatch a, SmenBatch b, java.util.function.Supplier<SmenBatch[]> next) {
        return step(a, b);
    }

    /** The loss of two views without changing anything (held-out evaluation). */
    SmenObjective.Loss loss(SmenBatch a, SmenBatch b);

    /** Global gradient norm (before clipping) of the last step. */
    double lastGradNorm();

    /** The learning rate of step {@code t} (0-based), as {@link SmenOptimizer#learningRate}. */
    float learningRate(long t);

    /** Steps taken (restored ones included). */
    long steps();

    /** The current parameters (a new heap array). */
    float[] parameters();

    /** Adam's first moment (a new heap array). */
    float[] firstMoment();

    /** Adam's second moment (a new heap array). */
    float[] secondMoment();

    /** Continues from a checkpoint: parameters, Adam's moments and the step count. */
    void restore(long step, float[] params, float[] adamM, float[] adamV);

    /** Where the steps run, for reports ("cpu, 2 threads", "cuda: NAME"). */
    String device();

    @Override
    void close();

    /** Opens an engine for a run of {@code totalSteps} steps from {@code initialParams} (not modified). */
    @FunctionalInterface
    interface Factory {
        SmenSteps open(SmenLayout layout, float[] initialParams, long totalSteps);
    }

    /** The host engine over an objective (SmenModel on some ops, or a test objective). */
    static Factory onHost(SmenObjective objective, String device) {
        return (layout, init, total) -> new HostSteps(layout, objective, init, total, device);
    }

    /** {@link #step} on heap arrays: the objective's gradient, then {@link SmenOptimizer#apply}. */
    final class HostSteps implements SmenSteps {
        private final SmenLayout layout;
        private final SmenObjective objective;
        private final SmenOptimizer opt;
        private final TouchedRows touched;
        private final float[] params;
        private final float[] grad;
        private final String device;
        private long step;
        private double lastNorm = Double.NaN;

        HostSteps(SmenLayout layout, SmenObjective objective, float[] init, long totalSteps, String device) {
            if (init.length != layout.total()) throw new IllegalArgumentException("initial parameters have " + init.length + " floats, the layout needs " + layout.total());
            this.layout = layout;
            this.objective = objective;
            this.opt = new SmenOptimizer(layout, totalSteps);
            this.touched = new TouchedRows(layout.numInterests());
            this.params = init.clone();
            this.grad = new float[params.length];
            this.device = device;
        }

        @Override
        public SmenObjective.Loss step(SmenBatch a, SmenBatch b) {
            touched.clear();
            SmenObjective.Loss loss = objective.lossAndGradient(params, a, b, grad, touched);
            if (!loss.isFinite()) {
                throw new TrainingDivergedException("loss became " + loss.total() + " at step " + step + " (nce " + loss.nce() + ", div " + loss.div()
                        + "); the last checkpoint is intact. Lower the learning rate or check the input weights");
            }
            try {
                lastNorm = opt.apply(params, grad, touched.rows(), touched.size());
            } catch (ArithmeticException e) {
                throw new TrainingDivergedException(e.getMessage() + "; the last checkpoint is intact");
            }
            step++;
            return loss;
        }

        @Override
        public SmenObjective.Loss loss(SmenBatch a, SmenBatch b) {
            return objective.loss(params, a, b);
        }

        @Override
        public double lastGradNorm() {
            return lastNorm;
        }

        @Override
        public float learningRate(long t) {
            return opt.learningRate(t);
        }

        @Override
        public long steps() {
            return step;
        }

        @Override
        public float[] parameters() {
            return params.clone();
        }

        @Override
        public float[] firstMoment() {
            return opt.firstMoment().clone();
        }

        @Override
        public float[] secondMoment() {
            return opt.secondMoment().clone();
        }

        @Override
        public void restore(long step, float[] p, float[] m, float[] v) {
            if (p.length != params.length) throw new IllegalStateException("checkpoint does not match the model layout");
            System.arraycopy(p, 0, params, 0, params.length);
            opt.restore(step, m, v);
            this.step = step;
        }

        @Override
        public String device() {
            return device;
        }

        @Override
        public void close() {
        }

        SmenLayout layout() {
            return layout;
        }
    }
}
