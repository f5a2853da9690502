package org.lurm.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.lurm.BagOfInterests;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiSet;
import org.lurm.events.EventTable;
import org.lurm.events.ItemCatalog;
import org.lurm.events.io.MovieLens;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.progress.Progress;
import org.lurm.smen.Smen;
import org.lurm.smen.SmenTrainer;

/**
 * The full evaluation protocol of EVALUATION.md as one call: Stage 1 and SMEN are fitted on the events
 * (self-supervised; labels are never seen), every method's user vectors are computed once and frozen, and
 * every task is probed with the same folds for every method. It produces
 * <ul>
 * <li>rows for every task x method x probe x metric: the profiling tasks of the label tables given, and the
 * preference task (when an item catalogue with categories is given), for which Stage 1, SMEN and every
 * baseline are recomputed from the early 80 % of each user's events;</li>
 * <li>the inductive check (dataset name suffixed {@value #INDUCTIVE}): Stage 1 and SMEN trained on 80 % of
 * the users, the other 20 % encoded unseen and probed (CV within them), next to LURM trained on everyone and
 * raw BoI on the same users;</li>
 * <li>SMEN's training-loss curve, a 2-D PCA projection of the LURM vectors coloured by gender (or the first
 * label), and the settings that reproduce the run (seed, configurations, machine, command, timings).</li>
 * </ul>
 * Baselines are width-matched to LURM: M·d' = {@code options.smen().outputWidth()}.
 *
 * <p><b>Memory.</b> Everything off-heap lives in scopes opened and closed inside the call; the report is
 * on-heap. <b>Thread-safety.</b> Stateless; concurrent runs are independent (each makes its own backend).
 */
public final class Benchmark {
    /** Suffix of the dataset name of the inductive rows. */
    public static final String INDUCTIVE = " (inductive: unseen users)";
    /** Method names of the inductive check. */
    public static final String LURM_INDUCTIVE = "LURM (unseen users)", LURM_TRANSDUCTIVE = "LURM (trained on all users)";
    /**
     * Diagnostic rows next to LURM: the same encoder before training (same config and seed, 0 steps), and the
     * trained interest table V averaged over each user's lifetime interests with SMEN's input weights (no
     * anchors, no time or scale modules). LURM minus the first is what training adds; LURM minus the second is
     * what the anchor, time and scale modules add on top of the learned interest embeddings.
     */
    public static final String LURM_UNTRAINED = "LURM untrained", WEIGHTED_V = "weight-averaged V";

    private Benchmark() {
    }

    /**
     * Reads a MovieLens dataset ("movielens-100k" or "movielens-1m-subset": {@code dataDir/name}, or
     * {@code dataDir} itself when it is the dataset's folder) and runs the whole protocol on it.
     */
    public static EvaluationReport run(String datasetName, Path dataDir, BenchmarkOptions options, Progress progress) throws IOException {
        Path dir = Files.isDirectory(dataDir.resolve(datasetName)) ? dataDir.resolve(datasetName) : dataDir;
        boolean is100k = Files.isRegularFile(dir.resolve("u.data")) || Files.isRegularFile(dir.resolve("u.data.gz"));
        try (MemoryScope scope = MemoryScope.root("benchmark-data")) {
            long t0 = System.nanoTime();
            MovieLens.Dataset data = is100k ? MovieLens.read100k(dir, scope) : MovieLens.read1m(dir, scope);
            double readSeconds = (System.nanoTime() - t0) / 1e9;
            EvaluationReport r = run(datasetName, data.events(), data.catalog(), MovieLensLabels.of(data), options, progress);
            Map<String, String> s = new LinkedHashMap<>();
            s.put("data", dir.toAbsolutePath().normalize().toString());
            s.putAll(r.settings());
            s.put("time: read data", String.format(Locale.ROOT, "%.1f s", readSeconds));
            return new EvaluationReport(r.title(), r.rows(), r.trainingLoss(), r.projection(), s);
        }
    }

