package org.lurm.cuda.smen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenLayout;
import org.lurm.smen.SmenOptimizer;
import org.lurm.testing.TestData;

/** The host side of the device training step (no GPU): its schedule is SmenOptimizer's, its touched rows a union. */
class CudaSmenTrainingHostTest {
    @Test
    void scheduleIsTheOptimizers() {
        SmenConfig d = SmenConfig.defaults();
        for (int warm : new int[] {0, 1, 7, 100}) {
            SmenConfig c = new SmenConfig(d.h(), d.anchors(), d.anchorDim(), d.recencyBuckets(), d.headHidden(), d.headOut(), d.tau(),
                    d.diversityWeight(), 3e-3f, d.beta1(), d.beta2(), d.eps(), warm, d.maxSteps(), d.maxEpochs(), d.clipNorm(), d.batchUsers(),
                    d.heldOutFraction(), d.patience(), d.evalEvery(), d.periodCrop(), d.seed());
            SmenOptimizer opt = new SmenOptimizer(new SmenLayout(c, 3, 1), 250);
            for (long t = 0; t < 300; t++) assertEquals(opt.learningRate(t), CudaSmenTraining.learningRate(c, 250, t), 0f, "step " + t);
        }
    }

    @Test
    void touchedRowsAreTheSortedUnionOfBothViews() {
        SplittableRandom r = new SplittableRandom(TestData.seed("touchedRowsAreTheSortedUnion"));
        for (int trial = 0; trial < 200; trial++) {
            TreeSet<Integer> a = new TreeSet<>(), b = new TreeSet<>(), all = new TreeSet<>();
            for (int i = r.nextInt(30); i > 0; i--) a.add(r.nextInt(50));
            for (int i = r.nextInt(30); i > 0; i--) b.add(r.nextInt(50));
            all.addAll(a);
            all.addAll(b);
            int[] got = CudaSmenTraining.union(a.stream().mapToInt(Integer::intValue).toArray(), b.stream().mapToInt(Integer::intValue).toArray());
            assertArrayEquals(all.stream().mapToInt(Integer::intValue).toArray(), got);
        }
    }
}
