package org.lurm.linalg;

import org.lurm.memory.F32Array;

/**
 * A real matrix A ({@link #rows()} x {@link #cols()}) that is known only through its products with dense
 * blocks of vectors: what the randomized SVD needs, so that sparse matrices (PPMI, TF-IDF) are never densified.
 *
 * <p>All blocks are row-major float32: a block of {@code r} vectors of length n is an n x r matrix. Inputs are
 * only read during a call and outputs are overwritten; nothing is retained.
 *
 * <p><b>Thread-safety.</b> Implementations in this package are immutable and may be used from several threads
 * at once, as long as each call has its own output block.
 */
public interface LinearOperator {
    int rows();

    int cols();

    /** out = A · x, where x is cols x r and out is rows x r. */
    void multiply(F32Array x, int r, F32Array out);

    /** out = A^T · x, where x is rows x r and out is cols x r. */
    void multiplyTranspose(F32Array x, int r, F32Array out);
}
