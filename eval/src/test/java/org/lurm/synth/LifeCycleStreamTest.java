package org.lurm.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.backend.cpu.Parallel;
import org.lurm.events.EventTable;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

/** The streaming generator produces exactly the in-memory generator's events and labels, whatever the batching. */
class LifeCycleStreamTest {

    /** Streams {@code c} in random-sized user ranges, in a random order of ranges, and compares every event and label. */
    private static void assertStreamEqualsTable(LifeCycleConfig c, long seed) {
        try (MemoryScope scope = MemoryScope.root("stream"); Parallel par = new Parallel(2)) {
            SyntheticData d = new LifeCycleGenerator(c).generate(scope, par);
            EventTable ev = d.events();
            LifeCycleStream s = new LifeCycleGenerator(c).stream();
            assertEquals(ev.size(), s.totalEvents());
            assertEquals(c.users(), s.numUsers());
            assertEquals(c.items(), s.numItems());
            long[] firstEvent = new long[c.users() + 1];
            for (int u = 0; u < c.users(); u++) {
                assertEquals(d.truth().eventCount(u), s.eventCount(u), "events of user " + u);
                firstEvent[u + 1] = firstEvent[u] + s.eventCount(u);
            }
            for (int t = 0; t < c.behaviourTypes().size(); t++) assertEquals(ev.types().id(t), s.typeName(t));

            // ranges of 1 to 40 users, generated back to front, so nothing depends on the order of calls
            SplittableRandom r = new SplittableRandom(seed);
            List<int[]> ranges = new java.util.ArrayList<>();
            for (int u = 0; u < c.users(); ) {
                int to = Math.min(c.users(), u + 1 + r.nextInt(40));
                ranges.add(new int[] {u, to});
                u = to;
            }
            LifeCycleStream.Batch b = s.newBatch();
            for (int k = ranges.size() - 1; k >= 0; k--) {
                int from = ranges.get(k)[0], to = ranges.get(k)[1];
                s.generate(from, to, b);
                assertEquals(from, b.firstUser());
                assertEquals(to, b.endUser());
                assertEquals(firstEvent[to] - firstEvent[from], b.size());
                for (int i = 0; i < b.size(); i++) {
                    long e = firstEvent[from] + i;
                    String at = "event " + e + " (batch " + from + ".." + to + ", index " + i + ")";
                    assertEquals(ev.user(e), b.user(i), at);
                    assertEquals(ev.users().id(ev.user(e)), LifeCycleStream.userId(b.user(i)), at);
                    assertEquals(ev.items().id(ev.item(e)), LifeCycleStream.itemId(b.item(i)), at);
                    assertEquals(ev.timestamp(e), b.timestamp(i), at);
                    assertEquals(Float.floatToIntBits(ev.weight(e)), Float.floatToIntBits(b.weight(i)), at);
                    assertEquals(ev.type(e), b.type(i), at);
                }
            }
            PlantedLabels labels = s.labels();
            assertEquals(c.users(), labels.numUsers());
            for (int u = 0; u < c.users(); u++) {
                for (String a : PlantedLabels.ATTRIBUTES) assertEquals(d.attributes().get(u, a), labels.get(u, a), "user " + u + " " + a);
            }
            assertEquals(d.attributes().columnNames().stream().sorted().toList(), PlantedLabels.ATTRIBUTES.stream().sorted().toList());
        }
    }

    @Test
    void streamEqualsTheInMemoryGenerator() {
        long seed = TestData.seed("streamEqualsTheInMemoryGenerator");
        assertStreamEqualsTable(LifeCycleConfig.tiny().toBuilder().seed(seed).build(), seed);
        // an even number of users (the segment median between two users), more groups than age classes, no drift
        // (every drift tie broken by the coin), single-event sessions, no burstiness and label noise 0
        assertStreamEqualsTable(LifeCycleConfig.tiny().toBuilder().users(150).topics(16).topicGroups(9).drift(0).meanSessionEvents(1)
                .burstiness(0).attributeNoise(0).seed(seed + 1).build(), seed + 1);
    }

    @Test
    void concurrentRangesGiveTheSameBatches() {
        long seed = TestData.seed("concurrentRangesGiveTheSameBatches");
        LifeCycleConfig c = LifeCycleConfig.tiny().toBuilder().users(600).seed(seed).build();
        LifeCycleStream one = new LifeCycleStream(c), many = new LifeCycleStream(c);
        LifeCycleStream.Batch all = one.generate(0, c.users(), one.newBatch());
        long[] sums = new long[8];
        try (Parallel par = new Parallel(3)) {
            par.forRange(c.users(), 8, 1, (chunk, lo, hi) -> {
                LifeCycleStream.Batch b = many.generate((int) lo, (int) hi, many.newBatch());
                long h = 0;
                for (int i = 0; i < b.size(); i++) h = h * 31 + b.item(i) * 7919L + b.timestamp(i);
                sums[chunk] = h;
            });
        }
        int off = 0;
        int per = (c.users() + 7) / 8;
        for (int k = 0; k < 8; k++) {
            int lo = Math.min(c.users(), k * per), hi = Math.min(c.users(), (k + 1) * per);
            int n = 0;
            for (int u = lo; u < hi; u++) n += one.eventCount(u);
            long h = 0;
            for (int i = off; i < off + n; i++) h = h * 31 + all.item(i) * 7919L + all.timestamp(i);
            assertEquals(h, sums[k], "chunk " + k);
            off += n;
        }
        PlantedLabels a = one.labels(), b = many.labels();
        for (int u = 0; u < c.users(); u++) for (String at : PlantedLabels.ATTRIBUTES) assertEquals(a.get(u, at), b.get(u, at));
    }

    @Test
    void labelsNeedEveryUserAndOrderMustBeUserTime() {
        LifeCycleConfig c = LifeCycleConfig.tiny();
        LifeCycleStream s = new LifeCycleStream(c);
        s.generate(0, c.users() - 1, s.newBatch());
        IllegalStateException e = assertThrows(IllegalStateException.class, s::labels);
        assertTrue(e.getMessage().contains("user " + (c.users() - 1)), e.getMessage());
        IllegalArgumentException o = assertThrows(IllegalArgumentException.class,
                () -> new LifeCycleStream(c.toBuilder().order(EventOrder.SHUFFLED).build()));
        assertTrue(o.getMessage().contains("USER_TIME"), o.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> s.generate(5, c.users() + 1, s.newBatch()));
        LifeCycleStream other = new LifeCycleStream(c);
        assertThrows(IllegalArgumentException.class, () -> s.generate(0, 1, other.newBatch()));
        assertThrows(IndexOutOfBoundsException.class, () -> s.newBatch().type(0), "an empty batch has no event 0");
        s.generate(c.users() - 1, c.users(), s.newBatch());
        assertThrows(IllegalArgumentException.class, () -> s.labels().get(0, "no-such-attribute"));
    }
}
