package org.lurm.smen;

import org.lurm.SmenConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiSet;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;

/** SMEN with a volume sink end to end: training, saving, encoding, and the counts reaching z. */
class SmenVolumeSinkTest {
    static SmenConfig small(int steps) {
        return new SmenConfig(32, 4, 8, 16, 64, 32, 0.1f, 0.1f, 3e-3f, 0.9f, 0.999f, 1e-8f, 20, steps, 0, 5f, 128, 0.1, 50, 25, 1.0, 11L);
    }


    /**
     * With a volume sink (ROWS_AND_PERIODS) the model trains, saves and loads (the sink and its row of V included)
     * and encodes bit-identically after loading; and volume reaches z: the same user with every count doubled
     * encodes differently, where the sinkless model's per-row poolings see only the counts' proportions.
     */
    @Test
    void aVolumeSinkTrainsSavesAndLetsVolumeReachZ(@TempDir Path dir) {
        try (MemoryScope scope = MemoryScope.root("sink"); Parallel par = new Parallel(2)) {
            java.util.SplittableRandom r = new java.util.SplittableRandom(org.lurm.testing.TestData.seed("volumeSinkEndToEnd"));
            BoiSet boi = SmenInputsTest.randomBoi(scope, r, 80, 30);
            int k = boi.numInterests();
            float[] centroids = new float[k * 8];
            for (int i = 0; i < centroids.length; i++) centroids[i] = (float) r.nextGaussian();
            // Clustered anchors (over the K interest rows, not the sink's) ride along: saved and loaded with the rest.
            SmenConfig cfg = small(40).toBuilder().volumeSink(SmenConfig.VolumeSink.ROWS_AND_PERIODS).batchUsers(16).anchorInitScale(2f).build();
            Smen smen = Smen.train(boi, scope.copyOf(centroids), 8, cfg, par, null, null, 0);
            assertEquals(k + 1, smen.layout().numInterests());
            F32Array z = smen.encode(boi, par, scope);
            Path file = dir.resolve("sink.lurm");
            SmenFile.save(file, smen);
            try (MemoryScope s2 = MemoryScope.root("load")) {
                Smen loaded = SmenFile.load(file, s2);
                assertEquals(SmenConfig.VolumeSink.ROWS_AND_PERIODS, loaded.config().volumeSink());
                assertEquals(2f, loaded.config().anchorInitScale());
                assertEquals(smen.config(), loaded.config());
                assertArrayEquals(z.toArray(), loaded.encode(boi, par, s2).toArray());
            }
            // One user's batch with every value log(1 + x) * idf recomputed for 2x: the sink model's z moves.
            SmenInputs in = smen.inputs(boi);
            SmenBatch one = in.full(new int[] {5});
            float[] doubled = one.vals().clone();
            for (int j = 0; j < doubled.length; j++) {
                int c = one.cols()[j];
                if (c == k) continue; // the sink keeps weight 1
                double x = Math.expm1(doubled[j] / smen.idf()[c]);
                doubled[j] = (float) (Math.log1p(2 * x) * smen.idf()[c]);
            }
            SmenBatch more = new SmenBatch(one.users(), one.scales(), one.rows(), one.rowPtr(), one.cols(), doubled, one.rowBucket(), one.groupStart());
            SmenModel model = new SmenModel(smen.layout(), par);
            float[] z1 = model.encode(smen.parameters(), one, false).z(), z2 = model.encode(smen.parameters(), more, false).z();
            double diff = 0, norm = 0;
            for (int i = 0; i < z1.length; i++) {
                diff += (z1[i] - z2[i]) * (double) (z1[i] - z2[i]);
                norm += z1[i] * (double) z1[i];
            }
            assertTrue(diff > 1e-6 * norm, "doubling a user's counts must move z with a sink: " + diff + " vs |z|^2 " + norm);

            // With the prediction term on too: the sink is one more interest to predict; training runs and stays finite.
            List<Double> losses = new ArrayList<>();
            SmenTrainer.Listener l = new SmenTrainer.Listener() {
                @Override
                public void onStep(SmenTrainer.StepInfo info) {
                    losses.add(info.loss().total());
                }
            };
            Smen both = Smen.train(boi, scope.copyOf(centroids), 8, cfg.toBuilder().predictionWeight(0.5f).maxSteps(10).build(), par, l, null, 0);
            assertEquals(10, losses.size());
            assertTrue(losses.stream().allMatch(Double::isFinite), losses.toString());
            assertEquals(k + 1, both.layout().numInterests());
        }
    }
}
