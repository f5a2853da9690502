package org.lurm.spark;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Set;
import org.lurm.backend.Availability;
import org.lurm.backend.Backend;
import org.lurm.backend.BackendProvider;
import org.lurm.backend.Capability;
import org.lurm.backend.cpu.CpuBackendProvider;

/**
 * Two stand-ins for a non-CPU backend (score 0: never picked automatically, only through -Dlurm.backend), so the
 * executor paths a GPU takes can be tested without one: one with SMEN ops shared by all tasks, one without SMEN ops.
 */
final class TestBackends {
    private TestBackends() {
    }

    /** What both stand-ins share: a name, score 0, the CPU backend's capabilities, always available. */
    private abstract static class StandIn implements BackendProvider {
        private final String name;

        StandIn(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int score() {
            return 0;
        }

        @Override
        public Set<Capability> capabilities() {
            return new CpuBackendProvider().capabilities();
        }

        @Override
        public Availability availability() {
            return Availability.yes();
        }
    }

    /** A backend whose SMEN ops are the CPU backend's (multi-threaded, shared across tasks). */
    public static final class SharedOps extends StandIn {
        public SharedOps() {
            super("spark-test-shared");
        }

        @Override
        public Backend create(int threads) {
            return new CpuBackendProvider().create(2);
        }
    }

    /** A backend that has no SMEN ops (like today's CUDA backend): encoding must fall back to the CPU, saying so. */
    public static final class NoSmenOps extends StandIn {
        public NoSmenOps() {
            super("spark-test-no-smen");
        }

        @Override
        public Backend create(int threads) {
            Backend cpu = new CpuBackendProvider().create(1);
            return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (proxy, m, args) -> {
                if (m.getName().equals("smenOps")) throw new UnsupportedOperationException("backend 'spark-test-no-smen' has no SMEN ops yet");
                try {
                    return m.invoke(cpu, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });
        }
    }
}
