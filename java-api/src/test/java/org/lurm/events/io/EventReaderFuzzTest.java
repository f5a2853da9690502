package org.lurm.events.io;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.lurm.testing.FuzzSupport;

/**
 * Fuzzes the delimited event reader against {@link EventsOracle} (docs/RELIABILITY.md). Three ways:
 * <ul>
 * <li>{@link #delimited}: a Jazzer fuzz test. In every build (regression mode) it runs the seed corpus in
 * {@code EventReaderFuzzTestInputs/delimited}; {@code bin/fuzz events} runs it coverage-guided for 10^5 inputs or
 * more.</li>
 * <li>{@link #ciSlice}: a fixed-seed slice of mutated seeds in every build, a few seconds.</li>
 * </ul>
 * Any input the oracle cannot classify fails the test and is kept under {@code target/fuzz/findings}.
 */
class EventReaderFuzzTest {
    static final int CI_INPUTS = Integer.getInteger("lurm.fuzz.ci", 2000);

    @FuzzTest(maxDuration = "2h")
    void delimited(byte[] input) {
        EventsOracle.check(input);
    }

    @Test
    void ciSlice() {
        List<byte[]> seeds = FuzzSupport.seeds(EventReaderFuzzTest.class, "EventReaderFuzzTestInputs/delimited");
        SplittableRandom r = new SplittableRandom(20261203L);
        for (byte[] s : seeds) EventsOracle.check(s);
        for (int i = 0; i < CI_INPUTS; i++) EventsOracle.check(FuzzSupport.mutate(seeds, r, 2));
        assertTrue(FuzzSupport.tally(EventsOracle.TARGET).values().stream().mapToLong(Long::longValue).sum() >= CI_INPUTS);
    }

    @AfterAll
    static void tally() {
        FuzzSupport.report(EventsOracle.TARGET, "events");
    }
}
