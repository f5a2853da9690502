package org.lurm.events.io;

import java.io.ByteArrayInputStream;
import java.util.Random;

/** Hands out at most a few random bytes per read, so every record straddles buffer refills somewhere. */
final class TrickleInputStream extends ByteArrayInputStream {
    private final Random random;
    private final int maxChunk;

    TrickleInputStream(byte[] data, Random random, int maxChunk) {
        super(data);
        this.random = random;
        this.maxChunk = maxChunk;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, 1 + random.nextInt(maxChunk)));
    }
}
