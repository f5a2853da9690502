package org.lurm.linalg;

import java.util.Objects;
import org.lurm.backend.Backend;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;

/**
 * A sparse {@link LinearOperator} over a {@link CsrMatrix}, computed with {@link Backend#csrMultiply}.
 *
 * <p>Products with A^T use a stored transpose when there is one ({@link #withTranspose}: built once, so the
 * power iterations of the randomized SVD do not transpose the matrix on every product; {@link #symmetric}:
 * A itself), otherwise the backend's transposed multiply.
 *
 * <p><b>Ownership.</b> Wraps the matrices (no copy); they must outlive the operator. Thread-safe (immutable).
 */
public final class CsrOperator implements LinearOperator {
    private final Backend backend;
    private final CsrMatrix a;
    private final CsrMatrix at;

    private CsrOperator(Backend backend, CsrMatrix a, CsrMatrix at) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.a = Objects.requireNonNull(a, "matrix");
        if (at != null && (at.rows() != a.cols() || at.cols() != a.rows())) {
            throw new IllegalArgumentException("transpose is " + at.rows() + " x " + at.cols() + " but the matrix is " + a.rows() + " x " + a.cols());
        }
        this.at = at;
    }

    /** A^T products through the backend's transposed multiply (no extra memory, more work per product). */
    public static CsrOperator of(Backend backend, CsrMatrix a) {
        return new CsrOperator(backend, a, null);
    }

    /** Builds A^T once in {@code scope} (as much memory again as A) for fast A^T products. */
    public static CsrOperator withTranspose(Backend backend, CsrMatrix a, MemoryScope scope) {
        return new CsrOperator(backend, a, a.transpose(scope));
    }

    /** For a matrix the caller knows to be symmetric: A^T products use A. */
    public static CsrOperator symmetric(Backend backend, CsrMatrix a) {
        if (a.rows() != a.cols()) throw new IllegalArgumentException("a symmetric matrix must be square, got " + a.rows() + " x " + a.cols());
        return new CsrOperator(backend, a, a);
    }

    public CsrMatrix matrix() {
        return a;
    }

    @Override
    public int rows() {
        return a.rows();
    }

    @Override
    public int cols() {
        return a.cols();
    }

    @Override
    public void multiply(F32Array x, int r, F32Array out) {
        backend.csrMultiply(false, a.rowPtr(), a.colIndex(), a.values(), a.rows(), a.cols(), x, r, out);
    }

    @Override
    public void multiplyTranspose(F32Array x, int r, F32Array out) {
        if (at != null) backend.csrMultiply(false, at.rowPtr(), at.colIndex(), at.values(), at.rows(), at.cols(), x, r, out);
        else backend.csrMultiply(true, a.rowPtr(), a.colIndex(), a.values(), a.rows(), a.cols(), x, r, out);
    }
}
