package org.lurm.cuda.smen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lurm.cuda.smen.SmenBackends.delta;
import static org.lurm.cuda.smen.SmenBackends.nmse;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiAggregator;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.boi.Scale;
import org.lurm.cuda.DeviceTests;
import org.lurm.events.EventTableBuilder;
import org.lurm.memory.MemoryScope;
import org.lurm.smen.CpuSmenOps;
import org.lurm.smen.SmenBatch;
import org.lurm.testing.SmenCase;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenInputs;
import org.lurm.smen.SmenLayout;
import org.lurm.smen.SmenModel;
import org.lurm.smen.SmenSteps;
import org.lurm.smen.SmenTrainer;
import org.lurm.testing.TestData;

/**
 * Training views built on the device from BoI rows uploaded once ({@link CudaSmenTraining#keepInputs},
 * smen_views.cu) against {@link SmenInputs#views(int[], long)} on the host: the same rows, interests, buckets and
 * groups exactly, weights within 2 ulp, the non-zeros sorted by interest as {@link Batches#segments} sorts them, the
 * touched rows as the union of both views' interests; on BoI sets with fractional weights, counts above 64 (the
 * split's multi-word path), users whose whole life falls in one view, and every volume-sink mode. Then whole runs:
 * steps on device-built views give the parameters of steps on host-built views, and SmenTrainer picks the resident
 * path by itself and falls back to host views when the rows do not fit the budget.
 * Needs a device (the emulated one in CI).
 */
class DeviceViewsTest {
    @BeforeEach
    void needDevice() {
        DeviceTests.assumeDevice(SmenBackends.cudaUnavailable());
    }

    /** Users with 1..40 events over 3 years; weights 1, fractional, or large (so some counts exceed 64). */
    static BoiSet boi(MemoryScope scope, SplittableRandom r, int users, int k) {
        EventTableBuilder b = new EventTableBuilder();
        for (int u = 0; u < users; u++) {
            int n = 1 + r.nextInt(40);
            for (int e = 0; e < n; e++) {
                float w = switch (r.nextInt(4)) {
                    case 0 -> 1f;
                    case 1 -> 0.25f + r.nextInt(12) * 0.5f;
                    case 2 -> 0.3f;
                    default -> 20f + r.nextInt(180);
                };
                b.add("u" + u, "i" + r.nextInt(k), 1_500_000_000L + r.nextLong(3L * 365 * Scale.DAY), w);
            }
        }
        int items = b.items().size();
        int[] map = new int[items];
        for (int i = 0; i < items; i++) map[i] = Integer.parseInt(b.items().id(i).substring(1));
        BoiConfig cfg = BoiConfig.of(Scale.days(30, 6), Scale.days(365, 2));
        return BoiAggregator.aggregate(b.build(scope), scope.copyOf(map), k, cfg, scope);
    }

    static SmenConfig config(long seed) {
        return SmenCase.sized(16, 3, 4, 8, 32, 16, 0.2f, 0.1f).toBuilder().learningRate(1e-2f).batchUsers(16).maxSteps(10).warmupSteps(2)
                .heldOutFraction(0.0).seed(seed).build();
    }

    static int[] sample(SplittableRandom r, int users, int n) {
        TreeSet<Integer> s = new TreeSet<>();
        while (s.size() < n) s.add(r.nextInt(users));
        int[] out = s.stream().mapToInt(Integer::intValue).toArray();
        for (int i = out.length - 1; i > 0; i--) { // batches are in shuffled order
            int j = r.nextInt(i + 1);
            int x = out[i];
            out[i] = out[j];
            out[j] = x;
        }
        return out;
    }

