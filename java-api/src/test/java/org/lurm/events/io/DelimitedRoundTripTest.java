package org.lurm.events.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

/**
 * Random events written to a temporary file (random separator, header, column order, extra columns, quoting,
 * charset, timestamp format, line ends, gzip) by an independent writer, read back, and compared one by one
 * with the originals.
 */
class DelimitedRoundTripTest {
    private static final String[] SEPARATORS = {",", "\t", "|", ";", "::", "<|>"};
    private static final String ID_CHARS = "abcdefXYZ0123456789 _-,;|:<>\"'\t\u00e9\u00fc";
    private static final String[] TYPES = {"click", "buy", "view, long", "\"quoted\"", "r\u00e9sum\u00e9"};

    record Event(String user, String item, long ts, float weight, String type) {
    }

    private static String randomId(Random r, String prefix, int pool) {
        // ids repeat (pool) so dictionaries and the byte cache see hits and misses
        Random idr = new Random(r.nextInt(pool) * 7919L + prefix.hashCode());
        StringBuilder sb = new StringBuilder(prefix);
        int len = 1 + idr.nextInt(8);
        for (int i = 0; i < len; i++) sb.append(ID_CHARS.charAt(idr.nextInt(ID_CHARS.length())));
        return sb.toString();
    }

    @Test
    void randomEventsSurviveAWriteAndRead(@TempDir Path dir) throws IOException {
        Random r = new Random(TestData.seed("randomEventsSurviveAWriteAndRead"));
        for (int round = 0; round < 60; round++) {
            String sep = SEPARATORS[r.nextInt(SEPARATORS.length)];
            boolean header = r.nextBoolean();
            Charset cs = r.nextBoolean() ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1;
            TimestampFormat tf = TimestampFormat.values()[r.nextInt(TimestampFormat.values().length)];
            boolean weights = r.nextBoolean(), types = r.nextBoolean();
            int n = r.nextInt(3000);
            List<Event> events = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                long ts = switch (tf) {
                    case ISO_DATE -> (r.nextInt(80_000) - 20_000) * 86400L;
                    case ISO_INSTANT -> r.nextLong(-62_000_000_000L, 253_000_000_000L);
                    default -> r.nextLong(-4_000_000_000L, 4_000_000_000L);
                };
                float w = weights ? (r.nextBoolean() ? r.nextInt(10) : Math.abs(Float.intBitsToFloat(r.nextInt()) % 1e6f)) : 1f;
                if (Float.isNaN(w)) w = 0.5f;
                events.add(new Event(randomId(r, "u", 50), randomId(r, "i", 200), ts, w, types ? TYPES[r.nextInt(TYPES.length)] : ""));
            }

            // columns in random order, with two unmapped ones
            List<String> cols = new ArrayList<>(List.of("user", "item", "ts", "extra1", "extra2"));
            if (weights) cols.add("weight");
            if (types) cols.add("type");
            java.util.Collections.shuffle(cols, r);
            ReferenceWriter w = new ReferenceWriter(sep, '"');
            StringBuilder text = new StringBuilder();
            String eol = r.nextBoolean() ? "\n" : "\r\n";
            if (header) w.record(text, cols, eol);
            for (Event e : events) {
                List<String> f = new ArrayList<>();
                for (String c : cols) {
                    f.add(switch (c) {
                        case "user" -> e.user();
                        case "item" -> e.item();
                        case "ts" -> formatTs(e.ts(), tf, r);
                        case "weight" -> r.nextBoolean() ? Float.toString(e.weight()) : new java.math.BigDecimal(e.weight()).toPlainString();
                        case "type" -> e.type();
                        default -> r.nextBoolean() ? "" : "junk" + sep + "\"x";
                    });
                }
                w.record(text, f, eol);
            }
            Path file = dir.resolve("round" + round + (r.nextBoolean() ? ".csv" : ".dat"));
            boolean gz = r.nextBoolean();
            try (OutputStream out = gz ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
                out.write(text.toString().getBytes(cs));
            }

            DelimitedEventReader.Builder b = DelimitedEventReader.builder()
                    .format(DelimitedFormat.of(sep).withHeader(header).withCharset(cs))
                    .timestampFormat(tf);
            if (header) {
                b.user("user").item("item").timestamp("ts");
                if (weights) b.weight("weight");
                if (types) b.type("type");
            } else {
                b.user(cols.indexOf("user")).item(cols.indexOf("item")).timestamp(cols.indexOf("ts"));
                if (weights) b.weight(cols.indexOf("weight"));
                if (types) b.type(cols.indexOf("type"));
            }
            EventTableBuilder out = new EventTableBuilder();
            String why = "round " + round + ": separator " + DelimitedFormat.escape(sep) + ", header " + header + ", " + cs + ", " + tf
                    + ", gzip " + gz + ", columns " + cols;
            ReadReport rep = b.build().read(file, out);
            assertEquals(n, rep.events(), why);
            assertEquals(n + (header ? 1 : 0), rep.lines(), why);
            try (MemoryScope scope = MemoryScope.root("roundtrip")) {
                EventTable t = out.build(scope);
                for (int i = 0; i < n; i++) {
                    Event e = events.get(i);
                    Event got = new Event(t.users().id(t.user(i)), t.items().id(t.item(i)), t.timestamp(i), t.weight(i), t.types().id(t.type(i)));
                    assertEquals(e, got, why + ", event " + i);
                }
            }
        }
    }

    private static String formatTs(long ts, TimestampFormat tf, Random r) {
        return switch (tf) {
            case UNIX_SECONDS -> Long.toString(ts);
            case UNIX_MILLIS -> Long.toString(ts * 1000 + r.nextInt(1000));
            case ISO_DATE -> java.time.LocalDate.ofEpochDay(ts / 86400).toString();
            case ISO_INSTANT -> {
                ZoneOffset off = ZoneOffset.ofHoursMinutes(r.nextInt(25) - 12, 0);
                String s = OffsetDateTime.ofInstant(Instant.ofEpochSecond(ts, r.nextInt(1_000_000_000)), off).toString();
                // years outside 0000..9999 cannot be written as yyyy: keep UTC then
                yield s.startsWith("+") || s.startsWith("-") ? Instant.ofEpochSecond(ts).toString() : s;
            }
        };
    }

    @Test
    void sameEventsFromEveryTimestampFormat() throws IOException {
        // one instant, four spellings: the reader must land on the same second
        long ts = 978_300_760L;
        String[][] spell = {{"UNIX_SECONDS", "978300760"}, {"UNIX_MILLIS", "978300760123"},
                {"ISO_INSTANT", "2000-12-31T22:12:40.123Z"}, {"ISO_DATE", "2000-12-31"}};
        for (String[] s : spell) {
            EventTableBuilder out = new EventTableBuilder();
            DelimitedEventReader.builder().format(DelimitedFormat.csv()).user("u").item("i").timestamp("t")
                    .timestampFormat(TimestampFormat.valueOf(s[0])).build()
                    .read(new java.io.ByteArrayInputStream(("u,i,t\nx,y," + s[1] + "\n").getBytes(StandardCharsets.UTF_8)), "t.csv", out);
            try (MemoryScope scope = MemoryScope.root("ts")) {
                long got = out.build(scope).timestamp(0);
                assertEquals(s[0].equals("ISO_DATE") ? ts - ts % 86400 : ts, got, Arrays.toString(s));
            }
        }
    }
}
