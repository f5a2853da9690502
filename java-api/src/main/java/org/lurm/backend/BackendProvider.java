package org.lurm.backend;

import java.util.Set;

/**
 * Service-provider interface, found through {@link java.util.ServiceLoader}
 * ({@code META-INF/services/org.lurm.backend.BackendProvider}). A provider must be cheap to construct and
 * must not load native code or classes that may fail to initialise until {@link #availability()} is called.
 *
 * <p>Implementations are thread-safe.
 */
public interface BackendProvider {
    /** Short name used by {@code -Dlurm.backend=NAME} / {@code LURM_BACKEND=NAME}: "cpu", "cpu-scalar", "cuda". */
    String name();

    /** Higher is preferred by automatic selection (scalar reference 1, Vector API CPU 100, GPU 1000). */
    int score();

    /** What the backend can do when available. */
    Set<Capability> capabilities();

    /** Probes this machine; never throws. */
    Availability availability();

    /** Creates a backend instance; only called when {@link #availability()} said yes. */
    Backend create(int threads);
}
