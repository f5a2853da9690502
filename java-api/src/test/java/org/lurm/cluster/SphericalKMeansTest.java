package org.lurm.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.lurm.cluster.ClusterFixtures.dot;
import static org.lurm.cluster.ClusterFixtures.mixture;
import static org.lurm.cluster.ClusterFixtures.nearest;
import static org.lurm.cluster.ClusterFixtures.toDouble;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.CpuBackendProvider;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

/** Spherical k-means against a brute-force double Lloyd, plus determinism, empty-cluster repair and edge cases. */
class SphericalKMeansTest {
    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = Backends.create();
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static double rel(double ours, double ref) {
        return Math.abs(ours - ref) / Math.max(ref, 1e-12);
    }

    @Test
    void flatObjectiveWithinTwoPercentOfBruteForceLloydFromTheSameSeeds() {
        long seed = TestData.seed("SphericalKMeansTest.flat");
        Random r = new Random(seed);
        int n = 3000, dim = 16, k = 12;
        float[] x = mixture(r, n, dim, 20, 0.35);
        KMeansConfig cfg = KMeansConfig.of(k).withSeed(seed);
        try (MemoryScope scope = MemoryScope.root("kmeans-flat")) {
            F32Array emb = scope.copyOf(x);
            float[] seeds = SphericalKMeans.seeds(emb, n, dim, null, cfg, backend, scope).toArray();
            assertEquals(k * dim, seeds.length);
            KMeansResult res = SphericalKMeans.fit(emb, n, dim, null, cfg, backend, scope);
            assertEquals(k, res.k());
            assertFalse(res.isTwoLevel());
            assertEquals(n, res.trainingItems(), "256 per centroid exceeds n: no sampling");
            assertTrue(res.converged(), res.toString());

            double[] ours = toDouble(res.centroids().toArray());
            double oursObj = ClusterFixtures.objective(x, n, dim, null, ours, k);
            assertEquals(oursObj, res.objective(), 1e-4 * oursObj, "reported objective = brute-force objective of the centroids");
            double ref = ClusterFixtures.objective(x, n, dim, null, ClusterFixtures.lloyd(x, n, dim, null, seeds, k), k);
            assertTrue(rel(oursObj, ref) <= 0.02, "objective " + oursObj + " vs brute-force Lloyd " + ref);

            // Every item's interest is its nearest centroid (up to float near-ties).
            int[] table = res.assignment().toArray();
            for (int i = 0; i < n; i++) {
                int b = nearest(x, i, ours, 0, k, dim);
                if (table[i] != b) assertTrue(dot(x, i, ours, b, dim) - dot(x, i, ours, table[i], dim) < 1e-5, "item " + i);
                assertEquals(dot(x, i, ours, table[i], dim), res.scores().get(i), 1e-5);
            }
        }
    }

