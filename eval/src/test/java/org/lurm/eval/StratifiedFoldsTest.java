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

    /** Renumbering the strata (any one-to-one map of the values) changes nothing: the folds belong to the partition. */
    @Test
    void foldsDependOnlyOnThePartitionNotOnTheStratumValues() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("StratifiedFoldsTest.partition"));
        int changedBefore = 0;
        for (int rep = 0; rep < 50; rep++) {
            int k = 2 + rnd.nextInt(5), n = 4 * k + rnd.nextInt(400), classes = 2 + rnd.nextInt(8);
            int[] y = new int[n];
            for (int i = 0; i < n; i++) y[i] = rnd.nextInt(classes);
            // a random one-to-one renumbering, e.g. what another reader's class order or other class names give
            int[] perm = new int[classes];
            for (int c = 0; c < classes; c++) perm[c] = c;
            for (int c = classes - 1; c > 0; c--) {
                int j = rnd.nextInt(c + 1), t = perm[c];
                perm[c] = perm[j];
                perm[j] = t;
            }
            int[] renamed = new int[n];
            for (int i = 0; i < n; i++) renamed[i] = 3 * perm[y[i]] + 5;
            long seed = rnd.nextLong();
            int[] a = StratifiedFolds.of(y, k, seed).assignment();
            assertArrayEquals(a, StratifiedFolds.of(renamed, k, seed).assignment(), "renumbered strata, same folds (rep " + rep + ")");
            // and the folds are those of the first-appearance numbering (the canonical one), worked out here
            int[] canon = new int[n];
            java.util.Map<Integer, Integer> first = new java.util.HashMap<>();
            for (int i = 0; i < n; i++) canon[i] = first.computeIfAbsent(y[i], v -> first.size());
            assertArrayEquals(a, StratifiedFolds.of(canon, k, seed).assignment());
            if (!java.util.Arrays.equals(y, canon)) changedBefore++;
        }
        assertTrue(changedBefore > 0, "some draws are not already in first-appearance order");
    }
}
