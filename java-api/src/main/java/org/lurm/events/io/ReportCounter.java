package org.lurm.events.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Counts what one read did and applies the strict/lenient policy to malformed records. Not thread-safe. */
final class ReportCounter {
    private final String source;
    private final String unit;
    private final boolean lenient;
    private final int maxErrors;
    private final long t0 = System.nanoTime();
    private final List<String> errors = new ArrayList<>();
    private final Map<String, Long> notes = new LinkedHashMap<>();
    long accepted;
    long skipped;
    long headerLines;

    ReportCounter(String source, String unit, boolean lenient, int maxErrors) {
        this.source = source;
        this.unit = unit;
        this.lenient = lenient;
        this.maxErrors = maxErrors;
    }

    /** Strict: throws e. Lenient: counts the record as skipped and keeps the first few messages. */
    void malformed(MalformedInputException e) throws MalformedInputException {
        if (!lenient) throw e;
        skipped++;
        if (errors.size() < maxErrors) errors.add(e.getMessage());
    }

    void note(String name, long count) {
        notes.put(name, count);
    }

    ReadReport finish(RecordTokenizer tok) {
        long lines = tok == null ? 0 : tok.lines();
        long blank = tok == null ? 0 : tok.blankLines();
        long comments = tok == null ? 0 : tok.commentLines();
        return new ReadReport(source, unit, lines, headerLines, blank, comments, accepted, skipped, errors, notes, System.nanoTime() - t0);
    }
}