    @Test
    void sampledTrainingIsLloydOnItsSampleAndUsuallyNearFullLloyd() {
        // Two properties. Exact: training on a sample of 200 points per centroid is brute-force Lloyd on those very
        // points from the same seeds (same draw, SphericalKMeans.TrainingSet.sampledItems), to float rounding, on
        // every data set. Statistical: its objective on all points is within 2 % of Lloyd on all points from the same
        // seeds on most data sets; measured on 60 independent data sets, 15 settled in another local optimum 2-8 %
        // worse (and 3 in a better one). A failure by chance needs 16 of 25 bad ones (p = 4e-5 at one in four).
        // Data sets are seeded through mix(): java.util.Random's first draws from consecutive seeds are correlated, and
        // the CI run of 2026-12-06 saw 13 of 25 consecutive-seed data sets in the worse optimum.
        long seed = TestData.seed("SphericalKMeansTest.sampled");
        int n = 20000, dim = 12, k = 10, reps = 25;
        double[] gaps = new double[reps];
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        for (int rep = 0; rep < reps; rep++) {
            long s = SphericalKMeans.mix(seed, 1000 + rep);
            float[] x = mixture(new Random(s), n, dim, k, 0.3);
            KMeansConfig cfg = KMeansConfig.of(k).withSeed(s).withMaxPointsPerCentroid(200);
            try (MemoryScope scope = MemoryScope.root("kmeans-sampled")) {
                F32Array emb = scope.copyOf(x);
                float[] seeds = SphericalKMeans.seeds(emb, n, dim, null, cfg, backend, scope).toArray();
                KMeansResult res = SphericalKMeans.fit(emb, n, dim, null, cfg, backend, scope);
                assertEquals(200 * k, res.trainingItems());
                assertEquals(n, res.presentItems());
                double oursObj = ClusterFixtures.objective(x, n, dim, null, toDouble(res.centroids().toArray()), k);

                int[] drawn = SphericalKMeans.TrainingSet.sampledItems(all, 200 * k, SphericalKMeans.mix(s, SphericalKMeans.TAG_SAMPLE));
                assertEquals(200 * k, drawn.length);
                boolean[] inSample = new boolean[n];
                for (int i : drawn) inSample[i] = true;
                double onSample = ClusterFixtures.objective(x, n, dim, null, ClusterFixtures.lloyd(x, n, dim, inSample, seeds, k), k);
                assertTrue(rel(oursObj, onSample) <= 1e-3, "data set " + rep + ": objective " + oursObj + " vs brute-force Lloyd on the same sample " + onSample);

                double full = ClusterFixtures.objective(x, n, dim, null, ClusterFixtures.lloyd(x, n, dim, null, seeds, k), k);
                gaps[rep] = (oursObj - full) / full;
            }
        }
        int near = 0;
        for (double g : gaps) if (g <= 0.02) near++;
        assertTrue(near >= 10, near + " of " + reps + " data sets within 2 % of Lloyd on all points: " + Arrays.toString(gaps));
        for (double g : gaps) assertTrue(g <= 0.25, "worst gap: " + Arrays.toString(gaps));
    }

    @Test
    void twoLevelWithinTenPercentOfFlatLloydAndRoutesHierarchically() {
        long seed = TestData.seed("SphericalKMeansTest.twoLevel");
        Random r = new Random(seed);
        int n = 8000, dim = 16, k = 100;
        // Item embeddings have a hierarchy (genres, sub-genres) that two-level clustering relies on. On a flat
        // mixture of 150 unrelated directions the two-level objective is 10-25 % above flat Lloyd (see the report).
        float[] x = ClusterFixtures.hierarchicalMixture(r, n, dim, 10, 15, 0.2, 0.2);
        KMeansConfig flatCfg = KMeansConfig.of(k).withSeed(seed);
        KMeansConfig cfg = flatCfg.withTwoLevelThreshold(50);
        try (MemoryScope scope = MemoryScope.root("kmeans-two-level")) {
            F32Array emb = scope.copyOf(x);
            KMeansResult res = SphericalKMeans.fit(emb, n, dim, null, cfg, backend, scope);
            assertTrue(res.isTwoLevel());
            assertEquals(k, res.k());
            NearestCentroids idx = res.index();
            assertTrue(idx.coarseK() >= 8 && idx.coarseK() <= 10, "about sqrt(K) coarse clusters: " + idx.coarseK());
            int[] off = idx.fineOffsets();
            assertEquals(k, off[off.length - 1]);

            double[] fine = toDouble(res.centroids().toArray());
            double[] coarse = toDouble(idx.coarseCentroids().toArray());
            int[] table = res.assignment().toArray();
            double obj = 0;
            for (int i = 0; i < n; i++) {
                // Brute-force hierarchical routing: nearest coarse, then nearest fine under it.
                int cc = nearest(x, i, coarse, 0, idx.coarseK(), dim);
                int expect = nearest(x, i, fine, off[cc], off[cc + 1], dim);
                if (table[i] != expect) {
                    int gotCoarse = idx.coarseOf(table[i]);
                    assertTrue(Math.abs(dot(x, i, coarse, gotCoarse, dim) - dot(x, i, coarse, cc, dim)) < 1e-5
                            || Math.abs(dot(x, i, fine, expect, dim) - dot(x, i, fine, table[i], dim)) < 1e-5, "item " + i + " routed wrongly");
                }
                obj += 1 - dot(x, i, fine, table[i], dim);
            }
            assertEquals(obj, res.objective(), 1e-4 * obj);

            float[] seeds = SphericalKMeans.seeds(emb, n, dim, null, flatCfg, backend, scope).toArray();
            double ref = ClusterFixtures.objective(x, n, dim, null, ClusterFixtures.lloyd(x, n, dim, null, seeds, k), k);
            assertTrue(rel(obj, ref) <= 0.10, "two-level objective " + obj + " vs flat brute-force Lloyd " + ref);

            // Exhaustive assignment over the same centroids can only lower the objective.
            KMeansResult ex = SphericalKMeans.fit(emb, n, dim, null, cfg.withAssignment(KMeansConfig.Assignment.EXHAUSTIVE), backend, scope);
            assertArrayEquals(res.centroids().toArray(), ex.centroids().toArray(), "assignment mode does not change training");
            assertTrue(ex.objective() <= res.objective() + 1e-6);
            assertEquals(ClusterFixtures.objective(x, n, dim, null, fine, k), ex.objective(), 1e-4 * ex.objective());
        }
    }

