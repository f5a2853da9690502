package org.lurm.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.testing.TestData;

/** Stratified folds: a partition, each class spread floor/ceil over the folds, sizes within one, deterministic. */
class StratifiedFoldsTest {
    @Test
    void foldsPartitionAndStratify() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("StratifiedFoldsTest"));
        for (int rep = 0; rep < 50; rep++) {
            int k = 2 + rnd.nextInt(5), n = k + rnd.nextInt(400), classes = 1 + rnd.nextInt(8);
            int[] y = new int[n];
            for (int i = 0; i < n; i++) y[i] = (int) Math.floor(Math.pow(rnd.nextDouble(), 2) * classes); // unbalanced
            long seed = rnd.nextLong();
            StratifiedFolds f = StratifiedFolds.of(y, k, seed);
            assertArrayEquals(f.assignment(), StratifiedFolds.of(y, k, seed).assignment(), "same seed, same folds");
            int[] size = new int[k];
            int[][] per = new int[k][classes];
            int[] total = new int[classes];
            for (int i = 0; i < n; i++) {
                size[f.foldOf(i)]++;
                per[f.foldOf(i)][y[i]]++;
                total[y[i]]++;
            }
            int min = Integer.MAX_VALUE, max = 0;
            for (int s : size) {
                min = Math.min(min, s);
                max = Math.max(max, s);
            }
            assertTrue(max - min <= 1, "fold sizes differ by at most one");
            for (int c = 0; c < classes; c++) {
                for (int q = 0; q < k; q++) {
                    assertTrue(per[q][c] == total[c] / k || per[q][c] == (total[c] + k - 1) / k, "class " + c + " in fold " + q);
                }
            }
            for (int q = 0; q < k; q++) {
                int[] te = f.test(q), tr = f.train(q);
                assertEquals(n, te.length + tr.length);
                for (int i : te) assertEquals(q, f.foldOf(i));
                for (int i : tr) assertTrue(f.foldOf(i) != q);
            }
        }
    }
}
