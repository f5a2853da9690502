package org.lurm.linalg;

import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.memory.MemoryScope;

/**
 * A sparse float32 matrix in compressed sparse row form: row i holds the entries at positions
 * [rowPtr[i], rowPtr[i+1]) of {@code colIndex} and {@code values}. The layout is the one
 * {@link org.lurm.backend.Backend#csrMultiply} takes.
 *
 * <p><b>Ownership.</b> The three arrays are wrapped, not copied: they belong to whoever allocated them (for
 * matrices built in this package and in {@code org.lurm.embed}, the {@link MemoryScope} passed to the method
 * that built them) and must outlive this object. {@link #transpose(MemoryScope)} allocates its result in the
 * scope it is given.
 *
 * <p><b>Validation.</b> The constructor checks, in one pass over the structure, that rowPtr starts at 0, never
 * decreases, fits the arrays, and that every column index is in [0, cols): a malformed matrix is rejected with
 * the row and position named, never read out of bounds. Columns within a row need not be sorted.
 *
 * <p><b>Thread-safety.</b> Immutable once built (as long as nobody writes the wrapped arrays); safe for
 * concurrent reads.
 */
public final class CsrMatrix {
    private final int rows;
    private final int cols;
    private final I64Array rowPtr;
    private final I32Array colIndex;
    private final F32Array values;

    public CsrMatrix(int rows, int cols, I64Array rowPtr, I32Array colIndex, F32Array values) {
        if (rows < 0 || cols < 0) throw new IllegalArgumentException("CSR shape must be non-negative, got " + rows + " x " + cols);
        if (rowPtr.length() != rows + 1L) throw new IllegalArgumentException("CSR rowPtr must have rows+1 = " + (rows + 1L) + " entries, has " + rowPtr.length());
        if (rowPtr.get(0) != 0) throw new IllegalArgumentException("CSR rowPtr[0] must be 0, is " + rowPtr.get(0));
        long prev = 0;
        for (int i = 1; i <= rows; i++) {
            long p = rowPtr.get(i);
            if (p < prev) throw new IllegalArgumentException("CSR rowPtr decreases at row " + (i - 1) + ": " + prev + " then " + p);
            prev = p;
        }
        if (colIndex.length() < prev || values.length() < prev) {
            throw new IllegalArgumentException("CSR has " + prev + " entries by rowPtr but colIndex has " + colIndex.length() + " and values " + values.length());
        }
        for (long j = 0; j < prev; j++) {
            int c = colIndex.get(j);
            if (c < 0 || c >= cols) throw new IllegalArgumentException("CSR column index " + c + " at position " + j + " is outside [0, " + cols + ")");
        }
        this.rows = rows;
        this.cols = cols;
        this.rowPtr = rowPtr;
        this.colIndex = colIndex;
        this.values = values;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Number of stored entries. */
    public long nnz() {
        return rowPtr.get(rows);
    }

    public I64Array rowPtr() {
        return rowPtr;
    }

    public I32Array colIndex() {
        return colIndex;
    }

    public F32Array values() {
        return values;
    }

    /** Stored value at (row, col), summing duplicates; 0 when absent. O(entries of the row). */
    public float get(int row, int col) {
        if (row < 0 || row >= rows || col < 0 || col >= cols) throw new IndexOutOfBoundsException("(" + row + ", " + col + ") outside " + rows + " x " + cols);
        float s = 0f;
        for (long j = rowPtr.get(row), e = rowPtr.get(row + 1); j < e; j++) if (colIndex.get(j) == col) s += values.get(j);
        return s;
    }

    /**
     * A^T as a new CSR matrix (cols x rows) allocated in {@code scope}; within each row of the result the
     * column indices are ascending (a stable counting sort by column).
     */
    public CsrMatrix transpose(MemoryScope scope) {
        long nnz = nnz();
        I64Array tPtr = scope.allocateI64(cols + 1L);
        I32Array tCol = scope.allocateI32(nnz);
        F32Array tVal = scope.allocateF32(nnz);
        long[] fill = new long[cols + 1];
        for (long j = 0; j < nnz; j++) fill[colIndex.get(j) + 1]++;
        for (int c = 0; c < cols; c++) fill[c + 1] += fill[c];
        tPtr.copyFrom(fill, 0, 0, cols + 1);
        for (int r = 0; r < rows; r++) {
            for (long j = rowPtr.get(r), e = rowPtr.get(r + 1); j < e; j++) {
                long dst = fill[colIndex.get(j)]++;
                tCol.set(dst, r);
                tVal.set(dst, values.get(j));
            }
        }
        return new CsrMatrix(cols, rows, tPtr, tCol, tVal);
    }

    @Override
    public String toString() {
        return "CsrMatrix[" + rows + " x " + cols + ", " + nnz() + " entries]";
    }
}
