package org.lurm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.embed.CooccurrenceEmbedder;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.RecordingProgress;
import org.lurm.testing.TestData;

/**
 * Stage 1 reports each phase of the item embedding and of k-means as its own step, with totals that the work
 * actually reaches, closes every step, and gives the same model with and without a progress listener.
 */
class Stage1ProgressTest {
    private static EventTable events(MemoryScope scope, long seed, int users) {
        SplittableRandom r = new SplittableRandom(seed);
        EventTableBuilder b = new EventTableBuilder();
        long t0 = 1_500_000_000L;
        for (int u = 0; u < users; u++) {
            int taste = r.nextInt(8);
            int n = 3 + r.nextInt(60);
            for (int e = 0; e < n; e++) {
                int item = r.nextInt(10) < 7 ? taste * 50 + r.nextInt(50) : r.nextInt(400);
                b.add("u" + u, "i" + item, t0 + r.nextLong(3L * 365 * 86_400), 1f);
            }
        }
        return b.build(scope);
    }

    @Test
    void everyPhaseOfEmbeddingAndClusteringIsAStepWithATotalItReaches() {
        long seed = TestData.seed("Stage1ProgressTest");
        int k = 20;
        BagOfInterests.Config cfg = LurmConfig.builder().itemDim(16).interests(k).seed(seed).build().interests();
        try (MemoryScope scope = MemoryScope.root("stage1-progress"); Backend backend = Backends.select("cpu").create(2)) {
            EventTable events = events(scope, seed, 700);
            RecordingProgress progress = new RecordingProgress();
            BagOfInterests withProgress = BagOfInterests.fit(events, null, cfg, backend, scope, null, progress);
            BagOfInterests without = BagOfInterests.fit(events, null, cfg, backend, scope, null);

            assertArrayEquals(without.embeddings().vectors().toArray(), withProgress.embeddings().vectors().toArray(), "progress changes nothing");
            assertArrayEquals(without.interests().itemInterest().toArray(), withProgress.interests().itemInterest().toArray());
            assertArrayEquals(without.interests().centroids().toArray(), withProgress.interests().centroids().toArray());

            assertEquals(List.of("embed: baskets", "embed: count pairs", "embed: PPMI", "embed: randomized SVD",
                    "k-means: k-means++ seeding", "k-means: Lloyd iterations", "k-means: assign items"), progress.names());
            for (RecordingProgress.Step s : progress.steps()) assertTrue(s.closed().get(), s.name() + " closed");
            int n = events.numItems();
            assertEquals(events.numUsers(), progress.step("embed: baskets").done().get(), "every user's baskets");
            assertEquals(events.numUsers(), progress.step("embed: baskets").total());
            assertEquals(n, progress.step("embed: count pairs").done().get(), "every item row of the pair counts");
            assertEquals(n, progress.step("embed: count pairs").total());
            assertEquals(n, progress.step("embed: PPMI").done().get());
            RecordingProgress.Step svd = progress.step("embed: randomized SVD");
            int q = CooccurrenceEmbedder.Options.defaults().powerIterations();
            assertEquals(2L * q + 3, svd.total());
            assertEquals(svd.total(), svd.done().get(), "the declared passes are the products the SVD makes");
            RecordingProgress.Step seeding = progress.step("k-means: k-means++ seeding");
            assertEquals(withProgress.interests().clustering().k(), seeding.total());
            assertEquals(seeding.total(), seeding.done().get(), "one unit per centroid chosen");
            RecordingProgress.Step lloyd = progress.step("k-means: Lloyd iterations");
            int iterations = withProgress.interests().clustering().iterations();
            assertEquals(iterations, lloyd.done().get(), "one unit per Lloyd update");
            assertTrue(iterations >= 1 && iterations <= lloyd.total(), iterations + " of at most " + lloyd.total());
            assertEquals(withProgress.embeddings().presentCount(), progress.step("k-means: assign items").done().get(), "every embedded item assigned");
        }
    }
}
