package org.lurm.backend.cpu;

import java.util.EnumSet;
import java.util.Set;
import org.lurm.backend.Availability;
import org.lurm.backend.Backend;
import org.lurm.backend.BackendProvider;
import org.lurm.backend.Capability;

/**
 * "cpu": the Vector API backend. Unavailable, with the flag to add, when {@code jdk.incubator.vector} is not
 * in the boot layer; automatic selection then falls to "cpu-scalar" and logs why.
 */
public final class CpuBackendProvider implements BackendProvider {
    static final String FLAG_HINT = "jdk.incubator.vector not readable: add --add-modules jdk.incubator.vector to the java command line";

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
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return Availability.no(FLAG_HINT);
        try {
            simd();
            return Availability.yes();
        } catch (ReflectiveOperationException | LinkageError e) {
            return Availability.no("Vector API kernels failed to load: " + e);
        }
    }

    private static VectorKernels simd() throws ReflectiveOperationException {
        // Loaded by name so nothing links to incubator classes unless the module is present.
        return (VectorKernels) Class.forName("org.lurm.backend.cpu.SimdKernels").getDeclaredConstructor().newInstance();
    }

    @Override
    public Backend create(int threads) {
        try {
            return new CpuBackend(name(), simd(), threads, capabilities());
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException(FLAG_HINT + " (" + e + ")", e);
        }
    }
}
