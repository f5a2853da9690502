package org.lurm.eval;

import java.util.Arrays;
import java.util.Objects;
import org.lurm.backend.Backend;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;

/**
 * Frozen user vectors of one method, as the probes read them: a dense row-major matrix (rows x dim) or a sparse
 * CSR one (raw Bag-of-Interests: never densified). Row r is the r-th user of whatever the rows were built for
 * (all users of an event table, or a selection from {@link #rows(int[])}).
 *
 * <p>Products with weight blocks ({@link #multiply}, {@link #multiplyTranspose}) run on the {@link Backend}
 * (gemm for dense, csrMultiply for sparse) over the heap arrays, wrapped without copying, when they are large
 * enough to gain from its threads; small ones run in a loop on the calling thread.
 *
 * <p><b>Thread-safety.</b> Immutable; the arrays are never modified after construction.
 */
public final class Features {
    private final String name;
    private final int rows;
    private final int dim;
    private final float[] dense;
    private final long[] rowPtr;
    private final int[] cols;
    private final float[] vals;

    private Features(String name, int rows, int dim, float[] dense, long[] rowPtr, int[] cols, float[] vals) {
        this.name = Objects.requireNonNull(name, "name");
        if (rows < 0 || dim < 1) throw new IllegalArgumentException("features need rows >= 0 and dim >= 1, got " + rows + " x " + dim);
        this.rows = rows;
        this.dim = dim;
        this.dense = dense;
        this.rowPtr = rowPtr;
        this.cols = cols;
        this.vals = vals;
    }

    /** Dense features over a row-major array (taken, not copied: do not modify it afterwards). */
    public static Features dense(String name, float[] data, int rows, int dim) {
        if (data.length != (long) rows * dim) throw new IllegalArgumentException("dense features " + rows + " x " + dim + " need " + (long) rows * dim + " floats, got " + data.length);
        for (float v : data) if (!Float.isFinite(v)) throw new IllegalArgumentException("features '" + name + "' contain a non-finite value");
        return new Features(name, rows, dim, data, null, null, null);
    }

    /** Dense features copied from an off-heap matrix (rows x dim). */
    public static Features dense(String name, F32Array data, int rows, int dim) {
        float[] a = new float[Math.multiplyExact(rows, dim)];
        data.copyTo(0, a, 0, a.length);
        return dense(name, a, rows, dim);
    }

    /** Sparse CSR features (taken, not copied); column indices must be in [0, dim). */
    public static Features sparse(String name, int rows, int dim, long[] rowPtr, int[] cols, float[] vals) {
        if (rowPtr.length != rows + 1 || rowPtr[0] != 0 || rowPtr[rows] != cols.length || cols.length != vals.length) {
            throw new IllegalArgumentException("malformed CSR features '" + name + "'");
        }
        for (int r = 0; r < rows; r++) if (rowPtr[r + 1] < rowPtr[r]) throw new IllegalArgumentException("CSR row pointers must not decrease");
        for (int c : cols) if (c < 0 || c >= dim) throw new IllegalArgumentException("CSR column " + c + " outside [0, " + dim + ")");
        for (float v : vals) if (!Float.isFinite(v)) throw new IllegalArgumentException("features '" + name + "' contain a non-finite value");
        return new Features(name, rows, dim, null, rowPtr, cols, vals);
    }

    public String name() {
        return name;
    }

    public int rows() {
        return rows;
    }

    public int dim() {
        return dim;
    }

    public boolean isSparse() {
        return dense == null;
    }

    /** Stored values (rows x dim for dense, nnz for sparse). */
    public long storedValues() {
        return dense != null ? dense.length : vals.length;
    }

    /** Value at (r, c) (a search in the row for sparse features). */
    public float get(int r, int c) {
        if (dense != null) return dense[r * dim + c];
        int lo = (int) rowPtr[r], hi = (int) rowPtr[r + 1];
        int at = Arrays.binarySearch(cols, lo, hi, c);
        if (at >= 0) return vals[at];
        for (int j = lo; j < hi; j++) if (cols[j] == c) return vals[j]; // unsorted rows
        return 0f;
    }

    /** Row r as a dense copy. */
    public float[] row(int r) {
        float[] out = new float[dim];
        if (dense != null) System.arraycopy(dense, r * dim, out, 0, dim);
        else for (int j = (int) rowPtr[r]; j < rowPtr[r + 1]; j++) out[cols[j]] += vals[j];
        return out;
    }

