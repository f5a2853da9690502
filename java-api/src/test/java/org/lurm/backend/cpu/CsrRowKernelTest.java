package org.lurm.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

/**
 * The CSR row kernel (the randomized SVD's sparse products) against a double-precision reference, for widths on
 * both sides of every register panel and of the vector length, rows with no, one and many non-zeros, and non-zero
 * offsets; both implementations.
 */
class CsrRowKernelTest {
    private static final int[] WIDTHS = {1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 138, 200, 255, 256, 257, 300};

    @Test
    void simdAndScalarRowsMatchADoubleReference() {
        SplittableRandom r = new SplittableRandom(TestData.seed("CsrRowKernelTest"));
        assumeTrue(Vectorization.available(), Vectorization.unavailableReason());
        VectorKernels simd = Vectorization.simd(Vectorization.Family.BACKEND, VectorKernels.class);
        VectorKernels scalar = new ScalarKernels();
        try (MemoryScope s = MemoryScope.root("csr-row")) {
            int nCols = 37;
            for (int width : WIDTHS) {
                for (int nnz : new int[] {0, 1, 2, 5, 40}) {
                    int pad = 1 + r.nextInt(5);
                    int[] cols = new int[pad + nnz];
                    float[] vals = new float[pad + nnz];
                    for (int j = 0; j < cols.length; j++) {
                        cols[j] = r.nextInt(nCols);
                        vals[j] = (float) r.nextGaussian();
                    }
                    float[] x = new float[nCols * width];
                    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                    double[] ref = new double[width];
                    double[] mag = new double[width];
                    for (int j = pad; j < pad + nnz; j++) {
                        for (int i = 0; i < width; i++) {
                            ref[i] += (double) vals[j] * x[cols[j] * width + i];
                            mag[i] += Math.abs((double) vals[j] * x[cols[j] * width + i]);
                        }
                    }
                    MemorySegment cs = s.copyOf(cols).segment(), vs = s.copyOf(vals).segment(), xs = s.copyOf(x).segment();
                    for (VectorKernels k : new VectorKernels[] {simd, scalar}) {
                        int outOff = 3;
                        F32Array out = s.allocateF32(outOff + width + 3L);
                        out.fill(Float.NaN); // every element of the row must be written, and nothing around it
                        k.csrRow(cs, vs, pad, pad + nnz, xs, width, out.segment(), outOff);
                        for (int i = 0; i < width; i++) {
                            float got = out.get(outOff + i);
                            assertTrue(Math.abs(got - ref[i]) <= 1e-6 * (mag[i] + 1e-30) * 4,
                                    k.name() + " width " + width + ", nnz " + nnz + ", element " + i + ": " + got + " vs " + ref[i]);
                        }
                        for (int i : new int[] {0, 1, 2, outOff + width, outOff + width + 1, outOff + width + 2}) {
                            assertTrue(Float.isNaN(out.get(i)), k.name() + " width " + width + ": wrote outside the row at " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void aColumnOutsideTheMatrixIsAnErrorNamingIt() {
        try (Backend be = Backends.select("cpu").create(1); MemoryScope s = MemoryScope.root("csr-bad")) {
            I64Array ptr = s.copyOf(new long[] {0, 1, 2});
            I32Array cols = s.copyOf(new int[] {0, 5});
            F32Array vals = s.copyOf(new float[] {1f, 2f});
            F32Array x = s.allocateF32(3L * 4);
            F32Array out = s.allocateF32(2L * 4);
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> be.csrMultiply(false, ptr, cols, vals, 2, 3, x, 4, out));
            assertEquals("CSR column 5 outside [0, 3)", e.getMessage());
        }
    }
}
