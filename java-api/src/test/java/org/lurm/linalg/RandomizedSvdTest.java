package org.lurm.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lurm.backend.Backend;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

class RandomizedSvdTest {
    static java.util.List<String> backends() {
        return LinalgTestSupport.cpuBackends();
    }

    /** Top singular values and subspaces agree with an exact double-precision SVD (different algorithm). */
    @ParameterizedTest
    @MethodSource("backends")
    void matchesExactSvdOnLowRankPlusNoise(String backendName) {
        long seed = TestData.seed("RandomizedSvdTest.matchesExactSvdOnLowRankPlusNoise/" + backendName);
        Random rnd = new Random(seed);
        int m = 120 + rnd.nextInt(60), n = 70 + rnd.nextInt(40), k = 8;
        double[] sv = new double[12];
        for (int i = 0; i < sv.length; i++) sv[i] = 50 * Math.pow(0.75, i); // decays past k, so k is a real cut
        double[][] a = DenseReference.lowRankPlusNoise(rnd, m, n, sv, 1e-3);
        DenseReference.Svd exact = DenseReference.svd(a);
        try (MemoryScope scope = MemoryScope.root("test"); Backend be = LinalgTestSupport.backend(backendName, 2)) {
            F32Array af = scope.copyOf(DenseReference.toFloatRowMajor(a));
            SvdResult r = new RandomizedSvd(be, RandomizedSvd.Options.defaults().withSeed(seed))
                    .compute(new DenseOperator(be, af, m, n), k, scope);
            assertEquals(k, r.rank());
            for (int i = 0; i < k; i++) {
                double rel = Math.abs(r.singularValue(i) - exact.s()[i]) / exact.s()[i];
                assertTrue(rel < 1e-4, "singular value " + i + ": " + r.singularValue(i) + " vs exact " + exact.s()[i]);
            }
            double[][] u = DenseReference.columns(r.u(), m, k, k);
            double[][] v = DenseReference.columns(r.v(), n, k, k);
            double[][] uExact = new double[m][k], vExact = new double[n][k];
            for (int i = 0; i < m; i++) System.arraycopy(exact.u()[i], 0, uExact[i], 0, k);
            for (int i = 0; i < n; i++) System.arraycopy(exact.v()[i], 0, vExact[i], 0, k);
            assertTrue(DenseReference.projectorDistance(u, uExact, k) < 1e-3, "left subspace differs");
            assertTrue(DenseReference.projectorDistance(v, vExact, k) < 1e-3, "right subspace differs");
            // Each singular vector individually (the spectrum has gaps): |<u_i, u_i exact>| ~ 1.
            for (int c = 0; c < k; c++) {
                double d = 0;
                for (int i = 0; i < m; i++) d += u[i][c] * uExact[i][c];
                assertTrue(Math.abs(d) > 1 - 1e-5, "singular vector " + c + " alignment " + d);
            }
            assertOrthonormalColumns(u, k, 1e-5);
            assertOrthonormalColumns(v, k, 1e-5);
        }
    }

    /** Without power iterations a slowly decaying spectrum is found less accurately: the option has an effect. */
    @Test
    void powerIterationsImproveAccuracy() {
        long seed = TestData.seed("RandomizedSvdTest.powerIterationsImproveAccuracy");
        Random rnd = new Random(seed);
        int m = 150, n = 100, k = 5;
        double[] sv = new double[60];
        for (int i = 0; i < sv.length; i++) sv[i] = 1.0 / (1 + 0.15 * i); // flat: the hard case for range finding
        double[][] a = DenseReference.lowRankPlusNoise(rnd, m, n, sv, 0);
        DenseReference.Svd exact = DenseReference.svd(a);
        try (MemoryScope scope = MemoryScope.root("test"); Backend be = LinalgTestSupport.backend("cpu-scalar", 1)) {
            F32Array af = scope.copyOf(DenseReference.toFloatRowMajor(a));
            DenseOperator op = new DenseOperator(be, af, m, n);
            double err0 = 0, err3 = 0;
            for (int trial = 0; trial < 3; trial++) {
                RandomizedSvd.Options o = RandomizedSvd.Options.defaults().withSeed(seed + trial).withOversampling(2);
                SvdResult r0 = new RandomizedSvd(be, o.withPowerIterations(0)).compute(op, k, scope);
                SvdResult r3 = new RandomizedSvd(be, o.withPowerIterations(3)).compute(op, k, scope);
                for (int i = 0; i < k; i++) {
                    err0 += Math.abs(r0.singularValue(i) - exact.s()[i]);
                    err3 += Math.abs(r3.singularValue(i) - exact.s()[i]);
                }
            }
            assertTrue(err3 < 0.5 * err0, "power iterations should help: error " + err3 + " with 3, " + err0 + " with 0");
        }
    }

