package org.lurm.events.io;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.lurm.events.EventTableBuilder;
import org.lurm.testing.FuzzSupport;

/**
 * The oracle of the event reader's fuzz target: runs {@link DelimitedEventReader} on an input and checks the outcome
 * against an independent reading of the same bytes, written here from the documented format (DelimitedFormat,
 * DelimitedEventReader, docs/CLI.md) without the reader's code: a plain state machine over the whole byte array,
 * java.time for dates, {@link Float#parseFloat} after a grammar check for weights. Every input ends in one
 * outcome class, or the oracle throws {@link AssertionError}:
 * <ul>
 * <li>{@code error: names file:line} - a strict read stopped at a MalformedInputException whose message starts with
 * {@code source:line:}, at the line where the reference finds the first malformed record;</li>
 * <li>{@code error: header} - the header line is malformed or lacks a column (both agree);</li>
 * <li>{@code success} / {@code success with counted skips} - every event the reference accepts, in order and
 * equal in user, item, timestamp, weight bits and type, and nothing else; the same number of lines, skipped
 * records and lines inside quoted fields, and lines = header + blank + comment + accepted + skipped + those.</li>
 * </ul>
 *
 * <p>Input layout: byte 0 and 1 choose the format (separator, header, quoting, timestamp format, lenient, weight
 * and type columns, multi-line ids, comments); the rest is the file. Stateless; thread-safe.
 */
final class EventsOracle {
    static final String TARGET = "event reader";
    private static final String SRC = "fuzz.csv";
    private static final String[] SEPS = {",", "\t", "::", ";"};
    private static final TimestampFormat[] TS = {TimestampFormat.UNIX_SECONDS, TimestampFormat.UNIX_MILLIS, TimestampFormat.ISO_DATE, TimestampFormat.UNIX_SECONDS};
    private static final Pattern INTEGER = Pattern.compile("[+-]?[0-9]+");
    private static final Pattern DECIMAL = Pattern.compile("[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?");
    private static final Pattern DATE = Pattern.compile("([0-9]{4})-([0-9]{2})-([0-9]{2})");

    /** The format an input's first two bytes choose. */
    record Config(String sep, boolean header, boolean quoting, TimestampFormat ts, boolean lenient, boolean weight, boolean type,
                  boolean multilineIds, boolean comments) {
        static Config of(byte b0, byte b1) {
            return new Config(SEPS[b0 & 3], (b0 & 4) != 0, (b0 & 8) == 0, TS[(b0 >> 4) & 3], (b0 & 64) != 0, (b0 & 128) != 0, (b1 & 1) != 0,
                    (b1 & 2) != 0, (b1 & 4) != 0);
        }

        DelimitedEventReader reader() {
            DelimitedFormat f = DelimitedFormat.of(sep).withHeader(header);
            if (!quoting) f = f.withoutQuoting();
            if (comments) f = f.withCommentPrefix("#");
            DelimitedEventReader.Builder b = DelimitedEventReader.builder().format(f).timestampFormat(ts).lenient(lenient).multilineIds(multilineIds);
            if (header) {
                b.user("user").item("item").timestamp("ts");
                if (weight) b.weight("w");
                if (type) b.type("kind");
            } else {
                b.user(0).item(1).timestamp(2);
                if (weight) b.weight(3);
                if (type) b.type(weight ? 4 : 3);
            }
            return b.build();
        }
    }

    /** One event as the reference reads it. */
    record Event(String user, String item, long ts, int weightBits, String type) {
    }

    /** A record of the reference's split: its first line, lines covered, fields, or an error. */
    private record Rec(long line, int lines, List<byte[]> fields, List<Boolean> quoted, String error, boolean blank, boolean comment) {
    }

    private EventsOracle() {
    }

