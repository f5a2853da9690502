package org.lurm.cli.report;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.lurm.eval.ResultRow;

/** The results table as fixed-width text: mean ± std per method, the best of each line marked with *. Stateless. */
public final class TerminalTable {
    private TerminalTable() {
    }

    public static void print(PrintWriter out, List<ResultRow> rows) {
        ResultGrid g = ResultGrid.of(rows);
        if (g.lines().isEmpty()) {
            out.println("(no results)");
            return;
        }
        boolean manyDatasets = g.datasets().size() > 1;
        List<String[]> table = new ArrayList<>();
        List<String> head = new ArrayList<>();
        if (manyDatasets) head.add("dataset");
        head.add("task");
        head.add("metric");
        head.add("probe");
        head.addAll(g.methods());
        table.add(head.toArray(new String[0]));
        for (ResultGrid.Line l : g.lines()) {
            List<String> row = new ArrayList<>();
            if (manyDatasets) row.add(l.dataset());
            row.add(l.task());
            row.add(l.metric());
            row.add(l.probe());
            int best = l.best();
            for (int i = 0; i < l.cells().size(); i++) {
                ResultRow r = l.cells().get(i);
                row.add(r == null ? "-" : String.format(Locale.ROOT, "%.3f±%.3f%s", r.mean(), r.std(), i == best ? "*" : " "));
            }
            table.add(row.toArray(new String[0]));
        }
        int cols = table.get(0).length;
        int[] w = new int[cols];
        for (String[] r : table) for (int c = 0; c < cols; c++) w[c] = Math.max(w[c], r[c].length());
        int fixed = cols - g.methods().size();
        for (int t = 0; t < table.size(); t++) {
            StringBuilder sb = new StringBuilder();
            for (int c = 0; c < cols; c++) {
                String s = table.get(t)[c];
                if (c < fixed) sb.append(String.format("%-" + w[c] + "s", s));
                else sb.append(String.format("%" + w[c] + "s", s));
                sb.append(c == fixed - 1 ? " | " : "  ");
            }
            out.println(sb.toString().stripTrailing());
            if (t == 0) out.println("-".repeat(sb.toString().stripTrailing().length()));
        }
        out.println("(mean ± std over folds; * best of the line)");
    }
}
