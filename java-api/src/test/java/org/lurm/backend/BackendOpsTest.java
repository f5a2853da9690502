package org.lurm.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

/**
 * The cross-backend op harness: every op on every available backend against a plain double-precision
 * reference written here, on fresh random inputs, with a normalised error bound (NMSE). Backends that cannot
 * run on this machine (the GPU one without a GPU) are skipped with their reason.
 */
class BackendOpsTest {
    static final double NMSE = 1e-10;

    static Stream<String> backends() {
        return Backends.providers().stream().map(BackendProvider::name);
    }

    static Backend open(String name) {
        BackendProvider p = Backends.providers().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
        Availability a = p.availability();
        assumeTrue(a.available(), () -> name + " not available here: " + a.reasons());
        return p.create(2);
    }

    static double nmse(double[] ref, F32Array got) {
        double num = 0, den = 1e-30;
        for (int i = 0; i < ref.length; i++) {
            double d = ref[i] - got.get(i);
            num += d * d;
            den += ref[i] * ref[i];
        }
        return num / den;
    }

    static float[] rand(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void dot(String name) {
        SplittableRandom r = new SplittableRandom(TestData.seed("dot-" + name));
        try (Backend be = open(name); MemoryScope s = MemoryScope.root("t")) {
            for (int n : new int[] {0, 1, 7, 8, 15, 16, 33, 64, 129, 1000}) {
                float[] a = rand(r, n + 5), b = rand(r, n + 3);
                double ref = 0;
                for (int i = 0; i < n; i++) ref += (double) a[i + 2] * b[i + 1];
                float got = be.dot(s.copyOf(a), 2, s.copyOf(b), 1, n);
                assertEquals(ref, got, 1e-5 * Math.max(1, n), "n=" + n);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void gemmAllTransposes(String name) {
        SplittableRandom r = new SplittableRandom(TestData.seed("gemm-" + name));
        try (Backend be = open(name); MemoryScope s = MemoryScope.root("t")) {
            int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {17, 9, 33}, {64, 48, 70}};
            for (int[] sh : shapes) {
                int m = sh[0], n = sh[1], k = sh[2];
                for (boolean ta : new boolean[] {false, true}) {
                    for (boolean tb : new boolean[] {false, true}) {
                        float[] a = rand(r, m * k), b = rand(r, k * n), c = rand(r, m * n);
                        float alpha = 0.7f, beta = r.nextBoolean() ? 0f : -1.3f;
                        double[] ref = new double[m * n];
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < n; j++) {
                                double acc = 0;
                                for (int p = 0; p < k; p++) {
                                    double av = ta ? a[p * m + i] : a[i * k + p];
                                    double bv = tb ? b[j * k + p] : b[p * n + j];
                                    acc += av * bv;
                                }
                                ref[i * n + j] = alpha * acc + beta * c[i * n + j];
                            }
                        }
                        F32Array cc = s.copyOf(c);
                        be.gemm(ta, tb, m, n, k, alpha, s.copyOf(a), s.copyOf(b), beta, cc);
                        double e = nmse(ref, cc);
                        assertTrue(e < NMSE, name + " gemm " + m + "x" + n + "x" + k + " ta=" + ta + " tb=" + tb + " nmse " + e);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void csrMultiplyBothWays(String name) {
        SplittableRandom r = new SplittableRandom(TestData.seed("csr-" + name));
        try (Backend be = open(name); MemoryScope s = MemoryScope.root("t")) {
            // Widths below, at and above the CPU kernel's register panels (one to eight vectors) and the vector length.
            for (int rr : new int[] {1, 13, 64, 138, 257}) {
                int rows = 50, cols = 40;
                List<long[]> nz = new ArrayList<>();
                long[] ptr = new long[rows + 1];
                List<Integer> ci = new ArrayList<>();
                List<Float> cv = new ArrayList<>();
                double[][] dense = new double[rows][cols];
                for (int i = 0; i < rows; i++) {
                    for (int j = 0; j < cols; j++) {
                        if (r.nextInt(5) == 0) {
                            float v = (float) r.nextGaussian();
                            ci.add(j);
                            cv.add(v);
                            dense[i][j] = v;
                        }
                    }
                    ptr[i + 1] = ci.size();
                }
                int[] colsA = ci.stream().mapToInt(Integer::intValue).toArray();
                float[] valsA = new float[cv.size()];
                for (int i = 0; i < valsA.length; i++) valsA[i] = cv.get(i);
                I64Array p = s.copyOf(ptr);
                I32Array c = s.copyOf(colsA);
                F32Array v = s.copyOf(valsA);
                float[] d1 = rand(r, cols * rr);
                double[] ref1 = new double[rows * rr];
                for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) for (int q = 0; q < rr; q++) ref1[i * rr + q] += dense[i][j] * d1[j * rr + q];
                F32Array out1 = s.allocateF32(rows * rr);
                out1.fill(42f); // must be overwritten
                be.csrMultiply(false, p, c, v, rows, cols, s.copyOf(d1), rr, out1);
                assertTrue(nmse(ref1, out1) < NMSE, "X*D, width " + rr);
                float[] d2 = rand(r, rows * rr);
                double[] ref2 = new double[cols * rr];
                for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) for (int q = 0; q < rr; q++) ref2[j * rr + q] += dense[i][j] * d2[i * rr + q];
                F32Array out2 = s.allocateF32(cols * rr);
                be.csrMultiply(true, p, c, v, rows, cols, s.copyOf(d2), rr, out2);
                assertTrue(nmse(ref2, out2) < NMSE, "X^T*D, width " + rr);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void assignNearestMatchesBruteForce(String name) {
        SplittableRandom r = new SplittableRandom(TestData.seed("assign-" + name));
        try (Backend be = open(name); MemoryScope s = MemoryScope.root("t")) {
            for (int[] sh : new int[][] {{1, 1, 3}, {100, 7, 5}, {257, 33, 64}, {64, 130, 17}}) {
                int n = sh[0], k = sh[1], dim = sh[2];
                float[] pts = rand(r, n * dim), cen = rand(r, k * dim);
                I32Array idx = s.allocateI32(n);
                F32Array score = s.allocateF32(n);
                be.assignNearest(s.copyOf(pts), n, s.copyOf(cen), k, dim, idx, score);
                for (int i = 0; i < n; i++) {
                    double best = Double.NEGATIVE_INFINITY, second = Double.NEGATIVE_INFINITY;
                    int bi = -1;
                    for (int c = 0; c < k; c++) {
                        double d = 0;
                        for (int q = 0; q < dim; q++) d += (double) pts[i * dim + q] * cen[c * dim + q];
                        if (d > best) {
                            second = best;
                            best = d;
                            bi = c;
                        } else if (d > second) second = d;
                    }
                    assertEquals(best, score.get(i), 1e-4, "score of point " + i);
                    if (best - second > 1e-4) assertEquals(bi, idx.get(i), "nearest centroid of point " + i);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void dotGivesTheSameBitsBeforeAndAfterJitCompilation(String name) {
        SplittableRandom r = new SplittableRandom(TestData.seed("dot-bits-" + name));
        try (Backend be = open(name); MemoryScope s = MemoryScope.root("t")) {
            F32Array a = s.copyOf(rand(r, 64)), b = s.copyOf(rand(r, 64));
            float first = be.dot(a, 0, b, 0, 64);
            float last = first;
            for (int i = 0; i < 300_000; i++) last = be.dot(a, 0, b, 0, 64);
            assertEquals(Float.floatToIntBits(first), Float.floatToIntBits(last), "interpreted vs compiled: " + first + " vs " + last);
        }
    }
}
