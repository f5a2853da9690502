package org.lurm.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

class ItemEmbeddingsTest {
    @Test
    void normalisesRowsAndMarksEmptyOnesAbsent() {
        long seed = TestData.seed("ItemEmbeddingsTest.normalisesRowsAndMarksEmptyOnesAbsent");
        Random rnd = new Random(seed);
        int n = 50, d = 9;
        try (MemoryScope scope = MemoryScope.root("test")) {
            F32Array v = scope.allocateF32((long) n * d);
            float[][] raw = new float[n][d];
            for (int i = 0; i < n; i++) {
                if (i % 5 == 0) continue; // zero row
                double scale = i % 5 == 1 ? 1e-9 : 1 + 100 * rnd.nextDouble(); // i % 5 == 1: below the relative floor
                for (int j = 0; j < d; j++) raw[i][j] = (float) (scale * rnd.nextGaussian());
                v.copyFrom(raw[i], 0, (long) i * d, d);
            }
            ItemEmbeddings e = ItemEmbeddings.normalizeInPlace(v, n, d, "t", Map.of());
            assertEquals(n - 2 * (n / 5), e.presentCount());
            assertEquals(n / 5, e.counter("rowsBelowNormFloor"));
            CooccurrenceEmbedderTest.assertUnitOrZero(e);
            for (int i = 0; i < n; i++) {
                if (!e.isPresent(i)) continue;
                double norm = 0;
                for (float x : raw[i]) norm += (double) x * x;
                norm = Math.sqrt(norm);
                for (int j = 0; j < d; j++) assertEquals(raw[i][j] / norm, e.vector(i)[j], 1e-6, "direction kept");
            }
            assertFalse(e.isPresent(0));
            assertEquals(0.0, e.dot(0, 2));
            assertTrue(e.dot(2, 2) > 0.99999);
            assertThrows(IndexOutOfBoundsException.class, () -> e.isPresent(n));

            F32Array bad = scope.allocateF32(2L * d);
            bad.set(d + 3, Float.NaN);
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ItemEmbeddings.normalizeInPlace(bad, 2, d, "t", Map.of()));
            assertTrue(ex.getMessage().contains("item 1"), ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ItemEmbeddings.normalizeInPlace(bad, 3, d, "t", Map.of()));
        }
    }
}
