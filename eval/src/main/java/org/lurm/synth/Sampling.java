package org.lurm.synth;

import java.util.SplittableRandom;

/**
 * Random-number plumbing of the generator: independent streams derived from (seed, stream, index), a
 * log-space gamma sampler (so Dirichlet draws with tiny parameters never underflow to all-zero mixtures),
 * Walker/Vose alias tables and CDF look-ups. Stateless; every method is thread-safe given its own
 * {@link SplittableRandom}.
 */
final class Sampling {
    /** Stream ids: one per purpose, so that e.g. changing attribute noise never changes the events. */
    static final long WORLD = 0, USER = 1, EVENTS = 2, ATTRIBUTES = 3, ORDER = 4, TITLES = 5, VOCABULARY = 6;

    private Sampling() {
    }

    /** SplitMix64 finaliser: a bijective 64-bit mix with good avalanche. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /**
     * The random stream for (seed, stream, index). Deriving one per user (instead of splitting one generator in
     * user order) is what makes the output independent of how users are spread over threads.
     */
    static SplittableRandom derive(long seed, long stream, long index) {
        long h = mix64(seed + 0x9E3779B97F4A7C15L * (stream + 1));
        h = mix64(h ^ (index * 0xD1B54A32D192ED03L + 0x632BE59BD9B4E019L));
        return new SplittableRandom(h);
    }

    /**
     * log of a Gamma(shape, 1) draw, shape &gt; 0. Marsaglia and Tsang (2000) for shape &gt;= 1; for shape &lt; 1 the
     * boost G(a) = G(a + 1) * U^(1/a), kept in log space because U^(1/a) underflows for small a.
     */
    static double logGamma(SplittableRandom r, double shape) {
        double a = shape < 1 ? shape + 1 : shape;
        double d = a - 1.0 / 3.0;
        double c = 1.0 / Math.sqrt(9.0 * d);
        double logX;
        while (true) {
            double x = r.nextGaussian();
            double v = 1.0 + c * x;
            if (v <= 0) continue;
            v = v * v * v;
            double u = r.nextDouble();
            double x2 = x * x;
            // Cheap squeeze first; the log test only for the few draws it does not accept.
            if (u < 1.0 - 0.0331 * x2 * x2 || Math.log(u) < 0.5 * x2 + d * (1.0 - v + Math.log(v))) {
                logX = Math.log(d * v);
                break;
            }
        }
        // log U for uniform U is -Exp(1): the ziggurat exponential saves a logarithm per draw
        if (shape < 1) logX -= r.nextExponential() / shape;
        return logX;
    }

    /** A Dirichlet(alpha) draw into out[0..alpha.length), via normalised gammas in log space. */
    static void dirichlet(SplittableRandom r, double[] alpha, double[] out) {
        int n = alpha.length;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            double g = logGamma(r, alpha[i]);
            out[i] = g;
            if (g > max) max = g;
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double e = Math.exp(out[i] - max);
            out[i] = e;
            sum += e;
        }
        double inv = 1.0 / sum;
        for (int i = 0; i < n; i++) out[i] *= inv;
    }

    /**
     * Builds a Vose alias table for weights w[off..off+n) into prob[off..off+n) and alias[off..off+n) (alias
     * entries are local indices 0..n-1). small and large are scratch of length &gt;= n.
     */
    static void buildAlias(double[] w, int off, int n, double[] prob, int[] alias, int[] small, int[] large) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double x = w[off + i];
            if (!(x >= 0) || Double.isInfinite(x)) throw new IllegalArgumentException("alias weight " + i + " must be finite and >= 0, got " + x);
            sum += x;
        }
        if (!(sum > 0)) throw new IllegalArgumentException("alias weights sum to " + sum + ", need > 0");
        int ns = 0, nl = 0;
        for (int i = 0; i < n; i++) {
            double p = w[off + i] * n / sum;
            prob[off + i] = p;
            alias[off + i] = i;
            if (p < 1.0) small[ns++] = i;
            else large[nl++] = i;
        }
        while (ns > 0 && nl > 0) {
            int s = small[--ns];
            int l = large[--nl];
            alias[off + s] = l;
            double pl = prob[off + l] + prob[off + s] - 1.0;
            prob[off + l] = pl;
            if (pl < 1.0) small[ns++] = l;
            else large[nl++] = l;
        }
        // Whatever is left is 1 up to rounding.
        while (nl > 0) prob[off + large[--nl]] = 1.0;
        while (ns > 0) prob[off + small[--ns]] = 1.0;
    }

    /** A local index 0..n-1 from the alias table at off. */
    static int sampleAlias(SplittableRandom r, double[] prob, int[] alias, int off, int n) {
        int j = r.nextInt(n);
        return r.nextDouble() < prob[off + j] ? j : alias[off + j];
    }

    /**
     * The first index i with cdf[i] &gt; u, for a non-decreasing cdf of length n with cdf[n-1] &gt; u &gt;= 0
     * (zero-probability entries, whose cdf equals the previous one, are never returned).
     */
    static int searchCdf(double[] cdf, int n, double u) {
        int lo = 0, hi = n - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cdf[mid] > u) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }
}
