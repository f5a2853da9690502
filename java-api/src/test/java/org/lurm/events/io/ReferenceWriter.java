package org.lurm.events.io;

import java.util.List;

/**
 * Writes records the way RFC 4180 says (independently of the reader): a field is quoted when it would
 * otherwise be read differently, i.e. when it holds the quote, a line break, the separator's first
 * character, or white space at either end, or when it is the only, empty field of its record.
 */
final class ReferenceWriter {
    private final String sep;
    private final char quote;

    ReferenceWriter(String sep, char quote) {
        this.sep = sep;
        this.quote = quote;
    }

    String field(String f, boolean only) {
        boolean q = (only && f.isEmpty()) || f.indexOf(quote) >= 0 || f.indexOf('\n') >= 0 || f.indexOf('\r') >= 0
                || f.indexOf(sep.charAt(0)) >= 0
                || (!f.isEmpty() && (isSpace(f.charAt(0)) || isSpace(f.charAt(f.length() - 1))));
        if (!q) return f;
        String qs = String.valueOf(quote);
        return qs + f.replace(qs, qs + qs) + qs;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t';
    }

    void record(StringBuilder out, List<String> fields, String lineEnd) {
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) out.append(sep);
            out.append(field(fields.get(i), fields.size() == 1));
        }
        out.append(lineEnd);
    }
}
