package org.lurm.perf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.boi.BoiAggregator;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.events.EventTable;
import org.lurm.memory.MemoryScope;
import org.lurm.synth.EventOrder;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;

/** The benchmark's yardstick computes the same BoI as lurm's aggregator, so the comparison is fair. */
class StraightforwardBoiTest {
    @Test
    void sameRowsAsTheAggregator() {
        try (MemoryScope scope = MemoryScope.root("t")) {
            EventTable ev = LifeCycleGenerator.generate(LifeCycleConfig.tiny().toBuilder().order(EventOrder.SHUFFLED).build(), scope).events();
            int k = 50;
            int[] map = new int[ev.numItems()];
            SplittableRandom r = new SplittableRandom(3);
            for (int i = 0; i < map.length; i++) map[i] = r.nextInt(k);
            BoiConfig cfg = BoiConfig.defaults();
            BoiSet b = BoiAggregator.aggregate(ev, scope.copyOf(map), k, cfg, scope);
            StraightforwardBoi.Result s = StraightforwardBoi.aggregate(ev, map, cfg);
            assertArrayEquals(b.rowPtrArray().toArray(), s.rowPtr());
            assertArrayEquals(b.colArray().toArray(), s.cols());
            assertArrayEquals(b.rowUserArray().toArray(), s.rowUser());
            assertArrayEquals(b.rowScaleArray().toArray(), s.rowScale());
            assertArrayEquals(b.rowPeriodArray().toArray(), s.rowPeriod());
            float[] v = b.valArray().toArray();
            for (int i = 0; i < v.length; i++) assertEquals(v[i], s.vals()[i], 1e-4f * Math.max(1, v[i]));
        }
    }
}
