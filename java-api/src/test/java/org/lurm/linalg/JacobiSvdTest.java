package org.lurm.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lurm.testing.TestData;

class JacobiSvdTest {
    /** Reconstruction, orthogonality, ordering, and singular values equal to sqrt(eig(A^T A)) from a separate algorithm. */
    @Test
    void decomposesSquareTallWideAndDeficient() {
        long seed = TestData.seed("JacobiSvdTest.decomposesSquareTallWideAndDeficient");
        Random rnd = new Random(seed);
        for (int trial = 0; trial < 20; trial++) {
            int m = 1 + rnd.nextInt(15), n = 1 + rnd.nextInt(15);
            double[][] a = new double[m][n];
            int rank = 1 + rnd.nextInt(Math.min(m, n));
            double[][] left = new double[m][rank], right = new double[rank][n];
            for (double[] row : left) for (int j = 0; j < rank; j++) row[j] = rnd.nextGaussian();
            for (double[] row : right) for (int j = 0; j < n; j++) row[j] = rnd.nextGaussian();
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) for (int c = 0; c < rank; c++) a[i][j] += left[i][c] * right[c][j];

            JacobiSvd.Result r = JacobiSvd.decompose(a);
            DenseReference.Svd ref = DenseReference.svd(a);
            double scale = Math.max(1e-300, r.s()[0]);
            for (int j = 0; j < n; j++) {
                if (j > 0) assertEquals(true, r.s()[j] <= r.s()[j - 1], "descending");
                assertEquals(ref.s()[j], r.s()[j], 1e-7 * scale, "singular value " + j + " trial " + trial);
            }
            for (int j = Math.min(m, n); j < n; j++) assertEquals(0.0, r.s()[j], 1e-12 * scale, "beyond min(m, n)");
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                double x = 0;
                for (int c = 0; c < n; c++) x += r.u()[i][c] * r.s()[c] * r.v()[j][c];
                assertEquals(a[i][j], x, 1e-12 * scale * n, "reconstruction");
            }
            for (int p = 0; p < n; p++) for (int q = 0; q < n; q++) {
                double vv = 0, uu = 0;
                for (int i = 0; i < n; i++) vv += r.v()[i][p] * r.v()[i][q];
                for (int i = 0; i < m; i++) uu += r.u()[i][p] * r.u()[i][q];
                assertEquals(p == q ? 1 : 0, vv, 1e-12, "V orthogonal");
                if (r.s()[p] > 1e-9 * scale && r.s()[q] > 1e-9 * scale) assertEquals(p == q ? 1 : 0, uu, 1e-9, "U orthonormal");
            }
        }
    }

    @Test
    void rejectsNonFinite() {
        assertThrows(IllegalArgumentException.class, () -> JacobiSvd.decompose(new double[][] {{1, Double.NaN}}));
    }
}
