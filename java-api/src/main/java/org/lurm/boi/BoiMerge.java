package org.lurm.boi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.lurm.backend.cpu.Parallel;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.memory.MemoryScope;

/**
 * The additive merge of two BoI sets over the same user and interest indices: {@code merge(BoI(a), BoI(b))}
 * equals {@code BoI(a ∪ b)} for disjoint event sets a and b (up to float rounding of the sums). This is what
 * incremental updates (a new period's events) and distributed aggregation rely on.
 *
 * <p>Why it is exact with T_max: the newest T_max periods of a ∪ b are always among the visible (non-history)
 * rows of a or b, because a period folded into a's history has T_max newer periods in a already. So the merge
 * sums rows of equal period, keeps the newest T_max, and folds the rest together with both history rows.
 *
 * <p>The user space of the result is the larger of the two (dictionaries are append-only, so a later set may
 * know more users). Thread-safe (stateless).
 */
public final class BoiMerge {
    private BoiMerge() {
    }

    public static BoiSet merge(BoiSet a, BoiSet b, MemoryScope scope) {
        if (!a.config().scales().equals(b.config().scales()) || a.config().origin() != b.config().origin()) {
            throw new IllegalArgumentException("cannot merge BoI sets with different scales or origins: " + a.config() + " vs " + b.config());
        }
        if (a.numInterests() != b.numInterests()) {
            throw new IllegalArgumentException("cannot merge BoI sets over different interest sets: K=" + a.numInterests() + " vs K=" + b.numInterests());
        }
        int nUsers = Math.max(a.numUsers(), b.numUsers());
        BoiConfig cfg = a.config();
        // Summing rows of equal period and folding only merge entries: a's and b's non-zeros bound the result's.
        long bound = a.nnz() + b.nnz();
        I32Array colsAll = scope.allocateI32(bound);
        F32Array valsAll = scope.allocateF32(bound);
        BoiAggregator.ChunkOut out = new BoiAggregator.ChunkOut(colsAll, valsAll, 0, bound);
        long[] userRowPtr = new long[nUsers + 1];
        BoiAggregator.LongDoubleHash hash = new BoiAggregator.LongDoubleHash();
        List<long[]> rows = new ArrayList<>(); // {period, source (0=a,1=b), row, history?1:0}
        for (int u = 0; u < nUsers; u++) {
            userRowPtr[u] = out.rows;
            for (int s = 0; s < cfg.scales().size(); s++) {
                rows.clear();
                collect(a, 0, u, s, rows);
                collect(b, 1, u, s, rows);
                if (rows.isEmpty()) continue;
                mergeUserScale(a, b, u, s, cfg.scales().get(s).tMax(), rows, hash, out);
            }
        }
        userRowPtr[nUsers] = out.rows;

        I64Array rowPtr = scope.allocateI64(out.rows + 1L);
        for (int r = 0; r < out.rows; r++) rowPtr.set(r, out.rowStart[r]);
        rowPtr.set(out.rows, out.nnz);
        I32Array cols = colsAll.slice(0, out.nnz);
        F32Array vals = valsAll.slice(0, out.nnz);
        I32Array rowUser = scope.allocateI32(out.rows);
        I32Array rowScale = scope.allocateI32(out.rows);
        I64Array rowPeriod = scope.allocateI64(out.rows);
        rowUser.copyFrom(out.rowUser, 0, 0, out.rows);
        rowScale.copyFrom(out.rowScale, 0, 0, out.rows);
        rowPeriod.copyFrom(out.rowPeriod, 0, 0, out.rows);
        I64Array urp = scope.copyOf(userRowPtr);
        I32Array df = scope.allocateI32(a.numInterests());
        try (Parallel p = new Parallel(1)) {
            BoiAggregator.documentFrequencies(rowPtr, cols, urp, nUsers, a.numInterests(), df, p);
        }
        return new BoiSet(cfg, a.numInterests(), nUsers, rowPtr, cols, vals, rowUser, rowScale, rowPeriod, urp, df,
                a.aggregatedEvents() + b.aggregatedEvents(), a.skippedEvents() + b.skippedEvents());
    }

    private static void collect(BoiSet set, int source, int u, int s, List<long[]> rows) {
        if (u >= set.numUsers()) return;
        for (long r = set.userRowStart(u), e = set.userRowStart(u + 1); r < e; r++) {
            if (set.rowScale(r) == s) rows.add(new long[] {set.rowPeriod(r), source, r, set.isHistory(r) ? 1 : 0});
        }
    }

    private static void mergeUserScale(BoiSet a, BoiSet b, int u, int s, int tMax, List<long[]> rows,
                                       BoiAggregator.LongDoubleHash hash, BoiAggregator.ChunkOut out) {
        List<long[]> hist = new ArrayList<>();
        List<long[]> vis = new ArrayList<>();
        for (long[] r : rows) (r[3] == 1 ? hist : vis).add(r);
        vis.sort((x, y) -> Long.compare(x[0], y[0]));
        long[] distinct = vis.stream().mapToLong(r -> r[0]).distinct().toArray(); // ascending
        int fold = Math.max(0, distinct.length - tMax);
        long firstKept = fold < distinct.length ? distinct[fold] : Long.MAX_VALUE;
        List<long[]> toHistory = new ArrayList<>(hist);
        long histPeriod = Long.MIN_VALUE;
        for (long[] h : hist) histPeriod = Math.max(histPeriod, h[0]);
        for (long[] r : vis) {
            if (r[0] < firstKept) {
                toHistory.add(r);
                histPeriod = Math.max(histPeriod, r[0]);
            }
        }
        if (!toHistory.isEmpty()) emit(a, b, u, BoiSet.scaleCode(s, true), histPeriod, toHistory, hash, out);
        int i = 0;
        while (i < vis.size()) {
            long p = vis.get(i)[0];
            int j = i;
            while (j < vis.size() && vis.get(j)[0] == p) j++;
            if (p >= firstKept) emit(a, b, u, BoiSet.scaleCode(s, false), p, vis.subList(i, j), hash, out);
            i = j;
        }
    }

    /** Sums the given rows into one output row (interests ascending). */
    private static void emit(BoiSet a, BoiSet b, int u, int scaleCode, long period, List<long[]> src,
                             BoiAggregator.LongDoubleHash hash, BoiAggregator.ChunkOut out) {
        int n = 0;
        for (long[] r : src) {
            BoiSet set = r[1] == 0 ? a : b;
            n += (int) (set.rowEnd(r[2]) - set.rowStart(r[2]));
        }
        hash.reset(n);
        for (long[] r : src) {
            BoiSet set = r[1] == 0 ? a : b;
            for (long j = set.rowStart(r[2]), e = set.rowEnd(r[2]); j < e; j++) hash.add(set.col(j), set.val(j));
        }
        long[] keys = new long[hash.size()];
        hash.keys(keys);
        Arrays.sort(keys);
        out.beginRow(u, scaleCode, period);
        for (long k : keys) out.add((int) k, (float) hash.get(k));
    }
}
