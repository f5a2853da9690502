package org.lurm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.Callable;
import org.lurm.backend.BackendUnavailableException;
import org.lurm.embed.EmbeddingFormatException;
import org.lurm.events.io.MalformedInputException;
import org.lurm.model.JsonException;
import org.lurm.ModelFormatException;
import org.lurm.TrainingDivergedException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code lurm} command. Exit codes are those of {@link Exit}: 0 success, 1 failure, 2 bad usage, 3 bad
 * input data, 4 backend unavailable, 5 file not readable or writable, 6 training diverged. Errors are one or
 * two lines that say what to do; {@code --verbose} adds the stack trace.
 *
 * <p>Thread-safety: each {@link #run} builds its own command objects; runs may proceed concurrently, but
 * they share System.out/err unless writers are given.
 */
@Command(name = "lurm", mixinStandardHelpOptions = true, version = "lurm 0.1.0-SNAPSHOT",
        description = {"Full-life-cycle user representations: Bag-of-Interests + SMEN (arXiv 2110.11337).", "",
                "Start with `lurm demo` (no data needed), then fit a model on your own events."},
        subcommands = {FitCommand.class, EncodeCommand.class, EvaluateCommand.class, InspectCommand.class, DemoCommand.class, GenerateCommand.class,
                BackendsCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Examples:",
                "  lurm demo                                  # the whole pipeline on synthetic data, with a report",
                "  lurm fit --events events.csv --header --user-col user_id --item-col item_id --time-col ts -o model.lurm",
                "  lurm encode --model model.lurm --events events.csv --header --user-col user_id --item-col item_id --time-col ts -o users.emb",
                "  lurm evaluate --embeddings users.emb --labels labels.csv --labels-header",
                "  lurm generate --users 10000 -o events.csv.gz --labels labels.csv   # synthetic events at any size",
                "", "Exit codes: 0 ok, 1 failure, 2 usage, 3 bad input data, 4 backend unavailable, 5 file not readable/writable,",
                "  6 training diverged. Documentation: docs/CLI.md."})
public final class Main implements Callable<Integer> {
    /** Held so that its level stays set (loggers are weakly referenced). */
    private static final java.util.logging.Logger BACKEND_LOG = java.util.logging.Logger.getLogger("org.lurm.backend");

    @picocli.CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return Exit.OK;
    }

    /**
     * Standard output as {@link #main} sets it up: a stream that remembers its first write error (PrintWriter
     * swallows it), so a failed write to stdout can be reported with its cause. Null when run from elsewhere.
     */
    private static volatile CheckedOutputStream stdout;

    /** Runs with System.out / System.err. */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs with the given writers (tests capture output this way). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            boolean verbose = cmd.getCommand() instanceof HasCommonOptions h && h.common() != null && h.common().verbose;
            PrintWriter e = cmd.getErr();
            int code = exitCode(ex);
            String name = cmd.getCommandName();
            e.println("lurm " + name + ": error: " + message(ex));
            String hint = hint(ex);
            if (hint != null) e.println("  " + hint);
            if (verbose) {
                ex.printStackTrace(e);
            } else if (code == Exit.FAILURE) {
                e.println("  (run again with --verbose for the stack trace)");
            }
            e.flush();
            return code;
        });
        cl.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST, Main::commandList);
        int code;
        try {
            code = cl.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
        // Results go to stdout through a PrintWriter, which never throws: a full disk or a closed pipe would
        // otherwise end in exit 0 with nothing (or half) written.
        if (out.checkError() && code == Exit.OK) {
            String cause = stdoutFailure();
            var parsed = cl.getParseResult();
            String name = parsed != null && parsed.subcommand() != null ? "lurm " + parsed.subcommand().commandSpec().name() : "lurm";
            err.println(name + ": error: could not write to standard output" + (cause != null ? ": " + cause : "")
                    + " (disk full, or the reading end of a pipe closed); the output is incomplete");
            err.flush();
            code = Exit.IO_ERROR;
        }
        return code;
    }

    /** Why writing to standard output failed ("No space left on device", "Broken pipe"), when known; else null. */
    static String stdoutFailure() {
        CheckedOutputStream so = stdout;
        return so != null && so.error() != null ? so.error().getMessage() : null;
    }

    /**
     * The "Commands:" list of {@code lurm --help}: each command's first sentence, so no summary stops
     * mid-sentence (picocli shows the first line of the description, which is cut wherever the line breaks).
     */
    static String commandList(CommandLine.Help help) {
        var subs = help.subcommands();
        if (subs.isEmpty()) return "";
        int nameWidth = 0;
        for (String n : subs.keySet()) nameWidth = Math.max(nameWidth, n.length());
        int width = help.commandSpec().usageMessage().width();
        StringBuilder sb = new StringBuilder();
        for (var e : subs.entrySet()) {
            var usage = e.getValue().commandSpec().usageMessage();
            String summary = summary(usage.header().length > 0 ? usage.header() : usage.description());
            String indent = " ".repeat(2 + nameWidth + 2);
            StringBuilder line = new StringBuilder("  ").append(e.getKey()).append(" ".repeat(nameWidth - e.getKey().length() + 2));
            for (String word : summary.split(" ")) {
                if (line.length() > indent.length() && line.length() + 1 + word.length() > width) {
                    sb.append(line.toString().stripTrailing()).append('\n');
                    line = new StringBuilder(indent);
                }
                if (line.length() > indent.length() && line.charAt(line.length() - 1) != ' ') line.append(' ');
                line.append(word);
            }
            sb.append(line).append('\n');
        }
        return sb.toString();
    }

    /** The first sentence of a description; a long one up to its first colon or semicolon. Ends with a period. */
    static String summary(String[] description) {
        String all = String.join(" ", description).replace("%n", " ").replaceAll("\\s+", " ").strip();
        int dot = all.indexOf(". ");
        String first = dot >= 0 ? all.substring(0, dot) : all.endsWith(".") ? all.substring(0, all.length() - 1) : all;
        if (first.length() > 75) {
            int cut = -1;
            for (char c : new char[] {':', ';'}) {
                int i = first.indexOf(c);
                if (i >= 10 && (cut < 0 || i < cut)) cut = i;
            }
            if (cut > 0) first = first.substring(0, cut);
        }
        return first + ".";
    }

    /** The exit code for an exception that escaped a command. */
    static int exitCode(Throwable ex) {
        if (ex instanceof CliException c) return c.exitCode();
        if (ex instanceof CommandLine.ParameterException) return Exit.USAGE;
        if (ex instanceof BackendUnavailableException) return Exit.BACKEND_UNAVAILABLE;
        if (ex instanceof TrainingDivergedException) return Exit.TRAINING_DIVERGED;
        if (ex instanceof MalformedInputException || ex instanceof ModelFormatException || ex instanceof EmbeddingFormatException
                || ex instanceof EmbeddingsFile.FormatException || ex instanceof JsonException
                || ex instanceof java.nio.charset.CharacterCodingException || ex instanceof java.util.zip.ZipException) {
            return Exit.BAD_INPUT;
        }
        if (ex instanceof UncheckedIOException u) return exitCode(u.getCause());
        if (ex instanceof IOException) return ex.getCause() instanceof MalformedInputException ? Exit.BAD_INPUT : Exit.IO_ERROR;
        return Exit.FAILURE;
    }

    static String message(Throwable ex) {
        if (ex instanceof UncheckedIOException u && u.getCause() != null) return message(u.getCause());
        if (ex instanceof NoSuchFileException n) return "file not found: " + n.getFile();
        if (ex instanceof AccessDeniedException a) return "permission denied: " + a.getFile();
        if (ex instanceof FileSystemException f && f.getReason() != null) return f.getFile() + ": " + f.getReason();
        if (ex instanceof OutOfMemoryError) return "out of memory";
        String m = ex.getMessage();
        return m == null || m.isBlank() ? ex.toString() : m;
    }

    /** What to do about it, or null. */
    static String hint(Throwable ex) {
        if (ex instanceof UncheckedIOException u && u.getCause() != null) return hint(u.getCause());
        if (ex instanceof MalformedInputException m) {
            String r = m.reason() == null ? "" : m.reason();
            if (r.startsWith("a quoted field spans")) {
                return "fix the stray quote; pass --no-quoting if quotes are ordinary characters in this file, or --allow-multiline-ids"
                        + " if ids really contain line breaks";
            }
            if (m.line() <= 2 && m.field() != null) {
                return "if the first line names the columns, add --header; check --sep, --time-format and the --*-col options (docs/CLI.md)";
            }
            if (r.contains("the line has only")) return "check --sep (the separator) and the --*-col options, or pass --lenient to skip such lines and count them";
            return "fix the line, or pass --lenient to skip malformed lines and count them";
        }
        if (ex instanceof java.util.zip.ZipException) return "the compressed file is damaged or incomplete (`gzip -t FILE` checks it): copy or compress it again";
        if (ex instanceof BackendUnavailableException) return "run `lurm backends` to see what can run here, or pass --backend cpu";
        if (ex instanceof NoSuchFileException) return "check the path (relative paths start at the current directory)";
        if (ex instanceof OutOfMemoryError) return "give the JVM more heap: LURM_JAVA_OPTS=-Xmx8g lurm ...";
        if (ex instanceof ModelFormatException) return "the model file is damaged or not a lurm model: fit it again with `lurm fit`";
        if (ex instanceof TrainingDivergedException) return "lower the learning rate (--learning-rate or \"smen\": {\"learningRate\": ...} in --config)";
        return null;
    }

    public static void main(String[] args) {
        // One short line per log record on stderr, instead of java.util.logging's two-line default.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "[lurm] %5$s%6$s%n");
        }
        System.setProperty("java.awt.headless", "true");
        CheckedOutputStream so = new CheckedOutputStream(new java.io.FileOutputStream(java.io.FileDescriptor.out));
        stdout = so;
        // Backend selection logs at INFO which backends it passed over; the summaries name the backend used.
        if (System.getenv("LURM_LOG") == null) BACKEND_LOG.setLevel(java.util.logging.Level.WARNING);
        System.exit(run(new PrintWriter(new java.io.BufferedOutputStream(so, 1 << 16), true), new PrintWriter(System.err, true), args));
    }

    /** An output stream that remembers the first exception a write or flush threw (and still throws it). */
    static final class CheckedOutputStream extends java.io.FilterOutputStream {
        private volatile IOException error;

        CheckedOutputStream(java.io.OutputStream out) {
            super(out);
        }

        IOException error() {
            return error;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                if (error == null) error = e;
                throw e;
            }
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                if (error == null) error = e;
                throw e;
            }
        }
    }

    /** Commands that mix in {@link CommonOptions}. */
    interface HasCommonOptions {
        CommonOptions common();
    }
}
