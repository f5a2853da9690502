package org.lurm.smen.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.lurm.smen.SmenBatch;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenLayout;

/**
 * Random SMEN batches and parameters for the per-row op tests, and independent float64 references of the ops
 * (written from MODEL.md's formulas, sharing no code with the kernels).
 */
final class RowTestCases {
    private RowTestCases() {
    }

    /** MODEL.md defaults with the given sizes; a small projection head keeps the flat arrays small. */
    static SmenConfig config(int h, int anchors, int anchorDim) {
        SmenConfig d = SmenConfig.defaults();
        return new SmenConfig(h, anchors, anchorDim, d.recencyBuckets(), 8, 4, d.tau(), d.diversityWeight(), d.learningRate(), d.beta1(),
                d.beta2(), d.eps(), d.warmupSteps(), d.maxSteps(), d.maxEpochs(), d.clipNorm(), d.batchUsers(), d.heldOutFraction(),
                d.patience(), d.evalEvery(), d.periodCrop(), d.seed());
    }

    static SmenLayout layout(int k, int scales, int h, int anchors, int anchorDim) {
        return new SmenLayout(config(h, anchors, anchorDim), k, scales);
    }

    /** Every parameter N(0, 1) * scale (scores A.V/sqrt(h) then have unit spread). */
    static float[] params(SplittableRandom r, SmenLayout layout, double scale) {
        float[] p = new float[Math.toIntExact(layout.total())];
        for (int x = 0; x < p.length; x++) p[x] = (float) (gaussian(r) * scale);
        return p;
    }

