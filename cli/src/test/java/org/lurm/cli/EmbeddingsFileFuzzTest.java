package org.lurm.cli;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.lurm.events.IdDictionary;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.progress.Progress;
import org.lurm.testing.FuzzSupport;

/**
 * Fuzzes {@link EmbeddingsFile#read} (binary and CSV) against {@link EmbeddingsOracle} (docs/RELIABILITY.md): the
 * seed corpus in every build, a fixed-seed slice of mutated seeds in every build, {@code bin/fuzz embeddings} for
 * the long coverage-guided run.
 */
class EmbeddingsFileFuzzTest {
    static final int CI_INPUTS = Integer.getInteger("lurm.fuzz.ci", 2000);

    @FuzzTest(maxDuration = "2h")
    void embeddings(byte[] file) {
        EmbeddingsOracle.check(file);
    }

    @Test
    void ciSlice() {
        List<byte[]> seeds = FuzzSupport.seeds(EmbeddingsFileFuzzTest.class, "EmbeddingsFileFuzzTestInputs/embeddings");
        SplittableRandom r = new SplittableRandom(20261203L);
        for (byte[] s : seeds) EmbeddingsOracle.check(s);
        for (int i = 0; i < CI_INPUTS; i++) EmbeddingsOracle.check(FuzzSupport.mutate(seeds, r, 0));
    }

    /** Writes the seed corpus with the writers (run by hand: -Dtest=EmbeddingsFileFuzzTest#writeSeeds -Dlurm.fuzz.writeSeeds=DIR). */
    @Test
    void writeSeeds() throws Exception {
        String to = System.getProperty("lurm.fuzz.writeSeeds");
        if (to == null) return;
        Path dir = Files.createDirectories(Path.of(to));
        IdDictionary users = new IdDictionary();
        for (String u : List.of("u1", "user, with comma", " spaced ", "q\"uote", "\u00e9t\u00e9")) users.add(u);
        try (MemoryScope s = MemoryScope.root("seeds")) {
            F32Array z = s.allocateF32(users.size() * 3L);
            float[] v = {0f, -0f, 1.5f, Float.MIN_VALUE, Float.MAX_VALUE, 1e-20f, -3.25e7f, 0.1f, 2f / 3, 1f, Float.NaN, Float.POSITIVE_INFINITY, -1f, 42f, 1e10f};
            z.copyFrom(v, 0, 0, v.length);
            EmbeddingsFile.writeBinary(dir.resolve("five.emb"), users, z, 3, Progress.Task.NONE);
            EmbeddingsFile.writeCsv(dir.resolve("five.csv"), users, z, 3, Progress.Task.NONE);
        }
        Files.writeString(dir.resolve("crlf-bom.csv"), "\uFEFFuser_id,e0,e1\r\na,1,2\r\nb,3.5e-3,-4\r\n\r\n");
        Files.writeString(dir.resolve("empty-rows.csv"), "user_id,e0\n");
    }

    @AfterAll
    static void tally() {
        FuzzSupport.report(EmbeddingsOracle.TARGET, "embeddings");
    }
}
