package org.lurm.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.lurm.io.ByteLines;
import org.lurm.events.io.MalformedInputException;
import org.lurm.progress.Progress;

/**
 * Side tables (items, labels) as delimited text, one record per line: separator, optional header, optional
 * RFC 4180 quoting within a line ("a, b" and doubled quotes), gzip recognised by its magic bytes, undecodable
 * bytes are an error naming their own line. Lines end at LF, CRLF or a lone CR. Blank lines and lines starting
 * with the comment prefix are passed over. Malformed lines throw {@link MalformedInputException} naming file, line and field.
 *
 * <p>Thread-safety: immutable; {@link #read} may run on several threads for different files.
 */
record TextTable(String separator, boolean header, boolean quoting, Charset charset, String commentPrefix) {
    /** One record: its 1-based line number and its fields (trimmed). */
    record Row(long line, List<String> fields) {
    }

    /** A record consumer that may throw the reader's exception. */
    interface RowSink {
        void accept(Row row) throws IOException;
    }

    /**
     * Reads every record: {@code setup} gets the header names (empty without a header) before the first record
     * and returns where the records go.
     */
    void read(Path file, Progress.Task task, java.util.function.Function<List<String>, RowSink> setup) throws IOException {
        List<String> names = List.of();
        RowSink rows = null;
        CharsetDecoder dec = charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        try (ByteLines r = new ByteLines(CountingInput.open(file, task))) {
            long no = 0;
            boolean first = true;
            while (r.next()) {
                no++;
                String line;
                try {
                    line = dec.decode(ByteBuffer.wrap(r.bytes(), 0, r.length())).toString();
                } catch (java.nio.charset.CharacterCodingException e) {
                    throw new MalformedInputException(file.toString(), no, null, 0, null, "bytes that are not valid " + charset.name()
                            + " (pass the file's charset with --charset, e.g. ISO-8859-1)");
                }
                if (first && line.startsWith("\uFEFF")) line = line.substring(1);
                if (line.isBlank() || (commentPrefix != null && line.startsWith(commentPrefix))) continue;
                List<String> f = split(line, file, no);
                if (first && header) {
                    names = f;
                    first = false;
                    continue;
                }
                first = false;
                if (rows == null) rows = setup.apply(names);
                rows.accept(new Row(no, f));
            }
        }
        if (rows == null) setup.apply(names);
    }

    List<String> split(String line, Path file, long no) throws MalformedInputException {
        List<String> out = new ArrayList<>();
        int i = 0, n = line.length();
        while (true) {
            while (i < n && (line.charAt(i) == ' ' || line.charAt(i) == '\t') && !separator.startsWith(String.valueOf(line.charAt(i)))) i++;
            if (quoting && i < n && line.charAt(i) == '"') {
                StringBuilder sb = new StringBuilder();
                int j = i + 1;
                while (true) {
                    if (j >= n) throw new MalformedInputException(file.toString(), no, null, out.size() + 1, null, "unterminated quote (records must fit on one line)");
                    char c = line.charAt(j);
                    if (c == '"') {
                        if (j + 1 < n && line.charAt(j + 1) == '"') {
                            sb.append('"');
                            j += 2;
                            continue;
                        }
                        j++;
                        break;
                    }
                    sb.append(c);
                    j++;
                }
                out.add(sb.toString());
                int k = line.indexOf(separator, j);
                if (k < 0) {
                    if (!spaces(line, j, n)) throw new MalformedInputException(file.toString(), no, null, out.size(), null, "text after a closing quote");
                    return out;
                }
                if (!spaces(line, j, k)) throw new MalformedInputException(file.toString(), no, null, out.size(), null, "text after a closing quote");
                i = k + separator.length();
            } else {
                int k = line.indexOf(separator, i);
                if (k < 0) {
                    out.add(trim(line, i, n));
                    return out;
                }
                out.add(trim(line, i, k));
                i = k + separator.length();
            }
        }
    }

    /** The text in [s, e) without the spaces and tabs around it: only those, as the event reader trims (ids must match). */
    private static String trim(String line, int s, int e) {
        while (s < e && (line.charAt(s) == ' ' || line.charAt(s) == '\t')) s++;
        while (e > s && (line.charAt(e - 1) == ' ' || line.charAt(e - 1) == '\t')) e--;
        return line.substring(s, e);
    }

    private static boolean spaces(String line, int s, int e) {
        for (int i = s; i < e; i++) if (line.charAt(i) != ' ' && line.charAt(i) != '\t') return false;
        return true;
    }

    /** Resolves a column spec (1-based number, or a header name) to a 0-based index. */
    static int column(String spec, List<String> header, String role, Path file) {
        if (spec.chars().allMatch(Character::isDigit)) {
            int c = Integer.parseInt(spec);
            if (c < 1) throw CliException.usage(role + " column must be >= 1 (columns are numbered from 1), got " + spec);
            return c - 1;
        }
        if (header.isEmpty()) {
            throw CliException.usage(role + " column is given by name ('" + spec + "') but " + file + " is read without a header line: add the header option or give a column number");
        }
        int i = header.indexOf(spec);
        if (i < 0) throw CliException.badInput(file + ": no column named '" + spec + "' in the header " + header);
        return i;
    }
}
