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
import org.lurm.BagOfInterests;
import org.lurm.embed.CooccurrenceEmbedder;
import org.lurm.backend.Backend;
import org.lurm.backend.cpu.Parallel;
import org.lurm.io.OutputFiles;
import org.lurm.memory.MemoryScope;
import org.lurm.SmenConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lurm fit}: events (and optionally items) and a configuration in, one model file out. */
@Command(name = "fit", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fit a LURM model on behaviour events: embed and cluster the items into interests, aggregate the",
                "multi-scale Bag-of-Interests and train SMEN; write everything encode needs into one model file."},
        footer = {"", "Examples:",
                "  # user,item,unix-seconds per line, no header",
                "  lurm fit --events events.csv -o model.lurm",
                "  # a header, named columns, ISO timestamps, a behaviour type with weights, gzip input",
                "  lurm fit --events clicks.csv.gz --header --user-col user_id --item-col sku --time-col ts --time-format iso \\",
                "           --type-col action --type-weights view=1,buy=5 -o model.lurm",
                "  # tab-separated, item titles for the text embedder, a JSON config, skip bad lines",
                "  lurm fit --events ev.tsv --sep tab --items items.tsv --embedding both --config lurm.json --lenient -o model.lurm",
                "  # the MovieLens 100K folder",
                "  lurm fit --movielens ../shared/data/movielens-100k --interests 400 --smen-steps 300 -o ml100k.lurm",
                "  # checkpoints: after a crash or kill, the same command resumes where the last checkpoint left off",
                "  lurm fit --events events.csv --checkpoint-dir fit.ckpt -o model.lurm"})
