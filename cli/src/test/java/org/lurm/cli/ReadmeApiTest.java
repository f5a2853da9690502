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
 * Issue 12, item 8: the README's "API" snippet, compiled and run as printed, on MovieLens 100K written the way the
 * snippet expects (a gzip CSV with a header user,item,ts). The only edits are the two file paths. Before the fix
 * it failed with "item has no interest" (aggregation was strict about items too rare to embed).
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
        String src = """
                import java.nio.file.Path;
                import org.lurm.BagOfInterests;
                import org.lurm.LurmModel;
                import org.lurm.backend.Backend;
                import org.lurm.backend.Backends;
                import org.lurm.backend.cpu.Parallel;
                import org.lurm.boi.BoiSet;
                import org.lurm.events.EventTable;
                import org.lurm.events.EventTableBuilder;
                import org.lurm.events.io.DelimitedEventReader;
                import org.lurm.events.io.DelimitedFormat;
                import org.lurm.memory.F32Array;
                import org.lurm.memory.MemoryScope;
                import org.lurm.smen.Smen;
                import org.lurm.SmenConfig;

                public class ReadmeSnippet {
                    public static void run() throws Exception {
                """ + body + """
                    }
                }
                """;
        Path srcDir = Files.createDirectories(dir.resolve("src"));
        Path file = srcDir.resolve("ReadmeSnippet.java");
        Files.writeString(file, src);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter diag = new StringWriter();
        boolean ok = javac.getTask(diag, null, null, List.of("-d", srcDir.toString(), "-cp", System.getProperty("java.class.path"), "-proc:none"), null,
                javac.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(file)).call();
        assertTrue(ok, "the README snippet compiles:\n" + diag);
        try (URLClassLoader cl = new URLClassLoader(new URL[] {srcDir.toUri().toURL()}, getClass().getClassLoader())) {
            cl.loadClass("ReadmeSnippet").getMethod("run").invoke(null);
        }
        try (MemoryScope s = MemoryScope.root("check")) {
            LurmModel m = LurmModel.load(model, s);
            assertTrue(m.items().size() > 1000, "the model knows MovieLens's items");
        }
    }
}
