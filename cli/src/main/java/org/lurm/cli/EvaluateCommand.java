package org.lurm.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.lurm.LurmModel;
import org.lurm.backend.Backend;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiSet;
import org.lurm.cli.report.HtmlReport;
import org.lurm.cli.report.Projection;
import org.lurm.cli.report.TerminalTable;
import org.lurm.eval.EvaluationReport;
import org.lurm.eval.Benchmark;
import org.lurm.eval.BenchmarkOptions;
import org.lurm.eval.Features;
import org.lurm.eval.LabelTable;
import org.lurm.eval.ProbeEvaluator;
import org.lurm.eval.ResultRow;
import org.lurm.events.IdDictionary;
import org.lurm.memory.F32Array;
import org.lurm.smen.Smen;
import org.lurm.memory.MemoryScope;
import org.lurm.SmenConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lurm evaluate}: how well simple probes predict labels from frozen user vectors (EVALUATION.md), as a
 * terminal table and an HTML report. Three inputs: a model and events (encoded here), embeddings files, or a
 * built-in data set run through the whole protocol.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluate user representations on downstream tasks: per task and method, L2 logistic regression and an "
                + "MLP on frozen vectors, stratified k-fold cross-validation, the same folds for every method (EVALUATION.md).",
                "Inputs: (a) --model and events, encoded here (--baselines adds the five width-matched baselines); "
                + "(b) --embeddings files; both with --labels; "
                + "(c) --dataset: the full protocol on MovieLens (fit, baselines, profiling and preference tasks, inductive check).",
                "Prints the results table, the verdicts of the two claims of EVALUATION.md (almost lossless, better than peers) "
                + "per probe, and writes a self-contained HTML report."},
        footer = {"", "Examples:",
                "  lurm evaluate --model model.lurm --events events.csv --labels labels.csv --labels-header --baselines",
                "  lurm evaluate --embeddings users.emb --labels labels.csv --labels-header --task gender:binary --task age:multi-class",
                "  lurm evaluate --embeddings lurm.emb --embeddings other.csv --labels labels.tsv --labels-sep tab   # compare two methods",
                "  lurm evaluate --dataset movielens-100k --report ml100k.html",
                "  lurm evaluate --dataset movielens-1m-subset --data-dir /data/lurm --no-mlp"})
final class EvaluateCommand implements Callable<Integer>, Main.HasCommonOptions {
    static final List<String> DATASETS = List.of("movielens-100k", "movielens-1m-subset");

    @Spec
    CommandSpec spec;
    @Mixin
    EventInput input;
    @Mixin
    LabelOptions labelOptions;
    @Mixin
    ModelOptions model;
    @Mixin
    CommonOptions common;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", description = "(a) Model file from `lurm fit`; the events are encoded with it.")
    Path modelFile;

    @Option(names = "--embeddings", paramLabel = "FILE", description = "(b) Embeddings file (binary or CSV from `lurm encode`, or your own CSV); repeat to compare methods.")
    List<Path> embeddings = new ArrayList<>();

    @Option(names = "--dataset", paramLabel = "NAME", description = "(c) Built-in protocol: movielens-100k or movielens-1m-subset.")
    String dataset;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Folder holding the data sets (default: $LURM_DATA_DIR, else ../shared/data).")
    Path dataDir;

    @Option(names = "--baselines", description = "(a) Also evaluate the five width-matched baselines (raw BoI, BoI + RSVD, item TF-IDF + RSVD, mean item embedding, random projection), built as --dataset builds them.")
    boolean baselines;

    @Option(names = "--folds", paramLabel = "K", description = "Cross-validation folds (default: ${DEFAULT-VALUE}).", defaultValue = "5")
    int folds;

    @Option(names = "--no-mlp", description = "Skip the MLP probe (the logistic probe always runs).")
    boolean noMlp;

    @Option(names = "--no-inductive", description = "(c) Skip the inductive check (SMEN trained on 80 %% of users, probed on the other 20 %%).")
    boolean noInductive;

