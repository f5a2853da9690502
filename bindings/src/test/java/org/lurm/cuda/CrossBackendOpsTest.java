package org.lurm.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lurm.backend.Availability;
import org.lurm.backend.Backend;
import org.lurm.backend.BackendProvider;
import org.lurm.backend.Backends;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.boi.Scale;
import org.lurm.cluster.NearestCentroids;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

/**
 * The cross-backend op harness: every {@link Backend} op on every backend found through {@link java.util.ServiceLoader}
 * (cpu, cpu-scalar, cuda) against the scalar reference ({@code cpu-scalar}) on fresh random inputs: normalised
 * squared error bounds for the float ops, exact equality (row for row, bit for bit) for BoI aggregation.
 * Backends that cannot run here (cuda without a GPU) are skipped with their provider's reason; the GPU script
 * (perf-tests/gpu/run.sh) runs this class on a GPU machine.
 */
class CrossBackendOpsTest {
    /** Normalised squared error bound: float32 with a different summation order stays far below this. */
    static final double NMSE = 1e-9;

    static Stream<String> backends() {
        return Backends.providers().stream().map(BackendProvider::name);
    }

    static Backend open(String name) {
        BackendProvider p = Backends.providers().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
        Availability a = p.availability();
        DeviceTests.assumeDevice(a.available(), () -> name + " not available here: " + a.reasons());
        return p.create(2);
    }

    static Backend reference() {
        return Backends.select("cpu-scalar").create(1);
    }

    @AfterEach
    void noDeviceMemoryLeft() {
        assertEquals(0, DeviceBuffer.liveCount(), "device buffers left open: " + DeviceBuffer.liveBytes() + " bytes");
    }

    static double nmse(F32Array ref, F32Array got, long n) {
        double num = 0, den = 1e-30;
        for (long i = 0; i < n; i++) {
            double d = (double) ref.get(i) - got.get(i);
            num += d * d;
            den += (double) ref.get(i) * ref.get(i);
        }
        return num / den;
    }

    static F32Array rand(MemoryScope s, SplittableRandom r, long n) {
        F32Array a = s.allocateF32(n);
        for (long i = 0; i < n; i++) a.set(i, (float) (r.nextDouble() * 2 - 1));
        return a;
    }

