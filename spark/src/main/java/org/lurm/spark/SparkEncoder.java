package org.lurm.spark;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiSet;
import org.lurm.events.IdDictionary;
import org.lurm.memory.MemoryScope;
import org.lurm.smen.Smen;
import org.lurm.smen.SmenInputs;
import org.lurm.smen.SmenModel;

/**
 * Distributed encoding (MODEL.md, "Encoding"): BoI rows ({@link BoiRows#SCHEMA}, from {@link SparkBoi}) are
 * hash-partitioned by user, and each partition's users are encoded by the local SMEN encoder with the model's
 * IDF and recency reference, exactly as {@link Smen#encode} does on one machine (users in batches of 1024, one
 * user's result not depending on the others in its batch). The model file travels once per executor
 * ({@link ModelSource}) and is loaded once per executor JVM ({@link ExecutorModels}).
 *
 * <pre>{@code
 * ModelSource model = ModelSource.broadcast(spark, Path.of("model.lurm"));
 * Dataset<Row> z = SparkEncoder.encode(boiRows, model, 0);     // (user string, vector array<float>)
 * z.write().parquet("hdfs:///lurm/embeddings");
 * }</pre>
 *
 * <p>Users appear in the output only if they have BoI rows (a user with no events has no row to encode; the local
 * encoder gives such a user zeros). Vectors are raw z (M·d' floats); normalise per anchor downstream if wanted.
 *
 * <p><b>Thread-safety.</b> Stateless; the returned Datasets are lazy.
 */
public final class SparkEncoder {
    public static final String USER = "user";
    public static final String VECTOR = "vector";
    /** The output schema: user id and the representation z. */
    public static final StructType SCHEMA = new StructType()
            .add(USER, DataTypes.StringType, false)
            .add(VECTOR, DataTypes.createArrayType(DataTypes.FloatType, false), false);
    private static final int BATCH = 1024;

    private SparkEncoder() {
    }

    /**
     * Encodes the users of {@code boiRows}.
     *
     * @param numPartitions partitions of the by-user shuffle (&lt;= 0: {@code spark.sql.shuffle.partitions})
     */
    public static Dataset<Row> encode(Dataset<Row> boiRows, ModelSource model, int numPartitions) {
        Dataset<Row> rows = boiRows.select(BoiRows.USER, BoiRows.SCALE, BoiRows.PERIOD, BoiRows.HISTORY, BoiRows.INTERESTS, BoiRows.VALUES);
        Dataset<Row> byUser = numPartitions > 0 ? rows.repartition(numPartitions, rows.col(BoiRows.USER)) : rows.repartition(rows.col(BoiRows.USER));
        MapPartitionsFunction<Row, Row> f = it -> encodePartition(it, model);
        return byUser.mapPartitions(f, Encoders.row(SCHEMA));
    }

    /** Encodes one partition; every BoI row of a user must be in it. */
    static Iterator<Row> encodePartition(Iterator<Row> it, ModelSource source) {
        if (!it.hasNext()) return Collections.emptyIterator();
        ExecutorModels.Loaded m = ExecutorModels.get(source);
        Smen smen = m.model.smen();
        int k = smen.layout().boiInterests(); // the BoI rows' K (the model's V may have a sink row beyond it)
        int scales = smen.layout().scales();
        IdDictionary users = new IdDictionary();
        List<BoiRows.Parsed> parsed = new ArrayList<>();
        while (it.hasNext()) parsed.add(BoiRows.parse(it.next(), users, scales, k));
        int n = users.size();
        int w = smen.width();
        List<Row> out = new ArrayList<>(n);
        try (MemoryScope scope = MemoryScope.root("spark-encode-partition"); Parallel par = new Parallel(1)) {
            BoiSet set = BoiRows.toBoiSet(parsed, n, m.model.boiConfig(), k, scope);
            parsed = null; // the CSR copy is all that is needed from here on
            SmenInputs in = smen.inputs(set);
            SmenModel model = m.smenModel(par);
            for (int b0 = 0; b0 < n; b0 += BATCH) {
                int[] batch = new int[Math.min(BATCH, n - b0)];
                for (int i = 0; i < batch.length; i++) batch[i] = b0 + i;
                float[] z;
                if (m.deviceEncoder != null) {
                    synchronized (m) {
                        z = m.deviceEncoder.encode(in.full(batch));
                    }
                } else if (m.sharedOps != null) {
                    synchronized (m) {
                        z = model.encode(m.params, in.full(batch), false).z();
                    }
                } else {
                    z = model.encode(m.params, in.full(batch), false).z();
                }
                for (int i = 0; i < batch.length; i++) {
                    float[] v = new float[w];
                    System.arraycopy(z, i * w, v, 0, w);
                    out.add(RowFactory.create(users.id(batch[i]), v));
                }
            }
        }
        return out.iterator();
    }
}
