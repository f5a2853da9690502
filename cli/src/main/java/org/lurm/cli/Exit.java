package org.lurm.cli;

/**
 * The exit codes of {@code lurm}, for scripts (documented in docs/CLI.md).
 *
 * <p>Thread-safety: constants only.
 */
public final class Exit {
    /** Success. */
    public static final int OK = 0;
    /** The run failed for a reason not listed below (the message says what happened; --verbose shows the stack trace). */
    public static final int FAILURE = 1;
    /** Bad usage: unknown option, missing or invalid argument (picocli's message and the command's help). */
    public static final int USAGE = 2;
    /** Bad input data: a malformed events, items, labels or config file, or a corrupt model or embeddings file. */
    public static final int BAD_INPUT = 3;
    /** The requested compute backend cannot run here (see {@code lurm backends}). */
    public static final int BACKEND_UNAVAILABLE = 4;
    /** A file could not be read or written (missing, no permission, disk full). */
    public static final int IO_ERROR = 5;
    /** Training diverged (non-finite loss); lower the learning rate or check the input weights. */
    public static final int TRAINING_DIVERGED = 6;

    private Exit() {
    }
}