    /** Checks one input; returns its outcome class (also counted in {@link FuzzSupport}). */
    static String check(byte[] input) {
        if (input.length < 2) return count("too short for a configuration");
        Config c = Config.of(input[0], input[1]);
        byte[] file = java.util.Arrays.copyOfRange(input, 2, input.length);
        Expected want;
        try {
            want = reference(c, file);
        } catch (RuntimeException e) {
            throw new AssertionError("the reference failed: " + e + " on " + FuzzSupport.keep("events", input), e);
        }
        EventTableBuilder b = new EventTableBuilder();
        ReadReport got;
        try {
            got = c.reader().read(new ByteArrayInputStream(file), SRC, b);
        } catch (MalformedInputException e) {
            if (!e.getMessage().startsWith(SRC + ":" + e.line() + ": ")) fail(input, "message does not start with file:line: " + e.getMessage());
            if (want.headerError) return count("error: header (file:line)");
            if (c.lenient) fail(input, "lenient read threw " + e.getMessage() + "; the reference accepts " + want.events.size() + " events");
            if (want.firstBadLine != e.line()) fail(input, "strict read stopped at line " + e.line() + " (" + e.getMessage() + "), the reference's first malformed record is at line " + want.firstBadLine);
            return count("error: names file:line");
        } catch (Exception | StackOverflowError | OutOfMemoryError e) {
            throw new AssertionError("unexpected " + e + " on " + FuzzSupport.keep("events", input), e);
        }
        if (want.headerError) fail(input, "the reference finds the header malformed, the reader accepted " + got.accepted() + " events");
        if (!c.lenient && want.firstBadLine > 0) fail(input, "strict read accepted the file; the reference finds line " + want.firstBadLine + " malformed");
        List<Event> events = new ArrayList<>();
        try (var scope = org.lurm.memory.MemoryScope.root("fuzz")) {
            var t = b.build(scope);
            for (long i = 0; i < t.size(); i++) {
                events.add(new Event(t.users().id(t.user(i)), t.items().id(t.item(i)), t.timestamp(i), Float.floatToRawIntBits(t.weight(i)),
                        c.type ? t.types().id(t.type(i)) : ""));
            }
        }
        if (!events.equals(want.events)) fail(input, "events differ:\n got  " + events + "\n want " + want.events);
        if (got.accepted() != want.events.size() || got.skipped() != want.skipped || got.lines() != want.lines
                || got.note(DelimitedEventReader.NOTE_CONTINUATION) != want.continuation) {
            fail(input, "counts differ: got accepted " + got.accepted() + " skipped " + got.skipped() + " lines " + got.lines() + " continuation "
                    + got.note(DelimitedEventReader.NOTE_CONTINUATION) + "; want " + want.events.size() + " " + want.skipped + " " + want.lines + " " + want.continuation);
        }
        long sum = got.headerLines() + got.blankLines() + got.commentLines() + got.accepted() + got.skipped() + got.note(DelimitedEventReader.NOTE_CONTINUATION);
        if (sum != got.lines()) fail(input, "the report does not account for every line: " + got);
        return count(got.skipped() > 0 ? "success with counted skips" : "success");
    }

    private static String count(String outcome) {
        FuzzSupport.count(TARGET, outcome);
        return outcome;
    }

    private static void fail(byte[] input, String why) {
        throw new AssertionError(why + "\n  config " + Config.of(input[0], input[1]) + "\n  input kept at " + FuzzSupport.keep("events", input));
    }

    /** What the reference expects. */
    private static final class Expected {
        final List<Event> events = new ArrayList<>();
        long lines, skipped, continuation, firstBadLine;
        boolean headerError;
    }

    // ------------------------------------------------------------------------------------ the reference

