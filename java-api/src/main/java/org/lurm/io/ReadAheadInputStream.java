package org.lurm.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads a stream ahead on one background thread, in chunks of up to {@value #CHUNK} bytes, at most
 * {@value #DEPTH} chunks ahead of the reader. {@link Inputs} puts it over gzip decompression so that inflating
 * (and its CRC check) runs beside the parsing instead of before it: on two cores reading a gzip CSV then costs
 * about the larger of the two, not their sum.
 *
 * <p>What the reader sees is the source's bytes in order, then the source's end or its failure: an
 * {@link IOException}, {@link RuntimeException} or {@link Error} of the source is thrown, the same instance, by
 * the read that reaches the point where it happened (after every byte before it), and again by every later read.
 *
 * <p>{@link #close} stops the thread (it finishes the chunk it is reading, at most {@value #CHUNK} bytes) and then
 * closes the source on the caller's thread. A stream that is never closed does not keep its thread: once the stream
 * is unreachable a {@link Cleaner} tells the thread to stop (the source is then not closed, as with any unclosed
 * stream).
 *
 * <p><b>Thread-safety.</b> Not thread-safe: one reader thread (close included); the background thread is the only
 * other user of the source until close, which waits for it.
 */
final class ReadAheadInputStream extends InputStream {
    static final int CHUNK = 1 << 20;
    static final int DEPTH = 4;
    private static final Cleaner CLEANER = Cleaner.create(Thread.ofPlatform().daemon().name("lurm-read-ahead-cleaner").factory());

    /** A filled chunk, the end (data null, error null), or the source's failure. */
    private record Chunk(byte[] data, int len, Throwable error) {
    }

    /** What the background thread shares with the stream; never refers to the stream (so the stream can be collected). */
    private static final class Shared implements Runnable {
        final BlockingQueue<Chunk> full = new ArrayBlockingQueue<>(DEPTH);
        final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(DEPTH + 2);
        final InputStream source;
        volatile boolean stop;

        Shared(InputStream source) {
            this.source = source;
        }

        @Override
        public void run() {
            int allocated = 0;
            try {
                while (!stop) {
                    byte[] b = free.poll();
                    if (b == null && allocated < DEPTH + 2) {
                        b = new byte[CHUNK];
                        allocated++;
                    }
                    while (b == null && !stop) b = free.poll(50, TimeUnit.MILLISECONDS);
                    if (b == null) return;
                    int n = 0, r = 0;
                    try {
                        while (n < b.length && (r = source.read(b, n, b.length - n)) > 0) n += r;
                    } catch (IOException | RuntimeException | Error e) {
                        if (n > 0 && !put(new Chunk(b, n, null))) return; // the bytes before the failure first
                        throw e;
                    }
                    if (n > 0 && !put(new Chunk(b, n, null))) return;
                    if (r < 0) {
                        put(new Chunk(null, 0, null));
                        return;
                    }
                }
            } catch (InterruptedException e) {
                // only close interrupts, and only when the thread did not stop in time: nobody is reading any more
            } catch (IOException | RuntimeException | Error e) {
                try {
                    put(new Chunk(null, 0, e));
                } catch (InterruptedException ignored) {
                    // closed meanwhile
                }
            }
        }

        /** Hands a chunk to the reader; false when stopped first. */
        private boolean put(Chunk c) throws InterruptedException {
            while (!stop) {
                if (full.offer(c, 50, TimeUnit.MILLISECONDS)) return true;
            }
            return false;
        }
    }

    private final Shared shared;
    private final Thread thread;
    private final Cleaner.Cleanable cleanable;
    private final byte[] one = new byte[1];
    private Chunk current;
    private int pos;
    private boolean ended;
    private Throwable failure;
    private boolean closed;

    /** Starts reading {@code source} ahead; {@code name} names the thread (the file, for a thread dump). */
    ReadAheadInputStream(InputStream source, String name) {
        this.shared = new Shared(source);
        this.thread = Thread.ofPlatform().daemon().name("lurm-read-ahead " + name).unstarted(shared);
        Shared s = shared;
        this.cleanable = CLEANER.register(this, () -> s.stop = true);
        thread.start();
    }

    /** True once the background thread has ended (for tests: close must end it). */
    boolean threadEnded() {
        return !thread.isAlive();
    }

    /** Makes {@code current} hold an unread byte; false at the end. */
    private boolean next() throws IOException {
        if (closed) throw new IOException("stream closed");
        while (current == null || pos == current.len) {
            if (current != null) {
                shared.free.offer(current.data);
                current = null;
            }
            if (failure != null) rethrow(failure);
            if (ended) return false;
            Chunk c;
            try {
                c = shared.full.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for the read-ahead thread");
            }
            if (c.error != null) {
                failure = c.error;
                rethrow(failure);
            }
            if (c.data == null) {
                ended = true;
                return false;
            }
            current = c;
            pos = 0;
        }
        return true;
    }

    private static void rethrow(Throwable t) throws IOException {
        if (t instanceof IOException io) throw io;
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error er) throw er;
        throw new UncheckedIOException(new IOException(t));
    }

    @Override
    public int read() throws IOException {
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            if (closed) throw new IOException("stream closed");
            return 0;
        }
        if (!next()) return -1;
        int n = Math.min(len, current.len - pos);
        System.arraycopy(current.data, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public int available() throws IOException {
        if (closed) throw new IOException("stream closed");
        return current == null ? 0 : current.len - pos;
    }

    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        shared.stop = true;
        cleanable.clean();
        shared.full.clear();
        boolean interrupted = false;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(1));
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (thread.isAlive()) {
            // blocked inside the source's read (a pipe, say): closing the source is what unblocks it
            thread.interrupt();
        }
        try {
            shared.source.close();
        } finally {
            if (thread.isAlive()) {
                try {
                    thread.join(TimeUnit.SECONDS.toMillis(5));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
    }
}
