package org.lurm.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.lurm.progress.Progress;
import org.lurm.testing.TestData;

/**
 * The whole protocol end to end on movielens-100k with reduced settings (small K, few SMEN steps, 3 folds, a
 * two-value grid, a short MLP): every task x method x probe has its row, the inductive rows, the loss curve,
 * the projection, the settings, progress for every long step, and the tables and claims format.
 */
class BenchmarkTest {
    @Test
    void reducedRunOnMovieLens100k() throws Exception {
        Path dir = TestData.dataset("movielens-100k");
        BenchmarkOptions d = BenchmarkOptions.defaults();
        ProbeEvaluator.Options p = new ProbeEvaluator.Options(3, 7L, new double[] {1e-3, 1e-1}, 20, LogisticRegression.Options.defaults().withMaxIterations(30),
                MlpProbe.Options.defaults().withMaxEpochs(8), true);
        // small widths keep it quick: e = 16, K = 150, SMEN h 16, M 4, d' 8 (32 floats per user, so baselines are 32 wide), 12 steps
        org.lurm.SmenConfig small = new org.lurm.SmenConfig(16, 4, 8, 16, 32, 16, 0.1f, 0.1f, 3e-3f, 0.9f, 0.999f, 1e-8f, 2, 12, 0, 5f, 128, 0.1,
                50, 25, 1.0, 11L);
        BenchmarkOptions o = d.withStage1(d.stage1().withInterests(150).withDim(16)).withSmen(small).withProbes(p).withSeed(7)
                .withThreads(2).withCommand("BenchmarkTest");
        Map<String, AtomicLong> started = new ConcurrentHashMap<>();
        Progress progress = (name, total, unit) -> {
            started.computeIfAbsent(name, k -> new AtomicLong()).incrementAndGet();
            return Progress.Task.NONE;
        };
        long t0 = System.nanoTime();
        EvaluationReport r = Benchmark.run("movielens-100k", dir.getParent(), o, progress);
        System.out.printf("[benchmark] reduced run on movielens-100k: %.1f s%n%s", (System.nanoTime() - t0) / 1e9, ResultsTable.plainText(r.rows()));

        List<String> methods = List.of(Baselines.LURM, Baselines.RAW_BOI, Baselines.BOI_RSVD, Baselines.ITEM_TFIDF_RSVD, Baselines.MEAN_ITEM_EMBEDDING,
                Baselines.RANDOM_PROJECTION);
        Map<String, List<String>> metrics = Map.of("gender", List.of("roc_auc", "accuracy", "macro_f1"), "age", List.of("accuracy", "macro_f1"),
                "occupation", List.of("accuracy", "macro_f1"), "preference", List.of("mean_roc_auc"));
        for (var task : metrics.entrySet()) {
            for (String m : methods) {
                for (String probe : List.of(ProbeEvaluator.LOGISTIC, ProbeEvaluator.MLP)) {
                    for (String metric : task.getValue()) {
                        ResultRow row = find(r.rows(), "movielens-100k", task.getKey(), m, probe, metric);
                        assertNotNull(row, task.getKey() + " / " + m + " / " + probe + " / " + metric);
                        assertEquals(3, row.perFold().length);
                        assertTrue(row.mean() > 0 && row.mean() <= 1, row.toString());
                    }
                }
            }
        }
        String inductive = "movielens-100k" + Benchmark.INDUCTIVE;
        for (String task : List.of("gender", "age", "occupation")) {
            for (String m : List.of(Benchmark.LURM_INDUCTIVE, Benchmark.LURM_TRANSDUCTIVE, Baselines.RAW_BOI)) {
                assertNotNull(find(r.rows(), inductive, task, m, ProbeEvaluator.LOGISTIC, task.equals("gender") ? "roc_auc" : "accuracy"), task + " " + m);
            }
        }
        // gender is learnable from ratings: raw BoI clearly above chance; LURM after 12 steps above chance too
        assertTrue(find(r.rows(), "movielens-100k", "gender", Baselines.RAW_BOI, ProbeEvaluator.LOGISTIC, "roc_auc").mean() > 0.6);
        assertTrue(find(r.rows(), "movielens-100k", "gender", Baselines.LURM, ProbeEvaluator.LOGISTIC, "roc_auc").mean() > 0.55);
        assertTrue(find(r.rows(), "movielens-100k", "preference", Baselines.LURM, ProbeEvaluator.LOGISTIC, "mean_roc_auc").mean() > 0.6);

        assertEquals(12, r.trainingLoss().size());
        assertTrue(r.trainingLoss().stream().allMatch(lp -> Double.isFinite(lp.loss())));
        assertNotNull(r.projection());
        assertEquals(943, r.projection().x().length);
        assertEquals("32", r.settings().get("width (M·d')"));
        assertEquals("gender", r.projection().label());
        assertTrue(List.of(r.projection().classes()).containsAll(List.of("F", "M")));
        for (String k : List.of("seed", "command", "Stage 1", "SMEN", "probes", "machine", "time: total", "inductive check", "preference task")) {
            assertTrue(r.settings().containsKey(k), "settings has " + k + ": " + r.settings().keySet());
        }
        for (String step : List.of("fit Stage 1 (all events)", "train SMEN (all events)", "encode (all events)", "baselines (all events)",
                "fit Stage 1 (early events)", "probe gender / LURM", "probe preference / raw BoI", "encode unseen users")) {
            assertTrue(started.containsKey(step), "progress reported for '" + step + "': " + started.keySet());
        }

        String md = ResultsTable.markdown(r.rows());
        for (String m : methods) assertTrue(md.contains(m), m);
        assertTrue(md.contains("### " + inductive));
        List<Claims.Claim> claims = Claims.evaluate(r.rows(), "movielens-100k", ProbeEvaluator.LOGISTIC);
        assertEquals(2, claims.size());
        assertEquals(6, claims.get(0).comparisons().size(), "lossless: gender AUC, age acc/F1, occupation acc/F1, preference AUC");
        assertEquals(4, claims.get(1).comparisons().size(), "one comparison per width-matched peer");
        for (Claims.Comparison c : claims.get(0).comparisons()) assertEquals(c.lurm() >= 0.97 * c.otherValue(), c.holds());
        assertEquals(claims.get(0).comparisons().stream().allMatch(Claims.Comparison::holds), claims.get(0).holds());
        assertFalse(Claims.markdown(claims).isEmpty());
    }

