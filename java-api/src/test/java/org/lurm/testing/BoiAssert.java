package org.lurm.testing;

import org.lurm.boi.BoiSet;
import org.lurm.testing.NaiveBoi;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Row-by-row comparison of a {@link BoiSet} with expected rows (relative tolerance on values). */
public final class BoiAssert {
    private BoiAssert() {
    }

    public static void assertMatches(List<NaiveBoi.Row> expected, BoiSet got, double relTol) {
        got.validate();
        assertEquals(expected.size(), got.numRows(), "row count");
        Map<Integer, Set<Integer>> userInterests = new HashMap<>();
        for (int r = 0; r < expected.size(); r++) {
            NaiveBoi.Row e = expected.get(r);
            String where = "row " + r + " (user " + e.user() + ", scale " + e.scale() + ", period " + e.period() + (e.history() ? ", history" : "") + ")";
            assertEquals(e.user(), got.rowUser(r), where + ": user");
            assertEquals(e.scale(), got.rowScale(r), where + ": scale");
            assertEquals(e.history(), got.isHistory(r), where + ": history flag");
            assertEquals(e.period(), got.rowPeriod(r), where + ": period");
            long a = got.rowStart(r), b = got.rowEnd(r);
            assertEquals(e.values().size(), b - a, where + ": non-zeros");
            long j = a;
            for (Map.Entry<Integer, Double> kv : e.values().entrySet()) {
                assertEquals(kv.getKey(), got.col(j), where + ": interest at " + (j - a));
                double v = got.val(j);
                assertTrue(Math.abs(v - kv.getValue()) <= relTol * Math.max(1.0, Math.abs(kv.getValue())),
                        where + ": interest " + kv.getKey() + " value " + v + " expected " + kv.getValue());
                userInterests.computeIfAbsent(e.user(), x -> new HashSet<>()).add(kv.getKey());
                j++;
            }
        }
        int[] df = new int[got.numInterests()];
        for (Set<Integer> s : userInterests.values()) for (int k : s) df[k]++;
        for (int k = 0; k < df.length; k++) assertEquals(df[k], got.df(k), "df of interest " + k);
    }

    /** Exact structural equality of two sets up to relTol on values. */
    public static void assertSame(BoiSet exp, BoiSet got, double relTol) {
        assertEquals(exp.numRows(), got.numRows(), "rows");
        assertEquals(exp.nnz(), got.nnz(), "non-zeros");
        assertEquals(exp.numUsers(), got.numUsers(), "users");
        for (long r = 0; r < exp.numRows(); r++) {
            assertEquals(exp.rowUser(r), got.rowUser(r), "row " + r + " user");
            assertEquals(exp.rowScale(r), got.rowScale(r), "row " + r + " scale");
            assertEquals(exp.isHistory(r), got.isHistory(r), "row " + r + " history");
            assertEquals(exp.rowPeriod(r), got.rowPeriod(r), "row " + r + " period");
            assertEquals(exp.rowStart(r), got.rowStart(r), "row " + r + " start");
        }
        for (long j = 0; j < exp.nnz(); j++) {
            assertEquals(exp.col(j), got.col(j), "col " + j);
            double e = exp.val(j), g = got.val(j);
            assertTrue(Math.abs(e - g) <= relTol * Math.max(1, Math.abs(e)), "value " + j + ": " + g + " vs " + e);
        }
        for (int k = 0; k < exp.numInterests(); k++) assertEquals(exp.df(k), got.df(k), "df " + k);
    }
}
