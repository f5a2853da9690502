package org.lurm.perf;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.lurm.smen.SmenBatch;
import org.lurm.SmenConfig;

/**
 * Random SMEN views shaped like the PyTorch reference's bench ({@code smen_reference.py random_view}): rows per
 * (user, scale) uniform in [1, 2 * rowsPerGroup - 1], distinct sorted interests per row uniform in
 * [1, 2 * nnzPerRow - 1] (capped at the interest count), weights log(1 + U[1, 5)), recency buckets decreasing from
 * the newest row (log2 of the age, the oldest row of a group of more than two in the history bucket). The CPU
 * (JMH {@link SmenStepBenchmark}) and GPU ({@code gpu.SmenStepBench}) step benchmarks draw their batches here so
 * that both measure the same distribution of shapes. Static, thread-safe (each call uses only its own generator).
 */
public final class RandomSmenViews {
    private RandomSmenViews() {
    }

    /** One random view of {@code users} users at {@code scales} scales over {@code interests} interests. */
    public static SmenBatch randomView(SplittableRandom r, SmenConfig cfg, int users, int scales, int rowsPerGroup, int nnzPerRow,
            int interests) {
        int rb = cfg.recencyBuckets();
        int[] groupStart = new int[users * scales + 1];
        int[] rowPtr = new int[users * scales * (2 * rowsPerGroup) + 1];
        int[] bucket = new int[rowPtr.length - 1];
        int[] cols = new int[rowPtr.length * 2 * nnzPerRow];
        float[] vals = new float[cols.length];
        int t = 0, nz = 0;
        for (int u = 0; u < users; u++) {
            for (int s = 0; s < scales; s++) {
                groupStart[u * scales + s] = t;
                int n = 1 + r.nextInt(2 * rowsPerGroup - 1);
                for (int q = 0; q < n; q++) {
                    int m = Math.min(interests, 1 + r.nextInt(2 * nnzPerRow - 1));
                    int[] ks = r.ints(0, interests).distinct().limit(m).sorted().toArray();
                    for (int k : ks) {
                        cols[nz] = k;
                        vals[nz++] = (float) Math.log1p(1 + 4 * r.nextDouble());
                    }
                    rowPtr[t + 1] = nz;
                    int age = n - 1 - q;
                    bucket[t++] = q == 0 && n > 2 ? rb - 1 : Math.min(rb - 2, 31 - Integer.numberOfLeadingZeros(1 + age));
                }
            }
        }
        groupStart[users * scales] = t;
        return new SmenBatch(users, scales, t, Arrays.copyOf(rowPtr, t + 1), Arrays.copyOf(cols, nz), Arrays.copyOf(vals, nz),
                Arrays.copyOf(bucket, t), groupStart);
    }
}
