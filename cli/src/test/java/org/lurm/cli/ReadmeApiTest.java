package org.lurm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.LurmModel;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

/**
 * The README's "API" snippet, compiled against the exported API only (the module path) and run as printed, on
 * MovieLens 100K written the way the snippet expects (a gzip CSV with a header user,item,ts). The only edits are
 * the two file paths and a line that hands the results back for the checks.
 */
class ReadmeApiTest {
    @TempDir
    Path dir;

    static String snippet() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        Matcher m = Pattern.compile("## The API in [^\\n]*\\n.*?```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertTrue(m.find(), "the README has an API section with a java block");
        return m.group(1);
    }

    @Test
    void theReadmeSnippetRunsOnMovieLens100k() throws Exception {
        Path ml = TestData.dataset("movielens-100k");
        Path events = dir.resolve("events.csv.gz");
        int n = 0;
        try (BufferedReader r = Files.newBufferedReader(ml.resolve("u.data"));
             Writer w = new java.io.OutputStreamWriter(new GZIPOutputStream(Files.newOutputStream(events)), StandardCharsets.UTF_8)) {
            w.write("user,item,ts\n");
            for (String line; (line = r.readLine()) != null; n++) {
                String[] f = line.split("\t");
                w.write(f[0] + "," + f[1] + "," + f[3] + "\n");
            }
        }
        assertEquals(100_000, n);
        Path model = dir.resolve("model.lurm");
        String body = snippet().replace("Path.of(\"events.csv.gz\")", "Path.of(\"" + events + "\")").replace("Path.of(\"model.lurm\")", "Path.of(\"" + model + "\")");
        // Only API packages: the snippet is compiled against the module path below, where nothing else is readable.
        String src = """
                import java.nio.file.Path;
                import java.util.List;
                import org.lurm.Lurm;
                import org.lurm.LurmConfig;
                import org.lurm.LurmModel;
                import org.lurm.boi.BoiSet;
                import org.lurm.events.EventTable;
                import org.lurm.events.EventTableBuilder;
                import org.lurm.events.io.DelimitedEventReader;
                import org.lurm.events.io.DelimitedFormat;
                import org.lurm.memory.F32Array;
                import org.lurm.memory.MemoryScope;

                public class ReadmeSnippet {
                    public static Object[] run() throws Exception {
                        Object[] out = new Object[3];
                """ + body.replace("List<Lurm.AnchorPick> why = lurm.explain(model, rows, 0, 5);",
                        "List<Lurm.AnchorPick> why = lurm.explain(model, rows, 0, 5); out[0] = z.length(); out[1] = model.width() * (long) events.numUsers(); out[2] = why;") + """
                        return out;
                    }
                }
                """;
        Path srcDir = Files.createDirectories(dir.resolve("src"));
        Path file = srcDir.resolve("ReadmeSnippet.java");
        Files.writeString(file, src);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter diag = new StringWriter();
        // The tests run on the module path: the snippet sees org.lurm as a module, i.e. only its exported packages.
        String modulePath = System.getProperty("jdk.module.path");
        assertTrue(modulePath != null && modulePath.contains("java-api"), "the tests run on the module path: " + modulePath);
        boolean ok = javac.getTask(diag, null, null, List.of("-d", srcDir.toString(), "--module-path", modulePath, "--add-modules", "org.lurm", "-proc:none"), null,
                javac.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(file)).call();
        assertTrue(ok, "the README snippet compiles against the exported API only:\n" + diag);
        Object[] out;
        try (URLClassLoader cl = new URLClassLoader(new URL[] {srcDir.toUri().toURL()}, getClass().getClassLoader())) {
            out = (Object[]) cl.loadClass("ReadmeSnippet").getMethod("run").invoke(null);
        }
        assertEquals(out[1], out[0], "one vector of model.width() floats per user");
        assertTrue(out[2] instanceof List<?> picks && !picks.isEmpty(), "explain names what user 0's anchors picked: " + out[2]);
        try (MemoryScope s = MemoryScope.root("check")) {
            LurmModel m = LurmModel.load(model, s);
            assertTrue(m.items().size() > 1000, "the model knows MovieLens's items");
        }
    }
}
