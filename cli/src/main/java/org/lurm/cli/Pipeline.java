package org.lurm.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.lurm.BagOfInterests;
import org.lurm.LurmModel;
import org.lurm.backend.Backend;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiSet;
import org.lurm.eval.EvaluationReport;
import org.lurm.events.EventTable;
import org.lurm.events.ItemCatalog;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.progress.Progress;
import org.lurm.smen.Smen;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenEncoding;
import org.lurm.smen.SmenInputs;
import org.lurm.smen.SmenLayout;
import org.lurm.smen.SmenTrainer;

/**
 * The steps every command shares, each reported to a {@link Progress}: fit Stage 1 (embed, cluster),
 * aggregate the BoI rows, train SMEN, encode users. Stateless; thread-safe.
 */
final class Pipeline {
    private Pipeline() {
    }

    /** A fitted model and what fitting measured. */
    record Fitted(BagOfInterests stage1, BoiSet rows, Smen smen, LurmModel model, List<EvaluationReport.LossPoint> lossCurve,
                  Map<String, Double> seconds, Map<String, String> ranOn) {
    }

    /** Encoded users and where the encoder ran. */
    record Encoded(F32Array z, String ranOn) {
    }

    /** "cuda: NAME, N GiB, sm_XY" or "cpu (N threads)": where a backend's ops run. */
    static String describe(Backend b) {
        String s = b.toString();
        int i = s.indexOf('['), j = s.lastIndexOf(']');
        return i > 0 && j > i ? b.name() + ": " + s.substring(i + 1, j) : b.name() + " (" + b.threads() + " threads)";
    }

    /** Where SMEN's checkpoints go, decided once Stage 1 and the BoI rows are known (they identify the run). */
    interface Checkpointing {
        /** The store to resume from and save to; may refuse (a checkpoint of another run). */
        SmenTrainer.CheckpointStore open(BoiSet rows, BagOfInterests stage1, SmenConfig cfg);

        /** Steps between checkpoints. */
        int every();
    }

    static Fitted fit(EventTable events, ItemCatalog catalog, BagOfInterests.Config cfg, SmenConfig smenCfg, Backend backend, Parallel par,
                      MemoryScope scope, Progress progress) {
        return fit(events, catalog, cfg, smenCfg, backend, par, scope, progress, null);
    }

    /** Fits Stage 1 and SMEN; with {@code checkpointing}, SMEN resumes from and saves checkpoints. */
    static Fitted fit(EventTable events, ItemCatalog catalog, BagOfInterests.Config cfg, SmenConfig smenCfg, Backend backend, Parallel par,
                      MemoryScope scope, Progress progress, Checkpointing checkpointing) {
        Map<String, Double> secs = new LinkedHashMap<>();
        Progress.Task[] current = {progress.start("embed items", 0, "")};
        BagOfInterests stage1;
        try {
            stage1 = BagOfInterests.fit(events, catalog, cfg, backend, scope, (stage, nanos, summary) -> {
                secs.put(stage, nanos / 1e9);
                current[0].status(summary);
                current[0].close();
                current[0] = stage.equals("embed") ? progress.start("cluster into interests", 0, "") : Progress.Task.NONE;
            }, progress);
        } finally {
            current[0].close();
        }
        long t0 = System.nanoTime();
        BoiSet rows;
        try (Progress.Task t = progress.start("aggregate BoI", events.size(), "events")) {
            rows = stage1.aggregate(events, backend, scope);
            t.advance(events.size());
            t.status(String.format(Locale.ROOT, "%,d rows, %,d non-zeros", rows.numRows(), rows.nnz()));
        }
        secs.put("aggregate", (System.nanoTime() - t0) / 1e9);
        t0 = System.nanoTime();
        List<EvaluationReport.LossPoint> curve = new ArrayList<>();
        SmenTrainer.CheckpointStore store = checkpointing == null ? null : checkpointing.open(rows, stage1, smenCfg);
        Smen smen = trainSmen(rows, stage1, smenCfg, backend, par, progress, curve, store, store == null ? 0 : checkpointing.every());
        secs.put("train", (System.nanoTime() - t0) / 1e9);
        Map<String, String> ranOn = new LinkedHashMap<>();
        String b = describe(backend);
        ranOn.put("embed, cluster, aggregate", b);
        ranOn.put("train SMEN", smen.training() != null && smen.training().device() != null ? smen.training().device() : "cpu (restored from a checkpoint)");
        return new Fitted(stage1, rows, smen, LurmModel.of(stage1, events.items(), events.types(), smen), curve, secs, ranOn);
    }

    /** Trains SMEN with a progress bar over steps (status: loss, held-out loss); fills {@code curve}. */
    static Smen trainSmen(BoiSet rows, BagOfInterests stage1, SmenConfig cfg, Parallel par, Progress progress, List<EvaluationReport.LossPoint> curve) {
        return trainSmen(rows, stage1, cfg, null, par, progress, curve, null, 0);
    }

