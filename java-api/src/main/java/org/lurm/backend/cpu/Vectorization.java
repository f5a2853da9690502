package org.lurm.backend.cpu;

import java.lang.reflect.Constructor;
import java.util.EnumMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The one place where lurm decides whether its CPU kernels use the Vector API ({@code jdk.incubator.vector}), in the
 * manner of Lucene's {@code VectorizationProvider}: every kernel family has a plain-Java implementation and a Vector
 * API one behind the same interface; the Vector API ones are loaded here, by name, all together and once per JVM,
 * so that code which never calls a kernel never links an incubator class, and a JVM started without
 * {@code --add-modules jdk.incubator.vector} runs the scalar kernels everywhere (logged once, with the flag to add).
 *
 * <p>Either every family's Vector API implementation loads, or none is used: a partial load (one class failing to
 * link) is reported as unavailable with its error, so the CPU backend and the SMEN ops never mix the two.
 *
 * <p>Which implementation a caller uses given the user's request ({@code -Dlurm.backend} / {@code LURM_BACKEND}) is
 * the caller's policy (the CPU backend provider, {@code RowKernels.select}); this class only says what can run.
 *
 * <p>Internal (not exported by the {@code org.lurm} module). Thread-safe: immutable after class initialisation.
 */
public final class Vectorization {
    /** Added to every message about the Vector API being unavailable. */
    public static final String FLAG_HINT = "jdk.incubator.vector not readable: add --add-modules jdk.incubator.vector to the java command line";

    /** The kernel families with a Vector API implementation, and the class that implements each. */
    public enum Family {
        /** {@link VectorKernels}: the CPU backend's dense, sparse, k-means and BoI kernels. */
        BACKEND("org.lurm.backend.cpu.SimdKernels"),
        /** SMEN's per-row kernels (anchor attention and projection, forward and backward). */
        ROWS("org.lurm.smen.ops.RowKernelsSimd"),
        /** SMEN's per-user kernels (the deterministic GEMMs of the head, InfoNCE and the interest prediction). */
        USERS("org.lurm.smen.ops.UserSimdKernels");

        private final String className;

        Family(String className) {
            this.className = className;
        }
    }

    private static final Map<Family, Object> SIMD;
    private static final String REASON;

    static {
        Map<Family, Object> loaded = new EnumMap<>(Family.class);
        String why = null;
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            why = FLAG_HINT;
        } else {
            for (Family f : Family.values()) {
                try {
                    Constructor<?> c = Class.forName(f.className).getDeclaredConstructor();
                    c.setAccessible(true); // the SMEN kernel classes are package-private; same module
                    loaded.put(f, c.newInstance());
                } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                    why = "Vector API kernels (" + f.className + ") failed to load: " + e;
                    loaded.clear();
                    break;
                }
            }
        }
        if (why != null) Logger.getLogger(Vectorization.class.getName()).info("CPU kernels fall back to plain Java: " + why);
        SIMD = loaded;
        REASON = why;
    }

    private Vectorization() {
    }

    /** True when the Vector API implementations of every family loaded. */
    public static boolean available() {
        return REASON == null;
    }

    /** Why {@link #available()} is false (with the flag to add when the module is missing), or null. */
    public static String unavailableReason() {
        return REASON;
    }

    /**
     * The Vector API implementation of one family (one instance per JVM; the kernels are stateless), or null when
     * {@link #available()} is false.
     */
    public static <T> T simd(Family family, Class<T> type) {
        Object k = SIMD.get(family);
        return k == null ? null : type.cast(k);
    }
}
