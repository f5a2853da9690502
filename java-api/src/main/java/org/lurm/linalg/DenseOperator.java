package org.lurm.linalg;

import java.util.Objects;
import org.lurm.backend.Backend;
import org.lurm.memory.F32Array;

/**
 * A dense row-major float32 matrix as a {@link LinearOperator}, computed with {@link Backend#gemm}.
 *
 * <p><b>Ownership.</b> Wraps {@code a} (no copy); it must outlive the operator. Thread-safe (immutable).
 */
public final class DenseOperator implements LinearOperator {
    private final Backend backend;
    private final F32Array a;
    private final int rows;
    private final int cols;

    public DenseOperator(Backend backend, F32Array a, int rows, int cols) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.a = Objects.requireNonNull(a, "matrix");
        if (rows < 0 || cols < 0) throw new IllegalArgumentException("shape must be non-negative, got " + rows + " x " + cols);
        if (a.length() < (long) rows * cols) throw new IllegalArgumentException("dense matrix " + rows + " x " + cols + " needs " + (long) rows * cols + " floats, array has " + a.length());
        this.rows = rows;
        this.cols = cols;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public void multiply(F32Array x, int r, F32Array out) {
        if (rows == 0 || r == 0) return;
        if (cols == 0) {
            out.slice(0, (long) rows * r).segment().fill((byte) 0);
            return;
        }
        backend.gemm(false, false, rows, r, cols, 1f, a, x, 0f, out);
    }

    @Override
    public void multiplyTranspose(F32Array x, int r, F32Array out) {
        if (cols == 0 || r == 0) return;
        if (rows == 0) {
            out.slice(0, (long) cols * r).segment().fill((byte) 0);
            return;
        }
        backend.gemm(true, false, cols, r, rows, 1f, a, x, 0f, out);
    }
}
