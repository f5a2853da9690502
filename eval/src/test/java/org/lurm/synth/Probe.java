package org.lurm.synth;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.lurm.memory.F32Array;

/** A small L2 logistic-regression probe (standardised features, gradient descent) and ROC-AUC, for tests. */
final class Probe {
    private Probe() {
    }

    /** AUC on a random 30 % of users of a probe trained on the other 70 %. */
    static double heldOutAuc(F32Array z, int width, int[] label, long seed) {
        int n = label.length;
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        int nTrain = (int) (n * 0.7);
        double[] mean = new double[width], sd = new double[width];
        for (int q = 0; q < nTrain; q++) for (int k = 0; k < width; k++) mean[k] += z.get((long) idx[q] * width + k) / nTrain;
        for (int q = 0; q < nTrain; q++) for (int k = 0; k < width; k++) {
            double d = z.get((long) idx[q] * width + k) - mean[k];
            sd[k] += d * d / nTrain;
        }
        for (int k = 0; k < width; k++) sd[k] = Math.sqrt(sd[k]) + 1e-8;
        double[][] x = new double[n][width];
        for (int i = 0; i < n; i++) for (int k = 0; k < width; k++) x[i][k] = (z.get((long) i * width + k) - mean[k]) / sd[k];
        double[] w = new double[width];
        double b = 0, lambda = 1e-2, lr = 0.5;
        for (int it = 0; it < 400; it++) {
            double[] g = new double[width];
            double gb = 0;
            for (int q = 0; q < nTrain; q++) {
                int i = idx[q];
                double s = b;
                for (int k = 0; k < width; k++) s += w[k] * x[i][k];
                double p = 1 / (1 + Math.exp(-s));
                double e = p - label[i];
                for (int k = 0; k < width; k++) g[k] += e * x[i][k] / nTrain;
                gb += e / nTrain;
            }
            for (int k = 0; k < width; k++) w[k] -= lr * (g[k] + lambda * w[k]);
            b -= lr * gb;
        }
        int m = n - nTrain;
        double[] score = new double[m];
        int[] y = new int[m];
        for (int q = 0; q < m; q++) {
            int i = idx[nTrain + q];
            double s = b;
            for (int k = 0; k < width; k++) s += w[k] * x[i][k];
            score[q] = s;
            y[q] = label[i];
        }
        return auc(score, y);
    }

    /** ROC-AUC by ranks (ties get the mean rank). */
    static double auc(double[] score, int[] y) {
        int n = score.length;
        Integer[] o = new Integer[n];
        for (int i = 0; i < n; i++) o[i] = i;
        Arrays.sort(o, (a, b) -> Double.compare(score[a], score[b]));
        double[] rank = new double[n];
        for (int i = 0; i < n; ) {
            int j = i;
            while (j + 1 < n && score[o[j + 1]] == score[o[i]]) j++;
            for (int k = i; k <= j; k++) rank[o[k]] = (i + j) / 2.0 + 1;
            i = j + 1;
        }
        long pos = 0;
        double sum = 0;
        for (int i = 0; i < n; i++) if (y[i] == 1) {
            pos++;
            sum += rank[i];
        }
        long neg = n - pos;
        if (pos == 0 || neg == 0) return Double.NaN;
        return (sum - pos * (pos + 1) / 2.0) / (pos * (double) neg);
    }
}
