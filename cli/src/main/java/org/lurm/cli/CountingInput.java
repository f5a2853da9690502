package org.lurm.cli;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.lurm.io.Inputs;
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
        return Inputs.open(new CountingInput(Files.newInputStream(file), task), file.toString());
    }
}
