package org.lurm.spark;

import java.util.Iterator;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.lurm.BagOfInterests;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.memory.MemoryScope;

/**
 * What stays on one machine: fitting the item interests and training SMEN, from a sample of users drawn with
 * Spark and collected to the driver. Users are sampled whole (every event of a sampled user, by a seeded hash of
 * the user id), because co-occurrence embedding and SMEN's disjoint-split views both need complete lives.
 *
 * <pre>{@code
 * Dataset<Row> sample = SparkSampling.sampleUsers(events, EventColumns.defaults(), 0.01, 42);
 * try (MemoryScope scope = MemoryScope.root("driver")) {
 *     EventTable local = SparkSampling.collect(sample, EventColumns.defaults(), 50_000_000, scope);
 *     // then as on one machine: BagOfInterests.fit, aggregate, Smen.train, LurmModel.of(...).save(file)
 * }
 * }</pre>
 *
 * <p><b>Thread-safety.</b> Stateless.
 */
public final class SparkSampling {
    private SparkSampling() {
    }

    /** The events of about {@code fraction} of the users, chosen by a hash of the user id and {@code seed}. */
    public static Dataset<Row> sampleUsers(Dataset<Row> events, EventColumns columns, double fraction, long seed) {
        if (!(fraction > 0 && fraction <= 1)) throw new IllegalArgumentException("sample fraction must be in (0, 1], got " + fraction);
        if (fraction == 1) return events;
        long buckets = 1L << 30;
        Column h = functions.pmod(functions.xxhash64(events.col(columns.user()).cast("string"), functions.lit(seed)), functions.lit(buckets));
        return events.where(h.lt(functions.lit((long) Math.ceil(fraction * buckets))));
    }

    /**
     * Collects events to the driver as a local off-heap table owned by {@code scope}, streaming one partition at a
     * time. Fails (naming the limit) when there are more than {@code maxEvents}, and on any malformed event.
     */
    public static EventTable collect(Dataset<Row> events, EventColumns columns, long maxEvents, MemoryScope scope) {
        EventTableBuilder b = new EventTableBuilder();
        Iterator<Row> it = columns.canonical(events).toLocalIterator();
        long n = 0;
        while (it.hasNext()) {
            Row r = it.next();
            if (++n > maxEvents) throw new IllegalArgumentException("the sample has more than " + maxEvents + " events: sample fewer users or raise the limit");
            for (int c = 0; c < 4; c++) {
                if (r.isNullAt(c)) throw new IllegalArgumentException("sampled event " + n + " has a null " + new String[] {"user", "item", "timestamp", "weight"}[c] + ": " + r);
            }
            b.add(r.getString(0), r.getString(1), r.getLong(2), r.getFloat(3), r.isNullAt(4) ? "" : r.getString(4));
        }
        return b.build(scope);
    }

    /**
     * Fits the item interests on a user sample with the local library (on the driver, with the backend that
     * {@link Backends#create()} picks) and returns them ready to broadcast. Items absent from the sample get no
     * interest: sample enough users, fit with a text embedding for cold-start items, or aggregate leniently.
     */
    public static ItemInterests fitInterests(Dataset<Row> events, EventColumns columns, BagOfInterests.Config config,
                                             double fraction, long seed, long maxEvents) {
        try (MemoryScope scope = MemoryScope.root("spark-fit-interests"); Backend backend = Backends.create()) {
            EventTable local = collect(sampleUsers(events, columns, fraction, seed), columns, maxEvents, scope);
            BagOfInterests stage1 = BagOfInterests.fit(local, null, config, backend, scope, null);
            return ItemInterests.of(stage1, local.items());
        }
    }
}
