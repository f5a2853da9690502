package org.lurm.smen.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.lurm.smen.SmenBatch;
import org.lurm.testing.TestData;

class RowInterestIndexTest {
    @Test
    void countingAndSortingBothGiveTheDistinctInterestsAndTheirCounts() {
        SplittableRandom r = new SplittableRandom(TestData.seed("row-interest-index"));
        for (int rep = 0; rep < 20; rep++) {
            int k = 1 + r.nextInt(rep < 10 ? 20 : 5000);
            SmenBatch b = RowTestCases.batch(r, 2 + r.nextInt(6), 1 + r.nextInt(2), k, 8, r.nextBoolean());
            TreeMap<Integer, Integer> expect = new TreeMap<>();
            for (int j = 0; j < b.nnz(); j++) expect.merge(b.cols()[j], 1, Integer::sum);
            for (RowInterestIndex idx : new RowInterestIndex[]{RowInterestIndex.counting(b, k), RowInterestIndex.sorted(b, k), RowInterestIndex.of(b, k)}) {
                assertEquals(expect.size(), idx.count());
                int u = 0;
                for (Map.Entry<Integer, Integer> e : expect.entrySet()) {
                    assertEquals(e.getKey(), idx.interests()[u]);
                    assertEquals(e.getValue(), idx.occurrences(u));
                    u++;
                }
                for (int parts = 1; parts <= 5; parts++) checkSplit(idx, b, parts);
            }
        }
    }

    /** Contiguous ranges covering every id, no interest split, and no range above twice its share plus one interest. */
    private static void checkSplit(RowInterestIndex idx, SmenBatch b, int parts) {
        int[] bounds = idx.split(parts);
        assertTrue(bounds.length >= 2 && bounds.length <= parts + 1, "at most " + parts + " ranges");
        assertEquals(0, bounds[0]);
        assertEquals(Integer.MAX_VALUE, bounds[bounds.length - 1]);
        int maxOne = 0;
        for (int u = 0; u < idx.count(); u++) maxOne = Math.max(maxOne, idx.occurrences(u));
        for (int p = 0; p + 1 < bounds.length; p++) {
            assertTrue(bounds[p] <= bounds[p + 1], "ranges are ordered");
            int work = 0;
            for (int j = 0; j < b.nnz(); j++) if (b.cols()[j] >= bounds[p] && b.cols()[j] < bounds[p + 1]) work++;
            assertTrue(work <= b.nnz() / (bounds.length - 1) + maxOne, "range " + p + " of " + parts + " holds " + work + " of " + b.nnz());
        }
    }

    @Test
    void interestsOutsideTheTableAreNamed() {
        SmenBatch b = new SmenBatch(1, 1, 2, new int[]{0, 1, 2}, new int[]{3, 9}, new float[]{1, 1}, new int[2], new int[]{0, 2});
        AnchorAttentionTest.assertMessage(() -> RowInterestIndex.of(b, 9), "row 1, non-zero 1: interest 9 outside [0, 9)");
        AnchorAttentionTest.assertMessage(() -> RowInterestIndex.sorted(b, 9), "interest 9 outside");
    }
}
