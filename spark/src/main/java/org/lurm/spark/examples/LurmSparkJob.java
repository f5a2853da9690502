package org.lurm.spark.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.lurm.BagOfInterests;
import org.lurm.LurmModel;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.events.EventTable;
import org.lurm.memory.MemoryScope;
import org.lurm.smen.Smen;
import org.lurm.SmenConfig;
import org.lurm.spark.BoiCounters;
import org.lurm.spark.BoiSpec;
import org.lurm.spark.EventColumns;
import org.lurm.spark.ExecutorModels;
import org.lurm.spark.ItemInterests;
import org.lurm.spark.ModelSource;
import org.lurm.spark.SparkBoi;
import org.lurm.spark.SparkEncoder;
import org.lurm.spark.SparkSampling;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;

/**
 * The whole LURM pipeline as one Spark job: events in, BoI rows and user representations out, as Parquet.
 *
 * <pre>
 * spark-submit --class org.lurm.spark.examples.LurmSparkJob --jars lurm-java-api.jar lurm-spark.jar \
 *     --events hdfs:///logs/events.parquet --out hdfs:///lurm/run1 [--model model.lurm | --train-fraction 0.01]
 * </pre>
 *
 * Options: {@code --events PATH} (Parquet, or CSV with a header when it ends in .csv; columns user, item,
 * timestamp [, weight] [, type], renamed with {@code --columns user,item,timestamp,weight,type}, "-" for none);
 * {@code --synthetic-users N} instead of --events: generated life-cycle data (demo); {@code --model FILE} a
 * trained model file readable on the driver, else a model is trained on the driver from
 * {@code --train-fraction} (default 0.05) of the users and written to OUT/model.lurm ({@code --train-steps},
 * default 200); {@code --partitions N}; {@code --lenient} (skip and count bad events). Outputs:
 * OUT/boi (BoI rows), OUT/embeddings (user, vector).
 *
 * <p><b>Thread-safety.</b> A main program; {@link #run} uses the given session.
 */
public final class LurmSparkJob {
    private LurmSparkJob() {
    }

    public static void main(String[] args) throws Exception {
        SparkSession.Builder b = SparkSession.builder().appName("lurm");
        if (!SparkSession.getActiveSession().isDefined() && System.getProperty("spark.master") == null) b.master("local[*]");
        SparkSession spark = b.getOrCreate();
        try {
            Map<String, Object> summary = run(spark, args);
            summary.forEach((k, v) -> System.out.println(k + ": " + v));
        } finally {
            spark.stop();
            ExecutorModels.closeAll();
        }
    }

    /** Runs the job on {@code spark}; returns a summary (counts, seconds per stage, output paths). */
    public static Map<String, Object> run(SparkSession spark, String[] args) throws Exception {
        Map<String, String> opt = parse(args);
        String out = require(opt, "out");
        int partitions = Integer.parseInt(opt.getOrDefault("partitions", "0"));
        boolean lenient = opt.containsKey("lenient");
        EventColumns cols = columns(opt.getOrDefault("columns", "user,item,timestamp,weight,-"));
        Map<String, Object> summary = new LinkedHashMap<>();

        Dataset<Row> events;
        if (opt.containsKey("events")) {
            String p = opt.get("events");
            events = p.endsWith(".csv") || p.endsWith(".csv.gz")
                    ? spark.read().option("header", "true").option("inferSchema", "true").csv(p)
                    : spark.read().parquet(p);
        } else if (opt.containsKey("synthetic-users")) {
            events = synthetic(spark, Integer.parseInt(opt.get("synthetic-users")), Long.parseLong(opt.getOrDefault("seed", "42")));
            cols = EventColumns.defaults().withType("type");
        } else {
            throw new IllegalArgumentException("give --events PATH or --synthetic-users N");
        }

        long t0 = System.nanoTime();
        Path modelFile;
        if (opt.containsKey("model")) {
            modelFile = Path.of(opt.get("model"));
        } else {
            modelFile = Path.of(opt.getOrDefault("model-out", "model.lurm")).toAbsolutePath();
            train(events, cols, Double.parseDouble(opt.getOrDefault("train-fraction", "0.05")), Integer.parseInt(opt.getOrDefault("train-steps", "200")),
                    Long.parseLong(opt.getOrDefault("max-sample-events", "50000000")), modelFile);
            summary.put("trainedModel", modelFile);
        }
        long t1 = System.nanoTime();
        summary.put("modelSeconds", (t1 - t0) / 1e9);

        ItemInterests interests = ItemInterests.fromModel(modelFile);
        BoiSpec spec;
        try (MemoryScope s = MemoryScope.root("job-model-config")) {
            var cfg = LurmModel.load(modelFile, s).boiConfig();
            if (cfg.typeWeights() != null) throw new IllegalArgumentException("the model's BoI config has type weights: map them to type ids with BoiSpec.of(config, types) in your own job");
            spec = BoiSpec.of(cfg).withLenient(lenient);
        }
        BoiCounters counters = BoiCounters.register(spark, "lurm");
        Dataset<Row> boi = SparkBoi.aggregate(events, cols, SparkBoi.broadcast(spark, interests), spec, partitions, counters);
        String boiOut = out + "/boi", zOut = out + "/embeddings";
        boi.write().mode(SaveMode.Overwrite).parquet(boiOut);
        long t2 = System.nanoTime();
        summary.put("boiSeconds", (t2 - t1) / 1e9);
        summary.put("aggregatedEvents", counters.aggregatedEvents());
        summary.put("skippedUnknownItem", counters.skippedUnknownItem());
        summary.put("skippedMalformed", counters.skippedMalformed());

        Dataset<Row> z = SparkEncoder.encode(spark.read().parquet(boiOut), ModelSource.broadcast(spark, modelFile), partitions);
        z.write().mode(SaveMode.Overwrite).parquet(zOut);
        long t3 = System.nanoTime();
        summary.put("encodeSeconds", (t3 - t2) / 1e9);
        summary.put("boiRows", spark.read().parquet(boiOut).count());
        summary.put("encodedUsers", spark.read().parquet(zOut).count());
        summary.put("boiOut", boiOut);
        summary.put("embeddingsOut", zOut);
        return summary;
    }

