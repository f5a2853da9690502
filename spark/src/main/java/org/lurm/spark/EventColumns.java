package org.lurm.spark;

import java.io.Serial;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * Which columns of a DataFrame hold the events (MODEL.md: user, item, timestamp, weight, optional behaviour type).
 * User, item and type are read as strings (any type Spark can cast), the timestamp as Unix seconds (a numeric
 * column, or a Spark {@code timestamp}, which casts to seconds), the weight as float.
 *
 * <p><b>Serialisation.</b> Java-serialisable (names only). <b>Thread-safety.</b> Immutable.
 *
 * @param user      user id column
 * @param item      item id column
 * @param timestamp timestamp column (Unix seconds)
 * @param weight    weight column, or null: every event weighs 1
 * @param type      behaviour-type column, or null: every event has the default type ""
 */
public record EventColumns(String user, String item, String timestamp, String weight, String type) implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    public EventColumns {
        Objects.requireNonNull(user, "user column");
        Objects.requireNonNull(item, "item column");
        Objects.requireNonNull(timestamp, "timestamp column");
    }

    /** Columns named user, item, timestamp, weight (no type column). */
    public static EventColumns defaults() {
        return new EventColumns("user", "item", "timestamp", "weight", null);
    }

    public EventColumns withType(String typeColumn) {
        return new EventColumns(user, item, timestamp, weight, typeColumn);
    }

    public EventColumns withWeight(String weightColumn) {
        return new EventColumns(user, item, timestamp, weightColumn, type);
    }

    /**
     * The events in the canonical layout (user string, item string, timestamp long, weight float, type string),
     * in this order; missing weight and type become 1 and "". Fails naming the column when one is missing.
     */
    Dataset<Row> canonical(Dataset<Row> events) {
        List<String> have = Arrays.asList(events.columns());
        List<String> need = new ArrayList<>(List.of(user, item, timestamp));
        if (weight != null) need.add(weight);
        if (type != null) need.add(type);
        for (String c : need) {
            if (!have.contains(c)) throw new IllegalArgumentException("events have no column '" + c + "' (columns: " + have + "); name the columns with EventColumns");
        }
        Column w = weight == null ? functions.lit(1f) : events.col(weight).cast("float");
        Column t = type == null ? functions.lit("") : events.col(type).cast("string");
        return events.select(events.col(user).cast("string").as("user"), events.col(item).cast("string").as("item"),
                events.col(timestamp).cast("long").as("timestamp"), w.as("weight"), t.as("type"));
    }
}