    @Test
    void viewsBuiltOnTheDeviceAreTheHostViews() {
        SplittableRandom r = new SplittableRandom(TestData.seed("viewsBuiltOnTheDeviceAreTheHostViews"));
        int k = 50;
        try (MemoryScope scope = MemoryScope.root("device-views")) {
            BoiSet boi = boi(scope, r, 60, k);
            for (SmenConfig.VolumeSink sink : SmenConfig.VolumeSink.values()) {
                SmenConfig cfg = config(r.nextLong()).toBuilder().volumeSink(sink).build();
                SmenInputs in = new SmenInputs(boi, cfg.recencyBuckets()).withVolumeSink(sink);
                SmenLayout layout = new SmenLayout(cfg, k, boi.config().scales().size()); // K + 1 with a sink
                float[] init = SmenBackends.gaussian(r, Math.toIntExact(layout.total()), 0.3);
                try (CudaSmenTraining t = new CudaSmenTraining(layout, init, 10)) {
                    assertTrue(t.keepInputs(in), "a small BoI set fits");
                    assertTrue(t.residentBytes() > 0);
                    for (int trial = 0; trial < 6; trial++) {
                        int[] users = sample(r, boi.numUsers(), trial == 0 ? 2 : 2 + r.nextInt(30));
                        long seed = r.nextLong();
                        SmenBatch[] host = in.views(users, seed);
                        CudaSmenTraining.DeviceViews dev = t.deviceViews(users, seed);
                        String what = sink + ", users " + Arrays.toString(users) + ", seed " + seed;
                        sameBatch(host[0], dev.a(), "view A, " + what);
                        sameBatch(host[1], dev.b(), "view B, " + what);
                        sameSegments(Batches.segments(host[0], layout.numInterests()), dev.segA(), "view A, " + what);
                        sameSegments(Batches.segments(host[1], layout.numInterests()), dev.segB(), "view B, " + what);
                        int[] union = CudaSmenTraining.union(Batches.segments(host[0], layout.numInterests()).interests(),
                                Batches.segments(host[1], layout.numInterests()).interests());
                        assertArrayEquals(union, dev.touched(), "touched rows, " + what);
                    }
                }
            }
        }
    }

    static void sameBatch(SmenBatch h, SmenBatch d, String what) {
        assertEquals(h.users(), d.users(), what);
        assertEquals(h.rows(), d.rows(), "rows, " + what);
        assertArrayEquals(h.rowPtr(), d.rowPtr(), "rowPtr, " + what);
        assertArrayEquals(h.cols(), d.cols(), "interests, " + what);
        assertArrayEquals(h.rowBucket(), d.rowBucket(), "buckets, " + what);
        assertArrayEquals(h.groupStart(), d.groupStart(), "groups, " + what);
        for (int j = 0; j < h.nnz(); j++) {
            assertEquals(h.vals()[j], d.vals()[j], 2 * Math.ulp(h.vals()[j]), "weight " + j + " (interest " + h.cols()[j] + "), " + what);
        }
    }

    static void sameSegments(Batches.Segments h, Batches.Segments d, String what) {
        assertArrayEquals(h.perm(), d.perm(), "perm, " + what);
        assertArrayEquals(h.segStart(), d.segStart(), "segStart, " + what);
        assertArrayEquals(h.interests(), d.interests(), "segment interests, " + what);
    }

