package org.lurm.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.lurm.backend.Backend;
import org.lurm.progress.Progress;

/**
 * The protocol of EVALUATION.md for one task and one method's frozen vectors: stratified k-fold
 * cross-validation (folds fixed by the task, so every method sees the same ones), and in each training fold
 * <ul>
 * <li>standardisation fitted on the training fold (dense features only; sparse raw BoI rows are used as
 * they are: tf-idf weighted and L2-normalised, no centring); for the logistic probe on dense features the
 * standardised training fold is then whitened ({@link Whitening}), an exact reparametrisation of the same L2
 * problem that only speeds up the solver;</li>
 * <li>the <b>logistic</b> probe: L2 logistic regression, one-vs-rest for multi-class, with λ chosen from a fixed
 * grid on an inner stratified split of the training fold (20 % held out; binary by ROC-AUC, multi-class by
 * accuracy, multi-label per class by ROC-AUC), then refitted on the whole training fold;</li>
 * <li>the <b>mlp</b> probe: {@link MlpProbe}, trained on the inner-train part and stopped early on the same
 * inner validation part.</li>
 * </ul>
 * Metrics on the test fold: binary: roc_auc, accuracy, macro_f1; multi-class: accuracy, macro_f1; multi-label:
 * mean_roc_auc over the classes with at least {@link Options#minPositives} positives among the task's users.
 *
 * <p><b>Thread-safety.</b> Stateless; {@link Task}s are immutable and may be shared by concurrent evaluations.
 */
public final class ProbeEvaluator {
    /** Probe names used in {@link ResultRow#probe()}. */
    public static final String LOGISTIC = "logistic", MLP = "mlp";

    /**
     * @param folds        k of the stratified k-fold (5)
     * @param seed         seed of the folds, the inner splits and the MLP initialisation (42)
     * @param lambdaGrid   regularisation grid of the logistic probe (mean-loss convention, see {@link LogisticRegression})
     * @param minPositives multi-label classes scored need at least this many positives (20)
     * @param logistic     logistic regression solver options
     * @param mlp          MLP probe options (its seed is replaced by one derived from {@code seed} and the fold)
     * @param runMlp       whether to run the MLP probe
     */
    public record Options(int folds, long seed, double[] lambdaGrid, int minPositives, LogisticRegression.Options logistic,
                          MlpProbe.Options mlp, boolean runMlp) {
        public Options {
            if (folds < 2) throw new IllegalArgumentException("need at least 2 folds");
            if (lambdaGrid.length == 0) throw new IllegalArgumentException("empty lambda grid");
            lambdaGrid = lambdaGrid.clone();
            Arrays.sort(lambdaGrid);
            Objects.requireNonNull(logistic);
            Objects.requireNonNull(mlp);
        }

        public static final double[] DEFAULT_GRID = {1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1};

        public static Options defaults() {
            return new Options(5, 42L, DEFAULT_GRID, 20, LogisticRegression.Options.defaults(), MlpProbe.Options.defaults(), true);
        }

        public Options withSeed(long s) {
            return new Options(folds, s, lambdaGrid, minPositives, logistic, mlp, runMlp);
        }

        public Options withMlp(boolean on) {
            return new Options(folds, seed, lambdaGrid, minPositives, logistic, mlp, on);
        }

        public Options withFolds(int k) {
            return new Options(k, seed, lambdaGrid, minPositives, logistic, mlp, runMlp);
        }

        public Options withMlpOptions(MlpProbe.Options o) {
            return new Options(folds, seed, lambdaGrid, minPositives, logistic, o, runMlp);
        }

        @Override
        public double[] lambdaGrid() {
            return lambdaGrid.clone();
        }
    }

    /**
     * A task ready to evaluate: its labels, the users it covers (rows of the features), their folds and, for
     * multi-label tasks, the classes scored.
     */
    public record Task(String name, LabelTable labels, int[] users, StratifiedFolds folds, int[] scoredClasses) {
        public Task {
            users = users.clone();
            scoredClasses = scoredClasses.clone();
        }

        @Override
        public int[] users() {
            return users.clone();
        }

        @Override
        public int[] scoredClasses() {
            return scoredClasses.clone();
        }

        /** The metric names this task reports, primary first. */
        public List<String> metrics() {
            return switch (labels.kind()) {
                case BINARY -> List.of("roc_auc", "accuracy", "macro_f1");
                case MULTI_CLASS -> List.of("accuracy", "macro_f1");
                case MULTI_LABEL -> List.of("mean_roc_auc");
            };
        }
    }

    private static final boolean DEBUG = Boolean.getBoolean("lurm.eval.debug");

