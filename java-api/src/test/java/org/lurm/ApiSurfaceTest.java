package org.lurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleReader;
import java.lang.module.ResolvedModule;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The public API is what docs/API.md lists, no more: the module's unqualified exports and the public top-level
 * types in them are compared with the page, and so are the public types of the class-path artifacts (arrow, spark)
 * and the exports of the other modules' descriptors. The tests run on the module path (checked first), so what an
 * application can reach is exactly what the descriptor says.
 */
class ApiSurfaceTest {
    /** About 125 public types before the module descriptors (issue 14); the API may have at most half. */
    private static final int MAX_PUBLIC_TYPES = 62;

    private static final Path ROOT = Path.of("..");

    @Test
    void theCoreModuleExportsExactlyTheListedTypes() throws IOException, ClassNotFoundException {
        Module module = Lurm.class.getModule();
        assertTrue(module.isNamed(), "the tests must run on the module path (org.lurm as a named module)");
        assertEquals("org.lurm", module.getName());
        ModuleDescriptor d = module.getDescriptor();
        Set<String> exported = d.exports().stream().filter(e -> !e.isQualified()).map(ModuleDescriptor.Exports::source).collect(Collectors.toCollection(TreeSet::new));

        Set<String> listed = new TreeSet<>();
        Set<String> listedPackages = new TreeSet<>();
        Matcher m = Pattern.compile("^\\| `([a-z.]+)` \\| `([A-Za-z0-9]+)` \\|", Pattern.MULTILINE).matcher(section("org.lurm"));
        while (m.find()) {
            listed.add(m.group(1) + "." + m.group(2));
            listedPackages.add(m.group(1));
        }
        assertEquals(listedPackages, exported, "docs/API.md's packages vs module-info's unqualified exports");

        ResolvedModule resolved = ModuleLayer.boot().configuration().findModule("org.lurm").orElseThrow();
        URL mainClasses = Lurm.class.getProtectionDomain().getCodeSource().getLocation();
        Set<String> actual = new TreeSet<>();
        try (ModuleReader r = resolved.reference().open(); Stream<String> names = r.list()) {
            for (String n : names.filter(x -> x.endsWith(".class") && !x.contains("$") && !x.endsWith("module-info.class")).toList()) {
                String cls = n.substring(0, n.length() - ".class".length()).replace('/', '.');
                if (!exported.contains(cls.substring(0, cls.lastIndexOf('.')))) continue;
                Class<?> c = Class.forName(cls, false, Lurm.class.getClassLoader());
                if (!mainClasses.equals(c.getProtectionDomain().getCodeSource().getLocation())) continue; // a test class patched in
                if (Modifier.isPublic(c.getModifiers())) actual.add(cls);
            }
        }
        assertEquals(listed, actual, "docs/API.md's types vs the public types of the exported packages");

        int others = (int) Pattern.compile("^\\| `lurm-[a-z]+` \\| `org\\.lurm", Pattern.MULTILINE).matcher(section("other")).results().count();
        assertTrue(actual.size() + others <= MAX_PUBLIC_TYPES, "public API: " + actual.size() + " + " + others + " types, at most " + MAX_PUBLIC_TYPES);
    }

    @Test
    void everyApiTypeStatesItsThreadSafety() throws IOException {
        Matcher m = Pattern.compile("^\\| `([a-z.]+)` \\| `([A-Za-z0-9]+)` \\|", Pattern.MULTILINE).matcher(section("org.lurm"));
        while (m.find()) {
            Path src = ROOT.resolve("java-api/src/main/java").resolve(m.group(1).replace('.', '/')).resolve(m.group(2) + ".java");
            String text = Files.readString(src);
            int decl = Pattern.compile("^public ", Pattern.MULTILINE).matcher(text).results().findFirst().orElseThrow().start();
            String doc = text.substring(0, decl).toLowerCase(java.util.Locale.ROOT);
            assertTrue(doc.contains("thread"), m.group(1) + "." + m.group(2) + ": the class javadoc must state its thread-safety");
        }
    }

    @Test
    void theClassPathArtifactsExposeExactlyTheListedTypes() throws IOException {
        Set<String> listed = new TreeSet<>();
        Matcher m = Pattern.compile("^\\| `lurm-[a-z]+` \\| `([A-Za-z0-9.]+)` \\|", Pattern.MULTILINE).matcher(section("other"));
        while (m.find()) listed.add(m.group(1));
        Set<String> actual = new TreeSet<>();
        Pattern decl = Pattern.compile("^public (?:final |abstract |sealed |non-sealed )*(?:class|interface|record|enum) ", Pattern.MULTILINE);
        for (String artifact : new String[] {"arrow", "spark"}) {
            Path src = ROOT.resolve(artifact).resolve("src/main/java");
            try (Stream<Path> files = Files.walk(src)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    String name = f.getFileName().toString();
                    if (name.equals("package-info.java") || !decl.matcher(Files.readString(f)).find()) continue;
                    actual.add(src.relativize(f).toString().replace('/', '.').replace(".java", ""));
                }
            }
        }
        assertEquals(listed, actual, "docs/API.md's class-path types vs the public types of lurm-arrow and lurm-spark");
    }

    @Test
    void theOtherModulesExportNothingUnqualified() throws IOException {
        for (String module : new String[] {"bindings", "eval", "cli"}) {
            String info = Files.readString(ROOT.resolve(module).resolve("src/main/java/module-info.java"));
            Matcher m = Pattern.compile("^\\s*exports\\s+([\\w.]+)\\s*(to\\s+[^;]+)?;", Pattern.MULTILINE).matcher(info);
            while (m.find()) assertTrue(m.group(2) != null, module + " exports " + m.group(1) + " to everyone; list it in docs/API.md or qualify it");
        }
    }

    private static String section(String name) throws IOException {
        String page = Files.readString(ROOT.resolve("docs/API.md"));
        int from = page.indexOf("<!-- api:" + name + " -->"), to = page.indexOf("<!-- /api:" + name + " -->");
        assertTrue(from >= 0 && to > from, "docs/API.md has the section api:" + name);
        return page.substring(from, to);
    }
}
