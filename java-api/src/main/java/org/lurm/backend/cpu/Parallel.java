package org.lurm.backend.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed pool of daemon worker threads that splits index ranges into contiguous chunks. Results never
 * depend on scheduling: work is split by index, not by who finishes first, so a run is deterministic for a
 * given thread count.
 *
 * <p>Thread-safe. {@link #close()} is idempotent.
 */
public final class Parallel implements AutoCloseable {
    /** Body of a parallel loop over [lo, hi). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int chunk, long lo, long hi);
    }

    private final int threads;
    private final ExecutorService pool;

    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        AtomicInteger id = new AtomicInteger();
        ThreadFactory f = r -> {
            Thread t = new Thread(r, "lurm-cpu-" + id.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, f);
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs body over [0, n) in at most {@code chunks} contiguous chunks (chunk i gets index i), never smaller
     * than {@code minChunk}, on the pool; the calling thread runs one chunk itself. Rethrows the first failure.
     */
    public void forRange(long n, int chunks, long minChunk, RangeBody body) {
        if (n <= 0) return;
        int c = (int) Math.max(1, Math.min(chunks, (n + Math.max(1, minChunk) - 1) / Math.max(1, minChunk)));
        if (c == 1 || pool == null) {
            long step = (n + c - 1) / c;
            for (int i = 0; i < c; i++) body.run(i, Math.min(n, i * step), Math.min(n, (i + 1) * step));
            return;
        }
        long step = (n + c - 1) / c;
        List<Future<?>> fs = new ArrayList<>(c - 1);
        for (int i = 1; i < c; i++) {
            final int ci = i;
            final long lo = Math.min(n, i * step), hi = Math.min(n, (i + 1) * step);
            fs.add(pool.submit(() -> body.run(ci, lo, hi)));
        }
        RuntimeException first = null;
        try {
            body.run(0, 0, Math.min(n, step));
        } catch (RuntimeException e) {
            first = e;
        }
        for (Future<?> f : fs) {
            try {
                f.get();
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (first == null) first = cause instanceof RuntimeException re ? re : new RuntimeException(cause);
                else first.addSuppressed(cause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for worker threads", e);
            }
        }
        if (first != null) throw first;
    }

    /** {@link #forRange} with one chunk per thread times {@code oversplit} for load balance. */
    public void forRange(long n, long minChunk, RangeBody body) {
        forRange(n, threads * 4, minChunk, body);
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
    }
}
