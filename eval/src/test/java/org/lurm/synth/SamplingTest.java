package org.lurm.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.testing.TestData;

class SamplingTest {

    @Test
    void aliasTableEncodesExactlyTheWeights() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("aliasTableEncodesExactlyTheWeights"));
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + rnd.nextInt(60), off = rnd.nextInt(5);
            double[] w = new double[off + n];
            double sum = 0;
            for (int i = 0; i < n; i++) {
                // zeros, tiny and large weights: the cases where a sloppy alias build loses mass
                double x = switch (rnd.nextInt(4)) { case 0 -> 0; case 1 -> rnd.nextDouble() * 1e-9; default -> rnd.nextDouble() * 100; };
                w[off + i] = x;
                sum += x;
            }
            if (sum == 0) w[off] = sum = 1;
            double[] prob = new double[off + n];
            int[] alias = new int[off + n];
            Sampling.buildAlias(w, off, n, prob, alias, new int[n], new int[n]);
            // The probability the table gives to i: its own column's keep-share plus what other columns alias to it.
            double[] implied = new double[n];
            for (int j = 0; j < n; j++) {
                assertTrue(prob[off + j] >= 0 && prob[off + j] <= 1 + 1e-12, "prob out of [0,1]: " + prob[off + j]);
                implied[j] += prob[off + j] / n;
                implied[alias[off + j]] += (1 - prob[off + j]) / n;
            }
            for (int i = 0; i < n; i++) assertEquals(w[off + i] / sum, implied[i], 1e-12, "item " + i + " of " + n);
        }
    }

    @Test
    void aliasSamplesFollowTheWeights() {
        long seed = TestData.seed("aliasSamplesFollowTheWeights");
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 37, draws = 400_000;
        double[] w = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) sum += w[i] = i % 7 == 3 ? 0 : Math.pow(i + 1, -1.1) * (0.5 + rnd.nextDouble());
        double[] prob = new double[n];
        int[] alias = new int[n];
        Sampling.buildAlias(w, 0, n, prob, alias, new int[n], new int[n]);
        long[] counts = new long[n];
        for (int k = 0; k < draws; k++) counts[Sampling.sampleAlias(rnd, prob, alias, 0, n)]++;
        double chi2 = 0;
        int df = -1;
        for (int i = 0; i < n; i++) {
            double e = draws * w[i] / sum;
            if (e == 0) {
                assertEquals(0, counts[i], "zero-weight entry " + i + " was drawn");
                continue;
            }
            chi2 += (counts[i] - e) * (counts[i] - e) / e;
            df++;
        }
        // chi-square with df degrees of freedom: mean df, sd sqrt(2 df); 6 sd is a one-in-a-billion false alarm
        assertTrue(chi2 < df + 6 * Math.sqrt(2.0 * df), "chi2 " + chi2 + " with " + df + " df");
    }

    @Test
    void aliasRejectsBadWeights() {
        double[] w = {1, -1};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Sampling.buildAlias(w, 0, 2, new double[2], new int[2], new int[2], new int[2]));
        assertTrue(e.getMessage().contains("weight 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Sampling.buildAlias(new double[] {0, 0}, 0, 2, new double[2], new int[2], new int[2], new int[2]));
    }

    @Test
    void gammaHasTheRightMomentsAndNoUnderflow() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("gammaHasTheRightMomentsAndNoUnderflow"));
        for (double shape : new double[] {0.01, 0.3, 1.0, 2.5, 40}) {
            int n = 200_000;
            double s1 = 0, s2 = 0;
            int below = 0;
            for (int i = 0; i < n; i++) {
                double lg = Sampling.logGamma(rnd, shape);
                assertTrue(Double.isFinite(lg), "log gamma not finite for shape " + shape);
                if (lg < -50) below++;
                double g = Math.exp(lg);
                s1 += g;
                s2 += g * g;
            }
            double mean = s1 / n, var = s2 / n - mean * mean;
            // Gamma(a, 1): mean a, variance a; the sample mean has sd sqrt(a / n)
            assertEquals(shape, mean, 5 * Math.sqrt(shape / n), "mean for shape " + shape);
            // the sample variance has sd sqrt((mu4 - var^2) / n), with central 4th moment mu4 = 3a^2 + 6a
            assertEquals(shape, var, 6 * Math.sqrt((2 * shape * shape + 6 * shape) / n), "variance for shape " + shape);
            if (shape == 0.01) {
                // P(G < x) ~ x^a / Gamma(a + 1) for small x: with x = e^-50 and a = 0.01, about e^-0.5 / 0.99433.
                // A sampler that underflows to 0 would give -infinity here, not a finite log.
                double p = Math.exp(-0.5) / 0.994325851;
                assertEquals(p, (double) below / n, 5 * Math.sqrt(p * (1 - p) / n), "mass below e^-50");
            }
        }
    }

    @Test
    void dirichletMatchesItsMoments() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("dirichletMatchesItsMoments"));
        int k = 9, n = 40_000;
        double[] alpha = new double[k];
        double a0 = 0;
        for (int i = 0; i < k; i++) a0 += alpha[i] = i == 0 ? 0.002 : 0.05 + rnd.nextDouble() * 2;
        double[] x = new double[k], m1 = new double[k], m2 = new double[k], m3 = new double[k], m4 = new double[k];
        for (int r = 0; r < n; r++) {
            Sampling.dirichlet(rnd, alpha, x);
            double s = 0;
            for (int i = 0; i < k; i++) {
                assertTrue(x[i] >= 0 && Double.isFinite(x[i]));
                s += x[i];
                m1[i] += x[i];
                m2[i] += x[i] * x[i];
                m3[i] += x[i] * x[i] * x[i];
                m4[i] += x[i] * x[i] * x[i] * x[i];
            }
            assertEquals(1.0, s, 1e-12);
        }
        for (int i = 0; i < k; i++) {
            double mean = alpha[i] / a0;
            double var = alpha[i] * (a0 - alpha[i]) / (a0 * a0 * (a0 + 1));
            assertEquals(mean, m1[i] / n, 6 * Math.sqrt(var / n), "mean of component " + i);
            double mu = m1[i] / n, e2 = m2[i] / n, e3 = m3[i] / n, e4 = m4[i] / n;
            double sampleVar = e2 - mu * mu;
            // the sample variance has sd sqrt((mu4 - var^2) / n); mu4 from the sample's own central 4th moment,
            // because tiny alphas make the component very skewed
            double mu4 = e4 - 4 * mu * e3 + 6 * mu * mu * e2 - 3 * mu * mu * mu * mu;
            double sdVar = Math.sqrt(Math.max(0, mu4 - sampleVar * sampleVar) / n);
            assertEquals(var, sampleVar, 6 * sdVar + 1e-12, "variance of component " + i);
        }
    }

    @Test
    void cdfSearchMatchesLinearScanAndSkipsEmptyEntries() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("cdfSearchMatchesLinearScanAndSkipsEmptyEntries"));
        for (int trial = 0; trial < 2_000; trial++) {
            int n = 1 + rnd.nextInt(20);
            double[] cdf = new double[n];
            double acc = 0;
            for (int i = 0; i < n; i++) cdf[i] = acc += rnd.nextInt(3) == 0 ? 0 : rnd.nextDouble();
            if (acc == 0) cdf[n - 1] = acc = 1;
            double u = rnd.nextDouble() * acc;
            int expect = 0;
            while (!(cdf[expect] > u)) expect++;
            int got = Sampling.searchCdf(cdf, n, u);
            assertEquals(expect, got);
            assertTrue(got == 0 ? cdf[0] > 0 : cdf[got] > cdf[got - 1], "returned an empty entry");
        }
    }

    @Test
    void derivedStreamsDependOnEveryPart() {
        long seed = TestData.seed("derivedStreamsDependOnEveryPart");
        long a = Sampling.derive(seed, 1, 5).nextLong();
        assertEquals(a, Sampling.derive(seed, 1, 5).nextLong());
        assertNotEquals(a, Sampling.derive(seed + 1, 1, 5).nextLong());
        assertNotEquals(a, Sampling.derive(seed, 2, 5).nextLong());
        assertNotEquals(a, Sampling.derive(seed, 1, 6).nextLong());
        assertNotEquals(Sampling.derive(seed, 1, 2).nextLong(), Sampling.derive(seed, 2, 1).nextLong());
    }
}
