package org.lurm.events.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lurm.testing.TestData;

/** The byte-level number and time parsers against the JDK's own parsers as reference, on random inputs. */
class FieldParserTest {
    private final FieldParser p = new FieldParser();

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private String parseLong(String s) {
        byte[] x = b(s);
        return p.parseLong(x, 0, x.length);
    }

    private String parseFloat(String s) {
        byte[] x = b(s);
        return p.parseFloat(x, 0, x.length);
    }

    private String parseTs(String s, TimestampFormat f) {
        byte[] x = b(s);
        return p.parseTimestamp(x, 0, x.length, f);
    }

    @Test
    void integersAgreeWithLongParseLong() {
        Random r = new Random(TestData.seed("integersAgreeWithLongParseLong"));
        String[] edge = {"0", "-0", "+7", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
                "-9223372036854775809", "99999999999999999999", "", "-", "+", "1-2", "12a", " 1", "1.0", "0x10",
                // around the 18 digits that cannot overflow (the fast path) and the checked path beyond
                "999999999999999999", "-999999999999999999", "+999999999999999999", "1000000000000000000", "-1000000000000000000",
                "000000000000000000000001", "-0000000000000000000000", "99999999999999999a", "9999999999999999999", "1700000000"};
        for (int i = 0; i < 20000 + edge.length; i++) {
            String s;
            if (i < edge.length) s = edge[i];
            else if (r.nextInt(4) == 0) s = Long.toString(r.nextLong());
            else s = Long.toString(r.nextLong() >> r.nextInt(64));
            Long ref;
            try {
                ref = Long.parseLong(s);
            } catch (NumberFormatException e) {
                ref = null;
            }
            String err = parseLong(s);
            if (ref == null) assertNotNull(err, "accepted " + s);
            else {
                assertNull(err, s);
                assertEquals(ref.longValue(), p.longValue, s);
            }
        }
    }

    @Test
    void floatsAreCorrectlyRoundedLikeFloatParseFloat() {
        Random r = new Random(TestData.seed("floatsAreCorrectlyRoundedLikeFloatParseFloat"));
        for (int i = 0; i < 100000; i++) {
            String s = switch (r.nextInt(5)) {
                case 0 -> Float.toString(Float.intBitsToFloat(r.nextInt()) * (r.nextBoolean() ? 1 : -1));
                case 1 -> Integer.toString(r.nextInt(1 << 25));
                case 2 -> randomDecimal(r, 1 + r.nextInt(9), r.nextInt(11));
                case 3 -> randomDecimal(r, 1 + r.nextInt(20), r.nextInt(25));
                default -> randomDecimal(r, 1 + r.nextInt(6), r.nextInt(6)) + "e" + (r.nextInt(80) - 40);
            };
            float ref = Float.parseFloat(s);
            String err = parseFloat(s);
            if (Float.isNaN(ref) || Float.isInfinite(ref)) {
                assertNotNull(err, s);
                continue;
            }
            assertNull(err, s);
            assertEquals(Float.floatToIntBits(ref), Float.floatToIntBits(p.floatValue), s + ": " + ref + " vs " + p.floatValue);
        }
    }

    private static String randomDecimal(Random r, int intDigits, int fracDigits) {
        StringBuilder sb = new StringBuilder();
        if (r.nextInt(5) == 0) sb.append('-');
        for (int i = 0; i < intDigits; i++) sb.append((char) ('0' + r.nextInt(10)));
        if (fracDigits > 0) {
            sb.append('.');
            for (int i = 0; i < fracDigits; i++) sb.append((char) ('0' + r.nextInt(10)));
        }
        return sb.toString();
    }

    @Test
    void floatSyntaxIsStricterThanTheJdk() {
        // Float.parseFloat accepts all of these; an event weight must be a plain finite decimal
        for (String s : new String[] {"NaN", "Infinity", "-Infinity", "1f", "2d", "0x1p3", " 1", "1 ", "1e", "e5", ".", "-", "1..2", "1e5.5", ""}) {
            assertNotNull(parseFloat(s), s);
        }
        assertEquals("not a finite number", parseFloat("NaN"));
        assertEquals("out of float range", parseFloat("1e39"));
        assertNull(parseFloat(".5"));
        assertEquals(0.5f, p.floatValue);
        assertNull(parseFloat("5."));
        assertEquals(5f, p.floatValue);
    }

