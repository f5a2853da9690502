package org.lurm.spark;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.lurm.boi.BoiAggregator;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiMerge;
import org.lurm.boi.BoiSet;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.events.IdDictionary;
import org.lurm.memory.I32Array;
import org.lurm.memory.MemoryScope;

/**
 * Distributed Bag-of-Interests aggregation (MODEL.md, Stage 1) over a DataFrame of events, with the semantics of
 * the local library: the events are hash-partitioned by user, and each partition is aggregated by the local
 * {@link BoiAggregator} (calendar-aligned periods per scale, the newest T_max non-empty periods as rows, older
 * ones folded into one history row, type weights, zero-weight events not stored). Since every event of a user
 * lands in the same partition, the result is the local result row for row; sums run in double as locally, so
 * with non-integer weights a different event order within a user can change a value by at most a float ulp.
 *
 * <pre>{@code
 * Broadcast<ItemInterests> interests = spark.sparkContext().broadcast(ItemInterests.fromModel(modelFile), classTag);
 * // or: SparkBoi.broadcast(spark, ItemInterests.fromModel(modelFile))
 * Dataset<Row> rows = SparkBoi.aggregate(events, EventColumns.defaults(), interests, BoiSpec.defaults(), 0, null);
 * rows.write().parquet("hdfs:///lurm/boi");                       // schema: BoiRows.SCHEMA
 * // a new period: aggregate only its events, then merge (equals a full recompute)
 * Dataset<Row> merged = SparkBoi.merge(stored, SparkBoi.aggregate(newEvents, ...), spec, K, 0);
 * }</pre>
 *
 * <p><b>Memory.</b> One partition's events are held off-heap (about 28 bytes per event plus the id strings) while
 * it is aggregated: choose {@code numPartitions} so that a partition fits an executor's memory overhead
 * ({@code spark.executor.memoryOverhead}); a single user's events always share one partition.
 *
 * <p><b>Thread-safety.</b> Stateless; the returned Datasets are lazy, as usual in Spark.
 */
public final class SparkBoi {
    private SparkBoi() {
    }

    /** Broadcasts the item interests (once per executor JVM, as Spark broadcasts do). */
    public static Broadcast<ItemInterests> broadcast(org.apache.spark.sql.SparkSession spark, ItemInterests interests) {
        return spark.sparkContext().broadcast(interests, scala.reflect.ClassTag$.MODULE$.apply(ItemInterests.class));
    }

    /**
     * The BoI rows of {@code events} ({@link BoiRows#SCHEMA}).
     *
     * @param numPartitions partitions of the by-user shuffle (&lt;= 0: {@code spark.sql.shuffle.partitions})
     * @param counters      accumulators for aggregated and skipped events, or null
     */
    public static Dataset<Row> aggregate(Dataset<Row> events, EventColumns columns, Broadcast<ItemInterests> interests, BoiSpec spec,
                                         int numPartitions, BoiCounters counters) {
        Dataset<Row> canon = columns.canonical(events);
        Dataset<Row> byUser = numPartitions > 0 ? canon.repartition(numPartitions, canon.col("user")) : canon.repartition(canon.col("user"));
        MapPartitionsFunction<Row, Row> f = it -> aggregatePartition(it, interests.value(), spec, counters);
        return byUser.mapPartitions(f, Encoders.row(BoiRows.SCHEMA));
    }

    /**
     * Aggregates one partition's events (canonical layout: user, item, timestamp, weight, type) with the local
     * library. Every event of a user must be in this partition.
     */
    static Iterator<Row> aggregatePartition(Iterator<Row> it, ItemInterests interests, BoiSpec spec, BoiCounters counters) {
        EventTableBuilder b = new EventTableBuilder();
        long malformed = 0;
        String lastType = null;
        int lastTypeIndex = -1;
        while (it.hasNext()) {
            Row r = it.next();
            String bad = null;
            if (r.isNullAt(0)) bad = "null user";
            else if (r.isNullAt(1)) bad = "null item";
            else if (r.isNullAt(2)) bad = "null timestamp";
            else if (r.isNullAt(3)) bad = "null weight";
            else if (!(r.getFloat(3) >= 0) || Float.isInfinite(r.getFloat(3))) bad = "weight " + r.getFloat(3) + " is not finite and >= 0";
            if (bad != null) {
                if (!spec.lenient()) {
                    throw new IllegalArgumentException("malformed event (" + bad + "): user=" + r.get(0) + ", item=" + r.get(1) + ", timestamp=" + r.get(2)
                            + ", weight=" + r.get(3) + ", type=" + r.get(4) + "; fix the input or aggregate with a lenient BoiSpec to skip and count such events");
                }
                malformed++;
                continue;
            }
            // The dictionaries are most of our per-event cost: skip the type lookup while the type repeats.
            String type = r.isNullAt(4) ? "" : r.getString(4);
            if (!type.equals(lastType)) {
                lastType = type;
                lastTypeIndex = b.types().add(type);
            }
            b.addIndexed(b.users().add(r.getString(0)), b.items().add(r.getString(1)), r.getLong(2), r.getFloat(3), lastTypeIndex);
        }
        if (b.size() == 0) {
            if (counters != null) counters.add(0, 0, malformed);
            return Collections.emptyIterator();
        }
        List<Row> out = new ArrayList<>();
        try (MemoryScope scope = MemoryScope.root("spark-boi-partition")) {
            EventTable ev = b.build(scope);
            I32Array map = scope.allocateI32(ev.numItems());
            for (int i = 0; i < ev.numItems(); i++) map.set(i, interests.interestOf(ev.items().id(i)));
            BoiConfig cfg = spec.toBoiConfig(ev.types());
            BoiSet set = BoiAggregator.aggregate(ev, map, interests.numInterests(), cfg, scope);
            if (counters != null) counters.add(set.aggregatedEvents(), set.skippedEvents(), malformed);
            BoiRows.emit(set, ev.users(), out);
        }
        return out.iterator();
    }

