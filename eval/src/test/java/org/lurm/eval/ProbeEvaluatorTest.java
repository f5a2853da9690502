package org.lurm.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.events.IdDictionary;
import org.lurm.testing.TestData;

/**
 * The protocol on planted data: the probes recover a linear signal (logistic) and a non-linear one (MLP beats
 * logistic on XOR), ignore noise (AUC near 0.5), the folds are fixed by the task (so identical for every
 * method), and multi-class and multi-label tasks produce their metrics.
 */
class ProbeEvaluatorTest {
    static IdDictionary users(int n) {
        IdDictionary d = new IdDictionary();
        for (int u = 0; u < n; u++) d.add("u" + u);
        return d;
    }

    @Test
    void probesRecoverPlantedSignalsAndFoldsAreFixedByTheTask() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("ProbeEvaluatorTest"));
        int n = 1200, d = 8; // 400 left the MLP on XOR at AUC 0.66 for seed 25476274800547 (267 training points in 8 dims)
        IdDictionary u = users(n);
        float[] x = new float[n * d], noise = new float[n * d];
        int[] lin = new int[n], xor = new int[n], multi = new int[n];
        int[][] ml = new int[n][];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                x[i * d + j] = (float) rnd.nextGaussian();
                noise[i * d + j] = (float) rnd.nextGaussian();
            }
            lin[i] = x[i * d] + 0.5 * x[i * d + 1] + 0.3 * rnd.nextGaussian() > 0 ? 1 : 0;
            xor[i] = (x[i * d + 2] > 0) ^ (x[i * d + 3] > 0) ? 1 : 0;
            multi[i] = x[i * d + 4] < -0.6 ? 0 : x[i * d + 4] < 0.6 ? 1 : 2;
            ml[i] = x[i * d + 5] > 0 ? (x[i * d + 6] > 0 ? new int[] {0, 1} : new int[] {0}) : (x[i * d + 6] > 0 ? new int[] {1} : new int[0]);
        }
        Features f = Features.dense("signal", x, n, d), g = Features.dense("noise", noise, n, d);
        ProbeEvaluator.Options o = ProbeEvaluator.Options.defaults().withSeed(rnd.nextLong()).withFolds(3);
        try (Backend backend = Backends.create()) {
            var linT = ProbeEvaluator.prepare("linear", LabelTable.single("linear", LabelTable.Kind.BINARY, u, List.of("0", "1"), lin), null, o);
            var rs = ProbeEvaluator.evaluate(linT, f, o, backend, null);
            var rn = ProbeEvaluator.evaluate(linT, g, o, backend, null);
            double aucLin = Metrics.mean(rs.get(ProbeEvaluator.LOGISTIC).get("roc_auc"));
            double aucNoise = Metrics.mean(rn.get(ProbeEvaluator.LOGISTIC).get("roc_auc"));
            assertTrue(aucLin > 0.95, "linear signal, logistic AUC " + aucLin);
            assertTrue(Math.abs(aucNoise - 0.5) < 0.1, "noise AUC " + aucNoise);
            assertTrue(Metrics.mean(rs.get(ProbeEvaluator.MLP).get("roc_auc")) > 0.93);
            assertEquals(3, rs.get(ProbeEvaluator.LOGISTIC).get("accuracy").length);

            // same task object, same folds for every method; preparing again gives the same folds too
            var again = ProbeEvaluator.prepare("linear", LabelTable.single("linear", LabelTable.Kind.BINARY, u, List.of("0", "1"), lin), null, o);
            assertArrayEquals(linT.folds().assignment(), again.folds().assignment());

            var xorT = ProbeEvaluator.prepare("xor", LabelTable.single("xor", LabelTable.Kind.BINARY, u, List.of("0", "1"), xor), null, o);
            var rx = ProbeEvaluator.evaluate(xorT, f, o, backend, null);
            double logXor = Metrics.mean(rx.get(ProbeEvaluator.LOGISTIC).get("roc_auc")), mlpXor = Metrics.mean(rx.get(ProbeEvaluator.MLP).get("roc_auc"));
            assertTrue(mlpXor > 0.8 && mlpXor > logXor + 0.2, "MLP " + mlpXor + " vs logistic " + logXor + " on XOR");

            var mcT = ProbeEvaluator.prepare("band", LabelTable.single("band", LabelTable.Kind.MULTI_CLASS, u, List.of("lo", "mid", "hi"), multi), null, o);
            Map<String, Map<String, double[]>> rm = ProbeEvaluator.evaluate(mcT, f, o, backend, null);
            assertTrue(Metrics.mean(rm.get(ProbeEvaluator.LOGISTIC).get("accuracy")) > 0.75, "multi-class accuracy");
            assertTrue(Metrics.mean(rm.get(ProbeEvaluator.MLP).get("macro_f1")) > 0.7, "multi-class macro-F1 (MLP)");

            var mlT = ProbeEvaluator.prepare("tags", LabelTable.multi("tags", u, List.of("a", "b", "never"), ml), null, o);
            assertArrayEquals(new int[] {0, 1}, mlT.scoredClasses(), "a class without positives is not scored");
            var rl = ProbeEvaluator.evaluate(mlT, f, o, backend, null);
            assertTrue(Metrics.mean(rl.get(ProbeEvaluator.LOGISTIC).get("mean_roc_auc")) > 0.9);
            List<ResultRow> rows = ProbeEvaluator.rows("synthetic", mlT, "signal", rl);
            assertEquals(2, rows.size());
            assertEquals(Metrics.mean(rl.get(ProbeEvaluator.LOGISTIC).get("mean_roc_auc")), rows.get(0).mean(), 0);
        }
    }

    /** A single-label table as a reader builds it from names: classes are the distinct names, sorted. */
    static LabelTable byName(String task, LabelTable.Kind kind, IdDictionary u, String[] names) {
        List<String> classes = java.util.Arrays.stream(names).distinct().sorted().toList();
        int[] y = java.util.Arrays.stream(names).mapToInt(classes::indexOf).toArray();
        return LabelTable.single(task, kind, u, classes, y);
    }

    /** The same for a multi-label table. */
    static LabelTable byName(String task, IdDictionary u, String[][] names) {
        List<String> classes = java.util.Arrays.stream(names).flatMap(java.util.Arrays::stream).distinct().sorted().toList();
        int[][] y = new int[names.length][];
        for (int i = 0; i < names.length; i++) y[i] = java.util.Arrays.stream(names[i]).mapToInt(classes::indexOf).toArray();
        return LabelTable.multi(task, u, classes, y);
    }

    static String[] rename(String[] v, Map<String, String> m) {
        return java.util.Arrays.stream(v).map(m::get).toArray(String[]::new);
    }

    /**
     * Folds and metrics are a function of the users' partition into classes: renaming the classes, even so that
     * they sort in another order (or that the names of the two binary classes swap), gives the same folds and
     * bit-identical metrics for both probes.
     */
    @Test
    void renamedOrReorderedClassesGiveTheSameFoldsAndMetrics() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("ProbeEvaluatorTest.renamed"));
        int n = 240, d = 6;
        IdDictionary u = users(n);
        float[] x = new float[n * d];
        String[] sex = new String[n], band = new String[n];
        String[][] tags = new String[n][];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) x[i * d + j] = (float) rnd.nextGaussian();
            sex[i] = x[i * d] + 0.8 * rnd.nextGaussian() > 0.3 ? "M" : "F";
            double b = x[i * d + 1] + 0.5 * rnd.nextGaussian();
            band[i] = b < -0.5 ? "lo" : b < 0.4 ? "mid" : "hi";
            tags[i] = x[i * d + 2] > 0 ? (x[i * d + 3] > 0 ? new String[] {"a", "b"} : new String[] {"a"}) : (x[i * d + 3] > -0.5 ? new String[] {"b"} : new String[0]);
        }
        Features f = Features.dense("signal", x, n, d);
        ProbeEvaluator.Options o = ProbeEvaluator.Options.defaults().withSeed(rnd.nextLong()).withFolds(3)
                .withMlpOptions(MlpProbe.Options.defaults().withMaxEpochs(25));
        List<List<LabelTable>> variants = List.of(
                List.of(byName("sex", LabelTable.Kind.BINARY, u, sex), byName("band", LabelTable.Kind.MULTI_CLASS, u, band), byName("tags", u, tags)),
                // renamed, same sort order
                List.of(byName("sex", LabelTable.Kind.BINARY, u, rename(sex, Map.of("M", "male", "F", "female"))),
                        byName("band", LabelTable.Kind.MULTI_CLASS, u, rename(band, Map.of("lo", "1-low", "mid", "2-mid", "hi", "3-high"))),
                        byName("tags", u, java.util.Arrays.stream(tags).map(t -> rename(t, Map.of("a", "alpha", "b", "beta"))).toArray(String[][]::new))),
                // names permuted: the sort order of the classes changes, and the binary classes swap names
                List.of(byName("sex", LabelTable.Kind.BINARY, u, rename(sex, Map.of("M", "F", "F", "M"))),
                        byName("band", LabelTable.Kind.MULTI_CLASS, u, rename(band, Map.of("lo", "zz", "mid", "aa", "hi", "mm"))),
                        byName("tags", u, java.util.Arrays.stream(tags).map(t -> rename(t, Map.of("a", "b", "b", "a"))).toArray(String[][]::new))));
        try (Backend backend = Backends.create()) {
            List<int[]> folds = new java.util.ArrayList<>();
            List<Map<String, Map<String, double[]>>> results = new java.util.ArrayList<>();
            for (List<LabelTable> v : variants) {
                for (LabelTable t : v) {
                    ProbeEvaluator.Task task = ProbeEvaluator.prepare(t.name(), t, null, o);
                    folds.add(task.folds().assignment());
                    results.add(ProbeEvaluator.evaluate(task, f, o, backend, null));
                }
            }
            int tasks = variants.get(0).size();
            for (int v = 1; v < variants.size(); v++) {
                for (int t = 0; t < tasks; t++) {
                    String what = variants.get(v).get(t).name() + " variant " + v;
                    assertArrayEquals(folds.get(t), folds.get(v * tasks + t), "folds of " + what);
                    var a = results.get(t);
                    var b = results.get(v * tasks + t);
                    assertEquals(a.keySet(), b.keySet());
                    for (String probe : a.keySet()) {
                        for (String metric : a.get(probe).keySet()) {
                            assertArrayEquals(a.get(probe).get(metric), b.get(probe).get(metric), 0, probe + " " + metric + " of " + what);
                        }
                    }
                }
            }
            // the probes did learn something, so the equality is not that of degenerate results
            assertTrue(Metrics.mean(results.get(0).get(ProbeEvaluator.LOGISTIC).get("roc_auc")) > 0.7);
            assertTrue(Metrics.mean(results.get(1).get(ProbeEvaluator.LOGISTIC).get("accuracy")) > 0.5);
        }
    }
}
