package org.lurm.smen.ops;

import org.lurm.backend.cpu.Vectorization;
/**
 * Small dense matrix products on heap float arrays, the hot loops of the per-user SMEN ops (projection head,
 * InfoNCE similarities). Two implementations: {@link UserScalarKernels} (plain Java, the reference) and
 * {@code UserSimdKernels} (Vector API), which {@link org.lurm.backend.cpu.Vectorization} loads by name so that nothing links to incubator classes when
 * {@code jdk.incubator.vector} is absent (the same rule as the CPU backend).
 *
 * <p>All matrices are row-major, offsets in elements; every method ACCUMULATES into {@code c}. Each output
 * element is produced by exactly one call, as a chain of multiply-adds over the inner index in ascending order
 * that depends only on its position and the shapes, never on the row range a call covers: any split of the
 * output rows over threads gives the same bits. There are no horizontal (cross-lane) sums, whose order the
 * Vector API leaves open, so compiled and interpreted code agree too.
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
     * {@code c[i][j] += sum_r a[r][i] * b[r][j]} for rows i in [i0, i1), j in [0, m), r ascending in [0, n).
     * a is n x k, b is n x m, c is k x m.
     */
    void gemmTN(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int n, int k, int m, int i0, int i1);

    /**
     * {@code dst[j][i] = src[i][j]} for an r x c matrix at {@code srcOff} into c x r at {@code dstOff}. Products
     * with a transposed right factor go through this and {@link #gemmNN}: dot-product-shaped kernels would need
     * a horizontal vector sum, whose order differs between the interpreted and the compiled Vector API (the same
     * call would change its bits once the JIT compiles it).
     */
    static void transpose(float[] src, int srcOff, int rows, int cols, float[] dst, int dstOff) {
        // Blocks keep both sides in L1 for the 128..256-wide matrices of the head.
        final int blk = 32;
        for (int i0 = 0; i0 < rows; i0 += blk) {
            int i1 = Math.min(rows, i0 + blk);
            for (int j0 = 0; j0 < cols; j0 += blk) {
                int j1 = Math.min(cols, j0 + blk);
                for (int i = i0; i < i1; i++) {
                    for (int j = j0; j < j1; j++) dst[dstOff + j * rows + i] = src[srcOff + i * cols + j];
                }
            }
        }
    }

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

    /** The Vector API kernels from the one provider ({@link Vectorization}), or null with its reason. */
    final class Holder {
        private static final UserKernels SIMD = Vectorization.simd(Vectorization.Family.USERS, UserKernels.class);
        private static final String REASON = Vectorization.unavailableReason();
        private static final UserKernels BEST = SIMD != null ? SIMD : UserScalarKernels.INSTANCE;

        private Holder() {
        }
    }
}