    private static Expected reference(Config c, byte[] b) {
        Expected x = new Expected();
        byte[] sep = c.sep.getBytes(StandardCharsets.UTF_8);
        int p = 0;
        if (b.length >= 3 && (b[0] & 0xff) == 0xEF && (b[1] & 0xff) == 0xBB && (b[2] & 0xff) == 0xBF) p = 3;
        long line = 1;
        int[] cols = null; // user, item, ts, weight, type (-1: none)
        boolean refuseSet = false;
        boolean[] refuse = new boolean[0];
        boolean headerDone = !c.header;
        if (!c.header) {
            cols = new int[] {0, 1, 2, c.weight ? 3 : -1, c.type ? (c.weight ? 4 : 3) : -1};
        }
        while (p < b.length) {
            if (!refuseSet && cols != null) {
                refuse = new boolean[64];
                for (int r = 0; r < 5; r++) {
                    if (cols[r] < 0 || cols[r] >= 64) continue;
                    boolean id = r == 0 || r == 1 || r == 4;
                    if (!(id && c.multilineIds)) refuse[cols[r]] = true;
                }
                refuseSet = true;
            }
            int[] end = new int[1];
            Rec rec = split(b, p, line, sep, c, headerDone ? refuse : new boolean[0], end);
            p = end[0];
            line += rec.lines;
            x.lines += rec.lines;
            if (rec.comment || rec.blank) continue;
            if (!headerDone) {
                headerDone = true;
                if (rec.error != null) {
                    x.headerError = true;
                    return x;
                }
                List<String> names = new ArrayList<>();
                for (byte[] f : rec.fields) {
                    String s = utf8(f);
                    if (s == null) {
                        x.headerError = true;
                        return x;
                    }
                    names.add(s);
                }
                x.continuation += rec.lines - 1;
                cols = new int[] {idx(names, "user"), idx(names, "item"), idx(names, "ts"), c.weight ? idx(names, "w") : -1, c.type ? idx(names, "kind") : -1};
                boolean missing = cols[0] < 0 || cols[1] < 0 || cols[2] < 0 || (c.weight && cols[3] < 0) || (c.type && cols[4] < 0);
                if (missing || dup(names, "user") || dup(names, "item") || dup(names, "ts") || (c.weight && dup(names, "w")) || (c.type && dup(names, "kind"))) {
                    x.headerError = true;
                    return x;
                }
                continue;
            }
            x.continuation += rec.lines - 1; // an error record covers its first line only (lines is 1)
            Event e = rec.error == null ? event(c, rec, cols) : null;
            if (e == null) {
                x.skipped++;
                if (x.firstBadLine == 0) x.firstBadLine = rec.line;
            } else {
                x.events.add(e);
            }
        }
        return x;
    }

    private static int idx(List<String> names, String n) {
        return names.indexOf(n);
    }

    private static boolean dup(List<String> names, String n) {
        return names.indexOf(n) != names.lastIndexOf(n);
    }

    /** The event of a well-split record, or null when a field is bad. */
    private static Event event(Config c, Rec rec, int[] cols) {
        int need = 0;
        for (int x : cols) need = Math.max(need, x + 1);
        if (rec.fields.size() < need) return null;
        String tsText = new String(rec.fields.get(cols[2]), StandardCharsets.ISO_8859_1);
        Long ts = timestamp(tsText, c.ts);
        if (ts == null) return null;
        int wBits = Float.floatToRawIntBits(1f);
        if (cols[3] >= 0) {
            String w = new String(rec.fields.get(cols[3]), StandardCharsets.ISO_8859_1);
            if (!DECIMAL.matcher(w).matches()) return null;
            float v = Float.parseFloat(w);
            if (Float.isInfinite(v) || v < 0) return null;
            wBits = Float.floatToRawIntBits(v + 0f);
        }
        byte[] u = rec.fields.get(cols[0]), i = rec.fields.get(cols[1]);
        if (u.length == 0 || i.length == 0) return null;
        String us = utf8(u), is = utf8(i);
        if (us == null || is == null) return null;
        String type = "";
        if (cols[4] >= 0) {
            byte[] t = rec.fields.get(cols[4]);
            if (t.length == 0) return null;
            type = utf8(t);
            if (type == null) return null;
        }
        return new Event(us, is, ts, wBits, type);
    }

