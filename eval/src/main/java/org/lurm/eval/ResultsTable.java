package org.lurm.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Formats result rows as tables, one per dataset: a line per (task, metric, probe), a column per method, cells
 * "mean ± std" over the folds (3 decimals). Methods keep the order in which they first appear in the rows.
 *
 * <p><b>Thread-safety.</b> Stateless.
 */
public final class ResultsTable {
    private ResultsTable() {
    }

    /** GitHub-flavoured markdown, one "### dataset" section per dataset. */
    public static String markdown(List<ResultRow> rows) {
        StringBuilder sb = new StringBuilder();
        for (var ds : byDataset(rows).entrySet()) {
            List<String> methods = methods(ds.getValue());
            sb.append("### ").append(ds.getKey()).append("\n\n| task | metric | probe |");
            for (String m : methods) sb.append(' ').append(m).append(" |");
            sb.append("\n|---|---|---|");
            for (int i = 0; i < methods.size(); i++) sb.append("---:|");
            sb.append('\n');
            for (List<String> line : lines(ds.getValue(), methods)) {
                sb.append('|');
                for (String cell : line) sb.append(' ').append(cell).append(" |");
                sb.append('\n');
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Plain text with aligned columns, one block per dataset. */
    public static String plainText(List<ResultRow> rows) {
        StringBuilder sb = new StringBuilder();
        for (var ds : byDataset(rows).entrySet()) {
            List<String> methods = methods(ds.getValue());
            List<List<String>> table = new ArrayList<>();
            List<String> head = new ArrayList<>(List.of("task", "metric", "probe"));
            head.addAll(methods);
            table.add(head);
            table.addAll(lines(ds.getValue(), methods));
            int[] width = new int[head.size()];
            for (List<String> l : table) for (int c = 0; c < l.size(); c++) width[c] = Math.max(width[c], l.get(c).length());
            sb.append(ds.getKey()).append('\n');
            for (int r = 0; r < table.size(); r++) {
                List<String> l = table.get(r);
                StringBuilder line = new StringBuilder();
                for (int c = 0; c < l.size(); c++) {
                    String cell = l.get(c);
                    if (c > 0) line.append("  ");
                    if (c < 3) line.append(cell).append(" ".repeat(width[c] - cell.length()));
                    else line.append(" ".repeat(width[c] - cell.length())).append(cell);
                }
                sb.append(line.toString().stripTrailing()).append('\n');
                if (r == 0) {
                    int total = 0;
                    for (int w : width) total += w;
                    sb.append("-".repeat(total + 2 * (width.length - 1))).append('\n');
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** "0.712 ± 0.021" (NaN as "n/a"). */
    public static String cell(double mean, double std) {
        if (Double.isNaN(mean)) return "n/a";
        return String.format(Locale.ROOT, "%.3f ± %.3f", mean, std);
    }

    private static Map<String, List<ResultRow>> byDataset(List<ResultRow> rows) {
        Map<String, List<ResultRow>> m = new LinkedHashMap<>();
        for (ResultRow r : rows) m.computeIfAbsent(r.dataset(), k -> new ArrayList<>()).add(r);
        return m;
    }

    private static List<String> methods(List<ResultRow> rows) {
        Set<String> s = new LinkedHashSet<>();
        for (ResultRow r : rows) s.add(r.method());
        return new ArrayList<>(s);
    }

    private static List<List<String>> lines(List<ResultRow> rows, List<String> methods) {
        Map<String, Map<String, ResultRow>> byLine = new LinkedHashMap<>();
        for (ResultRow r : rows) byLine.computeIfAbsent(r.task() + "\u0000" + r.metric() + "\u0000" + r.probe(), k -> new LinkedHashMap<>()).put(r.method(), r);
        // order: task (first appearance), then probe, then metric (first appearance)
        List<String> keys = new ArrayList<>(byLine.keySet());
        List<String> tasks = new ArrayList<>(), probes = new ArrayList<>(), metrics = new ArrayList<>();
        for (ResultRow r : rows) {
            if (!tasks.contains(r.task())) tasks.add(r.task());
            if (!probes.contains(r.probe())) probes.add(r.probe());
            if (!metrics.contains(r.metric())) metrics.add(r.metric());
        }
        keys.sort((a, b) -> {
            String[] x = a.split("\u0000"), y = b.split("\u0000");
            int c = Integer.compare(tasks.indexOf(x[0]), tasks.indexOf(y[0]));
            if (c == 0) c = Integer.compare(probes.indexOf(x[2]), probes.indexOf(y[2]));
            if (c == 0) c = Integer.compare(metrics.indexOf(x[1]), metrics.indexOf(y[1]));
            return c;
        });
        List<List<String>> out = new ArrayList<>();
        for (String k : keys) {
            String[] p = k.split("\u0000");
            List<String> line = new ArrayList<>(List.of(p[0], p[1], p[2]));
            Map<String, ResultRow> cells = byLine.get(k);
            for (String m : methods) {
                ResultRow r = cells.get(m);
                line.add(r == null ? "" : cell(r.mean(), r.std()));
            }
            out.add(line);
        }
        return out;
    }
}
