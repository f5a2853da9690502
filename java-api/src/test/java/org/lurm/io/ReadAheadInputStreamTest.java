package org.lurm.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;
import org.junit.jupiter.api.Test;

class ReadAheadInputStreamTest {
    private static final long SEED = System.nanoTime();
    private static final int CHUNK = ReadAheadInputStream.CHUNK;

    private static byte[] random(SplittableRandom r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    /** Reads everything with a random mix of single-byte and bulk reads of random length. */
    private static byte[] drain(InputStream in, SplittableRandom r) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[3 * CHUNK];
        while (true) {
            if (r.nextInt(8) == 0) {
                int b = in.read();
                if (b < 0) break;
                out.write(b);
            } else {
                int want = r.nextInt(4) == 0 ? buf.length : 1 + r.nextInt(r.nextBoolean() ? 100 : CHUNK + 7);
                int n = in.read(buf, 0, want);
                if (n < 0) break;
                assertTrue(n > 0 && n <= want, "read returned " + n + " for " + want);
                out.write(buf, 0, n);
            }
        }
        return out.toByteArray();
    }

    /** A source that counts its close and can be told to fail after some bytes. */
    private static final class Source extends InputStream {
        private final ByteArrayInputStream in;
        private final int failAt;
        private final Exception failure;
        private int read;
        final AtomicBoolean closed = new AtomicBoolean();

        Source(byte[] data, int failAt, Exception failure) {
            this.in = new ByteArrayInputStream(data);
            this.failAt = failAt;
            this.failure = failure;
        }

        @Override
        public int read() {
            throw new AssertionError("the read-ahead thread reads in bulk");
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (failure != null && read >= failAt) {
                if (failure instanceof IOException io) throw io;
                throw (RuntimeException) failure;
            }
            int n = in.read(b, off, failure == null ? Math.min(len, 1 + (read * 31) % 70_000) : Math.min(len, failAt - read));
            if (n > 0) read += n;
            return n;
        }

        @Override
        public void close() {
            closed.set(true);
        }
    }

    @Test
    void givesTheSourceBytesInOrderAtEverySize() throws IOException {
        SplittableRandom r = new SplittableRandom(SEED);
        for (int size : new int[] {0, 1, 2, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK + 12_345, 11 * CHUNK, 1 + r.nextInt(7 * CHUNK)}) {
            byte[] data = random(r, size);
            Source src = new Source(data, 0, null);
            try (ReadAheadInputStream in = new ReadAheadInputStream(src, "test")) {
                assertArrayEquals(data, drain(in, r), "size " + size + ", seed " + SEED);
                assertEquals(-1, in.read());
                assertEquals(-1, in.read(new byte[4], 0, 4));
                assertEquals(0, in.read(new byte[4], 0, 0));
                assertFalse(src.closed.get(), "the source is closed by close, not at its end");
            }
            assertTrue(src.closed.get());
        }
    }

    @Test
    void aFailureOfTheSourceComesAfterEveryByteBeforeItAndStays() throws IOException {
        SplittableRandom r = new SplittableRandom(SEED + 1);
        for (Exception failure : new Exception[] {new ZipException("f.gz: truncated gzip file"), new IllegalStateException("inflater broke")}) {
            int at = r.nextInt(3 * CHUNK);
            byte[] data = random(r, at + 1000);
            try (ReadAheadInputStream in = new ReadAheadInputStream(new Source(data, at, failure), "test")) {
                byte[] got = new byte[at];
                int n = 0;
                while (n < at) {
                    int k = in.read(got, n, Math.min(at - n, 1 + r.nextInt(CHUNK)));
                    assertTrue(k > 0);
                    n += k;
                }
                assertArrayEquals(Arrays.copyOf(data, at), got, "seed " + SEED);
                Exception first = assertThrows(Exception.class, () -> in.read(new byte[10], 0, 10));
                assertSame(failure, first, "the source's own exception, message and type kept");
                assertSame(failure, assertThrows(Exception.class, in::read), "and again on the next read");
            }
        }
    }

