package org.lurm.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opening input files: gzip is recognised by its magic bytes, never by the file name. Used by the readers here and
 * by the CLI (which counts the file's bytes for its progress bars). Static, thread-safe.
 */
public final class Inputs {
    /** System property: {@code false} decompresses gzip on the reading thread (default: a background thread). */
    public static final String READ_AHEAD_PROPERTY = "lurm.io.readAhead";

    private Inputs() {
    }

    private static boolean readAhead() {
        return Runtime.getRuntime().availableProcessors() > 1 && !"false".equalsIgnoreCase(System.getProperty(READ_AHEAD_PROPERTY));
    }

    /** The file's bytes, decompressed when it starts with the gzip magic 1f 8b. The caller closes it. */
    public static InputStream open(Path file) throws IOException {
        return open(Files.newInputStream(file), file.toString());
    }

    /**
     * The bytes of {@code raw}, decompressed when they start with the gzip magic 1f 8b; the caller closes the
     * result. When that fails, {@code raw} is closed. Gzip is checked whole (see {@link StrictGzipInputStream}):
     * a corrupt header or data, a CRC or length mismatch, a truncated file, or other bytes after the last member
     * is a {@link java.util.zip.ZipException} whose message starts with {@code source}, thrown when it is met.
     * Gzip is decompressed ahead of the caller on a background thread ({@code ReadAheadInputStream}; closing the
     * result stops it) unless the JVM has one processor or the system property {@value #READ_AHEAD_PROPERTY} is
     * {@code false}.
     */
    public static InputStream open(InputStream raw, String source) throws IOException {
        try {
            PushbackInputStream pb = new PushbackInputStream(raw, 2);
            byte[] magic = new byte[2];
            int n = pb.readNBytes(magic, 0, 2);
            if (n > 0) pb.unread(magic, 0, n);
            if (n == 2 && magic[0] == (byte) 0x1f && magic[1] == (byte) 0x8b) {
                InputStream gz = new StrictGzipInputStream(pb, source);
                return readAhead() ? new ReadAheadInputStream(gz, source) : gz;
            }
            return pb;
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }
}