    private ProbeEvaluator() {
    }

    /**
     * Prepares a task over the labelled users among {@code candidates} (null: every labelled user). The task's
     * labels are {@link LabelTable#canonical} over those users, so the folds, the order the probes visit the
     * classes in, and hence every metric, are a function of the seed, the user indices and the partition of the
     * users into classes only: the same labels read by another reader, or with classes renamed or listed in
     * another order, give exactly the same numbers. {@link Task#labels()} and {@link Task#scoredClasses()} are
     * in the canonical class order.
     */
    public static Task prepare(String name, LabelTable labels, int[] candidates, Options options) {
        int[] users = candidates == null ? labels.labelledUsers() : Arrays.stream(candidates).filter(labels::has).sorted().distinct().toArray();
        if (users.length < options.folds() * 2) throw new IllegalArgumentException("task '" + name + "' has only " + users.length + " labelled users");
        labels = labels.canonical(users);
        StratifiedFolds folds = StratifiedFolds.of(StratifiedFolds.strata(labels, users), options.folds(), options.seed());
        int[] scored;
        if (labels.kind() == LabelTable.Kind.MULTI_LABEL) {
            int[] pos = new int[labels.numClasses()];
            for (int u : users) for (int c : labels.classesOf(u)) pos[c]++;
            scored = java.util.stream.IntStream.range(0, pos.length).filter(c -> pos[c] >= options.minPositives()
                    && users.length - pos[c] >= options.minPositives()).toArray();
            if (scored.length == 0) throw new IllegalArgumentException("task '" + name + "': no class has " + options.minPositives() + " positives and negatives");
        } else {
            scored = java.util.stream.IntStream.range(0, labels.numClasses()).toArray();
        }
        return new Task(name, labels, users, folds, scored);
    }

    /**
     * Runs the probes of one method on one task.
     *
     * @param features rows indexed by user index (the task's user dictionary)
     * @return probe name -> metric name -> value per fold
     */
    public static Map<String, Map<String, double[]>> evaluate(Task task, Features features, Options options, Backend backend, Progress progress) {
        int[] users = task.users;
        int k = task.folds.k();
        Map<String, Map<String, double[]>> out = new LinkedHashMap<>();
        List<String> probes = options.runMlp() ? List.of(LOGISTIC, MLP) : List.of(LOGISTIC);
        for (String p : probes) {
            Map<String, double[]> m = new LinkedHashMap<>();
            for (String metric : task.metrics()) m.put(metric, new double[k]);
            out.put(p, m);
        }
        Features all = features.rows(users);
        try (Progress.Task pt = Progress.orNone(progress).start("probe " + task.name + " / " + features.name(), (long) k * probes.size(), "folds")) {
            for (int f = 0; f < k; f++) {
                int[] tr = task.folds.train(f), te = task.folds.test(f);
                Features xtr = all.rows(tr), xte = all.rows(te);
                if (!xtr.isSparse()) {
                    double[][] mom = xtr.columnMoments();
                    xtr = xtr.standardized(mom);
                    xte = xte.standardized(mom);
                }
                int[] trUsers = pick(users, tr), teUsers = pick(users, te);
                long innerSeed = options.seed() * 0x9E3779B97F4A7C15L + f + 1;
                StratifiedFolds inner = StratifiedFolds.of(StratifiedFolds.strata(task.labels, trUsers), 5, innerSeed);
                int[] itr = inner.train(0), iva = inner.test(0);
                Features xitr = xtr.rows(itr), xiva = xtr.rows(iva);
                int[] itrUsers = pick(trUsers, itr), ivaUsers = pick(trUsers, iva);

                // the logistic probe solves the same problem in whitened coordinates (exact reparametrisation, faster L-BFGS)
                Map<String, Double> lm;
                if (xtr.isSparse()) {
                    lm = logistic(task, xtr, trUsers, xte, teUsers, xitr, itrUsers, xiva, ivaUsers, null, options, backend);
                } else {
                    Whitening wh = Whitening.fit(xtr);
                    Features wtr = wh.apply(xtr);
                    lm = logistic(task, wtr, trUsers, wh.apply(xte), teUsers, wtr.rows(itr), itrUsers, wtr.rows(iva), ivaUsers, wh.penaltyWeights(), options, backend);
                }
                for (var e : lm.entrySet()) out.get(LOGISTIC).get(e.getKey())[f] = e.getValue();
                pt.advance(1);
                if (options.runMlp()) {
                    Map<String, Double> mm = mlp(task, xte, teUsers, xitr, itrUsers, xiva, ivaUsers, options.mlp().withSeed(innerSeed), backend);
                    for (var e : mm.entrySet()) out.get(MLP).get(e.getKey())[f] = e.getValue();
                    pt.advance(1);
                }
            }
        }
        return out;
    }

