package org.lurm.boi;

import org.lurm.testing.BoiAssert;
import org.lurm.testing.NaiveBoi;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.events.EventTable;
import org.lurm.events.io.MovieLens;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

/** BoI of both real datasets equals the naive per-cell HashMap aggregation, row for row. */
class BoiRealDataTest {
    @ParameterizedTest
    @ValueSource(strings = {"movielens-100k", "movielens-1m-subset"})
    void realDataMatchesNaive(String name) throws IOException {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("boi-real-" + name));
        try (MemoryScope scope = MemoryScope.root("test"); Backend be = Backends.create()) {
            MovieLens.Dataset d = name.contains("100k") ? MovieLens.read100k(TestData.dataset(name), scope) : MovieLens.read1m(TestData.dataset(name), scope);
            EventTable ev = d.events();
            int items = ev.numItems();
            int k = Math.max(16, items / 2);
            int[] interest = new int[items];
            for (int i = 0; i < items; i++) interest[i] = rnd.nextInt(k);
            // Short scales and small T_max so that the history rows are exercised on real timestamps too.
            BoiConfig cfg = BoiConfig.of(new Scale("1d", Scale.DAY, 4), Scale.days(30, 64), Scale.days(365, 16))
                    .withTypeWeights(0f, 1f, 1f, 2f, 3f, 4f); // type index = stars
            BoiSet got = be.aggregate(ev, scope.copyOf(interest), k, cfg, scope);
            BoiAssert.assertMatches(NaiveBoi.aggregate(ev, interest, cfg), got, 1e-6);
            assertEquals(ev.size(), got.aggregatedEvents());
            long histories = 0;
            for (long r = 0; r < got.numRows(); r++) if (got.isHistory(r)) histories++;
            assertTrue(histories > 0, "some users have more than 4 active days");
        }
    }
}
