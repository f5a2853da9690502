package org.lurm.events.io;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What reading one delimited file did: how many physical lines it had, how many records became
 * {@link #accepted() accepted} (events for an event file, items or users for a side file), how many malformed
 * records were {@link #skipped() skipped} (only in lenient mode; a strict read throws instead), how many
 * header, blank and comment lines it passed over, the first few error messages, and named counts worth
 * knowing ({@link #notes()}, e.g. "users without events": 3541). Nothing a reader passes over goes uncounted.
 *
 * <p>For every file: {@code lines == headerLines + blankLines + commentLines + accepted + skipped} plus the
 * lines inside quoted fields that span lines (the event reader's note
 * {@link DelimitedEventReader#NOTE_CONTINUATION}), plus any valid records a note says were deliberately not
 * kept (such as MovieLens users without events). A line ends at LF, CRLF or a lone CR.
 *
 * <p><b>Thread-safety.</b> Immutable. Holds no off-heap memory.
 *
 * @param source the file or stream name
 * @param unit what an accepted record is ("events", "items", "users", ...), for printing
 * @param lines physical lines read (a last line without a line break counts)
 * @param headerLines 1 when a header line was read, else 0
 * @param blankLines lines with nothing but white space
 * @param commentLines lines that start with the comment prefix
 * @param accepted records turned into output
 * @param skipped malformed records skipped in lenient mode
 * @param errors the messages of the first few skipped records (at most the reader's error limit)
 * @param notes further named counts, in insertion order
 * @param nanos wall time of the read
 */
public record ReadReport(String source, String unit, long lines, long headerLines, long blankLines, long commentLines,
                         long accepted, long skipped, List<String> errors, Map<String, Long> notes, long nanos) {
    public ReadReport {
        Objects.requireNonNull(source);
        Objects.requireNonNull(unit);
        errors = List.copyOf(errors);
        notes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(notes));
    }

    /** Events read from an event file (the same number as {@link #accepted()}). */
    public long events() {
        return accepted;
    }

    /** The count of a note, or 0 when absent. */
    public long note(String name) {
        Long v = notes.get(name);
        return v == null ? 0 : v;
    }

    /** A copy with one more note. */
    public ReadReport withNote(String name, long count) {
        Map<String, Long> m = new LinkedHashMap<>(notes);
        m.put(name, count);
        return new ReadReport(source, unit, lines, headerLines, blankLines, commentLines, accepted, skipped, errors, m, nanos);
    }

    /** Physical lines per second of wall time (0 when no time was measured). */
    public double linesPerSecond() {
        return nanos <= 0 ? 0 : lines * 1e9 / nanos;
    }

    /** A multi-line human-readable summary. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(source).append(": ").append(accepted).append(' ').append(unit).append(" from ").append(lines).append(" lines");
        if (headerLines > 0) sb.append(", ").append(headerLines).append(" header");
        if (blankLines > 0) sb.append(", ").append(blankLines).append(" blank");
        if (commentLines > 0) sb.append(", ").append(commentLines).append(" comment");
        sb.append(", ").append(skipped).append(" malformed skipped");
        if (nanos > 0) sb.append(String.format(java.util.Locale.ROOT, " in %.3f s (%.2f M lines/s)", nanos / 1e9, linesPerSecond() / 1e6));
        notes.forEach((k, v) -> sb.append("\n  ").append(k).append(": ").append(v));
        if (!errors.isEmpty()) {
            sb.append("\n  first ").append(errors.size()).append(" of ").append(skipped).append(" errors:");
            for (String e : errors) sb.append("\n    ").append(e);
        }
        return sb.toString();
    }
}
