package org.lurm.smen.ops;

import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Vectorization;

/**
 * Single-threaded kernels of the per-row SMEN ops ({@link AnchorAttention}, {@link AnchorProjection}); the ops
 * split rows (or interests) into chunks and call these on each chunk. Two implementations:
 * {@link RowKernelsScalar} (plain Java, the reference) and {@code RowKernelsSimd} (Vector API), loaded by
 * {@link Vectorization} so that nothing links to incubator classes unless {@code jdk.incubator.vector} is present.
 *
 * <p>Layouts (row t of the batch, anchor m, non-zero j, width h, output width d'): r and dr are [t][m][i]
 * (T*M*h), o and do are [t][m][j'] (T*M*d'), attention and its gradient ds are [j][m] (nnz*M), the anchor
 * gradient partial dA is [m][i] (M*h) like A, the projection partials dW [m][i][j'] and db [m][j'] like W and b.
 *
 * <p>Implementations are stateless and thread-safe; each method writes only the rows or interests it is given,
 * plus the partial arrays its caller hands to that one chunk.
 */
interface RowKernels {
    String name();

    /**
     * Fused forward of rows [rowFrom, rowTo): one pass over each row's non-zeros with an online softmax per anchor;
     * writes r and, when {@code attn} is not null, the attention weights a[m,j].
     */
    void attendRows(RowAttentionCall c, int rowFrom, int rowTo, float[] r, float[] attn);

    /**
     * First backward pass over rows [rowFrom, rowTo): writes ds[j][m] = dL/ds[m,j] (the score gradient, before the
     * 1/sqrt(h) factor) for every non-zero of those rows and adds sum_j ds[m,j] V[k_j] / sqrt(h) into the chunk's
     * partial {@code dA} ([m][i]).
     */
    void attendRowsBackward(RowAttentionCall c, int rowFrom, int rowTo, float[] attn, float[] dr, float[] ds, float[] dA);

    /**
     * Second backward pass for the interests in [kLo, kHi): scans rows [0, rows) in order and, for every non-zero j
     * of row t with such an interest k, adds sum_m a[m,j] dr[t,m] + ds[m,j] A_m / sqrt(h) into grad's V row k.
     * The caller gives each thread its own interest range, so each V row is written by one thread, in row order.
     */
    void interestGrads(RowAttentionCall c, int rows, int kLo, int kHi, float[] attn, float[] ds, float[] dr, float[] grad);

    /** o[t,m] = W_m^T r[t,m] + b_m for rows [rowFrom, rowTo). */
    void projectRows(RowProjectionCall c, int rowFrom, int rowTo, float[] r, float[] o);

    /**
     * Projection backward for rows [rowFrom, rowTo): dr[t,m] += W_m dout[t,m] (rows owned by this chunk), and the
     * chunk's partials dW[m][i][j'] += r[t,m,i] dout[t,m,j'], db[m][j'] += dout[t,m,j'].
     */
    void projectRowsBackward(RowProjectionCall c, int rowFrom, int rowTo, float[] r, float[] dout, float[] dr, float[] dW, float[] db);

    /** Names accepted by {@link #named(String)}. */
    String SCALAR = "scalar";
    String VECTOR = "vector";

    /** Added to every message about the Vector API being unavailable. */
    String FLAG_HINT = Vectorization.FLAG_HINT;

    /** True when the Vector API kernels can be loaded here. */
    static boolean vectorAvailable() {
        return Holder.VECTOR_FAILURE == null;
    }

    /**
     * The kernels picked the way the CPU backend is picked: {@code -Dlurm.backend} / {@code LURM_BACKEND} =
     * "cpu-scalar" forces the scalar kernels, "cpu" forces the Vector API ones (failing with the flag to add when
     * they cannot load); otherwise the Vector API kernels when available, else the scalar ones (logged once).
     */
    static RowKernels select() {
        String req = Backends.requestedName();
        if ("cpu-scalar".equals(req)) return RowKernelsScalar.INSTANCE;
        if ("cpu".equals(req)) return named(VECTOR);
        if (Holder.VECTOR != null) return Holder.VECTOR;
        return RowKernelsScalar.INSTANCE;
    }

    /** "scalar" or "vector" (the latter fails with the reason and the flag to add when unavailable). */
    static RowKernels named(String name) {
        if (SCALAR.equals(name)) return RowKernelsScalar.INSTANCE;
        if (VECTOR.equals(name)) {
            if (Holder.VECTOR == null) throw new IllegalStateException("SMEN row kernels 'vector' cannot run: " + Holder.VECTOR_FAILURE);
            return Holder.VECTOR;
        }
        throw new IllegalArgumentException("unknown SMEN row kernels '" + name + "'; known: " + SCALAR + ", " + VECTOR);
    }

    /** The Vector API kernels from the one provider ({@link Vectorization}), or null with its reason. */
    final class Holder {
        static final RowKernels VECTOR = Vectorization.simd(Vectorization.Family.ROWS, RowKernels.class);
        static final String VECTOR_FAILURE = Vectorization.unavailableReason();

        private Holder() {
        }
    }
}
