package org.lurm.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.boi.Scale;
import org.lurm.events.EventTable;
import org.lurm.events.io.MovieLens;
import org.lurm.memory.I32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

/**
 * The device BoI pipeline of {@code boi.cu}, run sequentially on the host by the native library
 * ({@link CudaBackend#aggregateHostEmulation}: the same passes, index arithmetic and stable-sort semantics as on
 * the GPU), against the CPU aggregator, bit for bit, on fresh random events and on MovieLens. This checks the
 * GPU algorithm's logic on machines without a GPU; {@link CrossBackendOpsTest} checks the device itself.
 */
class BoiHostEmulationTest {
    static void assumeLibrary() {
        DeviceTests.nativeLibrary();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
    void identicalToTheCpuOnRandomEvents(int trial) {
        assumeLibrary();
        SplittableRandom r = new SplittableRandom(TestData.seed("boi-emulation-" + trial));
        try (Backend ref = Backends.select("cpu-scalar").create(1); MemoryScope s = MemoryScope.root("t")) {
            int nUsers = 1 + r.nextInt(trial < 4 ? 10 : 500), nItems = 1 + r.nextInt(400), k = 1 + r.nextInt(trial % 2 == 0 ? 5 : 3000);
            int nEvents = trial == 0 ? 0 : r.nextInt(trial < 4 ? 200 : 30_000);
            boolean lenient = trial % 3 != 1;
            EventTable ev = CrossBackendOpsTest.randomEvents(s, r, nEvents, nUsers, nItems, trial % 2 == 1);
            I32Array interest = s.allocateI32(nItems);
            for (int i = 0; i < nItems; i++) interest.set(i, lenient && r.nextInt(7) == 0 ? -1 : r.nextInt(k));
            BoiConfig cfg = new BoiConfig(List.of(Scale.days(1 + r.nextInt(7), 1 + r.nextInt(6)), Scale.days(30, 1 + r.nextInt(12)), Scale.days(365, 1 + r.nextInt(3))),
                    r.nextInt(3) == 0 ? 86_400L * (1 + r.nextInt(100)) : 0L, r.nextBoolean() ? new float[] {1f, 0.5f, 2.5f} : null, lenient);
            BoiSet want = ref.aggregate(ev, interest, k, cfg, s);
            BoiSet got = CudaBackend.aggregateHostEmulation(ev, interest, k, cfg, s);
            got.validate();
            CrossBackendOpsTest.assertIdentical(want, got, "trial " + trial + " (" + nEvents + " events, " + nUsers + " users, K " + k + ", lenient " + lenient + ")");
        }
    }

    @Test
    void inputsTheCpuRejectsGiveTheCpuError() {
        assumeLibrary();
        SplittableRandom r = new SplittableRandom(TestData.seed("boi-emulation-errors"));
        try (Backend ref = Backends.select("cpu-scalar").create(1); MemoryScope s = MemoryScope.root("t")) {
            EventTable ev = CrossBackendOpsTest.randomEvents(s, r, 300, 5, 3, false);
            I32Array interest = s.copyOf(new int[] {0, -1, 1});
            BoiConfig strict = BoiConfig.of(Scale.days(30, 4));
            String want = assertThrows(IllegalArgumentException.class, () -> ref.aggregate(ev, interest, 2, strict, s)).getMessage();
            String got = assertThrows(IllegalArgumentException.class, () -> CudaBackend.aggregateHostEmulation(ev, interest, 2, strict, s)).getMessage();
            assertEquals(want, got);
        }
    }

    @Test
    void identicalToTheCpuOnMovieLens() throws Exception {
        assumeLibrary();
        String name = "movielens-100k";
        Path dir = TestData.dataset(name);
        SplittableRandom r = new SplittableRandom(TestData.seed("boi-emulation-ml"));
        try (Backend ref = Backends.select("cpu").create(2); MemoryScope s = MemoryScope.root("t")) {
            EventTable ev = MovieLens.read100k(dir, s).events();
            int k = 300;
            I32Array interest = s.allocateI32(ev.numItems());
            for (int i = 0; i < ev.numItems(); i++) interest.set(i, r.nextInt(k));
            for (BoiConfig cfg : new BoiConfig[] {BoiConfig.defaults(), BoiConfig.of(Scale.days(7, 4), Scale.days(30, 3))}) {
                BoiSet want = ref.aggregate(ev, interest, k, cfg, s);
                BoiSet got = CudaBackend.aggregateHostEmulation(ev, interest, k, cfg, s);
                CrossBackendOpsTest.assertIdentical(want, got, name + " " + cfg);
            }
        }
    }
}
