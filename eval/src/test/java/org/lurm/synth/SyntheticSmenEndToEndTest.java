package org.lurm.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.BagOfInterests;
import org.lurm.LurmModel;
import org.lurm.smen.Smen;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenFile;
import org.lurm.smen.SmenLayout;
import org.lurm.smen.SmenExplanation;
import org.lurm.smen.SmenInit;
import org.lurm.smen.SmenModel;
import org.lurm.smen.SmenTrainer;
import org.lurm.BagOfInterests;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiSet;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
import org.lurm.synth.SyntheticData;

/**
 * SMEN end to end on generator data: the loss falls, a linear probe on frozen z recovers a planted attribute
 * far better than the same probe on the random-init encoder, the same seed gives the same model, and
 * save -> load -> encode is bit-identical.
 */
class SyntheticSmenEndToEndTest {
    static SmenConfig small(int steps) {
        return new SmenConfig(32, 4, 8, 16, 64, 32, 0.1f, 0.1f, 3e-3f, 0.9f, 0.999f, 1e-8f, 20, steps, 0, 5f, 128, 0.1, 50, 25, 1.0, 11L);
    }

    @Test
    void trainsEncodesAndBeatsRandomInitOnAPlantedAttribute(@TempDir Path dir) {
        try (MemoryScope scope = MemoryScope.root("t"); Backend backend = Backends.create(); Parallel par = new Parallel(2)) {
            SyntheticData d = LifeCycleGenerator.generate(LifeCycleConfig.builder().users(1200).items(600).topics(12).topicGroups(4)
                    .attributeNoise(0.0).seed(5).build(), scope);
            BagOfInterests stage1 = BagOfInterests.fit(d.events(), null, BagOfInterests.Config.defaults().withInterests(300), backend, scope, null);
            BoiSet boi = stage1.aggregate(d.events(), backend, scope);
            List<Double> losses = new ArrayList<>();
            SmenTrainer.Listener l = new SmenTrainer.Listener() {
                @Override
                public void onStep(SmenTrainer.StepInfo info) {
                    losses.add(info.loss().total());
                }
            };
            SmenConfig cfg = small(240);
            Smen smen = Smen.train(boi, stage1.interests().centroids(), stage1.embeddings().dim(), cfg, par, l, null, 0);
            double first = losses.subList(0, 10).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            double last = losses.subList(losses.size() - 10, losses.size()).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            System.out.printf("[smen] loss %.4f -> %.4f over %d steps%n", first, last, losses.size());
            assertTrue(last < first - 0.3, "loss falls: " + first + " -> " + last);

            F32Array z = smen.encode(boi, par, scope);
            SmenLayout layout = smen.layout();
            float[] init = SmenInit.initialize(layout, stage1.interests().centroids(), stage1.embeddings().dim(),
                    SmenInit.Options.defaults(cfg.seed()), par).parameters();
            F32Array zCentroidInit = Smen.of(layout, init, boi).encode(boi, par, scope);
            // Random-init SMEN: every parameter random, V included (normal, the same RMS as the PCA init).
            float[] random = init.clone();
            java.util.SplittableRandom rr = new java.util.SplittableRandom(99);
            for (int i = layout.offset("V"), e = i + layout.numInterests() * cfg.h(); i < e; i++) random[i] = (float) rr.nextGaussian();
            F32Array zRandom = Smen.of(layout, random, boi).encode(boi, par, scope);
            // The uncompressed reference: lifetime BoI at the finest scale, tf-idf weighted, L2-normalised.
            int kk = boi.numInterests();
            F32Array raw = scope.allocateF32((long) boi.numUsers() * kk);
            for (int u = 0; u < boi.numUsers(); u++) {
                for (long row = boi.userRowStart(u); row < boi.userRowStart(u + 1); row++) {
                    if (boi.rowScale(row) != 0) continue;
                    for (long j = boi.rowStart(row); j < boi.rowEnd(row); j++) raw.set((long) u * kk + boi.col(j), raw.get((long) u * kk + boi.col(j)) + boi.val(j));
                }
                double ss = 0;
                for (int c = 0; c < kk; c++) {
                    float v = (float) Math.log1p(raw.get((long) u * kk + c)) * boi.idf(c);
                    raw.set((long) u * kk + c, v);
                    ss += v * v;
                }
                for (int c = 0; c < kk; c++) raw.set((long) u * kk + c, (float) (raw.get((long) u * kk + c) / Math.max(1e-12, Math.sqrt(ss))));
            }
            for (String attr : new String[] {LifeCycleGenerator.SEGMENT, LifeCycleGenerator.DRIFT_DIRECTION}) {
                String positive = attr.equals(LifeCycleGenerator.SEGMENT) ? "high" : "up";
                int[] label = new int[boi.numUsers()];
                for (int u = 0; u < label.length; u++) label[u] = positive.equals(d.attributes().get(u, attr)) ? 1 : 0;
                double auc = Probe.heldOutAuc(z, smen.width(), label, 7);
                double aucInit = Probe.heldOutAuc(zCentroidInit, smen.width(), label, 7);
                double aucRandom = Probe.heldOutAuc(zRandom, smen.width(), label, 7);
                double aucRaw = Probe.heldOutAuc(raw, kk, label, 7);
                System.out.printf("[smen] probe AUC on planted '%s': trained %.3f, untrained with centroid-PCA V %.3f, random-init %.3f, raw BoI (%d dims) %.3f%n",
                        attr, auc, aucInit, aucRandom, kk, aucRaw);
                assertTrue(auc >= aucRaw - 0.03, attr + ": SMEN at " + smen.width() + " floats " + auc + " vs the uncompressed BoI " + aucRaw);
                if (attr.equals(LifeCycleGenerator.SEGMENT)) {
                    // Measured with these seeds and the defaults of issue 10 (e = 128, prediction term on, this test's
                    // lr 3e-3): trained 0.915, centroid-PCA init 0.904, random init 0.896, raw BoI 0.885 (MODEL.md's
                    // defaults gave 0.919 / 0.916 / 0.878 / 0.886). The planted segment is a linear function of topic
                    // shares, which even a random projection of the BoI keeps largely; training must beat both
                    // initialisations, the margins are modest (docs/RESULTS.md).
                    assertTrue(auc > aucInit + 0.005, "trained " + auc + " vs its own initialisation " + aucInit);
                    assertTrue(auc > aucRandom + 0.01, "trained " + auc + " vs random-init " + aucRandom);
                    assertTrue(auc > 0.85, "trained AUC " + auc);
                }
            }

            // Save -> load -> encode is bit-identical.
            Path file = dir.resolve("smen.lurm");
            SmenFile.save(file, smen);
            try (MemoryScope s2 = MemoryScope.root("load")) {
                Smen loaded = SmenFile.load(file, s2);
                assertArrayEquals(z.toArray(), loaded.encode(boi, par, s2).toArray());
            }
            // Same seed, same model.
            Smen again = Smen.train(boi, stage1.interests().centroids(), stage1.embeddings().dim(), cfg, par, null, null, 0);
            assertArrayEquals(smen.parameters(), again.parameters());
            assertEquals(z.length(), (long) boi.numUsers() * smen.width());
        }
    }

}
