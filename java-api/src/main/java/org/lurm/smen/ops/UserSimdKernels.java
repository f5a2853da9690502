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
        int mv = vectorPart(m);
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            int a0 = aOff + r * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
            int c0 = cOff + r * m, c1 = c0 + m, c2 = c1 + m, c3 = c2 + m;
            int j = 0;
            for (; j + 2 * L <= mv; j += 2 * L) {
                FloatVector x00 = FloatVector.fromArray(S, c, c0 + j), x01 = FloatVector.fromArray(S, c, c0 + j + L);
                FloatVector x10 = FloatVector.fromArray(S, c, c1 + j), x11 = FloatVector.fromArray(S, c, c1 + j + L);
                FloatVector x20 = FloatVector.fromArray(S, c, c2 + j), x21 = FloatVector.fromArray(S, c, c2 + j + L);
                FloatVector x30 = FloatVector.fromArray(S, c, c3 + j), x31 = FloatVector.fromArray(S, c, c3 + j + L);
                for (int i = 0, bi = bOff + j; i < k; i++, bi += m) {
                    FloatVector b0 = FloatVector.fromArray(S, b, bi), b1 = FloatVector.fromArray(S, b, bi + L);
                    FloatVector v = FloatVector.broadcast(S, a[a0 + i]);
                    x00 = b0.fma(v, x00);
                    x01 = b1.fma(v, x01);
                    v = FloatVector.broadcast(S, a[a1 + i]);
                    x10 = b0.fma(v, x10);
                    x11 = b1.fma(v, x11);
                    v = FloatVector.broadcast(S, a[a2 + i]);
                    x20 = b0.fma(v, x20);
                    x21 = b1.fma(v, x21);
                    v = FloatVector.broadcast(S, a[a3 + i]);
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
                FloatVector x0 = FloatVector.fromArray(S, c, c0 + j), x1 = FloatVector.fromArray(S, c, c1 + j);
                FloatVector x2 = FloatVector.fromArray(S, c, c2 + j), x3 = FloatVector.fromArray(S, c, c3 + j);
                for (int i = 0, bi = bOff + j; i < k; i++, bi += m) {
                    FloatVector b0 = FloatVector.fromArray(S, b, bi);
                    x0 = b0.fma(FloatVector.broadcast(S, a[a0 + i]), x0);
                    x1 = b0.fma(FloatVector.broadcast(S, a[a1 + i]), x1);
                    x2 = b0.fma(FloatVector.broadcast(S, a[a2 + i]), x2);
                    x3 = b0.fma(FloatVector.broadcast(S, a[a3 + i]), x3);
                }
                x0.intoArray(c, c0 + j);
                x1.intoArray(c, c1 + j);
                x2.intoArray(c, c2 + j);
                x3.intoArray(c, c3 + j);
            }
            nnTail(a, a0, b, bOff, c, c0, k, m, mv);
            nnTail(a, a1, b, bOff, c, c1, k, m, mv);
            nnTail(a, a2, b, bOff, c, c2, k, m, mv);
            nnTail(a, a3, b, bOff, c, c3, k, m, mv);
        }
        for (; r < r1; r++) {
            int ar = aOff + r * k, cr = cOff + r * m;
            for (int j = 0; j < mv; j += L) {
                FloatVector x = FloatVector.fromArray(S, c, cr + j);
                for (int i = 0, bi = bOff + j; i < k; i++, bi += m) {
                    x = FloatVector.fromArray(S, b, bi).fma(FloatVector.broadcast(S, a[ar + i]), x);
                }
                x.intoArray(c, cr + j);
            }
            nnTail(a, ar, b, bOff, c, cr, k, m, mv);
        }
    }

    /** Columns [from, m) of one output row of gemmNN, scalar. */
    private static void nnTail(float[] a, int ar, float[] b, int bOff, float[] c, int cr, int k, int m, int from) {
        for (int j = from; j < m; j++) {
            float s = c[cr + j];
            for (int i = 0, bi = bOff + j; i < k; i++, bi += m) s += a[ar + i] * b[bi];
            c[cr + j] = s;
        }
    }

    @Override
    public void gemmTN(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int n, int k, int m, int i0, int i1) {
        int mv = vectorPart(m);
        int i = i0;
        for (; i + 4 <= i1; i += 4) {
            int c0 = cOff + i * m, c1 = c0 + m, c2 = c1 + m, c3 = c2 + m;
            int j = 0;
            for (; j + 2 * L <= mv; j += 2 * L) {
                FloatVector x00 = FloatVector.fromArray(S, c, c0 + j), x01 = FloatVector.fromArray(S, c, c0 + j + L);
                FloatVector x10 = FloatVector.fromArray(S, c, c1 + j), x11 = FloatVector.fromArray(S, c, c1 + j + L);
                FloatVector x20 = FloatVector.fromArray(S, c, c2 + j), x21 = FloatVector.fromArray(S, c, c2 + j + L);
                FloatVector x30 = FloatVector.fromArray(S, c, c3 + j), x31 = FloatVector.fromArray(S, c, c3 + j + L);
                for (int r = 0, ar = aOff + i, br = bOff + j; r < n; r++, ar += k, br += m) {
                    FloatVector b0 = FloatVector.fromArray(S, b, br), b1 = FloatVector.fromArray(S, b, br + L);
                    FloatVector v = FloatVector.broadcast(S, a[ar]);
                    x00 = b0.fma(v, x00);
                    x01 = b1.fma(v, x01);
                    v = FloatVector.broadcast(S, a[ar + 1]);
                    x10 = b0.fma(v, x10);
                    x11 = b1.fma(v, x11);
                    v = FloatVector.broadcast(S, a[ar + 2]);
                    x20 = b0.fma(v, x20);
                    x21 = b1.fma(v, x21);
                    v = FloatVector.broadcast(S, a[ar + 3]);
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
                tnColumn(a, aOff + i, b, bOff, c, c0, n, k, m, j);
                tnColumn(a, aOff + i + 1, b, bOff, c, c1, n, k, m, j);
                tnColumn(a, aOff + i + 2, b, bOff, c, c2, n, k, m, j);
                tnColumn(a, aOff + i + 3, b, bOff, c, c3, n, k, m, j);
            }
            for (int q = 0; q < 4; q++) tnTail(a, aOff + i + q, b, bOff, c, c0 + q * m, n, k, m, mv);
        }
        for (; i < i1; i++) {
            int ci = cOff + i * m;
            for (int j = 0; j < mv; j += L) tnColumn(a, aOff + i, b, bOff, c, ci, n, k, m, j);
            tnTail(a, aOff + i, b, bOff, c, ci, n, k, m, mv);
        }
    }

    /** One vector of columns [j, j+L) of output row i of gemmTN (a column i of a starts at ai). */
    private static void tnColumn(float[] a, int ai, float[] b, int bOff, float[] c, int ci, int n, int k, int m, int j) {
        FloatVector x = FloatVector.fromArray(S, c, ci + j);
        for (int r = 0, ar = ai, br = bOff + j; r < n; r++, ar += k, br += m) {
            x = FloatVector.fromArray(S, b, br).fma(FloatVector.broadcast(S, a[ar]), x);
        }
        x.intoArray(c, ci + j);
    }

    /** Columns [from, m) of output row i of gemmTN, scalar. */
    private static void tnTail(float[] a, int ai, float[] b, int bOff, float[] c, int ci, int n, int k, int m, int from) {
        for (int j = from; j < m; j++) {
            float s = c[ci + j];
            for (int r = 0, ar = ai, br = bOff + j; r < n; r++, ar += k, br += m) s += a[ar] * b[br];
            c[ci + j] = s;
        }
    }
}
