package org.lurm.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.BagOfInterests;
import org.lurm.LurmModel;
import org.lurm.smen.Smen;
import org.lurm.SmenConfig;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.testing.BoiAssert;
import org.lurm.boi.BoiSet;
import org.lurm.testing.NaiveBoi;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.events.io.DelimitedEventReader;
import org.lurm.events.io.DelimitedFormat;
import org.lurm.events.io.MovieLens;
import org.lurm.memory.MemoryScope;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
import org.lurm.synth.SyntheticData;
import org.lurm.testing.TestData;

class SyntheticBagOfInterestsTest {
    @Test
    void readmeQuickStartRunsOnAGzippedCsv(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("events.csv.gz");
        java.util.SplittableRandom r = new java.util.SplittableRandom(TestData.seed("quickstart"));
        try (Writer w = new OutputStreamWriter(new GZIPOutputStream(Files.newOutputStream(csv)), StandardCharsets.UTF_8)) {
            w.write("user,item,ts\n");
            for (int u = 0; u < 80; u++) {
                int group = u % 4; // four groups of users, each touching its own 25 items
                for (int e = 0; e < 30; e++) w.write("u" + u + ",i" + (group * 25 + r.nextInt(25)) + "," + (1_600_000_000L + r.nextInt(90 * 86400)) + "\n");
            }
        }
        try (MemoryScope scope = MemoryScope.root("app"); Backend backend = Backends.create()) {
            EventTableBuilder b = new EventTableBuilder();
            DelimitedEventReader.builder().format(DelimitedFormat.csv()).user("user").item("item").timestamp("ts")
                    .build().read(csv, b);
            EventTable events = b.build(scope);
            BagOfInterests boi = BagOfInterests.fit(events, null, BagOfInterests.Config.defaults(), backend, scope, null);
            BoiSet rows = boi.aggregate(events, backend, scope);
            try (org.lurm.backend.cpu.Parallel par = new org.lurm.backend.cpu.Parallel(2)) {
                org.lurm.SmenConfig d = org.lurm.SmenConfig.defaults();
                org.lurm.SmenConfig quick = new org.lurm.SmenConfig(d.h(), d.anchors(), d.anchorDim(), d.recencyBuckets(), d.headHidden(),
                        d.headOut(), d.tau(), d.diversityWeight(), d.learningRate(), d.beta1(), d.beta2(), d.eps(), 2, 10, 0, d.clipNorm(), 32,
                        d.heldOutFraction(), d.patience(), d.evalEvery(), d.periodCrop(), d.seed());
                org.lurm.smen.Smen smen = org.lurm.smen.Smen.train(rows, boi.interests().centroids(), boi.embeddings().dim(), quick, par, null, null, 0);
                org.lurm.memory.F32Array z = smen.encode(rows, par, scope);
                LurmModel.of(boi, events.items(), smen).save(dir.resolve("model.lurm"));
                assertEquals(80L * 128, z.length());
                assertTrue(Files.size(dir.resolve("model.lurm")) > 0);
            }
            assertEquals(2400, events.size());
            assertTrue(boi.numInterests() > 50 && boi.numInterests() <= 100, "default K = min(1e5, max(16, I)) for 100 items (fewer only where embeddings coincide): " + boi.numInterests());
            assertEquals(100, org.lurm.cluster.KMeansConfig.defaultK(100));
            int[] map = boi.interests().itemInterest().toArray();
            BoiAssert.assertMatches(NaiveBoi.aggregate(events, map, boi.config().boi()), rows, 1e-6);
            // Items of different user groups never co-occur, so no interest mixes groups.
            for (int i = 0; i < 100; i++) {
                for (int j = 0; j < 100; j++) {
                    int gi = Integer.parseInt(events.items().id(i).substring(1)) / 25, gj = Integer.parseInt(events.items().id(j).substring(1)) / 25;
                    if (map[i] == map[j]) assertEquals(gi, gj, "items " + i + " and " + j + " share an interest across groups");
                }
            }
        }
    }

    @Test
    void interestsRecoverPlantedTopicsAndNewItemsAreHandledExplicitly() {
        try (MemoryScope scope = MemoryScope.root("t"); Backend backend = Backends.create()) {
            SyntheticData d = LifeCycleGenerator.generate(LifeCycleConfig.tiny(), scope);
            BagOfInterests boi = BagOfInterests.fit(d.events(), d.catalog(), BagOfInterests.Config.defaults().withInterests(16), backend, scope,
                    (stage, nanos, summary) -> System.out.println(stage + ": " + summary));
            // Purity of interests against the planted topics, far above what the same sizes give at random.
            int t = d.truth().numTopics();
            int[][] c = new int[16][t];
            int n = 0;
            for (int i = 0; i < d.events().numItems(); i++) {
                int k = boi.interests().interestOf(i);
                if (k >= 0) {
                    c[k][d.truth().itemTopic(i)]++;
                    n++;
                }
            }
            int good = 0;
            for (int[] row : c) good += java.util.Arrays.stream(row).max().orElse(0);
            assertTrue(good / (double) n > 0.8, "purity " + good / (double) n);
            assertEquals(2, boi.stageNanos().size());
            assertTrue(boi.describeInterests(d.events().items(), d.catalog(), 3, 2).get(0).startsWith("interest "));

            // An item added after fitting: an error naming it, or skipped and counted when lenient.
            EventTableBuilder more = new EventTableBuilder(d.events().users(), d.events().items(), d.events().types());
            more.add("u0", "brand-new-item", 1_500_000_000L, 1f);
            EventTable ev2 = more.build(scope);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> boi.aggregate(ev2, backend, scope));
            assertTrue(e.getMessage().contains("brand-new-item"), e.getMessage());
            BagOfInterests lenient = BagOfInterests.fit(d.events(), null,
                    BagOfInterests.Config.defaults().withInterests(16).withBoi(boi.config().boi().withLenient(true)), backend, scope, null);
            assertEquals(1, lenient.aggregate(ev2, backend, scope).skippedEvents());
        }
    }

    @Test
    void textEmbeddingGivesColdStartItemsAnInterestOnMovieLens() throws Exception {
        try (MemoryScope scope = MemoryScope.root("t"); Backend backend = Backends.create()) {
            MovieLens.Dataset d = MovieLens.read1m(TestData.dataset("movielens-1m-subset"), scope);
            BagOfInterests boi = BagOfInterests.fit(d.events(), d.catalog(),
                    BagOfInterests.Config.defaults().withEmbedding(BagOfInterests.ItemEmbedding.COOCCURRENCE_AND_TEXT), backend, scope, null);
            int items = d.events().numItems();
            int assigned = 0;
            for (int i = 0; i < items; i++) if (boi.interests().interestOf(i) >= 0) assigned++;
            assertEquals(items, assigned, "never-rated catalogue items get an interest from their text");
            BoiSet rows = boi.aggregate(d.events(), backend, scope);
            rows.validate();
            assertEquals(d.events().size(), rows.aggregatedEvents());
        }
    }
}
