package org.lurm.cuda.smen;

import org.lurm.smen.SmenBatch;

/**
 * The synthetic users of {@code lurm_smen_synth_batch} (smen_bench.cu), rebuilt on the host: every (user, scale)
 * group has {@code periods} rows, oldest first, with recency bucket min(age, R-2); every row {@code nnz} interests
 * cols[x] = mix(seed ^ mix(x)) mod K and weights 0.1 + 1.9 * (24 high bits of that hash) / 2^24 + 1e-6, x the
 * position of the non-zero in the whole batch. So a benchmark can generate 10^6 users on the device and check a
 * few of them against the CPU encoder. Static and thread-safe.
 */
public final class SmenSynth {
    private SmenSynth() {
    }

    /** splitmix64's finaliser, as {@code mix} in smen_bench.cu. */
    static long mix(long x) {
        x += 0x9E3779B97F4A7C15L;
        x = (x ^ (x >>> 30)) * 0xBF58476D1CE4E5B9L;
        x = (x ^ (x >>> 27)) * 0x94D049BB133111EBL;
        return x ^ (x >>> 31);
    }

    /** Users [firstUser, firstUser + users) of the device batch generated with the same sizes and seed. */
    public static SmenBatch batch(int firstUser, int users, int scales, int periods, int nnz, int numInterests, int buckets, long seed) {
        int rows = users * scales * periods;
        int[] rowPtr = new int[rows + 1], cols = new int[rows * nnz], bucket = new int[rows], groupStart = new int[users * scales + 1];
        float[] vals = new float[rows * nnz];
        for (int t = 0; t < rows; t++) {
            long x = (long) firstUser * scales * periods + t;
            int age = periods - 1 - (int) (x % periods);
            bucket[t] = age < buckets - 1 ? age : buckets - 2;
            rowPtr[t + 1] = (t + 1) * nnz;
            for (int j = 0; j < nnz; j++) {
                long h = mix(seed ^ mix(x * nnz + j));
                cols[t * nnz + j] = (int) Long.remainderUnsigned(h, numInterests);
                vals[t * nnz + j] = 0.1f + 1.9f * (float) ((h >>> 40) & 0xFFFFFF) / 16777216.f + 1e-6f;
            }
        }
        for (int g = 0; g <= users * scales; g++) groupStart[g] = g * periods;
        return new SmenBatch(users, scales, rows, rowPtr, cols, vals, bucket, groupStart);
    }
}
