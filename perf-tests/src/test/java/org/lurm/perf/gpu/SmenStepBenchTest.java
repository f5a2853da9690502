package org.lurm.perf.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The reference's JSON line is compared with ours only when it was measured on the same shape. */
class SmenStepBenchTest {
    // A line as smen_reference.py bench writes it (the first GPU run's eager line, shortened).
    private static final String LINE = "{\"mode\": \"bench\", \"impl\": \"pytorch-eager\", \"users\": 256, \"scales\": 2, \"rows\": 10400, "
            + "\"nnz\": 207117, \"K\": 20000, \"h\": 64, \"predictionWeight\": 1.0, \"candidates\": 19999, \"ms_per_step\": 71.78}";

    @Test
    void sameShapeIsCompared() {
        assertNull(SmenStepBench.shapeMismatch(LINE, 256, 2, 20_000, 1f));
    }

    @Test
    void anotherPredictionWeightOrSizeIsNot() {
        // The first GPU run compared our step without the prediction term with this line, which has it.
        assertEquals("predictionWeight 1.0, ours 0.0", SmenStepBench.shapeMismatch(LINE, 256, 2, 20_000, 0f));
        String m = SmenStepBench.shapeMismatch(LINE, 128, 3, 20_000, 1f);
        assertTrue(m.contains("users 256, ours 128") && m.contains("scales 2, ours 3"), m);
        assertTrue(SmenStepBench.shapeMismatch("{\"ms_per_step\": 3.0}", 256, 2, 20_000, 1f).contains("users missing"));
    }
}