    @Test
    void isoInstantsAgreeWithJavaTime() {
        Random r = new Random(TestData.seed("isoInstantsAgreeWithJavaTime"));
        DateTimeFormatter[] fmts = {DateTimeFormatter.ISO_INSTANT, DateTimeFormatter.ISO_OFFSET_DATE_TIME};
        for (int i = 0; i < 20000; i++) {
            // years 0001..9999, the range yyyy can write
            long sec = -62135596800L + (long) (r.nextDouble() * (253402300799L + 62135596800L));
            int nanos = r.nextInt(3) == 0 ? 0 : r.nextInt(1_000_000_000);
            Instant t = Instant.ofEpochSecond(sec, nanos);
            int hours = r.nextInt(35) - 17; // offsets -17:45 .. +17:45
            ZoneOffset off = ZoneOffset.ofTotalSeconds(hours * 3600 + (hours < 0 ? -1 : 1) * r.nextInt(4) * 15 * 60);
            String s = fmts[r.nextInt(2)].format(OffsetDateTime.ofInstant(t, off));
            if (s.startsWith("+") || s.startsWith("-")) continue; // years beyond 4 digits after the offset shift
            String err = parseTs(s, TimestampFormat.ISO_INSTANT);
            assertNull(err, s);
            long ref = OffsetDateTime.parse(s).toEpochSecond();
            assertEquals(ref, p.longValue, s);
        }
        // the forms the reader allows beyond DateTimeFormatter's
        assertNull(parseTs("2000-12-31 22:12Z", TimestampFormat.ISO_INSTANT));
        assertEquals(Instant.parse("2000-12-31T22:12:00Z").getEpochSecond(), p.longValue);
        assertNull(parseTs("2001-01-01T00:12:40+0200", TimestampFormat.ISO_INSTANT));
        assertEquals(Instant.parse("2000-12-31T22:12:40Z").getEpochSecond(), p.longValue);
        assertNull(parseTs("2001-01-01T05:12:40.999-05", TimestampFormat.ISO_INSTANT));
        assertEquals(Instant.parse("2001-01-01T10:12:40Z").getEpochSecond(), p.longValue);
        assertNull(parseTs("1969-12-31T23:59:59.5Z", TimestampFormat.ISO_INSTANT));
        assertEquals(-1, p.longValue, "fractions are floored");
    }

    @Test
    void badIsoInstantsAreRejected() {
        for (String s : new String[] {"2000-12-31T22:12:40", "2000-12-31", "2000-13-01T00:00:00Z", "2001-02-29T00:00:00Z",
                "2000-12-31T24:00:00Z", "2000-12-31T23:60:00Z", "2000-12-31T23:59:60Z", "2000-12-31X23:59:59Z",
                "2000-12-31T23:59:59+19:00", "2000-12-31T23:59:59.Z", "2000-12-31T23:59:59.1234567890Z",
                "2000-12-31T23:59:59Zjunk", "20001231T235959Z", "978300760", ""}) {
            assertNotNull(parseTs(s, TimestampFormat.ISO_INSTANT), s);
        }
        assertEquals("ISO-8601 instant without zone designator (add Z or an offset such as +01:00)", parseTs("2000-12-31T22:12:40", TimestampFormat.ISO_INSTANT));
    }

    @Test
    void isoDatesAgreeWithLocalDate() {
        Random r = new Random(TestData.seed("isoDatesAgreeWithLocalDate"));
        for (int i = 0; i < 20000; i++) {
            int y = r.nextInt(10000), m = 1 + r.nextInt(13), d = 1 + r.nextInt(31);
            String s = String.format("%04d-%02d-%02d", y, m, d);
            Long ref;
            try {
                ref = LocalDate.parse(s).toEpochDay() * 86400L;
            } catch (DateTimeException e) {
                ref = null;
            }
            String err = parseTs(s, TimestampFormat.ISO_DATE);
            if (ref == null) assertNotNull(err, s);
            else {
                assertNull(err, s);
                assertEquals(ref.longValue(), p.longValue, s);
            }
        }
        assertNotNull(parseTs("2000-1-01", TimestampFormat.ISO_DATE));
        assertNotNull(parseTs("2000-01-01T00:00:00Z", TimestampFormat.ISO_DATE));
    }

    @Test
    void millisAreFlooredToSeconds() {
        assertNull(parseTs("978300760999", TimestampFormat.UNIX_MILLIS));
        assertEquals(978300760L, p.longValue);
        assertNull(parseTs("-1", TimestampFormat.UNIX_MILLIS));
        assertEquals(-1L, p.longValue);
        assertNull(parseTs("-1000", TimestampFormat.UNIX_MILLIS));
        assertEquals(-1L, p.longValue);
        assertNull(parseTs("-1001", TimestampFormat.UNIX_MILLIS));
        assertEquals(-2L, p.longValue);
    }
}
