package org.lurm.events.io;

import org.lurm.io.Inputs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.memory.MemoryScope;

/**
 * The reading faults of issue 12 (items 3, 4 and the gzip part of 8), each as the class of input that showed it:
 * lone-CR line breaks, stray quotes that merge lines, and damaged gzip. Each test failed on the reader before the
 * fix (data silently lost, or the wrong exception type).
 */
class DelimitedFaultsTest {
    @TempDir
    Path dir;

    private static List<String> events(EventTableBuilder b) {
        List<String> out = new ArrayList<>();
        try (MemoryScope scope = MemoryScope.root("events")) {
            EventTable t = b.build(scope);
            for (long i = 0; i < t.size(); i++) out.add(t.users().id(t.user(i)) + "|" + t.items().id(t.item(i)) + "|" + t.timestamp(i));
        }
        return out;
    }

    private static ReadReport read(DelimitedEventReader r, String text, EventTableBuilder b) throws IOException {
        return r.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "events.csv", b);
    }

    private static DelimitedEventReader.Builder positional(String sep) {
        return DelimitedEventReader.builder().format(DelimitedFormat.of(sep)).user(0).item(1).timestamp(2);
    }

    /** user,item,ts,rating lines as "u{i},i{i%7},{1000+i},{i%5}" and the events they must give. */
    private static List<String> lines(int n, int from) {
        List<String> l = new ArrayList<>();
        for (int i = from; i < from + n; i++) l.add("u" + i + ",i" + (i % 7) + "," + (1000 + i) + "," + (i % 5));
        return l;
    }

    private static List<String> expected(List<String> lines) {
        return lines.stream().map(s -> {
            String[] f = s.split(",");
            return f[0] + "|" + f[1] + "|" + f[2];
        }).toList();
    }

    // ------------------------------------------------------------------------------------------ item 3: CR

    @Test
    void loneCrLineBreaksAreLineBreaks() throws IOException {
        // 200 events, old Mac line breaks, four columns of which three are read: before the fix, "1 events from 1 lines"
        List<String> l = lines(200, 0);
        EventTableBuilder b = new EventTableBuilder();
        ReadReport r = read(positional(",").build(), String.join("\r", l) + "\r", b);
        assertEquals(expected(l), events(b));
        assertEquals(200, r.lines());
        assertEquals(200, r.accepted());
        assertEquals(200, r.note(DelimitedEventReader.NOTE_LONE_CR));
    }

    @Test
    void loneCrLinesInsideAnLfFileLoseNothing() throws IOException {
        // 50 CR-terminated lines in the middle of an LF file (a paste from another editor): before the fix 49 were lost
        List<String> head = lines(100, 0), mid = lines(50, 100), tail = lines(100, 150);
        String text = String.join("\n", head) + "\n" + String.join("\r", mid) + "\r" + String.join("\r\n", tail) + "\r\n";
        List<String> all = new ArrayList<>(head);
        all.addAll(mid);
        all.addAll(tail);
        EventTableBuilder b = new EventTableBuilder();
        ReadReport r = read(positional(",").build(), text, b);
        assertEquals(expected(all), events(b));
        assertEquals(250, r.lines());
        assertEquals(50, r.note(DelimitedEventReader.NOTE_LONE_CR), "CRLF is not a lone CR");
    }

    @Test
    void loneCrWithMultiByteSeparatorCommentsAndBlankLines() throws IOException {
        DelimitedEventReader rd = DelimitedEventReader.builder().format(DelimitedFormat.of("::").withCommentPrefix("#")).user(0).item(1).timestamp(2).build();
        EventTableBuilder b = new EventTableBuilder();
        ReadReport r = read(rd, "# comment\ra::b::1\r\r  \rc::d::2\r\n#x\re::f::3", b);
        assertEquals(List.of("a|b|1", "c|d|2", "e|f|3"), events(b));
        assertEquals(7, r.lines());
        assertEquals(2, r.commentLines());
        assertEquals(2, r.blankLines());
    }

    @Test
    void loneCrSplitAcrossReadsIsOneLineBreak() throws IOException {
        // the stream hands out one byte at a time, so a CR is always the last byte read: is an LF next?
        String text = "a,b,1\rc,d,2\r\ne,f,3\r";
        EventTableBuilder b = new EventTableBuilder();
        ReadReport r = positional(",").build().read(new TrickleInputStream(text.getBytes(StandardCharsets.UTF_8), new java.util.Random(7), 1), "t", b);
        assertEquals(List.of("a|b|1", "c|d|2", "e|f|3"), events(b));
        assertEquals(3, r.lines());
    }

    // ----------------------------------------------------------------------------------- item 4: stray quote

    private static String strayQuoteFile() {
        // line 3 opens a quote in the user id that the file never meant: it would swallow lines 4-5 up to the quote on line 5
        return "u1,i1,1\nu2,i2,2\n\"u3,i3,3\nu4,i4,4\nu5\",i5,5\nu6,i6,6\n";
    }

    @Test
    void strayQuoteInAnIdIsAnErrorNamingFileLineAndField() {
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> read(positional(",").build(), strayQuoteFile(), new EventTableBuilder()));
        assertEquals(3, e.line());
        assertEquals("user", e.field());
        assertTrue(e.getMessage().startsWith("events.csv:3: field 'user' (column 1): a quoted field spans 3 lines (lines 3 to 5)"), e.getMessage());
    }

    @Test
    void strayQuoteLenientSkipsOnlyItsLine() throws IOException {
        EventTableBuilder b = new EventTableBuilder();
        ReadReport r = read(positional(",").lenient(true).build(), strayQuoteFile(), b);
        // line 3 skipped; line 5's quote is in the middle of its field, an ordinary character
        assertEquals(List.of("u1|i1|1", "u2|i2|2", "u4|i4|4", "u5\"|i5|5", "u6|i6|6"), events(b));
        assertEquals(1, r.skipped());
        assertEquals(6, r.lines());
        assertEquals(r.lines(), r.accepted() + r.skipped() + r.note(DelimitedEventReader.NOTE_CONTINUATION));
    }

    @Test
    void multilineIdsWhenAllowed() throws IOException {
        EventTableBuilder b = new EventTableBuilder();
        ReadReport r = read(positional(",").multilineIds(true).build(), strayQuoteFile(), b);
        assertEquals(List.of("u1|i1|1", "u2|i2|2", "u3,i3,3\nu4,i4,4\nu5|i5|5", "u6|i6|6"), events(b));
        assertEquals(6, r.lines());
        assertEquals(2, r.note(DelimitedEventReader.NOTE_CONTINUATION), "the two lines inside the quoted field are accounted for");
        assertEquals(r.lines(), r.accepted() + r.note(DelimitedEventReader.NOTE_CONTINUATION));
    }

    @Test
    void timestampsNeverSpanLinesEvenWithMultilineIds() {
        MalformedInputException e = assertThrows(MalformedInputException.class,
                () -> read(positional(",").multilineIds(true).build(), "u,i,\"1\n2\"\n", new EventTableBuilder()));
        assertEquals("timestamp", e.field());
        assertEquals(1, e.line());
    }

    @Test
    void multilineTextInAnUnmappedColumnIsCountedNotLost() throws IOException {
        String text = "u1,i1,1,\"a review\nover two lines\"\nu2,i2,2,short\nu3,i3,3,\"three\r\nline\rreview\"\n";
        EventTableBuilder b = new EventTableBuilder();
        ReadReport r = read(positional(",").build(), text, b);
        assertEquals(List.of("u1|i1|1", "u2|i2|2", "u3|i3|3"), events(b));
        assertEquals(6, r.lines());
        assertEquals(3, r.note(DelimitedEventReader.NOTE_CONTINUATION));
        assertEquals(4, r.note(DelimitedEventReader.NOTE_MULTILINE_COLUMN));
        assertEquals(r.lines(), r.accepted() + r.note(DelimitedEventReader.NOTE_CONTINUATION));
    }

    // ------------------------------------------------------------------------------------------ item 8: gzip

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(bo)) {
            g.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return bo.toByteArray();
    }

    private String bigText() {
        return String.join("\n", lines(5000, 0)) + "\n";
    }

    /** Reads leniently, so that garbage decoded before the damage is detected cannot end the read first. */
    private Exception readFile(byte[] bytes) throws IOException {
        Path f = dir.resolve("ev.csv.gz");
        Files.write(f, bytes);
        return assertThrows(Exception.class, () -> positional(",").lenient(true).build().read(f, new EventTableBuilder()));
    }

    @Test
    void truncatedGzipIsBadInputNamingTheFile() throws IOException {
        byte[] g = gzip(bigText());
        for (int cut : new int[] {3, 10, g.length / 2, g.length - 5, g.length - 1}) {
            Exception e = readFile(Arrays.copyOf(g, cut));
            assertTrue(e instanceof ZipException, cut + ": " + e);
            assertTrue(e.getMessage().startsWith(dir.resolve("ev.csv.gz") + ": truncated gzip file"), e.getMessage());
        }
    }

    @Test
    void corruptGzipIsBadInputNamingTheFile() throws IOException {
        byte[] g = gzip(bigText());
        byte[] data = g.clone();
        data[g.length / 2] ^= 0x55;
        Exception e = readFile(data);
        assertTrue(e instanceof ZipException, e.toString());
        assertTrue(e.getMessage().startsWith(dir.resolve("ev.csv.gz") + ": corrupt gzip data"), e.getMessage());
        byte[] crc = g.clone();
        crc[g.length - 6] ^= 1; // the CRC-32 in the trailer
        e = readFile(crc);
        assertTrue(e.getMessage().contains("CRC-32 mismatch"), e.getMessage());
        byte[] size = g.clone();
        size[g.length - 1] ^= 1; // the length in the trailer
        e = readFile(size);
        assertTrue(e.getMessage().contains("length mismatch"), e.getMessage());
    }

    @Test
    void dataAfterTheGzipStreamIsAnError() throws IOException {
        byte[] g = gzip(bigText());
        for (byte[] junk : new byte[][] {"junkjunk\n".getBytes(StandardCharsets.US_ASCII), {0}, {0x1f}, {0x1f, (byte) 0x8b}}) {
            byte[] withJunk = Arrays.copyOf(g, g.length + junk.length);
            System.arraycopy(junk, 0, withJunk, g.length, junk.length);
            Exception e = readFile(withJunk);
            assertTrue(e instanceof ZipException, e.toString());
            assertTrue(e.getMessage().startsWith(dir.resolve("ev.csv.gz").toString()), e.getMessage());
        }
    }

    @Test
    void concatenatedGzipMembersAreOneFile() throws IOException {
        List<String> a = lines(300, 0), c = lines(300, 300);
        byte[] g1 = gzip(String.join("\n", a) + "\n"), g2 = gzip(String.join("\n", c) + "\n");
        byte[] both = Arrays.copyOf(g1, g1.length + g2.length);
        System.arraycopy(g2, 0, both, g1.length, g2.length);
        Path f = dir.resolve("two.csv.gz");
        Files.write(f, both);
        EventTableBuilder b = new EventTableBuilder();
        ReadReport r = positional(",").build().read(f, b);
        List<String> all = new ArrayList<>(a);
        all.addAll(c);
        assertEquals(expected(all), events(b));
        assertEquals(600, r.lines());
    }

    @Test
    void gzipWithHeaderFieldsAndTrickledBytes() throws IOException {
        // FNAME, FCOMMENT, FEXTRA and FHCRC set by hand; read one byte at a time
        byte[] body = gzip("a,b,1\nc,d,2\n");
        ByteArrayOutputStream h = new ByteArrayOutputStream();
        h.write(new byte[] {0x1f, (byte) 0x8b, 8, 2 | 4 | 8 | 16, 0, 0, 0, 0, 0, 3});
        h.write(new byte[] {3, 0, 'x', 'y', 'z'});
        h.write("name.csv\0".getBytes(StandardCharsets.US_ASCII));
        h.write("a comment\0".getBytes(StandardCharsets.US_ASCII));
        java.util.zip.CRC32 c = new java.util.zip.CRC32();
        c.update(h.toByteArray());
        h.write((int) c.getValue() & 0xff);
        h.write((int) (c.getValue() >> 8) & 0xff);
        h.write(body, 10, body.length - 10); // the deflate data and trailer of a plain member
        InputStream in = Inputs.open(new TrickleInputStream(h.toByteArray(), new java.util.Random(7), 1), "hand.gz");
        EventTableBuilder b = new EventTableBuilder();
        positional(",").build().read(in, "hand.gz", b);
        assertEquals(List.of("a|b|1", "c|d|2"), events(b));
        byte[] badHcrc = h.toByteArray();
        badHcrc[10 + 5 + 9 + 10] ^= 1;
        ZipException e = assertThrows(ZipException.class, () -> Inputs.open(new ByteArrayInputStream(badHcrc), "hand.gz").readAllBytes());
        assertTrue(e.getMessage().contains("header checksum"), e.getMessage());
    }
}
