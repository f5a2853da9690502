package org.lurm.cuda.smen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.smen.SmenBatch;
import org.lurm.testing.SmenCase;
import org.lurm.smen.ops.RowInterestIndex;
import org.lurm.testing.TestData;

/** Host-side batch preparation (no GPU): the interest segments and the checks that keep bad input off the device. */
class BatchesTest {
    @Test
    void segmentsAreAStableSortByInterestLikeTheCpuIndex() {
        SplittableRandom r = new SplittableRandom(TestData.seed("segmentsAreAStableSort"));
        for (int trial = 0; trial < 40; trial++) {
            SmenCase c = trial % 2 == 0 ? SmenCase.random(r) : SmenBackends.wide(r);
            // Both sort paths: K small against nnz (counting) and K huge (key sort).
            for (int k : new int[] {c.numInterests(), c.numInterests() + 10_000_000}) {
                SmenBatch b = c.viewB();
                Batches.Segments s = Batches.segments(b, k);
                assertArrayEquals(RowInterestIndex.of(b, k).interests(), s.interests(), "distinct interests, ascending");
                int[] seen = new int[b.nnz()];
                for (int u = 0; u < s.count(); u++) {
                    assertTrue(s.segStart()[u] < s.segStart()[u + 1], "segments are non-empty");
                    for (int q = s.segStart()[u]; q < s.segStart()[u + 1]; q++) {
                        int j = s.perm()[q];
                        assertEquals(s.interests()[u], b.cols()[j], "non-zero " + j + " in the segment of its interest");
                        if (q > s.segStart()[u]) assertTrue(s.perm()[q - 1] < j, "ascending positions within an interest (stable)");
                        seen[j]++;
                    }
                }
                int[] ones = new int[b.nnz()];
                Arrays.fill(ones, 1);
                assertArrayEquals(ones, seen, "a permutation of the non-zeros");
            }
        }
    }

    @Test
    void badBatchesAreRejectedWithRowAndNonZero() {
        SmenCase c = SmenCase.random(new SplittableRandom(TestData.seed("badBatchesAreRejected")));
        SmenBatch b = c.viewB();
        int k = c.numInterests(), r = c.config().recencyBuckets(), s = c.scales();
        Batches.validate(b, k, r, s);
        int[] cols = b.cols().clone();
        cols[b.nnz() - 1] = k;
        SmenBatch badCol = new SmenBatch(b.users(), s, b.rows(), b.rowPtr(), cols, b.vals(), b.rowBucket(), b.groupStart());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Batches.validate(badCol, k, r, s));
        assertTrue(e.getMessage().contains("non-zero " + (b.nnz() - 1)) && e.getMessage().contains("outside [0, " + k + ")"), e.getMessage());
        float[] vals = b.vals().clone();
        vals[0] = Float.NaN;
        SmenBatch badVal = new SmenBatch(b.users(), s, b.rows(), b.rowPtr(), b.cols(), vals, b.rowBucket(), b.groupStart());
        e = assertThrows(IllegalArgumentException.class, () -> Batches.validate(badVal, k, r, s));
        assertTrue(e.getMessage().contains("batch row 0, non-zero 0"), e.getMessage());
        int[] bucket = b.rowBucket().clone();
        bucket[0] = r;
        SmenBatch badBucket = new SmenBatch(b.users(), s, b.rows(), b.rowPtr(), b.cols(), b.vals(), bucket, b.groupStart());
        e = assertThrows(IllegalArgumentException.class, () -> Batches.validate(badBucket, k, r, s));
        assertTrue(e.getMessage().contains("recency bucket " + r), e.getMessage());
    }

    @Test
    void syntheticUsersAreValidAndReproducible() {
        SmenBatch a = SmenSynth.batch(10, 5, 3, 4, 50, 1000, 16, 99), b = SmenSynth.batch(10, 5, 3, 4, 50, 1000, 16, 99);
        Batches.validate(a, 1000, 16, 3);
        assertArrayEquals(a.cols(), b.cols());
        assertArrayEquals(a.vals(), b.vals());
        SmenBatch whole = SmenSynth.batch(0, 15, 3, 4, 50, 1000, 16, 99);
        int off = 10 * 3 * 4 * 50;
        assertArrayEquals(Arrays.copyOfRange(whole.cols(), off, whole.nnz()), a.cols(), "users 10..15 of a bigger batch are the same users");
        for (float w : a.vals()) assertTrue(w > 0.1f && w <= 2.0001f, "weight " + w);
    }
}
