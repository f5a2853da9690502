package org.lurm.boi;

import org.lurm.testing.BoiAssert;
import org.lurm.testing.NaiveBoi;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.events.IdDictionary;
import org.lurm.memory.I32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

class BoiAggregatorTest {
    static final double TOL = 1e-5;

    /** Random events over users/items/types, timestamps spread over years on both sides of the origin. */
    static EventTableBuilder randomEvents(SplittableRandom rnd, int users, int items, int events, long t0, long spanSeconds, boolean sortedByUser) {
        IdDictionary ud = new IdDictionary(), id = new IdDictionary(), td = EventTableBuilder.defaultTypes();
        for (int u = 0; u < users; u++) ud.add("u" + u);
        for (int i = 0; i < items; i++) id.add("i" + i);
        td.add("click");
        td.add("buy");
        EventTableBuilder b = new EventTableBuilder(ud, id, td);
        int[] us = new int[events];
        for (int e = 0; e < events; e++) us[e] = rnd.nextInt(users);
        if (sortedByUser) java.util.Arrays.sort(us);
        for (int e = 0; e < events; e++) {
            float w = rnd.nextInt(10) == 0 ? 0f : (float) (rnd.nextDouble() * 3);
            b.addIndexed(us[e], rnd.nextInt(items), t0 + (long) (rnd.nextDouble() * spanSeconds), w, rnd.nextInt(3));
        }
        return b;
    }

    static int[] randomInterests(SplittableRandom rnd, int items, int k) {
        int[] m = new int[items];
        for (int i = 0; i < items; i++) m[i] = rnd.nextInt(k);
        return m;
    }

    static BoiConfig smallConfig(long origin) {
        return BoiConfig.of(new Scale("7d", 7 * Scale.DAY, 5), Scale.days(30, 3), Scale.days(365, 2)).withOrigin(origin).withTypeWeights(1f, 0.5f, 3f);
    }

