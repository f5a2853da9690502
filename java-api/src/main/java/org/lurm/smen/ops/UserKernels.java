package org.lurm.smen.ops;

/**
 * Small dense matrix products on heap float arrays, the hot loops of the per-user SMEN ops (projection head,
 * InfoNCE similarities). Two implementations: {@link UserScalarKernels} (plain Java, the reference) and
 * {@code UserSimdKernels} (Vector API), which is loaded by name so that nothing links to incubator classes when
 * {@code jdk.incubator.vector} is absent (the same rule as the CPU backend).
 *
 * <p>All matrices are row-major, offsets in elements; every method ACCUMULATES into {@code c}. Each output
 * element is produced by exactly one call, by a sequence of operations that depends only on its position and
 * the shapes, never on the row range a call covers: any split of the output rows over threads gives the same
 * bits.
 *
 * <p>Implementations are stateless and thread-safe (callers split outputs so that no two threads write the
 * same element).
 */
interface UserKernels {
    String name();

    /**
     * {@code c[r][j] += sum_i a[r][i] * b[i][j]} for rows r in [r0, r1), j in [0, m), i ascending in [0, k).
     * a has rows of width k, b is k x m, c has rows of width m.
     */
    void gemmNN(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int k, int m, int r0, int r1);

    /**
     * {@code c[r][i] += sum_j a[r][j] * b[i][j]} for rows r in [r0, r1), i in [0, m), j in [0, k).
     * a has rows of width k, b is m x k, c has rows of width m.
     */
    void gemmNT(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int k, int m, int r0, int r1);

    /**
     * {@code c[i][j] += sum_r a[r][i] * b[r][j]} for rows i in [i0, i1), j in [0, m), r ascending in [0, n).
     * a is n x k, b is n x m, c is k x m.
     */
    void gemmTN(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int n, int k, int m, int i0, int i1);

    /** The Vector API kernels when {@code jdk.incubator.vector} is readable, else the scalar reference. */
    static UserKernels best() {
        return Holder.BEST;
    }

    /** The plain-Java reference. */
    static UserKernels scalar() {
        return UserScalarKernels.INSTANCE;
    }

    /** The Vector API kernels, or null (with the reason in {@link #simdUnavailableReason()}) when absent. */
    static UserKernels simd() {
        return Holder.SIMD;
    }

    /** Why {@link #simd()} is null, or null when it is available. */
    static String simdUnavailableReason() {
        return Holder.REASON;
    }

    final class Holder {
        private static final UserKernels SIMD;
        private static final String REASON;
        private static final UserKernels BEST;

        static {
            UserKernels k = null;
            String why = null;
            if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                why = "jdk.incubator.vector not readable: add --add-modules jdk.incubator.vector to the java command line";
            } else {
                try {
                    // Loaded by name so nothing links to incubator classes unless the module is present.
                    k = (UserKernels) Class.forName("org.lurm.smen.ops.UserSimdKernels").getDeclaredConstructor().newInstance();
                } catch (ReflectiveOperationException | LinkageError e) {
                    why = "Vector API kernels failed to load: " + e;
                }
            }
            SIMD = k;
            REASON = why;
            BEST = k != null ? k : UserScalarKernels.INSTANCE;
        }

        private Holder() {
        }
    }
}
