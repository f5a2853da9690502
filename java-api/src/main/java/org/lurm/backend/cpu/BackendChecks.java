package org.lurm.backend.cpu;

import org.lurm.backend.Backend;
import org.lurm.events.EventTable;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;

/**
 * The argument checks of the {@link Backend} contract, and the host-side CSR transpose, in one place so that every
 * backend (the CPU ones here, the CUDA one in {@code bindings}) rejects the same bad input with the same exception
 * and message. Static and stateless: thread-safe.
 */
public final class BackendChecks {
    private BackendChecks() {
    }

    /** Throws {@link IndexOutOfBoundsException} unless {@code [off, off + n)} lies within an array of {@code length}. */
    public static void checkRange(String what, long length, long off, long n) {
        if (off < 0 || n < 0 || off + n > length) throw new IndexOutOfBoundsException(what + ": [" + off + ", " + (off + n) + ") outside array of " + length);
    }

    /** Returns the CSR column {@code c}; throws {@link IndexOutOfBoundsException} unless it is in {@code [0, nCols)}. */
    public static int checkColumn(int c, int nCols) {
        if (c < 0 || c >= nCols) throw new IndexOutOfBoundsException("CSR column " + c + " outside [0, " + nCols + ")");
        return c;
    }

    /**
     * Checks a CSR matrix's structure for {@link Backend#csrMultiply}: {@code rowPtr} has {@code nRows + 1} entries and
     * {@code cols} and {@code vals} hold at least {@code rowPtr[nRows]} entries (IllegalArgumentException otherwise).
     *
     * @return the number of non-zeros, {@code rowPtr[nRows]}
     */
    public static long csrNonZeros(I64Array rowPtr, I32Array cols, F32Array vals, int nRows) {
        if (rowPtr.length() != nRows + 1L) throw new IllegalArgumentException("rowPtr must have nRows+1 = " + (nRows + 1L) + " entries, has " + rowPtr.length());
        long nnz = rowPtr.get(nRows);
        if (cols.length() < nnz || vals.length() < nnz) throw new IllegalArgumentException("cols/vals shorter than rowPtr[nRows] = " + nnz);
        return nnz;
    }

    /**
     * Checks the arguments of {@link Backend#assignNearest}: at least one centroid, {@code dim >= 1}, {@code n >= 0},
     * the points and centroids long enough (IndexOutOfBoundsException) and both outputs at least {@code n} long.
     */
    public static void checkAssignNearest(F32Array points, int n, F32Array centroids, int kc, int dim, I32Array outIndex, F32Array outScore) {
        if (kc < 1) throw new IllegalArgumentException("need at least one centroid, got k = " + kc);
        if (dim < 1) throw new IllegalArgumentException("dim must be >= 1, got " + dim);
        if (n < 0) throw new IllegalArgumentException("negative point count " + n);
        checkRange("points", points.length(), 0, (long) n * dim);
        checkRange("centroids", centroids.length(), 0, (long) kc * dim);
        if (outIndex.length() < n || outScore.length() < n) throw new IllegalArgumentException("outputs shorter than n = " + n);
    }

    /**
     * Checks the arguments of {@link Backend#aggregate}: at least one interest, and an item-to-interest entry for
     * every item the events use (IllegalArgumentException otherwise).
     */
    public static void checkAggregate(EventTable events, I32Array itemInterest, int numInterests) {
        if (numInterests < 1) throw new IllegalArgumentException("numInterests must be >= 1, got " + numInterests);
        if (itemInterest.length() < events.numItems()) {
            throw new IllegalArgumentException("item-to-interest table has " + itemInterest.length() + " entries but the events use " + events.numItems() + " items");
        }
    }

    /**
     * The transpose of an {@code nRows x nCols} CSR matrix with {@code nnz} non-zeros (checked by
     * {@link #csrNonZeros}), as an {@code nCols x nRows} CSR matrix on the heap: a counting sort by column that keeps
     * the entries' order within each column. Throws {@link IndexOutOfBoundsException} for a column outside
     * {@code [0, nCols)}.
     */
    public static CsrTranspose transposeCsr(I64Array rowPtr, I32Array cols, F32Array vals, int nRows, int nCols, long nnz) {
        long[] tPtr = new long[nCols + 1];
        for (long j = 0; j < nnz; j++) tPtr[checkColumn(cols.get(j), nCols) + 1]++;
        for (int c = 0; c < nCols; c++) tPtr[c + 1] += tPtr[c];
        int[] tCols = new int[Math.toIntExact(nnz)];
        float[] tVals = new float[tCols.length];
        long[] fill = tPtr.clone();
        for (int row = 0; row < nRows; row++) {
            for (long j = rowPtr.get(row), e = rowPtr.get(row + 1); j < e; j++) {
                int dst = (int) fill[cols.get(j)]++;
                tCols[dst] = row;
                tVals[dst] = vals.get(j);
            }
        }
        return new CsrTranspose(I64Array.wrap(tPtr), I32Array.wrap(tCols), F32Array.wrap(tVals));
    }

    /** A transposed CSR matrix: row pointers, column indices and values, heap-backed. */
    public record CsrTranspose(I64Array rowPtr, I32Array cols, F32Array vals) {
    }
}
