package org.lurm.smen;

import org.lurm.SmenConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
            double moved = shiftWhenCountsDouble(smen, boi, 5, par);
            assertTrue(moved > 1e-6, "doubling a user's counts must move z with a sink: |dz|^2 / |z|^2 = " + moved);

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

    /**
     * The calibrated sink: each scale's weight is the median row mass (checked against the rows of a sinkless
     * batch, sorted by hand); every row's sink entry carries its scale's weight and every period sink row 1; the
     * sink is no prediction target; the model keeps the training weights (encoding other users uses them, saving
     * and loading keeps them bit for bit, a file without them is refused); and volume reaches z.
     */
    @Test
    void aCalibratedSinkWeighsTheMedianRowAndIsKeptWithTheModel(@TempDir Path dir) {
        try (MemoryScope scope = MemoryScope.root("calibrated"); Parallel par = new Parallel(2)) {
            java.util.SplittableRandom r = new java.util.SplittableRandom(org.lurm.testing.TestData.seed("calibratedSink"));
            BoiSet boi = SmenInputsTest.randomBoi(scope, r, 70, 25);
            int k = boi.numInterests(), scales = boi.config().scales().size();
            int[] all = new int[boi.numUsers()];
            for (int u = 0; u < all.length; u++) all[u] = u;

            // Brute force: the masses of every row of every scale from a sinkless batch, their upper median.
            SmenInputs plain = new SmenInputs(boi, 16);
            SmenBatch every = plain.full(all);
            float[] expected = new float[scales];
            for (int sc = 0; sc < scales; sc++) {
                List<Double> masses = new ArrayList<>();
                for (int q = 0; q < every.users(); q++) {
                    for (int t = every.groupFrom(q, sc); t < every.groupTo(q, sc); t++) {
                        double m = 0;
                        for (int j = every.rowPtr()[t]; j < every.rowPtr()[t + 1]; j++) m += every.vals()[j];
                        masses.add(m);
                    }
                }
                java.util.Collections.sort(masses);
                expected[sc] = (float) (double) masses.get(masses.size() / 2);
            }
            SmenInputs cal = plain.withVolumeSink(SmenConfig.VolumeSink.CALIBRATED);
            float[] w = cal.sinkWeights();
            assertEquals(scales, w.length);
            for (int sc = 0; sc < scales; sc++) {
                assertEquals(expected[sc], w[sc], 1e-4f * expected[sc], "scale " + sc);
                assertTrue(w[sc] > 1f, "a typical row weighs more than a unit sink: " + w[sc]);
            }
            assertEquals(null, plain.withVolumeSink(SmenConfig.VolumeSink.ROWS_AND_PERIODS).sinkWeights());
            // The views' weights: the median mass of one view's share of each row (the same per-entry split seeds),
            // rows left empty by the split not counted; about half a full row's.
            float[] vw = cal.viewSinkWeights();
            for (int sc = 0; sc < scales; sc++) {
                List<Double> masses = new ArrayList<>();
                for (long row = 0; row < boi.numRows(); row++) {
                    if (boi.rowScale(row) != sc) continue;
                    double m = 0;
                    for (long j = boi.rowStart(row); j < boi.rowEnd(row); j++) {
                        float a = SmenInputs.shareA(boi.val(j), SmenInputs.viewMassSeed(j));
                        if (a > 0) m += Math.log1p(a) * plain.idf()[boi.col(j)];
                    }
                    if (m > 0) masses.add(m);
                }
                java.util.Collections.sort(masses);
                float expectedView = (float) (double) masses.get(masses.size() / 2);
                assertEquals(expectedView, vw[sc], 1e-4f * expectedView, "view weight, scale " + sc);
            }
            // A full batch (encoding) carries the full rows' weights.
            SmenBatch fullRows = cal.full(all);
            for (int q = 0; q < fullRows.users(); q++) {
                for (int sc = 0; sc < scales; sc++) {
                    for (int t = fullRows.groupFrom(q, sc); t < fullRows.groupTo(q, sc); t++) {
                        int to = fullRows.rowPtr()[t + 1];
                        assertEquals(to - fullRows.rowPtr()[t] == 1 ? 1f : w[sc], fullRows.vals()[to - 1], "sink weight when encoding, scale " + sc);
                    }
                }
            }
            // Encoding inputs made with given weights use them in views too.
            assertArrayEquals(w, plain.withVolumeSink(SmenConfig.VolumeSink.CALIBRATED, w).viewSinkWeights());

            // Sink entries: the scale's weight in rows with interests, 1 in the period's sink-only row.
            SmenBatch[] v = cal.views(all, r.nextLong());
            for (SmenBatch b : v) {
                int sinks = 0;
                for (int q = 0; q < b.users(); q++) {
                    for (int sc = 0; sc < scales; sc++) {
                        for (int t = b.groupFrom(q, sc); t < b.groupTo(q, sc); t++) {
                            int from = b.rowPtr()[t], to = b.rowPtr()[t + 1];
                            assertEquals(k, b.cols()[to - 1], "every row ends with the sink");
                            assertEquals(to - from == 1 ? 1f : vw[sc], b.vals()[to - 1], "sink weight in a view, scale " + sc);
                            sinks++;
                        }
                    }
                }
                assertEquals(b.rows(), sinks);
                // Targets over every interest and the sink: the sink's is 0, each scored user's sum 1.
                int[] cand = new int[k + 1];
                for (int c = 0; c <= k; c++) cand[c] = c;
                float[] y = org.lurm.smen.ops.InterestPrediction.targets(b, cand, k);
                float[] withSink = org.lurm.smen.ops.InterestPrediction.targets(b, cand);
                for (int q = 0; q < b.users(); q++) {
                    double sum = 0;
                    for (int c = 0; c < k; c++) sum += y[q * (k + 1) + c];
                    assertEquals(0f, y[q * (k + 1) + k], "the calibrated sink is no target");
                    if (sum > 0) assertEquals(1.0, sum, 1e-5);
                    if (withSink[q * (k + 1) + k] > 0) assertTrue(sum > 0, "a user with rows at the finest scale keeps its targets");
                }
            }

            float[] centroids = new float[k * 8];
            for (int i = 0; i < centroids.length; i++) centroids[i] = (float) r.nextGaussian();
            SmenConfig cfg = small(12).toBuilder().volumeSink(SmenConfig.VolumeSink.CALIBRATED).predictionWeight(0.5f).batchUsers(16).build();
            Smen smen = Smen.train(boi, scope.copyOf(centroids), 8, cfg, par, null, null, 0);
            assertArrayEquals(w, smen.sinkWeights());
            assertArrayEquals(w, Smen.initial(boi, scope.copyOf(centroids), 8, cfg, par).sinkWeights());
            // Other users (a different BoI set) are encoded with the training weights, not their own.
            BoiSet others = SmenInputsTest.randomBoi(scope, new java.util.SplittableRandom(r.nextLong()), 9, 25);
            assertArrayEquals(w, smen.inputs(others).sinkWeights());
            assertTrue(!java.util.Arrays.equals(w, new SmenInputs(others, 16).withVolumeSink(SmenConfig.VolumeSink.CALIBRATED).sinkWeights()),
                    "nine other users have other medians (else the check above proves nothing)");
            F32Array z = smen.encode(boi, par, scope);
            assertTrue(java.util.Arrays.stream(toDouble(z.toArray())).allMatch(Double::isFinite));
            Path file = dir.resolve("calibrated.lurm");
            SmenFile.save(file, smen);
            try (MemoryScope s2 = MemoryScope.root("load")) {
                Smen loaded = SmenFile.load(file, s2);
                assertEquals(smen.config(), loaded.config());
                assertArrayEquals(w, loaded.sinkWeights());
                assertArrayEquals(z.toArray(), loaded.encode(boi, par, s2).toArray());
                assertArrayEquals(smen.encode(others, par, s2).toArray(), loaded.encode(others, par, s2).toArray());
            }
            // A calibrated model needs its weights: in the constructor and in a file.
            assertThrows(IllegalArgumentException.class, () -> new Smen(smen.layout(), smen.parameters(), smen.idf(), smen.referencePeriods(), null));
            float[] bad = w.clone();
            bad[0] = Float.NaN;
            assertThrows(IllegalArgumentException.class, () -> new Smen(smen.layout(), smen.parameters(), smen.idf(), smen.referencePeriods(), bad, null));
            Path noWeights = dir.resolve("no-weights.lurm");
            java.util.Map<String, Object> header = new java.util.LinkedHashMap<>(org.lurm.model.Json.parseObject(readHeader(file)));
            org.lurm.model.ModelFile.write(noWeights, org.lurm.model.Json.write(header), List.of(
                    org.lurm.model.TensorSource.of("params", smen.parameters(), smen.layout().total()),
                    org.lurm.model.TensorSource.of("idf", smen.idf(), k),
                    org.lurm.model.TensorSource.of("reference", smen.referencePeriods(), scales)));
            try (MemoryScope s3 = MemoryScope.root("load-bad")) {
                var e = assertThrows(org.lurm.ModelFormatException.class, () -> SmenFile.load(noWeights, s3));
                assertTrue(e.getMessage().contains("sinkWeights") && e.getMessage().contains("no-weights.lurm"), e.getMessage());
            }

            // Volume reaches z: the same user with every count doubled encodes differently.
            double moved = shiftWhenCountsDouble(smen, boi, 5, par);
            assertTrue(moved > 1e-4, "doubling a user's counts must move z: |dz|^2 / |z|^2 = " + moved);
        }
    }

    /**
     * Where rows hold many entries (40 distinct items in one 30-day period each), a view keeps about half of every
     * row, so the views' sink weight is about half the full rows'. (On rows of one or two entries a view's non-empty
     * share is often the whole row, so no such bound holds there: the brute-force check above covers those.)
     */
    @Test
    void aViewsSinkWeightIsAboutHalfOnRowsOfManyEntries() {
        try (MemoryScope scope = MemoryScope.root("view-half")) {
            java.util.SplittableRandom r = new java.util.SplittableRandom(org.lurm.testing.TestData.seed("viewHalf"));
            int k = 200, users = 30;
            org.lurm.events.EventTableBuilder b = new org.lurm.events.EventTableBuilder();
            for (int u = 0; u < users; u++) {
                int first = r.nextInt(k);
                for (int e = 0; e < 40; e++) b.add("u" + u, "i" + ((first + 5 * e) % k), 1_500_000_000L + r.nextLong(20 * org.lurm.boi.Scale.DAY), 1f);
            }
            int[] map = new int[b.items().size()];
            for (int i = 0; i < map.length; i++) map[i] = Integer.parseInt(b.items().id(i).substring(1));
            BoiSet boi = org.lurm.boi.BoiAggregator.aggregate(b.build(scope), scope.copyOf(map), k,
                    org.lurm.boi.BoiConfig.of(org.lurm.boi.Scale.days(30, 6)), scope);
            SmenInputs cal = new SmenInputs(boi, 16).withVolumeSink(SmenConfig.VolumeSink.CALIBRATED);
            float full = cal.sinkWeights()[0], view = cal.viewSinkWeights()[0];
            assertTrue(view > 0.3f * full && view < 0.7f * full, "a view's row weighs about half a row: " + view + " vs " + full);
        }
    }

    /** |z(2x) - z(x)|^2 / |z(x)|^2 for one user whose every count x is doubled (the sink entries keep their weight). */
    static double shiftWhenCountsDouble(Smen smen, BoiSet boi, int user, Parallel par) {
        int k = smen.layout().boiInterests();
        SmenBatch one = smen.inputs(boi).full(new int[] {user});
        float[] doubled = one.vals().clone();
        for (int j = 0; j < doubled.length; j++) {
            int c = one.cols()[j];
            if (c == k) continue;
            doubled[j] = (float) (Math.log1p(2 * Math.expm1(doubled[j] / smen.idf()[c])) * smen.idf()[c]);
        }
        SmenBatch more = new SmenBatch(one.users(), one.scales(), one.rows(), one.rowPtr(), one.cols(), doubled, one.rowBucket(), one.groupStart());
        SmenModel model = new SmenModel(smen.layout(), par);
        float[] z1 = model.encode(smen.parameters(), one, false).z(), z2 = model.encode(smen.parameters(), more, false).z();
        double diff = 0, norm = 0;
        for (int i = 0; i < z1.length; i++) {
            diff += (z1[i] - z2[i]) * (double) (z1[i] - z2[i]);
            norm += z1[i] * (double) z1[i];
        }
        return diff / norm;
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    private static String readHeader(Path file) {
        try (MemoryScope s = MemoryScope.root("header")) {
            return org.lurm.model.ModelFile.open(file, s).header();
        }
    }
}