    @Test
    void sameSeedGivesTheSameResultForAnyThreadCount() {
        CpuBackendProvider p = new CpuBackendProvider();
        assumeTrue(p.availability().available(), () -> String.join("; ", p.availability().reasons()));
        long seed = TestData.seed("SphericalKMeansTest.determinism");
        Random r = new Random(seed);
        int n = 4000, dim = 10;
        float[] x = mixture(r, n, dim, 30, 0.4);
        try (MemoryScope scope = MemoryScope.root("kmeans-determinism"); Backend one = p.create(1); Backend three = p.create(3)) {
            F32Array emb = scope.copyOf(x);
            for (KMeansConfig cfg : new KMeansConfig[] {KMeansConfig.of(20).withSeed(seed).withMaxPointsPerCentroid(100).withSeedingTrials(3),
                    KMeansConfig.of(40).withSeed(seed).withTwoLevelThreshold(10)}) {
                KMeansResult a = SphericalKMeans.fit(emb, n, dim, null, cfg, one, scope);
                KMeansResult b = SphericalKMeans.fit(emb, n, dim, null, cfg, three, scope);
                KMeansResult c = SphericalKMeans.fit(emb, n, dim, null, cfg, one, scope);
                assertArrayEquals(a.centroids().toArray(), b.centroids().toArray(), "1 vs 3 threads");
                assertArrayEquals(a.assignment().toArray(), b.assignment().toArray());
                assertArrayEquals(a.centroids().toArray(), c.centroids().toArray(), "repeat");
                assertEquals(a.objective(), c.objective());
                KMeansResult d = SphericalKMeans.fit(emb, n, dim, null, cfg.withSeed(seed + 1), one, scope);
                assertFalse(Arrays.equals(a.centroids().toArray(), d.centroids().toArray()), "another seed gives other centroids");
            }
        }
    }