    /** These features in CSR form without the zero entries (a copy; sparse features are copied as they are). */
    public Features toSparse(String newName) {
        if (dense == null) return new Features(newName, rows, dim, null, rowPtr.clone(), cols.clone(), vals.clone());
        long nnz = 0;
        for (float v : dense) if (v != 0f) nnz++;
        long[] p = new long[rows + 1];
        int[] c = new int[Math.toIntExact(nnz)];
        float[] v = new float[c.length];
        int at = 0;
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < dim; j++) {
                float x = dense[r * dim + j];
                if (x != 0f) {
                    c[at] = j;
                    v[at++] = x;
                }
            }
            p[r + 1] = at;
        }
        return new Features(newName, rows, dim, null, p, c, v);
    }

    /** The selected rows, in the given order (a copy). */
    public Features rows(int[] select) {
        if (dense != null) {
            float[] d = new float[select.length * dim];
            for (int i = 0; i < select.length; i++) System.arraycopy(dense, select[i] * dim, d, i * dim, dim);
            return new Features(name, select.length, dim, d, null, null, null);
        }
        long[] p = new long[select.length + 1];
        for (int i = 0; i < select.length; i++) p[i + 1] = p[i] + (rowPtr[select[i] + 1] - rowPtr[select[i]]);
        int[] c = new int[(int) p[select.length]];
        float[] v = new float[c.length];
        for (int i = 0; i < select.length; i++) {
            int from = (int) rowPtr[select[i]], len = (int) (p[i + 1] - p[i]);
            System.arraycopy(cols, from, c, (int) p[i], len);
            System.arraycopy(vals, from, v, (int) p[i], len);
        }
        return new Features(name, select.length, dim, null, p, c, v);
    }

    /**
     * Column means and standard deviations of these rows (population std; 1 where a column is constant), for
     * standardising dense features on a training fold.
     */
    public double[][] columnMoments() {
        if (dense == null) throw new IllegalStateException("sparse features are not standardised (centring would densify them)");
        double[] mean = new double[dim], sd = new double[dim];
        for (int r = 0; r < rows; r++) for (int c = 0; c < dim; c++) mean[c] += dense[r * dim + c];
        for (int c = 0; c < dim; c++) mean[c] /= Math.max(1, rows);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < dim; c++) {
                double d = dense[r * dim + c] - mean[c];
                sd[c] += d * d;
            }
        }
        for (int c = 0; c < dim; c++) {
            sd[c] = Math.sqrt(sd[c] / Math.max(1, rows));
            if (!(sd[c] > 1e-12)) sd[c] = 1;
        }
        return new double[][] {mean, sd};
    }

    /** (x - mean) / sd column-wise (a copy); sparse features come back unchanged. */
    public Features standardized(double[][] moments) {
        if (dense == null) return this;
        double[] mean = moments[0], sd = moments[1];
        float[] d = new float[dense.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < dim; c++) d[r * dim + c] = (float) ((dense[r * dim + c] - mean[c]) / sd[c]);
        return new Features(name, rows, dim, d, null, null, null);
    }

    /**
     * Products at or above this many multiply-adds go to the backend (all its threads); smaller ones run in a
     * plain loop on the calling thread, where handing work to a thread pool costs more than it saves (the
     * probes make thousands of small products).
     */
    static final long BACKEND_MIN_WORK = 1L << 22;

    /** out (rows x p) = X · w, where w is dim x p, row-major. */
    public void multiply(Backend backend, float[] w, int p, float[] out) {
        if (rows == 0) return;
        long work = (dense != null ? (long) rows * dim : vals.length) * (long) p;
        if (work >= BACKEND_MIN_WORK) {
            if (dense != null) backend.gemm(false, false, rows, p, dim, 1f, F32Array.wrap(dense), F32Array.wrap(w), 0f, F32Array.wrap(out));
            else backend.csrMultiply(false, I64Array.wrap(rowPtr), I32Array.wrap(cols), F32Array.wrap(vals), rows, dim, F32Array.wrap(w), p, F32Array.wrap(out));
            return;
        }
        java.util.Arrays.fill(out, 0, rows * p, 0f);
        for (int i = 0; i < rows; i++) {
            int o = i * p;
            if (dense != null) {
                for (int j = 0; j < dim; j++) {
                    float x = dense[i * dim + j];
                    if (x == 0f) continue;
                    int wo = j * p;
                    for (int q = 0; q < p; q++) out[o + q] += x * w[wo + q];
                }
            } else {
                for (int jj = (int) rowPtr[i]; jj < rowPtr[i + 1]; jj++) {
                    float x = vals[jj];
                    int wo = cols[jj] * p;
                    for (int q = 0; q < p; q++) out[o + q] += x * w[wo + q];
                }
            }
        }
    }

    /** out (dim x p) = X^T · r, where r is rows x p, row-major. */
    public void multiplyTranspose(Backend backend, float[] r, int p, float[] out) {
        if (rows == 0) {
            Arrays.fill(out, 0, dim * p, 0f);
            return;
        }
        long work = (dense != null ? (long) rows * dim : vals.length) * (long) p;
        if (work >= BACKEND_MIN_WORK) {
            if (dense != null) backend.gemm(true, false, dim, p, rows, 1f, F32Array.wrap(dense), F32Array.wrap(r), 0f, F32Array.wrap(out));
            else backend.csrMultiply(true, I64Array.wrap(rowPtr), I32Array.wrap(cols), F32Array.wrap(vals), rows, dim, F32Array.wrap(r), p, F32Array.wrap(out));
            return;
        }
        Arrays.fill(out, 0, dim * p, 0f);
        for (int i = 0; i < rows; i++) {
            int ro = i * p;
            if (dense != null) {
                for (int j = 0; j < dim; j++) {
                    float x = dense[i * dim + j];
                    if (x == 0f) continue;
                    int o = j * p;
                    for (int q = 0; q < p; q++) out[o + q] += x * r[ro + q];
                }
            } else {
                for (int jj = (int) rowPtr[i]; jj < rowPtr[i + 1]; jj++) {
                    float x = vals[jj];
                    int o = cols[jj] * p;
                    for (int q = 0; q < p; q++) out[o + q] += x * r[ro + q];
                }
            }
        }
    }

    long[] csrRowPtr() {
        return rowPtr;
    }

    int[] csrCols() {
        return cols;
    }

    float[] csrVals() {
        return vals;
    }

    @Override
    public String toString() {
        return name + " (" + rows + " x " + dim + (dense == null ? ", sparse, " + vals.length + " non-zeros" : ", dense") + ")";
    }
}
