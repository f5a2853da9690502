package org.lurm.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiAggregator;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.events.EventTable;
import org.lurm.memory.I32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

/** The generated data drives the BoI stage down its multi-period, multi-scale paths (unlike MovieLens). */
class SyntheticBoiTest {

    @Test
    void plantedTopicsAggregateIntoManyPeriodsAtBothScales() {
        long seed = TestData.seed("plantedTopicsAggregateIntoManyPeriodsAtBothScales");
        LifeCycleConfig c = LifeCycleConfig.demo().toBuilder().users(1_000).items(800).topics(20)
                .order(EventOrder.SHUFFLED).seed(seed).build();
        try (MemoryScope scope = MemoryScope.root("synth-boi"); Parallel par = new Parallel(2)) {
            SyntheticData d = new LifeCycleGenerator(c).generate(scope, par);
            EventTable ev = d.events();
            int[] topicOf = new int[c.items()];
            for (int i = 0; i < c.items(); i++) topicOf[i] = d.truth().itemTopic(i);
            BoiSet boi = BoiAggregator.aggregate(ev, I32Array.wrap(topicOf), c.topics(), BoiConfig.defaults(), scope, par);
            assertEquals(ev.size(), boi.aggregatedEvents());
            assertEquals(0, boi.skippedEvents());

            // every unit of weight lands in exactly one row per scale
            int nScales = BoiConfig.defaults().scales().size();
            double[][] mass = new double[nScales][c.users()];
            int[][] rows = new int[nScales][c.users()];
            for (long r = 0; r < boi.numRows(); r++) {
                int u = boi.rowUser(r), s = boi.rowScale(r);
                rows[s][u]++;
                for (long j = boi.rowStart(r); j < boi.rowEnd(r); j++) mass[s][u] += boi.val(j);
            }
            double[] weight = new double[c.users()];
            for (long i = 0; i < ev.size(); i++) weight[ev.user(i)] += ev.weight(i);
            for (int s = 0; s < nScales; s++) {
                for (int u = 0; u < c.users(); u++) assertEquals(weight[u], mass[s][u], 1e-3 * weight[u], "scale " + s + " user " + u);
            }
            int[] r30 = rows[0].clone(), r365 = rows[1].clone();
            Arrays.sort(r30);
            Arrays.sort(r365);
            long multi30 = Arrays.stream(rows[0]).filter(x -> x >= 2).count(), multi365 = Arrays.stream(rows[1]).filter(x -> x >= 2).count();
            System.out.printf(Locale.ROOT, "30-day rows per user: median %d, p90 %d; users with >= 2 rows: 30 d %.2f, 365 d %.2f%n",
                    r30[c.users() / 2], r30[c.users() * 9 / 10], multi30 / (double) c.users(), multi365 / (double) c.users());
            assertTrue(r30[c.users() / 2] >= 4, "median user has " + r30[c.users() / 2] + " rows at 30 days");
            assertTrue(multi30 > 0.85 * c.users(), "users with several 30-day rows: " + multi30);
            assertTrue(multi365 > 0.5 * c.users(), "users with several 365-day rows: " + multi365);
        }
    }
}
