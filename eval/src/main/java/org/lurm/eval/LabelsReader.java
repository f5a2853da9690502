package org.lurm.eval;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.lurm.events.IdDictionary;
import org.lurm.io.ByteLines;
import org.lurm.events.io.DelimitedFormat;
import org.lurm.io.Inputs;
import org.lurm.events.io.MalformedInputException;
import org.lurm.events.io.ReadReport;

/**
 * Reads a labels table: one line per user, a user id column and one column per task, from a delimited file
 * described by a {@link DelimitedFormat} (separator, header, quoting, charset, comment prefix, trimming of spaces
 * and tabs around unquoted fields, as the event readers do; gzip is detected by its magic bytes and checked whole
 * by {@link Inputs#open(InputStream, String)}: a corrupt or truncated stream, or bytes after it, is an
 * {@link IOException} naming the file). Each task column is read as
 * <ul>
 * <li>{@link LabelTable.Kind#BINARY}: exactly two distinct values (sorted; the second is the positive class,
 * so "0"/"1", "false"/"true", "F"/"M" work as expected);</li>
 * <li>{@link LabelTable.Kind#MULTI_CLASS}: any values (classes sorted);</li>
 * <li>{@link LabelTable.Kind#MULTI_LABEL}: values separated by {@code '|'} (an empty field is the empty set).</li>
 * </ul>
 * An empty field in a single-label column means "no label" for that task. User ids are looked up in the given
 * dictionary (the events' users); lines of unknown users are counted ("users not in the events") and passed over.
 * A malformed line (wrong number of fields, a user listed twice, bad bytes) throws a
 * {@link MalformedInputException} naming file, line and field, or is skipped and counted when lenient. Bytes that
 * are not valid in the charset stop the read, lenient or not, naming their own line (lines are split on bytes and
 * each decoded alone). A first record (the header, or the first line without a header) that lacks the user or a
 * task column stops the read too, lenient or not, naming file, line and the missing column.
 *
 * <p>Columns are named by the header, or, without a header, as "1", "2", ... (1-based positions). The event
 * readers' byte tokenizer is package-private to {@code org.lurm.events.io}, so this reader splits decoded lines
 * itself: quoted fields (RFC 4180, doubled quotes) are honoured within one line, but may not span lines.
 *
 * <p><b>Thread-safety.</b> Immutable; {@link #read} may run concurrently.
 */
public final class LabelsReader {
    /** Separator of values inside a multi-label field. */
    public static final char MULTI_SEPARATOR = '|';

    /**
     * What was read: one table per task column, in the order asked for, a report of the file, and warnings
     * about the input that did not stop the read (see {@link #read}).
     */
    public record Result(List<LabelTable> tables, ReadReport report, List<String> warnings) {
        public Result {
            tables = List.copyOf(tables);
            warnings = List.copyOf(warnings);
        }

        public Result(List<LabelTable> tables, ReadReport report) {
            this(tables, report, List.of());
        }
    }

    private final DelimitedFormat format;
    private final String userColumn;
    private final Map<String, LabelTable.Kind> tasks;
    private final boolean lenient;
    private final int maxErrors;

    /**
     * @param userColumn name (or 1-based position without a header) of the user id column
     * @param tasks      task column name -> kind, in output order
     */
    public LabelsReader(DelimitedFormat format, String userColumn, Map<String, LabelTable.Kind> tasks, boolean lenient) {
        this.format = Objects.requireNonNull(format, "format");
        this.userColumn = Objects.requireNonNull(userColumn, "userColumn");
        if (tasks.isEmpty()) throw new IllegalArgumentException("name at least one task column");
        this.tasks = new LinkedHashMap<>(tasks);
        this.lenient = lenient;
        this.maxErrors = 10;
    }

