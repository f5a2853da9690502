package org.lurm.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The two claims of EVALUATION.md, decided from result rows of one dataset and one probe.
 *
 * <p>The claim metrics of a task are its ROC-AUC ({@code roc_auc} or {@code mean_roc_auc}) when it has one,
 * otherwise accuracy and macro-F1 (the metrics EVALUATION.md names per task: gender ROC-AUC, age and occupation
 * accuracy and macro-F1, preference mean ROC-AUC).
 * <ul>
 * <li><b>almost lossless</b>: for every claim metric, mean(LURM) >= {@value #LOSSLESS_RATIO} · mean(raw BoI);</li>
 * <li><b>better than peers</b>: the mean over claim metrics of LURM >= that of every width-matched baseline
 * present (BoI + RSVD, item TF-IDF + RSVD, mean item embedding, random projection).</li>
 * </ul>
 *
 * <p><b>Thread-safety.</b> Stateless; results are immutable.
 */
public final class Claims {
    public static final double LOSSLESS_RATIO = 0.97;
    /** Claim names, as in {@link Claim#name()}. */
    public static final String ALMOST_LOSSLESS = "almost lossless", BETTER_THAN_PEERS = "better than peers";
    public static final List<String> PEERS = List.of(Baselines.BOI_RSVD, Baselines.ITEM_TFIDF_RSVD, Baselines.MEAN_ITEM_EMBEDDING, Baselines.RANDOM_PROJECTION);

    /** One comparison behind a claim: LURM's value against another method's on a task metric (or the mean). */
    public record Comparison(String what, String other, double lurm, double otherValue, double threshold, boolean holds) {
    }

    /** A claim's verdict, the numbers behind it and a one-line summary. */
    public record Claim(String name, boolean holds, List<Comparison> comparisons, String summary) {
        public Claim {
            comparisons = List.copyOf(comparisons);
        }
    }

    private Claims() {
    }

    /**
     * Both claims for {@code dataset} with {@code probe}. A claim whose methods are missing cannot be decided: it
     * has no comparisons, {@code holds} false, and its summary says why ({@link #verdict} calls it undecided).
     */
    public static List<Claim> evaluate(List<ResultRow> rows, String dataset, String probe) {
        Map<String, Map<String, Double>> byMethod = new LinkedHashMap<>(); // method -> task/metric -> mean
        List<String> keys = new ArrayList<>();
        for (ResultRow r : rows) {
            if (!r.dataset().equals(dataset) || !r.probe().equals(probe) || !isClaimMetric(rows, r)) continue;
            String key = r.task() + " " + r.metric();
            if (!keys.contains(key)) keys.add(key);
            byMethod.computeIfAbsent(r.method(), k -> new LinkedHashMap<>()).put(key, r.mean());
        }
        List<Claim> out = new ArrayList<>();
        Map<String, Double> lurm = byMethod.get(Baselines.LURM);
        // almost lossless
        Map<String, Double> raw = byMethod.get(Baselines.RAW_BOI);
        if (lurm == null || raw == null) {
            out.add(new Claim(ALMOST_LOSSLESS, false, List.of(), "cannot decide: " + (lurm == null ? "no LURM rows" : "no raw BoI rows")));
        } else {
            List<Comparison> cs = new ArrayList<>();
            boolean all = true;
            StringBuilder worst = new StringBuilder();
            double worstRatio = Double.POSITIVE_INFINITY;
            for (String k : keys) {
                Double a = lurm.get(k), b = raw.get(k);
                if (a == null || b == null) continue;
                boolean ok = a >= LOSSLESS_RATIO * b;
                all &= ok;
                cs.add(new Comparison(k, Baselines.RAW_BOI, a, b, LOSSLESS_RATIO * b, ok));
                double ratio = a / b;
                if (ratio < worstRatio) {
                    worstRatio = ratio;
                    worst.setLength(0);
                    worst.append(k);
                }
            }
            if (cs.isEmpty()) out.add(new Claim(ALMOST_LOSSLESS, false, cs, "cannot decide: LURM and raw BoI have no task metric in common"));
            else out.add(new Claim(ALMOST_LOSSLESS, all, cs, String.format(Locale.ROOT, "%s: LURM / raw BoI >= %.2f on %d of %d task metrics; lowest ratio %.3f (%s)",
                    all ? "holds" : "fails", LOSSLESS_RATIO, cs.stream().filter(Comparison::holds).count(), cs.size(), worstRatio, worst)));
        }
        // better than peers
        if (lurm == null) {
            out.add(new Claim(BETTER_THAN_PEERS, false, List.of(), "cannot decide: no LURM rows"));
        } else {
            double lm = meanOver(lurm, keys);
            List<Comparison> cs = new ArrayList<>();
            boolean all = true;
            for (String peer : PEERS) {
                Map<String, Double> pm = byMethod.get(peer);
                if (pm == null) continue;
                double v = meanOver(pm, keys);
                boolean ok = lm >= v;
                all &= ok;
                cs.add(new Comparison("mean over task metrics", peer, lm, v, v, ok));
            }
            if (cs.isEmpty()) {
                out.add(new Claim(BETTER_THAN_PEERS, false, cs, "cannot decide: no width-matched baseline rows (" + String.join(", ", PEERS) + ")"));
            } else {
                StringBuilder sb = new StringBuilder(all ? "holds" : "fails").append(String.format(Locale.ROOT, ": LURM mean %.4f", lm));
                for (Comparison c : cs) sb.append(String.format(Locale.ROOT, "; %s %.4f%s", c.other(), c.otherValue(), c.holds() ? "" : " (higher)"));
                out.add(new Claim(BETTER_THAN_PEERS, all, cs, sb.toString()));
            }
        }
        return out;
    }

    /**
     * The verdict of a claim: {@code "holds"}, {@code "fails"}, or {@code "undecided"} when the rows lack the
     * methods it compares (no LURM rows, no raw BoI rows, no width-matched baseline).
     */
    public static String verdict(Claim c) {
        return c.comparisons().isEmpty() ? "undecided" : c.holds() ? "holds" : "fails";
    }

    /**
     * One line per claim for a terminal: {@code claim almost-lossless (logistic): holds: ...} (the claim's name
     * hyphenated, the probe, the {@link #verdict}, then the numbers behind it: every task metric of LURM against
     * raw BoI with its ratio, or LURM's mean against each peer's).
     */
    public static String line(Claim c, String probe) {
        StringBuilder sb = new StringBuilder("claim ").append(c.name().replace(' ', '-')).append(" (").append(probe).append("): ").append(verdict(c)).append(": ");
        if (c.comparisons().isEmpty()) {
            String why = c.summary();
            return sb.append(why.startsWith("cannot decide: ") ? why.substring("cannot decide: ".length()) : why).toString();
        }
        if (c.name().equals(ALMOST_LOSSLESS)) {
            long ok = c.comparisons().stream().filter(Comparison::holds).count();
            sb.append(String.format(Locale.ROOT, "LURM >= %.2f x raw BoI on %d of %d task metrics (", LOSSLESS_RATIO, ok, c.comparisons().size()));
            String sep = "";
            for (Comparison x : c.comparisons()) {
                sb.append(sep).append(String.format(Locale.ROOT, "%s %.4f vs %.4f, ratio %.3f%s", x.what(), x.lurm(), x.otherValue(), x.lurm() / x.otherValue(),
                        x.holds() ? "" : " < " + LOSSLESS_RATIO));
                sep = "; ";
            }
            return sb.append(')').toString();
        }
        sb.append(String.format(Locale.ROOT, "LURM mean %.4f", c.comparisons().get(0).lurm()));
        for (Comparison x : c.comparisons()) sb.append(String.format(Locale.ROOT, "; %s %.4f%s", x.other(), x.otherValue(), x.holds() ? "" : " (higher)"));
        return sb.toString();
    }

    /** Markdown lines: the verdict and the numbers of each claim. */
    public static String markdown(List<Claim> claims) {
        StringBuilder sb = new StringBuilder();
        for (Claim c : claims) {
            sb.append("- **").append(c.name()).append("**: ").append(c.summary()).append('\n');
            for (Comparison x : c.comparisons()) {
                sb.append(String.format(Locale.ROOT, "  - %s: LURM %.4f vs %s %.4f (needs >= %.4f) %s%n", x.what(), x.lurm(), x.other(), x.otherValue(),
                        x.threshold(), x.holds() ? "ok" : "FAILS"));
            }
        }
        return sb.toString();
    }

    private static boolean isClaimMetric(List<ResultRow> rows, ResultRow r) {
        boolean taskHasAuc = rows.stream().anyMatch(x -> x.task().equals(r.task()) && (x.metric().equals("roc_auc") || x.metric().equals("mean_roc_auc")));
        if (taskHasAuc) return r.metric().equals("roc_auc") || r.metric().equals("mean_roc_auc");
        return r.metric().equals("accuracy") || r.metric().equals("macro_f1");
    }

    private static double meanOver(Map<String, Double> m, List<String> keys) {
        double s = 0;
        int n = 0;
        for (String k : keys) {
            Double v = m.get(k);
            if (v != null && Double.isFinite(v)) {
                s += v;
                n++;
            }
        }
        return n == 0 ? Double.NaN : s / n;
    }
}
