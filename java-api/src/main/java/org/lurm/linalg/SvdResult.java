package org.lurm.linalg;

import org.lurm.memory.F32Array;

/**
 * A truncated SVD A ≈ U · diag(s) · V^T with {@link #k()} components, as computed by {@link RandomizedSvd}.
 *
 * <p>U is rows x k and V is cols x k, row-major float32; s is descending. Components past the numerical
 * {@link #rank()} (the matrix has lower rank than k, or fewer rows/columns than k) have singular value 0 and
 * zero columns in U and V, so the shapes are always the requested ones. Rows of U for zero rows of A, and rows
 * of V for zero columns of A, are exactly zero. Signs are fixed: in each non-zero column of U (of V when U is
 * not requested) the entry of largest magnitude (first such on ties) is positive, and the other factor follows.
 *
 * <p><b>Ownership.</b> U and V are allocated in the {@link org.lurm.memory.MemoryScope} passed to
 * {@link RandomizedSvd#compute}; either is null when not requested. Thread-safe for reads.
 */
public final class SvdResult {
    private final int rows;
    private final int cols;
    private final int k;
    private final int rank;
    private final double[] s;
    private final F32Array u;
    private final F32Array v;

    SvdResult(int rows, int cols, int k, int rank, double[] s, F32Array u, F32Array v) {
        this.rows = rows;
        this.cols = cols;
        this.k = k;
        this.rank = rank;
        this.s = s;
        this.u = u;
        this.v = v;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Number of components (the requested width). */
    public int k() {
        return k;
    }

    /** Number of non-zero singular values kept (at most k). */
    public int rank() {
        return rank;
    }

    /** Copy of the k singular values, descending (zeros past the rank). */
    public double[] singularValues() {
        return s.clone();
    }

    public double singularValue(int i) {
        return s[i];
    }

    /** Left singular vectors, rows x k row-major, or null when not requested. */
    public F32Array u() {
        return u;
    }

    /** Right singular vectors, cols x k row-major, or null when not requested. */
    public F32Array v() {
        return v;
    }

    @Override
    public String toString() {
        return "SvdResult[" + rows + " x " + cols + ", k=" + k + ", rank=" + rank + "]";
    }
}