    /**
     * Merges newly aggregated rows into stored ones (both {@link BoiRows#SCHEMA}, aggregated over disjoint events
     * with the same spec and interests): users without new rows keep their stored rows untouched; for the others,
     * rows of equal period are summed, the newest T_max periods kept and the rest folded into the history row,
     * by the local {@link BoiMerge}. The result equals aggregating all events at once (up to float rounding of
     * summed values, which are exact for integer weights).
     */
    public static Dataset<Row> merge(Dataset<Row> stored, Dataset<Row> fresh, BoiSpec spec, int numInterests, int numPartitions) {
        Dataset<Row> touched = fresh.select(BoiRows.USER).distinct();
        Dataset<Row> untouched = stored.join(touched, stored.col(BoiRows.USER).equalTo(touched.col(BoiRows.USER)), "left_anti");
        return untouched.unionByName(changedRows(stored, fresh, spec, numInterests, numPartitions));
    }

    /**
     * Only the rows of the users that {@code fresh} touches, merged with their stored rows: what an incremental
     * job writes to replace those users' rows in a store keyed by user.
     */
    public static Dataset<Row> changedRows(Dataset<Row> stored, Dataset<Row> fresh, BoiSpec spec, int numInterests, int numPartitions) {
        Dataset<Row> touched = fresh.select(BoiRows.USER).distinct();
        Dataset<Row> old = stored.join(touched, stored.col(BoiRows.USER).equalTo(touched.col(BoiRows.USER)), "left_semi");
        Dataset<Row> both = old.select(old.col("*"), functions.lit(0).as("src"))
                .unionByName(fresh.select(fresh.col("*"), functions.lit(1).as("src")));
        Dataset<Row> byUser = numPartitions > 0 ? both.repartition(numPartitions, both.col(BoiRows.USER)) : both.repartition(both.col(BoiRows.USER));
        MapPartitionsFunction<Row, Row> f = it -> mergePartition(it, spec, numInterests);
        return byUser.select(BoiRows.USER, BoiRows.SCALE, BoiRows.PERIOD, BoiRows.HISTORY, BoiRows.INTERESTS, BoiRows.VALUES, "src")
                .mapPartitions(f, Encoders.row(BoiRows.SCHEMA));
    }

    static Iterator<Row> mergePartition(Iterator<Row> it, BoiSpec spec, int numInterests) {
        IdDictionary users = new IdDictionary();
        List<BoiRows.Parsed> a = new ArrayList<>(), b = new ArrayList<>();
        while (it.hasNext()) {
            Row r = it.next();
            (r.getInt(6) == 0 ? a : b).add(BoiRows.parse(r, users, spec.numScales(), numInterests));
        }
        if (users.size() == 0) return Collections.emptyIterator();
        List<Row> out = new ArrayList<>();
        BoiConfig cfg = spec.toBoiConfig(EventTableBuilder.defaultTypes());
        try (MemoryScope scope = MemoryScope.root("spark-boi-merge")) {
            BoiSet sa = BoiRows.toBoiSet(a, users.size(), cfg, numInterests, scope);
            BoiSet sb = BoiRows.toBoiSet(b, users.size(), cfg, numInterests, scope);
            BoiRows.emit(BoiMerge.merge(sa, sb, scope), users, out);
        }
        return out.iterator();
    }

    /** df_k (MODEL.md): the number of users with a non-zero on interest k, over all rows. */
    public static int[] documentFrequencies(Dataset<Row> rows, int numInterests) {
        Dataset<Row> pairs = rows.select(rows.col(BoiRows.USER), functions.explode(rows.col(BoiRows.INTERESTS)).as("k")).distinct();
        int[] df = new int[numInterests];
        for (Row r : pairs.groupBy("k").count().collectAsList()) {
            int k = r.getInt(0);
            if (k < 0 || k >= numInterests) throw new IllegalArgumentException("BoI rows use interest " + k + " outside [0, " + numInterests + ")");
            df[k] = Math.toIntExact(r.getLong(1));
        }
        return df;
    }
}