    /** Result rows (mean ± std over folds) for every probe and metric of an {@link #evaluate} result. */
    public static List<ResultRow> rows(String dataset, Task task, String method, Map<String, Map<String, double[]>> result) {
        List<ResultRow> rows = new ArrayList<>();
        for (var p : result.entrySet()) {
            for (var m : p.getValue().entrySet()) {
                double[] v = m.getValue();
                rows.add(new ResultRow(dataset, task.name, method, p.getKey(), m.getKey(), Metrics.mean(v), Metrics.std(v), v));
            }
        }
        return rows;
    }

    // --- logistic probe ---

    private static Map<String, Double> logistic(Task task, Features xtr, int[] trUsers, Features xte, int[] teUsers, Features xitr, int[] itrUsers,
                                                Features xiva, int[] ivaUsers, double[] penalty, Options o, Backend backend) {
        LabelTable lab = task.labels;
        double[] grid = o.lambdaGrid; // ascending
        int G = grid.length;
        int[] classes = lab.kind() == LabelTable.Kind.BINARY ? new int[] {1} : task.scoredClasses;
        int C = classes.length;
        // inner fits: problem (c, g) at index c * G + g
        boolean[][] tInner = new boolean[C * G][];
        double[] lInner = new double[C * G];
        for (int c = 0; c < C; c++) {
            boolean[] t = targets(lab, itrUsers, classes[c]);
            for (int g = 0; g < G; g++) {
                tInner[c * G + g] = t;
                lInner[c * G + g] = grid[g];
            }
        }
        LogisticRegression.Model inner = LogisticRegression.fit(xitr, tInner, lInner, penalty, o.logistic(), backend);
        double[] dv = inner.decision(xiva, backend);
        int P = C * G, nv = ivaUsers.length;
        double[] chosen = new double[C];
        switch (lab.kind()) {
            case BINARY -> chosen[0] = grid[bestIndex(G, g -> Metrics.rocAuc(targets(lab, ivaUsers, 1), column(dv, nv, P, g)))];
            case MULTI_CLASS -> {
                int[] truth = classesOf(lab, ivaUsers);
                int best = bestIndex(G, g -> {
                    int[] pred = new int[nv];
                    for (int i = 0; i < nv; i++) {
                        int arg = 0;
                        for (int c = 1; c < C; c++) if (dv[i * P + c * G + g] > dv[i * P + arg * G + g]) arg = c;
                        pred[i] = classes[arg];
                    }
                    return Metrics.accuracy(truth, pred);
                });
                Arrays.fill(chosen, grid[best]);
            }
            case MULTI_LABEL -> {
                double[][] auc = new double[C][G];
                double[] meanAuc = new double[G];
                for (int g = 0; g < G; g++) {
                    double[] col = new double[C];
                    for (int c = 0; c < C; c++) col[c] = auc[c][g] = Metrics.rocAuc(targets(lab, ivaUsers, classes[c]), column(dv, nv, P, c * G + g));
                    meanAuc[g] = Metrics.mean(col);
                }
                int fallback = bestIndex(G, g -> meanAuc[g]);
                for (int c = 0; c < C; c++) {
                    final int cc = c;
                    boolean any = false;
                    for (int g = 0; g < G; g++) any |= Double.isFinite(auc[c][g]);
                    chosen[c] = grid[any ? bestIndex(G, g -> auc[cc][g]) : fallback];
                }
            }
        }
        // refit on the whole training fold
        boolean[][] tFull = new boolean[C][];
        for (int c = 0; c < C; c++) tFull[c] = targets(lab, trUsers, classes[c]);
        LogisticRegression.Model full = LogisticRegression.fit(xtr, tFull, chosen, penalty, o.logistic(), backend);
        double[] dt = full.decision(xte, backend);
        if (DEBUG) {
            System.err.printf(java.util.Locale.ROOT, "  [probe] %s / %s: inner %d problems %d rounds (max iters %d), refit %d rounds, lambda %s%n", task.name, xtr.name(),
                    P, inner.rounds(), Arrays.stream(inner.iterations()).max().orElse(0), full.rounds(), Arrays.toString(chosen));
        }
        return testMetrics(lab, teUsers, classes, dt, 0);
    }

    // --- MLP probe ---

