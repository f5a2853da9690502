package org.lurm.eval;

import java.util.Arrays;

/**
 * The metrics of the evaluation (EVALUATION.md), written to agree with scikit-learn's definitions.
 *
 * <ul>
 * <li>{@link #rocAuc}: area under the ROC curve by the rank-sum (Mann-Whitney) statistic; tied scores get
 * their average rank, which equals scikit-learn's trapezoidal {@code roc_auc_score}.</li>
 * <li>{@link #accuracy}: share of exact matches.</li>
 * <li>{@link #macroF1}: unweighted mean of per-class F1 over the classes that occur in the true <i>or</i> the
 * predicted labels (scikit-learn's default label set); a class that is never predicted (or never true) has
 * F1 = 0.</li>
 * </ul>
 *
 * <p><b>Thread-safety.</b> Stateless.
 */
public final class Metrics {
    private Metrics() {
    }

    /**
     * ROC-AUC of scores against binary truth (true = positive), ties at average rank; NaN when one class is
     * absent.
     */
    public static double rocAuc(boolean[] truth, double[] score) {
        int n = truth.length;
        if (score.length != n) throw new IllegalArgumentException("truth has " + n + " entries, score " + score.length);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(score[a], score[b]));
        long pos = 0;
        double rankSum = 0;
        for (int i = 0; i < n; ) {
            int j = i;
            while (j + 1 < n && score[order[j + 1]] == score[order[i]]) j++;
            double avgRank = (i + j) / 2.0 + 1; // ranks i+1..j+1
            for (int q = i; q <= j; q++) {
                if (truth[order[q]]) {
                    rankSum += avgRank;
                    pos++;
                }
            }
            i = j + 1;
        }
        long neg = n - pos;
        if (pos == 0 || neg == 0) return Double.NaN;
        return (rankSum - pos * (pos + 1) / 2.0) / ((double) pos * neg);
    }

    /** Share of i with truth[i] == predicted[i]. */
    public static double accuracy(int[] truth, int[] predicted) {
        if (truth.length != predicted.length) throw new IllegalArgumentException("length mismatch " + truth.length + " vs " + predicted.length);
        if (truth.length == 0) return Double.NaN;
        int ok = 0;
        for (int i = 0; i < truth.length; i++) if (truth[i] == predicted[i]) ok++;
        return ok / (double) truth.length;
    }

    /** Macro-averaged F1 over the classes present in truth or predictions (see the class comment). */
    public static double macroF1(int[] truth, int[] predicted) {
        if (truth.length != predicted.length) throw new IllegalArgumentException("length mismatch " + truth.length + " vs " + predicted.length);
        if (truth.length == 0) return Double.NaN;
        int max = 0;
        for (int i = 0; i < truth.length; i++) {
            if (truth[i] < 0 || predicted[i] < 0) throw new IllegalArgumentException("class indices must be >= 0");
            max = Math.max(max, Math.max(truth[i], predicted[i]));
        }
        long[] tp = new long[max + 1], t = new long[max + 1], p = new long[max + 1];
        for (int i = 0; i < truth.length; i++) {
            t[truth[i]]++;
            p[predicted[i]]++;
            if (truth[i] == predicted[i]) tp[truth[i]]++;
        }
        double sum = 0;
        int classes = 0;
        for (int c = 0; c <= max; c++) {
            if (t[c] == 0 && p[c] == 0) continue;
            classes++;
            sum += 2.0 * tp[c] / (t[c] + p[c]);
        }
        return sum / classes;
    }

    /** Mean of the finite values (NaN when none). */
    public static double mean(double[] v) {
        double s = 0;
        int n = 0;
        for (double x : v) {
            if (Double.isFinite(x)) {
                s += x;
                n++;
            }
        }
        return n == 0 ? Double.NaN : s / n;
    }

    /** Population standard deviation of the finite values (as numpy's std; NaN when none). */
    public static double std(double[] v) {
        double m = mean(v);
        if (Double.isNaN(m)) return Double.NaN;
        double s = 0;
        int n = 0;
        for (double x : v) {
            if (Double.isFinite(x)) {
                s += (x - m) * (x - m);
                n++;
            }
        }
        return Math.sqrt(s / n);
    }
}
