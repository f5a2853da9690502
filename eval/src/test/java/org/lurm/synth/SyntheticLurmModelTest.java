package org.lurm.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.BagOfInterests;
import org.lurm.LurmModel;
import org.lurm.smen.Smen;
import org.lurm.SmenConfig;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiSet;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.ModelFormatException;
import org.lurm.smen.Smen;
import org.lurm.SmenConfig;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
import org.lurm.synth.SyntheticData;

/** One model file turns raw events, read with any item dictionary, into the same representations. */
class SyntheticLurmModelTest {
    @Test
    void oneFileEncodesRawEvents(@TempDir Path dir) throws Exception {
        try (MemoryScope scope = MemoryScope.root("t"); Backend backend = Backends.create(); Parallel par = new Parallel(2)) {
            SyntheticData d = LifeCycleGenerator.generate(LifeCycleConfig.tiny(), scope);
            BagOfInterests stage1 = BagOfInterests.fit(d.events(), null, BagOfInterests.Config.defaults().withInterests(24), backend, scope, null);
            BoiSet rows = stage1.aggregate(d.events(), backend, scope);
            SmenConfig x = SmenConfig.defaults();
            SmenConfig cfg = new SmenConfig(16, 2, 4, 8, 8, 8, x.tau(), x.diversityWeight(), x.learningRate(), x.beta1(), x.beta2(), x.eps(), 2, 8, 0,
                    x.clipNorm(), 32, 0.0, 5, 50, 1.0, 3L);
            Smen smen = Smen.train(rows, stage1.interests().centroids(), stage1.embeddings().dim(), cfg, par, null, null, 0);
            F32Array expected = smen.encode(rows, par, scope);
            Path file = dir.resolve("model.lurm");
            LurmModel.of(stage1, d.events().items(), smen).save(file);

            // The same events read into fresh dictionaries, users and items in reverse order of first appearance.
            EventTable ev = d.events();
            EventTableBuilder b = new EventTableBuilder();
            for (long i = ev.size() - 1; i >= 0; i--) b.add(ev.users().id(ev.user(i)), ev.items().id(ev.item(i)), ev.timestamp(i), ev.weight(i));
            try (MemoryScope s2 = MemoryScope.root("load")) {
                String header = org.lurm.model.ModelFile.open(file, s2).header();
                assertTrue(header.contains("\"provenance\"") && header.contains("\"training\"") && header.contains("\"lastLoss\""), header.substring(0, 300));
                LurmModel m = LurmModel.load(file, s2);
                EventTable fresh = b.build(s2);
                F32Array z = m.encodeEvents(fresh, false, backend, par, s2);
                int w = smen.width();
                for (int u = 0; u < fresh.numUsers(); u++) {
                    int orig = ev.users().indexOf(fresh.users().id(u));
                    for (int j = 0; j < w; j++) {
                        float e = expected.get((long) orig * w + j), g = z.get((long) u * w + j);
                        assertEquals(e, g, 1e-5f * Math.max(1, Math.abs(e)), "user " + fresh.users().id(u) + " z[" + j + "]");
                    }
                }
                // An item the model never saw: an error naming it, or skipped and counted.
                EventTableBuilder nb = new EventTableBuilder();
                nb.add("someone", "never-seen-item", 1_500_000_000L, 1f);
                nb.add("someone", ev.items().id(0), 1_500_000_000L, 1f);
                EventTable unknown = nb.build(s2);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.aggregate(unknown, false, backend, s2));
                assertTrue(e.getMessage().contains("never-seen-item"), e.getMessage());
                assertEquals(1, m.aggregate(unknown, true, backend, s2).skippedEvents());
            }
            // A truncated file is a clear error, never a crash.
            byte[] bytes = Files.readAllBytes(file);
            Path cut = dir.resolve("cut.lurm");
            Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));
            try (MemoryScope s3 = MemoryScope.root("cut")) {
                assertThrows(ModelFormatException.class, () -> LurmModel.load(cut, s3));
            }
        }
    }

    /**
     * Type weights follow the type's name, not the order types first appear in: the same events re-read with their
     * types in the opposite order encode the same (a model that keeps weights by index does not, which is the bug
     * this guards against), through a save and a load.
     */
    @Test
    void typeWeightsApplyByNameWhateverTheTypeOrder(@TempDir Path dir) throws Exception {
        try (MemoryScope scope = MemoryScope.root("types"); Backend backend = Backends.create(); Parallel par = new Parallel(2)) {
            java.util.SplittableRandom r = new java.util.SplittableRandom(org.lurm.testing.TestData.seed("typeWeightsByName"));
            EventTableBuilder b = new EventTableBuilder();
            java.util.List<Object[]> rows = new java.util.ArrayList<>();
            String[] types = {"view", "purchase"};
            for (int u = 0; u < 60; u++) {
                for (int e = 0; e < 30; e++) {
                    Object[] ev = {"u" + u, "i" + r.nextInt(40), 1_500_000_000L + r.nextLong(400L * 86400), types[(u + e) % 7 == 0 ? 1 : 0]};
                    rows.add(ev);
                }
            }
            rows.sort(java.util.Comparator.comparing((Object[] x) -> (String) x[3])); // "purchase" first
            for (Object[] x : rows) b.add((String) x[0], (String) x[1], (Long) x[2], 1f, (String) x[3]);
            EventTable ev = b.build(scope);
            assertEquals("purchase", ev.types().id(1)); // index 0 is the dictionary's default type ""
            BagOfInterests.Config c = BagOfInterests.Config.defaults().withInterests(12).withBoi(org.lurm.boi.BoiConfig.defaults().withTypeWeights(1f, 5f, 1f));
            BagOfInterests stage1 = BagOfInterests.fit(ev, null, c, backend, scope, null);
            BoiSet boi = stage1.aggregate(ev, backend, scope);
            SmenConfig cfg = SmenConfig.builder().h(16).anchors(2).anchorDim(4).recencyBuckets(8).headHidden(8).headOut(8).maxSteps(6).batchUsers(16)
                    .heldOutFraction(0.0).seed(3L).build();
            Smen smen = Smen.train(boi, stage1.interests().centroids(), stage1.embeddings().dim(), cfg, par, null, null, 0);
            F32Array expected = smen.encode(boi, par, scope);
            Path named = dir.resolve("named.lurm"), indexed = dir.resolve("indexed.lurm");
            LurmModel.of(stage1, ev.items(), ev.types(), smen).save(named);
            LurmModel.of(stage1, ev.items(), smen).save(indexed);

            EventTableBuilder rb = new EventTableBuilder(); // the same events, "view" first
            for (int i = rows.size() - 1; i >= 0; i--) rb.add((String) rows.get(i)[0], (String) rows.get(i)[1], (Long) rows.get(i)[2], 1f, (String) rows.get(i)[3]);
            try (MemoryScope s2 = MemoryScope.root("load")) {
                EventTable fresh = rb.build(s2);
                assertEquals("view", fresh.types().id(1));
                F32Array z = LurmModel.load(named, s2).encodeEvents(fresh, false, backend, par, s2);
                F32Array zi = LurmModel.load(indexed, s2).encodeEvents(fresh, false, backend, par, s2);
                int w = smen.width();
                double byIndexOff = 0;
                for (int u = 0; u < fresh.numUsers(); u++) {
                    int orig = ev.users().indexOf(fresh.users().id(u));
                    for (int j = 0; j < w; j++) {
                        float e = expected.get((long) orig * w + j);
                        assertEquals(e, z.get((long) u * w + j), 1e-5f * Math.max(1, Math.abs(e)), "user " + fresh.users().id(u) + " z[" + j + "]");
                        byIndexOff = Math.max(byIndexOff, Math.abs(e - zi.get((long) u * w + j)));
                    }
                }
                assertTrue(byIndexOff > 1e-3, "weights by index should misweigh the re-ordered types (the guard would be vacuous): " + byIndexOff);
            }
        }
    }
}
