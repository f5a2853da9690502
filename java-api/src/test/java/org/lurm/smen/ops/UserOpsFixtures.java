package org.lurm.smen.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;
import org.lurm.smen.SmenBatch;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenLayout;

/** Random configurations, batches and parameters for the per-user op tests, plus error measures and finite differences. */
final class UserOpsFixtures {
    /**
     * Scale of what the gradient arrays hold before a backward pass (which must add to it): small, so that adding
     * a small gradient to it in float does not round away the digits the checks compare.
     */
    static final double ACC0 = 0.01;

    private UserOpsFixtures() {
    }

    /** A config with the given sizes and MODEL.md's defaults for everything else. */
    static SmenConfig config(int h, int anchors, int anchorDim, int buckets, int hidden, int out) {
        SmenConfig d = SmenConfig.defaults();
        return new SmenConfig(h, anchors, anchorDim, buckets, hidden, out, d.tau(), d.diversityWeight(), d.learningRate(),
                d.beta1(), d.beta2(), d.eps(), d.warmupSteps(), d.maxSteps(), d.maxEpochs(), d.clipNorm(), d.batchUsers(),
                d.heldOutFraction(), d.patience(), d.evalEvery(), d.periodCrop(), d.seed());
    }

    /**
     * Small random sizes (widths 1..7 hit the scalar tails of every kernel). The head's output is at least 2
     * wide: with one output p = y/|y| is a constant +-1 whose zero gradient float computes only to rounding.
     */
    static SmenLayout smallLayout(Random rnd, int scales) {
        SmenConfig c = config(1 + rnd.nextInt(6), 1 + rnd.nextInt(4), 1 + rnd.nextInt(5), 2 + rnd.nextInt(5),
                1 + rnd.nextInt(7), 2 + rnd.nextInt(6));
        return new SmenLayout(c, 3 + rnd.nextInt(10), scales);
    }

    /** MODEL.md's default sizes (h 64, M 8, d' 16, R 16, head 256 / 128) over a small interest table. */
    static SmenLayout defaultLayout(int scales) {
        return new SmenLayout(SmenConfig.defaults(), 50, scales);
    }

    /** Gaussian parameters times {@code scale}, the whole flat array. */
    static float[] params(SmenLayout layout, Random rnd, double scale) {
        float[] p = new float[Math.toIntExact(layout.total())];
        for (int i = 0; i < p.length; i++) p[i] = (float) (rnd.nextGaussian() * scale);
        return p;
    }

