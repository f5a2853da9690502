package org.lurm.backend.cpu;

import java.lang.foreign.MemorySegment;

/**
 * Single-threaded float32 primitives over little-endian {@link MemorySegment}s (offsets in elements).
 * Two implementations: {@link ScalarKernels} (plain Java, the reference) and {@code SimdKernels} (Vector API),
 * which is loaded by name so that this code never links to incubator classes when the module is absent.
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
     * Four dot products of x against rows r0..r3 of {@code m} (each n long, starting at element offsets
     * o0..o3), written to out[0..3]. Register blocking: x is loaded once for four rows.
     */
    void dot4(MemorySegment x, long xOff, MemorySegment m, long o0, long o1, long o2, long o3, int n, float[] out);
}
