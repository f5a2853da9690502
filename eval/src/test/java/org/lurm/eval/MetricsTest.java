package org.lurm.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.testing.TestData;

/** Metrics against brute-force definitions on fresh random inputs (heavy ties included). */
class MetricsTest {
    @Test
    void rocAucEqualsPairCountingWithTiesAsHalf() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("MetricsTest.rocAuc"));
        for (int rep = 0; rep < 200; rep++) {
            int n = 2 + rnd.nextInt(60);
            boolean[] y = new boolean[n];
            double[] s = new double[n];
            int levels = 1 + rnd.nextInt(6); // few distinct scores: many ties
            for (int i = 0; i < n; i++) {
                y[i] = rnd.nextDouble() < 0.4;
                s[i] = rep % 2 == 0 ? rnd.nextInt(levels) : rnd.nextGaussian();
            }
            double pairs = 0, wins = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    if (y[i] && !y[j]) {
                        pairs++;
                        wins += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
                    }
                }
            }
            double auc = Metrics.rocAuc(y, s);
            if (pairs == 0) assertTrue(Double.isNaN(auc));
            else assertEquals(wins / pairs, auc, 1e-12);
        }
    }

    @Test
    void accuracyAndMacroF1EqualNaiveDefinitions() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("MetricsTest.f1"));
        for (int rep = 0; rep < 200; rep++) {
            int n = 1 + rnd.nextInt(50), k = 1 + rnd.nextInt(6);
            int[] t = new int[n], p = new int[n];
            for (int i = 0; i < n; i++) {
                t[i] = rnd.nextInt(k);
                p[i] = rnd.nextInt(k + 1); // sometimes a class never true; some classes never predicted
            }
            int ok = 0;
            for (int i = 0; i < n; i++) if (t[i] == p[i]) ok++;
            assertEquals(ok / (double) n, Metrics.accuracy(t, p), 1e-15);
            double sum = 0;
            int classes = 0;
            for (int c = 0; c <= k; c++) {
                int tp = 0, fp = 0, fn = 0;
                boolean present = false;
                for (int i = 0; i < n; i++) {
                    present |= t[i] == c || p[i] == c;
                    if (t[i] == c && p[i] == c) tp++;
                    else if (p[i] == c) fp++;
                    else if (t[i] == c) fn++;
                }
                if (!present) continue;
                classes++;
                double prec = tp + fp == 0 ? 0 : tp / (double) (tp + fp), rec = tp + fn == 0 ? 0 : tp / (double) (tp + fn);
                sum += prec + rec == 0 ? 0 : 2 * prec * rec / (prec + rec);
            }
            assertEquals(sum / classes, Metrics.macroF1(t, p), 1e-12);
        }
    }

    @Test
    void meanAndStdSkipNaN() {
        assertEquals(2.0, Metrics.mean(new double[] {1, Double.NaN, 3}), 0);
        assertEquals(1.0, Metrics.std(new double[] {1, Double.NaN, 3}), 0);
        assertTrue(Double.isNaN(Metrics.mean(new double[] {Double.NaN})));
    }
}