    @Option(names = "--report", paramLabel = "FILE", description = "HTML report (default: ${DEFAULT-VALUE}).", defaultValue = "lurm-report.html")
    Path report;

    @Override
    public CommonOptions common() {
        return common;
    }

    @Override
    public Integer call() throws Exception {
        int modes = (modelFile != null ? 1 : 0) + (embeddings.isEmpty() ? 0 : 1) + (dataset != null ? 1 : 0);
        if (modes != 1) throw CliException.usage("give exactly one input: --model (with events), --embeddings, or --dataset");
        Path dir = report.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) throw new CliException(Exit.IO_ERROR, "the report's folder " + dir + " does not exist");
        long seed = model.seed != null ? model.seed : 42L;
        ProbeEvaluator.Options po = Evaluations.options(folds, seed, !noMlp);
        PrintWriter out = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        try (ProgressBars progress = common.progressBars(spec.commandLine().getErr()); MemoryScope scope = MemoryScope.root("evaluate");
             Backend backend = common.createBackend(null); Parallel par = new Parallel(common.threadCount())) {
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("command", "lurm evaluate " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
            List<String> notes = new ArrayList<>();
            EvaluationReport er;
            if (dataset != null) {
                er = protocol(po, seed, progress);
                settings.putAll(er.settings());
            } else if (modelFile != null) {
                er = withModel(po, seed, backend, par, scope, progress, settings, notes);
            } else {
                er = withEmbeddings(po, backend, progress, settings, notes);
            }
            settings.put("probes", po.folds() + "-fold stratified CV (seed " + seed + "), logistic (L2, lambda on an inner split)"
                    + (po.runMlp() ? " and one-hidden-layer MLP" : "") + ", features standardised per training fold");
            settings.put("machine", backend.name() + " backend, " + par.threads() + " threads, Java " + System.getProperty("java.version"));
            for (int i = 0; i < notes.size(); i++) settings.put("note " + (i + 1), notes.get(i));
            List<String> claims = Evaluations.claimLines(er.rows(), dataset != null ? null : modelFile != null
                    ? (baselines ? null : "add --baselines to compute raw BoI and the width-matched baselines")
                    : "the claims compare a method named LURM with raw BoI and the width-matched baselines: use --model with --baselines, or --dataset");
            for (String c : claims) {
                int colon = c.indexOf("): ");
                settings.put(c.substring(0, colon + 1), c.substring(colon + 3));
            }
            er = new EvaluationReport(er.title(), er.rows(), er.trainingLoss(), er.projection(), settings);
            HtmlReport.write(er, report);
            progress.close();
            out.println(er.title());
            out.println();
            TerminalTable.print(out, er.rows());
            out.println();
            for (String c : claims) out.println(c);
            for (String n : notes) out.println("note: " + n);
            out.printf(Locale.ROOT, "%nDone in %.1f s (backend %s, %d threads). Report: %s%n", (System.nanoTime() - t0) / 1e9, backend.name(), par.threads(),
                    report.toAbsolutePath());
            return Exit.OK;
        }
    }

