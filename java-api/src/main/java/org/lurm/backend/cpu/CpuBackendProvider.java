package org.lurm.backend.cpu;

import java.util.EnumSet;
import java.util.Set;
import org.lurm.backend.Availability;
import org.lurm.backend.Backend;
import org.lurm.backend.BackendProvider;
import org.lurm.backend.Capability;

/**
 * "cpu": the Vector API backend. Unavailable, with the flag to add, when {@code jdk.incubator.vector} is not
 * in the boot layer (the Vector API kernels come from {@link Vectorization}); automatic selection then falls to "cpu-scalar" and logs why.
 */
public final class CpuBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int score() {
        return 100;
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.DENSE_MATH, Capability.SPARSE_MATH, Capability.KMEANS_ASSIGN, Capability.BOI_AGGREGATION, Capability.SIMD);
    }

    @Override
    public Availability availability() {
        return Vectorization.available() ? Availability.yes() : Availability.no(Vectorization.unavailableReason());
    }

    @Override
    public Backend create(int threads) {
        VectorKernels simd = Vectorization.simd(Vectorization.Family.BACKEND, VectorKernels.class);
        if (simd == null) throw new IllegalStateException("backend 'cpu' cannot run: " + Vectorization.unavailableReason());
        return new CpuBackend(name(), simd, threads, capabilities());
    }
}
