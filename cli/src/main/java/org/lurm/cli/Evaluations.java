package org.lurm.cli;

import java.util.ArrayList;
import java.util.List;
import org.lurm.BagOfInterests;
import org.lurm.backend.Backend;
import org.lurm.boi.BoiSet;
import org.lurm.eval.Baselines;
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
     * The baselines at LURM's width: raw BoI (sparse), BoI + RSVD, item TF-IDF + RSVD, random projection, and
     * the mean item embedding when item embeddings are at hand ({@code stage1} not null).
     */
    static List<Features> baselines(BoiSet rows, EventTable events, BagOfInterests stage1, int width, long seed, Backend backend,
                                    MemoryScope scope, Progress progress) {
        List<Features> out = new ArrayList<>();
        try (Progress.Task t = progress.start("baselines", stage1 == null ? 4 : 5, "methods")) {
            Features raw = Baselines.rawBoi(rows);
            out.add(raw);
            t.advance(1);
            out.add(Baselines.truncatedSvd(Baselines.BOI_RSVD, raw, width, seed, backend, scope));
            t.advance(1);
            out.add(Baselines.truncatedSvd(Baselines.ITEM_TFIDF_RSVD, Baselines.itemTfIdf(events), width, seed, backend, scope));
            t.advance(1);
            if (stage1 != null) {
                out.add(Baselines.meanItemEmbedding(events, stage1.embeddings()));
                t.advance(1);
            }
            out.add(Baselines.randomProjection(raw, width, seed, backend));
            t.advance(1);
        }
        return out;
    }

    /** Probe options from the command's settings. */
    static ProbeEvaluator.Options options(int folds, long seed, boolean mlp) {
        if (folds < 2) throw CliException.usage("--folds must be >= 2, got " + folds);
        return ProbeEvaluator.Options.defaults().withFolds(folds).withSeed(seed).withMlp(mlp);
    }
}
