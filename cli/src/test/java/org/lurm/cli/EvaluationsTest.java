package org.lurm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.BagOfInterests;
import org.lurm.LurmModel;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiSet;
import org.lurm.embed.CooccurrenceEmbedder;
import org.lurm.embed.EmbeddingInput;
import org.lurm.embed.ItemEmbeddings;
import org.lurm.eval.Baselines;
import org.lurm.eval.Benchmark;
import org.lurm.eval.BenchmarkOptions;
import org.lurm.eval.EvaluationReport;
import org.lurm.eval.Features;
import org.lurm.eval.LabelTable;
import org.lurm.eval.ProbeEvaluator;
import org.lurm.eval.ResultRow;
import org.lurm.events.EventTable;
import org.lurm.memory.MemoryScope;
import org.lurm.progress.Progress;
import org.lurm.smen.Smen;
import org.lurm.SmenConfig;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
import org.lurm.synth.SyntheticData;
import org.lurm.testing.TestData;

/**
 * The baselines of {@code lurm evaluate --model ... --baselines} are the harness's: the CLI path (a saved and
 * reloaded model's BoI rows through {@link Evaluations#baselines}) gives bit-identical vectors to the construction
 * {@code Benchmark} used (written out here as the reference: seeds seed+1..seed+3, a co-occurrence embedding at
 * width w for the mean item embedding), and the same probe numbers as {@link Benchmark#run} on the same data.
 */
class EvaluationsTest {
    static final SmenConfig SMALL = new SmenConfig(16, 4, 8, 16, 32, 16, 0.1f, 0.1f, 3e-3f, 0.9f, 0.999f, 1e-8f, 1, 3, 0, 5f, 64, 0.1, 50, 25, 1.0, 5L);

    @Test
    void cliBaselinesAreBitIdenticalToTheBenchmarkConstructionAndGiveTheSameNumbers(@TempDir Path dir) {
        long seed = TestData.seed("EvaluationsTest.baselines");
        long evalSeed = seed ^ 0x5DEECE66DL;
        try (MemoryScope scope = MemoryScope.root("t"); Backend backend = Backends.create(); Parallel par = new Parallel(2)) {
            SyntheticData d = LifeCycleGenerator.generate(LifeCycleConfig.builder().users(300).items(200).topics(8).topicGroups(4).seed(seed).build(), scope);
            EventTable ev = d.events();
            // Stage 1 exactly as Benchmark fits it (lenient BoI), then a model file as `lurm fit` writes it
            BagOfInterests.Config given = BagOfInterests.Config.defaults().withInterests(40).withDim(16).withSeed(seed + 17);
            BagOfInterests.Config c1 = given.withBoi(given.boi().withLenient(true));
            BagOfInterests s1 = BagOfInterests.fit(ev, null, c1, backend, scope, null);
            BoiSet harnessRows = s1.aggregate(ev, backend, scope);
            Smen smen = Smen.train(harnessRows, s1.interests().centroids(), s1.embeddings().dim(), SMALL, par, null, null, 0);
            int w = smen.width();
            Path file = dir.resolve("m.lurm");
            LurmModel.of(s1, ev.items(), smen).save(file);

            // the CLI path: load the model, aggregate the events with it, the baselines through Evaluations
            LurmModel m = LurmModel.load(file, scope);
            BoiSet cliRows = m.aggregate(ev, true, backend, scope);
            List<Features> cli = Evaluations.baselines(cliRows, ev, m.boiConfig(), c1.seed(), w, evalSeed, backend, scope, Progress.NONE);

            // the reference: Benchmark.pipeline's baseline block as it was written before Baselines.widthMatched
            List<Features> ref = new ArrayList<>();
            Features raw = Baselines.rawBoi(harnessRows);
            ref.add(raw);
            ref.add(Baselines.truncatedSvd(Baselines.BOI_RSVD, raw, w, evalSeed + 1, backend, scope));
            ref.add(Baselines.truncatedSvd(Baselines.ITEM_TFIDF_RSVD, Baselines.itemTfIdf(ev), w, evalSeed + 2, backend, scope));
            ItemEmbeddings emb = new CooccurrenceEmbedder(CooccurrenceEmbedder.Options.forBoi(c1.boi()).withDim(w).withSeed(c1.seed()))
                    .embed(EmbeddingInput.of(ev), backend, scope);
            ref.add(Baselines.meanItemEmbedding(ev, emb));
            ref.add(Baselines.randomProjection(raw, w, evalSeed + 3, backend));

            assertEquals(List.of(Baselines.RAW_BOI, Baselines.BOI_RSVD, Baselines.ITEM_TFIDF_RSVD, Baselines.MEAN_ITEM_EMBEDDING, Baselines.RANDOM_PROJECTION),
                    cli.stream().map(Features::name).toList(), "all five, in the harness's order and names");
            for (int i = 0; i < ref.size(); i++) assertBitIdentical(ref.get(i), cli.get(i));
            assertEquals(w, cli.get(3).dim(), "the mean item embedding is width-matched");

            // and the numbers: Benchmark.run on the same events and labels (it fits the same Stage 1 itself)
            // gives exactly the rows the CLI's probe gives on the CLI's baselines
            List<LabelTable> labels = List.of(
                    LabelTable.fromAttribute(d.attributes(), LifeCycleGenerator.SEGMENT, "segment", LabelTable.Kind.BINARY, null),
                    LabelTable.fromAttribute(d.attributes(), LifeCycleGenerator.AGE_GROUP, "age_group", LabelTable.Kind.MULTI_CLASS, null));
            ProbeEvaluator.Options po = Evaluations.options(3, evalSeed, false);
            BenchmarkOptions o = BenchmarkOptions.defaults().withSeed(evalSeed).withStage1(given).withSmen(SMALL).withProbes(po).withInductive(false)
                    .withPreference(false).withThreads(2).withCommand("EvaluationsTest");
            EvaluationReport bench = Benchmark.run("synthetic", ev, null, labels, o, Progress.NONE);
            List<ResultRow> mine = Evaluations.probe("synthetic", labels, cli, po, backend, Progress.NONE, new ArrayList<>());
            int compared = 0;
            for (ResultRow r : mine) {
                ResultRow b = bench.rows().stream().filter(x -> x.task().equals(r.task()) && x.method().equals(r.method()) && x.probe().equals(r.probe())
                        && x.metric().equals(r.metric())).findFirst().orElse(null);
                assertNotNull(b, "Benchmark has " + r.task() + " / " + r.method() + " / " + r.metric());
                assertArrayEquals(b.perFold(), r.perFold(), 0, r.task() + " / " + r.method() + " / " + r.metric());
                compared++;
            }
            assertEquals(5 * (3 + 2), compared, "five baselines x (3 binary + 2 multi-class metrics)");
        }
    }

    static void assertBitIdentical(Features expected, Features actual) {
        assertEquals(expected.name(), actual.name());
        assertEquals(expected.isSparse(), actual.isSparse(), expected.name());
        assertEquals(expected.rows(), actual.rows(), expected.name());
        assertEquals(expected.dim(), actual.dim(), expected.name());
        for (int r = 0; r < expected.rows(); r++) {
            float[] a = expected.row(r), b = actual.row(r);
            for (int c = 0; c < a.length; c++) {
                if (Float.floatToRawIntBits(a[c]) != Float.floatToRawIntBits(b[c])) {
                    throw new AssertionError(expected.name() + " row " + r + " col " + c + ": " + a[c] + " vs " + b[c]);
                }
            }
        }
        assertTrue(expected.rows() > 0);
    }
}
