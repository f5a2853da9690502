package org.lurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiSet;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.model.ModelFormatException;
import org.lurm.smen.Smen;
import org.lurm.smen.SmenConfig;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
import org.lurm.synth.SyntheticData;

/** One model file turns raw events, read with any item dictionary, into the same representations. */
class LurmModelTest {
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
}