    /**
     * The same steps, one engine fed host-built views, the other building them from its kept rows: InfoNCE alone with
     * both sinks, and with the prediction term over all K interests and over sampled candidates (K above
     * InterestPrediction.FULL_SOFTMAX_MAX, drawn on the host from the interests the device reports).
     */
    @Test
    void stepsOnDeviceViewsMatchStepsOnHostViews() {
        SplittableRandom r = new SplittableRandom(TestData.seed("stepsOnDeviceViewsMatchStepsOnHostViews"));
        record Case(float pred, int k, SmenConfig.VolumeSink sink) {
        }
        for (Case c : new Case[] {new Case(0f, 40, SmenConfig.VolumeSink.ROWS_AND_PERIODS), new Case(0.5f, 40, SmenConfig.VolumeSink.ROWS),
                new Case(0.5f, 40, SmenConfig.VolumeSink.CALIBRATED),
                new Case(0.5f, org.lurm.smen.ops.InterestPrediction.FULL_SOFTMAX_MAX + 300, SmenConfig.VolumeSink.NONE)}) {
            try (MemoryScope scope = MemoryScope.root("device-view-steps")) {
                BoiSet boi = boi(scope, r, 50, c.k());
                SmenConfig cfg = config(5L).toBuilder().volumeSink(c.sink()).predictionWeight(c.pred()).build();
                SmenInputs in = new SmenInputs(boi, cfg.recencyBuckets()).withVolumeSink(cfg.volumeSink());
                SmenLayout layout = new SmenLayout(cfg, c.k(), boi.config().scales().size());
                float[] init = SmenBackends.gaussian(r, Math.toIntExact(layout.total()), 0.3);
                try (CudaSmenTraining hostViews = new CudaSmenTraining(layout, init, 8, 0); CudaSmenTraining devViews = new CudaSmenTraining(layout, init, 8)) {
                    assertFalse(hostViews.keepInputs(in), "budget 0: never resident");
                    assertTrue(devViews.keepInputs(in));
                    assertTrue(devViews.device().contains("views built on the device"), devViews.device());
                    assertTrue(hostViews.device().contains("views built on the host"), hostViews.device());
                    for (int step = 0; step < 8; step++) {
                        int[] users = sample(r, boi.numUsers(), 12);
                        long seed = r.nextLong();
                        SmenBatch[] v = in.views(users, seed);
                        var lh = hostViews.step(v[0], v[1]);
                        var ld = devViews.stepOnUsers(users, seed);
                        assertEquals(lh.total(), ld.total(), 1e-5 * Math.abs(lh.total()), c + ": loss at step " + step);
                        assertEquals(lh.pred(), ld.pred(), 1e-5 * Math.abs(lh.pred()) + 1e-12, c + ": prediction loss at step " + step);
                    }
                    double e = nmse(delta(hostViews.parameters(), init), delta(devViews.parameters(), init), init.length);
                    assertTrue(e < 1e-8, c + ": updates after 8 steps: NMSE " + e);
                }
            }
        }
    }

    /**
     * Host-built views staged for the next step on the copy stream (step with a supplier) give exactly the run of
     * plain steps, also when a staged pair is not the one the next call passes and when the supplier fails.
     */
    @Test
    void stagingTheNextViewsChangesNothing() {
        SplittableRandom r = new SplittableRandom(TestData.seed("stagingTheNextViewsChangesNothing"));
        int k = 40;
        try (MemoryScope scope = MemoryScope.root("staged-views")) {
            BoiSet boi = boi(scope, r, 50, k);
            SmenConfig cfg = config(9L);
            SmenInputs in = new SmenInputs(boi, cfg.recencyBuckets());
            SmenLayout layout = new SmenLayout(cfg, k, boi.config().scales().size());
            float[] init = SmenBackends.gaussian(r, Math.toIntExact(layout.total()), 0.3);
            int steps = 9;
            SmenBatch[][] views = new SmenBatch[steps][];
            for (int t = 0; t < steps; t++) views[t] = in.views(sample(r, boi.numUsers(), 4 + r.nextInt(12)), r.nextLong());
            SmenBatch[] stranger = in.views(sample(r, boi.numUsers(), 6), r.nextLong());
            try (CudaSmenTraining plain = new CudaSmenTraining(layout, init, steps, 0); CudaSmenTraining staged = new CudaSmenTraining(layout, init, steps, 0)) {
                for (int t = 0; t < steps; t++) {
                    double lp = plain.step(views[t][0], views[t][1]).total();
                    final int now = t;
                    java.util.function.Supplier<SmenBatch[]> next = switch (t % 4) {
                        case 1 -> () -> stranger; // staged, then not used: the next call loads its own views
                        case 2 -> () -> { throw new IllegalStateException("the next views failed"); };
                        default -> () -> now + 1 < steps ? views[now + 1] : null;
                    };
                    double ls = staged.step(views[t][0], views[t][1], next).total();
                    assertEquals(lp, ls, 0.0, "loss at step " + t);
                }
                assertArrayEquals(plain.parameters(), staged.parameters(), "parameters after " + steps + " steps");
                assertArrayEquals(plain.secondMoment(), staged.secondMoment(), "Adam's second moment");
            }
        }
    }

