package org.lurm.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.lurm.backend.Backend;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.events.IdDictionary;
import org.lurm.linalg.CsrMatrix;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

class CooccurrenceEmbedderTest {
    private static final long L = 30 * 86_400L;

    /** Baskets, pair counts and PPMI equal a brute-force dense computation on random events. */
    @Test
    void ppmiEqualsBruteForce() {
        long seed = TestData.seed("CooccurrenceEmbedderTest.ppmiEqualsBruteForce");
        Random rnd = new Random(seed);
        for (double alpha : new double[] {1.0, 0.75, 0.4}) {
            int nUsers = 20 + rnd.nextInt(30), nItems = 15 + rnd.nextInt(20), nEvents = 300 + rnd.nextInt(300);
            long origin = rnd.nextInt(1_000_000) - 500_000;
            IdDictionary items = new IdDictionary();
            for (int i = 0; i < nItems + 3; i++) items.add("item" + i); // 3 items never touched
            EventTableBuilder b = new EventTableBuilder(new IdDictionary(), items, EventTableBuilder.defaultTypes());
            for (int e = 0; e < nEvents; e++) {
                long t = origin + (long) (rnd.nextInt(8) - 3) * L + rnd.nextInt((int) L); // some periods before the origin
                b.add("user" + rnd.nextInt(nUsers), "item" + rnd.nextInt(nItems), t, rnd.nextInt(10) == 0 ? 0f : 0.5f + rnd.nextFloat());
            }
            try (MemoryScope scope = MemoryScope.root("test"); Backend be = EmbedTestSupport.backend(2)) {
                EventTable ev = b.build(scope);
                int n = items.size();
                CooccurrenceEmbedder.Options o = CooccurrenceEmbedder.Options.defaults().withPeriod(L, origin).withContextSmoothing(alpha);
                CooccurrenceEmbedder.Counts counts = CooccurrenceEmbedder.countPairs(ev, n, o, be, scope);
                CsrMatrix ppmi = CooccurrenceEmbedder.ppmi(counts.matrix(), alpha, be, scope);

                // Brute force: baskets as sets keyed by (user, period), dense counts, dense PPMI.
                Map<String, TreeSet<Integer>> baskets = new HashMap<>();
                long zeroWeight = 0;
                for (long e = 0; e < ev.size(); e++) {
                    if (ev.weight(e) == 0f) {
                        zeroWeight++;
                        continue;
                    }
                    long period = Math.floorDiv(ev.timestamp(e) - origin, L);
                    baskets.computeIfAbsent(ev.user(e) + "/" + period, k -> new TreeSet<>()).add(ev.item(e));
                }
                double[][] c = new double[n][n];
                for (TreeSet<Integer> s : baskets.values()) for (int i : s) for (int j : s) if (i != j) c[i][j]++;
                double[] row = new double[n], col = new double[n];
                for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
                    row[i] += c[i][j];
                    col[j] += c[i][j];
                }
                double z = 0;
                for (int j = 0; j < n; j++) z += Math.pow(col[j], alpha);
                assertEquals(baskets.size(), counts.stats().baskets());
                assertEquals(zeroWeight, counts.stats().zeroWeightEvents());
                assertEquals(0, counts.stats().truncatedBaskets());
                for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
                    assertEquals(c[i][j], counts.matrix().get(i, j), 0.0, "count (" + i + ", " + j + ")");
                    double pmi = c[i][j] > 0 ? Math.log(c[i][j] * z / (row[i] * Math.pow(col[j], alpha))) : 0;
                    double expected = pmi > 0 ? pmi : 0;
                    assertEquals(expected, ppmi.get(i, j), 1e-5 * Math.max(1, expected), "PPMI (" + i + ", " + j + "), alpha " + alpha);
                }
                assertSortedPositive(ppmi);
            }
        }
    }

    /**
     * With a cap on the matrix's entries an item with more than k partners keeps exactly its k most frequent among
     * those of positive PMI (then column ascending), or all of those; every item keeps its total over all pairs,
     * and each kept pair the PMI the uncapped matrix gives it.
     */
    @Test
    void pairCapKeepsEachItemsStrongestPartnersAndTheirPmi() {
        long seed = TestData.seed("CooccurrenceEmbedderTest.pairCap");
        Random rnd = new Random(seed);
        int nItems = 60, nUsers = 50, k = 5;
        IdDictionary items = new IdDictionary();
        EventTableBuilder b = new EventTableBuilder(new IdDictionary(), items, EventTableBuilder.defaultTypes());
        for (int u = 0; u < nUsers; u++) {
            for (int e = 0; e < 80; e++) {
                int item = rnd.nextInt(3) == 0 ? rnd.nextInt(nItems) : (u % 6) * 10 + rnd.nextInt(10);
                b.add("u" + u, "i" + item, (long) rnd.nextInt(6) * L + rnd.nextInt((int) L), 1f);
            }
        }
        try (MemoryScope scope = MemoryScope.root("test"); Backend be = EmbedTestSupport.backend(2);
             org.lurm.backend.cpu.Parallel par = new org.lurm.backend.cpu.Parallel(2)) {
            EventTable ev = b.build(scope);
            int n = items.size();
            CooccurrenceEmbedder.Options o = CooccurrenceEmbedder.Options.defaults().withPeriod(L, 0).withSeed(seed);
            CooccurrenceEmbedder.Counts full = CooccurrenceEmbedder.countPairs(ev, n, o, be, scope);
            CooccurrenceEmbedder.Counts none = CooccurrenceEmbedder.countPairs(ev, n, o.withMaxNonZeros(0), be, scope);
            CooccurrenceEmbedder.Counts cut = CooccurrenceEmbedder.countPairs(ev, n, o.withMaxNonZeros((long) n * k), be, scope);
            assertArrayEquals(full.matrix().values().toArray(), none.matrix().values().toArray(), "the default cap leaves small data whole");
            assertEquals(0, full.stats().prunedEntries());
            assertEquals(Integer.MAX_VALUE, full.stats().maxPartners());
            assertEquals(k, cut.stats().maxPartners());
            assertEquals(full.stats().distinctPairs(), cut.stats().distinctPairs(), "distinct pairs are counted before the cut");
            assertEquals(full.matrix().nnz() - cut.matrix().nnz(), cut.stats().prunedEntries());
            assertTrue(cut.stats().prunedEntries() > 0, "the test must cut something");
            assertArrayEquals(full.itemTotals(), cut.itemTotals(), "totals count every pair, kept or not");
            CsrMatrix ppmiFull = CooccurrenceEmbedder.ppmi(full.matrix(), null, o.contextSmoothing(), par, scope);
            CsrMatrix ppmiCut = CooccurrenceEmbedder.ppmi(cut.matrix(), cut.itemTotals(), o.contextSmoothing(), par, scope);
            for (int i = 0; i < n; i++) {
                double total = 0;
                java.util.List<int[]> partners = new java.util.ArrayList<>(); // {column, count}
                for (int j = 0; j < n; j++) {
                    int c = (int) full.matrix().get(i, j);
                    total += c;
                    if (c > 0) partners.add(new int[] {j, c});
                }
                assertEquals(total, full.itemTotals()[i], 0.0, "total of item " + i);
                TreeSet<Integer> expected = new TreeSet<>();
                if (partners.size() <= k) {
                    for (int[] x : partners) expected.add(x[0]);
                } else {
                    // Brute force: the partners of positive PMI (c(i,j) * c(j)^-alpha above c(i) / Z), most frequent
                    // first, then lower column.
                    double[] tot = full.itemTotals();
                    double z = 0;
                    for (double x : tot) if (x > 0) z += Math.pow(x, o.contextSmoothing());
                    double floor = tot[i] / z;
                    java.util.List<double[]> positive = new java.util.ArrayList<>(); // {column, score}
                    for (int[] x : partners) {
                        double sc = x[1] * Math.pow(tot[x[0]], -o.contextSmoothing());
                        if (sc > floor) positive.add(new double[] {x[0], x[1]});
                    }
                    positive.sort((x, y) -> x[1] != y[1] ? Double.compare(y[1], x[1]) : Double.compare(x[0], y[0]));
                    for (int q = 0; q < Math.min(k, positive.size()); q++) expected.add((int) positive.get(q)[0]);
                    for (int j : expected) assertTrue(ppmiFull.get(i, j) > 0, "a kept pair has a positive PMI in the whole matrix: (" + i + ", " + j + ")");
                }
                TreeSet<Integer> kept = new TreeSet<>();
                for (long p = cut.matrix().rowPtr().get(i); p < cut.matrix().rowPtr().get(i + 1); p++) {
                    int j = cut.matrix().colIndex().get(p);
                    assertTrue(kept.isEmpty() || j > kept.last(), "columns ascending in row " + i);
                    kept.add(j);
                    assertEquals(full.matrix().get(i, j), cut.matrix().values().get(p), 0f, "count (" + i + ", " + j + ")");
                }
                assertEquals(expected, kept, "the kept partners of item " + i);
                for (long p = ppmiCut.rowPtr().get(i); p < ppmiCut.rowPtr().get(i + 1); p++) {
                    int j = ppmiCut.colIndex().get(p);
                    assertEquals(ppmiFull.get(i, j), ppmiCut.values().get(p), 0f, "PMI of the kept pair (" + i + ", " + j + ")");
                }
                for (int j : kept) if (ppmiFull.get(i, j) > 0) assertTrue(ppmiCut.get(i, j) > 0, "a kept positive PMI stays: (" + i + ", " + j + ")");
            }
            // The embedding runs on the cut (asymmetric) matrix through the transposed product.
            ItemEmbeddings e = new CooccurrenceEmbedder(o.withMaxNonZeros((long) n * k).withDim(8)).embed(EmbeddingInput.of(ev), be, scope);
            assertEquals(cut.stats().prunedEntries(), e.counters().get("prunedEntries"));
            assertTrue(e.presentCount() > n / 2, "items still embedded: " + e.presentCount());
        }
    }

    /** Quickselect agrees with a sort, on arrays with many equal values and on distinct ones. */
    @Test
    void kthLargestAgreesWithASort() {
        Random rnd = new Random(TestData.seed("CooccurrenceEmbedderTest.kthLargest"));
        for (int trial = 0; trial < 2000; trial++) {
            int n = 1 + rnd.nextInt(300), k = 1 + rnd.nextInt(n);
            double[] a = new double[n];
            for (int q = 0; q < n; q++) a[q] = trial % 2 == 0 ? rnd.nextInt(4) : rnd.nextDouble();
            double[] sorted = a.clone();
            java.util.Arrays.sort(sorted);
            assertEquals(sorted[n - k], CooccurrenceEmbedder.kthLargest(a, n, k), "trial " + trial + ": n " + n + ", k " + k);
        }
    }

    private static void assertSortedPositive(CsrMatrix m) {
        for (int i = 0; i < m.rows(); i++) {
            int prev = -1;
            for (long p = m.rowPtr().get(i); p < m.rowPtr().get(i + 1); p++) {
                assertTrue(m.colIndex().get(p) > prev, "columns ascending in row " + i);
                prev = m.colIndex().get(p);
                assertTrue(m.values().get(p) > 0f, "only positive PMI stored");
            }
        }
    }

    /** Baskets above the cap keep exactly cap items, a uniform deterministic sample; smaller baskets are untouched. */
    @Test
    void basketCapSamplesDeterministically() {
        long seed = TestData.seed("CooccurrenceEmbedderTest.basketCapSamplesDeterministically");
        Random rnd = new Random(seed);
        int cap = 4, big = 10, users = 300;
        IdDictionary items = new IdDictionary();
        EventTableBuilder b = new EventTableBuilder(new IdDictionary(), items, EventTableBuilder.defaultTypes());
        for (int u = 0; u < users; u++) {
            // One basket of items 0..9 per user (the same item twice: still one touch), and a small one of 10..12.
            for (int i = 0; i < big; i++) b.add("u" + u, "i" + i, 5 * L + rnd.nextInt(1000), 1f);
            b.add("u" + u, "i" + rnd.nextInt(big), 5 * L + 7, 1f);
            for (int i = big; i < big + 3; i++) b.add("u" + u, "i" + i, 9 * L + rnd.nextInt(1000), 1f);
        }
        try (MemoryScope scope = MemoryScope.root("test"); Backend be = EmbedTestSupport.backend(2)) {
            EventTable ev = b.build(scope);
            CooccurrenceEmbedder.Options o = CooccurrenceEmbedder.Options.defaults().withMaxBasketSize(cap).withSeed(seed);
            CooccurrenceEmbedder.Counts c1 = CooccurrenceEmbedder.countPairs(ev, items.size(), o, be, scope);
            CooccurrenceEmbedder.Counts c2 = CooccurrenceEmbedder.countPairs(ev, items.size(), o, EmbedTestSupport.backend(1), scope);
            CooccurrenceEmbedder.Counts c3 = CooccurrenceEmbedder.countPairs(ev, items.size(), o.withSeed(seed + 1), be, scope);
            assertEquals(2L * users, c1.stats().baskets());
            assertEquals(users, c1.stats().truncatedBaskets());
            assertEquals((long) users * (big - cap), c1.stats().droppedTouches());
            assertArrayEquals(c1.matrix().values().toArray(), c2.matrix().values().toArray(), "same seed, other thread count");
            assertArrayEquals(c1.matrix().colIndex().toArray(), c2.matrix().colIndex().toArray());
            assertFalse(java.util.Arrays.equals(c1.matrix().values().toArray(), c3.matrix().values().toArray()), "another seed samples other items");

            // Every capped basket adds cap-1 to the row sum of each of its cap items: total = users * cap * (cap-1).
            double total = 0;
            int iBig = items.indexOf("i0");
            for (int i = 0; i < big; i++) {
                int idx = items.indexOf("i" + i);
                double rowSum = 0;
                for (int j = 0; j < items.size(); j++) rowSum += c1.matrix().get(idx, j);
                total += rowSum;
                // Kept in about cap/big of the baskets: binomial(300, 0.4) has sd 8.5; 120 +- 50 is ~6 sd.
                double kept = rowSum / (cap - 1);
                assertEquals(kept, Math.rint(kept), 0.0);
                assertTrue(Math.abs(kept - users * (double) cap / big) < 50, "item " + i + " kept in " + kept + " baskets");
                for (int j = big; j < big + 3; j++) assertEquals(0f, c1.matrix().get(idx, items.indexOf("i" + j)), "no pair across baskets");
            }
            assertEquals((double) users * cap * (cap - 1), total, 0.0);
            assertTrue(iBig >= 0);
            // The small basket is counted in full.
            for (int i = big; i < big + 3; i++) for (int j = big; j < big + 3; j++) {
                if (i != j) assertEquals(users, c1.matrix().get(items.indexOf("i" + i), items.indexOf("i" + j)), 0f);
            }
        }
    }

    /** Planted groups: unit rows, absent items zero, items that co-occur more are closer. */
    @Test
    void plantedGroupsEmbedCloser() {
        long seed = TestData.seed("CooccurrenceEmbedderTest.plantedGroupsEmbedCloser");
        Random rnd = new Random(seed);
        int groups = 3, perGroup = 12;
        IdDictionary items = new IdDictionary();
        for (int i = 0; i < groups * perGroup; i++) items.add("g" + (i / perGroup) + "-" + i);
        items.add("never-touched");
        items.add("only-alone");
        EventTableBuilder b = new EventTableBuilder(new IdDictionary(), items, EventTableBuilder.defaultTypes());
        for (int u = 0; u < 240; u++) {
            int g = rnd.nextInt(groups);
            long t0 = (long) rnd.nextInt(20) * L + 1000;
            for (int k = 0; k < 5; k++) b.addIndexed(b.users().add("u" + u), g * perGroup + rnd.nextInt(perGroup), t0 + k, 1f, 0);
            if (rnd.nextInt(4) == 0) b.addIndexed(b.users().add("u" + u), rnd.nextInt(groups * perGroup), t0 + 9, 1f, 0);
        }
        b.add("lonely-user", "only-alone", 3 * L, 1f);
        try (MemoryScope scope = MemoryScope.root("test"); Backend be = EmbedTestSupport.bestCpu(2)) {
            EventTable ev = b.build(scope);
            CooccurrenceEmbedder emb = new CooccurrenceEmbedder(CooccurrenceEmbedder.Options.defaults().withDim(8).withSeed(seed));
            ItemEmbeddings e = emb.embed(EmbeddingInput.of(ev), be, scope);
            assertEquals(items.size(), e.numItems());
            assertEquals(8, e.dim());
            assertFalse(e.isPresent(items.indexOf("never-touched")));
            assertFalse(e.isPresent(items.indexOf("only-alone")));
            for (float x : e.vector(items.indexOf("only-alone"))) assertEquals(0f, x);
            assertUnitOrZero(e);
            assertEquals(groups * perGroup, e.presentCount());
            double within = 0, between = 0;
            int nw = 0, nb = 0;
            for (int i = 0; i < groups * perGroup; i++) for (int j = i + 1; j < groups * perGroup; j++) {
                double d = e.dot(i, j);
                if (i / perGroup == j / perGroup) {
                    within += d;
                    nw++;
                } else {
                    between += d;
                    nb++;
                }
            }
            within /= nw;
            between /= nb;
            System.out.printf("planted groups: mean cosine within %.3f, between %.3f%n", within, between);
            assertTrue(within > 0.6, "within-group cosine " + within);
            assertTrue(within - between > 0.5, "within " + within + " vs between " + between);
            assertTrue(e.counter("baskets") > 0 && e.counter("ppmiNonZeros") > 0);
        }
    }

    /** The whole embedder is bit-identical across runs and thread counts for a seed. */
    @Test
    void deterministicUnderSeed() {
        long seed = TestData.seed("CooccurrenceEmbedderTest.deterministicUnderSeed");
        Random rnd = new Random(seed);
        EventTableBuilder b = new EventTableBuilder();
        for (int e = 0; e < 3000; e++) b.add("u" + rnd.nextInt(200), "i" + rnd.nextInt(150), (long) rnd.nextInt(5) * L + rnd.nextInt(1000), 1f);
        try (MemoryScope scope = MemoryScope.root("test"); Backend one = EmbedTestSupport.bestCpu(1); Backend two = EmbedTestSupport.bestCpu(2)) {
            EventTable ev = b.build(scope);
            CooccurrenceEmbedder emb = new CooccurrenceEmbedder(CooccurrenceEmbedder.Options.defaults().withDim(16).withMaxBasketSize(12).withSeed(seed));
            ItemEmbeddings a = emb.embed(EmbeddingInput.of(ev), one, scope);
            ItemEmbeddings c = emb.embed(EmbeddingInput.of(ev), two, scope);
            assertArrayEquals(a.vectors().toArray(), c.vectors().toArray());
            assertEquals(a.presence(), c.presence());
            assertEquals(a.counters(), c.counters());
        }
    }

    @Test
    void rejectsMissingEventsAndBadOptions() {
        try (MemoryScope scope = MemoryScope.root("test"); Backend be = EmbedTestSupport.backend(1)) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> new CooccurrenceEmbedder().embed(EmbeddingInput.of(new IdDictionary()), be, scope));
            assertTrue(ex.getMessage().contains("events"), ex.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> CooccurrenceEmbedder.Options.defaults().withMaxBasketSize(1));
        assertThrows(IllegalArgumentException.class, () -> CooccurrenceEmbedder.Options.defaults().withContextSmoothing(0));
        assertThrows(IllegalArgumentException.class, () -> CooccurrenceEmbedder.Options.defaults().withDim(0));
    }

    /** Real data: on MovieLens-100k, movies that share a genre are closer than movies that share none. */
    @Test
    void movieLensSameGenreCloserThanRandom() throws Exception {
        Path dir = TestData.dataset("movielens-100k");
        EmbedTestSupport.MovieLens ml = EmbedTestSupport.movieLens100k(dir);
        try (MemoryScope scope = MemoryScope.root("test"); Backend be = EmbedTestSupport.bestCpu(2)) {
            EventTable ev = ml.events().build(scope);
            long t0 = System.nanoTime();
            ItemEmbeddings e = new CooccurrenceEmbedder().embed(EmbeddingInput.of(ev, ml.catalog()), be, scope);
            System.out.printf("movielens-100k co-occurrence embedding: %.2f s, %s %s%n", (System.nanoTime() - t0) / 1e9, e, e.counters());
            assertEquals(64, e.dim());
            assertUnitOrZero(e);
            int n = e.numItems();
            assertTrue(e.presentCount() > 0.9 * n, "present " + e.presentCount() + " of " + n);
            double shared = 0, none = 0;
            long ns = 0, nn = 0;
            int genres = ml.genreNames().size();
            int unknown = 1 << ml.genreNames().indexOf("unknown");
            double[] genreSum = new double[genres];
            long[] genreCount = new long[genres];
            int[] mask = ml.genreMask();
            float[] vi = new float[64], vj = new float[64];
            for (int i = 0; i < n; i++) {
                if (!e.isPresent(i)) continue;
                e.copyVector(i, vi, 0);
                for (int j = i + 1; j < n; j++) {
                    if (!e.isPresent(j)) continue;
                    e.copyVector(j, vj, 0);
                    double d = 0;
                    for (int k = 0; k < 64; k++) d += vi[k] * vj[k];
                    int common = mask[i] & mask[j] & ~unknown;
                    if (common == 0) {
                        none += d;
                        nn++;
                    } else {
                        shared += d;
                        ns++;
                        for (int g = 0; g < genres; g++) {
                            if ((common & (1 << g)) == 0) continue;
                            genreSum[g] += d;
                            genreCount[g]++;
                        }
                    }
                }
            }
            double all = (shared + none) / (ns + nn);
            shared /= ns;
            none /= nn;
            System.out.printf("movielens-100k co-occurrence: mean cosine sharing a genre %.4f (%d pairs), sharing none %.4f (%d pairs), all %.4f%n", shared, ns, none, nn, all);
            int better = 0, counted = 0;
            for (int g = 0; g < genres; g++) {
                if (genreCount[g] == 0) continue;
                double m = genreSum[g] / genreCount[g];
                System.out.printf("  %-12s within-genre %.4f over %d pairs%n", ml.genreNames().get(g), m, genreCount[g]);
                counted++;
                if (m > all) better++;
            }
            assertTrue(shared > none + 0.02, "sharing a genre " + shared + " vs none " + none);
            assertTrue(better >= counted - 2, better + " of " + counted + " genres are closer within than on average");
        }
    }

    static void assertUnitOrZero(ItemEmbeddings e) {
        float[] v = new float[e.dim()];
        for (int i = 0; i < e.numItems(); i++) {
            e.copyVector(i, v, 0);
            double ss = 0;
            for (float x : v) ss += (double) x * x;
            if (e.isPresent(i)) assertEquals(1.0, Math.sqrt(ss), 1e-5, "norm of present item " + i);
            else assertEquals(0.0, ss, 0.0, "absent item " + i + " must be zero");
        }
    }
}