final class FitCommand implements Callable<Integer>, Main.HasCommonOptions {
    @Spec
    CommandSpec spec;
    @Mixin
    EventInput input;
    @Mixin
    ModelOptions model;
    @Mixin
    CommonOptions common;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true, description = "Where to write the model file.")
    Path output;

    @Option(names = "--checkpoint-dir", paramLabel = "DIR",
            description = "Save SMEN checkpoints in DIR; the same command run again with the same DIR resumes from the latest one.")
    Path checkpointDir;

    @Option(names = "--checkpoint-every", paramLabel = "N", description = "Steps between checkpoints (default: 25; needs --checkpoint-dir).")
    Integer checkpointEvery;

    @Override
    public CommonOptions common() {
        return common;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long t0 = System.nanoTime();
        ModelOptions.Settings settings = model.resolve();
        if (common.threads == 0 && model.jsonThreads() != null) common.threads = model.jsonThreads(); // --threads wins over the config
        if (checkpointEvery != null && checkpointDir == null) throw CliException.usage("--checkpoint-every needs --checkpoint-dir");
        // Refuse an output that cannot be written (a folder, a missing folder) before hours of work, not after.
        OutputFiles.checkWritable(output);
        int orphans = OutputFiles.removeOrphans(output);
        FitCheckpoint ck = checkpointDir == null ? null : new FitCheckpoint(checkpointDir, checkpointEvery == null ? 25 : checkpointEvery, common.threadCount());
        Map<String, Double> secs = new LinkedHashMap<>();
        try (ProgressBars progress = common.progressBars(err); MemoryScope scope = MemoryScope.root("fit");
             Backend backend = common.createBackend(settings.backend()); Parallel par = new Parallel(common.threadCount())) {
            long tr = System.nanoTime();
            EventInput.Loaded data = input.load(scope, progress);
            secs.put("read", (System.nanoTime() - tr) / 1e9);
            List<String> warnings = new ArrayList<>(input.warnings(data));
            BagOfInterests.Config cfg = settings.stage1For(data.events().types());
            if (cfg.embedding() != BagOfInterests.ItemEmbedding.COOCCURRENCE && data.catalog() == null) {
                throw CliException.usage("--embedding " + cfg.embedding().name().toLowerCase(Locale.ROOT) + " needs item text: pass --items FILE");
            }
            // Items without an embedding (no co-occurrence, no text) have no interest: their events are skipped and counted.
            cfg = new BagOfInterests.Config(cfg.embedding(), cfg.dim(), cfg.numInterests(), cfg.boi().withLenient(true), cfg.seed());
            SmenConfig smenCfg = Pipeline.sizedFor(settings.smen(), data.events().numUsers());
            Pipeline.Fitted f = Pipeline.fit(data.events(), data.catalog(), cfg, smenCfg, backend, par, scope, progress, ck);
            secs.putAll(f.seconds());
            long tw = System.nanoTime();
            try (var t = progress.start("write model", 0, "")) {
                f.model().save(output);
            }
            secs.put("write", (System.nanoTime() - tw) / 1e9);
            progress.close();
            int empty = Pipeline.usersWithoutRows(f.rows());
            if (empty > 0) {
                warnings.add(String.format(Locale.ROOT, "%,d of %,d users have no event of an item with an interest: encoding gives them all-zero vectors",
                        empty, f.rows().numUsers()));
            }
            var tr2 = f.smen().training();
            double[] curve = tr2.lossCurve();
            out.printf(Locale.ROOT, "lurm fit: model written to %s%s%n", output,
                    Files.isRegularFile(output) ? String.format(Locale.ROOT, " (%.1f MB)", Files.size(output) / 1e6) : "");
            for (String line : EventInput.describe(data.reports())) out.println("  read      " + line);
            for (String w : warnings) out.println("  warning   " + w);
            out.printf(Locale.ROOT, "  events    %,d events, %,d users, %,d items%n", data.events().size(), data.events().numUsers(), data.events().numItems());
            out.printf(Locale.ROOT, "  stage 1   %s item embedding, K = %d interests, %,d BoI rows (%,d events of items without an interest skipped)%n",
                    cfg.embedding().name().toLowerCase(Locale.ROOT), f.stage1().numInterests(), f.rows().numRows(), f.rows().skippedEvents());
            Map<String, Long> ec = f.stage1().embeddings().counters();
            Long pruned = ec.getOrDefault("prunedEntries", ec.get("part0.cooccurrence.prunedEntries"));
            if (pruned != null && pruned > 0) {
                out.printf(Locale.ROOT, "  pairs     co-occurrence matrix capped at %,d entries: items keep their most frequent partners of positive PMI; %,d of %,d entries left out%n",
                        CooccurrenceEmbedder.Options.DEFAULT_MAX_NON_ZEROS, pruned, 2 * ec.getOrDefault("distinctPairs", ec.getOrDefault("part0.cooccurrence.distinctPairs", 0L)));
            }
            String held = tr2.heldOutUsers() == 0 ? "no held-out users (too few users to hold some out for early stopping)"
                    : Double.isFinite(tr2.bestHeldOutLoss()) ? String.format(Locale.ROOT, "best held-out %.3f (%,d users)", tr2.bestHeldOutLoss(), tr2.heldOutUsers())
                    : "no held-out evaluation yet";
            out.printf(Locale.ROOT, "  SMEN      M = %d anchors x d' = %d (%d floats per user), %d steps%s, loss %.3f -> %.3f, %s%n",
                    smenCfg.anchors(), smenCfg.anchorDim(), smenCfg.outputWidth(), tr2.steps(), tr2.stoppedEarly() ? " (stopped early)" : "",
                    curve.length > 0 ? curve[0] : Double.NaN, curve.length > 0 ? curve[curve.length - 1] : Double.NaN, held);
            if (ck != null) {
                out.printf(Locale.ROOT, "  checkpoint every %d steps in %s; %s%s%n", ck.every(), ck.dir(),
                        ck.resumedFrom() >= 0 ? "resumed from step " + ck.resumedFrom() + " of " + tr2.steps() : "started afresh",
                        ck.orphansRemoved() + orphans > 0 ? String.format(Locale.ROOT, " (%d temporary files of an interrupted run removed)", ck.orphansRemoved() + orphans) : "");
            } else if (orphans > 0) {
                out.printf(Locale.ROOT, "  note      %d temporary files of an interrupted write of %s removed%n", orphans, output);
            }
            double total = (System.nanoTime() - t0) / 1e9;
            double parts = 0;
            StringBuilder times = new StringBuilder();
            for (var e : secs.entrySet()) {
                parts += e.getValue();
                times.append(String.format(Locale.ROOT, "%s %.1f s, ", e.getKey(), e.getValue()));
            }
            // every second of the total is in one part: what no step measured (start-up, setup) is "other"
            times.append(String.format(Locale.ROOT, "other %.1f s", Math.max(0, total - parts)));
            out.printf(Locale.ROOT, "  time      %.1f s in all (%s); backend %s, %d threads%n", total, times, backend.name(), par.threads());
            for (var e : f.ranOn().entrySet()) out.printf(Locale.ROOT, "  ran on    %s: %s%n", e.getKey(), e.getValue());
            out.printf("next:     lurm encode --model %s <the same event options> -o users.emb%n", output);
            return Exit.OK;
        }
    }
}
