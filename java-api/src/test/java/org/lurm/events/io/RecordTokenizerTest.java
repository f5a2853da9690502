package org.lurm.events.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lurm.testing.TestData;

/** The record splitter against records written by an independent RFC 4180 writer, across buffer refills. */
class RecordTokenizerTest {
    private static final String[] SEPARATORS = {",", "\t", "|", ";", "::", "<|>", "\u00a7"};
    private static final String ALPHABET = "abcXYZ019 \t,;|:<>\"'\n\r#\u00e9\u20ac\ud83d\ude00";

    private static String randomField(Random r) {
        int len = r.nextInt(4) == 0 ? 0 : r.nextInt(12);
        StringBuilder sb = new StringBuilder();
        while (sb.length() < len) {
            int i = r.nextInt(ALPHABET.length());
            char c = ALPHABET.charAt(i);
            if (Character.isHighSurrogate(c)) sb.append(c).append(ALPHABET.charAt(i + 1));
            else if (!Character.isLowSurrogate(c)) sb.append(c);
        }
        return sb.toString();
    }

    private static List<List<String>> tokenize(InputStream in, DelimitedFormat f) throws IOException {
        RecordTokenizer t = new RecordTokenizer(in, f, "test");
        List<List<String>> out = new ArrayList<>();
        while (t.next()) {
            assertNull(t.error(), () -> "line " + t.line() + ": " + t.error());
            List<String> rec = new ArrayList<>();
            for (int i = 0; i < t.fieldCount(); i++) rec.add(t.string(i));
            out.add(rec);
        }
        return out;
    }

    @Test
    void randomRecordsSplitAsWritten() throws IOException {
        Random r = new Random(TestData.seed("randomRecordsSplitAsWritten"));
        for (int round = 0; round < 300; round++) {
            String sep = SEPARATORS[r.nextInt(SEPARATORS.length)];
            boolean trim = r.nextBoolean();
            DelimitedFormat f = DelimitedFormat.of(sep).withTrim(trim);
            ReferenceWriter w = new ReferenceWriter(sep, '"');
            List<List<String>> records = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            int n = r.nextInt(40);
            for (int i = 0; i < n; i++) {
                List<String> rec = new ArrayList<>();
                int nf = 1 + r.nextInt(6);
                for (int k = 0; k < nf; k++) rec.add(randomField(r));
                records.add(rec);
                // the last line may lack its line break
                w.record(text, rec, i == n - 1 && r.nextBoolean() ? "" : r.nextBoolean() ? "\n" : "\r\n");
            }
            byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
            InputStream in = r.nextBoolean() ? new ByteArrayInputStream(bytes) : new TrickleInputStream(bytes, r, 1 + r.nextInt(9));
            String why = "separator " + DelimitedFormat.escape(sep) + ", trim " + trim + ", text " + DelimitedFormat.escape(text.toString());
            assertEquals(records, tokenize(in, f), why);
        }
    }

    @Test
    void linesBlanksAndCommentsAreCounted() throws IOException {
        String text = "# a comment\na,\"multi\nline\"\n\n   \r\n#another\nb,c\r\n\"\"\nd";
        DelimitedFormat f = DelimitedFormat.of(",").withCommentPrefix("#");
        RecordTokenizer t = new RecordTokenizer(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), f, "x");
        List<Long> lines = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        while (t.next()) {
            lines.add(t.line());
            counts.add(t.fieldCount());
        }
        assertEquals(List.of(2L, 7L, 8L, 9L), lines);
        assertEquals(List.of(2, 2, 1, 1), counts);
        assertEquals(9, t.lines());
        assertEquals(2, t.blankLines());
        assertEquals(2, t.commentLines());
    }

    @Test
    void hugeFieldGrowsTheBuffer() throws IOException {
        StringBuilder big = new StringBuilder();
        Random r = new Random(TestData.seed("hugeFieldGrowsTheBuffer"));
        while (big.length() < 3_000_000) big.append((char) ('a' + r.nextInt(26)));
        String text = "x,\"" + big + "\"\ny,z\n";
        List<List<String>> recs = tokenize(new TrickleInputStream(text.getBytes(StandardCharsets.US_ASCII), r, 100_000), DelimitedFormat.of(","));
        assertEquals(List.of(List.of("x", big.toString()), List.of("y", "z")), recs);
    }

    @Test
    void overlongRecordIsAnErrorAndReadingResumes() throws IOException {
        String text = "a,\"never closed\n" + "b,c\n".repeat(600) + "d,e\n";
        RecordTokenizer t = new RecordTokenizer(new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)),
                DelimitedFormat.of(",").withMaxRecordBytes(1024), "x");
        assertTrue(t.next());
        assertTrue(t.error().startsWith("record longer than 1024 bytes"), t.error());
        assertEquals(1, t.line());
        int good = 0;
        while (t.next()) {
            assertNull(t.error());
            good++;
        }
        assertEquals(601, good);
        assertEquals(602, t.lines());

        // a long line without any line break is skipped as a whole
        String noBreaks = "z".repeat(5000) + "\nq,r\n";
        t = new RecordTokenizer(new ByteArrayInputStream(noBreaks.getBytes(StandardCharsets.US_ASCII)), DelimitedFormat.of(",").withMaxRecordBytes(1024), "x");
        assertTrue(t.next());
        assertTrue(t.error() != null);
        assertTrue(t.next());
        assertEquals(2, t.line());
        assertEquals("q", t.string(0));
        assertFalse(t.next());
    }
}
