package org.lurm.eval;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;
import org.lurm.events.IdDictionary;
import org.lurm.events.io.DelimitedFormat;
import org.lurm.events.io.MalformedInputException;
import org.lurm.testing.FuzzSupport;

/**
 * The oracle of the labels reader's fuzz target: {@link LabelsReader} against an independent reading written
 * from its documentation (one record per line, LF, CRLF or CR; quotes within a line; header or positions;
 * unknown users counted; binary needs two values, multi-class two or more, multi-label splits on '|'). Outcome
 * classes:
 * <ul>
 * <li>{@code error: names file:line} - a MalformedInputException at the line of the reference's first malformed
 * line (strict), or for the file as a whole ({@code file:0}: no records, or a task column with too few
 * values), where the reference finds the same;</li>
 * <li>{@code success} / {@code success with counted skips} - every task's classes and every user's label equal
 * the reference's, with the same counts of lines, skipped lines and unknown users.</li>
 * <li>{@code error: first record lacks a named column, names file:line} - lenient or not, at that record's line;</li>
 * <li>{@code error: gzip, names the file} - a file with the gzip magic that is not one whole gzip stream; one that
 * is is read by the reference as java.util.zip decompresses it (outcomes prefixed {@code gzip: }).</li>
 * </ul>
 * Bytes that are not UTF-8 stop the read at their own line, lenient or not; unquoted fields lose spaces and tabs
 * around them, no other white space. No outcome is an accepted fault.
 * Input layout: byte 0 chooses separator, header, quoting, lenient and comments; byte 1 the kinds of the two task
 * columns; the rest is the file. The users are u0 .. u9. Stateless; thread-safe.
 */
final class LabelsOracle {
    static final String TARGET = "labels reader";
    private static final String[] SEPS = {",", "\t", "::", ";"};
    private static final LabelTable.Kind[] KINDS = {LabelTable.Kind.BINARY, LabelTable.Kind.MULTI_CLASS, LabelTable.Kind.MULTI_LABEL, LabelTable.Kind.MULTI_CLASS};
    private static final IdDictionary USERS = new IdDictionary();

    static {
        for (int u = 0; u < 10; u++) USERS.add("u" + u);
    }

    private LabelsOracle() {
    }

    record Config(String sep, boolean header, boolean quoting, boolean lenient, boolean comments, LabelTable.Kind kindA, LabelTable.Kind kindB) {
        static Config of(byte b0, byte b1) {
            return new Config(SEPS[b0 & 3], (b0 & 4) != 0, (b0 & 8) == 0, (b0 & 16) != 0, (b0 & 32) != 0, KINDS[b1 & 3], KINDS[(b1 >> 2) & 3]);
        }

        String userCol() {
            return header ? "user" : "1";
        }

        String[] taskCols() {
            return header ? new String[] {"a", "b"} : new String[] {"2", "3"};
        }

        LabelsReader reader() {
            DelimitedFormat f = DelimitedFormat.of(sep).withHeader(header);
            if (!quoting) f = f.withoutQuoting();
            if (comments) f = f.withCommentPrefix("#");
            Map<String, LabelTable.Kind> tasks = new LinkedHashMap<>();
            tasks.put(taskCols()[0], kindA);
            tasks.put(taskCols()[1], kindB);
            return new LabelsReader(f, userCol(), tasks, lenient);
        }
    }

    /** A malformed line or file, as the reference finds it. */
    private static class Bad extends Exception {
        private static final long serialVersionUID = 1L;
        final long line;

        Bad(long line) {
            super(null, null, false, false);
            this.line = line;
        }
    }

    /** The first record lacks the user or a task column: the file cannot be read, lenient or not. */
    private static final class HeaderBad extends Bad {
        private static final long serialVersionUID = 1L;

        HeaderBad(long line) {
            super(line);
        }
    }

    /** The reference's result. */
    private record Want(long line, long lines, long skipped, long unknown, List<String> classesA, List<String> classesB, Map<Integer, String> a, Map<Integer, String> b) {
    }

