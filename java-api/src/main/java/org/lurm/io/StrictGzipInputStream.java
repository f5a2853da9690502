package org.lurm.io;

import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipException;

/**
 * Decompresses gzip (RFC 1952) and checks all of it: every member's header, its deflate data, its CRC-32 and
 * length trailer; members may follow one another (as {@code cat a.gz b.gz} makes); and after the last member
 * nothing but the end of the file. {@link java.util.zip.GZIPInputStream} silently stops at bytes after a member
 * that are not another member, which hides a damaged or appended-to file, and reports a truncated file as a plain
 * {@link java.io.EOFException}. Here every defect of the compressed data is a {@link ZipException} whose message
 * starts with the source name and says what is wrong and where (member number, compressed byte offset); read
 * failures of the underlying stream pass through as they are.
 *
 * <p>Not thread-safe (one reader). Closing it closes the underlying stream.
 */
final class StrictGzipInputStream extends InputStream {
    private static final int FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16;

    private final InputStream in;
    private final String source;
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int len;
    /** Compressed bytes consumed before buf[0]. */
    private long consumedBefore;
    private boolean eofIn;
    private int member;
    private boolean done;
    private boolean closed;
    private final byte[] one = new byte[1];

    StrictGzipInputStream(InputStream in, String source) throws IOException {
        this.in = in;
        this.source = source;
        readHeader(); // the caller saw the magic bytes: a first member must be there
        inflater.setInput(buf, pos, len - pos);
    }

    private long offset() {
        return consumedBefore + pos;
    }

    private ZipException error(String what) {
        return new ZipException(source + ": corrupt gzip data: " + what + " (member " + member + ", compressed byte " + offset() + ")");
    }

    private ZipException truncated(String where) {
        return new ZipException(source + ": truncated gzip file: it ends " + where + " (member " + member + ", after " + offset()
                + " compressed bytes)");
    }

    /** Makes at least one unread byte available; false at the end of the underlying stream. */
    private boolean fill() throws IOException {
        if (pos < len) return true;
        if (eofIn) return false;
        consumedBefore += len;
        pos = 0;
        len = 0;
        int n = in.read(buf, 0, buf.length);
        if (n <= 0) {
            if (n < 0) eofIn = true;
            // a stream that returns 0 without blocking is read again
            while (n == 0) n = in.read(buf, 0, buf.length);
            if (n < 0) {
                eofIn = true;
                return false;
            }
        }
        len = n;
        return true;
    }

    private int byteOrEof(String where) throws IOException {
        if (!fill()) throw truncated(where);
        return buf[pos++] & 0xff;
    }

    private int u16(String where) throws IOException {
        return byteOrEof(where) | byteOrEof(where) << 8;
    }

    private long u32(String where) throws IOException {
        return (u16(where) | (long) u16(where) << 16) & 0xffffffffL;
    }

    private void readHeader() throws IOException {
        member++;
        CRC32 hcrc = new CRC32();
        int id1 = byteOrEof("inside the header"), id2 = byteOrEof("inside the header");
        if (id1 != 0x1f || id2 != 0x8b) {
            pos -= 2;
            throw error("not a gzip member header (bytes " + String.format("%02x %02x", id1, id2) + ", expected 1f 8b)");
        }
        int cm = byteOrEof("inside the header");
        if (cm != 8) throw error("compression method " + cm + ", only 8 (deflate) exists");
        int flg = byteOrEof("inside the header");
        if ((flg & 0xe0) != 0) throw error("reserved header flags set (0x" + Integer.toHexString(flg) + ")");
        hcrc.update(new byte[] {(byte) id1, (byte) id2, (byte) cm, (byte) flg});
        for (int i = 0; i < 6; i++) hcrc.update(byteOrEof("inside the header")); // mtime, xfl, os
        if ((flg & FEXTRA) != 0) {
            int lo = byteOrEof("inside the header's extra field"), hi = byteOrEof("inside the header's extra field");
            hcrc.update(lo);
            hcrc.update(hi);
            for (int n = lo | hi << 8; n > 0; n--) hcrc.update(byteOrEof("inside the header's extra field"));
        }
        if ((flg & FNAME) != 0) for (int c; (c = byteOrEof("inside the header's file name")) != 0; ) hcrc.update(c);
        if ((flg & FNAME) != 0) hcrc.update(0);
        if ((flg & FCOMMENT) != 0) for (int c; (c = byteOrEof("inside the header's comment")) != 0; ) hcrc.update(c);
        if ((flg & FCOMMENT) != 0) hcrc.update(0);
        if ((flg & FHCRC) != 0) {
            int want = u16("inside the header");
            if (want != (int) (hcrc.getValue() & 0xffff)) throw error("header checksum mismatch");
        }
        inflater.reset(); // FTEXT is a hint only
        crc.reset();
    }

    @Override
    public int read() throws IOException {
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int n) throws IOException {
        if (closed) throw new IOException(source + ": stream closed");
        java.util.Objects.checkFromIndexSize(off, n, b.length);
        if (n == 0) return 0;
        while (!done) {
            int got;
            try {
                got = inflater.inflate(b, off, n);
            } catch (DataFormatException e) {
                throw error("deflate data: " + e.getMessage());
            }
            if (got > 0) {
                crc.update(b, off, got);
                return got;
            }
            if (inflater.finished()) {
                endMember();
                continue;
            }
            if (inflater.needsDictionary()) throw error("deflate data asks for a preset dictionary");
            if (!inflater.needsInput()) throw error("deflate data makes no progress");
            // the inflater always holds buf[pos, len): that is used up
            pos = len;
            if (!fill()) throw truncated("inside the compressed data");
            inflater.setInput(buf, pos, len - pos);
        }
        return -1;
    }

    /** The member's deflate stream ended: check its trailer, then expect another member or the end of the file. */
    private void endMember() throws IOException {
        pos = len - inflater.getRemaining();
        long wantCrc = u32("inside the trailer");
        long wantSize = u32("inside the trailer");
        if (wantCrc != crc.getValue()) throw error("CRC-32 mismatch: the data does not match its checksum");
        if (wantSize != (inflater.getBytesWritten() & 0xffffffffL)) throw error("length mismatch: the trailer says " + wantSize + " bytes");
        long end = offset();
        if (!fill()) {
            done = true;
            return;
        }
        if ((buf[pos] & 0xff) != 0x1f) {
            long extra = len - pos;
            while (extra < 1 << 20) {
                pos = len;
                if (!fill()) break;
                extra += len - pos;
            }
            throw new ZipException(source + ": " + (extra >= 1 << 20 ? "1 MiB or more" : extra + (extra == 1 ? " byte" : " bytes"))
                    + " of other data after the end of the gzip stream (member " + member + " ended at compressed byte " + end
                    + "): the file was appended to or is damaged");
        }
        readHeader();
        inflater.setInput(buf, pos, len - pos);
    }

    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        inflater.end();
        in.close();
    }
}
