package org.lurm.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.lurm.BagOfInterests;
import org.lurm.backend.Backend;
import org.lurm.backend.cpu.Parallel;
import org.lurm.cli.report.HtmlReport;
import org.lurm.cli.report.Projection;
import org.lurm.cli.report.TerminalTable;
import org.lurm.cluster.InterestModel;
import org.lurm.eval.Baselines;
import org.lurm.eval.EvaluationReport;
import org.lurm.eval.ProbeEvaluator;
import org.lurm.eval.Features;
import org.lurm.eval.LabelTable;
import org.lurm.eval.ResultRow;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.SmenConfig;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
import org.lurm.synth.PlantedTruth;
import org.lurm.synth.SyntheticData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lurm demo}: the whole pipeline on the built-in synthetic life-cycle generator, so it runs on a fresh
 * machine with no data: generate, fit Stage 1 and SMEN, encode every user, then evaluate LURM and the
 * baselines on the attributes the generator planted, through the evaluation harness; ends with the results
 * table and the path of the HTML report.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run LURM end to end on built-in synthetic life-cycle data (no files needed): generate users whose",
                "interests drift over years, fit interests and SMEN, encode every user, and evaluate LURM against the",
                "baselines on the attributes the generator planted (segment, age_group, drift_direction) with the",
                "probes of the evaluation harness. Prints the results table and writes an HTML report."},
        footer = {"", "Examples:", "  lurm demo                       # about a minute on 2 cores",
                "  lurm demo --quick               # seconds: a smoke test",
                "  lurm demo --users 10000 --items 4000 --report /tmp/demo.html",
                "  LURM_BACKEND=cpu-scalar lurm demo --quick"})
final class DemoCommand implements Callable<Integer>, Main.HasCommonOptions {
    @Spec
    CommandSpec spec;
    @Mixin
    CommonOptions common;

    @Option(names = "--users", description = "Synthetic users (default: ${DEFAULT-VALUE}).", defaultValue = "2000")
    int users;
    @Option(names = "--items", description = "Synthetic items (default: ${DEFAULT-VALUE}).", defaultValue = "1500")
    int items;
    @Option(names = "--interests", description = "Number of interests K (0: min(100000, max(16, I/2)); default: ${DEFAULT-VALUE}).", defaultValue = "0")
    int interests;
    @Option(names = "--embedding", description = "Item embedding: cooccurrence, text or both (default: ${DEFAULT-VALUE}).", defaultValue = "cooccurrence")
    String embedding;
    @Option(names = "--smen-steps", description = "SMEN training steps (default: ${DEFAULT-VALUE}; --quick uses 30).", defaultValue = "150")
    int smenSteps;
    @Option(names = "--folds", description = "Cross-validation folds (default: ${DEFAULT-VALUE}; --quick uses 3).", defaultValue = "5")
    int folds;
    @Option(names = "--mlp", description = "Also run the MLP probe (slower; the logistic probe always runs).")
    boolean mlp;
    @Option(names = "--no-baselines", description = "Evaluate LURM only.")
    boolean noBaselines;
    @Option(names = "--seed", description = "Seed of the generator, the model and the folds (default: ${DEFAULT-VALUE}).", defaultValue = "42")
    long seed;
    @Option(names = "--report", paramLabel = "FILE", description = "HTML report (default: ${DEFAULT-VALUE}).", defaultValue = "lurm-demo-report.html")
    Path report;
    @Option(names = "--quick", description = "A small run for smoke tests: 400 users, 400 items, 30 SMEN steps, 3 folds, logistic probe only, raw BoI the only baseline.")
    boolean quick;

