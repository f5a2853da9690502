package org.lurm.spark;

import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.events.IdDictionary;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.memory.MemoryScope;

/**
 * The DataFrame form of BoI rows and its conversion to and from the local off-heap {@link BoiSet}.
 *
 * <p>One DataFrame row per non-empty (user, scale, period), exactly one local CSR row:
 * {@code user} (string), {@code scale} (int, index into the config's scales, finest first), {@code period}
 * (long, calendar-aligned period index; for a history row the newest period folded into it), {@code history}
 * (boolean), {@code interests} (array&lt;int&gt;, ascending) and {@code values} (array&lt;float&gt;, the raw summed
 * weights). The same layout is written to Parquet.
 *
 * <p><b>Thread-safety.</b> Stateless.
 */
public final class BoiRows {
    public static final String USER = "user";
    public static final String SCALE = "scale";
    public static final String PERIOD = "period";
    public static final String HISTORY = "history";
    public static final String INTERESTS = "interests";
    public static final String VALUES = "values";

    /** The schema of BoI rows. */
    public static final StructType SCHEMA = new StructType()
            .add(USER, DataTypes.StringType, false)
            .add(SCALE, DataTypes.IntegerType, false)
            .add(PERIOD, DataTypes.LongType, false)
            .add(HISTORY, DataTypes.BooleanType, false)
            .add(INTERESTS, DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add(VALUES, DataTypes.createArrayType(DataTypes.FloatType, false), false);

    private BoiRows() {
    }

    /** Appends every row of {@code set} (users named by {@code users}) to {@code out}. */
    static void emit(BoiSet set, IdDictionary users, List<Row> out) {
        for (long r = 0; r < set.numRows(); r++) {
            long a = set.rowStart(r), b = set.rowEnd(r);
            int n = (int) (b - a);
            int[] k = new int[n];
            float[] v = new float[n];
            for (int j = 0; j < n; j++) {
                k[j] = set.col(a + j);
                v[j] = set.val(a + j);
            }
            out.add(RowFactory.create(users.id(set.rowUser(r)), set.rowScale(r), set.rowPeriod(r), set.isHistory(r), k, v));
        }
    }

    /** Rows of one source, parsed from a DataFrame row. */
    record Parsed(int user, int scaleCode, long period, int[] interests, float[] values) {
    }

    /** Parses one DataFrame BoI row, adding its user to {@code users}; validates what the CSR relies on. */
    static Parsed parse(Row row, IdDictionary users, int numScales, int numInterests) {
        String u = row.getString(0);
        if (u == null) throw new IllegalArgumentException("BoI row with a null user: " + row);
        int s = row.getInt(1);
        if (s < 0 || s >= numScales) throw new IllegalArgumentException("BoI row of user '" + u + "': scale " + s + " outside [0, " + numScales + ")");
        int[] k = ints(row.get(4));
        float[] v = floats(row.get(5));
        if (k.length != v.length) throw new IllegalArgumentException("BoI row of user '" + u + "': " + k.length + " interests but " + v.length + " values");
        for (int j = 0; j < k.length; j++) {
            if (k[j] < 0 || k[j] >= numInterests || (j > 0 && k[j] <= k[j - 1])) {
                throw new IllegalArgumentException("BoI row of user '" + u + "': interests must ascend within [0, " + numInterests + "), got " + k[j] + " at " + j);
            }
        }
        return new Parsed(users.add(u), BoiSet.scaleCode(s, row.getBoolean(3)), row.getLong(2), k, v);
    }

    /**
     * A local BoI set of parsed rows, grouped by user (users in dictionary order; rows of a user in the given
     * order). Document frequencies are left at zero: encoding uses the model's IDF, merging recomputes them.
     */
    static BoiSet toBoiSet(List<Parsed> rows, int numUsers, BoiConfig config, int numInterests, MemoryScope scope) {
        int n = rows.size();
        int[] count = new int[numUsers + 1];
        for (Parsed p : rows) count[p.user() + 1]++;
        for (int u = 0; u < numUsers; u++) count[u + 1] += count[u];
        Parsed[] order = new Parsed[n];
        int[] next = count.clone();
        for (Parsed p : rows) order[next[p.user()]++] = p;
        long nnz = 0;
        for (Parsed p : order) nnz += p.interests().length;
        I64Array rowPtr = scope.allocateI64(n + 1L);
        var cols = scope.allocateI32(nnz);
        var vals = scope.allocateF32(nnz);
        I32Array rowUser = scope.allocateI32(n);
        I32Array rowScale = scope.allocateI32(n);
        I64Array rowPeriod = scope.allocateI64(n);
        long at = 0;
        for (int r = 0; r < n; r++) {
            Parsed p = order[r];
            rowPtr.set(r, at);
            cols.copyFrom(p.interests(), 0, at, p.interests().length);
            vals.copyFrom(p.values(), 0, at, p.values().length);
            at += p.interests().length;
            rowUser.set(r, p.user());
            rowScale.set(r, p.scaleCode());
            rowPeriod.set(r, p.period());
        }
        rowPtr.set(n, at);
        I64Array userRowPtr = scope.allocateI64(numUsers + 1L);
        for (int u = 0; u <= numUsers; u++) userRowPtr.set(u, count[u]);
        return new BoiSet(config, numInterests, numUsers, rowPtr, cols, vals, rowUser, rowScale, rowPeriod, userRowPtr,
                scope.allocateI32(numInterests), 0, 0);
    }

    /** Spark hands primitive arrays over as Scala's ArraySeq.ofInt: take the array without boxing when it does. */
    private static int[] ints(Object o) {
        if (o == null) return new int[0];
        if (o instanceof int[] a) return a;
        if (o instanceof scala.collection.mutable.ArraySeq.ofInt a) return a.array();
        if (o instanceof scala.collection.immutable.ArraySeq.ofInt a) return a.unsafeArray();
        if (o instanceof scala.collection.mutable.ArraySeq.ofRef<?> a) { // what Spark 4.2's row deserializer gives: boxed
            Object[] b = a.array();
            int[] r = new int[b.length];
            for (int i = 0; i < r.length; i++) r[i] = ((Number) b[i]).intValue();
            return r;
        }
        List<?> l = o instanceof List<?> jl ? jl : scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<?>) o);
        int[] a = new int[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = ((Number) l.get(i)).intValue();
        return a;
    }

    private static float[] floats(Object o) {
        if (o == null) return new float[0];
        if (o instanceof float[] a) return a;
        if (o instanceof scala.collection.mutable.ArraySeq.ofFloat a) return a.array();
        if (o instanceof scala.collection.immutable.ArraySeq.ofFloat a) return a.unsafeArray();
        if (o instanceof scala.collection.mutable.ArraySeq.ofRef<?> a) {
            Object[] b = a.array();
            float[] r = new float[b.length];
            for (int i = 0; i < r.length; i++) r[i] = ((Number) b[i]).floatValue();
            return r;
        }
        List<?> l = o instanceof List<?> jl ? jl : scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<?>) o);
        float[] a = new float[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = ((Number) l.get(i)).floatValue();
        return a;
    }
}