    /**
     * Users of 100 events take the radix path at the 30- and 365-day scales and the packed-key sort at 7 days (417
     * periods); users of 300 events ("K=300, users=20") take the radix path at every scale, with two radix passes.
     * The last two rows are large enough (400,000 events x 3 scales x 4 bytes > 4 MiB) for the result's non-zeros
     * to be mapped memory (MemoryScope's large-page path) and for 16 chunks whose gaps the aggregator closes.
     */
    @ParameterizedTest(name = "{0} threads={1} sorted={2} K={3} users={4} events={5}")
    @CsvSource({"cpu,1,false,50,60,6000", "cpu,2,false,50,60,6000", "cpu-scalar,2,true,50,60,6000", "cpu,2,true,1000000,60,6000",
            "cpu,2,false,7,60,6000", "cpu,2,true,300,20,6000", "cpu,2,true,5000,3000,400000", "cpu,2,false,5000,3000,400000"})
    void matchesNaiveOnRandomEvents(String backendName, int threads, boolean sorted, int k, int users, int events) {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("boi-random"));
        try (MemoryScope scope = MemoryScope.root("test");
             Backend be = Backends.select(backendName).create(threads)) {
            EventTable ev = randomEvents(rnd, users, 300, events, -2 * 365 * Scale.DAY, 6 * 365 * Scale.DAY, sorted).build(scope);
            int[] interest = randomInterests(rnd, 300, k);
            BoiConfig cfg = smallConfig(rnd.nextInt(1_000_000));
            BoiSet got = be.aggregate(ev, scope.copyOf(interest), k, cfg, scope);
            BoiAssert.assertMatches(NaiveBoi.aggregate(ev, interest, cfg), got, TOL);
            assertTrue(got.nnz() <= 3L * ev.size(), "never more non-zeros than event-scale pairs");
            assertTrue(got.numRows() > 60, "several rows per user");
        }
    }

    @Test
    void historyRowHoldsEverythingOlderThanTmax() {
        try (MemoryScope scope = MemoryScope.root("test")) {
            EventTableBuilder b = new EventTableBuilder();
            // 6 monthly periods with one event each on interest = period index (0..5), T_max = 2.
            for (int p = 0; p < 6; p++) b.add("u", "i" + p, p * 30 * Scale.DAY + 5, 1f);
            EventTable ev = b.build(scope);
            BoiConfig cfg = BoiConfig.of(Scale.days(30, 2));
            BoiSet s = BoiAggregator.aggregate(ev, scope.copyOf(new int[] {0, 1, 2, 3, 4, 5}), 6, cfg, scope);
            assertEquals(3, s.numRows());
            assertTrue(s.isHistory(0));
            assertEquals(3, s.rowPeriod(0), "history period = newest folded period");
            assertEquals(4, s.rowEnd(0) - s.rowStart(0), "periods 0..3 folded into history");
            assertEquals(4, s.rowPeriod(1));
            assertEquals(5, s.rowPeriod(2));
            double total = 0;
            for (long j = 0; j < s.nnz(); j++) total += s.val(j);
            assertEquals(6.0, total, 1e-6, "nothing of the life is dropped");
        }
    }

    @Test
    void edgeCases() {
        try (MemoryScope scope = MemoryScope.root("test")) {
            BoiConfig cfg = BoiConfig.defaults();
            // Empty table.
            BoiSet empty = BoiAggregator.aggregate(new EventTableBuilder().build(scope), scope.allocateI32(0), 4, cfg, scope);
            assertEquals(0, empty.numRows());
            assertEquals(0, empty.numUsers());
            empty.validate();
            // One event, one user, one item, K far above the number of items.
            EventTableBuilder one = new EventTableBuilder();
            one.add("u", "i", 1_000_000_000L, 2.5f);
            BoiSet s1 = BoiAggregator.aggregate(one.build(scope), scope.copyOf(new int[] {999_999}), 1_000_000, cfg, scope);
            assertEquals(2, s1.numRows(), "one row per scale");
            assertEquals(999_999, s1.col(0));
            assertEquals(2.5f, s1.val(1));
            assertEquals(1, s1.df(999_999));
            assertEquals(1_000_000_000L / (30 * Scale.DAY), s1.rowPeriod(0));
            // Timestamps before the origin: floor division, not truncation.
            EventTableBuilder neg = new EventTableBuilder();
            neg.add("u", "i", -1, 1f);
            neg.add("u", "i", -30 * Scale.DAY, 1f);
            neg.add("u", "i", -30 * Scale.DAY - 1, 1f);
            BoiSet sn = BoiAggregator.aggregate(neg.build(scope), scope.copyOf(new int[] {0}), 1, BoiConfig.of(Scale.days(30, 8)), scope);
            assertEquals(2, sn.numRows());
            assertEquals(-2, sn.rowPeriod(0));
            assertEquals(1f, sn.val(0));
            assertEquals(-1, sn.rowPeriod(1));
            assertEquals(2f, sn.val(1));
            // A user in the dictionary without events has no rows; empty periods between active ones have none.
            EventTableBuilder gaps = new EventTableBuilder();
            gaps.users().add("silent");
            gaps.add("a", "i", 0, 1f);
            gaps.add("a", "i", 400 * Scale.DAY, 1f);
            BoiSet sg = BoiAggregator.aggregate(gaps.build(scope), scope.copyOf(new int[] {0}), 1, BoiConfig.of(Scale.days(30, 64)), scope);
            assertEquals(0, sg.userRowStart(1) - sg.userRowStart(0));
            assertEquals(2, sg.numRows());
            sg.validate();
        }
    }

    @Test
    void itemsWithoutInterestAreAnErrorOrCountedWhenLenient() {
        try (MemoryScope scope = MemoryScope.root("test")) {
            EventTableBuilder b = new EventTableBuilder();
            b.add("u1", "known", 10, 1f);
            b.add("u1", "unknown", 20, 1f);
            b.add("u2", "unknown", 30, 1f);
            EventTable ev = b.build(scope);
            I32Array map = scope.copyOf(new int[] {0, -1});
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BoiAggregator.aggregate(ev, map, 2, BoiConfig.defaults(), scope));
            assertTrue(e.getMessage().contains("'unknown'"), e.getMessage());
            BoiSet s = BoiAggregator.aggregate(ev, map, 2, BoiConfig.defaults().withLenient(true), scope);
            assertEquals(2, s.skippedEvents());
            assertEquals(1, s.aggregatedEvents());
            assertThrows(IllegalArgumentException.class, () -> BoiAggregator.aggregate(ev, scope.copyOf(new int[] {0, 5}), 2, BoiConfig.defaults(), scope),
                    "interest index >= K");
            assertThrows(IllegalArgumentException.class, () -> BoiAggregator.aggregate(ev, scope.copyOf(new int[] {0}), 2, BoiConfig.defaults(), scope),
                    "item table shorter than the item dictionary");
        }
    }

    @Test
    void absurdTimestampSpanIsAClearError() {
        try (MemoryScope scope = MemoryScope.root("test")) {
            EventTableBuilder b = new EventTableBuilder();
            b.add("u", "i", Long.MIN_VALUE / 2, 1f);
            b.add("u", "i", Long.MAX_VALUE / 2, 1f);
            EventTable ev = b.build(scope);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BoiAggregator.aggregate(ev, scope.copyOf(new int[] {0}), 1 << 20, BoiConfig.of(new Scale("1s", 1, 4)), scope));
            assertTrue(e.getMessage().contains("timestamp unit"), e.getMessage());
        }
    }

    @Test
    void weightingAtUse() {
        try (MemoryScope scope = MemoryScope.root("test")) {
            EventTableBuilder b = new EventTableBuilder();
            b.add("a", "x", 0, 3f);
            b.add("b", "y", 0, 1f);
            BoiSet s = BoiAggregator.aggregate(b.build(scope), scope.copyOf(new int[] {0, 1}), 3, BoiConfig.of(Scale.days(30, 4)), scope);
            // U = 2 users, df_0 = 1: idf = log(3/2) + 1
            assertEquals(Math.log(1.5) + 1, s.idf(0), 1e-6);
            assertEquals(Math.log(3.0) + 1, s.idf(2), 1e-6, "unused interest: df 0");
            assertEquals((float) Math.log1p(3) * s.idf(0), s.weighted(0), 1e-6);
        }
    }

    @Test
    void mergeOfDisjointPartsEqualsWhole() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("boi-merge"));
        try (MemoryScope scope = MemoryScope.root("test")) {
            EventTable all = randomEvents(rnd, 40, 200, 5000, 0, 5 * 365 * Scale.DAY, false).build(scope);
            int[] interest = randomInterests(rnd, 200, 64);
            BoiConfig cfg = smallConfig(0);
            // Random split and time split (an incremental update: the later part extends the user dictionary).
            for (String mode : List.of("random", "time")) {
                long cut = 3 * 365 * Scale.DAY + rnd.nextInt(1000);
                EventTableBuilder a = new EventTableBuilder(all.users(), all.items(), all.types());
                EventTableBuilder b = new EventTableBuilder(all.users(), all.items(), all.types());
                for (long i = 0; i < all.size(); i++) {
                    boolean toA = mode.equals("random") ? rnd.nextBoolean() : all.timestamp(i) < cut;
                    (toA ? a : b).addIndexed(all.user(i), all.item(i), all.timestamp(i), all.weight(i), all.type(i));
                }
                I32Array map = scope.copyOf(interest);
                BoiSet whole = BoiAggregator.aggregate(all, map, 64, cfg, scope);
                BoiSet merged = BoiMerge.merge(BoiAggregator.aggregate(a.build(scope), map, 64, cfg, scope),
                        BoiAggregator.aggregate(b.build(scope), map, 64, cfg, scope), scope);
                merged.validate();
                BoiAssert.assertSame(whole, merged, 1e-5);
                assertEquals(whole.aggregatedEvents(), merged.aggregatedEvents());
            }
        }
    }

    @Test
    void mergeRejectsMismatchedSets() {
        try (MemoryScope scope = MemoryScope.root("test")) {
            EventTableBuilder b = new EventTableBuilder();
            b.add("u", "i", 0, 1f);
            EventTable ev = b.build(scope);
            BoiSet x = BoiAggregator.aggregate(ev, scope.copyOf(new int[] {0}), 2, BoiConfig.defaults(), scope);
            BoiSet y = BoiAggregator.aggregate(ev, scope.copyOf(new int[] {0}), 3, BoiConfig.defaults(), scope);
            BoiSet z = BoiAggregator.aggregate(ev, scope.copyOf(new int[] {0}), 2, BoiConfig.of(Scale.days(7, 3)), scope);
            assertThrows(IllegalArgumentException.class, () -> BoiMerge.merge(x, y, scope));
            assertThrows(IllegalArgumentException.class, () -> BoiMerge.merge(x, z, scope));
        }
    }
}
