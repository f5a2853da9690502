package org.lurm.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lurm.backend.Backend;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

/**
 * {@link Backend#assignNearest} of the Vector API backend against the scalar reference backend and against a
 * brute-force double-precision search written here: odd widths, K not a multiple of the vector width or of 4,
 * several centroid blocks, exact ties, sliced inputs and thread counts.
 */
class AssignNearestTest {
    private static final double TOL = 1e-5;

    private static Backend simd(int threads) {
        CpuBackendProvider p = new CpuBackendProvider();
        assumeTrue(p.availability().available(), () -> String.join("; ", p.availability().reasons()));
        return p.create(threads);
    }

    private static Backend scalar(int threads) {
        return new ScalarBackendProvider().create(threads);
    }

    private static float[] unitRows(Random r, int rows, int dim) {
        float[] a = new float[rows * dim];
        for (int i = 0; i < rows; i++) {
            double ss = 0;
            for (int d = 0; d < dim; d++) {
                float v = (float) r.nextGaussian();
                a[i * dim + d] = v;
                ss += v * v;
            }
            float inv = (float) (1 / Math.sqrt(ss));
            for (int d = 0; d < dim; d++) a[i * dim + d] *= inv;
        }
        return a;
    }

    /** Exact scores in double for one point. */
    private static double[] exactScores(float[] p, int i, float[] c, int k, int dim) {
        double[] s = new double[k];
        for (int j = 0; j < k; j++) {
            double acc = 0;
            for (int d = 0; d < dim; d++) acc += (double) p[i * dim + d] * c[j * dim + d];
            s[j] = acc;
        }
        return s;
    }

    /** Checks (idx, score) of every point against the exact search: the same index except within TOL of a tie. */
    private static void checkAgainstExact(String what, float[] p, float[] c, int n, int k, int dim, int[] idx, float[] score) {
        for (int i = 0; i < n; i++) {
            double[] s = exactScores(p, i, c, k, dim);
            int best = 0;
            for (int j = 1; j < k; j++) if (s[j] > s[best]) best = j;
            int got = idx[i];
            assertTrue(got >= 0 && got < k, what + ": index " + got + " out of range for point " + i);
            if (got != best) {
                assertTrue(s[best] - s[got] <= TOL, what + ": point " + i + " got centroid " + got + " (" + s[got] + ") but " + best
                        + " scores " + s[best] + " (dim " + dim + ", k " + k + ")");
            }
            assertEquals(s[got], score[i], TOL, what + ": score of point " + i + " (dim " + dim + ", k " + k + ")");
        }
    }

    private static int[][] run(Backend b, float[] p, float[] c, int n, int k, int dim, float[] scoreOut) {
        int[] idx = new int[n];
        b.assignNearest(F32Array.wrap(p), n, F32Array.wrap(c), k, dim, I32Array.wrap(idx), F32Array.wrap(scoreOut));
        return new int[][] {idx};
    }

