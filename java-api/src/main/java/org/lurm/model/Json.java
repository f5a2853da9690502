package org.lurm.model;

import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small, strict JSON (RFC 8259) reader and writer for the model file's header, so the library needs no JSON
 * dependency.
 *
 * <h2>Reading</h2>
 * {@link #parse} maps JSON to plain Java values:
 * <ul>
 *   <li>object: {@code LinkedHashMap<String, Object>} (file order; a repeated key is an error, since a config
 *       with two values for one key has no single meaning)</li>
 *   <li>array: {@code ArrayList<Object>}; string: {@code String}; true/false: {@code Boolean}; null: {@code null}</li>
 *   <li>number: {@code Long} when written without fraction or exponent and within long range, {@code BigInteger}
 *       for larger integers, otherwise {@code Double}; a number beyond double's range is an error (it would
 *       silently become infinity)</li>
 * </ul>
 * Strict: only the four JSON whitespace characters, no comments, no trailing commas, no leading zeros, no
 * unescaped control characters in strings, nothing after the top-level value. Nesting deeper than
 * {@link #MAX_DEPTH} is an error, so hostile input cannot exhaust the stack. Every error is a
 * {@link JsonException} naming line, column and what was expected.
 *
 * <h2>Writing</h2>
 * {@link #write} accepts {@code Map} (String keys), {@code Iterable}, arrays ({@code Object[]}, {@code float[]},
 * {@code double[]}, {@code int[]}, {@code long[]}, {@code boolean[]}), {@code CharSequence}, {@code Character},
 * {@code Enum} (as its name), {@code Boolean}, {@code null}, and the numbers Byte, Short, Integer, Long,
 * BigInteger, BigDecimal, Float and Double. Floats and doubles are written as the shortest decimal that reads
 * back to the same value ({@code Float.toString}/{@code Double.toString}), so {@code parse(write(x))} returns
 * the same double, and {@code Float.parseFloat} of it the same float; NaN and infinities are an error (JSON has
 * no such numbers). Strings are written as UTF-16 text with {@code "}, {@code \}, control characters and
 * unpaired surrogates escaped, so the output is always well-formed and encodes to UTF-8 without loss.
 *
 * <p><b>Thread-safety.</b> Stateless; all methods may be called concurrently. Parsed values are new, mutable
 * and owned by the caller.
 */
public final class Json {
    /** Deepest nesting of arrays and objects accepted by the parser and the writer. */
    public static final int MAX_DEPTH = 512;

    private Json() {
    }

    /** Parses one JSON value (see the class doc for the Java types). */
    public static Object parse(String text) {
        Parser p = new Parser(text, true);
        return p.document();
    }

    /** Parses text whose top-level value must be an object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Parser p = new Parser(text, true);
        p.requireObject();
        return (Map<String, Object>) p.document();
    }

    /** Checks that text is one well-formed JSON value, without building it. */
    public static void validate(String text) {
        new Parser(text, false).document();
    }

    /** Checks that text is one well-formed JSON object, without building it. */
    public static void validateObject(String text) {
        Parser p = new Parser(text, false);
        p.requireObject();
        p.document();
    }

    /** Compact JSON text of a value (no whitespace). */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        new Writer(sb, false).top(value);
        return sb.toString();
    }

    /** JSON text of a value, indented by two spaces per level, for files a person may read. */
    public static String writePretty(Object value) {
        StringBuilder sb = new StringBuilder();
        new Writer(sb, true).top(value);
        return sb.toString();
    }

    // ------------------------------------------------------------------------------------ typed access

    /** {@code value} as an object, or an error naming {@code what} (e.g. "header.config"). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> asObject(Object value, String what) {
        if (value instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new JsonException(what + " must be a JSON object, got " + describe(value), -1);
    }

    @SuppressWarnings("unchecked")
    public static List<Object> asArray(Object value, String what) {
        if (value instanceof List<?> l) return (List<Object>) l;
        throw new JsonException(what + " must be a JSON array, got " + describe(value), -1);
    }

    public static String asString(Object value, String what) {
        if (value instanceof String s) return s;
        throw new JsonException(what + " must be a JSON string, got " + describe(value), -1);
    }

    /** An integral number that fits a long (a Double such as 3.0 counts when it is exact). */
    public static long asLong(Object value, String what) {
        if (value instanceof Long l) return l;
        if (value instanceof Double d && d == Math.rint(d) && Math.abs(d) < 0x1p63) return d.longValue();
        throw new JsonException(what + " must be an integer within the range of a long, got " + describe(value), -1);
    }

    public static int asInt(Object value, String what) {
        long v = asLong(value, what);
        if (v != (int) v) throw new JsonException(what + " must be an integer within the range of an int, got " + v, -1);
        return (int) v;
    }

    public static double asDouble(Object value, String what) {
        if (value instanceof Number n && (n instanceof Long || n instanceof Double || n instanceof BigInteger)) return n.doubleValue();
        throw new JsonException(what + " must be a JSON number, got " + describe(value), -1);
    }

    public static boolean asBoolean(Object value, String what) {
        if (value instanceof Boolean b) return b;
        throw new JsonException(what + " must be true or false, got " + describe(value), -1);
    }

    private static String describe(Object v) {
        if (v == null) return "null";
        if (v instanceof Map) return "an object";
        if (v instanceof List) return "an array";
        if (v instanceof String s) return "the string \"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
        return v.getClass().getSimpleName() + " " + v;
    }

    // ---------------------------------------------------------------------------------------- parser

    private static final class Parser {
        private final String text;
        private final int n;
        private final boolean build;
        private int pos;
        private int depth;
        private boolean mustBeObject;

        Parser(String text, boolean build) {
            if (text == null) throw new JsonException("JSON text is null", 0);
            this.text = text;
            this.n = text.length();
            this.build = build;
        }

        void requireObject() {
            mustBeObject = true;
        }

        Object document() {
            skipWs();
            if (pos >= n) throw error("empty JSON text: expected a value");
            if (text.charAt(pos) == '\uFEFF') throw error("byte-order mark before the JSON value (not allowed in JSON text)");
            if (mustBeObject && text.charAt(pos) != '{') throw error("expected a JSON object ('{'), found " + found());
            Object v = value();
            skipWs();
            if (pos < n) throw error("unexpected " + found() + " after the end of the JSON value");
            return v;
        }

        private Object value() {
            if (pos >= n) throw error("unexpected end of input: expected a value");
            char c = text.charAt(pos);
            switch (c) {
                case '{':
                    return object();
                case '[':
                    return array();
                case '"':
                    return string();
                case 't':
                    literal("true");
                    return Boolean.TRUE;
                case 'f':
                    literal("false");
                    return Boolean.FALSE;
                case 'n':
                    literal("null");
                    return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return number();
                    throw error("unexpected " + found() + ": expected a value (object, array, string, number, true, false or null)");
            }
        }

        private Object object() {
            int open = pos;
            enter(open);
            pos++;
            Map<String, Object> map = build ? new LinkedHashMap<>() : null;
            Set<String> keys = build ? null : new HashSet<>();
            skipWs();
            if (pos < n && text.charAt(pos) == '}') {
                pos++;
                depth--;
                return map;
            }
            while (true) {
                skipWs();
                if (pos >= n) throw error("unexpected end of input inside the object opened at " + where(open) + ": expected a key");
                if (text.charAt(pos) != '"') throw error("unexpected " + found() + ": expected a string key in the object opened at " + where(open));
                int keyPos = pos;
                String key = stringValue();
                boolean fresh = build ? !map.containsKey(key) : keys.add(key);
                if (!fresh) {
                    pos = keyPos;
                    throw error("duplicate key \"" + key + "\" in the object opened at " + where(open));
                }
                skipWs();
                if (pos >= n || text.charAt(pos) != ':') throw error("unexpected " + found() + ": expected ':' after the key \"" + key + "\"");
                pos++;
                skipWs();
                Object v = value();
                if (build) map.put(key, v);
                skipWs();
                if (pos >= n) throw error("unexpected end of input: the object opened at " + where(open) + " is not closed");
                char c = text.charAt(pos);
                pos++;
                if (c == '}') break;
                if (c != ',') {
                    pos--;
                    throw error("unexpected " + found() + ": expected ',' or '}' in the object opened at " + where(open));
                }
            }
            depth--;
            return map;
        }

        private Object array() {
            int open = pos;
            enter(open);
            pos++;
            List<Object> list = build ? new ArrayList<>() : null;
            skipWs();
            if (pos < n && text.charAt(pos) == ']') {
                pos++;
                depth--;
                return list;
            }
            while (true) {
                skipWs();
                Object v = value();
                if (build) list.add(v);
                skipWs();
                if (pos >= n) throw error("unexpected end of input: the array opened at " + where(open) + " is not closed");
                char c = text.charAt(pos);
                pos++;
                if (c == ']') break;
                if (c != ',') {
                    pos--;
                    throw error("unexpected " + found() + ": expected ',' or ']' in the array opened at " + where(open));
                }
            }
            depth--;
            return list;
        }

        private void enter(int at) {
            if (++depth > MAX_DEPTH) {
                pos = at;
                throw error("nesting deeper than " + MAX_DEPTH + " levels");
            }
        }

        private String string() {
            String s = stringValue();
            return build ? s : null;
        }

        /** Reads a string starting at the opening quote; always returns the value (keys need it for duplicates). */
        private String stringValue() {
            int open = pos;
            pos++;
            int start = pos;
            StringBuilder sb = null;
            while (true) {
                if (pos >= n) {
                    pos = open;
                    throw error("unterminated string");
                }
                char c = text.charAt(pos);
                if (c == '"') break;
                if (c == '\\') {
                    if (sb == null) sb = new StringBuilder(pos - start + 16);
                    sb.append(text, start, pos);
                    escape(sb);
                    start = pos;
                    continue;
                }
                if (c < 0x20) throw error("unescaped control character " + found() + " in a string (write it as \\u" + hex4(c) + ")");
                pos++;
            }
            String s = sb == null ? text.substring(start, pos) : sb.append(text, start, pos).toString();
            pos++;
            return s;
        }

        private void escape(StringBuilder sb) {
            int at = pos;
            pos++;
            if (pos >= n) {
                pos = at;
                throw error("unterminated escape sequence");
            }
            char e = text.charAt(pos++);
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (pos + 4 > n) {
                        pos = at;
                        throw error("truncated \\u escape: expected four hex digits");
                    }
                    int v = 0;
                    for (int i = 0; i < 4; i++) {
                        int d = Character.digit(text.charAt(pos + i), 16);
                        // Character.digit accepts non-ASCII digits; JSON allows only [0-9a-fA-F].
                        if (d < 0 || text.charAt(pos + i) > 'f') {
                            pos = at;
                            throw error("bad \\u escape: expected four hex digits, found \"" + text.substring(at, Math.min(n, at + 6)) + "\"");
                        }
                        v = (v << 4) | d;
                    }
                    pos += 4;
                    sb.append((char) v);
                }
                default -> {
                    pos = at;
                    throw error("unknown escape sequence \\" + printable(e) + " (JSON has \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
                }
            }
        }

        private Object number() {
            int start = pos;
            if (text.charAt(pos) == '-') pos++;
            if (pos >= n || !digit(text.charAt(pos))) throw error("unexpected " + found() + ": expected a digit in the number");
            if (text.charAt(pos) == '0') {
                pos++;
                if (pos < n && digit(text.charAt(pos))) throw error("leading zero in a number");
            } else {
                while (pos < n && digit(text.charAt(pos))) pos++;
            }
            boolean integral = true;
            if (pos < n && text.charAt(pos) == '.') {
                integral = false;
                pos++;
                if (pos >= n || !digit(text.charAt(pos))) throw error("unexpected " + found() + ": expected a digit after the decimal point");
                while (pos < n && digit(text.charAt(pos))) pos++;
            }
            if (pos < n && (text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
                integral = false;
                pos++;
                if (pos < n && (text.charAt(pos) == '+' || text.charAt(pos) == '-')) pos++;
                if (pos >= n || !digit(text.charAt(pos))) throw error("unexpected " + found() + ": expected a digit in the exponent");
                while (pos < n && digit(text.charAt(pos))) pos++;
            }
            String s = text.substring(start, pos);
            if (integral) {
                if (!build) return null;
                // Up to 18 digits always fits a long; longer ones may still fit (parseLong decides).
                if (pos - start <= 18) return Long.parseLong(s);
                try {
                    return Long.parseLong(s);
                } catch (NumberFormatException tooBig) {
                    return new BigInteger(s);
                }
            }
            double d = Double.parseDouble(s);
            if (Double.isInfinite(d)) {
                pos = start;
                throw error("number " + (s.length() > 30 ? s.substring(0, 30) + "..." : s) + " is beyond the range of a double");
            }
            return build ? d : null;
        }

        private void literal(String word) {
            if (!text.startsWith(word, pos)) throw error("unexpected " + found() + ": expected a value (did you mean " + word + "?)");
            pos += word.length();
        }

        private void skipWs() {
            while (pos < n) {
                char c = text.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
                pos++;
            }
        }

        private static boolean digit(char c) {
            return c >= '0' && c <= '9';
        }

        private String found() {
            if (pos >= n) return "end of input";
            return "'" + printable(text.charAt(pos)) + "'";
        }

        private static String printable(char c) {
            if (c < 0x20 || c == 0x7F || Character.isSurrogate(c) || c == '\uFEFF') return "U+" + hex4(c);
            return String.valueOf(c);
        }

        /** "line L, column C" of a char index. */
        private String where(int at) {
            int line = 1, lineStart = 0;
            for (int i = 0; i < at && i < n; i++) {
                if (text.charAt(i) == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            return "line " + line + ", column " + (at - lineStart + 1);
        }

        private JsonException error(String what) {
            return new JsonException("bad JSON at " + where(pos) + ": " + what, pos);
        }
    }

    private static String hex4(int c) {
        String h = Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT);
        return "0000".substring(h.length()) + h;
    }

    // ---------------------------------------------------------------------------------------- writer

    /** Thrown inside the writer; each level on the way out prepends its path segment. */
    private static final class WriteError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final StringBuilder path = new StringBuilder();
        final String what;

        WriteError(String what) {
            super(what, null, false, false);
            this.what = what;
        }
    }

    private static final class Writer {
        private final StringBuilder out;
        private final boolean pretty;
        private int depth;

        Writer(StringBuilder out, boolean pretty) {
            this.out = out;
            this.pretty = pretty;
        }

        void top(Object v) {
            try {
                value(v);
            } catch (WriteError e) {
                throw new JsonException("cannot write JSON at $" + e.path + ": " + e.what, -1);
            }
        }

        private void value(Object v) {
            if (v == null) {
                out.append("null");
            } else if (v instanceof CharSequence s) {
                string(s);
            } else if (v instanceof Character c) {
                string(String.valueOf(c));
            } else if (v instanceof Boolean b) {
                out.append(b.booleanValue());
            } else if (v instanceof Double d) {
                finite(d, d.isNaN() || d.isInfinite());
                out.append(Double.toString(d));
            } else if (v instanceof Float f) {
                finite(f, f.isNaN() || f.isInfinite());
                out.append(Float.toString(f));
            } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte || v instanceof BigInteger) {
                out.append(v);
            } else if (v instanceof BigDecimal bd) {
                out.append(bd.toString());
            } else if (v instanceof Enum<?> e) {
                string(e.name());
            } else if (v instanceof Map<?, ?> m) {
                object(m);
            } else if (v instanceof Iterable<?> it) {
                open('[');
                int i = 0;
                for (Object x : it) element(i++, x);
                close(']', i);
            } else if (v.getClass().isArray()) {
                if (v.getClass().getComponentType() == char.class || v.getClass().getComponentType() == byte.class
                        || v.getClass().getComponentType() == short.class) {
                    throw new WriteError(v.getClass().getSimpleName() + " is not written as JSON (convert it to a String or an int[] first)");
                }
                open('[');
                int len = Array.getLength(v);
                for (int i = 0; i < len; i++) element(i, Array.get(v, i));
                close(']', len);
            } else {
                throw new WriteError("cannot write a " + v.getClass().getName() + " as JSON");
            }
        }

        private void finite(Object x, boolean bad) {
            if (bad) throw new WriteError("JSON has no number " + x);
        }

        private void object(Map<?, ?> m) {
            open('{');
            int i = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                Object k = e.getKey();
                if (!(k instanceof CharSequence key)) {
                    throw new WriteError("object key " + k + " is a " + (k == null ? "null" : k.getClass().getSimpleName()) + ", JSON keys must be strings");
                }
                if (i++ > 0) out.append(',');
                newline();
                string(key);
                out.append(pretty ? ": " : ":");
                try {
                    value(e.getValue());
                } catch (WriteError err) {
                    err.path.insert(0, "." + key);
                    throw err;
                }
            }
            close('}', i);
        }

        private void element(int i, Object x) {
            if (i > 0) out.append(',');
            newline();
            try {
                value(x);
            } catch (WriteError err) {
                err.path.insert(0, "[" + i + "]");
                throw err;
            }
        }

        private void open(char c) {
            if (++depth > MAX_DEPTH) throw new WriteError("nesting deeper than " + MAX_DEPTH + " levels (a cycle?)");
            out.append(c);
        }

        private void close(char c, int count) {
            depth--;
            if (count > 0) newline();
            out.append(c);
        }

        private void newline() {
            if (!pretty) return;
            out.append('\n');
            for (int i = 0; i < depth; i++) out.append("  ");
        }

        private void string(CharSequence s) {
            out.append('"');
            int n = s.length();
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    case '\b' -> out.append("\\b");
                    case '\f' -> out.append("\\f");
                    default -> {
                        if (c < 0x20) {
                            out.append("\\u").append(hex4(c));
                        } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                            out.append(c).append(s.charAt(++i));
                        } else if (Character.isSurrogate(c)) {
                            // An unpaired surrogate has no UTF-8 form: escaped, it survives the byte round trip.
                            out.append("\\u").append(hex4(c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }
    }
}
