package org.lurm.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.boi.BoiAggregator;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.boi.Scale;
import org.lurm.events.EventTable;
import org.lurm.events.io.MovieLens;
import org.lurm.memory.MemoryScope;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
import org.lurm.testing.TestData;

/** Spark BoI rows against the local library, row for row, on real and fresh synthetic data; incremental; bad input. */
class SparkBoiTest {
    private static int[] randomInterests(int items, int k, SplittableRandom rnd) {
        int[] a = new int[items];
        for (int i = 0; i < items; i++) a[i] = rnd.nextInt(k);
        return a;
    }

    @Test
    void movieLensRowsEqualLocalRowForRow() throws Exception {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("spark-boi-ml1m"));
        try (MemoryScope scope = MemoryScope.root("test")) {
            EventTable ev = MovieLens.read1m(TestData.dataset("movielens-1m-subset"), scope).events();
            int k = Math.max(16, ev.numItems() / 2);
            int[] interest = randomInterests(ev.numItems(), k, rnd);
            // A 1-day scale with T_max 4 exercises history rows on real timestamps; type index = stars.
            BoiConfig cfg = BoiConfig.of(new Scale("1d", Scale.DAY, 4), Scale.days(30, 64), Scale.days(365, 16)).withTypeWeights(0f, 1f, 1f, 2f, 3f, 4f);
            BoiSet local = BoiAggregator.aggregate(ev, scope.copyOf(interest), k, cfg, scope);

            var spark = SparkTestSupport.spark();
            Broadcast<ItemInterests> bi = SparkBoi.broadcast(spark, ItemInterests.of(ev.items(), scope.copyOf(interest), k));
            BoiCounters counters = BoiCounters.register(spark, "ml1m");
            Dataset<Row> rows = SparkBoi.aggregate(SparkTestSupport.frame(ev), EventColumns.defaults().withType("type"), bi,
                    BoiSpec.of(cfg, ev.types()), 3, counters);
            Map<String, Row> got = SparkTestSupport.byKey(rows);
            // Integer weights: sums are exact whatever the order, so the values are bit-equal.
            SparkTestSupport.assertSameRows(local, ev, got, 0);
            assertEquals(ev.size(), counters.aggregatedEvents());
            assertEquals(0, counters.skippedUnknownItem() + counters.skippedMalformed());
            long hist = got.values().stream().filter(r -> r.getBoolean(3)).count();
            assertTrue(hist > 0, "history rows exercised");

            int[] df = SparkBoi.documentFrequencies(rows, k);
            for (int q = 0; q < k; q++) assertEquals(local.df(q), df[q], "df of interest " + q);
        }
    }

    @Test
    void syntheticRowsEqualLocalAndIncrementalEqualsFullRecompute(@TempDir Path dir) {
        long seed = TestData.seed("spark-boi-synth");
        SplittableRandom rnd = new SplittableRandom(seed);
        LifeCycleConfig lc = LifeCycleConfig.tiny().toBuilder().users(300).seed(seed).build();
        try (MemoryScope scope = MemoryScope.root("test")) {
            EventTable ev = LifeCycleGenerator.generate(lc, scope).events();
            int k = 40;
            int[] interest = randomInterests(ev.numItems(), k, rnd);
            // Small T_max: most users fold periods into their history row, the hard part of merging.
            BoiConfig cfg = BoiConfig.of(Scale.days(30, 4), Scale.days(365, 2)).withTypeWeights(1f, 1.5f, 3f);
            BoiSpec spec = BoiSpec.of(cfg, ev.types());
            BoiSet local = BoiAggregator.aggregate(ev, scope.copyOf(interest), k, cfg, scope);
            var spark = SparkTestSupport.spark();
            Broadcast<ItemInterests> bi = SparkBoi.broadcast(spark, ItemInterests.of(ev.items(), scope.copyOf(interest), k));
            EventColumns cols = EventColumns.defaults().withType("type");
            Map<String, Row> full = SparkTestSupport.byKey(SparkBoi.aggregate(SparkTestSupport.frame(ev), cols, bi, spec, 0, null));
            SparkTestSupport.assertSameRows(local, ev, full, 1e-6);

            // Incremental by time: everything before the newest 30-day period is stored, then the new period arrives.
            long cut = Math.floorDiv(ev.timeRange()[1], 30 * Scale.DAY) * 30 * Scale.DAY;
            List<Row> before = new ArrayList<>(), after = new ArrayList<>();
            List<Row> all = SparkTestSupport.frame(ev).collectAsList();
            for (Row r : all) (r.getLong(2) < cut ? before : after).add(r);
            assertTrue(!before.isEmpty() && !after.isEmpty(), "both parts non-empty");
            // The stored rows go through Parquet, as an incremental job keeps them.
            SparkBoi.aggregate(SparkTestSupport.frame(before), cols, bi, spec, 2, null).write().parquet(dir.resolve("stored").toString());
            Dataset<Row> stored = spark.read().parquet(dir.resolve("stored").toString());
            Dataset<Row> fresh = SparkBoi.aggregate(SparkTestSupport.frame(after), cols, bi, spec, 2, null);
            Map<String, Row> merged = SparkTestSupport.byKey(SparkBoi.merge(stored, fresh, spec, k, 3));
            SparkTestSupport.assertSameRows(full, merged, 1e-6);
            // Only the users of the new period are recomputed.
            long newUsers = after.stream().map(r -> r.getString(0)).distinct().count();
            assertEquals(newUsers, SparkBoi.changedRows(stored, fresh, spec, k, 3).select(BoiRows.USER).distinct().count());

            // Incremental over a random disjoint split (any event, any period): still equal to the full recompute.
            List<Row> a = new ArrayList<>(), b = new ArrayList<>();
            for (Row r : all) (rnd.nextBoolean() ? a : b).add(r);
            Map<String, Row> mergedRandom = SparkTestSupport.byKey(SparkBoi.merge(
                    SparkBoi.aggregate(SparkTestSupport.frame(a), cols, bi, spec, 2, null),
                    SparkBoi.aggregate(SparkTestSupport.frame(b), cols, bi, spec, 2, null), spec, k, 0));
            SparkTestSupport.assertSameRows(full, mergedRandom, 1e-6);
        }
    }

    @Test
    void badInputFailsNamingItOrIsSkippedAndCounted() {
        var spark = SparkTestSupport.spark();
        ItemInterests ii = new ItemInterests(new String[] {"a", "b"}, new int[] {0, 1}, 2);
        Broadcast<ItemInterests> bi = SparkBoi.broadcast(spark, ii);
        List<Row> rows = List.of(
                RowFactory.create("u1", "a", 1_500_000_000L, 1f, null),
                RowFactory.create("u1", "b", 1_500_000_100L, 2f, null),
                RowFactory.create(null, "a", 1_500_000_000L, 1f, null),
                RowFactory.create("u2", "never-seen-item", 1_500_000_000L, 1f, null),
                RowFactory.create("u2", "a", null, 1f, null),
                RowFactory.create("u3", "a", 1_500_000_000L, -1f, null),
                RowFactory.create("u3", "b", 1_500_000_000L, 1f, null));
        Dataset<Row> events = SparkTestSupport.frame(rows);
        EventColumns cols = EventColumns.defaults();

        Exception e = assertThrows(Exception.class, () -> SparkBoi.aggregate(events, cols, bi, BoiSpec.defaults(), 1, null).collectAsList());
        String msg = messages(e);
        assertTrue(msg.contains("malformed event") || msg.contains("never-seen-item"), msg);

        Exception e2 = assertThrows(Exception.class, () -> SparkBoi.aggregate(events.where("user = 'u2' and timestamp is not null"), cols, bi,
                BoiSpec.defaults(), 1, null).collectAsList());
        assertTrue(messages(e2).contains("never-seen-item"), messages(e2));
        Exception e3 = assertThrows(Exception.class, () -> SparkBoi.aggregate(events.where("user is null"), cols, bi, BoiSpec.defaults(), 1, null).collectAsList());
        assertTrue(messages(e3).contains("null user"), messages(e3));
        Exception e4 = assertThrows(IllegalArgumentException.class, () -> SparkBoi.aggregate(events, EventColumns.defaults().withType("kind"), bi, BoiSpec.defaults(), 1, null));
        assertTrue(e4.getMessage().contains("'kind'"), e4.getMessage());

        BoiCounters c = BoiCounters.register(spark, "bad");
        Map<String, Row> got = SparkTestSupport.byKey(SparkBoi.aggregate(events, cols, bi, BoiSpec.defaults().withLenient(true), 2, c));
        assertEquals(3, c.aggregatedEvents());
        assertEquals(1, c.skippedUnknownItem());
        assertEquals(3, c.skippedMalformed(), "null user, null timestamp, negative weight");
        // u1: both events in one 30-day and one 365-day period; u3 keeps its valid event; u2 has nothing left.
        assertEquals(4, got.size(), got.keySet().toString());
        assertTrue(got.keySet().stream().noneMatch(k -> k.startsWith("u2|")));
    }

    static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable x = t; x != null; x = x.getCause()) sb.append(x.getMessage()).append(" | ");
        return sb.toString();
    }
}
