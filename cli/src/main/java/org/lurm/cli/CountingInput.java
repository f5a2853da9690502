package org.lurm.cli;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.lurm.progress.Progress;

/**
 * Opens an input file for reading with progress in compressed bytes: gzip is recognised by its magic bytes
 * (never by the name), and every byte read from the file advances the task. Not thread-safe (one reader).
 */
final class CountingInput extends FilterInputStream {
    private final Progress.Task task;

    private CountingInput(InputStream in, Progress.Task task) {
        super(in);
        this.task = task;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) task.advance(1);
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) task.advance(n);
        return n;
    }

    /** The file's text bytes (decompressed when gzip); reading advances {@code task} by file bytes. */
    static InputStream open(Path file, Progress.Task task) throws IOException {
        InputStream raw = new CountingInput(Files.newInputStream(file), task);
        try {
            PushbackInputStream pb = new PushbackInputStream(raw, 2);
            byte[] magic = new byte[2];
            int n = pb.readNBytes(magic, 0, 2);
            if (n > 0) pb.unread(magic, 0, n);
            if (n == 2 && magic[0] == (byte) 0x1f && magic[1] == (byte) 0x8b) {
                try {
                    return new GZIPInputStream(pb, 1 << 16);
                } catch (IOException e) {
                    throw new java.util.zip.ZipException(file + ": starts like gzip but its header is corrupt: " + e.getMessage());
                }
            }
            return pb;
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }
}
