package org.lurm.events.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Splits a byte stream into records and fields by hand (no regex, no per-line String): the current record's
 * fields are byte ranges {@code [start(f), end(f))} of {@link #buffer()}, valid until the next {@link #next()}.
 * Blank and comment lines are counted and passed over. A line ends at LF, CRLF or a lone CR (old Mac files);
 * inside a quoted field any of them is data. A record that cannot be split (unterminated quote, text after a
 * closing quote, too long, or a quoted field spanning lines in a column where line breaks are refused) comes
 * back with {@link #error()} set, covering its first physical line only, so a lenient caller resumes on the
 * next line instead of losing the rest of the file.
 *
 * <p>Not thread-safe. Does not close the stream.
 */
final class RecordTokenizer {
    private static final int NEED_MORE = -1;
    private static final int KIND_RECORD = 0, KIND_BLANK = 1, KIND_COMMENT = 2;

    private final InputStream in;
    private final String source;
    private final byte[] sep;
    private final byte sep0;
    private final int sepLen;
    private final boolean quoting;
    private final byte quote;
    private final byte[] comment;
    private final boolean trim;
    private final int maxRecordBytes;
    private final Charset charset;
    private final boolean utf8;
    private final CharsetDecoder decoder;

    private byte[] buf;
    private int pos;
    private int limit;
    private boolean eof;
    private boolean bomChecked;

    private int nf;
    private int[] starts = new int[16];
    private int[] ends = new int[16];
    private byte[] flags = new byte[16]; // 0 plain, 1 quoted, 2 quoted with doubled quotes to undo
    private int extraLines;
    private boolean doubledQuotes; // some field of the record needs unescaping
    private int kind;
    private String error;
    private int errorField;

    private long lines;
    private long recordLine;
    private long blankLines;
    private long commentLines;
    private long continuationLines;
    private long loneCrBreaks;
    private long multilineColumns; // bit c: column c (c < 63) held a multi-line quoted field; bit 63: a later column
    private boolean[] noLineBreaks = new boolean[0];

    RecordTokenizer(InputStream in, DelimitedFormat format, String source) {
        this.in = in;
        this.source = source;
        this.sep = format.separatorBytes();
        this.sep0 = sep[0];
        this.sepLen = sep.length;
        this.quoting = format.quoting();
        this.quote = format.quoteByte();
        this.comment = format.commentBytes();
        this.trim = format.trim();
        this.maxRecordBytes = format.maxRecordBytes();
        this.charset = format.charset();
        this.utf8 = charset.equals(StandardCharsets.UTF_8);
        this.decoder = charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        this.buf = new byte[Math.min(1 << 20, maxRecordBytes)];
    }

    /**
     * Advances to the next record (skipping blank and comment lines); false at the end of input.
     * A record may carry an {@link #error()}.
     */
    boolean next() throws IOException {
        if (!bomChecked) skipBom();
        for (;;) {
            if (pos >= limit) {
                if (eof) return false;
                if (!fill()) throw new AssertionError("empty buffer cannot be full");
                continue;
            }
            int end = scan();
            if (end == NEED_MORE) {
                if (!fill()) {
                    tooLong();
                    return true;
                }
                continue;
            }
            recordLine = lines + 1;
            lines += 1 + extraLines;
            if (kind == KIND_RECORD) continuationLines += extraLines;
            if (end > pos && buf[end - 1] == '\r') loneCrBreaks++;
            pos = end;
            if (kind == KIND_BLANK) {
                blankLines++;
                continue;
            }
            if (kind == KIND_COMMENT) {
                commentLines++;
                continue;
            }
            if (error == null && doubledQuotes) unescape();
            return true;
        }
    }

    private void skipBom() throws IOException {
        while (limit - pos < 3 && !eof) fill();
        bomChecked = true;
        if (utf8 && limit - pos >= 3 && buf[pos] == (byte) 0xEF && buf[pos + 1] == (byte) 0xBB && buf[pos + 2] == (byte) 0xBF) pos += 3;
    }

    /** Moves the unread bytes to the front, grows the buffer if full, reads more; false when a record would exceed the maximum. */
    private boolean fill() throws IOException {
        if (eof) return true;
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, limit - pos);
            limit -= pos;
            pos = 0;
        }
        if (limit == buf.length) {
            if (buf.length >= maxRecordBytes) return false;
            buf = Arrays.copyOf(buf, (int) Math.min((long) buf.length * 2, maxRecordBytes));
        }
        int n;
        try {
            n = in.read(buf, limit, buf.length - limit);
        } catch (java.util.zip.ZipException e) {
            // bad compressed data is bad input (its message names the source already)
            java.util.zip.ZipException z = new java.util.zip.ZipException(e.getMessage() + "; read up to line " + lines);
            z.initCause(e);
            throw z;
        } catch (IOException e) {
            throw new IOException(source + ": read failed after line " + lines + ": " + e.getMessage(), e);
        }
        if (n < 0) eof = true;
        else limit += n;
        return true;
    }

    /** The record starting at pos fills the whole (maximal) buffer: report it and skip its first physical line. */
    private void tooLong() throws IOException {
        nf = 0;
        error = "record longer than " + maxRecordBytes + " bytes (unterminated quote or missing line breaks?)";
        errorField = -1;
        recordLine = lines + 1;
        lines++;
        for (;;) {
            for (int p = pos; p < limit; p++) {
                if (buf[p] == '\n') {
                    pos = p + 1;
                    return;
                }
                if (buf[p] == '\r') {
                    if (p + 1 >= limit && !eof) {
                        pos = p; // whether LF follows is in the next read
                        break;
                    }
                    pos = p + 1 < limit && buf[p + 1] == '\n' ? p + 2 : p + 1;
                    return;
                }
            }
            if (pos < limit && buf[pos] == '\r') {
                fill();
                continue;
            }
            pos = limit;
            if (eof) return;
            fill();
        }
    }

    private static boolean isSpace(byte c) {
        return c == ' ' || c == '\t';
    }

    private boolean sepAt(int p) {
        for (int k = 1; k < sepLen; k++) if (buf[p + k] != sep[k]) return false;
        return true;
    }

    private void addField(int s, int e, int flag) {
        if (nf == starts.length) {
            starts = Arrays.copyOf(starts, nf * 2);
            ends = Arrays.copyOf(ends, nf * 2);
            flags = Arrays.copyOf(flags, nf * 2);
        }
        if (trim && flag == 0) {
            while (s < e && isSpace(buf[s])) s++;
            while (e > s && isSpace(buf[e - 1])) e--;
        }
        starts[nf] = s;
        ends[nf] = e;
        flags[nf] = (byte) flag;
        nf++;
    }

    private int stripCr(int s, int e) {
        return e > s && buf[e - 1] == '\r' ? e - 1 : e;
    }

    /** Position after the first line break (LF, CRLF or CR) at or after p, or NEED_MORE, or limit at end of input. */
    private int lineEnd(int p) {
        for (; p < limit; p++) {
            byte c = buf[p];
            if (c == '\n') return p + 1;
            if (c == '\r') return crEnd(p);
        }
        return eof ? limit : NEED_MORE;
    }

    /** The end of a line break whose CR is at p: after its LF for CRLF, after the CR alone otherwise; or NEED_MORE. */
    private int crEnd(int p) {
        if (p + 1 < limit) return buf[p + 1] == '\n' ? p + 2 : p + 1;
        return eof ? p + 1 : NEED_MORE;
    }

    /** Scans the line or record at pos; returns the position after it, or NEED_MORE. Sets kind, fields, error. */
    private int scan() {
        nf = 0;
        error = null;
        errorField = -1;
        extraLines = 0;
        doubledQuotes = false;
        kind = KIND_RECORD;
        final byte[] b = buf;
        final int lim = limit;
        if (comment != null && b[pos] == comment[0]) {
            if (pos + comment.length > lim && !eof) return NEED_MORE;
            if (pos + comment.length <= lim && Arrays.equals(b, pos, pos + comment.length, comment, 0, comment.length)) {
                kind = KIND_COMMENT;
                return lineEnd(pos);
            }
        }
        int p = pos;
        for (;;) {
            int fs = p;
            if (quoting) {
                if (trim) while (p < lim && isSpace(b[p]) && b[p] != sep0) p++;
                if (p < lim && b[p] == quote) {
                    int r = scanQuoted(p);
                    if (r != Integer.MIN_VALUE) return r;
                    p = quotedNext;
                    continue;
                }
                if (p >= lim && !eof) return NEED_MORE;
                p = fs;
            }
            if (sepLen == 1) {
                // hot loop: most files have a one-byte separator
                final byte s0 = sep0;
                while (p < lim) {
                    byte c = b[p];
                    if (c == s0 || c == '\n' || c == '\r') break;
                    p++;
                }
            } else {
                while (p < lim) {
                    byte c = b[p];
                    if (c == '\n' || c == '\r') break;
                    if (c == sep0) {
                        if (p + sepLen > lim) {
                            if (!eof) return NEED_MORE;
                        } else if (sepAt(p)) {
                            break;
                        }
                    }
                    p++;
                }
            }
            if (p >= lim) {
                if (!eof) return NEED_MORE;
                addField(fs, stripCr(fs, lim), 0);
                markBlank();
                return lim;
            }
            if (b[p] == '\n') {
                addField(fs, p, 0);
                markBlank();
                return p + 1;
            }
            if (b[p] == '\r') {
                int end = crEnd(p);
                if (end == NEED_MORE) return NEED_MORE;
                addField(fs, p, 0);
                markBlank();
                return end;
            }
            addField(fs, p, 0);
            p += sepLen;
        }
    }

    private int quotedNext;

    /**
     * Scans a quoted field whose opening quote is at q. Returns the record end (or NEED_MORE) when the record
     * ends with this field or is malformed; otherwise Integer.MIN_VALUE with {@link #quotedNext} at the next field.
     */
    private int scanQuoted(int q) {
        final byte[] b = buf;
        final int lim = limit;
        int p = q + 1;
        int cs = p;
        boolean doubled = false;
        int newlines = 0;
        for (;;) {
            if (p >= lim) {
                if (!eof) return NEED_MORE;
                return fail(nf, "unterminated quoted field (opening quote at byte " + (q - pos + 1) + " of the record)");
            }
            byte c = b[p];
            if (c == quote) {
                if (p + 1 >= lim && !eof) return NEED_MORE;
                if (p + 1 < lim && b[p + 1] == quote) {
                    p += 2;
                    doubled = true;
                    continue;
                }
                break;
            }
            if (c == '\n') {
                newlines++;
            } else if (c == '\r') {
                if (p + 1 >= lim && !eof) return NEED_MORE;
                if (p + 1 >= lim || b[p + 1] != '\n') newlines++; // a lone CR; CRLF counts at its LF
            }
            p++;
        }
        if (newlines > 0) {
            int field = nf;
            if (field < noLineBreaks.length && noLineBreaks[field]) {
                long first = lines + 1 + extraLines;
                return fail(field, "a quoted field spans " + (newlines + 1) + " lines (lines " + first + " to " + (first + newlines)
                        + "): a stray quote? Line breaks are refused in this column");
            }
            multilineColumns |= field < 63 ? 1L << field : 1L << 63;
        }
        int ce = p++;
        if (trim) while (p < lim && isSpace(b[p]) && b[p] != sep0) p++;
        extraLines += newlines;
        addField(cs, ce, doubled ? 2 : 1);
        doubledQuotes |= doubled;
        if (p >= lim) return eof ? lim : NEED_MORE;
        byte c = b[p];
        if (c == '\n') return p + 1;
        if (c == '\r') return crEnd(p);
        if (c == sep0) {
            if (p + sepLen > lim && !eof) return NEED_MORE;
            if (p + sepLen <= lim && sepAt(p)) {
                quotedNext = p + sepLen;
                return Integer.MIN_VALUE;
            }
        }
        return fail(nf - 1, "unexpected text after the closing quote at byte " + (p - pos + 1) + " of the record");
    }

    /** Marks the record malformed; it covers only its first physical line, so reading resumes after it. */
    private int fail(int field, String message) {
        error = message;
        errorField = field;
        extraLines = 0;
        return lineEnd(pos);
    }

    private void markBlank() {
        if (nf == 1 && flags[0] == 0 && starts[0] == ends[0]) {
            // a line of only white space: with trim off, an all-space field is still white space
            kind = KIND_BLANK;
        } else if (nf == 1 && flags[0] == 0 && !trim) {
            for (int i = starts[0]; i < ends[0]; i++) if (!isSpace(buf[i])) return;
            kind = KIND_BLANK;
        }
    }

    /** Turns doubled quotes into single ones, in place (the text only shrinks). */
    private void unescape() {
        for (int f = 0; f < nf; f++) {
            if (flags[f] != 2) continue;
            int w = starts[f];
            for (int r = starts[f]; r < ends[f]; r++) {
                byte c = buf[r];
                buf[w++] = c;
                if (c == quote) r++; // skip the second quote of the pair
            }
            ends[f] = w;
        }
    }

    // --- current record ---

    int fieldCount() {
        return nf;
    }

    byte[] buffer() {
        return buf;
    }

    int start(int f) {
        return starts[f];
    }

    int end(int f) {
        return ends[f];
    }

    boolean quoted(int f) {
        return flags[f] != 0;
    }

    /** 1-based line where the current record starts. */
    long line() {
        return recordLine;
    }

    /** Why the current record cannot be split, or null. */
    String error() {
        return error;
    }

    /** 0-based field the error concerns, or -1 for the whole line. */
    int errorField() {
        return errorField;
    }

    /** The field decoded with the charset; undecodable bytes throw rather than become U+FFFD. */
    String string(int f) throws CharacterCodingException {
        return decode(buf, starts[f], ends[f]);
    }

    String decode(byte[] b, int s, int e) throws CharacterCodingException {
        if (!utf8) {
            if (charset.equals(StandardCharsets.ISO_8859_1)) return new String(b, s, e - s, StandardCharsets.ISO_8859_1);
            return decoder.decode(ByteBuffer.wrap(b, s, e - s)).toString();
        }
        for (int i = s; i < e; i++) {
            if (b[i] < 0) return decoder.decode(ByteBuffer.wrap(b, s, e - s)).toString();
        }
        // pure ASCII: the Latin-1 constructor is a plain copy into a compact string
        return new String(b, s, e - s, StandardCharsets.ISO_8859_1);
    }

    /** The field as text for an error message: decoded leniently, escaped, cut to 60 characters. */
    String snippet(int f) {
        String s = new String(buf, starts[f], ends[f] - starts[f], charset);
        if (s.length() > 60) s = s.substring(0, 57) + "...";
        return DelimitedFormat.escape(s);
    }

    // --- counts ---

    long lines() {
        return lines;
    }

    long blankLines() {
        return blankLines;
    }

    long commentLines() {
        return commentLines;
    }

    /** Physical lines that were inside quoted fields spanning lines (the second and later line of such records). */
    long continuationLines() {
        return continuationLines;
    }

    /** Lines that ended with a lone CR (not part of CRLF), outside quoted fields. */
    long loneCrBreaks() {
        return loneCrBreaks;
    }

    /** 0-based columns that held a quoted field spanning lines (columns past 62 show as 63). */
    java.util.List<Integer> multilineColumns() {
        java.util.List<Integer> out = new java.util.ArrayList<>();
        for (int c = 0; c < 64; c++) if ((multilineColumns & (1L << c)) != 0) out.add(c);
        return out;
    }

    /** Columns (0-based) in which a quoted field may not span lines: such a record gets an {@link #error()}. */
    void refuseLineBreaksIn(int... columns) {
        int max = -1;
        for (int c : columns) max = Math.max(max, c);
        boolean[] f = new boolean[max + 1];
        for (int c : columns) if (c >= 0) f[c] = true;
        noLineBreaks = f;
    }

    String source() {
        return source;
    }

    String charsetName() {
        return charset.name();
    }
}
