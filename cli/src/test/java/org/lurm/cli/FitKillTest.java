package org.lurm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.LurmModel;
import org.lurm.memory.MemoryScope;
import org.lurm.model.ModelFile;
import org.lurm.model.TensorInfo;
import org.lurm.testing.TestData;

/**
 * Issue 12, item 6: {@code lurm fit --checkpoint-dir} killed with SIGKILL at random points (JVM start-up,
 * reading, Stage 1, SMEN steps, checkpoint writes, the model write), at least {@value #KILLS} times, then run
 * to the end: the model equals an uninterrupted run's bit for bit (every tensor) and no temporary file is left
 * beside the model or the checkpoint. Each run is a child JVM started as {@code bin/lurm} starts it.
 */
class FitKillTest {
    static final int KILLS = 20;

    @TempDir
    Path dir;

    /** A small model (tiny SMEN widths), 40 steps, a checkpoint after every step, two threads. */
    private List<String> command(Path events, Path config, Path out, Path ck) {
        List<String> c = new ArrayList<>();
        c.add(ProcessHandle.current().info().command().orElse("java"));
        c.addAll(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-XX:TieredStopAtLevel=1",
                "-cp", launcherClassPath(), Main.class.getName(),
                "fit", "--events", events.toString(), "--config", config.toString(), "--threads", "2", "--progress", "none", "-o", out.toString()));
        if (ck != null) c.addAll(List.of("--checkpoint-dir", ck.toString(), "--checkpoint-every", "1"));
        return c;
    }

    /** The child runs as bin/lurm runs the command: every jar on the class path (these tests run on the module path). */
    static String launcherClassPath() {
        String mp = System.getProperty("jdk.module.path");
        String cp = System.getProperty("java.class.path");
        return mp == null || mp.isEmpty() ? cp : mp + java.io.File.pathSeparator + cp;
    }

    private record Done(int code, String output, double seconds) {
    }

    private Done runToEnd(List<String> cmd) throws Exception {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("last.log").toFile()).start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "fit finishes");
        return new Done(p.exitValue(), Files.readString(dir.resolve("last.log")), (System.nanoTime() - t0) / 1e9);
    }

    @Test
    void killedAtRandomPointsThenResumedGivesTheUninterruptedModel() throws Exception {
        long seed = TestData.seed("FitKillTest");
        SplittableRandom rnd = new SplittableRandom(seed);
        Path events = dir.resolve("events.csv");
        Files.write(events, CliFaultsTest.eventLines(seed, 2500));
        Path config = dir.resolve("lurm.json");
        Files.writeString(config, """
                {"interests": 10, "embeddingDim": 8, "seed": 3,
                 "smen": {"anchors": 2, "anchorDim": 4, "h": 8, "headHidden": 16, "headOut": 8, "steps": 40, "batchUsers": 16, "evalEvery": 5}}
                """);

        Path reference = dir.resolve("reference.lurm");
        Done ref = runToEnd(command(events, config, reference, null));
        assertEquals(0, ref.code(), ref.output());

        Path out = Files.createDirectories(dir.resolve("out")).resolve("model.lurm");
        Path ck = dir.resolve("ckpt");
        List<String> cmd = command(events, config, out, ck);
        int kills = 0, completions = 0, attempts = 0;
        List<String> log = new ArrayList<>();
        while (kills < KILLS) {
            attempts++;
            // a kill anywhere from JVM start-up to past the end of a whole run
            long delayMs = (long) (rnd.nextDouble() * ref.seconds() * 1000 * 1.1);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("attempt.log").toFile()).start();
            if (p.waitFor(delayMs, TimeUnit.MILLISECONDS)) {
                // it finished before the kill: a whole run, which must be right too; start the next one from scratch
                assertEquals(0, p.exitValue(), Files.readString(dir.resolve("attempt.log")));
                assertSameModel(reference, out);
                completions++;
                log.add(delayMs + " ms: finished");
                deleteTree(ck);
                Files.delete(out);
                continue;
            }
            p.destroyForcibly(); // SIGKILL on POSIX: no shutdown hooks, no finally blocks
            p.waitFor();
            kills++;
            log.add(delayMs + " ms: killed");
        }
        Done last = runToEnd(cmd);
        assertEquals(0, last.code(), last.output());
        System.out.println("[FitKillTest] " + kills + " kills, " + completions + " runs that finished first, " + attempts + " attempts; last run: "
                + last.output().lines().filter(l -> l.contains("checkpoint")).findFirst().orElse("?").strip());
        System.out.println("[FitKillTest] " + String.join("; ", log));
        assertSameModel(reference, out);
        assertEquals(List.of(), tmpFiles(out.getParent()), "no temporary file beside the model");
        assertEquals(List.of(), tmpFiles(ck), "no temporary file beside the checkpoint");
        assertTrue(last.output().contains("resumed from step") || last.output().contains("started afresh"), last.output());
    }

    private static List<String> tmpFiles(Path d) throws IOException {
        if (!Files.isDirectory(d)) return List.of();
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).sorted().toList();
        }
    }

    private static void deleteTree(Path d) throws IOException {
        if (!Files.exists(d)) return;
        try (var s = Files.walk(d)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    /** Every tensor equal bit for bit (the headers differ only in their creation time); the model loads. */
    static void assertSameModel(Path expected, Path actual) {
        try (MemoryScope s = MemoryScope.root("compare")) {
            ModelFile a = ModelFile.open(expected, s), b = ModelFile.open(actual, s);
            assertEquals(a.tensors().stream().map(TensorInfo::name).toList(), b.tensors().stream().map(TensorInfo::name).toList());
            for (TensorInfo t : a.tensors()) {
                assertEquals(t.dtype(), b.tensor(t.name()).dtype(), t.name());
                assertArrayEquals(t.shape(), b.tensor(t.name()).shape(), t.name());
                assertEquals(-1L, a.segment(t.name()).mismatch(b.segment(t.name())), "tensor " + t.name() + " differs");
            }
            LurmModel m = LurmModel.load(actual, s);
            assertArrayEquals(bits(LurmModel.load(expected, s).smen().parameters()), bits(m.smen().parameters()));
        }
    }

    private static int[] bits(float[] f) {
        int[] b = new int[f.length];
        for (int i = 0; i < f.length; i++) b[i] = Float.floatToRawIntBits(f[i]);
        return b;
    }
}
