package org.lurm.io;

import org.lurm.events.io.DelimitedFormat;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * The lines of a byte stream, split at LF, CRLF or a lone CR, each to be decoded on its own, so that bytes the
 * charset rejects are reported at their own line (a Reader decodes ahead and fails at an earlier one). The
 * charsets of {@link DelimitedFormat} (UTF-8, single-byte ASCII-compatible) make CR and LF bytes mean the same.
 * Used by the side-table readers (labels, the CLI's attribute tables).
 *
 * <p>Owns the stream (closes it). Not thread-safe.
 */
public final class ByteLines implements AutoCloseable {
    private final InputStream in;
    private final byte[] buf = new byte[1 << 16];
    private int pos, limit;
    private boolean eof;
    private byte[] line = new byte[256];
    private int length;

    public ByteLines(InputStream in) {
        this.in = in;
    }

    private int peek() throws IOException {
        if (pos == limit) {
            if (eof) return -1;
            int n = in.read(buf, 0, buf.length);
            while (n == 0) n = in.read(buf, 0, buf.length);
            if (n < 0) {
                eof = true;
                return -1;
            }
            pos = 0;
            limit = n;
        }
        return buf[pos] & 0xff;
    }

    /** Reads the next line; false at the end of the stream. */
    public boolean next() throws IOException {
        length = 0;
        boolean any = false;
        for (int c; (c = peek()) >= 0; ) {
            pos++;
            any = true;
            if (c == '\n') return true;
            if (c == '\r') {
                if (peek() == '\n') pos++;
                return true;
            }
            if (length == line.length) line = Arrays.copyOf(line, line.length * 2);
            line[length++] = (byte) c;
        }
        return any;
    }

    /** The current line's bytes: the first {@link #length()} of this array (reused by the next line). */
    public byte[] bytes() {
        return line;
    }

    public int length() {
        return length;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
