package org.lurm.perf;

import java.nio.file.Path;
import java.util.Locale;
import org.lurm.BagOfInterests;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiSet;
import org.lurm.events.io.MovieLens;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.smen.Smen;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenTrainer;

/**
 * SMEN training on movielens-1m-subset with the default config (MODEL.md sizes), printing the loss curve,
 * held-out evaluations, training time and encode throughput.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx8g -cp perf-tests/target/benchmarks.jar org.lurm.perf.SmenRun [dataDir]
 * </pre>
 */
public final class SmenRun {
    private SmenRun() {
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args.length > 0 ? args[0] : "../shared/data").resolve("movielens-1m-subset");
        int threads = Runtime.getRuntime().availableProcessors();
        try (MemoryScope scope = MemoryScope.root("smen-run"); Backend backend = Backends.create(); Parallel par = new Parallel(threads)) {
            long t0 = System.nanoTime();
            MovieLens.Dataset d = MovieLens.read1m(data, scope);
            BagOfInterests stage1 = BagOfInterests.fit(d.events(), d.catalog(),
                    BagOfInterests.Config.defaults().withEmbedding(BagOfInterests.ItemEmbedding.COOCCURRENCE_AND_TEXT), backend, scope, null);
            BoiSet boi = stage1.aggregate(d.events(), backend, scope);
            long t1 = System.nanoTime();
            System.out.printf(Locale.ROOT, "stage 1: %,d events, %,d users, K = %d, %,d BoI rows, %,d non-zeros, %.1f s%n",
                    d.events().size(), boi.numUsers(), boi.numInterests(), boi.numRows(), boi.nnz(), (t1 - t0) / 1e9);
            SmenConfig cfg = SmenConfig.defaults();
            SmenTrainer.Listener l = new SmenTrainer.Listener() {
                @Override
                public void onStep(SmenTrainer.StepInfo s) {
                    if (s.step() % 10 == 0 || s.step() == 1) {
                        System.out.printf(Locale.ROOT, "step %4d/%d epoch %2d loss %.4f (nce %.4f div %.4f) lr %.2e |g| %.3f %.0f users/s eta %.0f s%n",
                                s.step(), s.totalSteps(), s.epoch(), s.loss().total(), s.loss().nce(), s.loss().div(), s.learningRate(), s.gradNorm(),
                                s.usersPerSecond(), s.etaSeconds());
                    }
                }

                @Override
                public void onEvaluation(long step, double loss, boolean improved) {
                    System.out.printf(Locale.ROOT, "  held-out loss at step %d: %.4f%s%n", step, loss, improved ? " (best)" : "");
                }
            };
            long t2 = System.nanoTime();
            Smen smen = Smen.train(boi, stage1.interests().centroids(), stage1.embeddings().dim(), cfg, par, l, null, 0);
            long t3 = System.nanoTime();
            SmenTrainer.Result r = smen.training();
            System.out.printf(Locale.ROOT, "training: %d steps, %.1f s (%.0f ms/step), stopped early: %s, best held-out loss %.4f%n",
                    r.steps(), (t3 - t2) / 1e9, (t3 - t2) / 1e6 / Math.max(1, r.steps()), r.stoppedEarly(), r.bestHeldOutLoss());
            smen.encode(boi, par, scope); // warm-up
            long t4 = System.nanoTime();
            F32Array z = smen.encode(boi, par, scope);
            long t5 = System.nanoTime();
            System.out.printf(Locale.ROOT, "encode: %,d users x %d floats in %.3f s = %,.0f users/s (%d threads)%n",
                    boi.numUsers(), smen.width(), (t5 - t4) / 1e9, boi.numUsers() / ((t5 - t4) / 1e9), threads);
            if (z.length() != (long) boi.numUsers() * smen.width()) throw new AssertionError("encode size");
        }
    }
}
