package org.lurm.spark;

import java.io.Serial;
import java.io.Serializable;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;

/**
 * What a distributed aggregation saw, counted with Spark accumulators: events aggregated, events skipped because
 * their item has no interest, and malformed events skipped (null user, item or timestamp, or a weight that is not
 * finite and non-negative). Skips happen only in lenient mode ({@link BoiSpec#lenient()}); a strict job fails on
 * the first such event with a message that names it. Read the counts after an action has run the job; a task that
 * Spark retries counts twice (Spark's accumulator rule for transformations).
 *
 * <p><b>Serialisation.</b> Java-serialisable (Spark accumulators). <b>Thread-safety.</b> Accumulators are updated
 * by tasks and read on the driver.
 */
public final class BoiCounters implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    private final LongAccumulator aggregated;
    private final LongAccumulator skippedUnknownItem;
    private final LongAccumulator skippedMalformed;

    private BoiCounters(LongAccumulator a, LongAccumulator u, LongAccumulator m) {
        this.aggregated = a;
        this.skippedUnknownItem = u;
        this.skippedMalformed = m;
    }

    /** Registers three named accumulators with the session's SparkContext (call on the driver). */
    public static BoiCounters register(SparkSession spark, String prefix) {
        var sc = spark.sparkContext();
        return new BoiCounters(sc.longAccumulator(prefix + ".aggregatedEvents"), sc.longAccumulator(prefix + ".skippedUnknownItem"),
                sc.longAccumulator(prefix + ".skippedMalformed"));
    }

    public long aggregatedEvents() {
        return aggregated.value();
    }

    public long skippedUnknownItem() {
        return skippedUnknownItem.value();
    }

    public long skippedMalformed() {
        return skippedMalformed.value();
    }

    void add(long aggregatedEvents, long unknownItem, long malformed) {
        aggregated.add(aggregatedEvents);
        skippedUnknownItem.add(unknownItem);
        skippedMalformed.add(malformed);
    }

    @Override
    public String toString() {
        return "BoiCounters[aggregated=" + aggregatedEvents() + ", skippedUnknownItem=" + skippedUnknownItem() + ", skippedMalformed=" + skippedMalformed() + "]";
    }
}
