package org.lurm.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.lurm.BagOfInterests;
import org.lurm.backend.Backend;
import org.lurm.backend.cpu.Parallel;
import org.lurm.memory.MemoryScope;
import org.lurm.smen.SmenConfig;
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
                "  lurm fit --movielens ../shared/data/movielens-100k --interests 400 --smen-steps 300 -o ml100k.lurm"})
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

    @Override
    public CommonOptions common() {
        return common;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ModelOptions.Settings settings = model.resolve();
        if (common.threads == 0 && model.jsonThreads() != null) common.threads = model.jsonThreads(); // --threads wins over the config
        Path dir = output.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) throw new CliException(Exit.IO_ERROR, "the output folder " + dir + " does not exist");
        long t0 = System.nanoTime();
        try (ProgressBars progress = common.progressBars(err); MemoryScope scope = MemoryScope.root("fit");
             Backend backend = common.createBackend(settings.backend()); Parallel par = new Parallel(common.threadCount())) {
            EventInput.Loaded data = input.load(scope, progress);
            BagOfInterests.Config cfg = settings.stage1For(data.events().types());
            if (cfg.embedding() != BagOfInterests.ItemEmbedding.COOCCURRENCE && data.catalog() == null) {
                throw CliException.usage("--embedding " + cfg.embedding().name().toLowerCase(Locale.ROOT) + " needs item text: pass --items FILE");
            }
            // Items without an embedding (no co-occurrence, no text) have no interest: their events are skipped and counted.
            cfg = new BagOfInterests.Config(cfg.embedding(), cfg.dim(), cfg.numInterests(), cfg.boi().withLenient(true), cfg.seed());
            SmenConfig smenCfg = Pipeline.sizedFor(settings.smen(), data.events().numUsers());
            Pipeline.Fitted f = Pipeline.fit(data.events(), data.catalog(), cfg, smenCfg, backend, par, scope, progress);
            try (var t = progress.start("write model", 0, "")) {
                f.model().save(output);
            }
            progress.close();
            var tr = f.smen().training();
            double[] curve = tr.lossCurve();
            out.printf(Locale.ROOT, "lurm fit: model written to %s (%.1f MB)%n", output, Files.size(output) / 1e6);
            for (String line : EventInput.describe(data.reports())) out.println("  read      " + line);
            out.printf(Locale.ROOT, "  events    %,d events, %,d users, %,d items%n", data.events().size(), data.events().numUsers(), data.events().numItems());
            out.printf(Locale.ROOT, "  stage 1   %s item embedding, K = %d interests, %,d BoI rows (%,d events of items without an interest skipped)%n",
                    cfg.embedding().name().toLowerCase(Locale.ROOT), f.stage1().numInterests(), f.rows().numRows(), f.rows().skippedEvents());
            out.printf(Locale.ROOT, "  SMEN      M = %d anchors x d' = %d (%d floats per user), %d steps%s, loss %.3f -> %.3f, best held-out %.3f%n",
                    smenCfg.anchors(), smenCfg.anchorDim(), smenCfg.outputWidth(), tr.steps(), tr.stoppedEarly() ? " (stopped early)" : "",
                    curve.length > 0 ? curve[0] : Double.NaN, curve.length > 0 ? curve[curve.length - 1] : Double.NaN, tr.bestHeldOutLoss());
            StringBuilder times = new StringBuilder();
            f.seconds().forEach((k, v) -> times.append(String.format(Locale.ROOT, "%s %.1f s, ", k, v)));
            out.printf(Locale.ROOT, "  time      %.1f s in all (%s); backend %s, %d threads%n", (System.nanoTime() - t0) / 1e9,
                    times.substring(0, Math.max(0, times.length() - 2)), backend.name(), par.threads());
            out.printf("next:     lurm encode --model %s <the same event options> -o users.emb%n", output);
            return Exit.OK;
        }
    }
}
