package org.lurm.eval;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.lurm.testing.FuzzSupport;

/**
 * Fuzzes {@link LabelsReader} against {@link LabelsOracle} (docs/RELIABILITY.md): the seed corpus in every build,
 * a fixed-seed slice of mutated seeds in every build, and {@code bin/fuzz labels} for the long coverage-guided run.
 * In its own file: LabelsReader itself is another engineer's.
 */
class LabelsReaderFuzzTest {
    static final int CI_INPUTS = Integer.getInteger("lurm.fuzz.ci", 2000);

    @FuzzTest(maxDuration = "2h")
    void labels(byte[] input) {
        LabelsOracle.check(input);
    }

    @Test
    void ciSlice() {
        List<byte[]> seeds = FuzzSupport.seeds(LabelsReaderFuzzTest.class, "LabelsReaderFuzzTestInputs/labels");
        SplittableRandom r = new SplittableRandom(20261203L);
        for (byte[] s : seeds) LabelsOracle.check(s);
        for (int i = 0; i < CI_INPUTS; i++) LabelsOracle.check(FuzzSupport.mutate(seeds, r, 2));
    }

    @AfterAll
    static void tally() {
        FuzzSupport.report(LabelsOracle.TARGET, "labels");
    }
}
