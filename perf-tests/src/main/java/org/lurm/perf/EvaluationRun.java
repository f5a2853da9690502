package org.lurm.perf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.lurm.BagOfInterests;
import org.lurm.eval.Benchmark;
import org.lurm.eval.BenchmarkOptions;
import org.lurm.eval.Claims;
import org.lurm.eval.EvaluationReport;
import org.lurm.eval.ProbeEvaluator;
import org.lurm.eval.ResultsTable;
import org.lurm.progress.Progress;
import org.lurm.SmenConfig;

/**
 * The full evaluation protocol (EVALUATION.md) on MovieLens: for each dataset named, runs
 * {@link Benchmark#run(String, Path, BenchmarkOptions, Progress)} and prints the markdown results table, the two
 * claims (logistic and MLP probe), the settings and the time; with {@code --out FILE} also writes all of it there.
 *
 * <pre>
 * ./mvnw -q -pl perf-tests -am compile
 * java --add-modules jdk.incubator.vector -Xmx6g -cp java-api/target/classes:perf-tests/target/classes org.lurm.perf.EvaluationRun \
 *     ../shared/data [movielens-100k movielens-1m-subset] [--steps 400] [--k 0] [--embedding COOCCURRENCE] [--seed 42] [--lr 1e-3] [--no-mlp] [--no-baselines] [--no-inductive] [--no-preference] [--sink NONE|ROWS|ROWS_AND_PERIODS|CALIBRATED] [--out FILE]
 * </pre>
 */
public final class EvaluationRun {
    private EvaluationRun() {
    }

    public static void main(String[] args) throws Exception {
        Path dataDir = null;
        List<String> datasets = new ArrayList<>();
        BenchmarkOptions o = BenchmarkOptions.defaults();
        int steps = o.smen().maxSteps();
        Path out = null;
        boolean mlp = true;
        float lr = o.smen().learningRate();
        SmenConfig.VolumeSink sink = o.smen().volumeSink();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--k" -> o = o.withStage1(o.stage1().withInterests(Integer.parseInt(args[++i])));
                case "--embedding" -> o = o.withStage1(o.stage1().withEmbedding(BagOfInterests.ItemEmbedding.valueOf(args[++i])));
                case "--seed" -> o = o.withSeed(Long.parseLong(args[++i]));
                case "--lr" -> lr = Float.parseFloat(args[++i]);
                case "--no-mlp" -> mlp = false;
                case "--no-baselines" -> o = o.withBaselines(false);
                case "--no-inductive" -> o = o.withInductive(false);
                case "--no-preference" -> o = o.withPreference(false);
                case "--sink" -> sink = SmenConfig.VolumeSink.valueOf(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> {
                    if (dataDir == null) dataDir = Path.of(args[i]);
                    else datasets.add(args[i]);
                }
            }
        }
        if (dataDir == null) dataDir = Path.of("../shared/data");
        if (datasets.isEmpty()) datasets = List.of("movielens-100k", "movielens-1m-subset");
        SmenConfig c = BenchmarkOptions.withSteps(o.smen(), steps).toBuilder().learningRate(lr).volumeSink(sink).build();
        o = o.withSmen(c).withProbes(o.probes().withMlp(mlp))
                .withCommand("java --add-modules jdk.incubator.vector -Xmx6g -cp java-api/target/classes:perf-tests/target/classes org.lurm.perf.EvaluationRun "
                        + String.join(" ", args));
        StringBuilder all = new StringBuilder();
        for (String ds : datasets) {
            long t0 = System.nanoTime();
            EvaluationReport r = Benchmark.run(ds, dataDir, o, printing());
            double secs = (System.nanoTime() - t0) / 1e9;
            StringBuilder sb = new StringBuilder();
            sb.append("## ").append(ds).append("\n\n").append(ResultsTable.markdown(r.rows()));
            for (String probe : mlp ? List.of(ProbeEvaluator.LOGISTIC, ProbeEvaluator.MLP) : List.of(ProbeEvaluator.LOGISTIC)) {
                sb.append("Claims (").append(probe).append(" probe):\n\n").append(Claims.markdown(Claims.evaluate(r.rows(), ds, probe))).append('\n');
            }
            sb.append("Settings:\n\n");
            for (Map.Entry<String, String> e : r.settings().entrySet()) sb.append("- ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
            sb.append(String.format(Locale.ROOT, "- wall time of the whole run: %.1f s%n", secs));
            if (!r.trainingLoss().isEmpty()) {
                var first = r.trainingLoss().get(0);
                var last = r.trainingLoss().get(r.trainingLoss().size() - 1);
                sb.append(String.format(Locale.ROOT, "- SMEN loss: %.4f (step %d) -> %.4f (step %d)%n", first.loss(), first.step(), last.loss(), last.step()));
            }
            sb.append('\n');
            System.out.println(sb);
            all.append(sb);
        }
        if (out != null) Files.writeString(out, all.toString());
    }

    /** Prints each step's end with its wall time. */
    private static Progress printing() {
        return (name, total, unit) -> {
            long t0 = System.nanoTime();
            return new Progress.Task() {
                private volatile boolean closed;

                @Override
                public void advance(long units) {
                }

                @Override
                public void close() {
                    if (closed) return;
                    closed = true;
                    System.err.printf(Locale.ROOT, "[%7.2f s] %s%n", (System.nanoTime() - t0) / 1e9, name);
                }
            };
        };
    }
}
