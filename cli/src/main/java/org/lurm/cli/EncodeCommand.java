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
import org.lurm.io.OutputFiles;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lurm encode}: a model and events in, one embedding per user out (binary or CSV). */
@Command(name = "encode", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Encode users with a fitted model: aggregate their events into Bag-of-Interests rows and run SMEN.",
                "Items are matched to the model by id; users need not have been seen in fitting.",
                "Writes float32 binary with a header (default) or CSV; formats in docs/CLI.md."},
        footer = {"", "Examples:",
                "  lurm encode --model model.lurm --events events.csv -o users.emb",
                "  lurm encode --model model.lurm --events new-events.csv.gz --header --user-col user_id --item-col sku --time-col ts -o users.csv",
                "  lurm encode --model model.lurm --events events.csv --format csv -o - | head -3      # CSV on stdout",
                "  lurm encode --model ml100k.lurm --movielens ../shared/data/movielens-100k -o ml100k.emb"})
final class EncodeCommand implements Callable<Integer>, Main.HasCommonOptions {
    @Spec
    CommandSpec spec;
    @Mixin
    EventInput input;
    @Mixin
    CommonOptions common;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", required = true, description = "Model file written by `lurm fit`.")
    Path modelFile;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true, description = "Output file, or - for stdout (CSV only).")
    String output;

    @Option(names = "--format", paramLabel = "FMT", description = "bin, csv or auto (csv for *.csv and stdout, else bin; default: ${DEFAULT-VALUE}).", defaultValue = "auto")
    String format;

    /** Records the seconds since {@code since} under {@code stage}; returns now. */
    private static long lap(Map<String, Double> secs, String stage, long since) {
        long now = System.nanoTime();
        secs.put(stage, (now - since) / 1e9);
        return now;
    }

    @Override
    public CommonOptions common() {
        return common;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean toStdout = output.equals("-");
        Path outPath = toStdout ? null : Path.of(output);
        String fmt = EmbeddingsFile.formatFor(format, outPath);
        if (toStdout && fmt.equals("bin")) throw CliException.usage("binary embeddings need a file (-o FILE); use --format csv to write to stdout");
        // The summary goes to stderr when the data goes to stdout, so the CSV stays clean.
        PrintWriter summary = toStdout ? err : out;
        long t0 = System.nanoTime();
        if (!toStdout) OutputFiles.checkWritable(outPath); // a folder or a missing folder fails now, not after encoding
        try (ProgressBars progress = common.progressBars(err); MemoryScope scope = MemoryScope.root("encode");
             Backend backend = common.createBackend(null); Parallel par = new Parallel(common.threadCount())) {
            // seconds per stage, for the summary (and the scale benchmark, which reads it)
            Map<String, Double> secs = new LinkedHashMap<>();
            long ts = System.nanoTime();
            LurmModel model;
            try (var t = progress.start("load model", 0, "")) {
                model = LurmModel.load(modelFile, scope);
            }
            ts = lap(secs, "load model", ts);
            EventInput.Loaded data = input.load(scope, progress);
            ts = lap(secs, "read", ts);
            BoiSet rows;
            try (var t = progress.start("aggregate BoI", data.events().size(), "events")) {
                // Events of items the model has no interest for (new items, or items fitting could not embed) are skipped
                // and counted: a user is encoded from the events the model can read.
                rows = model.aggregate(data.events(), true, backend, scope);
                t.advance(data.events().size());
            }
            ts = lap(secs, "aggregate", ts);
            Pipeline.Encoded enc = Pipeline.encode(model.smen(), rows, backend, par, scope, progress);
            ts = lap(secs, "encode", ts);
            F32Array z = enc.z();
            int dim = model.smen().width();
            try (var t = progress.start("write " + (toStdout ? "stdout" : outPath.getFileName()), data.events().numUsers(), "users")) {
                if (toStdout) {
                    EmbeddingsFile.writeCsv(out, data.events().users(), z, dim, t);
                    out.flush();
                    // PrintWriter never throws: ask it, so a full disk or a closed pipe is an error, not "written"
                    if (out.checkError()) {
                        String cause = Main.stdoutFailure();
                        throw new CliException(Exit.IO_ERROR, "could not write the embeddings to standard output" + (cause != null ? ": " + cause : "")
                                + " (disk full, or the reading end of a pipe closed); the output is incomplete");
                    }
                } else if (fmt.equals("csv")) {
                    EmbeddingsFile.writeCsv(outPath, data.events().users(), z, dim, t);
                } else {
                    EmbeddingsFile.writeBinary(outPath, data.events().users(), z, dim, t);
                }
            }
            lap(secs, "write", ts);
            progress.close();
            summary.printf(Locale.ROOT, "lurm encode: %,d users x %d floats written to %s (%s)%n", data.events().numUsers(), dim,
                    toStdout ? "stdout" : output, fmt.equals("bin") ? "float32 binary" : "CSV");
            for (String line : EventInput.describe(data.reports())) summary.println("  read      " + line);
            List<String> warnings = new ArrayList<>(input.warnings(data));
            int empty = Pipeline.usersWithoutRows(rows);
            if (empty > 0) {
                warnings.add(String.format(Locale.ROOT, "%,d of %,d users have no event the model can read (none of their items has an interest in"
                        + " the model): their vectors are all zeros; leave them out, or refit the model on events that include their items",
                        empty, data.events().numUsers()));
            }
            for (String w : warnings) summary.println("  warning   " + w);
            summary.printf(Locale.ROOT, "  events    %,d events, %,d aggregated, %,d skipped (their items have no interest in the model)%n",
                    data.events().size(), rows.aggregatedEvents(), rows.skippedEvents());
            if (rows.skippedEvents() > 0) {
                summary.printf(Locale.ROOT, "  note      %.1f %% of the events name items the model has no interest for; refit when that share grows%n",
                        100.0 * rows.skippedEvents() / Math.max(1, data.events().size()));
            }
            double total = (System.nanoTime() - t0) / 1e9, parts = 0;
            StringBuilder times = new StringBuilder();
            for (var e : secs.entrySet()) {
                parts += e.getValue();
                times.append(String.format(Locale.ROOT, "%s %.1f s, ", e.getKey(), e.getValue()));
            }
            times.append(String.format(Locale.ROOT, "other %.1f s", Math.max(0, total - parts))); // start-up, setup
            summary.printf(Locale.ROOT, "  time      %.1f s in all (%s); backend %s, %d threads%n", total, times, backend.name(), par.threads());
            summary.printf(Locale.ROOT, "  ran on    aggregate: %s%n", Pipeline.describe(backend));
            summary.printf(Locale.ROOT, "  ran on    encode: %s%n", enc.ranOn());
            summary.flush();
            return Exit.OK;
        }
    }
}