    static float[] gaussian(Random rnd, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * scale);
        return x;
    }

    /**
     * A random batch view. Each (user, scale) group has 0..maxRows rows (empty with probability 1/5); with
     * {@code edges}, one user has no rows at all and another has a single row at scale 0 only (absent at the
     * others when S > 1). Rows have 1..3 sorted interests with positive weights.
     */
    static SmenBatch batch(Random rnd, int users, int scales, int maxRows, int buckets, int numInterests, boolean edges) {
        int[][] count = new int[users][scales];
        for (int b = 0; b < users; b++) {
            for (int s = 0; s < scales; s++) count[b][s] = rnd.nextInt(5) == 0 ? 0 : 1 + rnd.nextInt(maxRows);
        }
        if (edges) {
            int none = rnd.nextInt(users);
            java.util.Arrays.fill(count[none], 0);
            if (users > 1) {
                int single = (none + 1 + rnd.nextInt(users - 1)) % users;
                java.util.Arrays.fill(count[single], 0);
                count[single][0] = 1;
            }
        }
        int[] groupStart = new int[users * scales + 1];
        List<Integer> rowPtr = new ArrayList<>(List.of(0));
        List<Integer> cols = new ArrayList<>();
        List<Float> vals = new ArrayList<>();
        List<Integer> bucket = new ArrayList<>();
        int rows = 0;
        for (int b = 0; b < users; b++) {
            for (int s = 0; s < scales; s++) {
                groupStart[b * scales + s] = rows;
                for (int t = 0; t < count[b][s]; t++) {
                    TreeSet<Integer> ks = new TreeSet<>();
                    int nnz = 1 + rnd.nextInt(Math.min(3, numInterests));
                    while (ks.size() < nnz) ks.add(rnd.nextInt(numInterests));
                    for (int k : ks) {
                        cols.add(k);
                        vals.add(0.1f + rnd.nextFloat() * 3);
                    }
                    rowPtr.add(cols.size());
                    bucket.add(rnd.nextInt(buckets));
                    rows++;
                }
            }
        }
        groupStart[users * scales] = rows;
        return new SmenBatch(users, scales, rows, ints(rowPtr), ints(cols), floats(vals), ints(bucket), groupStart);
    }

    private static int[] ints(List<Integer> l) {
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    private static float[] floats(List<Float> l) {
        float[] a = new float[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = l.get(i);
        return a;
    }

    static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }

    /** The sub-array [off, off + n). */
    static double[] slice(double[] x, int off, int n) {
        return java.util.Arrays.copyOfRange(x, off, off + n);
    }

    static double[] slice(float[] x, int off, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = x[off + i];
        return d;
    }

    /** Normalised error ||actual - expected|| / max(||expected||, floor). */
    static double nerr(double[] expected, double[] actual, double floor) {
        if (expected.length != actual.length) throw new IllegalArgumentException("lengths " + expected.length + " vs " + actual.length);
        double num = 0, den = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = actual[i] - expected[i];
            num += d * d;
            den += expected[i] * expected[i];
        }
        return Math.sqrt(num) / Math.max(Math.sqrt(den), floor);
    }

    /**
     * Normalised error at most tol. Below a norm of 1e-2 the error is taken relative to 1e-2: a derivative that is
     * exactly zero because O(1) terms cancel (softmax Jacobians summed over one bucket or one scale) comes out of
     * float arithmetic as rounding residue of about 1e-7 per term. The gradients checked here are O(0.01..10).
     */
    static void assertClose(double[] expected, double[] actual, double tol, String what) {
        double e = nerr(expected, actual, 1e-2);
        for (double a : actual) assertTrue(Double.isFinite(a), what + ": non-finite value");
        assertTrue(e <= tol, what + ": normalised error " + e + " > " + tol + " (|expected| = " + norm(expected) + ")");
    }

    static double norm(double[] x) {
        double s = 0;
        for (double v : x) s += v * v;
        return Math.sqrt(s);
    }

    /** Dot product of a random weighting with an output: the scalar whose gradient the FD checks look at. */
    static double weighted(double[] weights, double[] out) {
        double s = 0;
        for (int i = 0; i < out.length; i++) s += weights[i] * out[i];
        return s;
    }

    /** Central differences of f at x along the coordinates in [off, off + n), in double. */
    static double[] fd(ToDoubleFunction<double[]> f, double[] x, int off, int n, double h) {
        double[] g = new double[n];
        for (int i = 0; i < n; i++) g[i] = fd1(f, x, off + i, h);
        return g;
    }

    /** Central differences at the given coordinates. */
    static double[] fd(ToDoubleFunction<double[]> f, double[] x, int[] idx, double h) {
        double[] g = new double[idx.length];
        for (int i = 0; i < idx.length; i++) g[i] = fd1(f, x, idx[i], h);
        return g;
    }

    private static double fd1(ToDoubleFunction<double[]> f, double[] x, int i, double h) {
        double keep = x[i];
        x[i] = keep + h;
        double up = f.applyAsDouble(x);
        x[i] = keep - h;
        double down = f.applyAsDouble(x);
        x[i] = keep;
        return (up - down) / (2 * h);
    }

    /** n distinct random coordinates in [off, off + size) (all of them when size <= n). */
    static int[] sample(Random rnd, int off, int size, int n) {
        if (size <= n) {
            int[] all = new int[size];
            for (int i = 0; i < size; i++) all[i] = off + i;
            return all;
        }
        TreeSet<Integer> s = new TreeSet<>();
        while (s.size() < n) s.add(off + rnd.nextInt(size));
        return s.stream().mapToInt(Integer::intValue).toArray();
    }

    static double[] at(float[] x, int[] idx) {
        double[] d = new double[idx.length];
        for (int i = 0; i < idx.length; i++) d[i] = x[idx[i]];
        return d;
    }
}