    private static Map<String, Double> mlp(Task task, Features xte, int[] teUsers, Features xitr, int[] itrUsers, Features xiva, int[] ivaUsers,
                                           MlpProbe.Options mo, Backend backend) {
        LabelTable lab = task.labels;
        int[] classes = switch (lab.kind()) {
            case BINARY -> new int[] {1};
            case MULTI_CLASS -> java.util.stream.IntStream.range(0, lab.numClasses()).toArray();
            case MULTI_LABEL -> task.scoredClasses;
        };
        boolean softmax = lab.kind() == LabelTable.Kind.MULTI_CLASS;
        int C = classes.length;
        MlpProbe.Model model = MlpProbe.fit(xitr, targetMatrix(lab, itrUsers, classes), xiva, targetMatrix(lab, ivaUsers, classes), C, softmax, mo, backend);
        double[] p = model.predict(xte, backend);
        if (DEBUG) System.err.printf(java.util.Locale.ROOT, "  [mlp] %s / %s: best epoch %d, validation loss %.4f%n", task.name, xte.name(), model.epochs(), model.validationLoss());
        return testMetrics(lab, teUsers, classes, p, 0.5);
    }

    // --- helpers ---

    /**
     * The test-fold metrics of one task from the scores of its classes (row-major, one row of {@code classes.length}
     * scores per test user): binary ROC AUC, accuracy and macro F1 (positive when the score is above
     * {@code threshold}: 0 for decision values, 0.5 for probabilities), multi-class accuracy and macro F1 of the
     * arg-max class, multi-label mean ROC AUC over the scored classes.
     */
    private static Map<String, Double> testMetrics(LabelTable lab, int[] teUsers, int[] classes, double[] score, double threshold) {
        int nt = teUsers.length, C = classes.length;
        Map<String, Double> m = new LinkedHashMap<>();
        switch (lab.kind()) {
            case BINARY -> {
                double[] binary = column(score, nt, 1, 0);
                int[] truth = classesOf(lab, teUsers), pred = new int[nt];
                for (int i = 0; i < nt; i++) pred[i] = binary[i] > threshold ? 1 : 0;
                m.put("roc_auc", Metrics.rocAuc(targets(lab, teUsers, 1), binary));
                m.put("accuracy", Metrics.accuracy(truth, pred));
                m.put("macro_f1", Metrics.macroF1(truth, pred));
            }
            case MULTI_CLASS -> {
                int[] truth = classesOf(lab, teUsers), pred = new int[nt];
                for (int i = 0; i < nt; i++) {
                    int arg = 0;
                    for (int c = 1; c < C; c++) if (score[i * C + c] > score[i * C + arg]) arg = c;
                    pred[i] = classes[arg];
                }
                m.put("accuracy", Metrics.accuracy(truth, pred));
                m.put("macro_f1", Metrics.macroF1(truth, pred));
            }
            case MULTI_LABEL -> {
                double[] aucs = new double[C];
                for (int c = 0; c < C; c++) aucs[c] = Metrics.rocAuc(targets(lab, teUsers, classes[c]), column(score, nt, C, c));
                m.put("mean_roc_auc", Metrics.mean(aucs));
            }
        }
        return m;
    }

    private static int bestIndex(int n, java.util.function.IntToDoubleFunction score) {
        // grid ascends in lambda: scan from the strongest regularisation down, keep strict improvements
        int best = n - 1;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int g = n - 1; g >= 0; g--) {
            double s = score.applyAsDouble(g);
            if (Double.isFinite(s) && s > bestScore + 1e-12) {
                bestScore = s;
                best = g;
            }
        }
        return best;
    }

    static int[] pick(int[] a, int[] idx) {
        int[] out = new int[idx.length];
        for (int i = 0; i < idx.length; i++) out[i] = a[idx[i]];
        return out;
    }

    private static boolean[] targets(LabelTable lab, int[] users, int cls) {
        boolean[] t = new boolean[users.length];
        for (int i = 0; i < users.length; i++) t[i] = lab.hasClass(users[i], cls);
        return t;
    }

    private static float[] targetMatrix(LabelTable lab, int[] users, int[] classes) {
        float[] t = new float[users.length * classes.length];
        for (int i = 0; i < users.length; i++) for (int c = 0; c < classes.length; c++) t[i * classes.length + c] = lab.hasClass(users[i], classes[c]) ? 1 : 0;
        return t;
    }

    private static int[] classesOf(LabelTable lab, int[] users) {
        int[] t = new int[users.length];
        for (int i = 0; i < users.length; i++) t[i] = lab.classOf(users[i]);
        return t;
    }

    private static double[] column(double[] m, int rows, int cols, int c) {
        double[] out = new double[rows];
        for (int i = 0; i < rows; i++) out[i] = m[i * cols + c];
        return out;
    }
}