    @Test
    void evaluatesGivenVectorsWithTheSameFoldsForEveryMethod() {
        int n = 300;
        org.lurm.events.IdDictionary users = new org.lurm.events.IdDictionary();
        for (int u = 0; u < n; u++) users.add("u" + u);
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(TestData.seed("BenchmarkTest.evaluate"));
        float[] good = new float[n * 4], bad = new float[n * 4];
        int[] y = new int[n];
        for (int u = 0; u < n; u++) {
            y[u] = rnd.nextBoolean() ? 1 : 0;
            for (int j = 0; j < 4; j++) {
                good[u * 4 + j] = (float) (rnd.nextGaussian() + (j == 0 ? 2 * y[u] : 0));
                bad[u * 4 + j] = (float) rnd.nextGaussian();
            }
        }
        LabelTable label = LabelTable.single("planted", LabelTable.Kind.BINARY, users, List.of("no", "yes"), y);
        ProbeEvaluator.Options p = ProbeEvaluator.Options.defaults().withMlp(false).withFolds(4);
        EvaluationReport r = Benchmark.evaluate("toy", List.of(Features.dense("good", good, n, 4), Features.dense("noise", bad, n, 4)), List.of(label), p, 2, null);
        assertEquals(2 * 3, r.rows().size(), "2 methods x 3 binary metrics, logistic only");
        assertTrue(find(r.rows(), "toy", "planted", "good", ProbeEvaluator.LOGISTIC, "roc_auc").mean() > 0.85);
        assertTrue(find(r.rows(), "toy", "planted", "noise", ProbeEvaluator.LOGISTIC, "roc_auc").mean() < 0.65);
        assertEquals(n, r.projection().x().length);
    }

    static ResultRow find(List<ResultRow> rows, String ds, String task, String method, String probe, String metric) {
        List<ResultRow> m = new ArrayList<>();
        for (ResultRow r : rows) {
            if (r.dataset().equals(ds) && r.task().equals(task) && r.method().equals(method) && r.probe().equals(probe) && r.metric().equals(metric)) m.add(r);
        }
        assertTrue(m.size() <= 1, "one row per cell");
        return m.isEmpty() ? null : m.get(0);
    }
}
