package org.lurm.model;

/**
 * Malformed JSON text, or a value that cannot be written as JSON. For parse errors the message names the line,
 * the column (1-based, in UTF-16 chars) and what was expected; {@link #offset()} is the char index into the
 * text (-1 for write errors, whose message names the path of the offending value instead, e.g. {@code $.a[3]}).
 */
public final class JsonException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final int offset;

    JsonException(String message, int offset) {
        super(message);
        this.offset = offset;
    }

    /** Char index into the parsed text where the error was found, or -1 for errors while writing. */
    public int offset() {
        return offset;
    }
}