    /**
     * Reads {@code file} against the user dictionary {@code users} (not modified).
     *
     * <p>Without a header in the format, a first line that looks like a header (its user id is no user of
     * {@code users}, and each of its task fields is a value no other line has in that column, while other lines
     * do name known users) is passed over like any line of an unknown user, and the result carries a warning
     * naming file, line and fields: it was most likely a header read as data.
     */
    public Result read(Path file, IdDictionary users) throws IOException {
        String src = file.toString();
        long t0 = System.nanoTime();
        List<String> errors = new ArrayList<>();
        long lines = 0, header = 0, blank = 0, comments = 0, accepted = 0, skipped = 0, unknownUsers = 0;
        int nTasks = tasks.size();
        String[] taskNames = tasks.keySet().toArray(new String[0]);
        List<Map<Integer, String>> raw = new ArrayList<>();
        for (int t = 0; t < nTasks; t++) raw.add(new LinkedHashMap<>());
        int userCol = -1;
        int[] taskCol = new int[nTasks];
        String[] names = null;
        boolean[] seen = new boolean[users.size()];
        // the first record, kept to tell a header read as data: unknown user, task values found on no other line
        long firstLine = 0;
        String firstUser = null;
        String[] firstValues = null;
        boolean[] valueSeenAgain = new boolean[nTasks];
        long knownAfterFirst = 0;
        CharsetDecoder dec = format.charset().newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        boolean columnsKnown = false;
        try (ByteLines r = new ByteLines(Inputs.open(Files.newInputStream(file), src))) {
            String line;
            while (r.next()) {
                lines++;
                try {
                    line = dec.decode(ByteBuffer.wrap(r.bytes(), 0, r.length())).toString();
                } catch (CharacterCodingException e) {
                    throw new MalformedInputException(src, lines, null, 0, null, "bytes not valid in " + format.charset().name());
                }
                if (lines == 1 && !line.isEmpty() && line.charAt(0) == '\uFEFF') line = line.substring(1);
                if (line.isBlank()) {
                    blank++;
                    continue;
                }
                if (format.commentPrefix() != null && line.startsWith(format.commentPrefix())) {
                    comments++;
                    continue;
                }
                try {
                    List<String> fields = split(line, src, lines);
                    if (names == null) {
                        if (format.header()) {
                            header++;
                            names = fields.toArray(new String[0]);
                        } else {
                            names = new String[fields.size()];
                            for (int i = 0; i < names.length; i++) names[i] = Integer.toString(i + 1);
                        }
                        userCol = column(names, userColumn, src, lines);
                        for (int t = 0; t < nTasks; t++) taskCol[t] = column(names, taskNames[t], src, lines);
                        columnsKnown = true;
                        if (format.header()) continue;
                    }
                    if (fields.size() != names.length) {
                        throw new MalformedInputException(src, lines, null, 0, null, "expected " + names.length + " fields, found " + fields.size());
                    }
                    String id = fields.get(userCol);
                    if (id.isEmpty()) throw new MalformedInputException(src, lines, names[userCol], userCol + 1, format.header() ? names[userCol] : null, "empty user id");
                    int u = users.indexOf(id);
                    if (!format.header()) {
                        if (firstValues == null) {
                            firstLine = lines;
                            firstUser = u < 0 ? id : null;
                            firstValues = new String[nTasks];
                            for (int t = 0; t < nTasks; t++) firstValues[t] = fields.get(taskCol[t]);
                        } else {
                            for (int t = 0; t < nTasks; t++) valueSeenAgain[t] |= fields.get(taskCol[t]).equals(firstValues[t]);
                            if (u >= 0) knownAfterFirst++;
                        }
                    }
                    if (u < 0) {
                        unknownUsers++;
                        accepted++;
                        continue;
                    }
                    if (seen[u]) throw new MalformedInputException(src, lines, names[userCol], userCol + 1, format.header() ? names[userCol] : null, "user " + id + " is listed twice");
                    seen[u] = true;
                    for (int t = 0; t < nTasks; t++) raw.get(t).put(u, fields.get(taskCol[t]));
                    accepted++;
                } catch (MalformedInputException e) {
                    // a first record without the named columns leaves nothing to read the others by: stop, lenient or not
                    if (!lenient || (names != null && !columnsKnown)) throw e;
                    skipped++;
                    if (errors.size() < maxErrors) errors.add(e.getMessage());
                }
            }
        }
        if (names == null) throw new MalformedInputException(src, 0, null, 0, null, "no records");
        List<String> warnings = new ArrayList<>();
        if (firstUser != null && knownAfterFirst > 0) {
            boolean headerLike = true;
            for (int t = 0; t < nTasks; t++) headerLike &= !firstValues[t].isEmpty() && !valueSeenAgain[t];
            if (headerLike) {
                List<String> quoted = new ArrayList<>();
                for (String v : firstValues) quoted.add("'" + v + "'");
                warnings.add(src + ":" + firstLine + ": field " + (userCol + 1) + " (user id '" + firstUser + "') looks like a header row read as data: '"
                        + firstUser + "' is not a user of the events and " + String.join(", ", quoted) + " occur on no other line; the line was passed over. "
                        + "If it names the columns, read the file with a header so the tasks take those names");
            }
        }
        List<LabelTable> tables = new ArrayList<>();
        for (int t = 0; t < nTasks; t++) tables.add(table(taskNames[t], tasks.get(taskNames[t]), raw.get(t), users, src));
        Map<String, Long> notes = new LinkedHashMap<>();
        notes.put("users not in the events", unknownUsers);
        return new Result(tables, new ReadReport(src, "users", lines, header, blank, comments, accepted - unknownUsers, skipped, errors, notes,
                System.nanoTime() - t0), warnings);
    }

