package org.lurm.testing;

import org.lurm.boi.BoiAggregator;
import org.lurm.boi.BoiConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.lurm.events.EventTable;

/**
 * The straightforward BoI aggregation: one boxed HashMap of interest sums per (user, scale, period), then
 * per (user, scale) the periods sorted and all but the newest tMax summed into a history row. Written
 * independently of {@link BoiAggregator}; the oracle for its tests and the yardstick of its benchmark.
 */
public final class NaiveBoi {
    /** One expected row. */
    public record Row(int user, int scale, boolean history, long period, TreeMap<Integer, Double> values) {
    }

    private NaiveBoi() {
    }

    public static List<Row> aggregate(EventTable ev, int[] itemInterest, BoiConfig cfg) {
        // key: user, scale, period -> interest -> sum
        Map<List<Long>, Map<Integer, Double>> cells = new HashMap<>();
        for (long i = 0; i < ev.size(); i++) {
            int k = itemInterest[ev.item(i)];
            if (k < 0) {
                if (cfg.lenient()) continue;
                throw new IllegalArgumentException("item without interest");
            }
            double w = (double) (ev.weight(i) * cfg.typeWeight(ev.type(i)));
            if (w == 0) continue;
            for (int s = 0; s < cfg.scales().size(); s++) {
                long p = Math.floorDiv(ev.timestamp(i) - cfg.origin(), cfg.scales().get(s).periodSeconds());
                cells.computeIfAbsent(List.of((long) ev.user(i), (long) s, p), x -> new HashMap<>()).merge(k, w, Double::sum);
            }
        }
        // group by (user, scale)
        TreeMap<List<Long>, TreeMap<Long, Map<Integer, Double>>> byUserScale = new TreeMap<>((x, y) -> {
            int c = Long.compare(x.get(0), y.get(0));
            return c != 0 ? c : Long.compare(x.get(1), y.get(1));
        });
        for (Map.Entry<List<Long>, Map<Integer, Double>> e : cells.entrySet()) {
            List<Long> k = e.getKey();
            byUserScale.computeIfAbsent(List.of(k.get(0), k.get(1)), x -> new TreeMap<>()).put(k.get(2), e.getValue());
        }
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<List<Long>, TreeMap<Long, Map<Integer, Double>>> e : byUserScale.entrySet()) {
            int u = (int) (long) e.getKey().get(0), s = (int) (long) e.getKey().get(1);
            int tMax = cfg.scales().get(s).tMax();
            List<Long> periods = new ArrayList<>(e.getValue().keySet());
            int fold = Math.max(0, periods.size() - tMax);
            if (fold > 0) {
                TreeMap<Integer, Double> h = new TreeMap<>();
                for (int q = 0; q < fold; q++) e.getValue().get(periods.get(q)).forEach((k, v) -> h.merge(k, v, Double::sum));
                rows.add(new Row(u, s, true, periods.get(fold - 1), h));
            }
            for (int q = fold; q < periods.size(); q++) rows.add(new Row(u, s, false, periods.get(q), new TreeMap<>(e.getValue().get(periods.get(q)))));
        }
        return rows;
    }
}
