package org.lurm.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lurm.backend.Backend;
import org.lurm.events.IdDictionary;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

class ConcatEmbedderTest {
    /** A test part: fixed random rows (absent where {@code absent[i]}), scaled arbitrarily before normalisation. */
    private record FixedEmbedder(String name, float[][] rows, boolean[] absent) implements ItemEmbedder {
        @Override
        public int dimension() {
            return rows[0].length;
        }

        @Override
        public ItemEmbeddings embed(EmbeddingInput input, Backend backend, MemoryScope scope) {
            int n = rows.length, d = dimension();
            F32Array v = scope.allocateF32((long) n * d);
            for (int i = 0; i < n; i++) if (!absent[i]) v.copyFrom(rows[i], 0, (long) i * d, d);
            return ItemEmbeddings.normalizeInPlace(v, n, d, name, new HashMap<>(java.util.Map.of("rows", (long) n)));
        }
    }

    private static FixedEmbedder part(Random rnd, String name, int n, int d, double absentRate) {
        float[][] rows = new float[n][d];
        boolean[] absent = new boolean[n];
        for (int i = 0; i < n; i++) {
            absent[i] = rnd.nextDouble() < absentRate;
            double scale = 0.01 + 10 * rnd.nextDouble();
            for (int j = 0; j < d; j++) rows[i][j] = (float) (scale * rnd.nextGaussian());
        }
        return new FixedEmbedder(name, rows, absent);
    }

    @Test
    void concatenationNormsAndCosines() {
        long seed = TestData.seed("ConcatEmbedderTest.concatenationNormsAndCosines");
        Random rnd = new Random(seed);
        int n = 80;
        IdDictionary items = new IdDictionary();
        for (int i = 0; i < n; i++) items.add("i" + i);
        FixedEmbedder a = part(rnd, "a", n, 3, 0.2), b = part(rnd, "b", n, 5, 0.3);
        for (double[] w : new double[][] {null, {1, 2}, {0.5, 0.1}}) {
            try (MemoryScope scope = MemoryScope.root("test"); Backend be = EmbedTestSupport.backend(1)) {
                ConcatEmbedder c = new ConcatEmbedder(List.of(a, b), w);
                assertEquals(8, c.dimension());
                assertEquals("concat(a+b)", c.name());
                ItemEmbeddings e = c.embed(EmbeddingInput.of(items), be, scope);
                ItemEmbeddings ea = a.embed(EmbeddingInput.of(items), be, scope), eb = b.embed(EmbeddingInput.of(items), be, scope);
                CooccurrenceEmbedderTest.assertUnitOrZero(e);
                double wa = w == null ? 1 : w[0], wb = w == null ? 1 : w[1];
                for (int i = 0; i < n; i++) {
                    assertEquals(ea.isPresent(i) || eb.isPresent(i), e.isPresent(i), "presence of " + i);
                    float[] v = e.vector(i);
                    if (ea.isPresent(i) && !eb.isPresent(i)) {
                        for (int k = 0; k < 3; k++) assertEquals(ea.vector(i)[k], v[k], 1e-6f);
                        for (int k = 3; k < 8; k++) assertEquals(0f, v[k]);
                    }
                    for (int j = 0; j < n; j++) {
                        if (!(ea.isPresent(i) && eb.isPresent(i) && ea.isPresent(j) && eb.isPresent(j))) continue;
                        double expected = (wa * wa * ea.dot(i, j) + wb * wb * eb.dot(i, j)) / (wa * wa + wb * wb);
                        assertEquals(expected, e.dot(i, j), 1e-5, "cosine of " + i + ", " + j);
                    }
                }
                assertEquals((long) n, e.counter("part0.a.rows"));
                assertEquals(ea.presentCount(), e.counter("part0.a.present"));
                ItemEmbeddings s = ConcatEmbedder.concatenate(List.of(ea, eb), w, scope);
                assertArrayEquals(e.vectors().toArray(), s.vectors().toArray());
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new ConcatEmbedder(List.of(a, b), new double[] {1, -1}));
        assertThrows(IllegalArgumentException.class, () -> new ConcatEmbedder(List.of(a, b), new double[] {0, 0}));
        assertThrows(IllegalArgumentException.class, () -> new ConcatEmbedder(List.of(a), new double[] {1, 1}));
        assertThrows(IllegalArgumentException.class, () -> new ConcatEmbedder(List.of()));
    }

    /** Real embedders side by side: text and co-occurrence on one input. */
    @Test
    void concatenatesRealEmbedders() {
        long seed = TestData.seed("ConcatEmbedderTest.concatenatesRealEmbedders");
        Random rnd = new Random(seed);
        org.lurm.events.EventTableBuilder b = new org.lurm.events.EventTableBuilder();
        org.lurm.events.ItemCatalog cat = new org.lurm.events.ItemCatalog(b.items());
        for (int i = 0; i < 60; i++) cat.put("m" + i, "title " + (i % 7) + " word" + (i % 5), List.of("c" + (i % 3)));
        for (int e = 0; e < 600; e++) b.add("u" + rnd.nextInt(50), "m" + rnd.nextInt(30), rnd.nextInt(1000), 1f);
        try (MemoryScope scope = MemoryScope.root("test"); Backend be = EmbedTestSupport.backend(2)) {
            org.lurm.events.EventTable ev = b.build(scope);
            ConcatEmbedder c = new ConcatEmbedder(List.of(new CooccurrenceEmbedder(CooccurrenceEmbedder.Options.defaults().withDim(8).withSeed(seed)),
                    new TextEmbedder(TextEmbedder.Options.defaults().withDim(6).withSeed(seed))));
            ItemEmbeddings e = c.embed(EmbeddingInput.of(ev, cat), be, scope);
            assertEquals(14, e.dim());
            assertEquals(60, e.presentCount(), "text covers the items no event mentions");
            CooccurrenceEmbedderTest.assertUnitOrZero(e);
            assertTrue(e.counter("part0.cooccurrence.baskets") > 0);
            // An item without events has zeros in the co-occurrence part.
            int unseen = cat.items().indexOf("m45");
            float[] v = e.vector(unseen);
            for (int k = 0; k < 8; k++) assertEquals(0f, v[k]);
            assertFalse(v[8] == 0 && v[9] == 0 && v[10] == 0);
        }
    }
}
