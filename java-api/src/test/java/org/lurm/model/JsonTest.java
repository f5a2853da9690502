package org.lurm.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lurm.testing.TestData;

class JsonTest {
    private static final String SPECIALS = "é中ß\u2028\u2029\u007F\uFEFF";

    /** A random JSON value of the types the parser returns (so write then parse must give it back equal). */
    static Object randomValue(Random rnd, int depth) {
        int kind = rnd.nextInt(depth >= 5 ? 6 : 8);
        switch (kind) {
            case 0:
                return null;
            case 1:
                return rnd.nextBoolean();
            case 2:
                return switch (rnd.nextInt(4)) {
                    case 0 -> (long) rnd.nextInt(100) - 50;
                    case 1 -> rnd.nextLong();
                    case 2 -> rnd.nextBoolean() ? Long.MAX_VALUE : Long.MIN_VALUE;
                    default -> 0L;
                };
            case 3:
                return new BigInteger(64 + rnd.nextInt(100), rnd).add(BigInteger.valueOf(Long.MAX_VALUE)).add(BigInteger.TWO).multiply(BigInteger.valueOf(rnd.nextBoolean() ? 1 : -1));
            case 4: {
                double d;
                do {
                    d = switch (rnd.nextInt(4)) {
                        case 0 -> Double.longBitsToDouble(rnd.nextLong());
                        case 1 -> rnd.nextGaussian();
                        case 2 -> rnd.nextBoolean() ? -0.0 : Double.MIN_VALUE;
                        default -> (double) rnd.nextInt(1000); // integral doubles must come back as Double
                    };
                } while (!Double.isFinite(d));
                return d;
            }
            case 5:
                return randomString(rnd);
            case 6: {
                List<Object> l = new ArrayList<>();
                int n = rnd.nextInt(5);
                for (int i = 0; i < n; i++) l.add(randomValue(rnd, depth + 1));
                return l;
            }
            default: {
                Map<String, Object> m = new LinkedHashMap<>();
                int n = rnd.nextInt(5);
                for (int i = 0; i < n; i++) m.put(randomString(rnd), randomValue(rnd, depth + 1));
                return m;
            }
        }
    }

