package org.lurm.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lurm.backend.cpu.Parallel;
import org.lurm.testing.TestData;

class HouseholderQrTest {
    /** Q^T Q = I and Q R = A, R upper triangular; also for rank-deficient and zero columns, serial and parallel. */
    @Test
    void factorsRandomAndDeficientMatrices() {
        long seed = TestData.seed("HouseholderQrTest.factorsRandomAndDeficientMatrices");
        Random rnd = new Random(seed);
        try (Parallel par = new Parallel(2)) {
            for (int trial = 0; trial < 12; trial++) {
                int n = 1 + rnd.nextInt(12);
                int m = n + rnd.nextInt(trial < 6 ? 5 : 4000);
                double[][] a = new double[n][m];
                for (int j = 0; j < n; j++) {
                    int kind = rnd.nextInt(5);
                    for (int i = 0; i < m; i++) {
                        a[j][i] = switch (kind) {
                            case 0 -> 0;                                        // zero column
                            case 1 -> j > 0 ? 2.5 * a[j - 1][i] : rnd.nextGaussian(); // dependent column
                            default -> rnd.nextGaussian();
                        };
                    }
                }
                double[][] q = new double[n][];
                for (int j = 0; j < n; j++) q[j] = a[j].clone();
                double[][] r = HouseholderQr.factorInPlace(q, m, trial % 2 == 0 ? par : null);
                for (int p = 0; p < n; p++) for (int s = 0; s < n; s++) {
                    double d = 0;
                    for (int i = 0; i < m; i++) d += q[p][i] * q[s][i];
                    assertEquals(p == s ? 1 : 0, d, 1e-12, "Q^T Q at (" + p + ", " + s + "), trial " + trial);
                    if (p > s) assertEquals(0.0, r[p][s], "R below the diagonal");
                }
                double scale = 1;
                for (double[] col : a) for (double x : col) scale = Math.max(scale, Math.abs(x));
                for (int j = 0; j < n; j++) for (int i = 0; i < m; i++) {
                    double x = 0;
                    for (int p = 0; p <= j; p++) x += q[p][i] * r[p][j];
                    assertEquals(a[j][i], x, 1e-12 * scale * m, "QR at (" + i + ", " + j + ")");
                }
            }
        }
    }

    @Test
    void rejectsWideMatrices() {
        assertThrows(IllegalArgumentException.class, () -> HouseholderQr.factorInPlace(new double[3][2], 2, null));
    }

    @Test
    void parallelAndSerialAreBitIdentical() {
        long seed = TestData.seed("HouseholderQrTest.parallelAndSerialAreBitIdentical");
        Random rnd = new Random(seed);
        int m = 5000, n = 9;
        double[][] a = new double[n][m];
        for (double[] c : a) for (int i = 0; i < m; i++) c[i] = rnd.nextGaussian();
        double[][] b = new double[n][];
        for (int j = 0; j < n; j++) b[j] = a[j].clone();
        try (Parallel par = new Parallel(2)) {
            double[][] r1 = HouseholderQr.factorInPlace(a, m, null);
            double[][] r2 = HouseholderQr.factorInPlace(b, m, par);
            for (int j = 0; j < n; j++) {
                assertTrue(java.util.Arrays.equals(a[j], b[j]), "Q column " + j);
                assertTrue(java.util.Arrays.equals(r1[j], r2[j]), "R row " + j);
            }
        }
    }
}