    @Test
    void simdMatchesScalarAndExactOnRandomShapes() {
        Random r = new Random(TestData.seed("AssignNearestTest.simdMatchesScalarAndExactOnRandomShapes"));
        int[] dims = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 67};
        int[] ks = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 17, 31, 63, 64, 65, 257};
        try (Backend v = simd(2); Backend s = scalar(2)) {
            for (int dim : dims) {
                for (int k : ks) {
                    int n = 1 + r.nextInt(70);
                    float[] p = unitRows(r, n, dim), c = unitRows(r, k, dim);
                    float[] vs = new float[n], ss = new float[n];
                    int[] vi = run(v, p, c, n, k, dim, vs)[0];
                    int[] si = run(s, p, c, n, k, dim, ss)[0];
                    checkAgainstExact("simd", p, c, n, k, dim, vi, vs);
                    checkAgainstExact("scalar", p, c, n, k, dim, si, ss);
                    for (int i = 0; i < n; i++) {
                        if (vi[i] != si[i]) {
                            double[] ex = exactScores(p, i, c, k, dim);
                            assertTrue(Math.abs(ex[vi[i]] - ex[si[i]]) <= TOL, "simd and scalar disagree beyond a near-tie at point " + i);
                        }
                        assertEquals(ss[i], vs[i], TOL);
                    }
                }
            }
        }
    }

    @Test
    void manyCentroidBlocksAndPointTails() {
        // dim 64: a block holds 512 centroids on AVX2 (128 KiB), so 1100 centroids span three blocks; 333 points
        // leave a tail of 1 after groups of 4 and span three sub-chunks of 128.
        Random r = new Random(TestData.seed("AssignNearestTest.manyCentroidBlocksAndPointTails"));
        for (int[] shape : new int[][] {{333, 1100, 64}, {257, 2053, 13}, {129, 4099, 3}}) {
            int n = shape[0], k = shape[1], dim = shape[2];
            float[] p = unitRows(r, n, dim), c = unitRows(r, k, dim);
            try (Backend v = simd(2)) {
                float[] vs = new float[n];
                int[] vi = run(v, p, c, n, k, dim, vs)[0];
                checkAgainstExact("simd " + n + "x" + k + "x" + dim, p, c, n, k, dim, vi, vs);
            }
        }
    }

    @Test
    void tiesGoToTheLowerIndexInEveryPosition() {
        Random r = new Random(TestData.seed("AssignNearestTest.tiesGoToTheLowerIndexInEveryPosition"));
        int dim = 64, k = 1100, n = 9;
        float[] c = unitRows(r, k, dim);
        // Copies of centroid a at b > a: same panel lane in a later panel, another lane of the same panel, and a later block.
        int[][] pairs = {{3, 11}, {9, 10}, {5, 600}, {700, 1099}, {0, 1}, {2, 1096}};
        for (int[] pr : pairs) System.arraycopy(c, pr[0] * dim, c, pr[1] * dim, dim);
        float[] p = new float[n * dim];
        int[] expect = new int[n];
        for (int i = 0; i < n; i++) {
            int src = pairs[i % pairs.length][i % 2 == 0 ? 0 : 1];
            System.arraycopy(c, src * dim, p, i * dim, dim);
            expect[i] = pairs[i % pairs.length][0];
        }
        try (Backend v = simd(2); Backend s = scalar(1)) {
            for (Backend b : new Backend[] {v, s}) {
                float[] sc = new float[n];
                int[] idx = run(b, p, c, n, k, dim, sc)[0];
                for (int i = 0; i < n; i++) {
                    // A point equal to a centroid scores (about) 1 with it; any other centroid is a random direction.
                    assertEquals(expect[i], idx[i], b.name() + ": point " + i + " should go to the lower copy");
                }
            }
        }
        // Equal centroids inside the small-k (dot-product) path too.
        float[] c2 = unitRows(r, 3, 5);
        System.arraycopy(c2, 0, c2, 5, 5);
        System.arraycopy(c2, 0, c2, 10, 5);
        float[] p2 = c2.clone();
        try (Backend v = simd(1)) {
            float[] sc = new float[3];
            assertArrayEquals(new int[] {0, 0, 0}, run(v, p2, c2, 3, 3, 5, sc)[0]);
        }
    }

    @Test
    void resultDoesNotDependOnThreadCountOrOnOffHeapSlices() {
        Random r = new Random(TestData.seed("AssignNearestTest.resultDoesNotDependOnThreadCountOrOnOffHeapSlices"));
        int n = 1000, k = 300, dim = 37;
        float[] p = unitRows(r, n + 7, dim), c = unitRows(r, k, dim);
        try (Backend one = simd(1); Backend three = simd(3); MemoryScope scope = MemoryScope.root("assign-test")) {
            F32Array pts = scope.copyOf(p).slice(7L * dim, (long) n * dim);
            F32Array cen = scope.copyOf(c);
            I32Array i1 = scope.allocateI32(n), i3 = scope.allocateI32(n);
            F32Array s1 = scope.allocateF32(n), s3 = scope.allocateF32(n);
            one.assignNearest(pts, n, cen, k, dim, i1, s1);
            three.assignNearest(pts, n, cen, k, dim, i3, s3);
            assertArrayEquals(i1.toArray(), i3.toArray());
            assertArrayEquals(s1.toArray(), s3.toArray());
            float[] shifted = new float[n * dim];
            System.arraycopy(p, 7 * dim, shifted, 0, n * dim);
            float[] sc = new float[n];
            int[] idx = run(one, shifted, c, n, k, dim, sc)[0];
            assertArrayEquals(idx, i1.toArray(), "heap and off-heap inputs give the same result");
        }
    }

    @Test
    void badArgumentsAreRejectedWithTheReason() {
        try (Backend v = scalar(1)) {
            float[] p = new float[8], c = new float[8];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> v.assignNearest(F32Array.wrap(p), 2, F32Array.wrap(c), 0, 4, I32Array.wrap(new int[2]), F32Array.wrap(new float[2])));
            assertTrue(e.getMessage().contains("k = 0"), e.getMessage());
            assertThrows(IndexOutOfBoundsException.class,
                    () -> v.assignNearest(F32Array.wrap(p), 3, F32Array.wrap(c), 2, 4, I32Array.wrap(new int[3]), F32Array.wrap(new float[3])));
            assertThrows(IllegalArgumentException.class,
                    () -> v.assignNearest(F32Array.wrap(p), 2, F32Array.wrap(c), 2, 4, I32Array.wrap(new int[1]), F32Array.wrap(new float[2])));
        }
    }
}
