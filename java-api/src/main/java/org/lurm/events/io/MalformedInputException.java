package org.lurm.events.io;

import java.io.IOException;

/**
 * A line of a delimited input file that cannot be read: the message names the file, the 1-based line number,
 * the field (its role, such as {@code timestamp}, its 1-based column and, when the file has a header, the
 * header name) and what was wrong, e.g.
 * {@code ratings.csv:17: field 'timestamp' (column 4, header "ts"): not an integer: "12x"}.
 *
 * <p>It is an {@link IOException} because it describes bad input, not a bug in the caller. Not to be
 * confused with {@link java.nio.charset.MalformedInputException}, which only reports undecodable bytes.
 *
 * <p><b>Thread-safety.</b> Immutable. Holds no off-heap memory.
 */
public final class MalformedInputException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final long line;
    private final String field;
    private final int column;
    private final String reason;

    /**
     * @param source the file (or stream name)
     * @param line 1-based line number where the record starts
     * @param field the field's role or name, or null when the problem concerns the whole line
     * @param column 1-based column of the field, or 0 when unknown or not applicable
     * @param headerName the header name of that column, or null
     * @param reason what was wrong
     */
    public MalformedInputException(String source, long line, String field, int column, String headerName, String reason) {
        super(format(source, line, field, column, headerName, reason));
        this.source = source;
        this.line = line;
        this.field = field;
        this.column = column;
        this.reason = reason;
    }

    private static String format(String source, long line, String field, int column, String headerName, String reason) {
        StringBuilder sb = new StringBuilder().append(source).append(':').append(line).append(": ");
        if (field != null) {
            sb.append("field '").append(field).append('\'');
            boolean named = headerName != null && !headerName.equals(field);
            if (column > 0 && named) sb.append(" (column ").append(column).append(", header \"").append(headerName).append("\")");
            else if (column > 0) sb.append(" (column ").append(column).append(')');
            else if (named) sb.append(" (header \"").append(headerName).append("\")");
            sb.append(": ");
        }
        return sb.append(reason).toString();
    }

    /** The file or stream name. */
    public String source() {
        return source;
    }

    /** 1-based line number where the offending record starts. */
    public long line() {
        return line;
    }

    /** The field's role or name, or null when the problem concerns the whole line. */
    public String field() {
        return field;
    }

    /** 1-based column of the field, or 0 when unknown. */
    public int column() {
        return column;
    }

    /** What was wrong, without the location. */
    public String reason() {
        return reason;
    }
}
