package org.lurm.linalg;

import org.lurm.backend.Backend;
import org.lurm.backend.cpu.CpuBackend;
import org.lurm.backend.cpu.Parallel;

/**
 * Worker threads for the host-side loops of this package and of {@code org.lurm.embed} (QR, pair counting,
 * row normalisation): the pool of a {@link CpuBackend} when the backend is one, otherwise a pool of
 * {@link Backend#threads()} threads owned by this lease. Results never depend on the number of threads:
 * every loop here splits work by index and each output element is computed by one thread in a fixed order.
 *
 * <p>Close it (try-with-resources) to stop a pool it owns; a borrowed pool is left running. Thread-safe.
 */
public final class Workers implements AutoCloseable {
    private final Parallel parallel;
    private final boolean owned;

    private Workers(Parallel parallel, boolean owned) {
        this.parallel = parallel;
        this.owned = owned;
    }

    /** The backend's pool if it has one, else a new pool of {@code backend.threads()} threads. */
    public static Workers of(Backend backend) {
        if (backend instanceof CpuBackend cpu) return new Workers(cpu.parallel(), false);
        return new Workers(new Parallel(Math.max(1, backend.threads())), true);
    }

    /** A new pool of the given size, owned by the lease. */
    public static Workers ofThreads(int threads) {
        return new Workers(new Parallel(threads), true);
    }

    public Parallel parallel() {
        return parallel;
    }

    public int threads() {
        return parallel.threads();
    }

    @Override
    public void close() {
        if (owned) parallel.close();
    }
}