    static double gaussian(SplittableRandom r) {
        double u = r.nextDouble(), w = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * w);
    }

    static float[] randomFloats(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int x = 0; x < n; x++) a[x] = (float) gaussian(r);
        return a;
    }

    /**
     * A batch of {@code users} x {@code scales} groups with the edge cases MODEL.md's batches have: user 0 has no
     * rows at all, user 1 no rows at the last scale (when S &gt; 1), at least one row with a single non-zero. Rows
     * have 1..maxNnz distinct ascending interests (like BoI rows) unless {@code duplicates}, weights in [0.05, 5].
     */
    static SmenBatch batch(SplittableRandom r, int users, int scales, int k, int maxNnz, boolean duplicates) {
        List<int[]> rowCols = new ArrayList<>();
        int[] groupStart = new int[users * scales + 1];
        for (int b = 0; b < users; b++) {
            for (int s = 0; s < scales; s++) {
                int n = r.nextInt(4);
                if (b == 0 || (b == 1 && scales > 1 && s == scales - 1)) n = 0;
                if (b == users - 1 && s == 0) n = Math.max(n, 2);
                for (int t = 0; t < n; t++) {
                    int nz = 1 + r.nextInt(Math.min(maxNnz, k));
                    if (rowCols.isEmpty()) nz = 1;
                    rowCols.add(duplicates ? withDuplicates(r, nz, k) : distinctSorted(r, nz, k));
                }
                groupStart[b * scales + s + 1] = rowCols.size();
            }
        }
        return fromRows(r, users, scales, rowCols, groupStart);
    }

    static SmenBatch fromRows(SplittableRandom r, int users, int scales, List<int[]> rowCols, int[] groupStart) {
        int rows = rowCols.size();
        int[] rowPtr = new int[rows + 1];
        for (int t = 0; t < rows; t++) rowPtr[t + 1] = rowPtr[t] + rowCols.get(t).length;
        int[] cols = new int[rowPtr[rows]];
        float[] vals = new float[rowPtr[rows]];
        for (int t = 0; t < rows; t++) {
            int[] c = rowCols.get(t);
            System.arraycopy(c, 0, cols, rowPtr[t], c.length);
            for (int j = rowPtr[t]; j < rowPtr[t + 1]; j++) vals[j] = (float) (0.05 + 4.95 * r.nextDouble());
        }
        int[] bucket = new int[rows];
        for (int t = 0; t < rows; t++) bucket[t] = r.nextInt(16);
        return new SmenBatch(users, scales, rows, rowPtr, cols, vals, bucket, groupStart);
    }

    private static int[] distinctSorted(SplittableRandom r, int n, int k) {
        boolean[] used = new boolean[k];
        int got = 0;
        while (got < n) {
            int c = r.nextInt(k);
            if (!used[c]) {
                used[c] = true;
                got++;
            }
        }
        int[] out = new int[n];
        int x = 0;
        for (int c = 0; c < k; c++) if (used[c]) out[x++] = c;
        return out;
    }

    private static int[] withDuplicates(SplittableRandom r, int n, int k) {
        int[] out = new int[n];
        for (int x = 0; x < n; x++) out[x] = x > 0 && r.nextInt(3) == 0 ? out[r.nextInt(x)] : r.nextInt(k);
        return out;
    }

    /** Batch whose every row has exactly one non-zero. */
    static SmenBatch singleNonZeroRows(SplittableRandom r, int users, int k) {
        List<int[]> rowCols = new ArrayList<>();
        int[] groupStart = new int[users + 1];
        for (int b = 0; b < users; b++) {
            int n = 1 + r.nextInt(3);
            for (int t = 0; t < n; t++) rowCols.add(new int[]{r.nextInt(k)});
            groupStart[b + 1] = rowCols.size();
        }
        return fromRows(r, users, 1, rowCols, groupStart);
    }

    /**
     * A large batch like the benchmark's: rows of about {@code meanNnz} distinct interests drawn with a skewed
     * (Zipf-like) popularity, so popular interests occur in many rows.
     */
    static SmenBatch large(SplittableRandom r, int users, int rowsPerUser, int k, int meanNnz) {
        List<int[]> rowCols = new ArrayList<>();
        int[] groupStart = new int[users + 1];
        for (int b = 0; b < users; b++) {
            for (int t = 0; t < rowsPerUser; t++) {
                int n = Math.max(1, Math.min(k, meanNnz / 2 + r.nextInt(meanNnz + 1)));
                java.util.TreeSet<Integer> set = new java.util.TreeSet<>();
                while (set.size() < n) set.add((int) Math.min(k - 1, Math.floor(Math.pow(r.nextDouble(), 3) * k)));
                rowCols.add(set.stream().mapToInt(Integer::intValue).toArray());
            }
            groupStart[b + 1] = rowCols.size();
        }
        return fromRows(r, users, 1, rowCols, groupStart);
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int x = 0; x < a.length; x++) d[x] = a[x];
        return d;
    }

    /** Double-precision attention a[j][m] straight from MODEL.md (softmax over a row with max subtracted). */
    static double[] refAttention(double[] p, SmenLayout layout, SmenBatch b) {
        int h = layout.config().h(), nm = layout.config().anchors(), vOff = layout.offset("V"), aOff = layout.offset("A");
        double[] a = new double[b.nnz() * nm];
        for (int t = 0; t < b.rows(); t++) {
            int from = b.rowPtr()[t], to = b.rowPtr()[t + 1];
            for (int m = 0; m < nm; m++) {
                double[] s = new double[to - from];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = from; j < to; j++) {
                    double dot = 0;
                    for (int i = 0; i < h; i++) dot += p[aOff + m * h + i] * p[vOff + b.cols()[j] * h + i];
                    s[j - from] = dot / Math.sqrt(h) + Math.log(b.vals()[j]);
                    max = Math.max(max, s[j - from]);
                }
                double z = 0;
                for (double v : s) z += Math.exp(v - max);
                for (int j = from; j < to; j++) a[j * nm + m] = Math.exp(s[j - from] - max) / z;
            }
        }
        return a;
    }

    /** Double-precision r[t][m][i] = sum_j a[m,j] V[k_j][i]. */
    static double[] refAttend(double[] p, SmenLayout layout, SmenBatch b) {
        int h = layout.config().h(), nm = layout.config().anchors(), vOff = layout.offset("V");
        double[] a = refAttention(p, layout, b);
        double[] r = new double[b.rows() * nm * h];
        for (int t = 0; t < b.rows(); t++) {
            for (int j = b.rowPtr()[t]; j < b.rowPtr()[t + 1]; j++) {
                for (int m = 0; m < nm; m++) {
                    for (int i = 0; i < h; i++) r[(t * nm + m) * h + i] += a[j * nm + m] * p[vOff + b.cols()[j] * h + i];
                }
            }
        }
        return r;
    }

    /** Double-precision o[t][m][j] = b[m][j] + sum_i r[t][m][i] W[m][i][j]. */
    static double[] refProject(double[] p, SmenLayout layout, int rows, double[] r) {
        int h = layout.config().h(), nm = layout.config().anchors(), dp = layout.config().anchorDim();
        int wOff = layout.offset("W"), bOff = layout.offset("b");
        double[] o = new double[rows * nm * dp];
        for (int t = 0; t < rows; t++) {
            for (int m = 0; m < nm; m++) {
                for (int j = 0; j < dp; j++) {
                    double s = p[bOff + m * dp + j];
                    for (int i = 0; i < h; i++) s += r[(t * nm + m) * h + i] * p[wOff + (m * h + i) * dp + j];
                    o[(t * nm + m) * dp + j] = s;
                }
            }
        }
        return o;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int x = 0; x < a.length; x++) s += a[x] * b[x];
        return s;
    }

    /** ||a - b|| / max(||b||, tiny): the normalised error of a against the reference b. */
    static double relErr(double[] a, double[] b) {
        double num = 0, den = 0;
        for (int x = 0; x < a.length; x++) {
            num += (a[x] - b[x]) * (a[x] - b[x]);
            den += b[x] * b[x];
        }
        return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
    }

    static double relErr(float[] a, double[] b) {
        return relErr(toDouble(a), b);
    }

    static double relErr(float[] a, float[] b) {
        return relErr(toDouble(a), toDouble(b));
    }
}
