package org.lurm.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import org.lurm.LurmModel;
import org.lurm.backend.Backend;
import org.lurm.backend.BackendProvider;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Parallel;
import org.lurm.memory.MemoryScope;
import org.lurm.smen.CpuSmenOps;
import org.lurm.smen.SmenModel;
import org.lurm.smen.SmenOps;

/**
 * The per-JVM cache of loaded models on an executor (and on the driver in {@code local[*]} mode): each model file
 * is loaded once, into a long-lived {@link MemoryScope}, and shared by every task that encodes with it.
 *
 * <p>The backend is picked by {@link Backends#select()} (the same rule and overrides as locally:
 * {@code -Dlurm.backend}, {@code LURM_BACKEND}). On the CPU backends every task gets its own single-threaded SMEN
 * ops (Spark's task slots are the parallelism; the kernels are those of the local encoder). Any other backend is
 * created once per JVM and its SMEN ops are shared, one task at a time; a backend that has no SMEN ops yet is
 * reported in the log and the CPU encoder is used.
 *
 * <p><b>Thread-safety.</b> Thread-safe: loading is once per key; {@link #closeAll()} must not race with running
 * tasks (call it when the executor, or a test, is done).
 */
public final class ExecutorModels {
    private static final Logger LOG = Logger.getLogger(ExecutorModels.class.getName());
    private static final Map<String, Loaded> CACHE = new ConcurrentHashMap<>();

    private ExecutorModels() {
    }

    /** One loaded model: its scope, the model, its parameters, and the shared non-CPU ops (or null: CPU). */
    static final class Loaded implements AutoCloseable {
        final MemoryScope scope;
        final LurmModel model;
        final float[] params;
        final Backend backend;
        final SmenOps sharedOps;
        final boolean vectorCpu;
        final Path tempFile;
        /** The backend's device encoder (parameters resident on the device), when it has one; used under this object's lock. */
        final org.lurm.smen.SmenEncoding deviceEncoder;

        Loaded(MemoryScope scope, LurmModel model, Backend backend, SmenOps sharedOps, boolean vectorCpu, Path tempFile) {
            this.scope = scope;
            this.model = model;
            this.params = model.smen().parameters();
            this.backend = backend;
            this.sharedOps = sharedOps;
            this.vectorCpu = vectorCpu;
            this.tempFile = tempFile;
            this.deviceEncoder = backend == null ? null : backend.smenEncoder(model.smen().layout(), params).orElse(null);
        }

        /** SMEN for one task: per-task CPU ops on {@code par}, or the shared backend ops. */
        SmenModel smenModel(Parallel par) {
            if (sharedOps != null) return new SmenModel(sharedOps);
            return new SmenModel(new CpuSmenOps(model.smen().layout(), par, vectorCpu));
        }

        @Override
        public void close() {
            try {
                if (deviceEncoder != null) deviceEncoder.close();
                if (backend != null) backend.close();
            } finally {
                scope.close();
                if (tempFile != null) {
                    try {
                        Files.deleteIfExists(tempFile);
                    } catch (IOException ignored) {
                        // a temp file left behind is harmless; the JVM's temp dir is cleaned with the executor
                    }
                }
            }
        }
    }

    static Loaded get(ModelSource source) {
        return CACHE.computeIfAbsent(source.key(), k -> load(source));
    }

    private static Loaded load(ModelSource source) {
        MemoryScope scope = MemoryScope.root("spark-model " + source.key());
        Path temp = null;
        Backend backend = null;
        try {
            Path file = source.resolve(Path.of(System.getProperty("java.io.tmpdir")));
            if (source instanceof ModelSource.Bytes) temp = file;
            LurmModel model = LurmModel.load(file, scope);
            BackendProvider p = Backends.select();
            SmenOps shared = null;
            boolean vector = !p.name().equals("cpu-scalar") && org.lurm.smen.ops.AnchorAttention.vectorAvailable();
            if (!p.name().startsWith("cpu")) {
                backend = p.create(Runtime.getRuntime().availableProcessors());
                try {
                    shared = backend.smenOps(model.smen().layout());
                } catch (UnsupportedOperationException e) {
                    LOG.warning("lurm backend '" + p.name() + "' was selected but cannot encode (" + e.getMessage() + "): encoding on the CPU");
                    backend.close();
                    backend = null;
                }
            }
            return new Loaded(scope, model, backend, shared, vector, temp);
        } catch (IOException e) {
            scope.close();
            throw new UncheckedIOException("cannot materialise model " + source.key(), e);
        } catch (RuntimeException | Error e) {
            if (backend != null) backend.close();
            scope.close();
            throw e;
        }
    }

    /** Closes every cached model (its scope, backend and temp file). The next task loads them again. */
    public static void closeAll() {
        for (String k : CACHE.keySet()) {
            Loaded l = CACHE.remove(k);
            if (l != null) l.close();
        }
    }

    /** Number of models loaded in this JVM (for tests and logs). */
    public static int loadedCount() {
        return CACHE.size();
    }
}
