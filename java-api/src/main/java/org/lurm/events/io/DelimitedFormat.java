package org.lurm.events.io;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * The shape of a delimited text file: field separator, header line, quoting, charset, comment lines and
 * white-space trimming. Immutable; the {@code with...} methods return modified copies.
 *
 * <ul>
 * <li><b>separator</b>: one or more characters, e.g. {@code ","}, {@code "\t"}, {@code "|"}, {@code "::"}.</li>
 * <li><b>header</b> (default false): whether the first non-blank, non-comment line names the columns.</li>
 * <li><b>quote</b> (default {@code '"'}): a field that starts with it is quoted as in RFC 4180: separators and
 * line breaks inside are data, a doubled quote stands for one quote. A quote elsewhere in a field is an
 * ordinary character. {@link #withoutQuoting()} turns quoting off (MovieLens files, whose titles contain
 * quotes, are read that way).</li>
 * <li><b>charset</b> (default UTF-8): UTF-8 or any single-byte ASCII-compatible charset (ISO-8859-1,
 * windows-1252, US-ASCII); the reader splits bytes and decodes only the id fields, which needs ASCII
 * separators to mean the same in bytes. Bytes that are not valid in the charset are an error, never replaced.
 * A UTF-8 byte-order mark at the start is skipped.</li>
 * <li><b>comment prefix</b> (default none): lines that start with it (in the first column) are counted and
 * passed over.</li>
 * <li><b>trim</b> (default true): spaces and tabs around a field (outside its quotes) are dropped, so
 * {@code "1, 2, 3"} reads as {@code 1}, {@code 2}, {@code 3}.</li>
 * <li><b>max record bytes</b> (default 64 MiB): a longer record (usually an unterminated quote or a binary
 * file) is an error rather than an unbounded buffer.</li>
 * </ul>
 *
 * Line breaks are LF, CRLF or a lone CR (old Mac files). Blank lines (only white space) are counted and passed over.
 *
 * <p><b>Thread-safety.</b> Immutable. Holds no off-heap memory.
 */
public final class DelimitedFormat {
    private static final int DEFAULT_MAX_RECORD_BYTES = 64 << 20;

    private final String separator;
    private final boolean header;
    private final int quote;
    private final Charset charset;
    private final String commentPrefix;
    private final boolean trim;
    private final int maxRecordBytes;
    // encoded forms, what the tokenizer compares against
    private final byte[] separatorBytes;
    private final byte[] commentBytes;
    private final byte quoteByte;

    private DelimitedFormat(String separator, boolean header, int quote, Charset charset, String commentPrefix, boolean trim,
                            int maxRecordBytes) {
        this.separator = Objects.requireNonNull(separator, "separator");
        this.charset = Objects.requireNonNull(charset, "charset");
        if (separator.isEmpty()) throw new IllegalArgumentException("separator must not be empty");
        if (separator.indexOf('\n') >= 0 || separator.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("separator must not contain a line break: " + escape(separator));
        }
        if (quote >= 0 && (separator.indexOf(quote) >= 0 || quote == '\n' || quote == '\r' || quote > 0x7f)) {
            throw new IllegalArgumentException("quote character " + escape(String.valueOf((char) quote))
                    + " must be ASCII and must not be a line break or part of the separator " + escape(separator));
        }
        if (commentPrefix != null && commentPrefix.isEmpty()) throw new IllegalArgumentException("comment prefix must not be empty (use null for none)");
        if (maxRecordBytes < 1024) throw new IllegalArgumentException("max record bytes must be >= 1024, got " + maxRecordBytes);
        checkCharset(charset);
        this.header = header;
        this.quote = quote;
        this.commentPrefix = commentPrefix;
        this.trim = trim;
        this.maxRecordBytes = maxRecordBytes;
        this.separatorBytes = encode(separator, charset, "separator");
        this.commentBytes = commentPrefix == null ? null : encode(commentPrefix, charset, "comment prefix");
        this.quoteByte = (byte) Math.max(quote, 0);
    }

    /** Fields separated by {@code separator}; no header, {@code '"'} quoting, UTF-8, no comments, trimming on. */
    public static DelimitedFormat of(String separator) {
        return new DelimitedFormat(separator, false, '"', StandardCharsets.UTF_8, null, true, DEFAULT_MAX_RECORD_BYTES);
    }

