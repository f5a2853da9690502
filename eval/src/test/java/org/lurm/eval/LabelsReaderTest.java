package org.lurm.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.events.IdDictionary;
import org.lurm.events.io.DelimitedFormat;
import org.lurm.events.io.MalformedInputException;

/** Labels files: binary, multi-class and multi-label columns, unknown users, errors with file:line:field, lenient skipping, gzip. */
class LabelsReaderTest {
    static IdDictionary users(String... ids) {
        IdDictionary d = new IdDictionary();
        for (String id : ids) d.add(id);
        return d;
    }

    static Map<String, LabelTable.Kind> tasks() {
        Map<String, LabelTable.Kind> t = new LinkedHashMap<>();
        t.put("churned", LabelTable.Kind.BINARY);
        t.put("segment", LabelTable.Kind.MULTI_CLASS);
        t.put("likes", LabelTable.Kind.MULTI_LABEL);
        return t;
    }

    @Test
    void readsAllThreeKinds(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("labels.csv.gz");
        String text = """
                # users and their labels
                user,churned,segment,likes
                a,0,gold,jazz|rock
                b,1,silver,
                "c",1,,rock
                zz,0,gold,pop
                d,0,bronze,"jazz | pop"
                """;
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(f))) {
            out.write(text.getBytes());
        }
        IdDictionary u = users("a", "b", "c", "d", "e");
        var r = new LabelsReader(DelimitedFormat.csv().withHeader(true).withCommentPrefix("#"), "user", tasks(), false).read(f, u);
        assertEquals(3, r.tables().size());
        LabelTable churn = r.tables().get(0), seg = r.tables().get(1), likes = r.tables().get(2);
        assertEquals(List.of("0", "1"), churn.classes());
        assertEquals(LabelTable.Kind.BINARY, churn.kind());
        assertEquals(1, churn.classOf(1));
        assertEquals(-1, churn.classOf(4), "e is not in the file");
        assertEquals(List.of("bronze", "gold", "silver"), seg.classes());
        assertEquals(-1, seg.classOf(2), "empty multi-class field: no label");
        assertEquals(List.of("jazz", "pop", "rock"), likes.classes());
        assertArrayEquals(new int[] {0, 2}, likes.classesOf(0));
        assertArrayEquals(new int[0], likes.classesOf(1), "empty multi-label field: the empty set");
        assertArrayEquals(new int[] {0, 1}, likes.classesOf(3));
        assertNull(likes.classesOf(4));
        assertEquals(1, r.report().note("users not in the events"));
        assertEquals(4, r.report().accepted());
    }

    @Test
    void errorsNameFileLineAndFieldOrAreSkippedWhenLenient(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.tsv");
        Files.writeString(f, "user\tchurned\tsegment\tlikes\na\t1\tx\tp\nb\t0\ty\nb\t0\ty\tq\nc\t0\tx\tq\n");
        IdDictionary u = users("a", "b", "c");
        DelimitedFormat tsv = DelimitedFormat.tsv().withHeader(true);
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> new LabelsReader(tsv, "user", tasks(), false).read(f, u));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        var r = new LabelsReader(tsv, "user", tasks(), true).read(f, u);
        assertEquals(1, r.report().skipped());
        assertEquals(3, r.report().accepted());

        Files.writeString(f, "user\tchurned\tsegment\tlikes\na\t1\tx\tp\na\t0\ty\tq\n");
        MalformedInputException twice = assertThrows(MalformedInputException.class, () -> new LabelsReader(tsv, "user", tasks(), false).read(f, u));
        assertEquals(3, twice.line());
        assertEquals("user", twice.field());
        assertTrue(twice.getMessage().contains("twice"), twice.getMessage());

        Files.writeString(f, "user\tchurned\tsegment\tlikes\na\t1\tx\tp\nb\t2\ty\tq\nc\t3\tx\tq\n");
        MalformedInputException three = assertThrows(MalformedInputException.class, () -> new LabelsReader(tsv, "user", tasks(), false).read(f, u));
        assertEquals("churned", three.field());

        MalformedInputException col = assertThrows(MalformedInputException.class, () -> new LabelsReader(tsv, "id", tasks(), false).read(f, u));
        assertTrue(col.getMessage().contains("no column 'id'"), col.getMessage());
    }

    /** Numbered columns without a header: 2 = churned (binary), 3 = segment (multi-class). */
    static Map<String, LabelTable.Kind> numbered() {
        Map<String, LabelTable.Kind> t = new LinkedHashMap<>();
        t.put("2", LabelTable.Kind.BINARY);
        t.put("3", LabelTable.Kind.MULTI_CLASS);
        return t;
    }

    @Test
    void aHeaderReadAsDataIsPassedOverWithAWarningNamingFileLineAndField(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("labels.csv");
        Files.writeString(f, "# comment\nuser,churned,segment\na,0,gold\nb,1,silver\nc,1,gold\n");
        IdDictionary u = users("a", "b", "c");
        DelimitedFormat noHeader = DelimitedFormat.csv().withHeader(false).withCommentPrefix("#");
        var r = new LabelsReader(noHeader, "1", numbered(), false).read(f, u);
        assertEquals(List.of(f + ":2: field 1 (user id 'user') looks like a header row read as data: 'user' is not a user of the events and 'churned', "
                + "'segment' occur on no other line; the line was passed over. If it names the columns, read the file with a header so the tasks take those names"),
                r.warnings());
        assertEquals(List.of("0", "1"), r.tables().get(0).classes(), "the header's 'churned' is no class");
        assertEquals(List.of("gold", "silver"), r.tables().get(1).classes());
        assertEquals(3, r.report().accepted());

        // read with the header: no warning, the same classes
        var h = new LabelsReader(noHeader.withHeader(true), "user", Map.of("churned", LabelTable.Kind.BINARY), false).read(f, u);
        assertTrue(h.warnings().isEmpty(), h.warnings().toString());
        assertEquals(List.of("0", "1"), h.tables().get(0).classes());

        // an unknown first user whose values other lines share is data, not a header
        Files.writeString(f, "zz,1,gold\na,0,gold\nb,1,silver\nc,1,gold\n");
        assertTrue(new LabelsReader(noHeader, "1", numbered(), false).read(f, u).warnings().isEmpty());
        // nor is a first line of a known user
        Files.writeString(f, "a,x,y\nb,1,silver\nc,0,gold\n");
        assertTrue(new LabelsReader(noHeader, "1", Map.of("3", LabelTable.Kind.MULTI_CLASS), false).read(f, u).warnings().isEmpty());
    }

    @Test
    void aFirstRecordWithoutTheNamedColumnsStopsALenientRead(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("labels.csv");
        Files.writeString(f, "id,churned,segment,likes\na,0,x,p\nb,1,y,q\n");
        IdDictionary u = users("a", "b");
        DelimitedFormat csv = DelimitedFormat.csv().withHeader(true);
        // was: the header skipped as a malformed line, then IndexOutOfBoundsException on line 2
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> new LabelsReader(csv, "user", tasks(), true).read(f, u));
        assertEquals(1, e.line());
        assertEquals("user", e.field());
        assertTrue(e.getMessage().startsWith(f + ":1: ") && e.getMessage().contains("no column 'user'"), e.getMessage());

        // without a header: the first line has no column 3
        Files.writeString(f, "a,0\nb,1,y\n");
        MalformedInputException n = assertThrows(MalformedInputException.class,
                () -> new LabelsReader(DelimitedFormat.csv().withHeader(false), "1", numbered(), true).read(f, u));
        assertEquals(1, n.line());
        assertEquals("3", n.field());
    }

    @Test
    void unquotedFieldsLoseSpacesAndTabsOnlyNotOtherWhiteSpace(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("labels.csv");
        // "a" followed by an EM SPACE (U+2003) is not the user "a"; " b\t" is "b"
        Files.writeString(f, "a\u2003,0,x\n b\t,1,y\nc,0,x\n", StandardCharsets.UTF_8);
        var r = new LabelsReader(DelimitedFormat.csv().withHeader(false), "1", numbered(), false).read(f, users("a", "b", "c"));
        assertEquals(-1, r.tables().get(0).classOf(0), "'a\u2003' is not 'a'");
        assertEquals(1, r.tables().get(0).classOf(1));
        assertEquals(1, r.report().note("users not in the events"));
    }

    @Test
    void undecodableBytesAreReportedAtTheirOwnLine(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("labels.csv");
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes("user,churned,segment\n".getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < 3000; i++) b.writeBytes(("x" + i + "," + (i % 2) + ",s\n").getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(new byte[] {'a', ',', '1', ',', (byte) 0xff, '\n'}); // line 3002
        Files.write(f, b.toByteArray());
        Map<String, LabelTable.Kind> t = Map.of("churned", LabelTable.Kind.BINARY);
        for (boolean lenient : new boolean[] {false, true}) {
            MalformedInputException e = assertThrows(MalformedInputException.class,
                    () -> new LabelsReader(DelimitedFormat.csv().withHeader(true), "user", t, lenient).read(f, users("a")));
            assertEquals(3002, e.line(), e.getMessage());
            assertTrue(e.getMessage().startsWith(f + ":3002: "), e.getMessage());
        }
    }

    @Test
    void gzipIsCheckedWholeAndBytesAfterTheStreamAreRefused(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("labels.csv.gz");
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(b)) {
            out.write("a,0,x\nb,1,y\n".getBytes(StandardCharsets.US_ASCII));
        }
        byte[] whole = b.toByteArray();
        Files.write(f, whole);
        IdDictionary u = users("a", "b");
        assertEquals(1, new LabelsReader(DelimitedFormat.csv().withHeader(false), "1", numbered(), false).read(f, u).tables().get(0).classOf(1));
        byte[] junk = java.util.Arrays.copyOf(whole, whole.length + 4);
        System.arraycopy("junk".getBytes(StandardCharsets.US_ASCII), 0, junk, whole.length, 4);
        Files.write(f, junk);
        // was: java.util.zip.GZIPInputStream passed the trailing bytes over and the read succeeded
        IOException e = assertThrows(IOException.class, () -> new LabelsReader(DelimitedFormat.csv().withHeader(false), "1", numbered(), true).read(f, u));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        Files.write(f, java.util.Arrays.copyOf(whole, whole.length - 3));
        IOException t = assertThrows(IOException.class, () -> new LabelsReader(DelimitedFormat.csv().withHeader(false), "1", numbered(), false).read(f, u));
        assertTrue(t.getMessage().startsWith(f.toString()), t.getMessage());
    }
}
