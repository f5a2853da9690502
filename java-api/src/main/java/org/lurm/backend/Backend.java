package org.lurm.backend;

import java.util.Set;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.events.EventTable;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.memory.MemoryScope;

/**
 * The compute ops that LURM's stages are built from. Every backend computes the same results as the scalar
 * reference ({@code cpu-scalar}) within documented, normalised error bounds; the cross-backend tests check it.
 *
 * <p>All matrices are row-major float32. Unless a method says otherwise, inputs are only read during the call
 * and outputs are written in place; nothing is retained after the call returns.
 *
 * <p><b>Thread-safety.</b> A backend may be used from several threads at once; each op parallelises
 * internally over at most {@link #threads()} threads.
 */
public interface Backend extends AutoCloseable {
    String name();

    Set<Capability> capabilities();

    int threads();

    /** Sum of a[i]*b[i] for i in [0, n), starting at element offsets aOff and bOff. */
    float dot(F32Array a, long aOff, F32Array b, long bOff, int n);

    /**
     * C = alpha * op(A) * op(B) + beta * C, row-major; op(A) is m x k, op(B) is k x n, C is m x n.
     * A is stored m x k (or k x m when transA), B is stored k x n (or n x k when transB).
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, F32Array a, F32Array b, float beta, F32Array c);

    /**
     * out = X * D (or X^T * D when transpose) where X is a CSR matrix nRows x nCols (rowPtr has nRows+1
     * entries) and D is dense with r columns (nCols x r, or nRows x r when transpose). out is overwritten.
     */
    void csrMultiply(boolean transpose, I64Array rowPtr, I32Array cols, F32Array vals, int nRows, int nCols,
                     F32Array dense, int r, F32Array out);

    /**
     * For each of n points (n x dim), the index of the centroid (k x dim) with the largest dot product
     * (cosine for L2-normalised rows; ties go to the lower index) and that dot product.
     */
    void assignNearest(F32Array points, int n, F32Array centroids, int k, int dim, I32Array outIndex, F32Array outScore);

    /**
     * Bag-of-Interests aggregation (MODEL.md, Stage 1): the CSR rows of every (user, scale, period), with
     * T_max and the history row, allocated in {@code scope}.
     *
     * @param itemInterest interest of every item index of {@code events} (-1: none)
     */
    BoiSet aggregate(EventTable events, I32Array itemInterest, int numInterests, BoiConfig config, MemoryScope scope);

    /**
     * The SMEN ops (MODEL.md, Stage 2) of this backend for a model layout, or an
     * {@link UnsupportedOperationException} naming the backend when it has none yet.
     */
    @SuppressWarnings("exports") // internal: for lurm's own modules (docs/API.md)
    default org.lurm.smen.SmenOps smenOps(org.lurm.smen.SmenLayout layout) {
        throw new UnsupportedOperationException("backend '" + name() + "' has no SMEN ops yet");
    }

    /**
     * Keeps {@code array} where this backend computes until the returned handle is closed, so that ops given this
     * same array (the same memory, from its first element) read it there instead of copying it again, e.g. the
     * points of k-means' Lloyd iterations on a GPU. The caller must not change the array while it is retained.
     * Host backends compute on the array itself and return a handle that does nothing.
     */
    default Retained retain(org.lurm.memory.F32Array array) {
        return () -> { };
    }

    /** A {@link #retain}ed array; {@link #close} (idempotent) releases its device copy. */
    interface Retained extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * SMEN training kept on this backend's device for a whole run ({@link org.lurm.smen.SmenSteps}: parameters,
     * gradients and Adam's moments in device memory), or empty when the backend trains on the host (the CPU
     * backends). {@link org.lurm.smen.Smen#train} uses it when present.
     */
    @SuppressWarnings("exports") // internal: for lurm's own modules (docs/API.md)
    default java.util.Optional<org.lurm.smen.SmenSteps> smenTraining(org.lurm.smen.SmenLayout layout, float[] initialParams, long totalSteps) {
        return java.util.Optional.empty();
    }

    /**
     * An encoder session with the parameters placed on this backend's device once, or empty when the backend
     * encodes on the host. {@link org.lurm.smen.Smen#encoder} uses it when present.
     */
    @SuppressWarnings("exports") // internal: for lurm's own modules (docs/API.md)
    default java.util.Optional<org.lurm.smen.SmenEncoding> smenEncoder(org.lurm.smen.SmenLayout layout, float[] params) {
        return java.util.Optional.empty();
    }

    /** Idempotent. */
    @Override
    void close();
}
