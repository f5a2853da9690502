package org.lurm.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lurm.cluster.ClusterFixtures.dot;
import static org.lurm.cluster.ClusterFixtures.nearest;
import static org.lurm.cluster.ClusterFixtures.toDouble;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

/** The interest model: typical items, assignment of unseen embeddings, rebuilding from centroids, real data. */
class InterestModelTest {
    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = Backends.create();
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    /** Typical items: members only, best cosine first, nobody left out who scores higher, sizes add up. */
    private static void checkTypicalItems(InterestModel m, float[] x, int n, int dim, int typicalN) {
        double[] c = toDouble(m.centroids().toArray());
        int[] table = m.itemInterest().toArray();
        int total = 0;
        for (int k = 0; k < m.numInterests(); k++) {
            int[] typ = m.typicalItems(k);
            float[] sc = m.typicalScores(k);
            int size = 0;
            for (int t : table) if (t == k) size++;
            assertEquals(size, m.interestSize(k));
            total += size;
            assertEquals(Math.min(typicalN, size), typ.length, "interest " + k);
            for (int t = 0; t < typ.length; t++) {
                assertEquals(k, table[typ[t]], "typical item " + typ[t] + " belongs to interest " + k);
                assertEquals(dot(x, typ[t], c, k, dim), sc[t], 1e-5);
                if (t > 0) assertTrue(sc[t - 1] > sc[t] || (sc[t - 1] == sc[t] && typ[t - 1] < typ[t]), "ordered by cosine, then item");
            }
            if (typ.length > 0 && typ.length < size) {
                float last = sc[typ.length - 1];
                for (int i = 0; i < n; i++) {
                    if (table[i] != k) continue;
                    boolean listed = false;
                    for (int t : typ) listed |= t == i;
                    if (!listed) assertTrue(m.itemScore().get(i) <= last, "item " + i + " scores above the last typical item of " + k);
                }
            }
        }
        assertEquals(m.presentItems(), total);
    }

    @Test
    void typicalItemsAreTheMembersClosestToTheirCentroid() {
        long seed = TestData.seed("InterestModelTest.typical");
        Random r = new Random(seed);
        int n = 3000, dim = 12;
        float[] x = ClusterFixtures.mixture(r, n, dim, 25, 0.3);
        boolean[] present = new boolean[n];
        for (int i = 0; i < n; i++) present[i] = r.nextInt(10) != 0;
        try (MemoryScope scope = MemoryScope.root("interest-typical")) {
            F32Array emb = scope.copyOf(x);
            for (InterestConfig cfg : new InterestConfig[] {InterestConfig.of(20).withTypicalItems(7),
                    new InterestConfig(KMeansConfig.of(60).withSeed(seed).withTwoLevelThreshold(30), 300)}) {
                InterestModel m = InterestModel.build(emb, n, dim, present, cfg, backend, scope);
                checkTypicalItems(m, x, n, dim, cfg.typicalItems());
                for (int i = 0; i < n; i++) if (!present[i]) assertEquals(-1, m.interestOf(i));
            }
        }
    }

