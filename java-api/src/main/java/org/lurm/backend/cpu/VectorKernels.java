package org.lurm.backend.cpu;

import java.lang.foreign.MemorySegment;

/**
 * Single-threaded float32 primitives over little-endian {@link MemorySegment}s (offsets in elements).
 * Two implementations: {@link ScalarKernels} (plain Java, the reference) and {@code SimdKernels} (Vector API),
 * which {@link Vectorization} loads by name so that this code never links to incubator classes when the module is absent.
 *
 * <p>Implementations are stateless and thread-safe.
 */
public interface VectorKernels {
    String name();

    /** sum a[aOff+i] * b[bOff+i], i in [0, n). */
    float dot(MemorySegment a, long aOff, MemorySegment b, long bOff, int n);

    /** y[yOff+i] += alpha * x[xOff+i]. */
    void axpy(float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff, int n);

    /**
     * One row of a CSR x dense product: out[outOff+i] = sum over j in [from, to) of vals[j] * x[cols[j]*r + i],
     * i in [0, r), accumulated in j order (the order of {@link #axpy} over the row's non-zeros). {@code cols}
     * holds int32 and {@code vals} float32 entries (element offsets); the columns must already be checked.
     */
    void csrRow(MemorySegment cols, MemorySegment vals, long from, long to, MemorySegment x, int r, MemorySegment out, long outOff);

    /**
     * Four dot products of x against rows r0..r3 of {@code m} (each n long, starting at element offsets
     * o0..o3), written to out[0..3]. Register blocking: x is loaded once for four rows.
     */
    void dot4(MemorySegment x, long xOff, MemorySegment m, long o0, long o1, long o2, long o3, int n, float[] out);

    /**
     * Centroids laid out for {@link #nearest}: built once per assignment call by {@link #packCentroids},
     * immutable, and safe to share between the threads that split the points. The layout is the
     * implementation's own; it may be a copy or may reference the centroid memory it was built from (which must
     * then stay alive while it is used).
     */
    interface PackedCentroids {
        /** Number of centroids. */
        int count();

        /** Width of every centroid. */
        int dim();
    }

    /** Prepares k centroids of width dim, stored row-major from element offset {@code off}, for {@link #nearest}. */
    PackedCentroids packCentroids(MemorySegment centroids, long off, int k, int dim);

    /**
     * Nearest-centroid search by largest dot product for {@code count} points stored row-major from element
     * offset {@code pointOff} (width {@code centroids.dim()}): writes the centroid index to
     * {@code outIndex[outOff + i]} (int32) and the dot product to {@code outScore[outOff + i]} (float32).
     * Ties go to the lower centroid index; a NaN score never wins (all-NaN gives index 0, score -Infinity).
     * The result of one point never depends on the others, so any split of the points gives the same output.
     */
    void nearest(PackedCentroids centroids, MemorySegment points, long pointOff, int count,
                 MemorySegment outIndex, MemorySegment outScore, long outOff);
}
