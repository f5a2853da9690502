package org.lurm.smen.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API {@link UserKernels}. Loaded by name from {@link UserKernels#best()} only when
 * {@code jdk.incubator.vector} is readable.
 *
 * <p>Register tiles: 4 output rows x 2 vectors of columns (8 independent accumulators hide FMA latency; we don't
 * know how many FMAs the CPU issues at once), where one load of a row of b feeds four broadcast scalars. Widths
 * below two vectors run scalar (setup would cost more than it saves); a scalar tail handles columns past the
 * last whole vector. Both products are axpy-shaped: no reduceLanes, whose summation order differs between the
 * C2 intrinsic and the Java fallback.
 * Leftover rows take a one-row path that performs, element by element, the same operations as the tile, so
 * results never depend on how rows were split.
 */
final class UserSimdKernels implements UserKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    @Override
    public String name() {
        return "vector-api-" + S.vectorBitSize() + "bit";
    }

    /** Number of leading elements handled in whole vectors for a width n (0 when too narrow to pay). */
    private static int vectorPart(int n) {
        return n >= 2 * L ? n - n % L : 0;
    }

    @Override
    public void gemmNN(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int k, int m, int r0, int r1) {
        // Row r of A starts at aOff + r*k, its element p at +p.
        int mv = vectorPart(m);
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            int a0 = aOff + r * k, c0 = cOff + r * m;
            rows4(a, a0, a0 + k, a0 + 2 * k, a0 + 3 * k, 1, k, b, bOff, c, c0, c0 + m, c0 + 2 * m, c0 + 3 * m, m, mv);
        }
        for (; r < r1; r++) row1(a, aOff + r * k, 1, k, b, bOff, c, cOff + r * m, m, mv);
    }

    @Override
    public void gemmTN(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int n, int k, int m, int i0, int i1) {
        // Output row i reads column i of A: it starts at aOff + i, its element p at +p*k.
        int mv = vectorPart(m);
        int i = i0;
        for (; i + 4 <= i1; i += 4) {
            int a0 = aOff + i, c0 = cOff + i * m;
            rows4(a, a0, a0 + 1, a0 + 2, a0 + 3, k, n, b, bOff, c, c0, c0 + m, c0 + 2 * m, c0 + 3 * m, m, mv);
        }
        for (; i < i1; i++) row1(a, aOff + i, k, n, b, bOff, c, cOff + i * m, m, mv);
    }

    /**
     * Four output rows c0..c3 += sum over p < inner of A(q, p) * B row p (at bOff + p*m), where A(q, p) is
     * a[aq + p*aStride]: the 4 x 2-vector register tile, then single vectors, then the scalar tail. Every element
     * sees the same fma sequence as {@link #row1}, so results never depend on how rows were grouped.
     */
    private static void rows4(float[] a, int a0, int a1, int a2, int a3, int aStride, int inner, float[] b, int bOff,
                              float[] c, int c0, int c1, int c2, int c3, int m, int mv) {
        int j = 0;
        for (; j + 2 * L <= mv; j += 2 * L) {
            FloatVector x00 = FloatVector.fromArray(S, c, c0 + j), x01 = FloatVector.fromArray(S, c, c0 + j + L);
            FloatVector x10 = FloatVector.fromArray(S, c, c1 + j), x11 = FloatVector.fromArray(S, c, c1 + j + L);
            FloatVector x20 = FloatVector.fromArray(S, c, c2 + j), x21 = FloatVector.fromArray(S, c, c2 + j + L);
            FloatVector x30 = FloatVector.fromArray(S, c, c3 + j), x31 = FloatVector.fromArray(S, c, c3 + j + L);
            for (int p = 0, ap = 0, bp = bOff + j; p < inner; p++, ap += aStride, bp += m) {
                FloatVector b0 = FloatVector.fromArray(S, b, bp), b1 = FloatVector.fromArray(S, b, bp + L);
                FloatVector v = FloatVector.broadcast(S, a[a0 + ap]);
                x00 = b0.fma(v, x00);
                x01 = b1.fma(v, x01);
                v = FloatVector.broadcast(S, a[a1 + ap]);
                x10 = b0.fma(v, x10);
                x11 = b1.fma(v, x11);
                v = FloatVector.broadcast(S, a[a2 + ap]);
                x20 = b0.fma(v, x20);
                x21 = b1.fma(v, x21);
                v = FloatVector.broadcast(S, a[a3 + ap]);
                x30 = b0.fma(v, x30);
                x31 = b1.fma(v, x31);
            }
            x00.intoArray(c, c0 + j);
            x01.intoArray(c, c0 + j + L);
            x10.intoArray(c, c1 + j);
            x11.intoArray(c, c1 + j + L);
            x20.intoArray(c, c2 + j);
            x21.intoArray(c, c2 + j + L);
            x30.intoArray(c, c3 + j);
            x31.intoArray(c, c3 + j + L);
        }
        for (; j < mv; j += L) {
            column(a, a0, aStride, inner, b, bOff, c, c0, m, j);
            column(a, a1, aStride, inner, b, bOff, c, c1, m, j);
            column(a, a2, aStride, inner, b, bOff, c, c2, m, j);
            column(a, a3, aStride, inner, b, bOff, c, c3, m, j);
        }
        tail(a, a0, aStride, inner, b, bOff, c, c0, m, mv);
        tail(a, a1, aStride, inner, b, bOff, c, c1, m, mv);
        tail(a, a2, aStride, inner, b, bOff, c, c2, m, mv);
        tail(a, a3, aStride, inner, b, bOff, c, c3, m, mv);
    }

    /** One output row: whole vectors, then the scalar tail. */
    private static void row1(float[] a, int ar, int aStride, int inner, float[] b, int bOff, float[] c, int cr, int m, int mv) {
        for (int j = 0; j < mv; j += L) column(a, ar, aStride, inner, b, bOff, c, cr, m, j);
        tail(a, ar, aStride, inner, b, bOff, c, cr, m, mv);
    }

    /** One vector of columns [j, j+L) of one output row. */
    private static void column(float[] a, int ar, int aStride, int inner, float[] b, int bOff, float[] c, int cr, int m, int j) {
        FloatVector x = FloatVector.fromArray(S, c, cr + j);
        for (int p = 0, ap = ar, bp = bOff + j; p < inner; p++, ap += aStride, bp += m) {
            x = FloatVector.fromArray(S, b, bp).fma(FloatVector.broadcast(S, a[ap]), x);
        }
        x.intoArray(c, cr + j);
    }

    /** Columns [from, m) of one output row, scalar. */
    private static void tail(float[] a, int ar, int aStride, int inner, float[] b, int bOff, float[] c, int cr, int m, int from) {
        for (int j = from; j < m; j++) {
            float s = c[cr + j];
            for (int p = 0, ap = ar, bp = bOff + j; p < inner; p++, ap += aStride, bp += m) s += a[ap] * b[bp];
            c[cr + j] = s;
        }
    }
}