    /** (a) Encode the events with the model, probe LURM (and the baselines). */
    private EvaluationReport withModel(ProbeEvaluator.Options po, long seed, Backend backend, Parallel par, MemoryScope scope, ProgressBars progress,
                                       Map<String, String> settings, List<String> notes) throws Exception {
        LurmModel m;
        try (var t = progress.start("load model", 0, "")) {
            m = LurmModel.load(modelFile, scope);
        }
        EventInput.Loaded data = input.load(scope, progress);
        // the labels before the expensive steps, so that a bad labels file stops the command at once
        LabelOptions.Read labels = labelOptions.read(data.events().users(), progress);
        notes.addAll(labels.warnings());
        BoiSet rows;
        try (var t = progress.start("aggregate BoI", data.events().size(), "events")) {
            rows = m.aggregate(data.events(), true, backend, scope);
            t.advance(data.events().size());
        }
        if (rows.skippedEvents() > 0) notes.add(String.format(Locale.ROOT, "%,d events name items the model has no interest for; they were skipped", rows.skippedEvents()));
        F32Array z = Pipeline.encode(m.smen(), rows, par, scope, progress);
        int n = data.events().numUsers(), w = m.smen().width();
        float[] lurm = z.toArray();
        List<Features> methods = new ArrayList<>();
        methods.add(Features.dense("LURM", lurm, n, w));
        // the diagnostics of every results table: what training added, and what the modules add over V alone
        try (var t = progress.start("diagnostics (untrained SMEN, weight-averaged V)", 0, "")) {
            Smen untrained = m.untrainedSmen(rows, par);
            methods.add(Features.dense(Benchmark.LURM_UNTRAINED, Pipeline.encode(untrained, rows, par, scope, progress), n, w));
            int h = m.smen().config().h();
            methods.add(Features.dense(Benchmark.WEIGHTED_V, m.smen().meanInterestEmbedding(rows), n, h));
        }
        if (baselines) {
            // the harness's construction and seeds (Baselines.widthMatched, as Benchmark): the Stage 1 seed comes from
            // --seed / --config as for `lurm fit`, the BoI configuration from the model
            long stage1Seed = model.resolve().stage1().seed();
            methods.addAll(Evaluations.baselines(rows, data.events(), m.boiConfigFor(data.events().types()), stage1Seed, w, seed, backend, scope, progress));
            settings.put("baselines", String.format(Locale.ROOT, "width %d; random matrices seeds %d, %d, %d; mean item embedding: co-occurrence "
                    + "embedding of these events at width %d, seed %d", w, seed + 1, seed + 2, seed + 3, w, stage1Seed));
        }
        String name = data.source();
        List<ResultRow> results = Evaluations.probe(name, labels.tables(), methods, po, backend, progress, notes);
        settings.put("model", modelFile.toString());
        settings.put("events", String.format(Locale.ROOT, "%s: %,d events, %,d users", name, data.events().size(), n));
        settings.put("labels", labelOptions.labels + ": " + labels.report().accepted() + " users; tasks " + taskNames(labels.tables()));
        return new EvaluationReport("lurm evaluate: " + modelFile.getFileName() + " on " + Path.of(name).getFileName(), results, List.of(),
                projection("LURM", lurm, n, w, labels.tables()), settings);
    }

