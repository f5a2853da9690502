package org.lurm.smen;

import org.lurm.SmenConfig;
import org.lurm.testing.SmenCase;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.backend.cpu.Parallel;
import org.lurm.testing.TestData;

/**
 * The Java SMEN against the PyTorch reference (perf-tests/python/smen_reference.py, itself gradchecked in
 * float64): the same weights and views give the same loss (and its parts), z and gradient of every parameter
 * tensor (relative error under 1e-4), with and without the cross-view interest prediction term, over all K and
 * over sampled candidates (K above InterestPrediction.FULL_SOFTMAX_MAX: the case lists SmenModel's draw). Skips
 * where /usr/bin/python3 has no torch, except under CI=true.
 */
class SmenParityTest {
    @Test
    void lossAndEveryGradientMatchPyTorch(@TempDir Path dir) throws Exception {
        SmenCase.assumeTorch();
        SplittableRandom rnd = new SplittableRandom(TestData.seed("smen-parity"));
        List<SmenCase> cases = new ArrayList<>();
        List<Path> dirs = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            SmenCase sc = switch (c) {
                case 0 -> SmenCase.random(rnd, 1, 2);
                case 1 -> SmenCase.random(rnd, SmenConfig.defaults(), 500, 2, 64);
                // The prediction term: small random sizes, the default sizes, and sampled candidates.
                case 4 -> SmenCase.random(rnd).withPredictionWeight(0.7f);
                case 5 -> SmenCase.random(rnd, SmenConfig.defaults(), 500, 2, 64).withPredictionWeight(0.3f);
                case 6 -> SmenCase.random(rnd, SmenCase.sized(8, 2, 3, 4, 6, 5, 0.2f, 0.1f), org.lurm.smen.ops.InterestPrediction.FULL_SOFTMAX_MAX + 300, 2, 4)
                        .withPredictionWeight(1f);
                // The volume sink: views built by SmenInputs with sink entries and sink rows (data, so the reference,
                // which knows nothing of sinks, computes it as one more interest).
                case 7 -> sinkCase(rnd);
                default -> SmenCase.random(rnd);
            };
            cases.add(sc);
            dirs.add(sc.write(dir.resolve("case" + c)));
        }
        List<SmenCase.Result> ref = SmenCase.runReference(dirs, true);
        // The same cases computed by PyTorch in float32: how far float32 arithmetic itself lands from float64.
        List<SmenCase.Result> ref32 = SmenCase.runReference(dirs, false);
        // Every CPU backend through the SPI (Backend.smenOps), the Vector API one on 1 and 2 threads.
        String[][] runs = {{"cpu", "1"}, {"cpu", "2"}, {"cpu-scalar", "2"}};
        for (String[] run : runs) {
            int threads = Integer.parseInt(run[1]);
            try (org.lurm.backend.Backend backend = org.lurm.backend.Backends.select(run[0]).create(threads)) {
                for (int c = 0; c < cases.size(); c++) {
                    SmenCase sc = cases.get(c);
                    SmenCase.Result r = ref.get(c);
                    float[] torch32 = ref32.get(c).grad();
                    SmenLayout layout = new SmenLayout(sc.config(), sc.numInterests(), sc.scales());
                    SmenModel model = new SmenModel(backend.smenOps(layout));
                    float[] grad = new float[sc.params().length];
                    TouchedRows touched = new TouchedRows(sc.numInterests());
                    SmenObjective.Loss loss = model.lossAndGradient(sc.params(), sc.viewA(), sc.viewB(), grad, touched);
                    String where = "case " + c + " (" + sc.viewA().users() + " users, S=" + sc.scales() + ", K=" + sc.numInterests() + "), backend " + run[0] + ", threads " + threads;
                    assertEquals(r.loss(), loss.total(), 1e-4 * Math.max(1, Math.abs(r.loss())), where + ": loss");
                    assertEquals(r.nce(), loss.nce(), 1e-4 * Math.max(1, Math.abs(r.nce())), where + ": nce");
                    assertEquals(r.div(), loss.div(), 1e-4 * Math.max(1, Math.abs(r.div())), where + ": div");
                    assertEquals(r.pred(), loss.pred(), 1e-4 * Math.max(1, Math.abs(r.pred())), where + ": pred");
                    assertEquals(sc.config().predictionWeight() > 0, loss.pred() > 0, where + ": pred is there exactly when its weight is");
                    double global = 0;
                    for (double x : r.grad64()) global += x * x;
                    global = Math.sqrt(global);
                    // Relative error under 1e-4 against the float64 reference; a tensor whose gradient nearly cancels
                    // (seen: |dq| = 5e-6 next to |dV| = 0.09) keeps the float32 rounding of its larger terms, so there
                    // Java may also be as far from float64 as PyTorch's own float32 result is (times 10, the summation
                    // orders differ), or 1e-6 of the whole gradient's norm (far below anything training can notice).
                    for (SmenLayout.Tensor t : layout.tensors()) {
                        int from = (int) t.offset(), to = (int) (t.offset() + t.size());
                        double num = 0, norm = 0, num32 = 0;
                        for (int i = from; i < to; i++) {
                            double d = r.grad64()[i] - grad[i], d32 = r.grad64()[i] - torch32[i];
                            num += d * d;
                            num32 += d32 * d32;
                            norm += r.grad64()[i] * r.grad64()[i];
                        }
                        double err = Math.sqrt(num);
                        double allowed = Math.max(Math.max(1e-4 * Math.sqrt(norm), 10 * Math.sqrt(num32)), 1e-6 * global);
                        assertTrue(err <= allowed, where + ": gradient of " + t.name() + " error " + err + " vs norm " + Math.sqrt(norm)
                                + " (PyTorch float32's own error " + Math.sqrt(num32) + ")");
                    }
                    // z of both views, and the users without rows.
                    float[] zA = model.encode(sc.params(), sc.viewA(), false).z();
                    double ez = 0, nz = 0;
                    for (int i = 0; i < zA.length; i++) {
                        ez += (zA[i] - r.zA()[i]) * (double) (zA[i] - r.zA()[i]);
                        nz += r.zA()[i] * (double) r.zA()[i];
                    }
                    assertTrue(Math.sqrt(ez / Math.max(nz, 1e-30)) < 1e-4, where + ": z of view A");
                    // The touched rows are exactly the interests present in the views, and the prediction's candidates
                    // (all K up to the cap, else the sampled ones) when the term is on.
                    boolean[] present = new boolean[sc.numInterests()];
                    for (SmenBatch v : new SmenBatch[] {sc.viewA(), sc.viewB()}) for (int j = 0; j < v.nnz(); j++) present[v.cols()[j]] = true;
                    if (sc.config().predictionWeight() > 0) {
                        int[] sampled = sc.sampledCandidates();
                        if (sampled == null) java.util.Arrays.fill(present, true);
                        else for (int k : sampled) present[k] = true;
                    }
                    for (int k = 0; k < present.length; k++) assertEquals(present[k], touched.contains(k), where + ": touched row " + k);
                }
            }
        }
    }

    @Test
    void sameThreadCountGivesBitIdenticalGradients() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("smen-determinism"));
        SmenCase sc = SmenCase.random(rnd, SmenConfig.defaults(), 300, 2, 40);
        SmenLayout layout = new SmenLayout(sc.config(), sc.numInterests(), sc.scales());
        float[][] g = new float[2][];
        for (int rep = 0; rep < 2; rep++) {
            try (Parallel par = new Parallel(2)) {
                g[rep] = new float[sc.params().length];
                new SmenModel(layout, par).lossAndGradient(sc.params(), sc.viewA(), sc.viewB(), g[rep], new TouchedRows(sc.numInterests()));
            }
        }
        assertArrayEquals(g[0], g[1]);
    }

    /** Views of a random BoI set built with the volume sink (ROWS_AND_PERIODS), random parameters. */
    static SmenCase sinkCase(SplittableRandom rnd) {
        try (org.lurm.memory.MemoryScope scope = org.lurm.memory.MemoryScope.root("sink-case")) {
            org.lurm.boi.BoiSet boi = SmenInputsTest.randomBoi(scope, rnd, 12, 20);
            SmenConfig cfg = SmenCase.sized(8, 2, 3, 8, 6, 5, 0.2f, 0.1f).toBuilder().volumeSink(SmenConfig.VolumeSink.ROWS_AND_PERIODS).build();
            SmenInputs in = new SmenInputs(boi, cfg.recencyBuckets()).withVolumeSink(cfg.volumeSink());
            int[] users = new int[boi.numUsers()];
            for (int u = 0; u < users.length; u++) users[u] = u;
            SmenBatch[] v = in.views(users, new SplittableRandom(rnd.nextLong()), 1.0);
            int scales = boi.config().scales().size();
            float[] p = new float[Math.toIntExact(new SmenLayout(cfg, boi.numInterests(), scales).total())];
            for (int i = 0; i < p.length; i++) p[i] = (float) (0.5 * rnd.nextGaussian());
            return new SmenCase(cfg, boi.numInterests(), scales, p, v[0], v[1]);
        }
    }
}