    @Test
    void closeBeforeTheEndStopsTheThreadAndClosesTheSource() throws IOException {
        Source src = new Source(random(new SplittableRandom(SEED + 2), 9 * CHUNK), 0, null);
        ReadAheadInputStream in = new ReadAheadInputStream(src, "test");
        assertTrue(in.read() >= 0);
        in.close();
        assertTrue(in.threadEnded(), "close waits for the thread");
        assertTrue(src.closed.get());
        assertThrows(IOException.class, in::read);
        in.close(); // twice is fine
    }

    @Test
    void closeUnblocksAThreadWaitingInsideTheSource() throws IOException {
        PipedOutputStream writer = new PipedOutputStream();
        PipedInputStream pipe = new PipedInputStream(writer);
        writer.write(new byte[] {1, 2, 3});
        writer.flush();
        ReadAheadInputStream in = new ReadAheadInputStream(pipe, "test");
        // the thread waits for the rest of its chunk from a writer that never writes
        long t0 = System.nanoTime();
        in.close();
        assertTrue(in.threadEnded());
        assertTrue((System.nanoTime() - t0) / 1e9 < 30, "close returned");
        writer.close();
    }

    @Test
    void anUnclosedStreamDoesNotKeepItsThread() throws InterruptedException {
        String name = "unclosed-" + SEED;
        openAndDrop(name);
        Thread t = Thread.getAllStackTraces().keySet().stream().filter(x -> x.getName().equals("lurm-read-ahead " + name)).findFirst().orElse(null);
        for (int i = 0; i < 200 && t != null && t.isAlive(); i++) {
            System.gc();
            Thread.sleep(50);
        }
        assertFalse(t != null && t.isAlive(), "the cleaner stops the thread of a collected stream");
    }

    private static void openAndDrop(String name) {
        ReadAheadInputStream in = new ReadAheadInputStream(new Source(new byte[9 * CHUNK], 0, null), name);
        assertFalse(in.threadEnded(), "the thread waits with its chunks full");
    }

    @Test
    void gzipThroughInputsIsTheSameWithAndWithoutReadAhead() throws IOException {
        SplittableRandom r = new SplittableRandom(SEED + 3);
        StringBuilder csv = new StringBuilder("user,item,ts\n");
        for (int i = 0, n = 50_000 + r.nextInt(50_000); i < n; i++) csv.append(r.nextInt(1000)).append(',').append(r.nextInt(5000)).append(',').append(r.nextLong(1L << 40)).append('\n');
        byte[] text = csv.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
            g.write(text);
        }
        byte[] file = gz.toByteArray();
        String before = System.getProperty(Inputs.READ_AHEAD_PROPERTY);
        try {
            for (String mode : new String[] {"true", "false"}) {
                System.setProperty(Inputs.READ_AHEAD_PROPERTY, mode);
                try (InputStream in = Inputs.open(new ByteArrayInputStream(file), "x.csv.gz")) {
                    if (Runtime.getRuntime().availableProcessors() > 1) {
                        assertEquals(mode.equals("true"), in instanceof ReadAheadInputStream, "read-ahead " + mode);
                    }
                    assertArrayEquals(text, drain(in, r));
                }
                // truncated: the strict gzip error, named by its source, after the bytes before it
                try (InputStream in = Inputs.open(new ByteArrayInputStream(Arrays.copyOf(file, file.length / 2)), "x.csv.gz")) {
                    IOException e = assertThrows(IOException.class, () -> in.transferTo(java.io.OutputStream.nullOutputStream()));
                    assertInstanceOf(ZipException.class, e);
                    assertTrue(e.getMessage().startsWith("x.csv.gz: truncated gzip file"), e.getMessage());
                }
            }
        } finally {
            if (before == null) System.clearProperty(Inputs.READ_AHEAD_PROPERTY);
            else System.setProperty(Inputs.READ_AHEAD_PROPERTY, before);
        }
    }
}
