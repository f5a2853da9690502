package org.lurm.events.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.memory.MemoryScope;

/** Each feature and each kind of malformed input of {@link DelimitedEventReader}, on small hand-made files. */
class DelimitedEventReaderTest {

    /** One event as text, for compact comparisons: user|item|timestamp|weight|type. */
    private static List<String> events(EventTableBuilder b) {
        List<String> out = new ArrayList<>();
        try (MemoryScope scope = MemoryScope.root("events")) {
            EventTable t = b.build(scope);
            for (long i = 0; i < t.size(); i++) {
                out.add(t.users().id(t.user(i)) + "|" + t.items().id(t.item(i)) + "|" + t.timestamp(i) + "|" + t.weight(i) + "|" + t.types().id(t.type(i)));
            }
        }
        return out;
    }

    private static ReadReport read(DelimitedEventReader r, String text, EventTableBuilder b) throws IOException {
        return r.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "events.csv", b);
    }

    private static DelimitedEventReader.Builder csv3() {
        return DelimitedEventReader.builder().format(DelimitedFormat.of(",")).user(0).item(1).timestamp(2);
    }

    @Test
    void headerMappingByName() throws IOException {
        DelimitedEventReader r = DelimitedEventReader.builder().format(DelimitedFormat.csv())
                .user("user").item("item").timestamp("ts").weight("w").type("kind").build();
        EventTableBuilder b = new EventTableBuilder();
        ReadReport rep = read(r, "ts,kind,user,extra,item,w\n978300760,click,u1,zzz,i1,1.5\n978300761,buy,u2,,i1,3\n", b);
        assertEquals(List.of("u1|i1|978300760|1.5|click", "u2|i1|978300761|3.0|buy"), events(b));
        assertEquals(3, rep.lines());
        assertEquals(1, rep.headerLines());
        assertEquals(2, rep.events());
        assertEquals(2, rep.note("new users"));
        assertEquals(1, rep.note("new items"));
    }

    @Test
    void headerProblemsAreNamed() {
        DelimitedEventReader r = DelimitedEventReader.builder().format(DelimitedFormat.csv()).user("user").item("item").timestamp("time").build();
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> read(r, "user,item,ts\nu,i,1\n", new EventTableBuilder()));
        assertEquals("events.csv:1: field 'timestamp' (header \"time\"): the header has no column \"time\"; it has [user, item, ts]", e.getMessage());
        e = assertThrows(MalformedInputException.class, () -> read(r, "user,item,time,user\nu,i,1,v\n", new EventTableBuilder()));
        assertEquals("events.csv:1: field 'user': the header names \"user\" twice (columns 1 and 4)", e.getMessage());
    }

    @Test
    void configurationMistakesFailAtBuild() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> DelimitedEventReader.builder().format(DelimitedFormat.tsv()).user("u").item(1).timestamp(2).build());
        assertEquals("the user column is given by name (\"u\") but the format has no header line", e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> DelimitedEventReader.builder().user(0).item(0).timestamp(2).build());
        assertEquals("the user and item columns are both column 1", e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> DelimitedEventReader.builder().user(0).item(1).build());
        assertEquals("the timestamp column is not mapped", e.getMessage());
        IllegalStateException e2 = assertThrows(IllegalStateException.class, () -> read(DelimitedEventReader.builder().format(DelimitedFormat.csv())
                .user("a").item(1).timestamp(2).build(), "b,a,c\n1,2,3\n", new EventTableBuilder()));
        assertEquals("events.csv: the user and item columns are both column 2", e2.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DelimitedFormat.of(""));
        assertThrows(IllegalArgumentException.class, () -> DelimitedFormat.of("a\nb"));
        assertThrows(IllegalArgumentException.class, () -> DelimitedFormat.of(",\"").withQuote('"'));
        assertThrows(IllegalArgumentException.class, () -> DelimitedFormat.of(",").withCharset(StandardCharsets.UTF_16));
    }

    @Test
    void separatorsOfOneAndSeveralCharacters() throws IOException {
        for (String sep : new String[] {"\t", "|", ";", "::", "<|>"}) {
            DelimitedEventReader r = DelimitedEventReader.builder().format(DelimitedFormat.of(sep)).user(0).item(1).timestamp(2).type(3).build();
            EventTableBuilder b = new EventTableBuilder();
            // parts of the separator inside a field are data
            String u = sep.length() > 1 ? "u" + sep.substring(0, sep.length() - 1) + "1" : "u1";
            read(r, String.join(sep, u, "i", "5", "t") + "\n" + String.join(sep, "u2", "j", "6", "s"), b);
            assertEquals(List.of(u + "|i|5|1.0|t", "u2|j|6|1.0|s"), events(b), sep);
        }
        // "a:" then "::": the first full "::" splits, as in the ML-1M format
        DelimitedEventReader r = DelimitedEventReader.builder().format(DelimitedFormat.of("::")).user(0).item(1).timestamp(2).build();
        EventTableBuilder b = new EventTableBuilder();
        read(r, "a:::b::7\n", b);
        assertEquals(List.of("a|:b|7|1.0|"), events(b));
    }

    @Test
    void quotedFieldsValues() throws IOException {
        // multi-line ids must be allowed explicitly (a quoted id spanning lines is refused by default: see DelimitedFaultsTest)
        DelimitedEventReader r = csv3().lenient(true).multilineIds(true).build();
        EventTableBuilder b = new EventTableBuilder();
        ReadReport rep = read(r, "\"u,1\",\"i \"\"x\"\"\",1\n  \"u2\"  , \" j \" ,2\n\"multi\nline\",k,3\nplain\"quote,m,4\n\"\",n,5\nu,i,x\n", b);
        assertEquals(List.of("u,1|i \"x\"|1|1.0|", "u2| j |2|1.0|", "multi\nline|k|3|1.0|", "plain\"quote|m|4|1.0|"), events(b));
        assertEquals(List.of("events.csv:6: field 'user' (column 1): empty id", "events.csv:7: field 'timestamp' (column 3): not an integer: \"x\""),
                rep.errors(), "line numbers count the line inside the quoted field");
        assertEquals(7, rep.lines());
    }

    @Test
    void timestampsInMillisAndIso() throws IOException {
        long t = Instant.parse("2000-12-31T22:12:40Z").getEpochSecond();
        String[][] cases = {
                {"UNIX_MILLIS", "978300760999"},
                {"ISO_INSTANT", "2000-12-31T22:12:40.999Z"},
                {"ISO_INSTANT", "2001-01-01T00:12:40+02:00"},
                {"ISO_INSTANT", "2000-12-31 17:12:40-05"},
        };
        for (String[] c : cases) {
            EventTableBuilder b = new EventTableBuilder();
            read(csv3().timestampFormat(TimestampFormat.valueOf(c[0])).build(), "u,i," + c[1] + "\n", b);
            assertEquals(List.of("u|i|" + t + "|1.0|"), events(b), c[1]);
        }
        EventTableBuilder b = new EventTableBuilder();
        read(csv3().timestampFormat(TimestampFormat.ISO_DATE).build(), "u,i,2000-12-31\nu,i,1969-12-31\n", b);
        assertEquals(List.of("u|i|978220800|1.0|", "u|i|-86400|1.0|"), events(b));
    }

    /** One malformed line each, with the exact message a strict read gives. */
    private static final String[][] BAD = {
            {"u1,i1\n", "events.csv:2: field 'timestamp' (column 3, header \"ts\"): missing: the line has only 2 fields"},
            {"u1\n", "events.csv:2: field 'item' (column 2, header \"item_id\"): missing: the line has only 1 field (is the separator \",\" right?)"},
            {"u1,i1,12x,1\n", "events.csv:2: field 'timestamp' (column 3, header \"ts\"): not an integer: \"12x\""},
            {"u1,i1,,1\n", "events.csv:2: field 'timestamp' (column 3, header \"ts\"): empty: \"\""},
            {"u1,i1,99999999999999999999,1\n", "events.csv:2: field 'timestamp' (column 3, header \"ts\"): integer out of range: \"99999999999999999999\""},
            {"u1,i1,5,-1\n", "events.csv:2: field 'weight' (column 4, header \"w\"): negative weight: \"-1\""},
            {"u1,i1,5,NaN\n", "events.csv:2: field 'weight' (column 4, header \"w\"): not a finite number: \"NaN\""},
            {"u1,i1,5,-Infinity\n", "events.csv:2: field 'weight' (column 4, header \"w\"): not a finite number: \"-Infinity\""},
            {"u1,i1,5,1e40\n", "events.csv:2: field 'weight' (column 4, header \"w\"): out of float range: \"1e40\""},
            {"u1,i1,5,heavy\n", "events.csv:2: field 'weight' (column 4, header \"w\"): not a number: \"heavy\""},
            {",i1,5,1\n", "events.csv:2: field 'user' (column 1, header \"user_id\"): empty id"},
            {"u1, ,5,1\n", "events.csv:2: field 'item' (column 2, header \"item_id\"): empty id"},
            {"u\u00ff1,i1,5,1\n", "events.csv:2: field 'user' (column 1, header \"user_id\"): bytes not valid in UTF-8: \"u\ufffd1\""},
            {"\"u1\"x,i1,5,1\n", "events.csv:2: field 'user' (column 1, header \"user_id\"): unexpected text after the closing quote at byte 5 of the record"},
            {"u1,i1,5,1,\"x\"y\n", "events.csv:2: field 'column 5' (column 5, header \"note\"): unexpected text after the closing quote at byte 14 of the record"},
            {"\"u1,i1,5,1\n", "events.csv:2: field 'user' (column 1, header \"user_id\"): unterminated quoted field (opening quote at byte 1 of the record)"},
    };

    private static byte[] badBytes(String line) {
        // the \u00ff in BAD stands for a lone 0xFF byte, which is never valid UTF-8
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < b.length; i++) {
            if (b[i] == (byte) 0xC3 && i + 1 < b.length && b[i + 1] == (byte) 0xBF) {
                out.write(0xFF);
                i++;
            } else {
                out.write(b[i]);
            }
        }
        return out.toByteArray();
    }

    private static final String HEADER = "user_id,item_id,ts,w,note\n";

    private static DelimitedEventReader.Builder withHeader() {
        return DelimitedEventReader.builder().format(DelimitedFormat.csv()).user("user_id").item("item_id").timestamp("ts").weight("w");
    }

    @Test
    void everyKindOfMalformedLineNamesFileLineAndField() throws IOException {
        DelimitedEventReader strict = withHeader().build();
        for (String[] c : BAD) {
            byte[] text = badBytes(HEADER + c[0]);
            MalformedInputException e = assertThrows(MalformedInputException.class,
                    () -> strict.read(new ByteArrayInputStream(text), "events.csv", new EventTableBuilder()), c[0]);
            assertEquals(c[1], e.getMessage(), c[0]);
            assertEquals(2, e.line());
            assertEquals("events.csv", e.source());
        }
    }

    @Test
    void lenientSkipsCountsAndLeavesNoTrace() throws IOException {
        StringBuilder text = new StringBuilder(HEADER);
        List<String> expected = new ArrayList<>();
        List<String> good = new ArrayList<>();
        int line = 1;
        for (int k = 0; k < BAD.length; k++) {
            text.append("good").append(k).append(",item,").append(k).append(",2\n");
            good.add("good" + k + "|item|" + k + "|2.0|");
            line++;
            text.append(BAD[k][0]);
            line++;
            expected.add(BAD[k][1].replace("events.csv:2:", "events.csv:" + line + ":"));
        }
        DelimitedEventReader lenient = withHeader().lenient(true).maxErrors(100).build();
        EventTableBuilder b = new EventTableBuilder();
        ReadReport rep = lenient.read(new ByteArrayInputStream(badBytes(text.toString())), "events.csv", b);
        assertEquals(good, events(b));
        assertEquals(BAD.length, rep.skipped());
        assertEquals(BAD.length, rep.events());
        assertEquals(expected, rep.errors());
        assertEquals(rep.lines(), rep.headerLines() + rep.blankLines() + rep.commentLines() + rep.accepted() + rep.skipped());
        // users of skipped lines never reached the dictionary
        assertEquals(BAD.length, b.users().size());
        assertEquals(1, b.items().size());

        DelimitedEventReader few = withHeader().lenient(true).maxErrors(3).build();
        rep = few.read(new ByteArrayInputStream(badBytes(text.toString())), "events.csv", new EventTableBuilder());
        assertEquals(3, rep.errors().size());
        assertEquals(BAD.length, rep.skipped());
        assertTrue(rep.toString().contains("first 3 of " + BAD.length + " errors:"), rep.toString());
    }

    @Test
    void gzipIsRecognisedByItsMagicBytes(@TempDir Path dir) throws IOException {
        DelimitedEventReader r = csv3().build();
        String text = "u1,i1,1\nu2,i2,2\n";
        Path disguised = dir.resolve("events.txt");
        Files.write(disguised, gzip(text.getBytes(StandardCharsets.UTF_8)));
        EventTableBuilder b = new EventTableBuilder();
        r.read(disguised, b);
        assertEquals(List.of("u1|i1|1|1.0|", "u2|i2|2|1.0|"), events(b));

        Path plain = dir.resolve("events.csv.gz");
        Files.writeString(plain, text);
        b = new EventTableBuilder();
        r.read(plain, b);
        assertEquals(2, b.size());

        // two gzip members one after the other (as `cat a.gz b.gz` makes) are one stream
        Path twoMembers = dir.resolve("two.gz");
        byte[] m1 = gzip("u1,i1,1\n".getBytes(StandardCharsets.UTF_8)), m2 = gzip("u2,i2,2\n".getBytes(StandardCharsets.UTF_8));
        byte[] both = Arrays.copyOf(m1, m1.length + m2.length);
        System.arraycopy(m2, 0, both, m1.length, m2.length);
        Files.write(twoMembers, both);
        b = new EventTableBuilder();
        r.read(twoMembers, b);
        assertEquals(List.of("u1|i1|1|1.0|", "u2|i2|2|1.0|"), events(b));

        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 20000; i++) many.append("user").append(i).append(",item").append(i % 97).append(',').append(i).append('\n');
        byte[] gz = gzip(many.toString().getBytes(StandardCharsets.UTF_8));
        Path truncated = dir.resolve("truncated.gz");
        Files.write(truncated, Arrays.copyOf(gz, gz.length / 2));
        IOException e = assertThrows(java.util.zip.ZipException.class, () -> r.read(truncated, new EventTableBuilder()));
        assertTrue(e.getMessage().startsWith(truncated + ": truncated gzip file"), e.getMessage());

        Path badHeader = dir.resolve("bad.gz");
        Files.write(badHeader, new byte[] {0x1f, (byte) 0x8b, 1, 2, 3});
        e = assertThrows(java.util.zip.ZipException.class, () -> r.read(badHeader, new EventTableBuilder()));
        assertTrue(e.getMessage().startsWith(badHeader + ": corrupt gzip data: compression method 1"), e.getMessage());
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(data);
        }
        return bos.toByteArray();
    }

    @Test
    void emptyInputs(@TempDir Path dir) throws IOException {
        Path empty = dir.resolve("empty.csv");
        Files.write(empty, new byte[0]);
        ReadReport rep = withHeader().build().read(empty, new EventTableBuilder());
        assertEquals(0, rep.lines());
        assertEquals(0, rep.events());
        assertEquals(0, rep.headerLines());
        rep = csv3().build().read(empty, new EventTableBuilder());
        assertEquals(0, rep.events());

        Files.write(dir.resolve("empty.gz"), gzip(new byte[0]));
        rep = csv3().build().read(dir.resolve("empty.gz"), new EventTableBuilder());
        assertEquals(0, rep.lines());

        EventTableBuilder b = new EventTableBuilder();
        rep = read(withHeader().format(DelimitedFormat.csv().withCommentPrefix("#")).build(), "# nothing yet\n\n", b);
        assertEquals(2, rep.lines());
        assertEquals(1, rep.commentLines());
        assertEquals(1, rep.blankLines());
        assertEquals(0, b.size());

        rep = read(withHeader().build(), HEADER, b);
        assertEquals(1, rep.headerLines());
        assertEquals(0, b.size());
    }

    @Test
    void commentsCrLfAndByteOrderMark() throws IOException {
        DelimitedEventReader r = withHeader().format(DelimitedFormat.csv().withCommentPrefix("//")).build();
        EventTableBuilder b = new EventTableBuilder();
        ReadReport rep = read(r, "\uFEFFuser_id,item_id,ts,w\r\n// a comment\r\n\r\nu1,i1,5,0.25\r\n/not a comment,i2,6,1\r\n", b);
        assertEquals(List.of("u1|i1|5|0.25|", "/not a comment|i2|6|1.0|"), events(b));
        assertEquals(5, rep.lines());
        assertEquals(1, rep.headerLines());
        assertEquals(1, rep.commentLines());
        assertEquals(1, rep.blankLines());
        assertEquals(2, rep.events());
    }

    @Test
    void charsets() throws IOException {
        byte[] latin1 = "Ren\u00e9,caf\u00e9,1\n".getBytes(StandardCharsets.ISO_8859_1);
        EventTableBuilder b = new EventTableBuilder();
        csv3().format(DelimitedFormat.of(",").withCharset(StandardCharsets.ISO_8859_1)).build()
                .read(new ByteArrayInputStream(latin1), "latin1.csv", b);
        assertEquals(List.of("Ren\u00e9|caf\u00e9|1|1.0|"), events(b));
        MalformedInputException e = assertThrows(MalformedInputException.class,
                () -> csv3().build().read(new ByteArrayInputStream(latin1), "latin1.csv", new EventTableBuilder()));
        assertEquals("latin1.csv:1: field 'user' (column 1): bytes not valid in UTF-8: \"Ren\ufffd\"", e.getMessage());

        b = new EventTableBuilder();
        csv3().build().read(new ByteArrayInputStream("\u00fcber,\u20ac\ud83d\ude00,1\n".getBytes(StandardCharsets.UTF_8)), "utf8.csv", b);
        assertEquals(List.of("\u00fcber|\u20ac\ud83d\ude00|1|1.0|"), events(b));
    }

    @Test
    void incrementalLoadsShareDictionaries() throws IOException {
        DelimitedEventReader r = csv3().type(3).build();
        EventTableBuilder b = new EventTableBuilder();
        ReadReport first = read(r, "u1,i1,1,click\nu2,i2,2,buy\n", b);
        ReadReport second = read(r, "u2,i3,3,click\nu3,i1,4,view\n", b);
        assertEquals(2, first.note("new users"));
        assertEquals(1, second.note("new users"));
        assertEquals(1, second.note("new items"));
        assertEquals(1, second.note("new behaviour types"));
        assertEquals(List.of("u1", "u2", "u3"), b.users().ids());
        assertEquals(List.of("", "click", "buy", "view"), b.types().ids());
        assertEquals(List.of("u1|i1|1|1.0|click", "u2|i2|2|1.0|buy", "u2|i3|3|1.0|click", "u3|i1|4|1.0|view"), events(b));
    }

    @Test
    void closedTypesRejectUnknownOnes() throws IOException {
        DelimitedEventReader r = csv3().type(3).closedTypes(true).build();
        EventTableBuilder b = new EventTableBuilder();
        b.types().add("click");
        read(r, "u1,i1,1,click\n", b);
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> read(r, "u1,i1,1,clikc\n", b));
        assertEquals("events.csv:1: field 'type' (column 4): unknown behaviour type \"clikc\"; allowed: [, click]", e.getMessage());
        e = assertThrows(MalformedInputException.class, () -> read(r, "u1,i1,1,\n", b));
        assertEquals("events.csv:1: field 'type' (column 4): empty behaviour type", e.getMessage());
    }

    @Test
    void reportPrints() throws IOException {
        ReadReport rep = read(csv3().lenient(true).build(), "u,i,1\nu,i,x\n\n", new EventTableBuilder());
        String s = rep.toString();
        assertTrue(s.startsWith("events.csv: 1 events from 3 lines, 1 blank, 1 malformed skipped"), s);
        assertTrue(s.contains("events.csv:2: field 'timestamp' (column 3): not an integer: \"x\""), s);
        assertTrue(s.contains("new users: 1"), s);
    }
}