    @Test
    void emptyClusterIsReseededWithTheFarthestPoint() {
        long seed = TestData.seed("SphericalKMeansTest.reseed");
        Random r = new Random(seed);
        int n = 600, dim = 8, k = 4;
        // Points on the hemisphere x0 > 0.3; initial centroid 3 is -e0, farther from every point than the others.
        float[] x = new float[n * dim];
        for (int i = 0; i < n; i++) {
            double[] v = new double[dim];
            for (int d = 0; d < dim; d++) v[d] = r.nextGaussian();
            v[0] = Math.abs(v[0]) + 1.5;
            ClusterFixtures.normalise(v);
            for (int d = 0; d < dim; d++) x[i * dim + d] = (float) v[d];
        }
        float[] init = new float[k * dim];
        System.arraycopy(x, 0, init, 0, 3 * dim);
        init[3 * dim] = -1f;
        double[] initD = toDouble(init);
        int farthest = 0;
        double far = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            double s = dot(x, i, initD, nearest(x, i, initD, 0, k, dim), dim);
            if (s < far) {
                far = s;
                farthest = i;
            }
        }
        try (MemoryScope scope = MemoryScope.root("kmeans-reseed")) {
            F32Array emb = scope.copyOf(x);
            KMeansResult one = SphericalKMeans.fit(emb, n, dim, null, F32Array.wrap(init), k, KMeansConfig.of(k).withMaxIterations(1), backend, scope);
            assertEquals(1, one.reseeded());
            float[] c3 = one.centroids().slice(3L * dim, dim).toArray();
            for (int d = 0; d < dim; d++) assertEquals(x[farthest * dim + d], c3[d], 1e-6, "centroid 3 is the farthest point " + farthest);

            KMeansResult full = SphericalKMeans.fit(emb, n, dim, null, F32Array.wrap(init), k, KMeansConfig.of(k), backend, scope);
            assertTrue(full.converged());
            assertEquals(0, full.emptyInterests());
            assertEquals(4, new HashSet<>(Arrays.stream(full.assignment().toArray()).boxed().toList()).size());
        }
    }

    @Test
    void oneClusterIsTheNormalisedMean() {
        long seed = TestData.seed("SphericalKMeansTest.k1");
        Random r = new Random(seed);
        int n = 500, dim = 7;
        float[] x = mixture(r, n, dim, 3, 0.5);
        double[] mean = new double[dim];
        for (int i = 0; i < n; i++) for (int d = 0; d < dim; d++) mean[d] += x[i * dim + d];
        ClusterFixtures.normalise(mean);
        try (MemoryScope scope = MemoryScope.root("kmeans-k1")) {
            F32Array emb = scope.copyOf(x);
            KMeansResult res = SphericalKMeans.fit(emb, n, dim, null, KMeansConfig.of(1).withSeed(seed).withMaxPointsPerCentroid(n), backend, scope);
            assertEquals(1, res.k());
            assertEquals(n, res.trainingItems());
            for (int d = 0; d < dim; d++) assertEquals(mean[d], res.centroids().get(d), 1e-5);
            for (int i = 0; i < n; i++) assertEquals(0, res.assignment().get(i));
            // With the default cap, one centroid trains on 256 sampled items.
            KMeansResult sampled = SphericalKMeans.fit(emb, n, dim, null, KMeansConfig.of(1).withSeed(seed), backend, scope);
            assertEquals(256, sampled.trainingItems());
            assertEquals(n, sampled.presentItems());
        }
    }

    @Test
    void onePointWithAnyK() {
        float[] p = {0.6f, 0f, -0.8f};
        try (MemoryScope scope = MemoryScope.root("kmeans-one-point")) {
            for (int k : new int[] {1, 5}) {
                KMeansResult res = SphericalKMeans.fit(scope.copyOf(p), 1, 3, null, KMeansConfig.of(k), backend, scope);
                assertEquals(1, res.k());
                assertEquals(k, res.requestedK());
                assertArrayEquals(p, res.centroids().toArray(), 1e-7f);
                assertEquals(0, res.assignment().get(0));
                assertEquals(0, res.objective(), 1e-6);
            }
        }
    }

    @Test
    void duplicatePointsAndKAboveTheDistinctCount() {
        long seed = TestData.seed("SphericalKMeansTest.duplicates");
        Random r = new Random(seed);
        int dim = 5, distinct = 3, n = 300;
        float[] base = ClusterFixtures.unitRows(r, distinct, dim);
        base[dim + 2] = 0f;  // one row with +0 (renormalised) ...
        double ss = 0;
        for (int d = 0; d < dim; d++) ss += base[dim + d] * base[dim + d];
        for (int d = 0; d < dim; d++) base[dim + d] /= (float) Math.sqrt(ss);
        float[] x = new float[n * dim];
        int[] which = new int[n];
        for (int i = 0; i < n; i++) {
            which[i] = r.nextInt(distinct);
            System.arraycopy(base, which[i] * dim, x, i * dim, dim);
            if (which[i] == 1 && r.nextBoolean()) x[i * dim + 2] = -0f; // ... and its copies with -0: the same point
        }
        for (int j = 0; j < distinct; j++) which[j] = j; // every distinct row occurs
        for (int j = 0; j < distinct; j++) System.arraycopy(base, j * dim, x, j * dim, dim);
        try (MemoryScope scope = MemoryScope.root("kmeans-duplicates")) {
            KMeansResult res = SphericalKMeans.fit(scope.copyOf(x), n, dim, null, KMeansConfig.of(10).withSeed(seed), backend, scope);
            assertEquals(3, res.k(), "effective K = number of distinct points");
            assertEquals(10, res.requestedK());
            assertEquals(3, res.distinctTrainingItems());
            assertEquals(n, res.trainingItems());
            assertEquals(0, res.objective(), 1e-4);
            int[] table = res.assignment().toArray();
            Set<Integer> used = new HashSet<>();
            for (int i = 0; i < n; i++) {
                assertEquals(table[which[i]], table[i], "copies of one point share an interest");
                used.add(table[i]);
                for (int d = 0; d < dim; d++) assertEquals(Math.abs(base[which[i] * dim + d]), Math.abs(res.centroids().get((long) table[i] * dim + d)), 1e-6);
            }
            assertEquals(3, used.size());
        }
    }

    @Test
    void moreInterestsThanPointsGivesEachPointItsOwn() {
        long seed = TestData.seed("SphericalKMeansTest.kAboveN");
        float[] x = ClusterFixtures.unitRows(new Random(seed), 7, 4);
        try (MemoryScope scope = MemoryScope.root("kmeans-k-above-n")) {
            KMeansResult res = SphericalKMeans.fit(scope.copyOf(x), 7, 4, null, KMeansConfig.of(20).withSeed(seed), backend, scope);
            assertEquals(7, res.k());
            int[] sorted = res.assignment().toArray();
            Arrays.sort(sorted);
            assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6}, sorted);
            assertEquals(0, res.emptyInterests());
            // Also above the two-level threshold: still 7, flat or not, every point its own interest.
            KMeansResult two = SphericalKMeans.fit(scope.copyOf(x), 7, 4, null, KMeansConfig.of(20).withSeed(seed).withTwoLevelThreshold(2), backend, scope);
            assertEquals(7, two.k());
            assertEquals(7, Arrays.stream(two.assignment().toArray()).distinct().count());
        }
    }

    @Test
    void absentRowsGetNoInterestWhateverTheyHold() {
        long seed = TestData.seed("SphericalKMeansTest.absent");
        Random r = new Random(seed);
        int n = 400, dim = 6;
        float[] x = mixture(r, n, dim, 4, 0.3);
        boolean[] present = new boolean[n];
        for (int i = 0; i < n; i++) {
            present[i] = r.nextInt(4) != 0;
            if (!present[i]) for (int d = 0; d < dim; d++) x[i * dim + d] = (i % 2 == 0) ? Float.NaN : 0f;
        }
        try (MemoryScope scope = MemoryScope.root("kmeans-absent")) {
            KMeansResult res = SphericalKMeans.fit(scope.copyOf(x), n, dim, present, KMeansConfig.of(5).withSeed(seed), backend, scope);
            double[] c = toDouble(res.centroids().toArray());
            int m = 0;
            for (int i = 0; i < n; i++) {
                if (!present[i]) {
                    assertEquals(-1, res.assignment().get(i));
                    assertTrue(Float.isNaN(res.scores().get(i)));
                } else {
                    m++;
                    assertTrue(res.assignment().get(i) >= 0);
                }
            }
            assertEquals(m, res.presentItems());
            assertEquals(ClusterFixtures.objective(x, n, dim, present, c, res.k()), res.objective(), 1e-4 * res.objective());
        }
    }

    @Test
    void badInputIsRejectedWithTheReason() {
        try (MemoryScope scope = MemoryScope.root("kmeans-bad")) {
            float[] x = {1, 0, 0, 0, 1, 0, 0, 0.5f, 0};
            F32Array emb = scope.copyOf(x);
            KMeansConfig cfg = KMeansConfig.of(2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SphericalKMeans.fit(emb, 3, 3, null, cfg, backend, scope));
            assertTrue(e.getMessage().contains("row 2") && e.getMessage().contains("norm"), e.getMessage());
            float[] nan = {1, 0, 0, Float.NaN, 1, 0};
            e = assertThrows(IllegalArgumentException.class, () -> SphericalKMeans.fit(scope.copyOf(nan), 2, 3, null, cfg, backend, scope));
            assertTrue(e.getMessage().contains("row 1") && e.getMessage().contains("not finite"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> SphericalKMeans.fit(emb, 3, 3, new boolean[3], cfg, backend, scope));
            assertTrue(e.getMessage().contains("no item has an embedding"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> SphericalKMeans.fit(emb, 3, 3, new boolean[2], cfg, backend, scope));
            assertTrue(e.getMessage().contains("present"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> SphericalKMeans.fit(emb, 4, 3, null, cfg, backend, scope));
            assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> KMeansConfig.of(0));
            assertTrue(e.getMessage().contains("k"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> KMeansConfig.of(3).withTolerance(Double.NaN));
            // A bad row that is marked absent is never read.
            boolean[] present = {true, true, false};
            assertEquals(2, SphericalKMeans.fit(emb, 3, 3, present, cfg, backend, scope).k());
        }
    }

    @Test
    void sharesAreProportionalCappedAndSumToK() {
        long seed = TestData.seed("SphericalKMeansTest.shares");
        Random r = new Random(seed);
        for (int rep = 0; rep < 200; rep++) {
            int g = 1 + r.nextInt(30);
            long[] w = new long[g];
            int[] d = new int[g];
            long sumD = 0;
            for (int q = 0; q < g; q++) {
                d[q] = 1 + r.nextInt(r.nextBoolean() ? 5 : 500);
                w[q] = d[q] + r.nextInt(3 * d[q]);
                sumD += d[q];
            }
            int total = (int) (g + r.nextLong(sumD - g + 1));
            int[] s = SphericalKMeans.shares(total, w, d);
            long sum = 0;
            double sumW = Arrays.stream(w).sum();
            boolean capped = false;
            for (int q = 0; q < g; q++) {
                assertTrue(s[q] >= 1 && s[q] <= d[q], "share " + s[q] + " outside [1, " + d[q] + "]");
                sum += s[q];
                capped |= s[q] == d[q] || s[q] == 1;
            }
            assertEquals(total, sum);
            if (!capped) {
                for (int q = 0; q < g; q++) assertTrue(Math.abs(s[q] - total * w[q] / sumW) < 1.0 + 1e-9, "largest remainder stays within 1 of the quota");
            }
        }
        assertArrayEquals(new int[] {2, 3, 5}, SphericalKMeans.shares(10, new long[] {20, 30, 50}, new int[] {100, 100, 100}));
        assertArrayEquals(new int[] {1, 9}, SphericalKMeans.shares(10, new long[] {1, 1000}, new int[] {5, 100}));
        assertArrayEquals(new int[] {2, 8}, SphericalKMeans.shares(10, new long[] {500, 500}, new int[] {2, 100}));
    }

    @Test
    void twoLevelReportsTheCoarseRunThenTheFineCentroidsAndProgressChangesNothing() {
        long seed = TestData.seed("SphericalKMeansTest.progress");
        int n = 3000, dim = 16, k = 64;
        float[] x = ClusterFixtures.hierarchicalMixture(new Random(seed), n, dim, 8, 8, 0.2, 0.2);
        KMeansConfig cfg = KMeansConfig.of(k).withSeed(seed).withTwoLevelThreshold(20);
        try (MemoryScope scope = MemoryScope.root("kmeans-progress")) {
            F32Array emb = scope.copyOf(x);
            org.lurm.testing.RecordingProgress progress = new org.lurm.testing.RecordingProgress();
            KMeansResult with = SphericalKMeans.fit(emb, n, dim, null, cfg, backend, scope, progress);
            KMeansResult without = SphericalKMeans.fit(emb, n, dim, null, cfg, backend, scope);
            assertArrayEquals(without.assignment().toArray(), with.assignment().toArray(), "progress changes nothing");
            assertArrayEquals(without.centroids().toArray(), with.centroids().toArray());
            assertTrue(with.isTwoLevel());
            assertEquals(java.util.List.of("k-means coarse (8 centroids): k-means++ seeding", "k-means coarse (8 centroids): Lloyd iterations",
                    "k-means fine (64 centroids)", "k-means: assign items"), progress.names(), "the fine runs report as one step");
            for (var s : progress.steps()) assertTrue(s.closed().get(), s.name() + " closed");
            assertEquals(8, progress.steps().get(0).done().get());
            assertEquals(with.coarseIterations(), progress.steps().get(1).done().get());
            assertEquals(k, progress.step("k-means fine (64 centroids)").done().get(), "every fine centroid is counted once");
            assertEquals(n, progress.step("k-means: assign items").done().get());
        }
    }
}