    static F32Array copy(MemoryScope s, F32Array a) {
        F32Array c = s.allocateF32(a.length());
        c.segment().copyFrom(a.segment());
        return c;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void dot(String name) {
        SplittableRandom r = new SplittableRandom(TestData.seed("xdot-" + name));
        try (Backend be = open(name); Backend ref = reference(); MemoryScope s = MemoryScope.root("t")) {
            for (int n : new int[] {0, 1, 3, 31, 32, 33, 255, 1000, 65_537, 1 << 20}) {
                F32Array a = rand(s, r, n + 7), b = rand(s, r, n + 2);
                double exact = 0, sumAbs = 0;
                for (int i = 0; i < n; i++) {
                    double t = (double) a.get(5 + i) * b.get(1 + i);
                    exact += t;
                    sumAbs += Math.abs(t);
                }
                float got = be.dot(a, 5, b, 1, n);
                // float accumulation in any order stays well within a few 1e-6 of the sum of |a_i b_i|
                assertTrue(Math.abs(exact - got) <= 4e-6 * sumAbs + 1e-7, name + " dot n=" + n + ": " + got + " vs " + exact);
                assertEquals(Float.floatToIntBits(got), Float.floatToIntBits(be.dot(a, 5, b, 1, n)), "same bits on a second call");
                if (n <= 1000) assertEquals(ref.dot(a, 5, b, 1, n), got, 4e-6 * sumAbs + 1e-7, "against the scalar reference");
            }
            // Heap-backed arrays (staged through pinned memory on the GPU).
            float[] x = {1, 2, 3}, y = {4, 5, 6};
            assertEquals(32f, be.dot(F32Array.wrap(x), 0, F32Array.wrap(y), 0, 3), 1e-6);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void gemmAllTransposesAndShapes(String name) {
        SplittableRandom r = new SplittableRandom(TestData.seed("xgemm-" + name));
        try (Backend be = open(name); Backend ref = reference(); MemoryScope s = MemoryScope.root("t")) {
            int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {17, 9, 33}, {64, 64, 64}, {65, 63, 17}, {130, 70, 200}, {1, 300, 64}, {257, 1, 5}, {4, 4, 0}};
            for (int[] sh : shapes) {
                int m = sh[0], n = sh[1], k = sh[2];
                for (boolean ta : new boolean[] {false, true}) {
                    for (boolean tb : new boolean[] {false, true}) {
                        F32Array a = rand(s, r, (long) m * k), b = rand(s, r, (long) k * n), c0 = rand(s, r, (long) m * n);
                        float alpha = (float) (r.nextDouble() * 2 - 1), beta = r.nextBoolean() ? 0f : -1.3f;
                        F32Array want = copy(s, c0), got = copy(s, c0);
                        if (beta == 0f) got.fill(Float.NaN); // beta = 0 must not read C
                        ref.gemm(ta, tb, m, n, k, alpha, a, b, beta, want);
                        be.gemm(ta, tb, m, n, k, alpha, a, b, beta, got);
                        double e = nmse(want, got, (long) m * n);
                        assertTrue(e < NMSE, name + " gemm " + m + "x" + n + "x" + k + " ta=" + ta + " tb=" + tb + " nmse " + e);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void csrMultiplyBothWays(String name) {
        SplittableRandom r = new SplittableRandom(TestData.seed("xcsr-" + name));
        try (Backend be = open(name); Backend ref = reference(); MemoryScope s = MemoryScope.root("t")) {
            for (int[] sh : new int[][] {{50, 40, 13}, {300, 1000, 64}, {1, 1, 1}, {200, 30, 33}}) {
                int rows = sh[0], cols = sh[1], rr = sh[2];
                long[] ptr = new long[rows + 1];
                List<Integer> ci = new ArrayList<>();
                List<Float> cv = new ArrayList<>();
                for (int i = 0; i < rows; i++) {
                    for (int j = 0; j < cols; j++) {
                        if (r.nextInt(5) == 0) {
                            ci.add(j);
                            cv.add((float) r.nextGaussian());
                        }
                    }
                    ptr[i + 1] = ci.size();
                }
                I64Array p = s.copyOf(ptr);
                I32Array c = s.allocateI32(ci.size());
                F32Array v = s.allocateF32(ci.size());
                for (int q = 0; q < ci.size(); q++) {
                    c.set(q, ci.get(q));
                    v.set(q, cv.get(q));
                }
                for (boolean tr : new boolean[] {false, true}) {
                    int inRows = tr ? rows : cols, outRows = tr ? cols : rows;
                    F32Array d = rand(s, r, (long) inRows * rr);
                    F32Array want = s.allocateF32((long) outRows * rr), got = s.allocateF32((long) outRows * rr);
                    got.fill(42f); // must be overwritten
                    ref.csrMultiply(tr, p, c, v, rows, cols, d, rr, want);
                    be.csrMultiply(tr, p, c, v, rows, cols, d, rr, got);
                    double e = nmse(want, got, (long) outRows * rr);
                    assertTrue(e < NMSE, name + " csr " + rows + "x" + cols + " r=" + rr + " transpose=" + tr + " nmse " + e);
                }
            }
            // A column outside the matrix is an error naming it, on every backend.
            I64Array p = s.copyOf(new long[] {0, 1});
            I32Array c = s.copyOf(new int[] {7});
            F32Array v = s.copyOf(new float[] {1f});
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                    () -> be.csrMultiply(false, p, c, v, 1, 3, s.allocateF32(3), 1, s.allocateF32(1)));
            assertTrue(e.getMessage().contains("7"), e.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void assignNearestWithTiesToTheLowerIndex(String name) {
        SplittableRandom r = new SplittableRandom(TestData.seed("xassign-" + name));
        try (Backend be = open(name); Backend ref = reference(); MemoryScope s = MemoryScope.root("t")) {
            for (int[] sh : new int[][] {{1, 1, 3}, {100, 7, 5}, {257, 33, 64}, {64, 130, 17}, {3000, 256, 32}, {5, 1000, 100}}) {
                int n = sh[0], k = sh[1], dim = sh[2];
                F32Array pts = rand(s, r, (long) n * dim), cen = rand(s, r, (long) k * dim);
                if (k > 2) { // an exact duplicate: the tie must go to the lower index
                    int dup = k - 1, orig = k / 2;
                    for (int q = 0; q < dim; q++) cen.set((long) dup * dim + q, cen.get((long) orig * dim + q));
                }
                I32Array wi = s.allocateI32(n), gi = s.allocateI32(n);
                F32Array ws = s.allocateF32(n), gs = s.allocateF32(n);
                ref.assignNearest(pts, n, cen, k, dim, wi, ws);
                be.assignNearest(pts, n, cen, k, dim, gi, gs);
                for (int i = 0; i < n; i++) {
                    assertEquals(ws.get(i), gs.get(i), 1e-4 * Math.sqrt(dim), name + " score of point " + i);
                    if (wi.get(i) != gi.get(i)) {
                        // Only a near tie may differ, and then the two scores agree.
                        float other = 0;
                        for (int q = 0; q < dim; q++) other += pts.get((long) i * dim + q) * cen.get((long) gi.get(i) * dim + q);
                        assertEquals(ws.get(i), other, 1e-4 * Math.sqrt(dim), name + " point " + i + ": " + gi.get(i) + " instead of " + wi.get(i));
                    }
                    assertTrue(k <= 2 || gi.get(i) != k - 1, name + " point " + i + " chose the duplicate (higher) index");
                }
            }
        }
    }

    /** Random events: users and times in any order, several types, zero weights, items without an interest. */
    static EventTable randomEvents(MemoryScope s, SplittableRandom r, int nEvents, int nUsers, int nItems, boolean groupedByUser) {
        EventTableBuilder b = new EventTableBuilder();
        for (int u = 0; u < nUsers; u++) b.users().add("u" + u);
        for (int i = 0; i < nItems; i++) b.items().add("i" + i);
        b.types().add("view");
        b.types().add("buy");
        int types = b.types().size();
        long t0 = 1_500_000_000L;
        int[] users = new int[nEvents];
        for (int e = 0; e < nEvents; e++) users[e] = r.nextInt(nUsers);
        if (groupedByUser) java.util.Arrays.sort(users);
        for (int e = 0; e < nEvents; e++) {
            long t = t0 + (long) (r.nextDouble() * 6 * 365 * Scale.DAY) - (r.nextInt(20) == 0 ? 40L * 365 * Scale.DAY : 0);
            float w = r.nextInt(10) == 0 ? 0f : (float) (1 + r.nextInt(5)) * (r.nextBoolean() ? 1f : 0.37f);
            b.addIndexed(users[e], r.nextInt(nItems), t, w, r.nextInt(types));
        }
        return b.build(s);
    }

    static void assertIdentical(BoiSet want, BoiSet got, String what) {
        assertEquals(want.numRows(), got.numRows(), what + ": rows");
        assertEquals(want.nnz(), got.nnz(), what + ": non-zeros");
        assertEquals(want.aggregatedEvents(), got.aggregatedEvents(), what + ": aggregated events");
        assertEquals(want.skippedEvents(), got.skippedEvents(), what + ": skipped events");
        for (long q = 0; q <= want.numRows(); q++) assertEquals(want.rowPtrArray().get(q), got.rowPtrArray().get(q), what + ": rowPtr " + q);
        for (long q = 0; q < want.numRows(); q++) {
            String row = what + ": row " + q;
            assertEquals(want.rowUser(q), got.rowUser(q), row + " user");
            assertEquals(want.rowScaleArray().get(q), got.rowScaleArray().get(q), row + " scale/history");
            assertEquals(want.rowPeriod(q), got.rowPeriod(q), row + " period");
        }
        for (long j = 0; j < want.nnz(); j++) {
            assertEquals(want.col(j), got.col(j), what + ": col " + j);
            assertEquals(Float.floatToIntBits(want.val(j)), Float.floatToIntBits(got.val(j)), what + ": value " + j + " " + got.val(j) + " vs " + want.val(j));
        }
        for (int u = 0; u <= want.numUsers(); u++) assertEquals(want.userRowPtrArray().get(u), got.userRowPtrArray().get(u), what + ": userRowPtr " + u);
        for (int k = 0; k < want.numInterests(); k++) assertEquals(want.df(k), got.df(k), what + ": df " + k);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void aggregateIsIdenticalRowForRow(String name) {
        SplittableRandom r = new SplittableRandom(TestData.seed("xboi-" + name));
        try (Backend be = open(name); Backend ref = reference(); MemoryScope s = MemoryScope.root("t")) {
            for (int trial = 0; trial < 6; trial++) {
                int nUsers = 1 + r.nextInt(trial < 3 ? 20 : 400), nItems = 1 + r.nextInt(300), k = 1 + r.nextInt(trial % 2 == 0 ? 8 : 2000);
                int nEvents = trial == 0 ? 0 : r.nextInt(trial < 3 ? 300 : 20_000);
                boolean lenient = trial % 3 != 1;
                EventTable ev = randomEvents(s, r, nEvents, nUsers, nItems, trial % 2 == 1);
                I32Array interest = s.allocateI32(nItems);
                for (int i = 0; i < nItems; i++) interest.set(i, lenient && r.nextInt(7) == 0 ? -1 : r.nextInt(k));
                BoiConfig cfg = new BoiConfig(List.of(Scale.days(7, 1 + r.nextInt(4)), Scale.days(30, 1 + r.nextInt(12)), Scale.days(365, 2)),
                        r.nextInt(3) == 0 ? 86_400L * 3 : 0L, r.nextBoolean() ? new float[] {1f, 0.5f, 2.5f} : null, lenient);
                BoiSet want = ref.aggregate(ev, interest, k, cfg, s);
                BoiSet got = be.aggregate(ev, interest, k, cfg, s);
                got.validate();
                assertIdentical(want, got, name + " trial " + trial + " (" + nEvents + " events, " + nUsers + " users, K " + k + ", lenient " + lenient + ")");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void aggregateRejectsWhatTheCpuRejectsWithTheSameMessage(String name) {
        SplittableRandom r = new SplittableRandom(TestData.seed("xboi-err-" + name));
        try (Backend be = open(name); Backend ref = reference(); MemoryScope s = MemoryScope.root("t")) {
            EventTable ev = randomEvents(s, r, 500, 10, 20, false);
            I32Array interest = s.allocateI32(20);
            for (int i = 0; i < 20; i++) interest.set(i, i == 3 ? -1 : i % 4);
            boolean usesItem3 = false;
            for (long e = 0; e < ev.size(); e++) usesItem3 |= ev.item(e) == 3;
            assumeTrue(usesItem3, "random events happen not to use item 3");
            BoiConfig strict = BoiConfig.of(Scale.days(30, 4));
            IllegalArgumentException want = assertThrows(IllegalArgumentException.class, () -> ref.aggregate(ev, interest, 4, strict, s));
            IllegalArgumentException got = assertThrows(IllegalArgumentException.class, () -> be.aggregate(ev, interest, 4, strict, s));
            assertEquals(want.getMessage(), got.getMessage());
            interest.set(3, 9); // >= K
            want = assertThrows(IllegalArgumentException.class, () -> ref.aggregate(ev, interest, 4, strict, s));
            got = assertThrows(IllegalArgumentException.class, () -> be.aggregate(ev, interest, 4, strict, s));
            assertEquals(want.getMessage(), got.getMessage());
        }
    }

    /** The device-only k-means ops (two-level search, centroid update) against the CPU's NearestCentroids and a naive mean. */
    @Test
    void cudaTwoLevelAssignmentAndCentroidUpdate() {
        SplittableRandom r = new SplittableRandom(TestData.seed("xkmeans-cuda"));
        try (Backend be = open("cuda"); Backend ref = reference(); MemoryScope s = MemoryScope.root("t")) {
            CudaBackend cuda = (CudaBackend) be;
            int n = 2000, dim = 24, kc = 9;
            int[] offsets = new int[kc + 1];
            for (int j = 0; j < kc; j++) offsets[j + 1] = offsets[j] + 1 + r.nextInt(12);
            int kf = offsets[kc];
            F32Array pts = rand(s, r, (long) n * dim), coarse = rand(s, r, (long) kc * dim), fine = rand(s, r, (long) kf * dim);
            I32Array wi = s.allocateI32(n), gi = s.allocateI32(n);
            F32Array ws = s.allocateF32(n), gs = s.allocateF32(n);
            NearestCentroids.twoLevel(coarse, kc, fine, offsets, dim).assign(ref, pts, n, wi, ws);
            cuda.assignTwoLevel(pts, n, dim, coarse, kc, fine, offsets, gi, gs);
            int differ = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(ws.get(i), gs.get(i), 1e-4 * Math.sqrt(dim), "two-level score of point " + i);
                if (wi.get(i) != gi.get(i)) differ++;
            }
            assertTrue(differ <= n / 200, differ + " of " + n + " points got another fine centroid (near ties only)");

            int k = 17;
            I32Array assign = s.allocateI32(n);
            F32Array weights = s.allocateF32(n);
            for (int i = 0; i < n; i++) {
                assign.set(i, r.nextInt(k - 1)); // centroid k-1 stays empty and must keep its row
                weights.set(i, (float) r.nextDouble());
            }
            for (boolean normalize : new boolean[] {false, true}) {
                for (F32Array w : new F32Array[] {null, weights}) {
                    F32Array cen = rand(s, r, (long) k * dim);
                    F32Array before = copy(s, cen);
                    int[] counts = cuda.updateCentroids(pts, n, dim, assign, w, k, normalize, cen);
                    double[][] sum = new double[k][dim];
                    double[] wsum = new double[k];
                    int[] cnt = new int[k];
                    for (int i = 0; i < n; i++) {
                        int c = assign.get(i);
                        double wt = w == null ? 1 : w.get(i);
                        cnt[c]++;
                        wsum[c] += wt;
                        for (int q = 0; q < dim; q++) sum[c][q] += wt * pts.get((long) i * dim + q);
                    }
                    for (int c = 0; c < k; c++) {
                        assertEquals(cnt[c], counts[c], "count of centroid " + c);
                        double norm = 0;
                        for (int q = 0; q < dim; q++) norm += sum[c][q] * sum[c][q];
                        for (int q = 0; q < dim; q++) {
                            double want = cnt[c] == 0 ? before.get((long) c * dim + q) : normalize ? sum[c][q] / Math.sqrt(norm) : sum[c][q] / wsum[c];
                            assertEquals(want, cen.get((long) c * dim + q), 1e-6 * Math.max(1, Math.abs(want)), "centroid " + c + "[" + q + "]");
                        }
                    }
                }
            }
        }
    }
}
