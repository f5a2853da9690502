package org.lurm.events.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Opening input files: gzip is recognised by its magic bytes, never by the file name. */
final class Inputs {
    private Inputs() {
    }

    /** The file's bytes, decompressed when it starts with the gzip magic 1f 8b. The caller closes it. */
    static InputStream open(Path file) throws IOException {
        InputStream raw = Files.newInputStream(file);
        try {
            PushbackInputStream pb = new PushbackInputStream(raw, 2);
            byte[] magic = new byte[2];
            int n = pb.readNBytes(magic, 0, 2);
            if (n > 0) pb.unread(magic, 0, n);
            if (n == 2 && magic[0] == (byte) 0x1f && magic[1] == (byte) 0x8b) {
                try {
                    return new GZIPInputStream(pb, 1 << 16);
                } catch (IOException e) {
                    throw new IOException(file + ": starts like gzip but its header is corrupt: " + e.getMessage(), e);
                }
            }
            return pb;
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }
}