    private static LabelTable table(String name, LabelTable.Kind kind, Map<Integer, String> values, IdDictionary users, String src) throws MalformedInputException {
        int n = users.size();
        if (kind == LabelTable.Kind.MULTI_LABEL) {
            TreeSet<String> all = new TreeSet<>();
            for (String v : values.values()) all.addAll(splitMulti(v));
            List<String> classes = new ArrayList<>(all);
            int[][] cls = new int[n][];
            for (var e : values.entrySet()) cls[e.getKey()] = splitMulti(e.getValue()).stream().mapToInt(classes::indexOf).toArray();
            return LabelTable.multi(name, users, classes, cls);
        }
        TreeSet<String> all = new TreeSet<>();
        for (String v : values.values()) if (!v.isEmpty()) all.add(v);
        if (kind == LabelTable.Kind.BINARY && all.size() != 2) {
            throw new MalformedInputException(src, 0, name, 0, name, "binary task column needs exactly 2 distinct values, found " + all.size() + " " + all);
        }
        if (all.size() < 2) throw new MalformedInputException(src, 0, name, 0, name, "task column needs at least 2 distinct values, found " + all);
        List<String> classes = new ArrayList<>(all);
        int[] y = new int[n];
        java.util.Arrays.fill(y, -1);
        for (var e : values.entrySet()) if (!e.getValue().isEmpty()) y[e.getKey()] = classes.indexOf(e.getValue());
        return LabelTable.single(name, kind, users, classes, y);
    }

    private static List<String> splitMulti(String v) {
        List<String> out = new ArrayList<>();
        if (v.isEmpty()) return out;
        for (String s : v.split("\\" + MULTI_SEPARATOR, -1)) {
            String t = s.strip();
            if (!t.isEmpty() && !out.contains(t)) out.add(t);
        }
        return out;
    }

    private int column(String[] names, String wanted, String src, long line) throws MalformedInputException {
        for (int i = 0; i < names.length; i++) if (names[i].equals(wanted)) return i;
        throw new MalformedInputException(src, line, wanted, 0, null, "no column '" + wanted + "' (columns: " + String.join(", ", names) + ")");
    }

    /** Splits one line by the separator, honouring RFC 4180 quotes when the format quotes. */
    private List<String> split(String line, String src, long lineNo) throws MalformedInputException {
        String sep = format.separator();
        List<String> out = new ArrayList<>();
        int i = 0, n = line.length();
        while (true) {
            String field;
            int start = i;
            while (format.trim() && i < n && (line.charAt(i) == ' ' || line.charAt(i) == '\t') && !line.startsWith(sep, i)) i++;
            if (format.quoting() && i < n && line.charAt(i) == format.quote()) {
                StringBuilder sb = new StringBuilder();
                i++;
                while (true) {
                    if (i >= n) throw new MalformedInputException(src, lineNo, null, out.size() + 1, null, "unterminated quote");
                    char ch = line.charAt(i);
                    if (ch == format.quote()) {
                        if (i + 1 < n && line.charAt(i + 1) == format.quote()) {
                            sb.append(ch);
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    sb.append(ch);
                    i++;
                }
                while (format.trim() && i < n && (line.charAt(i) == ' ' || line.charAt(i) == '\t') && !line.startsWith(sep, i)) i++;
                if (i < n && !line.startsWith(sep, i)) throw new MalformedInputException(src, lineNo, null, out.size() + 1, null, "text after a closing quote");
                field = sb.toString();
            } else {
                int end = line.indexOf(sep, i);
                if (end < 0) end = n;
                field = line.substring(start, end);
                if (format.trim()) field = trimSpacesAndTabs(field);
                i = end;
            }
            out.add(field);
            if (i >= n) break;
            i += sep.length();
            if (i == n) {
                out.add("");
                break;
            }
        }
        return out;
    }

    /** Drops spaces and tabs (only those, as {@link DelimitedFormat} and the event readers do) at both ends. */
    private static String trimSpacesAndTabs(String f) {
        int a = 0, e = f.length();
        while (a < e && (f.charAt(a) == ' ' || f.charAt(a) == '\t')) a++;
        while (e > a && (f.charAt(e - 1) == ' ' || f.charAt(e - 1) == '\t')) e--;
        return f.substring(a, e);
    }
}
