package org.lurm.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.BagOfInterests;
import org.lurm.LurmModel;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.events.EventTable;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.smen.Smen;
import org.lurm.SmenConfig;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
import org.lurm.synth.SyntheticData;
import org.lurm.testing.TestData;

/** Spark encodings of a saved model against the local encoder of the same model, user for user. */
class SparkEncoderTest {
    @AfterEach
    void releaseExecutorModels() {
        ExecutorModels.closeAll(); // local[2]: the "executor" is this JVM, whose model cache would outlive the test
    }

    @Test
    void sparkEncodingsEqualLocalEncodings(@TempDir Path dir) throws Exception {
        long seed = TestData.seed("spark-encode");
        Path file = dir.resolve("model.lurm");
        try (MemoryScope scope = MemoryScope.root("test"); Backend backend = Backends.create(); Parallel par = new Parallel(2)) {
            SyntheticData d = LifeCycleGenerator.generate(LifeCycleConfig.tiny().toBuilder().users(400).seed(seed).build(), scope);
            EventTable ev = d.events();
            // Types weigh through the event weights here, so the model's BoI config has no type weights.
            BagOfInterests stage1 = BagOfInterests.fit(ev, null, BagOfInterests.Config.defaults().withBoi(BoiConfig.defaults().withLenient(true)).withInterests(32).withSeed(seed), backend, scope, null);
            BoiSet rows = stage1.aggregate(ev, backend, scope);
            SmenConfig x = SmenConfig.defaults();
            SmenConfig cfg = new SmenConfig(16, 4, 4, 8, 16, 8, x.tau(), x.diversityWeight(), x.learningRate(), x.beta1(), x.beta2(), x.eps(), 2, 12, 0,
                    x.clipNorm(), 64, 0.0, 5, 50, 1.0, seed);
            Smen smen = Smen.train(rows, stage1.interests().centroids(), stage1.embeddings().dim(), cfg, par, null, null, 0);
            LurmModel.of(stage1, ev.items(), smen).save(file);
        }
        try (MemoryScope scope = MemoryScope.root("local"); Backend backend = Backends.create(); Parallel par = new Parallel(2)) {
            SyntheticData d = LifeCycleGenerator.generate(LifeCycleConfig.tiny().toBuilder().users(400).seed(seed).build(), scope);
            EventTable ev = d.events();
            LurmModel model = LurmModel.load(file, scope);
            // Lenient on both sides: an item the co-occurrence embedding could not place has no interest.
            F32Array expected = model.encodeEvents(ev, true, backend, par, scope);
            int w = model.smen().width();

            var spark = SparkTestSupport.spark();
            ItemInterests interests = ItemInterests.fromModel(file);
            assertEquals(model.smen().layout().numInterests(), interests.numInterests());
            Dataset<Row> boi0 = SparkBoi.aggregate(SparkTestSupport.frame(ev), EventColumns.defaults(), SparkBoi.broadcast(spark, interests),
                    BoiSpec.of(model.boiConfig()).withLenient(true), 3, null);
            // Through Parquet, as a job would store them.
            boi0.write().parquet(dir.resolve("boi").toString());
            Dataset<Row> boi = spark.read().parquet(dir.resolve("boi").toString()).cache();
            // Model bytes broadcast and a shared path, on the CPU; then the paths of a non-CPU executor backend:
            // SMEN ops shared by all tasks, and a backend without SMEN ops (the CPU encoder, with a warning).
            String[] backends = {null, null, "spark-test-shared", "spark-test-no-smen"};
            List<ModelSource> sources = List.of(ModelSource.broadcast(spark, file), ModelSource.sharedPath(file.toString()),
                    ModelSource.sharedPath(file.toString()), ModelSource.sharedPath(file.toString()));
            for (int run = 0; run < sources.size(); run++) {
                ModelSource source = sources.get(run);
                Map<String, float[]> got = new HashMap<>();
                if (backends[run] != null) {
                    ExecutorModels.closeAll(); // the backend is chosen when a model is loaded
                    System.setProperty("lurm.backend", backends[run]);
                }
                List<Row> encoded;
                try {
                    encoded = SparkEncoder.encode(boi, source, 2).collectAsList();
                    assertEquals(run == 2, ExecutorModels.get(source).sharedOps != null, "shared SMEN ops only for the backend that has them");
                } finally {
                    System.clearProperty("lurm.backend");
                }
                if (run == 1) assertEquals(2, ExecutorModels.loadedCount(), "one load per model source in this JVM, shared by all tasks");
                for (Row r : encoded) {
                    List<Object> v = r.getList(1);
                    float[] z = new float[v.size()];
                    for (int j = 0; j < z.length; j++) z[j] = (Float) v.get(j);
                    got.put(r.getString(0), z);
                }
                int active = 0;
                double maxDiff = 0;
                for (int u = 0; u < ev.numUsers(); u++) {
                    float[] z = got.get(ev.users().id(u));
                    boolean any = false;
                    for (int j = 0; j < w; j++) any |= expected.get((long) u * w + j) != 0;
                    if (z == null) {
                        // Only users without BoI rows are absent (they would be zeros locally); every generated user has events.
                        assertTrue(!any, "user " + ev.users().id(u) + " missing from the Spark encodings");
                        continue;
                    }
                    active++;
                    assertEquals(w, z.length);
                    for (int j = 0; j < w; j++) {
                        float e = expected.get((long) u * w + j);
                        maxDiff = Math.max(maxDiff, Math.abs(e - z[j]));
                        assertEquals(e, z[j], 1e-5f * Math.max(1, Math.abs(e)), "user " + ev.users().id(u) + " z[" + j + "]");
                    }
                }
                assertEquals(got.size(), active, "no user the local encoder lacks");
                assertTrue(active > 300, "most users encoded: " + active);
                System.out.println("[spark-encode] " + source.key().substring(0, Math.min(20, source.key().length())) + " backend " + backends[run] + ": " + active
                        + " users, max |z_spark - z_local| = " + maxDiff);
            }
            boi.unpersist();
        }
    }

