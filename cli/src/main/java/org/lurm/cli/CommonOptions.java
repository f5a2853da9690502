package org.lurm.cli;

import java.io.PrintWriter;
import org.lurm.backend.Backend;
import org.lurm.backend.BackendProvider;
import org.lurm.backend.Backends;
import picocli.CommandLine.Option;

/** Options every working command shares: verbosity, progress display, threads and backend. */
final class CommonOptions {
    @Option(names = {"-v", "--verbose"}, description = "Print stack traces of errors and more detail.")
    boolean verbose;

    @Option(names = "--progress", paramLabel = "MODE",
            description = "Progress display on stderr: auto (bars on a terminal, plain lines otherwise), bar, plain, none (default: ${DEFAULT-VALUE}).",
            defaultValue = "auto")
    String progress;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: all cores).", defaultValue = "0")
    int threads;

    @Option(names = "--backend", paramLabel = "NAME",
            description = "Compute backend (cpu, cpu-scalar, cuda; default: the best available, or LURM_BACKEND). See `lurm backends`.")
    String backend;

    int threadCount() {
        if (threads < 0) throw CliException.usage("--threads must be >= 0 (0: all cores), got " + threads);
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }

    ProgressBars progressBars(PrintWriter err) {
        ProgressBars.Mode mode = switch (progress.toLowerCase(java.util.Locale.ROOT)) {
            case "auto" -> ProgressBars.isTerminal() ? ProgressBars.Mode.BAR : ProgressBars.Mode.PLAIN;
            case "bar" -> ProgressBars.Mode.BAR;
            case "plain" -> ProgressBars.Mode.PLAIN;
            case "none" -> ProgressBars.Mode.NONE;
            default -> throw CliException.usage("--progress must be auto, bar, plain or none, got '" + progress + "'");
        };
        return new ProgressBars(err, mode);
    }

    /** The backend named by --backend, else the override or the best available one; the caller closes it. */
    Backend createBackend(String configured) {
        String name = backend != null ? backend : configured;
        BackendProvider p = name == null ? Backends.select() : Backends.select(name);
        return p.create(threadCount());
    }
}
