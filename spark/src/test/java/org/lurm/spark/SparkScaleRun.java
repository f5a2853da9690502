package org.lurm.spark;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.lurm.LurmModel;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiAggregator;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.events.EventTable;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.smen.Smen;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenInit;
import org.lurm.smen.SmenLayout;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;

/**
 * Scale run (issue 6): generator data of about 1.2 * 10^7 events (LifeCycleConfig.bench(): 100,000 users, 50,000
 * items, 8 years), time per stage in Spark local[2] against the local library on the same machine, data and
 * number of threads (2). Stages: BoI aggregation (Spark: read events Parquet, shuffle by user, aggregate; once
 * into Spark's no-op sink, once written as Parquet), encoding (Spark: read BoI Parquet, shuffle by user, encode;
 * no-op sink and Parquet). The interests are a seeded random item-to-interest map (K = 25,000, MODEL.md's default
 * for 50,000 items) and SMEN is the default-sized encoder at its initial parameters: the cost of both stages does
 * not depend on how good the interests or the weights are. Run it from the repository root:
 *
 * <pre>
 * spark/bin/scale-run [--users 100000] [--partitions 8] [--out /tmp/lurm-spark-scale]
 * </pre>
 *
 * Not a test: a main in the test sources, so that perf-tests does not depend on Spark.
 */
