package org.lurm.cluster;

import java.util.Random;

/**
 * Test data and independent references for the clustering tests: a mixture of directions on the unit sphere,
 * and a brute-force spherical Lloyd in plain double (exhaustive assignment, no sampling, no SIMD).
 */
final class ClusterFixtures {
    private ClusterFixtures() {
    }

    /** n unit rows around {@code centers} random directions (Gaussian noise of the given scale, then normalised). */
    static float[] mixture(Random r, int n, int dim, int centers, double noise) {
        double[][] c = new double[centers][dim];
        for (double[] row : c) {
            for (int d = 0; d < dim; d++) row[d] = r.nextGaussian();
            normalise(row);
        }
        float[] x = new float[n * dim];
        double[] v = new double[dim];
        for (int i = 0; i < n; i++) {
            double[] base = c[r.nextInt(centers)];
            for (int d = 0; d < dim; d++) v[d] = base[d] + noise * r.nextGaussian();
            normalise(v);
            for (int d = 0; d < dim; d++) x[i * dim + d] = (float) v[d];
        }
        return x;
    }

    /**
     * n unit rows with a two-level structure, as item embeddings tend to have (genres and sub-genres):
     * {@code groups} random directions, {@code perGroup} sub-directions around each (spread), points around the
     * sub-directions (noise).
     */
    static float[] hierarchicalMixture(Random r, int n, int dim, int groups, int perGroup, double spread, double noise) {
        float[] top = mixture(r, groups, dim, groups, 1e6);
        double[][] sub = new double[groups * perGroup][dim];
        for (int s = 0; s < sub.length; s++) {
            int g = s / perGroup;
            for (int d = 0; d < dim; d++) sub[s][d] = top[g * dim + d] + spread * r.nextGaussian();
            normalise(sub[s]);
        }
        float[] x = new float[n * dim];
        double[] v = new double[dim];
        for (int i = 0; i < n; i++) {
            double[] base = sub[r.nextInt(sub.length)];
            for (int d = 0; d < dim; d++) v[d] = base[d] + noise * r.nextGaussian();
            normalise(v);
            for (int d = 0; d < dim; d++) x[i * dim + d] = (float) v[d];
        }
        return x;
    }

    static float[] unitRows(Random r, int n, int dim) {
        return mixture(r, n, dim, 1, 1e6);
    }

    static void normalise(double[] v) {
        double ss = 0;
        for (double a : v) ss += a * a;
        double inv = 1 / Math.sqrt(ss);
        for (int d = 0; d < v.length; d++) v[d] *= inv;
    }

    static double dot(float[] x, int i, double[] c, int j, int dim) {
        double s = 0;
        for (int d = 0; d < dim; d++) s += x[i * dim + d] * c[j * dim + d];
        return s;
    }

    static double[] toDouble(float[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) out[i] = a[i];
        return out;
    }

    /** Index of the centroid in [from, to) with the largest dot product with row i (ties: lowest). */
    static int nearest(float[] x, int i, double[] c, int from, int to, int dim) {
        int best = from;
        double bs = Double.NEGATIVE_INFINITY;
        for (int j = from; j < to; j++) {
            double s = dot(x, i, c, j, dim);
            if (s > bs) {
                bs = s;
                best = j;
            }
        }
        return best;
    }

    /** Sum over present rows of (1 - largest cosine to any of the k centroids). */
    static double objective(float[] x, int n, int dim, boolean[] present, double[] c, int k) {
        double obj = 0;
        for (int i = 0; i < n; i++) {
            if (present != null && !present[i]) continue;
            obj += 1 - dot(x, i, c, nearest(x, i, c, 0, k, dim), dim);
        }
        return obj;
    }

    /**
     * Brute-force spherical Lloyd from the given centroids, until no assignment changes (or 500 iterations):
     * exhaustive nearest centroid, centroid = normalised mean, an empty cluster keeps its centroid.
     * Returns the final centroids (k x dim, double).
     */
    static double[] lloyd(float[] x, int n, int dim, boolean[] present, float[] init, int k) {
        double[] c = toDouble(init);
        int[] a = new int[n];
        java.util.Arrays.fill(a, -1);
        for (int it = 0; it < 500; it++) {
            boolean changed = false;
            for (int i = 0; i < n; i++) {
                if (present != null && !present[i]) continue;
                int j = nearest(x, i, c, 0, k, dim);
                if (j != a[i]) {
                    a[i] = j;
                    changed = true;
                }
            }
            if (!changed) break;
            double[] sum = new double[k * dim];
            int[] cnt = new int[k];
            for (int i = 0; i < n; i++) {
                if (a[i] < 0) continue;
                cnt[a[i]]++;
                for (int d = 0; d < dim; d++) sum[a[i] * dim + d] += x[i * dim + d];
            }
            for (int j = 0; j < k; j++) {
                if (cnt[j] == 0) continue;
                double ss = 0;
                for (int d = 0; d < dim; d++) ss += sum[j * dim + d] * sum[j * dim + d];
                if (ss == 0) continue;
                double inv = 1 / Math.sqrt(ss);
                for (int d = 0; d < dim; d++) c[j * dim + d] = sum[j * dim + d] * inv;
            }
        }
        return c;
    }
}
