package org.lurm.cli;

import java.util.ArrayList;
import java.util.List;
import org.lurm.BagOfInterests;
import org.lurm.backend.Backend;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.eval.Baselines;
import org.lurm.eval.Claims;
import org.lurm.eval.Features;
import org.lurm.eval.LabelTable;
import org.lurm.eval.ProbeEvaluator;
import org.lurm.eval.ResultRow;
import org.lurm.events.EventTable;
import org.lurm.memory.MemoryScope;
import org.lurm.progress.Progress;

/**
 * Runs the evaluation harness ({@code org.lurm.eval}) for the commands: every task x every method through the
 * same folds and probes, and the width-matched baselines of EVALUATION.md. Stateless; thread-safe.
 */
final class Evaluations {
    private Evaluations() {
    }

    /** Every method on every task (tasks with too few labelled users are reported and passed over). */
    static List<ResultRow> probe(String dataset, List<LabelTable> tasks, List<Features> methods, ProbeEvaluator.Options options,
                                 Backend backend, Progress progress, List<String> notes) {
        List<ResultRow> rows = new ArrayList<>();
        for (LabelTable t : tasks) {
            ProbeEvaluator.Task task;
            try {
                task = ProbeEvaluator.prepare(t.name(), t, null, options);
            } catch (IllegalArgumentException e) {
                notes.add("task '" + t.name() + "' skipped: " + e.getMessage());
                continue;
            }
            for (Features f : methods) {
                rows.addAll(ProbeEvaluator.rows(dataset, task, f.name(), ProbeEvaluator.evaluate(task, f, options, backend, progress)));
            }
        }
        return rows;
    }

    /**
     * The five width-matched baselines of a fitted Stage 1's rows ({@code lurm demo}): {@link Baselines#widthMatched}
     * with the Stage 1's BoI configuration and seed, exactly as the harness's {@code Benchmark} computes them.
     */
    static List<Features> baselines(BoiSet rows, EventTable events, BagOfInterests stage1, int width, long seed, Backend backend,
                                    MemoryScope scope, Progress progress) {
        return baselines(rows, events, stage1.config().boi(), stage1.config().seed(), width, seed, backend, scope, progress);
    }

    /**
     * The five width-matched baselines (raw BoI, BoI + RSVD, item TF-IDF + RSVD, mean item embedding, random
     * projection) through {@link Baselines#widthMatched}: the same construction and seeds as {@code Benchmark}.
     *
     * @param boiConfig     the BoI configuration of the model or Stage 1 the rows come from
     * @param stage1Seed    the Stage 1 seed (seeds the mean item embedding's co-occurrence embedding)
     * @param seed          the evaluation seed (the baselines' random matrices use seed + 1 .. seed + 3)
     */
    static List<Features> baselines(BoiSet rows, EventTable events, BoiConfig boiConfig, long stage1Seed, int width, long seed, Backend backend,
                                    MemoryScope scope, Progress progress) {
        try (Progress.Task t = progress.start("baselines", 5, "methods")) {
            return Baselines.widthMatched(events, rows, width, seed, boiConfig, stage1Seed, backend, scope, t);
        }
    }

    /**
     * The claim verdicts of EVALUATION.md, one line each ({@link Claims#line}), for the first dataset of the rows
     * (the inductive rows of {@code --dataset} are not claim rows) and every probe that has rows, logistic first.
     *
     * @param hint appended in parentheses to an undecided claim's line (what to run to decide it); null for none
     */
    static List<String> claimLines(List<ResultRow> rows, String hint) {
        List<String> lines = new ArrayList<>();
        if (rows.isEmpty()) return lines;
        String dataset = rows.get(0).dataset();
        for (String probe : List.of(ProbeEvaluator.LOGISTIC, ProbeEvaluator.MLP)) {
            if (rows.stream().noneMatch(r -> r.dataset().equals(dataset) && r.probe().equals(probe))) continue;
            for (Claims.Claim c : Claims.evaluate(rows, dataset, probe)) {
                String line = Claims.line(c, probe);
                if (hint != null && c.comparisons().isEmpty()) line += " (" + hint + ")";
                lines.add(line);
            }
        }
        return lines;
    }

    /** Probe options from the command's settings. */
    static ProbeEvaluator.Options options(int folds, long seed, boolean mlp) {
        if (folds < 2) throw CliException.usage("--folds must be >= 2, got " + folds);
        return ProbeEvaluator.Options.defaults().withFolds(folds).withSeed(seed).withMlp(mlp);
    }
}
