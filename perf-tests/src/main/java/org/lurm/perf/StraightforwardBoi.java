package org.lurm.perf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.lurm.boi.BoiConfig;
import org.lurm.events.EventTable;

/**
 * The yardstick for BoI aggregation (PERFORMANCE.md): what a Java developer would write first. One
 * {@code HashMap<Integer, Float>} of interest sums per (user, scale, period) cell, keyed by a packed long, then
 * per (user, scale) the periods sorted, the oldest folded into a history row, and the rows emitted in CSR order.
 * Same output as {@link org.lurm.boi.BoiAggregator} (checked by StraightforwardBoiTest), single-threaded.
 */
public final class StraightforwardBoi {
    /** CSR result: parallel lists, enough to compare with and to keep the JIT from discarding work. */
    public record Result(long[] rowPtr, int[] cols, float[] vals, int[] rowUser, int[] rowScale, long[] rowPeriod) {
    }

    private StraightforwardBoi() {
    }

    public static Result aggregate(EventTable ev, int[] itemInterest, BoiConfig cfg) {
        int nScales = cfg.scales().size();
        // (user, scale) -> (period -> (interest -> sum))
        Map<Long, Map<Long, Map<Integer, Float>>> cells = new HashMap<>();
        for (long i = 0; i < ev.size(); i++) {
            int k = itemInterest[ev.item(i)];
            float w = ev.weight(i) * cfg.typeWeight(ev.type(i));
            if (k < 0 || w == 0f) continue;
            for (int s = 0; s < nScales; s++) {
                long p = Math.floorDiv(ev.timestamp(i) - cfg.origin(), cfg.scales().get(s).periodSeconds());
                cells.computeIfAbsent((long) ev.user(i) * nScales + s, x -> new HashMap<>())
                        .computeIfAbsent(p, x -> new HashMap<>())
                        .merge(k, w, Float::sum);
            }
        }
        Long[] userScales = cells.keySet().toArray(new Long[0]);
        Arrays.sort(userScales);
        List<Long> rowPtr = new ArrayList<>();
        List<Integer> cols = new ArrayList<>();
        List<Float> vals = new ArrayList<>();
        List<Integer> rowUser = new ArrayList<>(), rowScale = new ArrayList<>();
        List<Long> rowPeriod = new ArrayList<>();
        for (Long us : userScales) {
            int u = (int) (us / nScales), s = (int) (us % nScales);
            Map<Long, Map<Integer, Float>> periods = cells.get(us);
            Long[] ps = periods.keySet().toArray(new Long[0]);
            Arrays.sort(ps);
            int fold = Math.max(0, ps.length - cfg.scales().get(s).tMax());
            if (fold > 0) {
                Map<Integer, Float> h = new HashMap<>();
                for (int q = 0; q < fold; q++) periods.get(ps[q]).forEach((k, v) -> h.merge(k, v, Float::sum));
                emit(h, u, s | (1 << 16), ps[fold - 1], rowPtr, cols, vals, rowUser, rowScale, rowPeriod);
            }
            for (int q = fold; q < ps.length; q++) emit(periods.get(ps[q]), u, s, ps[q], rowPtr, cols, vals, rowUser, rowScale, rowPeriod);
        }
        rowPtr.add((long) cols.size());
        float[] v = new float[vals.size()];
        for (int i = 0; i < v.length; i++) v[i] = vals.get(i);
        return new Result(rowPtr.stream().mapToLong(Long::longValue).toArray(), cols.stream().mapToInt(Integer::intValue).toArray(), v,
                rowUser.stream().mapToInt(Integer::intValue).toArray(), rowScale.stream().mapToInt(Integer::intValue).toArray(),
                rowPeriod.stream().mapToLong(Long::longValue).toArray());
    }

    private static void emit(Map<Integer, Float> row, int u, int scaleCode, long period, List<Long> rowPtr, List<Integer> cols, List<Float> vals,
                             List<Integer> rowUser, List<Integer> rowScale, List<Long> rowPeriod) {
        rowPtr.add((long) cols.size());
        rowUser.add(u);
        rowScale.add(scaleCode);
        rowPeriod.add(period);
        Integer[] ks = row.keySet().toArray(new Integer[0]);
        Arrays.sort(ks);
        for (Integer k : ks) {
            cols.add(k);
            vals.add(row.get(k));
        }
    }
}