    /** Comma-separated with a header line (the common CSV file). */
    public static DelimitedFormat csv() {
        return of(",").withHeader(true);
    }

    /** Tab-separated, no header. */
    public static DelimitedFormat tsv() {
        return of("\t");
    }

    public DelimitedFormat withSeparator(String s) {
        return new DelimitedFormat(s, header, quote, charset, commentPrefix, trim, maxRecordBytes);
    }

    public DelimitedFormat withHeader(boolean h) {
        return new DelimitedFormat(separator, h, quote, charset, commentPrefix, trim, maxRecordBytes);
    }

    public DelimitedFormat withQuote(char q) {
        return new DelimitedFormat(separator, header, q, charset, commentPrefix, trim, maxRecordBytes);
    }

    public DelimitedFormat withoutQuoting() {
        return new DelimitedFormat(separator, header, -1, charset, commentPrefix, trim, maxRecordBytes);
    }

    public DelimitedFormat withCharset(Charset c) {
        return new DelimitedFormat(separator, header, quote, c, commentPrefix, trim, maxRecordBytes);
    }

    /** Lines starting with {@code prefix} are comments; null for none. */
    public DelimitedFormat withCommentPrefix(String prefix) {
        return new DelimitedFormat(separator, header, quote, charset, prefix, trim, maxRecordBytes);
    }

    public DelimitedFormat withTrim(boolean t) {
        return new DelimitedFormat(separator, header, quote, charset, commentPrefix, t, maxRecordBytes);
    }

    public DelimitedFormat withMaxRecordBytes(int max) {
        return new DelimitedFormat(separator, header, quote, charset, commentPrefix, trim, max);
    }

    public String separator() {
        return separator;
    }

    public boolean header() {
        return header;
    }

    /** Whether quoting is on. */
    public boolean quoting() {
        return quote >= 0;
    }

    /** The quote character; only meaningful when {@link #quoting()}. */
    public char quote() {
        return (char) Math.max(quote, 0);
    }

    public Charset charset() {
        return charset;
    }

    /** The comment prefix, or null. */
    public String commentPrefix() {
        return commentPrefix;
    }

    public boolean trim() {
        return trim;
    }

    public int maxRecordBytes() {
        return maxRecordBytes;
    }

    byte[] separatorBytes() {
        return separatorBytes;
    }

    byte[] commentBytes() {
        return commentBytes;
    }

    byte quoteByte() {
        return quoteByte;
    }

    private static void checkCharset(Charset c) {
        if (c.equals(StandardCharsets.UTF_8)) return;
        boolean ok = c.canEncode();
        if (ok) {
            CharsetEncoder enc = c.newEncoder();
            ok = enc.maxBytesPerChar() == 1.0f;
            if (ok) {
                // every ASCII character must encode to itself, so byte-level splitting means the same as char-level
                byte[] ascii = new byte[128];
                for (int i = 0; i < 128; i++) ascii[i] = (byte) i;
                ok = Arrays.equals(new String(ascii, StandardCharsets.US_ASCII).getBytes(c), ascii);
            }
        }
        if (!ok) {
            throw new IllegalArgumentException("charset " + c.name() + " is not supported: the reader splits bytes, which needs"
                    + " UTF-8 or a single-byte ASCII-compatible charset such as ISO-8859-1 (re-encode the file)");
        }
    }

    private static byte[] encode(String s, Charset c, String what) {
        try {
            ByteBuffer bb = c.newEncoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(s));
            byte[] out = new byte[bb.remaining()];
            bb.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(what + " " + escape(s) + " cannot be written in charset " + c.name());
        }
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '\t' -> sb.append("\\t");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
                    else sb.append(ch);
                }
            }
        }
        return sb.append('"').toString();
    }

    @Override
    public String toString() {
        return "DelimitedFormat[separator " + escape(separator) + (header ? ", header" : "") + (quote >= 0 ? ", quote " + escape(String.valueOf((char) quote)) : ", no quoting")
                + ", " + charset.name() + (commentPrefix != null ? ", comments " + escape(commentPrefix) : "") + (trim ? ", trim" : "") + "]";
    }
}
