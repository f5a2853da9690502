package org.lurm.smen;

import org.lurm.SmenConfig;
import org.lurm.TrainingDivergedException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.boi.BoiSet;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

/** The training loop's mechanics on a simple convex objective: determinism, resume, divergence, early stop. */
class SmenTrainerTest {
    /** L = mean_j (sum_i V[k_j][i] - log w_j)^2 over both views + mean (dense - 0.5)^2. */
    static final class Quadratic implements SmenObjective {
        final SmenLayout l;
        volatile boolean poison;

        Quadratic(SmenLayout l) {
            this.l = l;
        }

        @Override
        public Loss lossAndGradient(float[] p, SmenBatch a, SmenBatch b, float[] g, TouchedRows t) {
            return eval(p, a, b, g, t);
        }

        @Override
        public Loss loss(float[] p, SmenBatch a, SmenBatch b) {
            return eval(p, a, b, null, null);
        }

        Loss eval(float[] p, SmenBatch a, SmenBatch b, float[] g, TouchedRows t) {
            int h = l.config().h(), v0 = l.offset("V");
            double loss = 0;
            int n = a.nnz() + b.nnz();
            for (SmenBatch x : new SmenBatch[] {a, b}) {
                for (int j = 0; j < x.nnz(); j++) {
                    int k = x.cols()[j];
                    double s = 0;
                    for (int i = 0; i < h; i++) s += p[v0 + k * h + i];
                    double r = s - Math.log(x.vals()[j]);
                    loss += r * r / n;
                    if (g != null) {
                        t.add(k);
                        for (int i = 0; i < h; i++) g[v0 + k * h + i] += (float) (2 * r / n);
                    }
                }
            }
            int d = (int) l.denseOffset();
            double dl = 0;
            for (int i = d; i < p.length; i++) {
                double r = p[i] - 0.5;
                dl += r * r / (p.length - d);
                if (g != null) g[i] += (float) (2 * r / (p.length - d));
            }
            double total = poison ? Double.NaN : loss + dl;
            return new Loss(total, loss, dl);
        }
    }

    static final class MemoryStore implements SmenTrainer.CheckpointStore {
        final List<SmenTrainer.Checkpoint> saved = new ArrayList<>();
        long stopAfter = Long.MAX_VALUE;

        @Override
        public void save(SmenTrainer.Checkpoint c) {
            saved.add(c);
            if (c.step() >= stopAfter) throw new IllegalStateException("simulated crash after step " + c.step());
        }

        @Override
        public Optional<SmenTrainer.Checkpoint> latest() {
            return saved.isEmpty() ? Optional.empty() : Optional.of(saved.get(saved.size() - 1));
        }
    }

    static SmenConfig cfg(int maxSteps, double heldOut, int patience) {
        return new SmenConfig(4, 2, 3, 4, 5, 3, 0.1f, 0.1f, 5e-2f, 0.9f, 0.999f, 1e-8f, 2, maxSteps, 0, 5f, 8, heldOut, patience, 5, 1.0, 7L);
    }

    @Test
    void theHeldOutSampleIsTheFractionFlooredAndCapped() {
        assertEquals(0, SmenTrainer.heldOutCount(30, 0.05), "1 user cannot be a batch");
        assertEquals(2, SmenTrainer.heldOutCount(40, 0.05));
        assertEquals(3124, SmenTrainer.heldOutCount(62_499, 0.05), "below the cap: the fraction, floored");
        assertEquals(4096, SmenTrainer.heldOutCount(81_920, 0.05));
        assertEquals(SmenTrainer.MAX_HELD_OUT_USERS, SmenTrainer.heldOutCount(1_000_000, 0.05), "10^6 users: capped, not 50,000");
        assertEquals(0, SmenTrainer.heldOutCount(1_000_000, 0.0));
    }

    @Test
    void lossFallsRunsAreDeterministicAndResumeIsExact() {
        SplittableRandom r = new SplittableRandom(TestData.seed("trainer"));
        try (MemoryScope scope = MemoryScope.root("t")) {
            BoiSet boi = SmenInputsTest.randomBoi(scope, r, 60, 25);
            SmenConfig c = cfg(40, 0.2, 100);
            SmenLayout l = new SmenLayout(c, 25, 2);
            SmenInputs in = new SmenInputs(boi, c.recencyBuckets());
            float[] init = new float[(int) l.total()];
            for (int i = 0; i < init.length; i++) init[i] = (float) r.nextGaussian() * 0.1f;
            SmenTrainer.Result a = new SmenTrainer(l, new Quadratic(l), in, init, null, null, 0).train();
            SmenTrainer.Result b = new SmenTrainer(l, new Quadratic(l), in, init, null, null, 0).train();
            assertArrayEquals(a.params(), b.params(), "same seed, same result");
            assertEquals(40, a.lossCurve().length);
            assertTrue(a.lossCurve()[39] < 0.5 * a.lossCurve()[0], "loss falls: " + a.lossCurve()[0] + " -> " + a.lossCurve()[39]);
            int trainable = 0;
            for (int u = 0; u < 60; u++) if (in.trainable(u)) trainable++;
            assertEquals((int) Math.floor(trainable * 0.2), a.heldOutUsers(), "20 % of the trainable users, floored");
            assertEquals(trainable - a.heldOutUsers(), a.trainUsers());

            MemoryStore store = new MemoryStore();
            store.stopAfter = 20;
            assertThrows(IllegalStateException.class, () -> new SmenTrainer(l, new Quadratic(l), in, init, null, store, 10).train());
            store.stopAfter = Long.MAX_VALUE;
            SmenTrainer.Result resumed = new SmenTrainer(l, new Quadratic(l), in, init, null, store, 10).train();
            assertArrayEquals(a.params(), resumed.params(), "resume from step 20 continues exactly");
            assertArrayEquals(a.lossCurve(), resumed.lossCurve(), 0.0);
        }
    }

