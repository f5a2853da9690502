package org.lurm.smen.ops;

import java.util.Arrays;
import org.lurm.smen.SmenBatch;

/**
 * The non-zeros of a batch grouped by interest: the sorted distinct interests the batch touches (the rows of V
 * that get a gradient, for row-sparse Adam) and, for each, its occurrences in ascending non-zero order. The
 * anchor-attention backward sums the V gradient of one interest over this fixed order, so each interest row is
 * owned by one thread and the result never depends on the thread count.
 *
 * <p>Built once per batch in O(nnz + K) (counting sort) when K is at most a few times nnz, else by sorting packed
 * (interest, position) keys in O(nnz log nnz), so a small batch over a huge interest table does not pay for K.
 * Both give the same index.
 *
 * <p>Immutable after construction and thread-safe to read. Heap arrays, owned by this object; the accessors
 * return them without copying, so callers must not modify them ({@link #interests()} excepted when the index is
 * no longer used, as {@link AnchorAttention#backward} does when it hands that array to its caller).
 */
public final class RowInterestIndex {
    private final int[] interests;
    private final int[] start;
    private final int[] occurrences;
    private final int[] rowOf;

    private RowInterestIndex(int[] interests, int[] start, int[] occurrences, int[] rowOf) {
        this.interests = interests;
        this.start = start;
        this.occurrences = occurrences;
        this.rowOf = rowOf;
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
        int nnz = batch.nnz();
        int[] cols = batch.cols();
        int[] rowOf = rows(batch, numInterests);
        int[] cursor = new int[numInterests];
        for (int j = 0; j < nnz; j++) cursor[cols[j]]++;
        int n = 0;
        for (int k = 0; k < numInterests; k++) if (cursor[k] != 0) n++;
        int[] interests = new int[n];
        int[] start = new int[n + 1];
        int u = 0, at = 0;
        for (int k = 0; k < numInterests; k++) {
            int c = cursor[k];
            if (c == 0) continue;
            interests[u] = k;
            start[u++] = at;
            cursor[k] = at;
            at += c;
        }
        start[n] = nnz;
        int[] occ = new int[nnz];
        // Positions in ascending j within each interest: the stable order the backward sums in.
        for (int j = 0; j < nnz; j++) occ[cursor[cols[j]]++] = j;
        return new RowInterestIndex(interests, start, occ, rowOf);
    }

    static RowInterestIndex sorted(SmenBatch batch, int numInterests) {
        int nnz = batch.nnz();
        int[] cols = batch.cols();
        int[] rowOf = rows(batch, numInterests);
        long[] keys = new long[nnz];
        for (int j = 0; j < nnz; j++) keys[j] = ((long) cols[j] << 32) | j;
        Arrays.sort(keys);
        int[] occ = new int[nnz];
        int n = 0;
        for (int q = 0; q < nnz; q++) {
            occ[q] = (int) keys[q];
            if (q == 0 || (keys[q] >>> 32) != (keys[q - 1] >>> 32)) n++;
        }
        int[] interests = new int[n];
        int[] start = new int[n + 1];
        int u = 0;
        for (int q = 0; q < nnz; q++) {
            int k = (int) (keys[q] >>> 32);
            if (q == 0 || k != interests[u - 1]) {
                interests[u] = k;
                start[u++] = q;
            }
        }
        start[n] = nnz;
        return new RowInterestIndex(interests, start, occ, rowOf);
    }

    /** Row of every non-zero; checks the offsets and the interest range on the way. */
    private static int[] rows(SmenBatch batch, int numInterests) {
        if (numInterests < 1) throw new IllegalArgumentException("numInterests must be >= 1, got " + numInterests);
        int[] rowPtr = batch.rowPtr(), cols = batch.cols();
        if (rowPtr[0] != 0) throw new IllegalArgumentException("batch rowPtr[0] must be 0, got " + rowPtr[0]);
        int[] rowOf = new int[batch.nnz()];
        for (int t = 0; t < batch.rows(); t++) {
            int from = rowPtr[t], to = rowPtr[t + 1];
            if (to < from) throw new IllegalArgumentException("batch rowPtr decreases at row " + t + ": " + from + " > " + to);
            for (int j = from; j < to; j++) {
                int k = cols[j];
                if (k < 0 || k >= numInterests) {
                    throw new IllegalArgumentException("batch row " + t + ", non-zero " + j + ": interest " + k + " outside [0, " + numInterests + ")");
                }
                rowOf[j] = t;
            }
        }
        return rowOf;
    }

    /** Number of distinct interests the batch touches. */
    public int count() {
        return interests.length;
    }

    /** The distinct interests, ascending (not copied). */
    public int[] interests() {
        return interests;
    }

    /** Occurrences of distinct interest u are {@code occurrences()[start()[u] .. start()[u+1])} (not copied). */
    public int[] start() {
        return start;
    }

    /** Non-zero positions grouped by interest, ascending within each interest (not copied). */
    public int[] occurrences() {
        return occurrences;
    }

    /** Batch row of every non-zero position (not copied). */
    public int[] rowOf() {
        return rowOf;
    }
}
