package org.lurm.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.lurm.BagOfInterests;
import org.lurm.SmenConfig;
import org.lurm.events.EventTable;
import org.lurm.memory.MemoryScope;
import org.lurm.synth.EventOrder;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
import org.lurm.synth.PlantedTruth;
import org.lurm.synth.SyntheticData;
import org.lurm.testing.TestData;

/** The generator-truth reference rows against naive per-user computations and against the planted labels. */
class PlantedCeilingsTest {
    @Test
    void observedTopicsMatchANaivePerUserComputationOnShuffledEvents() {
        long seed = TestData.seed("PlantedCeilingsTest");
        try (MemoryScope scope = MemoryScope.root("t")) {
            SyntheticData d = LifeCycleGenerator.generate(LifeCycleConfig.builder().users(120).items(150).topics(9).topicGroups(3)
                    .multiTopicRate(0.3).order(EventOrder.SHUFFLED).seed(seed).build(), scope);
            EventTable ev = d.events();
            PlantedTruth truth = d.truth();
            int t = truth.numTopics(), n = ev.numUsers();
            Features f = PlantedCeilings.observedTopics(ev, truth);
            assertEquals(3 * t + 1, f.dim());
            assertEquals(n, f.rows());
            List<List<long[]>> perUser = new ArrayList<>();
            for (int u = 0; u < n; u++) perUser.add(new ArrayList<>());
            for (long i = 0; i < ev.size(); i++) perUser.get(ev.user(i)).add(new long[] {ev.timestamp(i), i, ev.item(i)});
            for (int u = 0; u < n; u++) {
                List<long[]> es = perUser.get(u);
                es.sort(Comparator.<long[]>comparingLong(a -> a[0]).thenComparingLong(a -> a[1]));
                double[] want = new double[3 * t + 1];
                int half = es.size() / 2;
                for (int r = 0; r < es.size(); r++) {
                    int item = (int) es.get(r)[2];
                    int[] topics = truth.itemSecondTopic(item) >= 0 ? new int[] {truth.itemTopic(item), truth.itemSecondTopic(item)} : new int[] {truth.itemTopic(item)};
                    for (int topic : topics) {
                        want[topic] += 1.0 / topics.length / es.size();
                        if (r < half) want[t + topic] += 1.0 / topics.length / half;
                        else want[2 * t + topic] += 1.0 / topics.length / (es.size() - half);
                    }
                }
                want[3 * t] = Math.log1p(es.size());
                for (int c = 0; c < want.length; c++) assertEquals(want[c], f.get(u, c), 1e-5, "user " + u + " column " + c);
            }
        }
    }

    @Test
    void mixturesDetermineTheNoiseFreeSegmentAndDriftLabels() {
        long seed = TestData.seed("PlantedCeilingsTest.mixtures");
        try (MemoryScope scope = MemoryScope.root("t")) {
            SyntheticData d = LifeCycleGenerator.generate(LifeCycleConfig.builder().users(200).items(120).topics(8).topicGroups(4).seed(seed).build(), scope);
            PlantedTruth truth = d.truth();
            int t = truth.numTopics();
            Features f = PlantedCeilings.mixtures(truth, d.events().numUsers());
            assertEquals(2 * t, f.dim());
            for (int u = 0; u < f.rows(); u++) {
                double start = 0, end = 0;
                for (int k = 0; k < t; k++) {
                    assertEquals(truth.mixtureStart(u, k), f.get(u, k), 0f);
                    assertEquals(truth.mixtureEnd(u, k), f.get(u, t + k), 0f);
                    if (truth.isSegmentTopic(k)) {
                        start += f.get(u, k);
                        end += f.get(u, t + k);
                    }
                }
                double avg = 0.5 * (start + end);
                if (Math.abs(avg - truth.segmentThreshold()) > 1e-6) {
                    assertEquals(avg > truth.segmentThreshold() ? "high" : "low", truth.noiseFreeLabel(u, LifeCycleGenerator.SEGMENT), "user " + u);
                }
                if (Math.abs(end - start) > 1e-6) {
                    assertEquals(end > start ? "up" : "down", truth.noiseFreeLabel(u, LifeCycleGenerator.DRIFT_DIRECTION), "user " + u);
                }
            }
            assertThrows(IllegalArgumentException.class, () -> PlantedCeilings.mixtures(truth, f.rows() + 1));
        }
    }

    @Test
    void benchmarkProbesReferenceRowsWithTheMethodsAndTheyBoundThem() {
        long seed = TestData.seed("PlantedCeilingsTest.benchmark");
        try (MemoryScope scope = MemoryScope.root("t")) {
            SyntheticData d = LifeCycleGenerator.generate(LifeCycleConfig.builder().users(1000).items(150).topics(8).topicGroups(4).seed(seed).build(), scope);
            List<LabelTable> labels = List.of(
                    LabelTable.fromAttribute(d.attributes(), LifeCycleGenerator.SEGMENT, "segment", LabelTable.Kind.BINARY, null));
            SmenConfig small = SmenConfig.defaults().toBuilder().h(16).anchors(4).anchorDim(8).maxSteps(5).seed(seed).build();
            BenchmarkOptions o = BenchmarkOptions.defaults().withSeed(seed).withStage1(BagOfInterests.Config.defaults().withInterests(40).withDim(16).withSeed(seed))
                    .withSmen(small).withProbes(ProbeEvaluator.Options.defaults().withMlp(false).withFolds(3)).withInductive(false).withPreference(false)
                    .withBaselines(false).withThreads(2).withCommand("PlantedCeilingsTest");
            EvaluationReport r = Benchmark.run("synthetic", d.events(), null, labels, PlantedCeilings.of(d), o, null);
            ResultRow lurm = BenchmarkTest.find(r.rows(), "synthetic", "segment", Baselines.LURM, ProbeEvaluator.LOGISTIC, "roc_auc");
            ResultRow mix = BenchmarkTest.find(r.rows(), "synthetic", "segment", PlantedCeilings.MIXTURES, ProbeEvaluator.LOGISTIC, "roc_auc");
            ResultRow obs = BenchmarkTest.find(r.rows(), "synthetic", "segment", PlantedCeilings.OBSERVED_TOPICS, ProbeEvaluator.LOGISTIC, "roc_auc");
            assertTrue(lurm != null && mix != null && obs != null, "LURM and both reference rows are probed");
            System.out.printf("[ceilings] mixtures %.4f, observed topics %.4f, LURM %.4f%n", mix.mean(), obs.mean(), lurm.mean());
            // the segment label is a linear threshold of the mixtures, flipped to a random class for 10 % of users
            // (~5 % wrong, so ~0.95 at best). At 400 users one seed in ~10 read 0.83 (mixtures) or 0.74 (observed
            // topics) and failed CI; at 1000 users 14 seeds read mixtures 0.933-0.957, observed topics 0.808-0.915,
            // and mixtures led the best of the others by 0.036 or more on every seed
            assertTrue(mix.mean() > 0.85, "planted mixtures: " + mix.mean());
            // no representation of the observed events can beat the truth they were drawn from (by more than fold noise)
            assertTrue(mix.mean() > Math.max(obs.mean(), lurm.mean()), "mixtures " + mix.mean() + ", observed topics " + obs.mean() + ", LURM " + lurm.mean());
            assertTrue(obs.mean() > 0.75, "observed topics: " + obs.mean());
            var renamed = Features.dense(Baselines.LURM, new float[d.events().numUsers()], d.events().numUsers(), 1);
            assertThrows(IllegalArgumentException.class, () -> Benchmark.run("synthetic", d.events(), null, labels, List.of(renamed), o, null));
        }
    }
}