    @Test
    void unseenEmbeddingsGetTheBruteForceNearestCentroid() {
        long seed = TestData.seed("InterestModelTest.unseen");
        Random r = new Random(seed);
        int n = 4000, dim = 16, fresh = 500;
        float[] x = ClusterFixtures.hierarchicalMixture(r, n + fresh, dim, 6, 8, 0.25, 0.25);
        float[] train = java.util.Arrays.copyOf(x, n * dim);
        float[] unseen = java.util.Arrays.copyOfRange(x, n * dim, (n + fresh) * dim);
        KMeansConfig base = KMeansConfig.of(48).withSeed(seed);
        try (MemoryScope scope = MemoryScope.root("interest-unseen")) {
            F32Array emb = scope.copyOf(train);
            F32Array q = scope.copyOf(unseen);
            for (KMeansConfig cfg : new KMeansConfig[] {base, base.withTwoLevelThreshold(20),
                    base.withTwoLevelThreshold(20).withAssignment(KMeansConfig.Assignment.EXHAUSTIVE)}) {
                InterestModel m = InterestModel.build(emb, n, dim, null, new InterestConfig(cfg, 5), backend, scope);
                NearestCentroids idx = m.index();
                double[] c = toDouble(m.centroids().toArray());
                boolean hierarchical = idx.isTwoLevel() && !m.exhaustiveAssignment();
                double[] coarse = hierarchical ? toDouble(idx.coarseCentroids().toArray()) : null;
                int[] off = idx.fineOffsets();
                I32Array got = scope.allocateI32(fresh);
                F32Array gotScore = scope.allocateF32(fresh);
                m.assign(backend, q, fresh, got, gotScore);
                for (int i = 0; i < fresh; i++) {
                    int expect;
                    if (hierarchical) {
                        int cc = nearest(unseen, i, coarse, 0, idx.coarseK(), dim);
                        expect = nearest(unseen, i, c, off[cc], off[cc + 1], dim);
                    } else {
                        expect = nearest(unseen, i, c, 0, m.numInterests(), dim);
                    }
                    int g = got.get(i);
                    if (g != expect) {
                        assertTrue(hierarchical ? Math.abs(dot(unseen, i, coarse, idx.coarseOf(g), dim) - dot(unseen, i, coarse, idx.coarseOf(expect), dim)) < 1e-5
                                        || Math.abs(dot(unseen, i, c, g, dim) - dot(unseen, i, c, expect, dim)) < 1e-5
                                        : dot(unseen, i, c, expect, dim) - dot(unseen, i, c, g, dim) < 1e-5,
                                cfg + ": unseen " + i + " got " + g + ", brute force " + expect);
                    }
                    assertEquals(dot(unseen, i, c, g, dim), gotScore.get(i), 1e-5);
                    // Single assignment gives the same as the batch; a scaled copy picks the same interest.
                    float[] one = java.util.Arrays.copyOfRange(unseen, i * dim, (i + 1) * dim);
                    assertEquals(g, m.assign(backend, one));
                    for (int d = 0; d < dim; d++) one[d] *= 3.5f;
                    assertEquals(g, m.assign(backend, one));
                }
                // Items seen in training assign to their own table entry.
                for (int i = 0; i < n; i += 7) {
                    assertEquals(m.interestOf(i), m.assign(backend, java.util.Arrays.copyOfRange(train, i * dim, (i + 1) * dim)));
                }
            }
            InterestModel m = InterestModel.build(emb, n, dim, null, new InterestConfig(base, 5), backend, scope);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.assign(backend, new float[dim + 1]));
            assertTrue(e.getMessage().contains("dim"), e.getMessage());
        }
    }

    @Test
    void fromCentroidsRebuildsTheSameModel() {
        long seed = TestData.seed("InterestModelTest.fromCentroids");
        Random r = new Random(seed);
        int n = 2500, dim = 9;
        float[] x = ClusterFixtures.hierarchicalMixture(r, n, dim, 5, 6, 0.3, 0.2);
        boolean[] present = new boolean[n];
        for (int i = 0; i < n; i++) present[i] = i % 11 != 3;
        try (MemoryScope scope = MemoryScope.root("interest-from-centroids")) {
            F32Array emb = scope.copyOf(x);
            for (int threshold : new int[] {1000, 10}) {
                KMeansConfig cfg = KMeansConfig.of(30).withSeed(seed).withTwoLevelThreshold(threshold);
                InterestModel a = InterestModel.build(emb, n, dim, present, new InterestConfig(cfg, 4), backend, scope);
                InterestModel b = InterestModel.fromCentroids(a.index(), false, emb, n, present, 4, backend, scope);
                assertArrayEquals(a.itemInterest().toArray(), b.itemInterest().toArray());
                assertEquals(a.objective(), b.objective(), 1e-9 * a.objective());
                for (int k = 0; k < a.numInterests(); k++) assertArrayEquals(a.typicalItems(k), b.typicalItems(k));
                assertEquals(null, b.clustering());
                assertEquals(a.clustering().k(), a.numInterests());
            }
        }
    }

    @Test
    void nearestCentroidsRejectsInconsistentLevels() {
        F32Array c = F32Array.wrap(new float[] {1, 0, 0, 1, -1, 0});
        assertThrows(IllegalArgumentException.class, () -> NearestCentroids.twoLevel(c, 2, c, new int[] {0, 3}, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NearestCentroids.twoLevel(c, 2, c, new int[] {0, 0, 3}, 2));
        assertTrue(e.getMessage().contains("coarse cluster 0 owns no fine centroid"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NearestCentroids.twoLevel(c, 2, c, new int[] {0, 2, 4}, 2));
        assertThrows(IllegalArgumentException.class, () -> NearestCentroids.flat(c, 4, 2));
        NearestCentroids t = NearestCentroids.twoLevel(c, 2, c, new int[] {0, 1, 3}, 2);
        assertEquals(0, t.coarseOf(0));
        assertEquals(1, t.coarseOf(1));
        assertEquals(1, t.coarseOf(2));
        assertThrows(IndexOutOfBoundsException.class, () -> t.coarseOf(3));
    }

    /**
     * MovieLens 100K: item embeddings from the real ratings (each item's set of raters, randomly projected to 32
     * dimensions and normalised; items with fewer than 5 ratings have none). The clustering must match a
     * brute-force Lloyd from the same seeds within 2 %, and the model's invariants must hold on real data.
     */
    @Test
    void movieLensItemsClusterLikeBruteForceLloyd() throws IOException {
        Path dir = TestData.dataset("movielens-100k");
        long seed = TestData.seed("InterestModelTest.movieLens");
        int users = 943, items = 1682, dim = 32;
        Random r = new Random(seed);
        float[] proj = new float[users * dim];
        for (int i = 0; i < proj.length; i++) proj[i] = (float) r.nextGaussian();
        double[] acc = new double[items * dim];
        int[] ratings = new int[items];
        int line = 0;
        try (BufferedReader in = Files.newBufferedReader(dir.resolve("u.data"), StandardCharsets.US_ASCII)) {
            for (String s; (s = in.readLine()) != null; ) {
                line++;
                String[] f = s.split("\t");
                assertEquals(4, f.length, "u.data line " + line);
                int u = Integer.parseInt(f[0]) - 1, it = Integer.parseInt(f[1]) - 1;
                ratings[it]++;
                for (int d = 0; d < dim; d++) acc[it * dim + d] += proj[u * dim + d];
            }
        }
        assertEquals(100_000, line);
        String[] titles = new String[items];
        try (BufferedReader in = Files.newBufferedReader(dir.resolve("u.item"), StandardCharsets.ISO_8859_1)) {
            for (String s; (s = in.readLine()) != null; ) {
                String[] f = s.split("\\|", -1);
                titles[Integer.parseInt(f[0]) - 1] = f[1];
            }
        }
        boolean[] present = new boolean[items];
        float[] x = new float[items * dim];
        for (int i = 0; i < items; i++) {
            present[i] = ratings[i] >= 5;
            if (!present[i]) continue;
            double ss = 0;
            for (int d = 0; d < dim; d++) ss += acc[i * dim + d] * acc[i * dim + d];
            for (int d = 0; d < dim; d++) x[i * dim + d] = (float) (acc[i * dim + d] / Math.sqrt(ss));
        }
        int k = 64;
        KMeansConfig cfg = KMeansConfig.of(k).withSeed(seed);
        try (MemoryScope scope = MemoryScope.root("interest-movielens")) {
            F32Array emb = scope.copyOf(x);
            InterestModel m = InterestModel.build(emb, items, dim, present, new InterestConfig(cfg, 5), backend, scope);
            assertEquals(k, m.numInterests());
            checkTypicalItems(m, x, items, dim, 5);
            float[] seeds = SphericalKMeans.seeds(emb, items, dim, present, cfg, backend, scope).toArray();
            double ref = ClusterFixtures.objective(x, items, dim, present, ClusterFixtures.lloyd(x, items, dim, present, seeds, k), k);
            double ours = ClusterFixtures.objective(x, items, dim, present, toDouble(m.centroids().toArray()), k);
            assertEquals(ours, m.objective(), 1e-4 * ours);
            assertTrue(Math.abs(ours - ref) <= 0.02 * ref, "MovieLens objective " + ours + " vs brute-force Lloyd " + ref);
            System.out.println("[movielens-100k] " + m);
            for (int interest = 0; interest < 3; interest++) {
                StringBuilder sb = new StringBuilder("[movielens-100k] interest " + interest + " (" + m.interestSize(interest) + " items):");
                for (int item : m.typicalItems(interest)) sb.append(" | ").append(titles[item]);
                System.out.println(sb);
            }
        }
    }
}