    @Test
    void nonFiniteLossStopsWithAClearErrorAndKeepsTheLastCheckpoint() {
        SplittableRandom r = new SplittableRandom(TestData.seed("diverge"));
        try (MemoryScope scope = MemoryScope.root("t")) {
            BoiSet boi = SmenInputsTest.randomBoi(scope, r, 30, 10);
            SmenConfig c = cfg(30, 0.0, 100);
            SmenLayout l = new SmenLayout(c, 10, 2);
            Quadratic q = new Quadratic(l);
            MemoryStore store = new MemoryStore();
            List<Long> steps = new ArrayList<>();
            SmenTrainer.Listener poisonAt12 = new SmenTrainer.Listener() {
                @Override
                public void onStep(SmenTrainer.StepInfo info) {
                    steps.add(info.step());
                    if (info.step() == 12) q.poison = true;
                }
            };
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                    () -> new SmenTrainer(l, q, new SmenInputs(boi, 4), new float[(int) l.total()], poisonAt12, store, 5).train());
            assertTrue(e.getMessage().contains("step 12") && e.getMessage().contains("checkpoint is intact"), e.getMessage());
            assertEquals(10, store.latest().orElseThrow().step(), "checkpoints at 5 and 10; none after the bad step");
        }
    }

    @Test
    void earlyStoppingKeepsTheBestParameters() {
        SplittableRandom r = new SplittableRandom(TestData.seed("early"));
        try (MemoryScope scope = MemoryScope.root("t")) {
            BoiSet boi = SmenInputsTest.randomBoi(scope, r, 60, 25);
            SmenConfig c = cfg(2000, 0.3, 2);
            SmenLayout l = new SmenLayout(c, 25, 2);
            List<Double> evals = new ArrayList<>();
            SmenTrainer.Result res = new SmenTrainer(l, new Quadratic(l), new SmenInputs(boi, 4), new float[(int) l.total()],
                    new SmenTrainer.Listener() {
                        @Override
                        public void onEvaluation(long step, double loss, boolean improved) {
                            evals.add(loss);
                        }
                    }, null, 0).train();
            assertTrue(res.stoppedEarly(), "a convex problem stops improving long before 2000 steps");
            assertTrue(res.steps() < 2000);
            assertEquals(evals.stream().mapToDouble(Double::doubleValue).min().orElseThrow(), res.bestHeldOutLoss(), 0.0);
        }
    }

    @Test
    void fileCheckpointsResumeExactly(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        SplittableRandom r = new SplittableRandom(TestData.seed("file-ckpt"));
        try (MemoryScope scope = MemoryScope.root("t")) {
            BoiSet boi = SmenInputsTest.randomBoi(scope, r, 50, 20);
            SmenConfig c = cfg(30, 0.2, 100);
            SmenLayout l = new SmenLayout(c, 20, 2);
            SmenInputs in = new SmenInputs(boi, c.recencyBuckets());
            float[] init = new float[(int) l.total()];
            for (int i = 0; i < init.length; i++) init[i] = (float) r.nextGaussian() * 0.1f;
            SmenTrainer.Result whole = new SmenTrainer(l, new Quadratic(l), in, init, null, null, 0).train();
            FileCheckpointStore store = new FileCheckpointStore(dir);
            // Crash after the checkpoint at step 10 (the listener throws once it has been written).
            SmenTrainer.Listener crash = new SmenTrainer.Listener() {
                @Override
                public void onCheckpoint(long step) {
                    if (step == 10) throw new IllegalStateException("simulated crash");
                }
            };
            assertThrows(IllegalStateException.class, () -> new SmenTrainer(l, new Quadratic(l), in, init, crash, store, 10).train());
            assertEquals(10, store.latest().orElseThrow().step());
            SmenTrainer.Result resumed = new SmenTrainer(l, new Quadratic(l), in, init, null, store, 10).train();
            assertArrayEquals(whole.params(), resumed.params());
            assertArrayEquals(whole.lossCurve(), resumed.lossCurve(), 0.0);
        }
    }
}
