package org.lurm.smen;

import org.lurm.SmenConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.boi.BoiAggregator;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.boi.Scale;
import org.lurm.events.EventTableBuilder;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

class SmenInputsTest {
    static BoiSet randomBoi(MemoryScope scope, SplittableRandom r, int users, int k) {
        EventTableBuilder b = new EventTableBuilder();
        for (int u = 0; u < users; u++) {
            int n = u == 0 ? 1 : 1 + r.nextInt(60); // user 0 has a single event: not trainable
            for (int e = 0; e < n; e++) {
                // User 0's one event has weight 1: trainable() counts weight units (BoI rows keep no event
                // counts), so a single event of weight >= 2 would count as two.
                float w = u != 0 && r.nextInt(4) == 0 ? 0.5f + r.nextInt(5) * 0.75f : 1f;
                b.add("u" + u, "i" + r.nextInt(k), 1_500_000_000L + r.nextLong(3L * 365 * Scale.DAY), w);
            }
        }
        int items = b.items().size();
        int[] map = new int[items];
        for (int i = 0; i < items; i++) map[i] = Integer.parseInt(b.items().id(i).substring(1));
        return BoiAggregator.aggregate(b.build(scope), scope.copyOf(map), k, BoiConfig.of(Scale.days(30, 6), Scale.days(365, 2)), scope);
    }

    /** Sum of raw counts per (user, scale, period-or-history, interest), recovered from a batch's weighted values. */
    static Map<String, Double> raw(SmenBatch b, SmenInputs in, int[] users) {
        Map<String, Double> m = new HashMap<>();
        for (int q = 0; q < b.users(); q++) {
            for (int s = 0; s < b.scales(); s++) {
                for (int t = b.groupFrom(q, s); t < b.groupTo(q, s); t++) {
                    for (int j = b.rowPtr()[t]; j < b.rowPtr()[t + 1]; j++) {
                        int k = b.cols()[j];
                        double x = Math.expm1(b.vals()[j] / in.boi().idf(k));
                        m.merge(users[q] + "/" + s + "/" + k, x, Double::sum);
                    }
                }
            }
        }
        return m;
    }

    @Test
    void viewsAreADisjointSplitOfEveryCount() {
        SplittableRandom r = new SplittableRandom(TestData.seed("views"));
        try (MemoryScope scope = MemoryScope.root("t")) {
            BoiSet boi = randomBoi(scope, r, 40, 30);
            SmenInputs in = new SmenInputs(boi, 16);
            int[] users = new int[40];
            for (int u = 0; u < 40; u++) users[u] = u;
            SmenBatch full = in.full(users);
            SmenBatch[] v = in.views(users, r, 1.0);
            Map<String, Double> f = raw(full, in, users), a = raw(v[0], in, users), bb = raw(v[1], in, users);
            for (Map.Entry<String, Double> e : f.entrySet()) {
                double sum = a.getOrDefault(e.getKey(), 0.0) + bb.getOrDefault(e.getKey(), 0.0);
                assertEquals(e.getValue(), sum, 1e-3 * Math.max(1, e.getValue()), "A + B = whole for " + e.getKey());
            }
            assertTrue(f.keySet().containsAll(a.keySet()) && f.keySet().containsAll(bb.keySet()));
            // Empty rows are dropped: every kept row has a non-zero.
            for (SmenBatch x : v) for (int t = 0; t < x.rows(); t++) assertTrue(x.rowPtr()[t + 1] > x.rowPtr()[t]);
            assertFalse(in.trainable(0), "a single event cannot give two disjoint views");
        }
    }

    @Test
    void splitIsBinomialHalf() {
        SplittableRandom r = new SplittableRandom(TestData.seed("binomial"));
        for (float x : new float[] {1f, 7f, 64f, 200f, 3.5f}) {
            int n = 20000;
            double s = 0, ss = 0;
            for (int i = 0; i < n; i++) {
                double a = SmenInputs.shareA(x, r.nextLong());
                assertTrue(a >= 0 && a <= x);
                s += a;
                ss += a * a;
            }
            double mean = s / n, var = ss / n - mean * mean;
            double units = Math.floor(x), frac = x - units;
            double expVar = units / 4 + frac * frac / 4;
            assertEquals(x / 2, mean, 5 * Math.sqrt(expVar / n) + 1e-9, "mean of A's share of " + x);
            assertEquals(expVar, var, 0.1 * expVar + 1e-9, "variance of A's share of " + x);
        }
    }

    @Test
    void fullBatchCarriesWeightedValuesAndRecencyBuckets() {
        SplittableRandom r = new SplittableRandom(TestData.seed("full"));
        try (MemoryScope scope = MemoryScope.root("t")) {
            BoiSet boi = randomBoi(scope, r, 12, 20);
            SmenInputs in = new SmenInputs(boi, 8);
            int[] users = {3, 1, 7};
            SmenBatch b = in.full(users);
            int t = 0;
            for (int q = 0; q < users.length; q++) {
                for (long row = boi.userRowStart(users[q]); row < boi.userRowStart(users[q] + 1); row++, t++) {
                    assertEquals(in.bucket(row), b.rowBucket()[t]);
                    if (boi.isHistory(row)) assertEquals(7, b.rowBucket()[t], "history rows in the last bucket");
                    long j0 = boi.rowStart(row);
                    for (int j = b.rowPtr()[t]; j < b.rowPtr()[t + 1]; j++, j0++) {
                        assertEquals(boi.col(j0), b.cols()[j]);
                        assertEquals((float) Math.log1p(boi.val(j0)) * boi.idf(boi.col(j0)), b.vals()[j], 1e-6f);
                    }
                }
            }
            assertEquals(t, b.rows());
            // Bucket = min(R-2, floor(log2(1 + age))).
            long[] ref = in.referencePeriods();
            for (long row = 0; row < boi.numRows(); row++) {
                if (boi.isHistory(row)) continue;
                long age = ref[boi.rowScale(row)] - boi.rowPeriod(row);
                int expect = Math.min(6, (int) Math.floor(Math.log(1 + age) / Math.log(2) + 1e-12));
                assertEquals(expect, in.bucket(row), "age " + age);
            }
        }
    }

