package org.lurm.smen;

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
 * float64): the same weights and views give the same loss, z and gradient of every parameter tensor
 * (relative error under 1e-4). Skips where /usr/bin/python3 has no torch, except under CI=true.
 */
class SmenParityTest {
    static double relErr(double[] ref, float[] got, int from, int to) {
        double num = 0, den = 0;
        for (int i = from; i < to; i++) {
            double d = ref[i] - got[i];
            num += d * d;
            den += ref[i] * ref[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    @Test
    void lossAndEveryGradientMatchPyTorch(@TempDir Path dir) throws Exception {
        SmenCase.assumeTorch();
        SplittableRandom rnd = new SplittableRandom(TestData.seed("smen-parity"));
        List<SmenCase> cases = new ArrayList<>();
        List<Path> dirs = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            SmenCase sc = c == 0 ? SmenCase.random(rnd, 1, 2) : c == 1 ? SmenCase.random(rnd, SmenConfig.defaults(), 500, 2, 64) : SmenCase.random(rnd);
            cases.add(sc);
            dirs.add(sc.write(dir.resolve("case" + c)));
        }
        List<SmenCase.Result> ref = SmenCase.runReference(dirs, true);
        // Every CPU backend through the SPI (Backend.smenOps), the Vector API one on 1 and 2 threads.
        String[][] runs = {{"cpu", "1"}, {"cpu", "2"}, {"cpu-scalar", "2"}};
        for (String[] run : runs) {
            int threads = Integer.parseInt(run[1]);
            try (org.lurm.backend.Backend backend = org.lurm.backend.Backends.select(run[0]).create(threads)) {
                for (int c = 0; c < cases.size(); c++) {
                    SmenCase sc = cases.get(c);
                    SmenCase.Result r = ref.get(c);
                    SmenLayout layout = new SmenLayout(sc.config(), sc.numInterests(), sc.scales());
                    SmenModel model = new SmenModel(backend.smenOps(layout));
                    float[] grad = new float[sc.params().length];
                    TouchedRows touched = new TouchedRows(sc.numInterests());
                    SmenObjective.Loss loss = model.lossAndGradient(sc.params(), sc.viewA(), sc.viewB(), grad, touched);
                    String where = "case " + c + " (" + sc.viewA().users() + " users, S=" + sc.scales() + ", K=" + sc.numInterests() + "), backend " + run[0] + ", threads " + threads;
                    assertEquals(r.loss(), loss.total(), 1e-4 * Math.max(1, Math.abs(r.loss())), where + ": loss");
                    assertEquals(r.nce(), loss.nce(), 1e-4 * Math.max(1, Math.abs(r.nce())), where + ": nce");
                    assertEquals(r.div(), loss.div(), 1e-4 * Math.max(1, Math.abs(r.div())), where + ": div");
                    for (SmenLayout.Tensor t : layout.tensors()) {
                        int from = (int) t.offset(), to = (int) (t.offset() + t.size());
                        double e = relErr(r.grad64(), grad, from, to);
                        assertTrue(e < 1e-4, where + ": gradient of " + t.name() + " relative error " + e);
                    }
                    // z of both views, and the users without rows.
                    float[] zA = model.encode(sc.params(), sc.viewA(), false).z();
                    double ez = 0, nz = 0;
                    for (int i = 0; i < zA.length; i++) {
                        ez += (zA[i] - r.zA()[i]) * (double) (zA[i] - r.zA()[i]);
                        nz += r.zA()[i] * (double) r.zA()[i];
                    }
                    assertTrue(Math.sqrt(ez / Math.max(nz, 1e-30)) < 1e-4, where + ": z of view A");
                    // The touched rows are exactly the interests present in the views.
                    boolean[] present = new boolean[sc.numInterests()];
                    for (SmenBatch v : new SmenBatch[] {sc.viewA(), sc.viewB()}) for (int j = 0; j < v.nnz(); j++) present[v.cols()[j]] = true;
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
}