    /**
     * Runs the protocol on any events and label tables (the CLI's entry for user data and for the synthetic
     * demo with planted labels).
     *
     * @param catalog item catalogue (titles, categories), or null: then no preference task
     * @param labels  label tables over the events' user dictionary (may be empty)
     */
    public static EvaluationReport run(String datasetName, EventTable events, ItemCatalog catalog, List<LabelTable> labels, BenchmarkOptions options,
                                       Progress progress) {
        return run(datasetName, events, catalog, labels, List.of(), options, progress);
    }

    /**
     * {@link #run(String, EventTable, ItemCatalog, List, BenchmarkOptions, Progress)} with reference rows: feature
     * sets computed by the caller (one row per user of the events' dictionary) that are probed on the profiling
     * tasks with the same folds as every method, e.g. a ceiling built from a generator's planted truth. They are
     * not width-matched and not part of the claims; their names must differ from the methods'.
     */
    public static EvaluationReport run(String datasetName, EventTable events, ItemCatalog catalog, List<LabelTable> labels, List<Features> references,
                                       BenchmarkOptions options, Progress progress) {
        Objects.requireNonNull(events, "events");
        for (Features f : references) {
            if (f.rows() != events.numUsers()) throw new IllegalArgumentException("reference features '" + f.name() + "' have " + f.rows() + " rows, the events " + events.numUsers() + " users");
        }
        Progress pr = Progress.orNone(progress);
        for (LabelTable l : labels) {
            if (l.numUsers() != events.numUsers()) throw new IllegalArgumentException("label table '" + l.name() + "' covers " + l.numUsers() + " users, the events " + events.numUsers());
        }
        long tStart = System.nanoTime();
        Map<String, String> settings = new LinkedHashMap<>();
        Map<String, Double> times = new LinkedHashMap<>();
        List<ResultRow> rows = new ArrayList<>();
        List<EvaluationReport.LossPoint> loss;
        EvaluationReport.UserProjection projection = null;
        BenchmarkOptions o = options;
        try (MemoryScope scope = MemoryScope.root("benchmark"); Backend backend = Backends.create(); Parallel par = new Parallel(o.threads())) {
            int[] active = usersWithEvents(events);
            // --- profiling tasks on representations of all events ---
            Pipeline full = pipeline("all events", events, catalog, o, o.baselines(), true, backend, par, scope, pr, times);
            loss = full.loss;
            settings.put("interests K", Integer.toString(full.stage1.numInterests()));
            settings.put("events skipped (item without interest)", Long.toString(full.boi.skippedEvents()));
            settings.put("SMEN steps", full.smen.training() == null ? "0" : full.smen.training().steps() + (full.smen.training().stoppedEarly() ? " (stopped early)" : ""));
            long t = System.nanoTime();
            List<Features> profiled = new ArrayList<>(full.methods.values());
            for (Features f : references) {
                if (full.methods.containsKey(f.name())) throw new IllegalArgumentException("reference features '" + f.name() + "' have a method's name");
                profiled.add(f);
            }
            for (LabelTable l : labels) {
                ProbeEvaluator.Task task = ProbeEvaluator.prepare(l.name(), l, active, o.probes());
                rows.addAll(evaluateAll(datasetName, task, profiled, o, backend, pr));
            }
            times.put("probe profiling tasks", (System.nanoTime() - t) / 1e9);
            projection = projection(full.methods.get(Baselines.LURM), labels, active);

            // --- preference task on representations of the early events ---
            if (o.preference() && catalog != null && !catalog.allCategories().isEmpty()) {
                try (MemoryScope ps = scope.child("preference")) {
                    PreferenceTask pt = PreferenceTask.build(events, catalog, o.preferenceSplit(), ps);
                    Pipeline early = pipeline("early events", pt.early(), catalog, o, o.baselines(), true, backend, par, ps, pr, times);
                    t = System.nanoTime();
                    ProbeEvaluator.Task task = ProbeEvaluator.prepare(PreferenceTask.NAME, pt.labels(), usersWithEvents(pt.early()), o.probes());
                    settings.put("preference task", pt.early().size() + " early / " + pt.lateEvents() + " late events; " + task.users().length + " users; "
                            + task.scoredClasses().length + " of " + pt.labels().numClasses() + " genres with >= " + o.probes().minPositives() + " positives");
                    rows.addAll(evaluateAll(datasetName, task, early.methods.values(), o, backend, pr));
                    times.put("probe preference task", (System.nanoTime() - t) / 1e9);
                }
            }

            // --- inductive check ---
            if (o.inductive() && !labels.isEmpty()) {
                try (MemoryScope is = scope.child("inductive")) {
                    SplittableRandom rnd = new SplittableRandom(o.seed() ^ 0x1DC7L);
                    int[] perm = active.clone();
                    for (int i = perm.length - 1; i > 0; i--) {
                        int j = rnd.nextInt(i + 1);
                        int x = perm[i];
                        perm[i] = perm[j];
                        perm[j] = x;
                    }
                    int nTrain = (int) Math.round(o.inductiveTrain() * perm.length);
                    boolean[] train = new boolean[events.numUsers()];
                    for (int i = 0; i < nTrain; i++) train[perm[i]] = true;
                    int[] unseen = java.util.Arrays.stream(perm, nTrain, perm.length).sorted().toArray();
                    EventTable trainEvents = EventSplits.select(events, EventSplits.ofUsers(events, train), is);
                    Pipeline ind = pipeline("train users", trainEvents, catalog, o, false, false, backend, par, is, pr, times);
                    long ti = System.nanoTime();
                    F32Array z;
                    int n = events.numUsers();
                    try (Progress.Task enc = pr.start("encode unseen users", unseen.length, "users")) {
                        BoiSet all = ind.stage1.aggregate(events, backend, is);
                        z = ind.smen.encode(all, par, is);
                        enc.advance(unseen.length);
                    }
                    Features zi = Features.dense(LURM_INDUCTIVE, z, n, ind.smen.width());
                    times.put("encode unseen users", (System.nanoTime() - ti) / 1e9);
                    Map<String, Features> methods = new LinkedHashMap<>();
                    methods.put(LURM_INDUCTIVE, zi);
                    methods.put(LURM_TRANSDUCTIVE, rename(full.methods.get(Baselines.LURM), LURM_TRANSDUCTIVE));
                    if (full.methods.containsKey(Baselines.RAW_BOI)) methods.put(Baselines.RAW_BOI, full.methods.get(Baselines.RAW_BOI));
                    t = System.nanoTime();
                    String ds = datasetName + INDUCTIVE;
                    for (LabelTable l : labels) {
                        ProbeEvaluator.Task task = ProbeEvaluator.prepare(l.name(), l, unseen, o.probes());
                        rows.addAll(evaluateAll(ds, task, methods.values(), o, backend, pr));
                    }
                    times.put("probe inductive check", (System.nanoTime() - t) / 1e9);
                    settings.put("inductive check", nTrain + " training users, " + unseen.length + " unseen users");
                }
            }
            settings.put("backend", backend.name() + " (" + backend.threads() + " threads)");
        }
        Map<String, String> s = new LinkedHashMap<>();
        s.put("dataset", datasetName);
        s.put("events", Long.toString(events.size()));
        s.put("users", Integer.toString(events.numUsers()));
        s.put("items", Integer.toString(events.numItems()));
        if (!o.command().isEmpty()) s.put("command", o.command());
        s.put("seed", Long.toString(o.seed()));
        s.put("Stage 1", describe(o.stage1()));
        s.put("SMEN", o.smen().toString());
        s.put("width (M·d')", Integer.toString(o.smen().outputWidth()));
        ProbeEvaluator.Options p = o.probes();
        s.put("probes", p.folds() + "-fold stratified CV; logistic: L2, lambda grid " + java.util.Arrays.toString(p.lambdaGrid())
                + " (mean-loss convention; sklearn C = 1/(lambda n)) chosen on an inner 20 % split, L-BFGS max " + p.logistic().maxIterations()
                + " iterations, tol " + p.logistic().tolerance() + "; mlp: " + (p.runMlp() ? p.mlp().toString() : "off"));
        s.putAll(settings);
        s.put("machine", System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors()
                + " cores, Java " + System.getProperty("java.version") + ", max heap " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
        for (var e : times.entrySet()) s.put("time: " + e.getKey(), String.format(Locale.ROOT, "%.1f s", e.getValue()));
        s.put("time: total", String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - tStart) / 1e9));
        return new EvaluationReport("LURM evaluation on " + datasetName, rows, loss, projection, s);
    }

    /**
     * Probes given frozen vectors only (no training): every label table x method x probe, with the same folds for
     * every method (the CLI's {@code lurm evaluate} on embeddings a user already has).
     *
     * @param methods vectors per method, each with one row per user index of the label tables' user dictionary
     * @param threads methods probed in parallel
     */
    public static EvaluationReport evaluate(String datasetName, List<Features> methods, List<LabelTable> labels, ProbeEvaluator.Options probes,
                                            int threads, Progress progress) {
        if (methods.isEmpty()) throw new IllegalArgumentException("no methods to evaluate");
        BenchmarkOptions o = BenchmarkOptions.defaults().withProbes(probes).withThreads(Math.max(1, threads)).withSeed(probes.seed()).withProbes(probes);
        long t0 = System.nanoTime();
        List<ResultRow> rows = new ArrayList<>();
        try (Backend backend = Backends.create()) {
            for (LabelTable l : labels) {
                for (Features f : methods) {
                    if (f.rows() != l.numUsers()) throw new IllegalArgumentException("'" + f.name() + "' has " + f.rows() + " rows, label table '" + l.name() + "' " + l.numUsers() + " users");
                }
                ProbeEvaluator.Task task = ProbeEvaluator.prepare(l.name(), l, null, probes);
                rows.addAll(evaluateAll(datasetName, task, methods, o, backend, Progress.orNone(progress)));
            }
        }
        Map<String, String> s = new LinkedHashMap<>();
        s.put("dataset", datasetName);
        s.put("seed", Long.toString(probes.seed()));
        s.put("probes", probes.folds() + "-fold stratified CV; lambda grid " + java.util.Arrays.toString(probes.lambdaGrid()) + "; mlp " + (probes.runMlp() ? probes.mlp() : "off"));
        s.put("machine", System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " cores, Java "
                + System.getProperty("java.version"));
        s.put("time: total", String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - t0) / 1e9));
        Features first = methods.get(0);
        EvaluationReport.UserProjection proj = first.isSparse() ? null : projection(first, labels, java.util.stream.IntStream.range(0, first.rows()).toArray());
        return new EvaluationReport("Evaluation of frozen vectors on " + datasetName, rows, List.of(), proj, s);
    }

    /**
     * Probes every method on one task, methods in parallel on {@code options.threads()} threads (the probes'
     * small products run on the calling thread); rows come back in method order.
     */
    private static List<ResultRow> evaluateAll(String dataset, ProbeEvaluator.Task task, java.util.Collection<Features> methods, BenchmarkOptions o,
                                               Backend backend, Progress pr) {
        List<Features> list = new ArrayList<>(methods);
        List<List<ResultRow>> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) out.add(null);
        int threads = Math.min(o.threads(), list.size());
        if (threads <= 1) {
            for (int i = 0; i < list.size(); i++) out.set(i, ProbeEvaluator.rows(dataset, task, list.get(i).name(), ProbeEvaluator.evaluate(task, list.get(i), o.probes(), backend, pr)));
        } else {
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, "lurm-eval");
                t.setDaemon(true);
                return t;
            });
            try {
                List<java.util.concurrent.Future<List<ResultRow>>> fs = new ArrayList<>();
                for (Features f : list) fs.add(pool.submit(() -> ProbeEvaluator.rows(dataset, task, f.name(), ProbeEvaluator.evaluate(task, f, o.probes(), backend, pr))));
                for (int i = 0; i < fs.size(); i++) out.set(i, fs.get(i).get());
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof RuntimeException re) throw re;
                if (c instanceof Error er) throw er;
                throw new IllegalStateException(c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while probing", e);
            } finally {
                pool.shutdownNow();
            }
        }
        List<ResultRow> rows = new ArrayList<>();
        for (List<ResultRow> r : out) rows.addAll(r);
        return rows;
    }

    private static String describe(BagOfInterests.Config c) {
        return "embedding " + c.embedding() + ", e = " + c.dim() + ", K = " + (c.numInterests() == 0 ? "default" : Integer.toString(c.numInterests()))
                + ", scales " + c.boi().scales() + ", seed " + c.seed();
    }

    /** One pipeline's frozen representations (LURM first, then the baselines) and its SMEN training curve. */
    private record Pipeline(Map<String, Features> methods, List<EvaluationReport.LossPoint> loss, BagOfInterests stage1, BoiSet boi, Smen smen) {
    }

    private static Pipeline pipeline(String tag, EventTable events, ItemCatalog catalog, BenchmarkOptions o, boolean baselines, boolean diagnostics, Backend backend, Parallel par,
                                     MemoryScope scope, Progress pr, Map<String, Double> times) {
        BagOfInterests.Config c1 = o.stage1().withBoi(o.stage1().boi().withLenient(true));
        long t = System.nanoTime();
        BagOfInterests stage1;
        BoiSet boi;
        try (Progress.Task task = pr.start("fit Stage 1 (" + tag + ")", 3, "stages")) {
            stage1 = BagOfInterests.fit(events, c1.embedding() == BagOfInterests.ItemEmbedding.COOCCURRENCE ? null : catalog, c1, backend, scope,
                    (stage, nanos, summary) -> {
                        task.status(stage + ": " + summary);
                        task.advance(1);
                    });
            boi = stage1.aggregate(events, backend, scope);
            task.advance(1);
        }
        times.put("Stage 1 (" + tag + ")", (System.nanoTime() - t) / 1e9);
        t = System.nanoTime();
        List<EvaluationReport.LossPoint> curve = new ArrayList<>();
        Map<Long, Double> heldOut = new LinkedHashMap<>();
        Smen smen;
        long total = o.smen().maxSteps() > 0 ? o.smen().maxSteps() : -1;
        try (Progress.Task task = pr.start("train SMEN (" + tag + ")", total, "steps")) {
            SmenTrainer.Listener l = new SmenTrainer.Listener() {
                @Override
                public void onStep(SmenTrainer.StepInfo info) {
                    curve.add(new EvaluationReport.LossPoint(info.step(), info.loss().total(), Double.NaN));
                    task.advance(1);
                    task.status(String.format(Locale.ROOT, "loss %.4f", info.loss().total()));
                }

                @Override
                public void onEvaluation(long step, double heldOutLoss, boolean improved) {
                    heldOut.put(step, heldOutLoss);
                }
            };
            smen = Smen.train(boi, stage1.interests().centroids(), stage1.embeddings().dim(), o.smen(), backend, par, l, null, 0);
        }
        List<EvaluationReport.LossPoint> loss = new ArrayList<>(curve.size());
        for (EvaluationReport.LossPoint p : curve) {
            Double h = heldOut.get(p.step());
            loss.add(h == null ? p : new EvaluationReport.LossPoint(p.step(), p.loss(), h));
        }
        times.put("train SMEN (" + tag + ")", (System.nanoTime() - t) / 1e9);
        t = System.nanoTime();
        int n = events.numUsers(), w = smen.width();
        Map<String, Features> methods = new LinkedHashMap<>();
        try (Progress.Task task = pr.start("encode (" + tag + ")", n, "users"); MemoryScope tmp = scope.child("encode")) {
            methods.put(Baselines.LURM, Features.dense(Baselines.LURM, padRows(smen.encode(boi, backend, par, tmp), boi.numUsers(), n, w), n, w));
            task.advance(n);
        }
        times.put("encode (" + tag + ")", (System.nanoTime() - t) / 1e9);
        // the diagnostic rows and the variants: only where they are probed (not for the inductive check's model)
        if (diagnostics) {
            try (MemoryScope tmp = scope.child("encode-diagnostics")) {
                Smen untrained = Smen.initial(boi, stage1.interests().centroids(), stage1.embeddings().dim(), o.smen(), par);
                methods.put(LURM_UNTRAINED, Features.dense(LURM_UNTRAINED, padRows(untrained.encode(boi, backend, par, tmp), boi.numUsers(), n, w), n, w));
                int h = smen.config().h();
                methods.put(WEIGHTED_V, Features.dense(WEIGHTED_V, padRows(F32Array.wrap(smen.meanInterestEmbedding(boi)), boi.numUsers(), n, h), n, h));
                for (Map.Entry<String, org.lurm.SmenConfig> v : o.variants().entrySet()) {
                    long tv = System.nanoTime();
                    Smen sv = Smen.train(boi, stage1.interests().centroids(), stage1.embeddings().dim(), v.getValue(), backend, par, null, null, 0);
                    methods.put(v.getKey(), Features.dense(v.getKey(), padRows(sv.encode(boi, backend, par, tmp), boi.numUsers(), n, sv.width()), n, sv.width()));
                    times.put("variant " + v.getKey() + " (" + tag + ")", (System.nanoTime() - tv) / 1e9);
                }
            }
        }
        if (baselines) {
            t = System.nanoTime();
            try (Progress.Task task = pr.start("baselines (" + tag + ")", 5, "baselines")) {
                for (Features f : Baselines.widthMatched(events, boi, w, o.seed(), c1.boi(), c1.seed(), backend, scope, task)) methods.put(f.name(), f);
            }
            times.put("baselines (" + tag + ")", (System.nanoTime() - t) / 1e9);
        }
        return new Pipeline(methods, loss, stage1, boi, smen);
    }

    private static float[] padRows(F32Array z, int have, int n, int w) {
        float[] out = new float[n * w];
        z.copyTo(0, out, 0, Math.min(have, n) * w);
        return out;
    }

    private static Features rename(Features f, String name) {
        float[] d = new float[f.rows() * f.dim()];
        for (int r = 0; r < f.rows(); r++) System.arraycopy(f.row(r), 0, d, r * f.dim(), f.dim());
        return Features.dense(name, d, f.rows(), f.dim());
    }

    static int[] usersWithEvents(EventTable events) {
        boolean[] has = new boolean[events.numUsers()];
        for (long i = 0; i < events.size(); i++) has[events.user(i)] = true;
        return java.util.stream.IntStream.range(0, has.length).filter(u -> has[u]).toArray();
    }

    /** PCA of the LURM vectors of the users labelled in the gender table (else the first table), coloured by it. */
    private static EvaluationReport.UserProjection projection(Features lurm, List<LabelTable> labels, int[] active) {
        if (lurm == null) return null;
        if (lurm.isSparse()) return null;
        LabelTable colour = labels.stream().filter(l -> l.name().equals("gender")).findFirst().orElse(labels.isEmpty() ? null : labels.get(0));
        int[] users = colour == null ? active : java.util.Arrays.stream(active).filter(colour::has).toArray();
        if (users.length < 3) return null;
        double[][] xy = Pca.project(lurm.rows(users), 2);
        float[] x = new float[users.length], y = new float[users.length];
        String[] cls = new String[users.length];
        for (int i = 0; i < users.length; i++) {
            x[i] = (float) xy[0][i];
            y[i] = (float) xy[1][i];
            cls[i] = colour == null ? "all" : String.join("|", java.util.Arrays.stream(colour.classesOf(users[i])).mapToObj(colour.classes()::get).toList());
        }
        return new EvaluationReport.UserProjection(lurm.name(), colour == null ? "none" : colour.name(), x, y, cls);
    }
}