    @Test
    void encodingMergedRowsEqualsEncodingFullRows(@TempDir Path dir) throws Exception {
        // The encoder reads rows, not events: merged incremental rows encode like freshly aggregated ones.
        long seed = TestData.seed("spark-encode-incremental");
        Path file = dir.resolve("m.lurm");
        try (MemoryScope scope = MemoryScope.root("test"); Backend backend = Backends.create(); Parallel par = new Parallel(2)) {
            EventTable ev = LifeCycleGenerator.generate(LifeCycleConfig.tiny().toBuilder().seed(seed).build(), scope).events();
            BagOfInterests stage1 = BagOfInterests.fit(ev, null, BagOfInterests.Config.defaults().withBoi(BoiConfig.defaults().withLenient(true)).withInterests(16).withSeed(seed), backend, scope, null);
            BoiSet rows = stage1.aggregate(ev, backend, scope);
            SmenConfig x = SmenConfig.defaults();
            SmenConfig cfg = new SmenConfig(8, 2, 4, 8, 8, 8, x.tau(), x.diversityWeight(), x.learningRate(), x.beta1(), x.beta2(), x.eps(), 1, 3, 0,
                    x.clipNorm(), 32, 0.0, 5, 50, 1.0, seed);
            LurmModel.of(stage1, ev.items(), Smen.train(rows, stage1.interests().centroids(), stage1.embeddings().dim(), cfg, par, null, null, 0)).save(file);

            var spark = SparkTestSupport.spark();
            var bi = SparkBoi.broadcast(spark, ItemInterests.fromModel(file));
            BoiSpec spec;
            try (MemoryScope s2 = MemoryScope.root("cfg")) {
                spec = BoiSpec.of(LurmModel.load(file, s2).boiConfig()).withLenient(true); // see above: items without interest
            }
            Dataset<Row> all = SparkTestSupport.frame(ev);
            long mid = (ev.timeRange()[0] + ev.timeRange()[1]) / 2;
            Dataset<Row> stored = SparkBoi.aggregate(all.where("timestamp < " + mid), EventColumns.defaults(), bi, spec, 2, null);
            Dataset<Row> fresh = SparkBoi.aggregate(all.where("timestamp >= " + mid), EventColumns.defaults(), bi, spec, 2, null);
            ModelSource src = ModelSource.broadcast(spark, file);
            Map<String, Row> a = new HashMap<>(), b = new HashMap<>();
            for (Row r : SparkEncoder.encode(SparkBoi.aggregate(all, EventColumns.defaults(), bi, spec, 2, null), src, 3).collectAsList()) a.put(r.getString(0), r);
            for (Row r : SparkEncoder.encode(SparkBoi.merge(stored, fresh, spec, 16, 2), src, 3).collectAsList()) b.put(r.getString(0), r);
            assertEquals(a.keySet(), b.keySet());
            for (var e : a.entrySet()) {
                Row other = b.get(e.getKey());
                assertNotNull(other);
                assertEquals(e.getValue().getList(1), other.getList(1), "user " + e.getKey());
            }
        }
    }
}
