package org.lurm.backend.cpu;

import java.util.EnumSet;
import java.util.Set;
import org.lurm.backend.Availability;
import org.lurm.backend.Backend;
import org.lurm.backend.BackendProvider;
import org.lurm.backend.Capability;

/** "cpu-scalar": plain Java, always available; the reference in cross-backend tests. */
public final class ScalarBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "cpu-scalar";
    }

    @Override
    public int score() {
        return 1;
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.DENSE_MATH, Capability.SPARSE_MATH, Capability.KMEANS_ASSIGN, Capability.BOI_AGGREGATION);
    }

    @Override
    public Availability availability() {
        return Availability.yes();
    }

    @Override
    public Backend create(int threads) {
        return new CpuBackend(name(), ScalarKernels.INSTANCE, threads, capabilities());
    }
}