    private static Long timestamp(String s, TimestampFormat f) {
        if (f == TimestampFormat.ISO_DATE) {
            var m = DATE.matcher(s);
            if (!m.matches()) return null;
            try {
                return LocalDate.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))).toEpochDay() * 86_400L;
            } catch (DateTimeException e) {
                return null;
            }
        }
        if (!INTEGER.matcher(s).matches()) return null;
        BigInteger v = new BigInteger(s.startsWith("+") ? s.substring(1) : s);
        if (v.bitLength() > 63) return null;
        long l = v.longValueExact();
        return f == TimestampFormat.UNIX_MILLIS ? Math.floorDiv(l, 1000L) : l;
    }

    private static String utf8(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static boolean space(byte x) {
        return x == ' ' || x == '\t';
    }

    private static boolean at(byte[] b, int p, byte[] s) {
        if (p + s.length > b.length) return false;
        for (int k = 0; k < s.length; k++) if (b[p + k] != s[k]) return false;
        return true;
    }

    /** After the line break at p (LF, CRLF or CR), or b.length. */
    private static int afterBreak(byte[] b, int p) {
        if (b[p] == '\r' && p + 1 < b.length && b[p + 1] == '\n') return p + 2;
        return p + 1;
    }

    /** The end of the first physical line from p. */
    private static int firstLineEnd(byte[] b, int p) {
        for (int q = p; q < b.length; q++) if (b[q] == '\n' || b[q] == '\r') return afterBreak(b, q);
        return b.length;
    }

    private static Rec error(byte[] b, int start, long line, String why, int[] end) {
        end[0] = firstLineEnd(b, start);
        return new Rec(line, 1, List.of(), List.of(), why, false, false);
    }

    /** Splits the record at {@code start}: its fields, how many lines it covers, where the next starts. */
    private static Rec split(byte[] b, int start, long line, byte[] sep, Config c, boolean[] refuse, int[] end) {
        if (c.comments && b[start] == '#') {
            end[0] = firstLineEnd(b, start);
            return new Rec(line, 1, List.of(), List.of(), null, false, true);
        }
        List<byte[]> fields = new ArrayList<>();
        List<Boolean> quoted = new ArrayList<>();
        int lines = 1;
        int p = start;
        while (true) {
            int q = p;
            if (c.quoting) while (q < b.length && space(b[q]) && b[q] != sep[0]) q++;
            if (c.quoting && q < b.length && b[q] == '"') {
                ByteArrayOutputStream v = new ByteArrayOutputStream();
                int r = q + 1, breaks = 0;
                while (true) {
                    if (r >= b.length) return error(b, start, line, "unterminated", end);
                    if (b[r] == '"') {
                        if (r + 1 < b.length && b[r + 1] == '"') {
                            v.write('"');
                            r += 2;
                            continue;
                        }
                        break;
                    }
                    if (b[r] == '\n' || (b[r] == '\r' && !(r + 1 < b.length && b[r + 1] == '\n'))) breaks++;
                    v.write(b[r]);
                    r++;
                }
                r++;
                int field = fields.size();
                if (breaks > 0 && field < refuse.length && refuse[field]) return error(b, start, line, "multi-line field refused", end);
                lines += breaks;
                fields.add(v.toByteArray());
                quoted.add(true);
                while (r < b.length && space(b[r]) && b[r] != sep[0]) r++;
                if (r >= b.length) {
                    end[0] = b.length;
                    break;
                }
                if (b[r] == '\n' || b[r] == '\r') {
                    end[0] = afterBreak(b, r);
                    break;
                }
                if (at(b, r, sep)) {
                    p = r + sep.length;
                    continue;
                }
                return error(b, start, line, "text after the closing quote", end);
            }
            int k = p;
            while (k < b.length && b[k] != '\n' && b[k] != '\r' && !at(b, k, sep)) k++;
            int s = p, e = k;
            while (s < e && space(b[s])) s++;
            while (e > s && space(b[e - 1])) e--;
            fields.add(java.util.Arrays.copyOfRange(b, s, e));
            quoted.add(false);
            if (k >= b.length) {
                end[0] = b.length;
                break;
            }
            if (b[k] == '\n' || b[k] == '\r') {
                end[0] = afterBreak(b, k);
                break;
            }
            p = k + sep.length;
        }
        boolean blank = fields.size() == 1 && !quoted.get(0) && fields.get(0).length == 0;
        return new Rec(line, lines, fields, quoted, null, blank, false);
    }
}
