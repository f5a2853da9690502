package org.lurm.smen.ops;

import org.lurm.backend.cpu.Parallel;

/**
 * Fixed work partition for the per-user SMEN ops: [0, n) is cut into {@link #count} contiguous chunks that
 * depend only on n and the grain, never on the thread count, and run on a {@link Parallel} pool or, without one,
 * on the calling thread in chunk order. Reductions that sum per-chunk partials in chunk order therefore give the
 * same bits for any number of threads.
 */
final class UserChunks {
    private UserChunks() {
    }

    /** Number of chunks for n items of at least {@code grain} each (0 for n = 0). */
    static int count(int n, int grain) {
        if (n <= 0) return 0;
        return (n + grain - 1) / grain;
    }

    /** Runs body over the chunks of [0, n); the same chunk boundaries with or without a pool. */
    static void run(Parallel par, int n, int grain, Parallel.RangeBody body) {
        int c = count(n, grain);
        if (c == 0) return;
        if (par != null && c > 1) {
            // Parallel.forRange cuts [0, n) into exactly c chunks of ceil(n / c) when c <= ceil(n / grain).
            par.forRange(n, c, grain, body);
            return;
        }
        long step = (n + c - 1) / c;
        for (int i = 0; i < c; i++) body.run(i, Math.min(n, i * step), Math.min(n, (i + 1) * step));
    }
}
