package org.lurm.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.lurm.BagOfInterests;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.Scale;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.memory.MemoryScope;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
import org.lurm.testing.TestData;

/** User sampling for training on the driver, and what travels to executors (serialisation of specs and interests). */
class SparkSamplingTest {
    @Test
    void samplesWholeUsersAboutTheFractionAndCollectsThem() {
        long seed = TestData.seed("spark-sampling");
        try (MemoryScope scope = MemoryScope.root("test")) {
            EventTable ev = LifeCycleGenerator.generate(LifeCycleConfig.tiny().toBuilder().users(1000).seed(seed).build(), scope).events();
            Dataset<Row> all = SparkTestSupport.frame(ev);
            Map<String, Long> perUser = new HashMap<>();
            for (long i = 0; i < ev.size(); i++) perUser.merge(ev.users().id(ev.user(i)), 1L, Long::sum);

            Dataset<Row> sample = SparkSampling.sampleUsers(all, EventColumns.defaults(), 0.3, seed);
            Map<String, Long> got = new HashMap<>();
            for (Row r : sample.collectAsList()) got.merge(r.getString(0), 1L, Long::sum);
            for (var e : got.entrySet()) assertEquals(perUser.get(e.getKey()), e.getValue(), "every event of sampled user " + e.getKey());
            // 1000 users at p = 0.3: mean 300, sd 14.5; 6 sd either side.
            assertTrue(got.size() > 213 && got.size() < 387, "sampled users: " + got.size());
            assertEquals(got.keySet(), userSet(SparkSampling.sampleUsers(all, EventColumns.defaults(), 0.3, seed)), "same seed, same users");

            EventTable local = SparkSampling.collect(sample, EventColumns.defaults(), 1_000_000, scope);
            assertEquals(got.values().stream().mapToLong(Long::longValue).sum(), local.size());
            assertEquals(got.size(), local.numUsers());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SparkSampling.collect(sample, EventColumns.defaults(), 10, scope));
            assertTrue(e.getMessage().contains("more than 10 events"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> SparkSampling.sampleUsers(all, EventColumns.defaults(), 0, seed));

            // Interests fitted on the driver from the sample: the local library's fit of the same sample.
            BagOfInterests.Config cfg = BagOfInterests.Config.defaults().withInterests(16).withSeed(seed);
            ItemInterests fitted = SparkSampling.fitInterests(all, EventColumns.defaults(), cfg, 0.3, seed, 1_000_000);
            assertEquals(16, fitted.numInterests());
            try (Backend backend = Backends.create()) {
                BagOfInterests ref = BagOfInterests.fit(local, null, cfg, backend, scope, null);
                int assigned = 0;
                for (int i = 0; i < local.numItems(); i++) {
                    String id = local.items().id(i);
                    assertEquals(ref.interests().interestOf(i), fitted.interestOf(id), "interest of item " + id);
                    if (fitted.interestOf(id) >= 0) assigned++;
                }
                assertTrue(assigned > local.numItems() / 2, assigned + " of " + local.numItems() + " sampled items have an interest");
            }
        }
    }

    private static java.util.Set<String> userSet(Dataset<Row> d) {
        java.util.Set<String> s = new java.util.HashSet<>();
        for (Row r : d.select("user").distinct().collectAsList()) s.add(r.getString(0));
        return s;
    }

    @Test
    void specsAndInterestsSurviveJavaSerialisation() throws Exception {
        var types = EventTableBuilder.defaultTypes();
        types.add("view");
        types.add("purchase");
        BoiConfig cfg = BoiConfig.of(new Scale("7d", 7 * Scale.DAY, 3), Scale.days(365, 2)).withOrigin(-86_400).withTypeWeights(1f, 0.5f, 3f).withLenient(true);
        BoiSpec spec = BoiSpec.of(cfg, types);
        BoiSpec back = roundTrip(spec);
        assertEquals(spec, back);
        assertEquals(cfg, back.toBoiConfig(types), "same local config for the same type dictionary");
        assertEquals(Map.of("", 1f, "view", 0.5f, "purchase", 3f), back.typeWeights());

        ItemInterests ii = new ItemInterests(new String[] {"a", "b", "c"}, new int[] {2, -1, 0}, 3);
        ItemInterests ib = roundTrip(ii);
        assertEquals(2, ib.interestOf("a"));
        assertEquals(-1, ib.interestOf("b"));
        assertEquals(0, ib.interestOf("c"));
        assertEquals(-1, ib.interestOf("never-seen"));
        assertThrows(IllegalArgumentException.class, () -> new ItemInterests(new String[] {"a"}, new int[] {3}, 3));
        assertThrows(IllegalArgumentException.class, () -> new ItemInterests(new String[] {"a", "a"}, new int[] {0, 1}, 3));
        assertThrows(IllegalArgumentException.class, () -> BoiSpec.defaults().withTypeWeights(Map.of("x", -1f)));
        assertThrows(IllegalArgumentException.class, () -> new BoiSpec(new String[] {"a", "b"}, new long[] {100, 10}, new int[] {1, 1}, 0, null, false),
                "scales must be finest first");
        assertTrue(List.of(BoiRows.SCHEMA.fieldNames()).containsAll(List.of("user", "scale", "period", "history", "interests", "values")));
    }

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(T o) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }
}
