package org.lurm.model;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.lurm.testing.FuzzSupport;

/**
 * Fuzzes {@link org.lurm.LurmModel#load} against {@link ModelOracle} (docs/RELIABILITY.md): whole files mutated
 * ({@link #modelBytes}), and headers mutated inside a valid container ({@link #modelHeader}), which reaches the
 * header checks that a random byte change (stopped by a checksum) never gets to. The seeds are small valid models
 * ({@link org.lurm.testing.TinyModel}) and their headers. A fixed-seed slice of both runs in every build.
 */
class ModelFileFuzzTest {
    static final int CI_INPUTS = Integer.getInteger("lurm.fuzz.ci", 3000);

    private static byte[] seedModel() {
        return FuzzSupport.seeds(ModelFileFuzzTest.class, "ModelFileFuzzTestInputs/modelBytes").getFirst();
    }

    @FuzzTest(maxDuration = "2h")
    void modelBytes(byte[] file) {
        ModelOracle.checkBytes(file);
    }

    @FuzzTest(maxDuration = "2h")
    void modelStructure(byte[] file) {
        ModelOracle.checkStructure(file);
    }

    @FuzzTest(maxDuration = "2h")
    void modelHeader(byte[] header) {
        ModelOracle.checkHeader(header, SEED.get());
    }

    private static final java.util.function.Supplier<byte[]> SEED = new java.util.function.Supplier<>() {
        private volatile byte[] seed;

        @Override
        public byte[] get() {
            if (seed == null) seed = seedModel();
            return seed;
        }
    };

    @Test
    void ciSlice() {
        List<byte[]> files = FuzzSupport.seeds(ModelFileFuzzTest.class, "ModelFileFuzzTestInputs/modelBytes");
        List<byte[]> headers = FuzzSupport.seeds(ModelFileFuzzTest.class, "ModelFileFuzzTestInputs/modelHeader");
        SplittableRandom r = new SplittableRandom(20261203L);
        for (byte[] f : files) ModelOracle.checkBytes(f);
        for (byte[] h : headers) ModelOracle.checkHeader(h, SEED.get());
        for (int i = 0; i < CI_INPUTS / 3; i++) {
            ModelOracle.checkBytes(FuzzSupport.mutate(files, r, 0));
            ModelOracle.checkStructure(FuzzSupport.mutate(files, r, 0));
            ModelOracle.checkHeader(FuzzSupport.mutate(headers, r, 0), SEED.get());
        }
    }

    /** Writes the seed corpus (run by hand after a format change: -Dtest=ModelFileFuzzTest#writeSeeds -Dlurm.fuzz.writeSeeds=DIR). */
    @Test
    void writeSeeds() throws Exception {
        String to = System.getProperty("lurm.fuzz.writeSeeds");
        if (to == null) return;
        Path dir = Path.of(to);
        Files.createDirectories(dir.resolve("modelBytes"));
        Files.createDirectories(dir.resolve("modelHeader"));
        for (int s = 1; s <= 2; s++) {
            Path f = dir.resolve("modelBytes").resolve("tiny-" + s + ".lurm");
            org.lurm.testing.TinyModel.write(f, s);
            ModelOracle.Parsed p = ModelOracle.parse(Files.readAllBytes(f));
            Files.writeString(dir.resolve("modelHeader").resolve("tiny-" + s + ".json"), p.header());
        }
    }

    @AfterAll
    static void tally() {
        FuzzSupport.report(ModelOracle.TARGET_BYTES, "model-bytes");
        FuzzSupport.report(ModelOracle.TARGET_HEADER, "model-header");
        FuzzSupport.report(ModelOracle.TARGET_STRUCTURE, "model-structure");
    }
}
