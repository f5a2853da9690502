package org.lurm.smen.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.lurm.smen.SmenBatch;
import org.lurm.testing.TestData;

class RowInterestIndexTest {
    @Test
    void countingAndSortingBothGroupEveryOccurrenceInOrder() {
        SplittableRandom r = new SplittableRandom(TestData.seed("row-interest-index"));
        for (int rep = 0; rep < 20; rep++) {
            int k = 1 + r.nextInt(rep < 10 ? 20 : 5000);
            SmenBatch b = RowTestCases.batch(r, 2 + r.nextInt(6), 1 + r.nextInt(2), k, 8, r.nextBoolean());
            // Brute force: interest -> its positions in ascending order.
            TreeMap<Integer, List<Integer>> expect = new TreeMap<>();
            for (int j = 0; j < b.nnz(); j++) expect.computeIfAbsent(b.cols()[j], x -> new ArrayList<>()).add(j);
            for (RowInterestIndex idx : new RowInterestIndex[]{RowInterestIndex.counting(b, k), RowInterestIndex.sorted(b, k), RowInterestIndex.of(b, k)}) {
                assertEquals(expect.size(), idx.count());
                int u = 0;
                for (Map.Entry<Integer, List<Integer>> e : expect.entrySet()) {
                    assertEquals(e.getKey(), idx.interests()[u]);
                    int[] occ = java.util.Arrays.copyOfRange(idx.occurrences(), idx.start()[u], idx.start()[u + 1]);
                    assertArrayEquals(e.getValue().stream().mapToInt(Integer::intValue).toArray(), occ);
                    u++;
                }
                for (int t = 0; t < b.rows(); t++) {
                    for (int j = b.rowPtr()[t]; j < b.rowPtr()[t + 1]; j++) assertEquals(t, idx.rowOf()[j]);
                }
            }
        }
    }

    @Test
    void interestsOutsideTheTableAreNamed() {
        SmenBatch b = new SmenBatch(1, 1, 2, new int[]{0, 1, 2}, new int[]{3, 9}, new float[]{1, 1}, new int[2], new int[]{0, 2});
        AnchorAttentionTest.assertMessage(() -> RowInterestIndex.of(b, 9), "row 1, non-zero 1: interest 9 outside [0, 9)");
        AnchorAttentionTest.assertMessage(() -> RowInterestIndex.sorted(b, 9), "interest 9 outside");
    }
}