    @Override
    public CommonOptions common() {
        return common;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (quick) {
            users = Math.min(users, 400);
            items = Math.min(items, 400);
            smenSteps = Math.min(smenSteps, 30);
            folds = Math.min(folds, 3);
            mlp = false;
        }
        if (users < 20 || items < 2) throw CliException.usage("--users must be >= 20 and --items >= 2");
        if (smenSteps < 1) throw CliException.usage("--smen-steps must be >= 1");
        long start = System.nanoTime();
        try (ProgressBars progress = common.progressBars(spec.commandLine().getErr()); MemoryScope scope = MemoryScope.root("demo");
             Backend backend = common.createBackend(null); Parallel par = new Parallel(common.threadCount())) {
            LifeCycleConfig gc = LifeCycleConfig.builder().users(users).items(items).topics(Math.max(2, Math.min(40, items / 10)))
                    .topicGroups(Math.max(2, Math.min(6, Math.min(40, items / 10)))).seed(seed).build();
            SyntheticData data;
            try (var t = progress.start("generate", 0, "")) {
                data = LifeCycleGenerator.generate(gc, scope);
                t.status(String.format(Locale.ROOT, "%,d events", data.events().size()));
            }
            BagOfInterests.Config cfg = BagOfInterests.Config.defaults().withEmbedding(ModelOptions.embeddingOf(embedding)).withInterests(interests).withSeed(seed);
            cfg = cfg.withBoi(cfg.boi().withLenient(true));
            SmenConfig d = SmenConfig.defaults();
            // the library's defaults (every option, not only MODEL.md's fields), with the demo's steps and seed
            SmenConfig smenCfg = Pipeline.sizedFor(d.toBuilder().maxSteps(smenSteps).maxEpochs(0).seed(seed).build(), data.events().numUsers());
            Pipeline.Fitted fit = Pipeline.fit(data.events(), data.catalog(), cfg, smenCfg, backend, par, scope, progress);
            F32Array z = Pipeline.encode(fit.smen(), fit.rows(), backend, par, scope, progress).z();
            int n = data.events().numUsers(), width = fit.smen().width();

            List<LabelTable> tasks = List.of(
                    LabelTable.fromAttribute(data.attributes(), LifeCycleGenerator.SEGMENT, LifeCycleGenerator.SEGMENT, LabelTable.Kind.BINARY, null),
                    LabelTable.fromAttribute(data.attributes(), LifeCycleGenerator.AGE_GROUP, LifeCycleGenerator.AGE_GROUP, LabelTable.Kind.MULTI_CLASS, null),
                    LabelTable.fromAttribute(data.attributes(), LifeCycleGenerator.DRIFT_DIRECTION, LifeCycleGenerator.DRIFT_DIRECTION, LabelTable.Kind.BINARY, null));
            List<Features> methods = new ArrayList<>();
            float[] lurm = z.toArray();
            methods.add(Features.dense("LURM", lurm, n, width));
            if (quick && !noBaselines) methods.add(Baselines.rawBoi(fit.rows()));
            else if (!noBaselines) methods.addAll(Evaluations.baselines(fit.rows(), data.events(), fit.stage1(), width, seed, backend, scope, progress));
            List<String> notes = new ArrayList<>();
            ProbeEvaluator.Options po = Evaluations.options(folds, seed, mlp);
            if (quick) notes.add("--quick: raw BoI is the only baseline, 3 folds, no MLP probe");
            List<ResultRow> rows = Evaluations.probe("synthetic", tasks, methods, po, backend, progress, notes);

            String[] classes = new String[n];
            for (int u = 0; u < n; u++) classes[u] = data.attributes().get(u, LifeCycleGenerator.SEGMENT);
            EvaluationReport.UserProjection proj = Projection.pca("LURM", LifeCycleGenerator.SEGMENT, lurm, n, width, classes);
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("command", "lurm demo" + (quick ? " --quick" : "") + " --users " + users + " --items " + items + " --smen-steps " + smenSteps
                    + " --folds " + folds + (mlp ? " --mlp" : "") + " --seed " + seed);
            settings.put("data", String.format(Locale.ROOT, "synthetic life-cycle generator: %,d users, %,d items, %,d events, %d topics, seed %d",
                    n, data.events().numItems(), data.events().size(), gc.topics(), seed));
            settings.put("labels", "planted attributes segment (binary), age_group (multi-class), drift_direction (binary), with the generator's label noise");
            settings.put("model", String.format(Locale.ROOT, "K = %d interests; SMEN M = %d x d' = %d (%d floats per user), %d steps, batch %d",
                    fit.stage1().numInterests(), smenCfg.anchors(), smenCfg.anchorDim(), width, fit.smen().training().steps(), smenCfg.batchUsers()));
            settings.put("probes", folds + "-fold stratified CV, logistic (L2, lambda on an inner split)" + (mlp ? " and MLP" : "") + ", features standardised per fold");
            settings.put("machine", backend.name() + " backend, " + par.threads() + " threads, Java " + System.getProperty("java.version"));
            for (int i = 0; i < notes.size(); i++) settings.put("note " + (i + 1), notes.get(i));
            EvaluationReport er = new EvaluationReport("lurm demo: LURM vs baselines on synthetic life-cycle data", rows, fit.lossCurve(), proj, settings);
            HtmlReport.write(er, report);
            progress.close();

            double[] curve = fit.smen().training().lossCurve();
            out.printf(Locale.ROOT, "lurm demo: %,d synthetic users, %,d items, %,d events; K = %d interests (purity vs planted topics %.3f, random %.3f)%n",
                    n, data.events().numItems(), data.events().size(), fit.stage1().numInterests(), purity(fit.stage1().interests(), data.truth()),
                    randomPurity(fit.stage1().interests(), data.truth()));
            out.printf(Locale.ROOT, "SMEN: %d floats per user, %d steps, loss %.3f -> %.3f (best held-out %.3f)%n%n", width, fit.smen().training().steps(),
                    curve[0], curve[curve.length - 1], fit.smen().training().bestHeldOutLoss());
            TerminalTable.print(out, rows);
            for (String note : notes) out.println("note: " + note);
            out.printf(Locale.ROOT, "%nDone in %.1f s (backend %s, %d threads). Report: %s%n", (System.nanoTime() - start) / 1e9, backend.name(), par.threads(),
                    report.toAbsolutePath());
            return Exit.OK;
        }
    }

    /** Share of present items whose interest's majority planted topic is their own topic. */
    static double purity(InterestModel im, PlantedTruth truth) {
        return purity(im, topicsOf(truth, im), truth.numTopics());
    }

    /** Expected purity of the same clusters under a random assignment of topics to items (one fixed shuffle). */
    static double randomPurity(InterestModel im, PlantedTruth truth) {
        int[] topics = topicsOf(truth, im);
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        for (int i = topics.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int x = topics[i];
            topics[i] = topics[j];
            topics[j] = x;
        }
        return purity(im, topics, truth.numTopics());
    }

    private static int[] topicsOf(PlantedTruth truth, InterestModel im) {
        int[] topics = new int[Math.min(im.numItems(), truth.numItems())];
        for (int i = 0; i < topics.length; i++) topics[i] = truth.itemTopic(i);
        return topics;
    }

    private static double purity(InterestModel im, int[] itemTopic, int numTopics) {
        int[][] counts = new int[im.numInterests()][numTopics];
        int n = 0;
        for (int i = 0; i < itemTopic.length; i++) {
            int c = im.interestOf(i);
            if (c < 0) continue;
            counts[c][itemTopic[i]]++;
            n++;
        }
        long good = 0;
        for (int[] row : counts) {
            int m = 0;
            for (int v : row) m = Math.max(m, v);
            good += m;
        }
        return n == 0 ? 0 : good / (double) n;
    }
}