    @Test
    void periodCropKeepsAContiguousWindow() {
        SplittableRandom r = new SplittableRandom(TestData.seed("crop"));
        try (MemoryScope scope = MemoryScope.root("t")) {
            BoiSet boi = randomBoi(scope, r, 20, 20);
            SmenInputs in = new SmenInputs(boi, 16);
            int[] users = new int[20];
            for (int u = 0; u < 20; u++) users[u] = u;
            SmenBatch full = in.full(users);
            SmenBatch[] v = in.views(users, r, 0.5);
            for (int q = 0; q < 20; q++) {
                for (int s = 0; s < 2; s++) {
                    int n = full.groupTo(q, s) - full.groupFrom(q, s);
                    for (SmenBatch x : v) assertTrue(x.groupTo(q, s) - x.groupFrom(q, s) <= Math.max(1, (int) Math.ceil(0.5 * n)));
                }
            }
        }
    }

    /**
     * The volume sink is data: every row gets interest K with weight 1 at its end, and with ROWS_AND_PERIODS every
     * (user, scale) with rows one more row holding only it in the oldest bucket; everything else is the sinkless
     * batch's, views included (same split).
     */
    @Test
    void volumeSinkAddsTheSinkToEveryRowAndOneSinkRowPerGroup() {
        SplittableRandom r = new SplittableRandom(TestData.seed("volumeSink"));
        try (MemoryScope scope = MemoryScope.root("sink")) {
            BoiSet boi = randomBoi(scope, r, 30, 25);
            int k = boi.numInterests(), buckets = 8;
            SmenInputs plain = new SmenInputs(boi, buckets);
            int[] users = new int[boi.numUsers()];
            for (int u = 0; u < users.length; u++) users[u] = u;
            for (SmenConfig.VolumeSink mode : new SmenConfig.VolumeSink[] {SmenConfig.VolumeSink.ROWS, SmenConfig.VolumeSink.ROWS_AND_PERIODS}) {
                SmenInputs sunk = plain.withVolumeSink(mode);
                long seed = r.nextLong();
                SmenBatch[][] pairs = {{plain.full(users), sunk.full(users)},
                        {plain.views(users, new SplittableRandom(seed), 1.0)[1], sunk.views(users, new SplittableRandom(seed), 1.0)[1]}};
                for (SmenBatch[] pair : pairs) {
                    SmenBatch a = pair[0], b = pair[1];
                    for (int q = 0; q < a.users(); q++) {
                        for (int sc = 0; sc < a.scales(); sc++) {
                            int ta = a.groupFrom(q, sc), na = a.groupTo(q, sc) - ta, tb = b.groupFrom(q, sc), nb = b.groupTo(q, sc) - tb;
                            int extra = mode == SmenConfig.VolumeSink.ROWS_AND_PERIODS && na > 0 ? 1 : 0;
                            assertEquals(na + extra, nb, "rows of user " + q + " scale " + sc);
                            for (int t = 0; t < na; t++) {
                                int ra = ta + t, rb = tb + t;
                                int len = a.rowPtr()[ra + 1] - a.rowPtr()[ra];
                                assertEquals(len + 1, b.rowPtr()[rb + 1] - b.rowPtr()[rb]);
                                for (int j = 0; j < len; j++) {
                                    assertEquals(a.cols()[a.rowPtr()[ra] + j], b.cols()[b.rowPtr()[rb] + j]);
                                    assertEquals(a.vals()[a.rowPtr()[ra] + j], b.vals()[b.rowPtr()[rb] + j]);
                                }
                                assertEquals(k, b.cols()[b.rowPtr()[rb] + len]);
                                assertEquals(1f, b.vals()[b.rowPtr()[rb] + len]);
                                assertEquals(a.rowBucket()[ra], b.rowBucket()[rb]);
                            }
                            if (extra == 1) {
                                int rb = tb + na;
                                assertEquals(1, b.rowPtr()[rb + 1] - b.rowPtr()[rb]);
                                assertEquals(k, b.cols()[b.rowPtr()[rb]]);
                                assertEquals(buckets - 1, b.rowBucket()[rb]);
                            }
                        }
                    }
                }
            }
            SmenConfig cfg = SmenConfig.builder().volumeSink(SmenConfig.VolumeSink.ROWS).build();
            SmenLayout layout = new SmenLayout(cfg, k, boi.config().scales().size());
            assertEquals(k + 1, layout.numInterests());
            assertEquals(k, layout.boiInterests());
            assertEquals(k, layout.sinkInterest());
            assertEquals(-1, new SmenLayout(SmenConfig.defaults().toBuilder().volumeSink(SmenConfig.VolumeSink.NONE).build(), k, 2).sinkInterest());
        }
    }
}