    @Test
    void theTrainerUsesResidentRowsWhenTheyFitAndHostViewsOtherwise() {
        SplittableRandom r = new SplittableRandom(TestData.seed("theTrainerUsesResidentRows"));
        int k = 30;
        try (MemoryScope scope = MemoryScope.root("device-view-trainer"); Parallel one = new Parallel(1)) {
            BoiSet boi = boi(scope, r, 40, k);
            SmenConfig cfg = config(3L);
            SmenInputs in = new SmenInputs(boi, cfg.recencyBuckets());
            SmenLayout layout = new SmenLayout(cfg, k, boi.config().scales().size());
            float[] init = SmenBackends.gaussian(r, Math.toIntExact(layout.total()), 0.3);
            SmenTrainer.Result host = new SmenTrainer(layout, new SmenModel(new CpuSmenOps(layout, one, false)), in, init, null, null, 0).train();
            SmenTrainer.Result resident = new SmenTrainer(layout, CudaSmenTraining::new, in, init, null, null, 0).train();
            SmenSteps.Factory tiny = (l, p, n) -> new CudaSmenTraining(l, p, n, 64); // 64 bytes: nothing fits
            SmenTrainer.Result streamed = new SmenTrainer(layout, tiny, in, init, null, null, 0).train();
            assertTrue(resident.device().contains("views built on the device"), resident.device());
            assertTrue(streamed.device().contains("views built on the host"), streamed.device());
            for (SmenTrainer.Result dev : new SmenTrainer.Result[] {resident, streamed}) {
                assertEquals(host.lossCurve().length, dev.lossCurve().length);
                double e = nmse(delta(host.params(), init), delta(dev.params(), init), init.length);
                assertTrue(e < 1e-4, dev.device() + " vs the host engine: updates NMSE " + e);
            }
            double e = nmse(delta(streamed.params(), init), delta(resident.params(), init), init.length);
            assertTrue(e < 1e-8, "device-built vs host-built views on the device: updates NMSE " + e);

            try (CudaSmenTraining t = new CudaSmenTraining(layout, init, 4, 0)) {
                assertFalse(t.keepInputs(in));
                assertThrows(IllegalStateException.class, () -> t.stepOnUsers(new int[] {0, 1}, 1L), "no kept rows, no device views");
            }
        }
    }

    @Test
    void inputsThatDoNotMatchTheModelAreRefused() {
        SplittableRandom r = new SplittableRandom(TestData.seed("inputsThatDoNotMatchTheModelAreRefused"));
        try (MemoryScope scope = MemoryScope.root("device-view-mismatch")) {
            BoiSet boi = boi(scope, r, 10, 20);
            SmenConfig cfg = config(1L);
            SmenLayout layout = new SmenLayout(cfg, 21, boi.config().scales().size()); // a sink interest the inputs lack
            float[] init = SmenBackends.gaussian(r, Math.toIntExact(layout.total()), 0.3);
            try (CudaSmenTraining t = new CudaSmenTraining(layout, init, 4)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.keepInputs(new SmenInputs(boi, cfg.recencyBuckets())));
                assertTrue(e.getMessage().contains("do not match the model"), e.getMessage());
                assertTrue(t.keepInputs(new SmenInputs(boi, cfg.recencyBuckets()).withVolumeSink(SmenConfig.VolumeSink.ROWS)));
                assertThrows(IllegalArgumentException.class, () -> t.stepOnUsers(new int[] {0, 99}, 1L), "a user outside the BoI set");
                assertThrows(IllegalArgumentException.class, () -> t.stepOnUsers(new int[] {0}, 1L), "one user has no negatives");
            }
        }
    }
}
