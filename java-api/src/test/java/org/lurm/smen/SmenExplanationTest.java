package org.lurm.smen;

import org.lurm.SmenConfig;
import org.lurm.testing.SmenCase;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiAggregator;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.boi.Scale;
import org.lurm.events.EventTableBuilder;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

class SmenExplanationTest {
    static float[] randomParams(SmenLayout l, SplittableRandom r) {
        float[] p = new float[(int) l.total()];
        for (int i = 0; i < p.length; i++) p[i] = (float) (r.nextGaussian() * 0.5);
        return p;
    }

    @Test
    void weightsOfEachAnchorSumToOneOverTheUsersInterests() {
        SplittableRandom r = new SplittableRandom(TestData.seed("explain"));
        try (MemoryScope scope = MemoryScope.root("t"); Parallel par = new Parallel(2)) {
            BoiSet boi = SmenInputsTest.randomBoi(scope, r, 20, 30);
            SmenConfig c = SmenCase.sized(8, 3, 4, 8, 6, 5, 0.1f, 0.1f);
            SmenLayout l = new SmenLayout(c, 30, 2);
            Smen smen = Smen.of(l, randomParams(l, r), boi);
            for (int u = 0; u < 20; u++) {
                java.util.Set<Integer> own = new java.util.HashSet<>();
                for (long row = boi.userRowStart(u); row < boi.userRowStart(u + 1); row++) for (long j = boi.rowStart(row); j < boi.rowEnd(row); j++) own.add(boi.col(j));
                List<SmenExplanation.AnchorPick> picks = SmenExplanation.explain(smen, boi, u, 1000, par);
                assertEquals(3, picks.size());
                for (SmenExplanation.AnchorPick p : picks) {
                    double sum = 0;
                    for (int i = 0; i < p.interests().length; i++) {
                        assertTrue(own.contains(p.interests()[i]), "explanations name only the user's interests");
                        if (i > 0) assertTrue(p.weights()[i] <= p.weights()[i - 1], "heaviest first");
                        sum += p.weights()[i];
                    }
                    assertEquals(1.0, sum, 1e-4, "user " + u + " anchor " + p.anchor());
                }
            }
            List<SmenExplanation.AnchorPick> summaries = SmenExplanation.anchorSummaries(smen, 5);
            assertEquals(3, summaries.size());
            assertEquals(5, summaries.get(0).interests().length);
        }
    }

    @Test
    void withZeroAnchorsAndOneRowTheWeightsAreTheNormalisedInputWeights() {
        SplittableRandom r = new SplittableRandom(TestData.seed("explain-zero"));
        try (MemoryScope scope = MemoryScope.root("t"); Parallel par = new Parallel(1)) {
            EventTableBuilder b = new EventTableBuilder();
            int[] counts = {5, 1, 2, 7};
            for (int k = 0; k < counts.length; k++) for (int e = 0; e < counts[k]; e++) b.add("u", "i" + k, 1_000_000 + e, 1f);
            b.add("v", "i0", 1_000_000, 1f);
            BoiSet boi = BoiAggregator.aggregate(b.build(scope), scope.copyOf(new int[] {0, 1, 2, 3}), 4, BoiConfig.of(Scale.days(30, 4)), scope);
            SmenConfig c = SmenCase.sized(8, 2, 4, 4, 6, 5, 0.1f, 0.1f);
            SmenLayout l = new SmenLayout(c, 4, 1);
            float[] p = randomParams(l, r);
            java.util.Arrays.fill(p, l.offset("A"), l.offset("A") + 2 * 8, 0f);
            Smen smen = Smen.of(l, p, boi);
            SmenInputs in = smen.inputs(boi);
            double[] w = new double[4];
            double total = 0;
            for (int k = 0; k < 4; k++) {
                w[k] = Math.log1p(counts[k]) * in.boi().idf(k);
                total += w[k];
            }
            for (SmenExplanation.AnchorPick pick : SmenExplanation.explain(smen, boi, 0, 10, par)) {
                Map<Integer, Float> got = new HashMap<>();
                for (int i = 0; i < pick.interests().length; i++) got.put(pick.interests()[i], pick.weights()[i]);
                for (int k = 0; k < 4; k++) assertEquals(w[k] / total, got.get(k), 1e-5, "softmax of log w = w / sum w, interest " + k);
            }
        }
    }
}
