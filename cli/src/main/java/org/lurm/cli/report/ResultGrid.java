package org.lurm.cli.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.lurm.eval.ResultRow;

/**
 * The results table laid out for people: one line per (dataset, task, metric, probe), one column per method,
 * in the order they first appear. Immutable; thread-safe.
 */
public record ResultGrid(List<String> methods, List<Line> lines) {
    /** One line of the table; cells has one entry per method (null where the method has no result). */
    public record Line(String dataset, String task, String metric, String probe, List<ResultRow> cells) {
        /** Index of the best mean (all metrics here are higher-is-better), -1 when empty. */
        public int best() {
            int b = -1;
            for (int i = 0; i < cells.size(); i++) {
                ResultRow r = cells.get(i);
                if (r != null && Double.isFinite(r.mean()) && (b < 0 || r.mean() > cells.get(b).mean())) b = i;
            }
            return b;
        }
    }

    public static ResultGrid of(List<ResultRow> rows) {
        Set<String> methods = new LinkedHashSet<>();
        Map<List<String>, Map<String, ResultRow>> byKey = new LinkedHashMap<>();
        for (ResultRow r : rows) {
            methods.add(r.method());
            byKey.computeIfAbsent(List.of(r.dataset(), r.task(), r.metric(), r.probe()), k -> new LinkedHashMap<>()).put(r.method(), r);
        }
        List<String> ms = new ArrayList<>(methods);
        List<Line> lines = new ArrayList<>();
        byKey.forEach((k, v) -> {
            List<ResultRow> cells = new ArrayList<>();
            for (String m : ms) cells.add(v.get(m));
            lines.add(new Line(k.get(0), k.get(1), k.get(2), k.get(3), java.util.Collections.unmodifiableList(cells)));
        });
        return new ResultGrid(List.copyOf(ms), List.copyOf(lines));
    }

    /** Distinct datasets, in order. */
    public List<String> datasets() {
        Set<String> s = new LinkedHashSet<>();
        for (Line l : lines) s.add(l.dataset());
        return new ArrayList<>(s);
    }

    /** Distinct probes, in order. */
    public List<String> probes() {
        Set<String> s = new LinkedHashSet<>();
        for (Line l : lines) s.add(l.probe());
        return new ArrayList<>(s);
    }
}
