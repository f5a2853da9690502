package org.lurm.perf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.lurm.BagOfInterests;
import org.lurm.eval.Benchmark;
import org.lurm.eval.BenchmarkOptions;
import org.lurm.eval.EvaluationReport;
import org.lurm.eval.LabelTable;
import org.lurm.eval.ResultRow;
import org.lurm.memory.MemoryScope;
import org.lurm.progress.Progress;
import org.lurm.SmenConfig;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
import org.lurm.synth.SyntheticData;
import org.lurm.eval.PlantedCeilings;

/**
 * The ablation runner of issue 10: SMEN configurations x seeds x datasets through the one evaluation protocol
 * ({@link Benchmark}, logistic probe, same folds for every method of a run), printing per method the mean over
 * the task metrics (the claims' "mean of six": gender ROC-AUC, age accuracy and macro-F1, occupation accuracy
 * and macro-F1, preference mean ROC-AUC; on the generator segment / drift AUC and age-group accuracy and F1) as
 * mean ± std over seeds next to the fold noise (sqrt(Σ σ_t²) / T of the per-metric fold standard deviations,
 * averaged over seeds). A seed changes the folds, Stage 1 and SMEN together.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx8g -cp java-api/target/classes:perf-tests/target/classes org.lurm.perf.AblationRun \
 *     [--data ../shared/data] [--datasets movielens-100k,movielens-1m-subset,synthetic] [--seeds 42,7,1234] [--steps 300]
 *     [--synthetic-users 3000] [--synthetic-items 2000] [--k 0] [--variant NAME:key=value,key=value ...] [--base key=value,...] [--out FILE]
 *     [--no-baselines] [--ceilings]   (--ceilings: on generated data, also probe {@link PlantedCeilings}' two reference rows)
 * </pre>
 * Variant keys: h, lr, interestInit (CENTROID_PCA | BOI_SVD), sink (NONE | ROWS | ROWS_AND_PERIODS | CALIBRATED), lrRef (steps; 0: constant lr), anchorInit (scale S of the clustered anchors; 0: random), anchorClusters (how many of the anchors; 0: all), interestLr, anchorLr, tau, div, batch, steps,
 * anchors, anchorDim, crop. The "LURM" row is the base configuration ({@code --base}, default
 * {@link SmenConfig#defaults()} with the given steps); its untrained encoder and the weight-averaged V are
 * always reported ({@link Benchmark#LURM_UNTRAINED}, {@link Benchmark#WEIGHTED_V}).
 */
