package org.lurm.cli;

/**
 * A failure the command explains itself: the message says what went wrong and what to do, the exit code
 * (see {@link Exit}) says what kind of failure it was. Printed without a stack trace.
 */
final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }

    static CliException badInput(String message) {
        return new CliException(Exit.BAD_INPUT, message);
    }

    static CliException usage(String message) {
        return new CliException(Exit.USAGE, message);
    }
}