    /** Training on the driver from a whole-user sample (what stays on one machine). */
    static void train(Dataset<Row> events, EventColumns cols, double fraction, int steps, long maxEvents, Path modelFile) throws Exception {
        try (MemoryScope scope = MemoryScope.root("job-train"); Backend backend = Backends.create(); Parallel par = new Parallel(Runtime.getRuntime().availableProcessors())) {
            EventTable local = SparkSampling.collect(SparkSampling.sampleUsers(events, cols, fraction, 42), cols, maxEvents, scope);
            if (local.size() == 0) throw new IllegalArgumentException("the training sample is empty: raise --train-fraction");
            // Lenient: items that could not be embedded (no co-occurrence in the sample) have no interest; skip their events.
            BagOfInterests stage1 = BagOfInterests.fit(local, null, BagOfInterests.Config.defaults().withBoi(BoiConfig.defaults().withLenient(true)), backend, scope, null);
            BoiSet rows = stage1.aggregate(local, backend, scope);
            SmenConfig d = SmenConfig.defaults();
            SmenConfig cfg = d.toBuilder().warmupSteps(Math.min(d.warmupSteps(), steps / 4)).maxSteps(steps).build(); // every default option kept
            Smen smen = Smen.train(rows, stage1.interests().centroids(), stage1.embeddings().dim(), cfg, par, null, null, 0);
            Files.createDirectories(modelFile.toAbsolutePath().getParent());
            LurmModel.of(stage1, local.items(), smen).save(modelFile);
        }
    }

    /** Generated life-cycle events as a DataFrame (user, item, timestamp, weight, type). */
    static Dataset<Row> synthetic(SparkSession spark, int users, long seed) {
        StructType schema = new StructType().add("user", DataTypes.StringType).add("item", DataTypes.StringType)
                .add("timestamp", DataTypes.LongType).add("weight", DataTypes.FloatType).add("type", DataTypes.StringType);
        List<Row> rows = new ArrayList<>();
        try (MemoryScope scope = MemoryScope.root("job-synthetic")) {
            EventTable ev = LifeCycleGenerator.generate(LifeCycleConfig.demo().toBuilder().users(users).seed(seed).build(), scope).events();
            for (long i = 0; i < ev.size(); i++) {
                rows.add(RowFactory.create(ev.users().id(ev.user(i)), ev.items().id(ev.item(i)), ev.timestamp(i), ev.weight(i), ev.types().id(ev.type(i))));
            }
        }
        return spark.createDataFrame(rows, schema);
    }

    private static EventColumns columns(String spec) {
        String[] c = spec.split(",", -1);
        if (c.length < 3 || c.length > 5) throw new IllegalArgumentException("--columns needs user,item,timestamp[,weight[,type]], got " + spec);
        String w = c.length > 3 && !c[3].equals("-") ? c[3] : null;
        String t = c.length > 4 && !c[4].equals("-") ? c[4] : null;
        return new EventColumns(c[0], c[1], c[2], w, t);
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) throw new IllegalArgumentException("unexpected argument '" + args[i] + "' (options start with --)");
            String k = args[i].substring(2);
            if (k.equals("lenient")) {
                m.put(k, "true");
            } else {
                if (i + 1 >= args.length) throw new IllegalArgumentException("option --" + k + " needs a value");
                m.put(k, args[++i]);
            }
        }
        return m;
    }

    private static String require(Map<String, String> opt, String k) {
        String v = opt.get(k);
        if (v == null) throw new IllegalArgumentException("--" + k + " is required");
        return v;
    }
}