    /** Strings with every kind of character JSON treats specially: controls, quotes, backslash, non-BMP, lone surrogates. */
    static String randomString(Random rnd) {
        int n = rnd.nextInt(12);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            switch (rnd.nextInt(9)) {
                case 0 -> sb.append((char) rnd.nextInt(0x20));
                case 1 -> sb.append("\"\\/".charAt(rnd.nextInt(3)));
                case 2 -> sb.appendCodePoint(0x1F600 + rnd.nextInt(80)); // emoji: a surrogate pair
                case 3 -> sb.append((char) (0xD800 + rnd.nextInt(0x800))); // unpaired surrogate
                case 4 -> sb.append(SPECIALS.charAt(rnd.nextInt(SPECIALS.length())));
                default -> sb.append((char) (0x20 + rnd.nextInt(95)));
            }
        }
        return sb.toString();
    }

    @Test
    void writeThenParseGivesTheSameValueOnRandomDocuments() {
        long seed = TestData.seed("JsonTest.writeThenParseGivesTheSameValueOnRandomDocuments");
        Random rnd = new Random(seed);
        for (int trial = 0; trial < 2000; trial++) {
            Object v = randomValue(rnd, 0);
            for (boolean pretty : new boolean[] {false, true}) {
                String text = pretty ? Json.writePretty(v) : Json.write(v);
                Object back = Json.parse(text);
                assertEquals(v, back, "trial " + trial + " text " + text);
                Json.validate(text);
                // Well-formed UTF-16 whatever the input strings held: the UTF-8 round trip is lossless.
                assertEquals(text, new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
                if (!pretty) assertTrue(text.indexOf('\n') < 0, "compact output has no newlines");
            }
        }
    }

    @Test
    void floatsComeBackAsTheSameFloat() {
        long seed = TestData.seed("JsonTest.floatsComeBackAsTheSameFloat");
        Random rnd = new Random(seed);
        for (int i = 0; i < 10000; i++) {
            float f = Float.intBitsToFloat(rnd.nextInt());
            if (!Float.isFinite(f)) continue;
            Object back = Json.parse(Json.write(f));
            assertEquals(f, (float) Json.asDouble(back, "f"), "float " + f);
            assertEquals(Float.floatToIntBits(f), Float.floatToIntBits(Float.parseFloat(Json.write(f))));
        }
    }

    @Test
    void parsesHandWrittenDocumentsToKnownValues() {
        Object v = Json.parse(" {\"a\" : [1, -2.5e3, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\\t\\\"\\\\\\/\"],\r\n\t\"b\": {}, \"c\": [], \"d\": 0, \"e\": -0, \"f\": 1E+2, \"g\": 12345678901234567890} ");
        Map<String, Object> m = Json.asObject(v, "doc");
        assertEquals(List.of("a", "b", "c", "d", "e", "f", "g"), new ArrayList<>(m.keySet()), "key order is file order");
        List<Object> a = Json.asArray(m.get("a"), "a");
        assertEquals(1L, a.get(0));
        assertEquals(-2500.0, a.get(1));
        assertEquals(Boolean.TRUE, a.get(2));
        assertEquals(Boolean.FALSE, a.get(3));
        assertNull(a.get(4));
        assertEquals("xé\uD83D\uDE00\n\t\"\\/", a.get(5));
        assertEquals(Map.of(), m.get("b"));
        assertEquals(List.of(), m.get("c"));
        assertEquals(0L, m.get("d"));
        assertEquals(0L, m.get("e"));
        assertEquals(100.0, m.get("f"));
        assertEquals(new BigInteger("12345678901234567890"), m.get("g"));
        assertInstanceOf(Long.class, Json.parse("9223372036854775807"));
        assertInstanceOf(BigInteger.class, Json.parse("9223372036854775808"));
        assertInstanceOf(Long.class, Json.parse("-9223372036854775808"));
        assertEquals(42, Json.asInt(Json.parse("42.0"), "x"), "an exact double counts as an integer");
        assertThrows(JsonException.class, () -> Json.asInt(Json.parse("3000000000"), "x"));
        assertThrows(JsonException.class, () -> Json.asLong(Json.parse("1.5"), "x"));
        assertEquals("{\"a\":[1,2.5,\"\\u0001\"],\"b\":null}", Json.write(orderedMap("a", List.of(1, 2.5f, "\u0001"), "b", null)));
        assertEquals("{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": []\n}", Json.writePretty(orderedMap("a", List.of(1, Map.of()), "b", List.of())));
        assertEquals("[[1.5],[2.0],[3],[4],[true],\"E\"]",
                Json.write(new Object[] {new float[] {1.5f}, new double[] {2}, new int[] {3}, new long[] {4}, new boolean[] {true}, "E"}));
    }

    private static Map<String, Object> orderedMap(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    @Test
    void rejectsMalformedInputWithPosition() {
        String[] bad = {
            "", " ", "{", "}", "[", "[1,]", "[,1]", "{\"a\":1,}", "{,}", "01", "-01", "1.", ".5", "1e", "1e+", "+1", "-", "- 1",
            "tru", "nul", "falsey", "True", "\"abc", "\"\\x\"", "\"\\u12G4\"", "\"\\u12\"", "\"\\u١٢٣٤\"", "\"a\tb\"", "\"a\nb\"",
            "{'a':1}", "{a:1}", "[1 2]", "{\"a\" 1}", "{\"a\":1 \"b\":2}", "1 2", "NaN", "Infinity", "-Infinity", "1e400", "-1e400",
            "{\"a\":1,\"a\":2}", "\uFEFF{}", "// c\n{}", "[1]]", "{\"a\":}", "[\"a\":1]", "\u00A0{}", "{\"a\":[}", "[1,\n2,\n3x]", "\"\\",
        };
        for (String s : bad) {
            JsonException e = assertThrows(JsonException.class, () -> Json.parse(s), "should reject: " + s);
            assertTrue(e.getMessage().contains("line "), "message names the line: " + e.getMessage());
            assertTrue(e.offset() >= 0 && e.offset() <= s.length(), "offset inside the text: " + e.offset());
            assertThrows(JsonException.class, () -> Json.validate(s), "validate agrees on: " + s);
        }
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("[1,\n2,\n3x]"));
        assertTrue(e.getMessage().contains("line 3, column 2"), e.getMessage());
        assertEquals(8, e.offset());
        e = assertThrows(JsonException.class, () -> Json.parse("{\"k\": 1, \"k\": 2}"));
        assertTrue(e.getMessage().contains("duplicate key \"k\""), e.getMessage());
        e = assertThrows(JsonException.class, () -> Json.parseObject("[1]"));
        assertTrue(e.getMessage().contains("expected a JSON object"), e.getMessage());
        assertThrows(JsonException.class, () -> Json.validateObject("\"s\""));
        assertThrows(JsonException.class, () -> Json.parse(null));
    }

    @Test
    void nestingIsLimited() {
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        Json.parse(ok);
        String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(deep));
        assertTrue(e.getMessage().contains("nesting deeper"), e.getMessage());
        assertThrows(JsonException.class, () -> Json.validate("{\"a\":".repeat(100000)), "no stack overflow on hostile input");
        List<Object> cycle = new ArrayList<>();
        cycle.add(cycle);
        e = assertThrows(JsonException.class, () -> Json.write(cycle));
        assertTrue(e.getMessage().contains("cycle"), e.getMessage());
    }

    @Test
    void writerRejectsValuesJsonCannotHoldAndNamesThePath() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("metrics", List.of(1.0, Double.NaN));
        JsonException e = assertThrows(JsonException.class, () -> Json.write(m));
        assertTrue(e.getMessage().contains("$.metrics[1]"), e.getMessage());
        assertThrows(JsonException.class, () -> Json.write(Float.POSITIVE_INFINITY));
        assertThrows(JsonException.class, () -> Json.write(Map.of(1, "x")));
        assertThrows(JsonException.class, () -> Json.write(new Object()));
        assertThrows(JsonException.class, () -> Json.write(new char[] {'a'}));
        assertEquals("\"SECONDS\"", Json.write(java.util.concurrent.TimeUnit.SECONDS));
    }

    /** Random edits of valid documents: the parser either accepts or throws JsonException, never anything else. */
    @Test
    void mutatedDocumentsFailCleanly() {
        long seed = TestData.seed("JsonTest.mutatedDocumentsFailCleanly");
        Random rnd = new Random(seed);
        String alphabet = "{}[]\":,\\-+.eE0123456789 \ntrufalsn\u0000é";
        for (int trial = 0; trial < 3000; trial++) {
            StringBuilder sb = new StringBuilder(Json.write(randomValue(rnd, 0)));
            int edits = 1 + rnd.nextInt(3);
            for (int k = 0; k < edits; k++) {
                int at = rnd.nextInt(sb.length() + 1);
                switch (rnd.nextInt(3)) {
                    case 0 -> sb.insert(at, alphabet.charAt(rnd.nextInt(alphabet.length())));
                    case 1 -> {
                        if (at < sb.length()) sb.deleteCharAt(at);
                    }
                    default -> {
                        if (at < sb.length()) sb.setCharAt(at, alphabet.charAt(rnd.nextInt(alphabet.length())));
                    }
                }
            }
            String text = sb.toString();
            boolean parsed;
            try {
                Object v = Json.parse(text);
                parsed = true;
                assertEquals(v, Json.parse(Json.write(v)), "re-written value parses back equal");
            } catch (JsonException e) {
                parsed = false;
            } catch (RuntimeException e) {
                fail("parse threw " + e + " on " + Arrays.toString(text.chars().toArray()));
                return;
            }
            boolean valid;
            try {
                Json.validate(text);
                valid = true;
            } catch (JsonException e) {
                valid = false;
            }
            assertEquals(parsed, valid, "parse and validate agree on " + text);
        }
    }
}
