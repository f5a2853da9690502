package org.lurm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.backend.Backend;
import org.lurm.backend.BackendUnavailableException;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiSet;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.progress.Progress;
import org.lurm.testing.TestData;

/**
 * The facade against the stage-level path it wraps: the same model and the same vectors as fitting Stage 1 and
 * SMEN by hand with the same configuration and seed, on fresh random events; the settings (threads, backend)
 * honoured; progress reported; explanations consistent with the model's interests; a closed instance refused.
 */
class LurmTest {
    private static final SmenConfig SMALL = SmenConfig.builder().anchors(2).anchorDim(8).headHidden(16).headOut(8)
            .batchUsers(32).maxSteps(12).warmupSteps(2).evalEvery(1000).build();

    private static EventTable events(MemoryScope scope, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        EventTableBuilder b = new EventTableBuilder();
        long t0 = 1_500_000_000L;
        for (int u = 0; u < 150; u++) {
            int taste = r.nextInt(6);
            int n = 5 + r.nextInt(40);
            for (int e = 0; e < n; e++) {
                int item = r.nextInt(10) < 7 ? taste * 40 + r.nextInt(40) : r.nextInt(240);
                b.add("u" + u, "i" + item, t0 + r.nextLong(2L * 365 * 86_400), 1f);
            }
        }
        return b.build(scope);
    }

    private static LurmConfig config(long seed) {
        return LurmConfig.builder().itemDim(16).interests(24).smen(SMALL).seed(seed).build();
    }

    @Test
    void fitAndEncodeEqualTheStagesDoneByHand(@TempDir Path dir) {
        long seed = TestData.seed("lurm-facade");
        try (MemoryScope scope = MemoryScope.root("facade"); Lurm lurm = Lurm.builder().threads(2).backend("cpu-scalar").build()) {
            assertEquals(2, lurm.threads());
            assertEquals("cpu-scalar", lurm.backendName());
            EventTable events = events(scope, seed);
            LurmConfig cfg = config(seed);
            assertEquals(seed, cfg.smen().seed());
            assertEquals(seed, cfg.interests().seed());
            LurmModel model = lurm.fit(events, cfg, scope);
            F32Array z = lurm.encode(model, events, scope);
            assertEquals((long) events.numUsers() * model.width(), z.length());

            // By hand, with the same configuration: Stage 1, rows, SMEN on the same backend kind.
            try (Backend backend = Backends.select("cpu-scalar").create(2); Parallel par = new Parallel(2)) {
                BagOfInterests stage1 = BagOfInterests.fit(events, null, cfg.interests().withBoi(cfg.interests().boi().withLenient(true)), backend, scope, null);
                BoiSet rows = stage1.aggregate(events, backend, scope);
                org.lurm.smen.Smen smen = org.lurm.smen.Smen.train(rows, stage1.interests().centroids(), stage1.embeddings().dim(), cfg.smen(), backend, par, null, null, 0);
                assertArrayEquals(smen.parameters(), model.smen().parameters(), "the same training, the same parameters");
                assertArrayEquals(smen.encode(rows, par, scope).toArray(), z.toArray(), "the same vectors");
            }

            // Saved and loaded, the model encodes the same; rows in, the same vectors as events in.
            Path file = dir.resolve("m.lurm");
            model.save(file);
            LurmModel loaded = LurmModel.load(file, scope);
            assertArrayEquals(z.toArray(), lurm.encode(loaded, events, scope).toArray());
            BoiSet rows = lurm.aggregate(loaded, events, true, scope);
            assertArrayEquals(z.toArray(), lurm.encode(loaded, rows, scope).toArray());
            // Items too rare to embed have no interest: skipped and counted when lenient, an error naming one when not.
            if (rows.skippedEvents() > 0) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> lurm.aggregate(loaded, events, false, scope));
                assertTrue(e.getMessage().contains("has no interest"), e.getMessage());
            } else {
                assertEquals(rows.numRows(), lurm.aggregate(loaded, events, false, scope).numRows());
            }

            // Explain: one pick per anchor, interests valid for the model, heaviest first; interestItems agrees.
            List<Lurm.AnchorPick> picks = lurm.explain(model, rows, 3, 4);
            assertEquals(SMALL.anchors(), picks.size());
            for (Lurm.AnchorPick p : picks) {
                assertTrue(p.interests().length <= 4);
                for (int i = 1; i < p.weights().length; i++) assertTrue(p.weights()[i - 1] >= p.weights()[i], "heaviest first");
                for (int k : p.interests()) {
                    for (String item : model.interestItems(k, 5)) assertEquals(k, model.itemInterest().get(model.items().indexOf(item)));
                }
            }
            assertThrows(IndexOutOfBoundsException.class, () -> lurm.explain(model, rows, rows.numUsers(), 4));
        }
    }

    @Test
    void progressIsReportedAndAClosedInstanceIsRefused() {
        long seed = TestData.seed("lurm-facade-progress");
        Map<String, AtomicLong> done = new ConcurrentHashMap<>();
        Progress p = (name, total, unit) -> new Progress.Task() {
            @Override
            public void advance(long units) {
                done.computeIfAbsent(name, k -> new AtomicLong()).addAndGet(units);
            }

            @Override
            public void close() {
            }
        };
        Lurm lurm = Lurm.builder().threads(1).progress(p).build();
        try (MemoryScope scope = MemoryScope.root("progress")) {
            EventTable events = events(scope, seed);
            LurmModel model = lurm.fit(events, config(seed), scope);
            lurm.encode(model, events, scope);
            long steps = done.get("train SMEN").get();
            assertTrue(steps > 0 && steps <= SMALL.maxSteps(), "training steps reported: " + steps);
            assertEquals(events.numUsers(), done.get("encode").get(), "every user encoded is reported");
            assertTrue(done.keySet().size() > 2, "Stage 1's stages are reported too: " + done.keySet());
            lurm.close();
            lurm.close(); // idempotent
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> lurm.encode(model, events, scope));
            assertTrue(e.getMessage().contains("closed"));
        }
    }

    @Test
    void settingsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> Lurm.builder().threads(0));
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Lurm.builder().backend("no-such-backend").build());
        assertTrue(e.getMessage().contains("no-such-backend"), e.getMessage());
        LurmConfig d = LurmConfig.defaults();
        assertEquals(SmenConfig.defaults(), d.smen(), "one place for SMEN's defaults");
        assertTrue(d.lenient());
        assertFalse(d.toBuilder().lenient(false).build().lenient());
        assertEquals(500, d.toBuilder().trainingSteps(500).build().smen().maxSteps());
    }
}
