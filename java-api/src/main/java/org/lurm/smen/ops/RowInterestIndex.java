package org.lurm.smen.ops;

import java.util.Arrays;
import org.lurm.smen.SmenBatch;

/**
 * The distinct interests a batch touches, ascending, with how many non-zeros each has: the rows of V that get a
 * gradient (for row-sparse Adam), and the weights the anchor-attention backward uses to split the interest ids
 * into ranges of equal work, one range owned by each thread.
 *
 * <p>Built in O(nnz + K) by counting when K is at most a few times nnz, else by sorting a copy of the interest
 * column in O(nnz log nnz), so a small batch over a huge interest table does not pay for K. Both give the same
 * index.
 *
 * <p>Immutable after construction and thread-safe to read. Heap arrays owned by this object; {@link #interests()}
 * returns its array without copying (callers must not modify it while the index is in use; the backward hands
 * it to its caller once it is done with the index).
 */
public final class RowInterestIndex {
    private final int[] interests;
    private final int[] start;

    private RowInterestIndex(int[] interests, int[] start) {
        this.interests = interests;
        this.start = start;
    }

    /**
     * Index of a batch's non-zeros over {@code numInterests} interests.
     *
     * @throws IllegalArgumentException naming the row and non-zero when an interest lies outside [0, numInterests)
     *                                  or the row offsets are not non-decreasing from 0
     */
    public static RowInterestIndex of(SmenBatch batch, int numInterests) {
        return numInterests <= 4L * batch.nnz() + 4096 ? counting(batch, numInterests) : sorted(batch, numInterests);
    }

    static RowInterestIndex counting(SmenBatch batch, int numInterests) {
        check(batch, numInterests);
        int nnz = batch.nnz();
        int[] cols = batch.cols();
        int[] count = new int[numInterests];
        for (int j = 0; j < nnz; j++) count[cols[j]]++;
        int n = 0;
        for (int k = 0; k < numInterests; k++) if (count[k] != 0) n++;
        int[] interests = new int[n];
        int[] start = new int[n + 1];
        int u = 0;
        for (int k = 0; k < numInterests; k++) {
            if (count[k] == 0) continue;
            interests[u] = k;
            start[u + 1] = start[u] + count[k];
            u++;
        }
        return new RowInterestIndex(interests, start);
    }

    static RowInterestIndex sorted(SmenBatch batch, int numInterests) {
        check(batch, numInterests);
        int nnz = batch.nnz();
        int[] keys = Arrays.copyOf(batch.cols(), nnz);
        Arrays.sort(keys);
        int n = 0;
        for (int q = 0; q < nnz; q++) if (q == 0 || keys[q] != keys[q - 1]) n++;
        int[] interests = new int[n];
        int[] start = new int[n + 1];
        int u = 0;
        for (int q = 0; q < nnz; q++) {
            if (q == 0 || keys[q] != keys[q - 1]) {
                interests[u] = keys[q];
                start[u++] = q;
            }
        }
        start[n] = nnz;
        return new RowInterestIndex(interests, start);
    }

    private static void check(SmenBatch batch, int numInterests) {
        if (numInterests < 1) throw new IllegalArgumentException("numInterests must be >= 1, got " + numInterests);
        int[] rowPtr = batch.rowPtr(), cols = batch.cols();
        if (rowPtr[0] != 0) throw new IllegalArgumentException("batch rowPtr[0] must be 0, got " + rowPtr[0]);
        for (int t = 0; t < batch.rows(); t++) {
            int from = rowPtr[t], to = rowPtr[t + 1];
            if (to < from) throw new IllegalArgumentException("batch rowPtr decreases at row " + t + ": " + from + " > " + to);
            for (int j = from; j < to; j++) {
                int k = cols[j];
                if (k < 0 || k >= numInterests) {
                    throw new IllegalArgumentException("batch row " + t + ", non-zero " + j + ": interest " + k + " outside [0, " + numInterests + ")");
                }
            }
        }
    }

    /** Number of distinct interests the batch touches. */
    public int count() {
        return interests.length;
    }

    /** The distinct interests, ascending (not copied). */
    public int[] interests() {
        return interests;
    }

    /** Non-zeros of the batch whose interest is {@code interests()[u]}. */
    public int occurrences(int u) {
        return start[u + 1] - start[u];
    }

    /**
     * Splits the interest ids into at most {@code parts} contiguous ranges with about equal numbers of non-zeros
     * (an interest is never split): range p is [bounds[p], bounds[p+1]), the first starts at 0 and the last ends
     * at Integer.MAX_VALUE.
     */
    public int[] split(int parts) {
        if (parts < 1) throw new IllegalArgumentException("parts must be >= 1, got " + parts);
        int n = interests.length, total = start[n];
        int[] bounds = new int[Math.max(1, Math.min(parts, n)) + 1];
        int p = 1, u = 0;
        for (; p < bounds.length - 1; p++) {
            long goal = (long) total * p / (bounds.length - 1);
            while (u < n && start[u] < goal) u++;
            bounds[p] = u < n ? interests[u] : Integer.MAX_VALUE;
        }
        bounds[bounds.length - 1] = Integer.MAX_VALUE;
        // Equal bounds (one huge interest) leave empty ranges; harmless.
        for (int q = 1; q < bounds.length; q++) bounds[q] = Math.max(bounds[q], bounds[q - 1]);
        return bounds;
    }
}
