package org.lurm.smen;

import org.lurm.SmenConfig;
import org.lurm.testing.SmenCase;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiAggregator;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.boi.Scale;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.events.IdDictionary;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

/** Incremental re-encoding after new periods equals encoding the merged history from scratch. */
class SmenUserStateTest {
    /** With every volume sink too: the sink entries, the sink-only rows and the calibrated weights of the model. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(SmenConfig.VolumeSink.class)
    void addingNewPeriodsEqualsAFullReEncode(SmenConfig.VolumeSink sink) {
        SplittableRandom r = new SplittableRandom(TestData.seed("incremental"));
        int k = 40, users = 6;
        BoiConfig cfg = BoiConfig.of(Scale.days(30, 4), Scale.days(365, 2));
        try (MemoryScope scope = MemoryScope.root("t"); Parallel par = new Parallel(2)) {
            IdDictionary ud = new IdDictionary(), id = new IdDictionary();
            for (int u = 0; u < users; u++) ud.add("u" + u);
            for (int i = 0; i < k; i++) id.add("i" + i);
            int[] map = new int[k];
            for (int i = 0; i < k; i++) map[i] = i;
            long t0 = 1_400_000_000L, cut = t0 + 700L * Scale.DAY;
            EventTableBuilder all = new EventTableBuilder(ud, id, EventTableBuilder.defaultTypes());
            EventTableBuilder old = new EventTableBuilder(ud, id, EventTableBuilder.defaultTypes());
            EventTableBuilder[] updates = {new EventTableBuilder(ud, id, EventTableBuilder.defaultTypes()), new EventTableBuilder(ud, id, EventTableBuilder.defaultTypes())};
            for (int u = 0; u < users; u++) {
                for (int e = 0; e < 80; e++) {
                    long t = t0 + (long) (r.nextDouble() * 700 * Scale.DAY);
                    int item = r.nextInt(k);
                    all.addIndexed(u, item, t, 1f, 0);
                    old.addIndexed(u, item, t, 1f, 0);
                }
                // two updates: the first starts in the last old period (same period summed), the second is new periods
                for (int q = 0; q < 2; q++) {
                    for (int e = 0; e < 15; e++) {
                        long t = q == 0 ? cut - 5 * Scale.DAY + (long) (r.nextDouble() * 40 * Scale.DAY) : cut + 40 * Scale.DAY + (long) (r.nextDouble() * 50 * Scale.DAY);
                        int item = r.nextInt(k);
                        all.addIndexed(u, item, t, 1f, 0);
                        updates[q].addIndexed(u, item, t, 1f, 0);
                    }
                }
            }
            EventTable allEv = all.build(scope);
            BoiSet whole = BoiAggregator.aggregate(allEv, scope.copyOf(map), k, cfg, scope);
            BoiSet before = BoiAggregator.aggregate(old.build(scope), scope.copyOf(map), k, cfg, scope);
            SmenConfig c = SmenCase.sized(16, 3, 4, 8, 6, 5, 0.1f, 0.1f).toBuilder().volumeSink(sink).build();
            SmenLayout l = new SmenLayout(c, k, 2);
            float[] p = new float[(int) l.total()];
            for (int i = 0; i < p.length; i++) p[i] = (float) (r.nextGaussian() * 0.3);
            Smen smen = Smen.of(l, p, whole);
            long[] ref = smen.referencePeriods();
            float[] full = smen.encode(whole, new int[] {0, 1, 2, 3, 4, 5}, par);
            for (int u = 0; u < users; u++) {
                SmenUserState st = SmenUserState.of(smen, before, u);
                st.encode(ref, par);
                for (EventTableBuilder up : updates) {
                    st.add(BoiAggregator.aggregate(up.build(scope), scope.copyOf(map), k, cfg, scope), u);
                    assertTrue(st.dirtyRows() <= 2 * 2 + 2, "only the new, merged and history rows are recomputed: " + st.dirtyRows());
                    st.encode(ref, par);
                }
                float[] z = st.encode(ref, par);
                for (int j = 0; j < z.length; j++) {
                    float e = full[u * z.length + j];
                    assertEquals(e, z[j], 1e-4 * Math.max(1, Math.abs(e)), sink + ": user " + u + " z[" + j + "]");
                }
            }
        }
    }
}
