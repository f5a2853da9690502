package org.lurm.cuda.smen;

import java.util.Arrays;
import org.lurm.smen.SmenBatch;

/**
 * Host-side preparation of a {@link SmenBatch} for the SMEN kernels: the checks the kernels cannot afford (an
 * interest outside [0, K) would read outside V on the device, which poisons the CUDA context instead of throwing),
 * and the non-zeros sorted by interest that make the attention backward deterministic without atomics. Static
 * and thread-safe.
 */
final class Batches {
    private Batches() {
    }

    /** The non-zeros ordered by interest, stable (ascending position within an interest), as segments. */
    record Segments(int[] perm, int[] segStart, int[] interests) {
        int count() {
            return interests.length;
        }
    }

    /**
     * Throws {@link IllegalArgumentException} naming the row and non-zero for an empty row, decreasing offsets, an
     * interest outside [0, K), a weight that is not finite and &gt; 0, a recency bucket outside [0, R), or group
     * offsets that decrease.
     */
    static void validate(SmenBatch b, int numInterests, int buckets, int scales) {
        if (b.scales() != scales) throw new IllegalArgumentException("batch has " + b.scales() + " scales, the model " + scales);
        int[] rowPtr = b.rowPtr(), cols = b.cols(), bucket = b.rowBucket(), gs = b.groupStart();
        float[] vals = b.vals();
        if (rowPtr[0] != 0) throw new IllegalArgumentException("batch rowPtr[0] must be 0, got " + rowPtr[0]);
        for (int t = 0; t < b.rows(); t++) {
            int from = rowPtr[t], to = rowPtr[t + 1];
            if (to <= from) {
                throw new IllegalArgumentException("batch row " + t + " has " + (to < from ? "decreasing offsets " + from + " > " + to
                        : "no interests (empty rows must be dropped: softmax over no interests is undefined)"));
            }
            for (int j = from; j < to; j++) {
                if (cols[j] < 0 || cols[j] >= numInterests) {
                    throw new IllegalArgumentException("batch row " + t + ", non-zero " + j + ": interest " + cols[j] + " outside [0, " + numInterests + ")");
                }
                float w = vals[j];
                if (!(w > 0f) || w == Float.POSITIVE_INFINITY) {
                    throw new IllegalArgumentException("batch row " + t + ", non-zero " + j + " (interest " + cols[j] + "): weight " + w + " must be finite and > 0");
                }
            }
            if (bucket[t] < 0 || bucket[t] >= buckets) {
                throw new IllegalArgumentException("batch row " + t + ": recency bucket " + bucket[t] + " outside [0, " + buckets + ")");
            }
        }
        for (int g = 0; g < b.users() * b.scales(); g++) {
            if (gs[g + 1] < gs[g]) throw new IllegalArgumentException("batch groupStart decreases at group " + g + ": " + gs[g] + " > " + gs[g + 1]);
        }
    }

    /** Counting sort when K is at most a few times nnz, else a sort of (interest, position) keys; same result. */
    static Segments segments(SmenBatch b, int numInterests) {
        int nnz = b.nnz();
        int[] cols = b.cols();
        int[] perm = new int[nnz];
        if (numInterests <= 4L * nnz + 4096) {
            int[] start = new int[numInterests + 1];
            for (int j = 0; j < nnz; j++) start[cols[j] + 1]++;
            int distinct = 0;
            for (int k = 0; k < numInterests; k++) {
                if (start[k + 1] != 0) distinct++;
                start[k + 1] += start[k];
            }
            int[] next = Arrays.copyOf(start, numInterests);
            for (int j = 0; j < nnz; j++) perm[next[cols[j]]++] = j;
            int[] segStart = new int[distinct + 1];
            int[] interests = new int[distinct];
            int u = 0;
            for (int k = 0; k < numInterests; k++) {
                if (start[k + 1] == start[k]) continue;
                interests[u] = k;
                segStart[u] = start[k];
                u++;
            }
            segStart[distinct] = nnz;
            return new Segments(perm, segStart, interests);
        }
        long[] keys = new long[nnz];
        for (int j = 0; j < nnz; j++) keys[j] = ((long) cols[j] << 32) | j;
        Arrays.sort(keys);
        int distinct = 0;
        for (int q = 0; q < nnz; q++) {
            perm[q] = (int) keys[q];
            if (q == 0 || (keys[q] >>> 32) != (keys[q - 1] >>> 32)) distinct++;
        }
        int[] segStart = new int[distinct + 1];
        int[] interests = new int[distinct];
        int u = 0;
        for (int q = 0; q < nnz; q++) {
            if (q == 0 || (keys[q] >>> 32) != (keys[q - 1] >>> 32)) {
                interests[u] = (int) (keys[q] >>> 32);
                segStart[u++] = q;
            }
        }
        segStart[distinct] = nnz;
        return new Segments(perm, segStart, interests);
    }
}