public final class AblationRun {
    private AblationRun() {
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of("../shared/data");
        List<String> datasets = List.of("movielens-100k", "movielens-1m-subset", "synthetic");
        List<Long> seeds = List.of(42L, 7L, 1234L);
        int steps = 0, synthUsers = 3000, synthItems = 2000, k = 0, embDim = 0;
        String base = "";
        Map<String, String> variants = new LinkedHashMap<>();
        Path out = null;
        boolean baselines = true, ceilings = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--data" -> data = Path.of(args[++i]);
                case "--datasets" -> datasets = List.of(args[++i].split(","));
                case "--seeds" -> seeds = java.util.Arrays.stream(args[++i].split(",")).map(Long::parseLong).toList();
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--synthetic-users" -> synthUsers = Integer.parseInt(args[++i]);
                case "--synthetic-items" -> synthItems = Integer.parseInt(args[++i]);
                case "--k" -> k = Integer.parseInt(args[++i]);
                case "--e" -> embDim = Integer.parseInt(args[++i]);
                case "--base" -> base = args[++i];
                case "--no-baselines" -> baselines = false;
                case "--ceilings" -> ceilings = true;
                case "--variant" -> {
                    String v = args[++i];
                    int c = v.indexOf(':');
                    variants.put(v.substring(0, c), v.substring(c + 1));
                }
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        String command = "AblationRun " + String.join(" ", args);
        // method -> dataset -> per-seed (mean of task metrics, fold noise)
        Map<String, Map<String, List<double[]>>> acc = new LinkedHashMap<>();
        StringBuilder log = new StringBuilder("# " + command + "\n\n");
        for (String ds : datasets) {
            for (long seed : seeds) {
                SmenConfig main = apply(SmenConfig.defaults().toBuilder().maxSteps(steps).seed(seed), base).build();
                if (steps == 0) main = main.toBuilder().maxSteps(0).build();
                Map<String, SmenConfig> vs = new LinkedHashMap<>();
                for (var e : variants.entrySet()) vs.put(e.getKey(), apply(main.toBuilder(), e.getValue()).build());
                BenchmarkOptions o = BenchmarkOptions.defaults().withSeed(seed).withSmen(main).withVariants(vs).withInductive(false)
                        .withBaselines(baselines).withCommand(command);
                o = o.withStage1(o.stage1().withSeed(seed).withInterests(k)).withProbes(o.probes().withMlp(false));
                if (embDim > 0) o = o.withStage1(o.stage1().withDim(embDim));
                long t0 = System.nanoTime();
                EvaluationReport r = run(ds, data, o, synthUsers, synthItems, seed, ceilings);
                double secs = (System.nanoTime() - t0) / 1e9;
                Map<String, double[]> m = summarize(r.rows(), ds);
                StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "## %s seed %d (%.0f s; K = %s)%n", ds, seed, secs, r.settings().get("interests K")));
                for (var e : m.entrySet()) {
                    sb.append(String.format(Locale.ROOT, "  %-28s mean %.4f  fold noise %.4f  %s%n", e.getKey(), e.getValue()[0], e.getValue()[1], perTask(r.rows(), ds, e.getKey())));
                    acc.computeIfAbsent(e.getKey(), x -> new LinkedHashMap<>()).computeIfAbsent(ds, x -> new ArrayList<>()).add(e.getValue());
                }
                System.out.print(sb);
                System.out.flush();
                log.append(sb).append('\n');
            }
        }
        String table = table(acc, datasets, seeds.size());
        System.out.println(table);
        log.append(table);
        if (out != null) Files.writeString(out, log.toString());
    }

    static EvaluationReport run(String ds, Path data, BenchmarkOptions o, int synthUsers, int synthItems, long seed, boolean ceilings) throws Exception {
        if (!ds.startsWith("synthetic")) return Benchmark.run(ds, data, o, null);
        try (MemoryScope scope = MemoryScope.root("ablation-synthetic")) {
            SyntheticData d = LifeCycleGenerator.generate(synthetic(synthUsers, synthItems, seed), scope);
            List<LabelTable> tasks = List.of(
                    LabelTable.fromAttribute(d.attributes(), LifeCycleGenerator.SEGMENT, LifeCycleGenerator.SEGMENT, LabelTable.Kind.BINARY, null),
                    LabelTable.fromAttribute(d.attributes(), LifeCycleGenerator.AGE_GROUP, LifeCycleGenerator.AGE_GROUP, LabelTable.Kind.MULTI_CLASS, null),
                    LabelTable.fromAttribute(d.attributes(), LifeCycleGenerator.DRIFT_DIRECTION, LifeCycleGenerator.DRIFT_DIRECTION, LabelTable.Kind.BINARY, null));
            return Benchmark.run(ds, d.events(), null, tasks, ceilings ? PlantedCeilings.of(d) : List.of(), o.withPreference(false), null);
        }
    }

    /** The generator's settings for the ablation and scaling runs: the demo's shape at any user count. */
    static LifeCycleConfig synthetic(int users, int items, long seed) {
        return LifeCycleConfig.builder().users(users).items(items).topics(Math.max(2, Math.min(40, items / 10)))
                .topicGroups(Math.max(2, Math.min(6, items / 10))).seed(seed).build();
    }

    static SmenConfig.Builder apply(SmenConfig.Builder b, String spec) {
        if (spec == null || spec.isBlank()) return b;
        for (String kv : spec.split(",")) {
            int eq = kv.indexOf('=');
            String key = kv.substring(0, eq), v = kv.substring(eq + 1);
            switch (key) {
                case "h" -> b.h(Integer.parseInt(v));
                case "lr" -> b.learningRate(Float.parseFloat(v));
                case "interestInit" -> b.interestInit(SmenConfig.InterestInit.valueOf(v));
                case "interestLr" -> b.interestLrScale(Float.parseFloat(v));
                case "anchorLr" -> b.anchorLrScale(Float.parseFloat(v));
                case "tau" -> b.tau(Float.parseFloat(v));
                case "div" -> b.diversityWeight(Float.parseFloat(v));
                case "batch" -> b.batchUsers(Integer.parseInt(v));
                case "steps" -> b.maxSteps(Integer.parseInt(v));
                case "anchors" -> b.anchors(Integer.parseInt(v));
                case "anchorDim" -> b.anchorDim(Integer.parseInt(v));
                case "crop" -> b.periodCrop(Double.parseDouble(v));
                case "warmup" -> b.warmupSteps(Integer.parseInt(v));
                case "pred" -> b.predictionWeight(Float.parseFloat(v));
                case "sink" -> b.volumeSink(SmenConfig.VolumeSink.valueOf(v));
                case "lrRef" -> b.lrReferenceSteps(Integer.parseInt(v));
                case "anchorInit" -> b.anchorInitScale(Float.parseFloat(v));
                case "anchorClusters" -> b.anchorInitClusters(Integer.parseInt(v));
                default -> throw new IllegalArgumentException("unknown variant key " + key);
            }
        }
        return b;
    }

    /** Per method: {mean over the claim metrics, fold noise sqrt(Σσ²)/T}, logistic probe. */
    static Map<String, double[]> summarize(List<ResultRow> rows, String ds) {
        Map<String, double[]> sums = new LinkedHashMap<>(); // sum, sum σ², count
        for (ResultRow r : rows) {
            if (!r.dataset().equals(ds) || !r.probe().equals("logistic") || !claimMetric(rows, r)) continue;
            double[] s = sums.computeIfAbsent(r.method(), x -> new double[3]);
            s[0] += r.mean();
            s[1] += r.std() * r.std();
            s[2]++;
        }
        Map<String, double[]> out = new LinkedHashMap<>();
        for (var e : sums.entrySet()) {
            double[] s = e.getValue();
            out.put(e.getKey(), new double[] {s[0] / s[2], Math.sqrt(s[1]) / s[2]});
        }
        return out;
    }

    private static String perTask(List<ResultRow> rows, String ds, String method) {
        StringBuilder sb = new StringBuilder();
        for (ResultRow r : rows) {
            if (r.dataset().equals(ds) && r.method().equals(method) && r.probe().equals("logistic") && claimMetric(rows, r)) {
                sb.append(String.format(Locale.ROOT, "%s/%s %.3f  ", r.task(), r.metric(), r.mean()));
            }
        }
        return sb.toString().strip();
    }

    /** The claims' metric selection: AUC where a task has one, else accuracy and macro-F1. */
    static boolean claimMetric(List<ResultRow> rows, ResultRow r) {
        boolean auc = rows.stream().anyMatch(x -> x.task().equals(r.task()) && (x.metric().equals("roc_auc") || x.metric().equals("mean_roc_auc")));
        if (auc) return r.metric().equals("roc_auc") || r.metric().equals("mean_roc_auc");
        return r.metric().equals("accuracy") || r.metric().equals("macro_f1");
    }

    static String table(Map<String, Map<String, List<double[]>>> acc, List<String> datasets, int seeds) {
        StringBuilder sb = new StringBuilder("| method |");
        for (String d : datasets) sb.append(' ').append(d).append(" (mean ± std over ").append(seeds).append(" seeds; fold noise) |");
        sb.append("\n|---|");
        for (int i = 0; i < datasets.size(); i++) sb.append("---:|");
        sb.append('\n');
        for (var e : acc.entrySet()) {
            sb.append("| ").append(e.getKey()).append(" |");
            for (String d : datasets) {
                List<double[]> v = e.getValue().get(d);
                if (v == null) {
                    sb.append(" |");
                    continue;
                }
                double m = 0, noise = 0;
                for (double[] x : v) {
                    m += x[0];
                    noise += x[1];
                }
                m /= v.size();
                noise /= v.size();
                double var = 0;
                for (double[] x : v) var += (x[0] - m) * (x[0] - m);
                double sd = v.size() > 1 ? Math.sqrt(var / (v.size() - 1)) : 0;
                sb.append(String.format(Locale.ROOT, " %.4f ± %.4f; %.4f |", m, sd, noise));
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