    /** (b) Probe one or more embeddings files over the first file's users. */
    private EvaluationReport withEmbeddings(ProbeEvaluator.Options po, Backend backend, ProgressBars progress, Map<String, String> settings,
                                            List<String> notes) throws Exception {
        List<EmbeddingsFile.Embeddings> files = new ArrayList<>();
        try (var t = progress.start("read embeddings", embeddings.size(), "files")) {
            for (Path p : embeddings) {
                files.add(EmbeddingsFile.read(p));
                t.advance(1);
            }
        }
        IdDictionary users = new IdDictionary();
        for (String id : files.get(0).ids()) users.add(id);
        List<Features> methods = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int f = 0; f < files.size(); f++) {
            EmbeddingsFile.Embeddings e = files.get(f);
            String name = embeddings.get(f).getFileName().toString();
            while (names.contains(name)) name = name + "'";
            names.add(name);
            float[] v = new float[users.size() * e.dim()];
            boolean[] seen = new boolean[users.size()];
            for (int r = 0; r < e.rows(); r++) {
                int u = users.indexOf(e.ids().get(r));
                if (u < 0) continue;
                seen[u] = true;
                System.arraycopy(e.values(), r * e.dim(), v, u * e.dim(), e.dim());
            }
            int missing = 0;
            for (boolean s : seen) if (!s) missing++;
            if (missing > 0) throw CliException.badInput(embeddings.get(f) + " has no vector for " + missing + " of the " + users.size() + " users of " + embeddings.get(0));
            methods.add(Features.dense(name, v, users.size(), e.dim()));
            settings.put("embeddings " + (f + 1), embeddings.get(f) + ": " + EmbeddingsFile.describe(e));
        }
        LabelOptions.Read labels = labelOptions.read(users, progress);
        notes.addAll(labels.warnings());
        settings.put("labels", labelOptions.labels + ": " + labels.report().accepted() + " users; tasks " + taskNames(labels.tables()));
        List<ResultRow> results = Evaluations.probe(labelOptions.labels.getFileName().toString(), labels.tables(), methods, po, backend, progress, notes);
        EmbeddingsFile.Embeddings first = files.get(0);
        float[] v = methods.get(0).isSparse() ? null : denseOf(methods.get(0));
        return new EvaluationReport("lurm evaluate: " + String.join(", ", names) + " on " + labelOptions.labels.getFileName(), results, List.of(),
                v == null ? null : projection(names.get(0), v, users.size(), first.dim(), labels.tables()), settings);
    }

    private static float[] denseOf(Features f) {
        float[] v = new float[f.rows() * f.dim()];
        for (int r = 0; r < f.rows(); r++) System.arraycopy(f.row(r), 0, v, r * f.dim(), f.dim());
        return v;
    }

    /** (c) The full protocol of EVALUATION.md on a built-in data set, run by the harness's {@link Benchmark}. */
    private EvaluationReport protocol(ProbeEvaluator.Options po, long seed, ProgressBars progress) throws Exception {
        if (!DATASETS.contains(dataset)) throw CliException.usage("--dataset must be one of " + DATASETS + ", got '" + dataset + "'");
        if (input.given()) throw CliException.usage("--dataset reads its own data: leave out --events / --movielens");
        Path root = dataDir != null ? dataDir : System.getenv("LURM_DATA_DIR") != null ? Path.of(System.getenv("LURM_DATA_DIR")) : Path.of("..", "shared", "data");
        Path dir = root.resolve(dataset);
        if (!Files.isDirectory(dir)) {
            throw new CliException(Exit.IO_ERROR, "data set " + dataset + " not found at " + dir.toAbsolutePath().normalize()
                    + ": pass --data-dir (the folder that holds " + dataset + "/) or set LURM_DATA_DIR");
        }
        ModelOptions.Settings s = model.resolve();
        // SMEN trains for a fixed number of steps here (the harness's default 400) unless --smen-steps or the config says otherwise
        SmenConfig smen = s.smen().maxSteps() > 0 ? s.smen() : BenchmarkOptions.withSteps(s.smen(), BenchmarkOptions.defaults().smen().maxSteps());
        BenchmarkOptions o = BenchmarkOptions.defaults().withSeed(seed).withStage1(s.stage1()).withSmen(smen).withProbes(po).withInductive(!noInductive)
                .withThreads(common.threadCount()).withCommand("lurm evaluate " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        return Benchmark.run(dataset, dir, o, progress);
    }

    /** PCA of the vectors coloured by the first single-label task. */
    private static EvaluationReport.UserProjection projection(String method, float[] v, int n, int dim, List<LabelTable> tasks) {
        LabelTable colour = null;
        for (LabelTable t : tasks) {
            if (t.kind() != LabelTable.Kind.MULTI_LABEL) {
                colour = t;
                break;
            }
        }
        String[] classes = new String[n];
        for (int u = 0; u < n; u++) classes[u] = colour == null || !colour.has(u) ? "(no label)" : colour.classes().get(colour.classOf(u));
        return Projection.pca(method, colour == null ? "none" : colour.name(), v, n, dim, classes);
    }

    private static String taskNames(List<LabelTable> tables) {
        List<String> s = new ArrayList<>();
        for (LabelTable t : tables) s.add(t.name() + " (" + t.kind().name().toLowerCase(Locale.ROOT).replace('_', '-') + ")");
        return String.join(", ", s);
    }
}