    /** The CSR path (with and without a stored transpose) and the dense path give the same SVD. */
    @ParameterizedTest
    @MethodSource("backends")
    void sparseAndDensePathsAgree(String backendName) {
        long seed = TestData.seed("RandomizedSvdTest.sparseAndDensePathsAgree/" + backendName);
        Random rnd = new Random(seed);
        int m = 200 + rnd.nextInt(100), n = 120 + rnd.nextInt(80), k = 6;
        double[][] a = LinalgTestSupport.randomSparse(rnd, m, n, 0.05);
        // Planted structure so the top singular values are separated.
        double[][] planted = DenseReference.lowRankPlusNoise(rnd, m, n, new double[] {40, 30, 22, 16, 11, 8}, 0);
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) if (a[i][j] != 0 || rnd.nextDouble() < 0.1) a[i][j] = (float) (a[i][j] + planted[i][j]);
        try (MemoryScope scope = MemoryScope.root("test"); Backend be = LinalgTestSupport.backend(backendName, 2)) {
            RandomizedSvd svd = new RandomizedSvd(be, RandomizedSvd.Options.defaults().withSeed(seed));
            CsrMatrix csr = LinalgTestSupport.toCsr(a, n, scope);
            SvdResult dense = svd.compute(new DenseOperator(be, scope.copyOf(DenseReference.toFloatRowMajor(a)), m, n), k, scope);
            SvdResult sparse = svd.compute(CsrOperator.of(be, csr), k, scope);
            SvdResult sparseT = svd.compute(CsrOperator.withTranspose(be, csr, scope), k, scope);
            for (SvdResult r : new SvdResult[] {sparse, sparseT}) {
                for (int i = 0; i < k; i++) assertEquals(dense.singularValue(i), r.singularValue(i), 1e-4 * dense.singularValue(0), "singular value " + i);
                assertTrue(DenseReference.projectorDistance(DenseReference.columns(dense.u(), m, k, k), DenseReference.columns(r.u(), m, k, k), k) < 1e-3);
                assertTrue(DenseReference.projectorDistance(DenseReference.columns(dense.v(), n, k, k), DenseReference.columns(r.v(), n, k, k), k) < 1e-3);
            }
            // Same operator maths in a different order only: singular vectors agree entry by entry after the sign rule.
            float[] ud = dense.u().toArray(), us = sparseT.u().toArray();
            for (int i = 0; i < ud.length; i++) assertEquals(ud[i], us[i], 2e-3, "U entry " + i);
        }
    }

    /** Rank below the requested width: exact rank found, zero components past it, exact reconstruction. */
    @Test
    void handlesRankBelowRequestedWidth() {
        long seed = TestData.seed("RandomizedSvdTest.handlesRankBelowRequestedWidth");
        Random rnd = new Random(seed);
        int m = 60, n = 45, rank = 3, k = 10;
        double[][] a = DenseReference.lowRankPlusNoise(rnd, m, n, new double[] {9, 4, 2}, 0);
        try (MemoryScope scope = MemoryScope.root("test"); Backend be = LinalgTestSupport.backend("cpu-scalar", 2)) {
            F32Array af = scope.copyOf(DenseReference.toFloatRowMajor(a));
            SvdResult r = new RandomizedSvd(be, RandomizedSvd.Options.defaults().withSeed(seed)).compute(new DenseOperator(be, af, m, n), k, scope);
            assertEquals(rank, r.rank());
            for (int i = rank; i < k; i++) assertEquals(0.0, r.singularValue(i));
            for (int i = 0; i < m; i++) for (int c = rank; c < k; c++) assertEquals(0f, r.u().get((long) i * k + c));
            for (int i = 0; i < n; i++) for (int c = rank; c < k; c++) assertEquals(0f, r.v().get((long) i * k + c));
            double err = 0;
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                double x = 0;
                for (int c = 0; c < k; c++) x += r.u().get((long) i * k + c) * r.singularValue(c) * r.v().get((long) j * k + c);
                err = Math.max(err, Math.abs(x - (float) a[i][j]));
            }
            assertTrue(err < 1e-4, "reconstruction error " + err);
        }
    }

    /** 1x1, wide, all-zero, empty, and sparse matrices with zero rows and columns. */
    @Test
    void handlesTinyZeroAndEmptyMatrices() {
        try (MemoryScope scope = MemoryScope.root("test"); Backend be = LinalgTestSupport.backend("cpu-scalar", 1)) {
            RandomizedSvd svd = new RandomizedSvd(be);
            SvdResult one = svd.compute(new DenseOperator(be, scope.copyOf(new float[] {-3f}), 1, 1), 4, scope);
            assertEquals(1, one.rank());
            assertArrayEquals(new double[] {3, 0, 0, 0}, one.singularValues(), 1e-6);
            assertEquals(1f, one.u().get(0), 1e-6f);
            assertEquals(-1f, one.v().get(0), 1e-6f);

            // 2 x 3, rank 2: at most min(m, n) components.
            SvdResult wide = svd.compute(new DenseOperator(be, scope.copyOf(new float[] {3, 0, 0, 0, 0, 2}), 2, 3), 5, scope);
            assertEquals(2, wide.rank());
            assertArrayEquals(new double[] {3, 2, 0, 0, 0}, wide.singularValues(), 1e-6);

            SvdResult zero = svd.compute(new DenseOperator(be, scope.allocateF32(20), 4, 5), 3, scope);
            assertEquals(0, zero.rank());
            for (float x : zero.u().toArray()) assertEquals(0f, x);
            for (float x : zero.v().toArray()) assertEquals(0f, x);

            SvdResult empty = svd.compute(new DenseOperator(be, scope.allocateF32(0), 0, 5), 3, scope);
            assertEquals(0, empty.rank());
            assertEquals(0, empty.u().length());
            assertEquals(15, empty.v().length());

            // Rows 1 and 3 and column 0 are empty: their singular-vector rows are exactly zero.
            double[][] a = {{0, 1, 0, 2}, {0, 0, 0, 0}, {0, 0, 5, 0}, {0, 0, 0, 0}, {0, 3, 0, 1}};
            SvdResult sp = svd.compute(CsrOperator.withTranspose(be, LinalgTestSupport.toCsr(a, 4, scope), scope), 4, scope);
            assertEquals(3, sp.rank());
            for (int c = 0; c < 4; c++) {
                assertEquals(0f, sp.u().get(4 + c));
                assertEquals(0f, sp.u().get(12 + c));
                assertEquals(0f, sp.v().get(c));
            }
            assertEquals(5.0, sp.singularValue(0), 1e-5);

            assertThrows(IllegalArgumentException.class, () -> svd.compute(new DenseOperator(be, scope.allocateF32(4), 2, 2), 0, scope));
        }
    }

    /** Same seed: bit-identical for any thread count; U/V can be skipped. */
    @Test
    void deterministicUnderSeedAndThreadCount() {
        long seed = TestData.seed("RandomizedSvdTest.deterministicUnderSeedAndThreadCount");
        Random rnd = new Random(seed);
        int m = 300, n = 200, k = 7;
        double[][] a = LinalgTestSupport.randomSparse(rnd, m, n, 0.08);
        String name = LinalgTestSupport.cpuBackends().get(0);
        try (MemoryScope scope = MemoryScope.root("test"); Backend one = LinalgTestSupport.backend(name, 1); Backend two = LinalgTestSupport.backend(name, 2)) {
            RandomizedSvd.Options o = RandomizedSvd.Options.defaults().withSeed(seed);
            CsrMatrix csr = LinalgTestSupport.toCsr(a, n, scope);
            SvdResult r1 = new RandomizedSvd(one, o).compute(CsrOperator.withTranspose(one, csr, scope), k, scope);
            SvdResult r2 = new RandomizedSvd(two, o).compute(CsrOperator.withTranspose(two, csr, scope), k, scope);
            SvdResult r3 = new RandomizedSvd(two, o.withComputeV(false)).compute(CsrOperator.withTranspose(two, csr, scope), k, scope);
            assertArrayEquals(r1.singularValues(), r2.singularValues());
            assertArrayEquals(r1.u().toArray(), r2.u().toArray());
            assertArrayEquals(r1.v().toArray(), r2.v().toArray());
            assertArrayEquals(r1.u().toArray(), r3.u().toArray());
            assertNull(r3.v());
            SvdResult other = new RandomizedSvd(two, o.withSeed(seed + 1)).compute(CsrOperator.withTranspose(two, csr, scope), k, scope);
            assertTrue(!java.util.Arrays.equals(r1.u().toArray(), other.u().toArray()), "a different seed should change the rounding");
        }
    }

    static void assertOrthonormalColumns(double[][] q, int k, double tol) {
        for (int p = 0; p < k; p++) for (int r = 0; r < k; r++) {
            double d = 0;
            for (double[] row : q) d += row[p] * row[r];
            assertEquals(p == r ? 1.0 : 0.0, d, tol, "column " + p + " . column " + r);
        }
    }
}