public final class SparkScaleRun {
    private SparkScaleRun() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) opt.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        int users = Integer.parseInt(opt.getOrDefault("users", "100000"));
        int partitions = Integer.parseInt(opt.getOrDefault("partitions", "8"));
        Path out = Path.of(opt.getOrDefault("out", "/tmp/lurm-spark-scale"));
        Files.createDirectories(out);
        Map<String, Double> t = new LinkedHashMap<>();
        long events, rows, nnz;
        int k, width;
        Path modelFile = out.resolve("model.lurm");
        Path csv = out.resolve("events.csv");
        try (MemoryScope scope = MemoryScope.root("scale"); Parallel par = new Parallel(2)) {
            long g0 = System.nanoTime();
            LifeCycleConfig lc = LifeCycleConfig.bench().toBuilder().users(users).items(Math.max(1000, users / 2)).build();
            EventTable ev = LifeCycleGenerator.generate(lc, scope).events();
            events = ev.size();
            k = Math.min(100_000, Math.max(16, ev.numItems() / 2));
            System.out.printf("generated %,d events, %,d users, %,d items in %.1f s; K = %d%n", events, ev.numUsers(), ev.numItems(), (System.nanoTime() - g0) / 1e9, k);
            SplittableRandom rnd = new SplittableRandom(7);
            I32Array map = scope.allocateI32(ev.numItems());
            for (int i = 0; i < ev.numItems(); i++) map.set(i, rnd.nextInt(k));
            BoiConfig cfg = BoiConfig.defaults();

            // Local library, 2 threads (the same cores as local[2]). Warm-up run first, then the timed one.
            BoiAggregator.aggregate(ev, map, k, cfg, scope, par);
            long a0 = System.nanoTime();
            BoiSet boi = BoiAggregator.aggregate(ev, map, k, cfg, scope, par);
            t.put("local BoI aggregation", (System.nanoTime() - a0) / 1e9);
            rows = boi.numRows();
            nnz = boi.nnz();

            SmenLayout layout = new SmenLayout(SmenConfig.defaults(), k, cfg.scales().size());
            int dim = 64;
            float[] c = new float[k * dim];
            for (int i = 0; i < c.length; i++) c[i] = (float) rnd.nextGaussian();
            F32Array centroids = scope.copyOf(c);
            float[] params = SmenInit.initialize(layout, centroids, dim, SmenInit.Options.defaults(7), par).parameters();
            Smen smen = Smen.of(layout, params, boi);
            new LurmModel(ev.items(), map, centroids, dim, cfg, smen).save(modelFile);
            width = smen.width();
            int[] warm = new int[Math.min(4096, ev.numUsers())];
            for (int u = 0; u < warm.length; u++) warm[u] = u;
            smen.encode(boi, warm, par); // JIT warm-up of the encoder kernels
            long e0 = System.nanoTime();
            F32Array z = smen.encode(boi, par, scope);
            t.put("local encoding", (System.nanoTime() - e0) / 1e9);
            long w0 = System.nanoTime();
            writeF32(z, out.resolve("local-z.f32"));
            t.put("local write z (raw float32 file)", (System.nanoTime() - w0) / 1e9);

            // Input for Spark: a CSV converted to Parquet once (not timed as a stage).
            try (BufferedWriter w = Files.newBufferedWriter(csv)) {
                StringBuilder sb = new StringBuilder(64);
                for (long i = 0; i < ev.size(); i++) {
                    sb.setLength(0);
                    sb.append(ev.users().id(ev.user(i))).append(',').append(ev.items().id(ev.item(i))).append(',').append(ev.timestamp(i)).append(',').append(ev.weight(i)).append('\n');
                    w.append(sb);
                }
            }

            SparkSession spark = SparkSession.builder().master("local[2]").appName("lurm-scale-run")
                    .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", String.valueOf(partitions))
                    .config("spark.local.dir", out.resolve("spark-tmp").toString()).getOrCreate();
            spark.sparkContext().setLogLevel("WARN");
            try {
                StructType schema = new StructType().add("user", DataTypes.StringType).add("item", DataTypes.StringType)
                        .add("timestamp", DataTypes.LongType).add("weight", DataTypes.FloatType);
                String eventsPq = out.resolve("events.parquet").toString();
                spark.read().schema(schema).csv(csv.toString()).write().mode(SaveMode.Overwrite).parquet(eventsPq);
                Files.deleteIfExists(csv);
                var bi = SparkBoi.broadcast(spark, ItemInterests.fromModel(modelFile));
                BoiSpec spec = BoiSpec.defaults();
                String boiPq = out.resolve("boi.parquet").toString(), zPq = out.resolve("z.parquet").toString();

                // Spark's own floor for the stage: read the same Parquet and shuffle it by user, nothing else.
                long s0 = System.nanoTime();
                Dataset<Row> raw = spark.read().parquet(eventsPq);
                raw.repartition(partitions, raw.col("user")).write().format("noop").mode(SaveMode.Overwrite).save();
                t.put("Spark floor: read events Parquet + shuffle by user (no-op sink)", (System.nanoTime() - s0) / 1e9);
                s0 = System.nanoTime();
                SparkBoi.aggregate(spark.read().parquet(eventsPq), EventColumns.defaults(), bi, spec, partitions, null).write().format("noop").mode(SaveMode.Overwrite).save();
                t.put("Spark BoI aggregation (read Parquet, shuffle, aggregate; no-op sink)", (System.nanoTime() - s0) / 1e9);
                s0 = System.nanoTime();
                BoiCounters counters = BoiCounters.register(spark, "scale");
                SparkBoi.aggregate(spark.read().parquet(eventsPq), EventColumns.defaults(), bi, spec, partitions, counters).write().mode(SaveMode.Overwrite).parquet(boiPq);
                t.put("Spark BoI aggregation + Parquet write", (System.nanoTime() - s0) / 1e9);
                long sparkRows = spark.read().parquet(boiPq).count();
                if (sparkRows != rows || counters.aggregatedEvents() != events) {
                    throw new IllegalStateException("Spark made " + sparkRows + " rows from " + counters.aggregatedEvents() + " events; local " + rows + " from " + events);
                }

                ModelSource src = ModelSource.broadcast(spark, modelFile);
                s0 = System.nanoTime();
                Dataset<Row> rawBoi = spark.read().parquet(boiPq);
                rawBoi.repartition(partitions, rawBoi.col("user")).write().format("noop").mode(SaveMode.Overwrite).save();
                t.put("Spark floor: read BoI Parquet + shuffle by user (no-op sink)", (System.nanoTime() - s0) / 1e9);
                s0 = System.nanoTime();
                SparkEncoder.encode(spark.read().parquet(boiPq), src, partitions).write().format("noop").mode(SaveMode.Overwrite).save();
                t.put("Spark encoding (read BoI Parquet, shuffle, encode; no-op sink)", (System.nanoTime() - s0) / 1e9);
                s0 = System.nanoTime();
                SparkEncoder.encode(spark.read().parquet(boiPq), src, partitions).write().mode(SaveMode.Overwrite).parquet(zPq);
                t.put("Spark encoding + Parquet write", (System.nanoTime() - s0) / 1e9);
                Dataset<Row> zs = spark.read().parquet(zPq);
                System.out.printf("%n%,d events -> %,d BoI rows (%,d non-zeros) -> %,d users x %d floats; local[2], %d shuffle partitions, %d cores, JDK %s%n",
                        events, rows, nnz, zs.count(), width, partitions, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
            } finally {
                spark.stop();
                ExecutorModels.closeAll();
            }
            // The local stages once more, after Spark: this machine is shared, so load can differ over the run.
            try (MemoryScope again = scope.child("again")) {
                long a1 = System.nanoTime();
                BoiAggregator.aggregate(ev, map, k, cfg, again, par);
                t.put("local BoI aggregation (again, after Spark)", (System.nanoTime() - a1) / 1e9);
                long e1 = System.nanoTime();
                smen.encode(boi, par, again);
                t.put("local encoding (again, after Spark)", (System.nanoTime() - e1) / 1e9);
            }
        }
        System.out.println("| stage | seconds | events/s |");
        System.out.println("|---|---|---|");
        for (var e : t.entrySet()) System.out.printf("| %s | %.1f | %.2e |%n", e.getKey(), e.getValue(), events / e.getValue());
    }

    private static void writeF32(F32Array z, Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < z.length(); i++) {
                if (b.remaining() < 4) {
                    b.flip();
                    while (b.hasRemaining()) ch.write(b);
                    b.clear();
                }
                b.putFloat(z.get(i));
            }
            b.flip();
            while (b.hasRemaining()) ch.write(b);
        }
    }
}