    static String check(byte[] input) {
        if (input.length < 2) return count("too short for a configuration");
        Config c = Config.of(input[0], input[1]);
        byte[] file = Arrays.copyOfRange(input, 2, input.length);
        boolean gzip = file.length >= 2 && (file[0] & 0xff) == 0x1f && (file[1] & 0xff) == 0x8b;
        Path path = FuzzSupport.scratch("labels.csv");
        try {
            Files.write(path, file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Object got;
        try {
            got = c.reader().read(path, USERS);
        } catch (MalformedInputException e) {
            got = e;
        } catch (IOException e) {
            // gzip is checked whole (Inputs.open): a corrupt or truncated stream, or bytes after it, names the file
            if (gzip && e.getMessage() != null && e.getMessage().startsWith(path + ":")) return count("error: gzip, names the file");
            throw new AssertionError("unexpected " + e + " on " + FuzzSupport.keep("labels", input), e);
        } catch (Exception | StackOverflowError e) {
            throw new AssertionError("unexpected " + e + " on " + FuzzSupport.keep("labels", input), e);
        }
        if (gzip) {
            // the reader took the stream whole: the reference reads what java.util.zip makes of it
            try (var z = new GZIPInputStream(new ByteArrayInputStream(file))) {
                file = z.readAllBytes();
            } catch (IOException e) {
                throw new AssertionError("read a gzip stream java.util.zip refuses (" + e + ") on " + FuzzSupport.keep("labels", input), e);
            }
        }
        String[] outcome = new String[1];
        String why = compare(c, file, path, got, outcome);
        if (why == null) return count(gzip ? "gzip: " + outcome[0] : outcome[0]);
        throw new AssertionError(why + "\n  config " + c + "\n  input kept at " + FuzzSupport.keep("labels", input));
    }

    /** Null when the reader's result agrees with the reference's; else why not. Sets the outcome class. */
    private static String compare(Config c, byte[] file, Path path, Object got, String[] outcome) {
        Want want;
        long badLine = -1;
        boolean headerBad = false;
        try {
            want = reference(c, file);
        } catch (Bad b) {
            want = null;
            badLine = b.line;
            headerBad = b instanceof HeaderBad;
        }
        if (got instanceof MalformedInputException e) {
            if (!e.getMessage().startsWith(path + ":" + e.line() + ": ")) return "message does not name file:line: " + e.getMessage();
            if (want != null) return "threw " + e.getMessage() + ", the reference reads the file";
            if (badLine != e.line()) return "threw at line " + e.line() + " (" + e.getMessage() + "), the reference's first bad line is " + badLine;
            outcome[0] = e.line() == 0 ? "error: names file (whole-column problem)"
                    : headerBad ? "error: first record lacks a named column, names file:line" : "error: names file:line";
            return null;
        }
        LabelsReader.Result r = (LabelsReader.Result) got;
        if (want == null) return "read the file; the reference finds line " + badLine + " malformed";
        if (r.report().lines() != want.lines || r.report().skipped() != want.skipped || r.report().note("users not in the events") != want.unknown) {
            return "counts differ: " + r.report() + "; want lines " + want.lines + " skipped " + want.skipped + " unknown " + want.unknown;
        }
        String a = same(r.tables().get(0), want.classesA, want.a), b = same(r.tables().get(1), want.classesB, want.b);
        if (a != null || b != null) return a != null ? a : b;
        outcome[0] = want.skipped > 0 ? "success with counted skips" : "success";
        return null;
    }

    private static String same(LabelTable t, List<String> classes, Map<Integer, String> values) {
        if (!t.classes().equals(classes)) return t.name() + ": classes " + t.classes() + ", want " + classes;
        for (int u = 0; u < USERS.size(); u++) {
            String v = values.get(u);
            int[] want;
            if (t.kind() == LabelTable.Kind.MULTI_LABEL) {
                want = v == null ? null : multi(v).stream().mapToInt(classes::indexOf).sorted().toArray();
            } else {
                want = v == null || v.isEmpty() ? null : new int[] {classes.indexOf(v)};
            }
            if (!Arrays.equals(want, t.classesOf(u))) return t.name() + ": user u" + u + " has " + Arrays.toString(t.classesOf(u)) + ", want " + Arrays.toString(want);
        }
        return null;
    }

    private static String count(String outcome) {
        FuzzSupport.count(TARGET, outcome);
        return outcome;
    }

    // -------------------------------------------------------------------------------------- reference

    private static List<String> multi(String v) {
        List<String> out = new ArrayList<>();
        for (String s : v.split("\\|", -1)) {
            String t = s.strip();
            if (!t.isEmpty() && !out.contains(t)) out.add(t);
        }
        return out;
    }

    private static boolean blank(String s) {
        return s.codePoints().allMatch(Character::isWhitespace);
    }

    private static Want reference(Config c, byte[] bytes) throws Bad {
        // lines: LF, CRLF or a lone CR end a line; a last line without one counts
        List<String> lines = new ArrayList<>();
        List<Integer> badAt = new ArrayList<>(); // index of the first line whose bytes are not UTF-8
        int s = 0;
        for (int i = 0; i <= bytes.length; i++) {
            if (i == bytes.length || bytes[i] == '\n' || bytes[i] == '\r') {
                if (i == bytes.length && s == i) break;
                byte[] lb = Arrays.copyOfRange(bytes, s, i);
                try {
                    lines.add(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(lb)).toString());
                } catch (CharacterCodingException e) {
                    if (badAt.isEmpty()) badAt.add(lines.size());
                    lines.add(null);
                }
                if (i < bytes.length && bytes[i] == '\r' && i + 1 < bytes.length && bytes[i + 1] == '\n') i++;
                s = i + 1;
            }
        }
        long total = 0, skipped = 0, unknown = 0;
        String[] names = null;
        int userCol = -1, colA = -1, colB = -1;
        Map<Integer, String> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
        boolean[] seen = new boolean[USERS.size()];
        for (int n = 0; n < lines.size(); n++) {
            long no = n + 1;
            String line = lines.get(n);
            if (line == null) throw new Bad(no); // undecodable bytes stop the read, lenient or not
            total++;
            if (no == 1 && line.startsWith("\uFEFF")) line = line.substring(1);
            if (blank(line)) continue;
            if (c.comments && line.startsWith("#")) continue;
            try {
                List<String> f = split(line, c, no);
                if (names == null) {
                    if (c.header) {
                        names = f.toArray(new String[0]);
                    } else {
                        names = new String[f.size()];
                        for (int i = 0; i < names.length; i++) names[i] = Integer.toString(i + 1);
                    }
                    userCol = indexOf(names, c.userCol(), no);
                    colA = indexOf(names, c.taskCols()[0], no);
                    colB = indexOf(names, c.taskCols()[1], no);
                    if (userCol < 0 || colA < 0 || colB < 0) throw new HeaderBad(no);
                    if (c.header) continue;
                }
                if (f.size() != names.length) throw new Bad(no);
                String id = f.get(userCol);
                if (id.isEmpty()) throw new Bad(no);
                int u = USERS.indexOf(id);
                if (u < 0) {
                    unknown++;
                    continue;
                }
                if (seen[u]) throw new Bad(no);
                seen[u] = true;
                a.put(u, f.get(colA));
                b.put(u, f.get(colB));
            } catch (Bad e) {
                if (!c.lenient || e instanceof HeaderBad) throw e;
                skipped++;
            }
        }
        if (names == null) throw new Bad(0);
        return new Want(0, total, skipped, unknown, classes(c.kindA, a), classes(c.kindB, b), a, b);
    }

    private static int indexOf(String[] names, String wanted, long no) {
        for (int i = 0; i < names.length; i++) if (names[i].equals(wanted)) return i;
        return -1;
    }

    private static List<String> classes(LabelTable.Kind kind, Map<Integer, String> values) throws Bad {
        TreeSet<String> all = new TreeSet<>();
        if (kind == LabelTable.Kind.MULTI_LABEL) {
            for (String v : values.values()) all.addAll(multi(v));
            return new ArrayList<>(all);
        }
        for (String v : values.values()) if (!v.isEmpty()) all.add(v);
        if (kind == LabelTable.Kind.BINARY ? all.size() != 2 : all.size() < 2) throw new Bad(0);
        return new ArrayList<>(all);
    }

    private static boolean space(char ch) {
        return ch == ' ' || ch == '\t';
    }

    /** Fields of one line: separator, trimming of spaces and tabs, RFC 4180 quotes within the line. */
    private static List<String> split(String line, Config c, long no) throws Bad {
        String sep = c.sep;
        List<String> out = new ArrayList<>();
        int i = 0, n = line.length();
        while (true) {
            int q = i;
            while (q < n && space(line.charAt(q)) && !line.startsWith(sep, q)) q++;
            if (c.quoting && q < n && line.charAt(q) == '"') {
                StringBuilder sb = new StringBuilder();
                int r = q + 1;
                while (true) {
                    if (r >= n) throw new Bad(no);
                    char ch = line.charAt(r);
                    if (ch == '"') {
                        if (r + 1 < n && line.charAt(r + 1) == '"') {
                            sb.append('"');
                            r += 2;
                            continue;
                        }
                        r++;
                        break;
                    }
                    sb.append(ch);
                    r++;
                }
                while (r < n && space(line.charAt(r)) && !line.startsWith(sep, r)) r++;
                out.add(sb.toString());
                if (r >= n) return out;
                if (!line.startsWith(sep, r)) throw new Bad(no);
                i = r + sep.length();
                if (i == n) {
                    out.add("");
                    return out;
                }
                continue;
            }
            int k = line.indexOf(sep, i);
            String f = k < 0 ? line.substring(i) : line.substring(i, k);
            int a = 0, e = f.length();
            while (a < e && space(f.charAt(a))) a++;
            while (e > a && space(f.charAt(e - 1))) e--;
            out.add(f.substring(a, e));
            if (k < 0) return out;
            i = k + sep.length();
            if (i == n) {
                out.add("");
                return out;
            }
        }
    }
}
