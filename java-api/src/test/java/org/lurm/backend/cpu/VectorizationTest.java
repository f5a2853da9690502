package org.lurm.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The single SIMD provider: every kernel family loads from it when the module is present, nothing of the incubator
 * module is linked by code that never calls a kernel, and a JVM without the module runs the scalar kernels
 * everywhere with the flag to add in the reason. The last two run in child JVMs, since the choice is made once per
 * JVM.
 */
class VectorizationTest {
    @Test
    void everyFamilyLoadsOnceWhenTheModuleIsPresent() {
        // The build runs tests with --add-modules jdk.incubator.vector.
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(), Vectorization.FLAG_HINT);
        assertTrue(Vectorization.available(), Vectorization.unavailableReason());
        for (Vectorization.Family f : Vectorization.Family.values()) {
            Object k = Vectorization.simd(f, Object.class);
            assertNotNull(k, f.name());
            assertSame(k, Vectorization.simd(f, Object.class), "one instance per JVM: " + f);
            assertTrue(k.getClass().getSimpleName().contains("Simd"), f + " -> " + k.getClass());
        }
        assertTrue(Vectorization.simd(Vectorization.Family.BACKEND, VectorKernels.class) instanceof SimdKernels);
    }

    @Test
    void withoutTheModuleEveryKernelIsScalarAndTheReasonNamesTheFlag(@TempDir Path dir) throws Exception {
        String out = child(dir, false, """
                System.out.println(org.lurm.backend.cpu.Vectorization.available());
                System.out.println(org.lurm.backend.cpu.Vectorization.unavailableReason());
                try (var b = org.lurm.backend.Backends.create()) { System.out.println(b.name()); }
                """);
        List<String> lines = out.lines().filter(l -> !l.startsWith("[") && !l.contains("INFO") && !l.contains(" PM ") && !l.contains(" AM ")).toList();
        assertTrue(lines.contains("false"), out);
        assertTrue(lines.contains(Vectorization.FLAG_HINT), out);
        assertTrue(lines.contains("cpu-scalar"), out);
    }

    @Test
    void codeThatNeverCallsAKernelNeverLinksTheIncubatorModule(@TempDir Path dir) throws Exception {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(), Vectorization.FLAG_HINT);
        String readOnly = """
                var b = new org.lurm.events.EventTableBuilder();
                b.add("u1", "i1", 10L, 1f);
                b.add("u2", "i2", 20L, 1f);
                try (var scope = org.lurm.memory.MemoryScope.root("x")) { System.out.println(b.build(scope).size()); }
                """;
        String quiet = child(dir, true, readOnly);
        assertTrue(quiet.lines().anyMatch("2"::equals), quiet);
        assertFalse(quiet.contains("jdk.incubator.vector."), "an incubator class was loaded by code that calls no kernel:\n" + quiet);
        // The check can fail: a backend's kernels do load incubator classes.
        String loud = child(dir, true, "try (var b = org.lurm.backend.Backends.create()) { System.out.println(b.name()); }");
        assertTrue(loud.contains("jdk.incubator.vector."), "the Vector API backend should load incubator classes:\n" + loud);
    }

    /** Runs {@code body} as the main method of a source-file program on the main classes, returning its output. */
    private static String child(Path dir, boolean withModule, String body) throws IOException, InterruptedException {
        Path src = Files.createTempFile(dir, "Child", ".java");
        String name = src.getFileName().toString().replace(".java", "");
        Files.writeString(src, "public class " + name + " { public static void main(String[] a) throws Exception {\n" + body + "\n} }\n");
        Path classes;
        try {
            classes = Path.of(Vectorization.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        if (withModule) cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "-Xlog:class+load=info"));
        cmd.addAll(List.of("-cp", classes.toString(), src.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }
}
