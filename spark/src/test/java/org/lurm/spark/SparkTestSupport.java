package org.lurm.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.lurm.boi.BoiSet;
import org.lurm.events.EventTable;

/** One local[2] session for all test classes (starting Spark costs seconds), and BoI comparison helpers. */
final class SparkTestSupport {
    static final StructType EVENTS = new StructType()
            .add("user", DataTypes.StringType, true)
            .add("item", DataTypes.StringType, true)
            .add("timestamp", DataTypes.LongType, true)
            .add("weight", DataTypes.FloatType, true)
            .add("type", DataTypes.StringType, true);
    private static SparkSession spark;

    private SparkTestSupport() {
    }

    static synchronized SparkSession spark() {
        if (spark == null) {
            spark = SparkSession.builder().master("local[2]").appName("lurm-spark-test")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.sql.adaptive.enabled", "false")
                    .getOrCreate();
            spark.sparkContext().setLogLevel("WARN");
        }
        return spark;
    }

    /** A local event table as a DataFrame (user, item, timestamp, weight, type ids). */
    static Dataset<Row> frame(EventTable ev) {
        return frame(ev, 0, ev.size());
    }

    static Dataset<Row> frame(EventTable ev, long from, long to) {
        List<Row> rows = new ArrayList<>((int) (to - from));
        for (long i = from; i < to; i++) {
            rows.add(RowFactory.create(ev.users().id(ev.user(i)), ev.items().id(ev.item(i)), ev.timestamp(i), ev.weight(i), ev.types().id(ev.type(i))));
        }
        return spark().createDataFrame(rows, EVENTS);
    }

    static Dataset<Row> frame(List<Row> rows) {
        return spark().createDataFrame(rows, EVENTS);
    }

    /** Key of a BoI row: user, scale, period, history. */
    static String key(String user, int scale, long period, boolean history) {
        return user + "|" + scale + "|" + period + "|" + (history ? "H" : "-");
    }

    /** Spark BoI rows by key (fails on a duplicate key). */
    static Map<String, Row> byKey(Dataset<Row> rows) {
        Map<String, Row> m = new HashMap<>();
        for (Row r : rows.collectAsList()) {
            Row old = m.put(key(r.getString(0), r.getInt(1), r.getLong(2), r.getBoolean(3)), r);
            assertTrue(old == null, "duplicate BoI row " + r);
        }
        return m;
    }

    /** Asserts that the Spark rows are the local set's rows, one for one, values within relTol (0: bit-equal). */
    static void assertSameRows(BoiSet local, EventTable ev, Map<String, Row> spark, double relTol) {
        assertEquals(local.numRows(), spark.size(), "row count");
        for (long r = 0; r < local.numRows(); r++) {
            String k = key(ev.users().id(local.rowUser(r)), local.rowScale(r), local.rowPeriod(r), local.isHistory(r));
            Row s = spark.get(k);
            assertNotNull(s, "local row " + k + " missing from the Spark rows");
            int n = (int) (local.rowEnd(r) - local.rowStart(r));
            int[] ki = new int[n];
            float[] kv = new float[n];
            for (int j = 0; j < n; j++) {
                ki[j] = local.col(local.rowStart(r) + j);
                kv[j] = local.val(local.rowStart(r) + j);
            }
            List<Object> si = s.getList(4), sv = s.getList(5);
            int[] gi = new int[si.size()];
            float[] gv = new float[sv.size()];
            for (int j = 0; j < gi.length; j++) gi[j] = (Integer) si.get(j);
            for (int j = 0; j < gv.length; j++) gv[j] = (Float) sv.get(j);
            assertArrayEquals(ki, gi, "interests of row " + k);
            if (relTol == 0) {
                assertArrayEquals(kv, gv, "values of row " + k);
            } else {
                for (int j = 0; j < n; j++) assertEquals(kv[j], gv[j], relTol * Math.max(1, Math.abs(kv[j])), "value " + j + " of row " + k);
            }
        }
    }

    /** Spark rows compared with each other (e.g. incremental against full recompute). */
    static void assertSameRows(Map<String, Row> expected, Map<String, Row> got, double relTol) {
        assertEquals(expected.keySet(), got.keySet(), "row keys");
        for (Map.Entry<String, Row> e : expected.entrySet()) {
            Row a = e.getValue(), b = got.get(e.getKey());
            assertEquals(a.getList(4), b.getList(4), "interests of row " + e.getKey());
            List<Object> va = a.getList(5), vb = b.getList(5);
            for (int j = 0; j < va.size(); j++) {
                float x = (Float) va.get(j), y = (Float) vb.get(j);
                assertEquals(x, y, relTol * Math.max(1, Math.abs(x)), "value " + j + " of row " + e.getKey());
            }
        }
    }
}