    /**
     * Trains SMEN (resuming from {@code store}'s latest checkpoint when there is one) with a progress bar over
     * steps (status: loss, held-out loss); fills {@code curve} with the steps trained here.
     */
    static Smen trainSmen(BoiSet rows, BagOfInterests stage1, SmenConfig cfg, Backend backend, Parallel par, Progress progress,
                          List<EvaluationReport.LossPoint> curve, SmenTrainer.CheckpointStore store, int checkpointEvery) {
        if (store != null) {
            var last = store.latest();
            if (last.isPresent() && last.get().badEvaluations() >= cfg.patience()) {
                // The run had stopped early and saved its last checkpoint, then was killed before the model was
                // written. Resuming would train on past the stop; the result is already in the checkpoint.
                return stoppedEarly(rows, cfg, last.get());
            }
        }
        Progress.Task[] task = {null};
        double[] held = {Double.NaN};
        SmenTrainer.Listener l = new SmenTrainer.Listener() {
            @Override
            public void onStep(SmenTrainer.StepInfo s) {
                if (task[0] == null) {
                    task[0] = progress.start("train SMEN", s.totalSteps(), "steps");
                    task[0].advance(s.step() - 1); // the steps before a resumed checkpoint
                }
                curve.add(new EvaluationReport.LossPoint(s.step(), s.loss().total(), Double.NaN));
                task[0].status(String.format(Locale.ROOT, "loss %.3f%s", s.loss().total(),
                        Double.isNaN(held[0]) ? "" : String.format(Locale.ROOT, ", held-out %.3f", held[0])));
                task[0].advance(1);
            }

            @Override
            public void onEvaluation(long step, double heldOutLoss, boolean improved) {
                held[0] = heldOutLoss;
                if (!curve.isEmpty() && curve.getLast().step() == step) {
                    var last = curve.removeLast();
                    curve.add(new EvaluationReport.LossPoint(step, last.loss(), heldOutLoss));
                }
            }
        };
        try {
            return Smen.train(rows, stage1.interests().centroids(), stage1.embeddings().dim(), cfg, backend, par, l, store, checkpointEvery);
        } finally {
            if (task[0] != null) task[0].close();
        }
    }

    /** The model an early-stopped run's last checkpoint holds, as {@link SmenTrainer#train} would have returned it. */
    private static Smen stoppedEarly(BoiSet rows, SmenConfig cfg, SmenTrainer.Checkpoint k) {
        SmenLayout layout = new SmenLayout(cfg, rows.numInterests(), rows.config().scales().size());
        SmenInputs inputs = new SmenInputs(rows, cfg.recencyBuckets()).withVolumeSink(cfg.volumeSink());
        int trainable = 0;
        for (int u = 0; u < rows.numUsers(); u++) if (inputs.trainable(u)) trainable++;
        int held = (int) Math.floor(trainable * cfg.heldOutFraction());
        if (held < 2) held = 0;
        float[] params = k.bestParams() != null ? k.bestParams() : k.params();
        SmenTrainer.Result r = new SmenTrainer.Result(params, k.step(), k.bestHeldOutLoss(), true, k.lossCurve(), trainable - held, held);
        return new Smen(layout, params, inputs.idf(), inputs.referencePeriods(), inputs.sinkWeights(), r);
    }

    /** Encodes every user of {@code rows} on the host (users x width, off-heap in scope) with a progress bar over users. */
    static F32Array encode(Smen smen, BoiSet rows, Parallel par, MemoryScope scope, Progress progress) {
        return encode(smen, rows, null, par, scope, progress).z();
    }

    /**
     * Encodes every user of {@code rows} (users x width, off-heap in scope) with a progress bar over users: on the
     * backend's device when it has a device encoder (parameters uploaded once), else on the host.
     */
    static Encoded encode(Smen smen, BoiSet rows, Backend backend, Parallel par, MemoryScope scope, Progress progress) {
        try (Progress.Task t = progress.start("encode users", rows.numUsers(), "users"); SmenEncoding enc = smen.encoder(backend, par)) {
            t.status("on " + enc.device());
            return new Encoded(smen.encode(rows, enc, scope, t::advance), enc.device());
        }
    }

    /** Users with no BoI row at all (none of their events has an item with an interest): they encode to zeros. */
    static int usersWithoutRows(BoiSet rows) {
        int n = 0;
        for (int u = 0; u < rows.numUsers(); u++) if (rows.userRowStart(u) == rows.userRowStart(u + 1)) n++;
        return n;
    }

    /**
     * The SMEN config as the trainer will run it on these users: {@link SmenConfig#sizedFor}, the library's one
     * sizing rule (the trainer applies it again to the trainable users), so the command shows the step count it
     * runs and keeps every option the user set.
     */
    static SmenConfig sizedFor(SmenConfig c, int users) {
        return c.sizedFor(users);
    }
}
