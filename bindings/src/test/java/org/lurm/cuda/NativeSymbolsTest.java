package org.lurm.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The library's symbol table, checked without a GPU: every native function the Java side binds (every
 * {@link CudaFn} declared by any class of this module, the SMEN ones included) is exported by the built
 * {@code liblurm_kernels.so}, and every function the C ABI headers declare is exported too. A kernel that was
 * declared but not compiled, or renamed on one side only, fails here in CI instead of on the GPU machine.
 */
class NativeSymbolsTest {
    static Path library() {
        return DeviceTests.nativeLibrary();
    }

    /** Initialises every class of org.lurm.cuda (and sub-packages) in the main output, so that their CudaFn constants register. */
    static int initialiseBindingClasses() throws IOException, URISyntaxException {
        Path root = Path.of(NativeLibrary.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        int n = 0;
        if (Files.isDirectory(root)) {
            try (Stream<Path> files = Files.walk(root.resolve("org/lurm/cuda"))) {
                for (Path f : files.filter(x -> x.toString().endsWith(".class")).toList()) {
                    String name = root.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
                    if (init(name)) n++;
                }
            }
        } else {
            try (java.util.jar.JarFile jar = new java.util.jar.JarFile(root.toFile())) {
                for (var e : java.util.Collections.list(jar.entries())) {
                    String en = e.getName();
                    if (en.startsWith("org/lurm/cuda/") && en.endsWith(".class") && init(en.replace('/', '.').replaceAll("\\.class$", ""))) n++;
                }
            }
        }
        return n;
    }

    private static boolean init(String className) {
        try {
            Class.forName(className, true, NativeSymbolsTest.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            // A class whose initialisation needs a device (JavaCPP) is skipped; its CudaFn constants, if any, are
            // not on its initialisation path.
            return false;
        }
    }

    @Test
    void everyFunctionJavaBindsIsExported() throws Exception {
        Path lib = library();
        int classes = initialiseBindingClasses();
        NativeLibrary nl = NativeLibrary.load();
        List<String> missing = new ArrayList<>();
        List<CudaFn> all = CudaFn.all();
        for (CudaFn f : all) if (!nl.hasSymbol(f.symbol())) missing.add(f.symbol());
        System.out.println("[cuda] " + all.size() + " bound functions from " + classes + " classes, all checked against " + lib);
        assertTrue(all.size() >= 30, "expected the runtime and kernel functions to be declared, found " + all.size());
        assertEquals(List.of(), missing, "functions bound in Java but missing from " + lib);
        // Binding builds the downcall handle with the declared signature: no exception for any of them.
        for (CudaFn f : all) nl.downcall(f.symbol(), f.descriptor());
    }

    @Test
    void everyFunctionTheHeadersDeclareIsExportedAndBound() throws Exception {
        library();
        initialiseBindingClasses();
        Path include = Path.of(System.getProperty("lurm.native.lib")).getParent().getParent().getParent().resolve("include");
        DeviceTests.requireBuilt(Files.isDirectory(include), () -> "headers not found at " + include);
        Pattern decl = Pattern.compile("^\\s*(?:int|const char \\*)\\s+(lurm_\\w+)\\s*\\(", Pattern.MULTILINE);
        TreeSet<String> declared = new TreeSet<>();
        try (Stream<Path> hs = Files.list(include)) {
            for (Path h : hs.filter(p -> p.toString().endsWith(".h")).toList()) {
                Matcher m = decl.matcher(Files.readString(h));
                while (m.find()) declared.add(m.group(1));
            }
        }
        assertTrue(declared.size() >= 30, "parsed only " + declared + " from " + include);
        NativeLibrary nl = NativeLibrary.load();
        List<String> notExported = declared.stream().filter(s -> !nl.hasSymbol(s)).toList();
        assertEquals(List.of(), notExported, "declared in the headers but not exported by the library");
        TreeSet<String> bound = new TreeSet<>();
        for (CudaFn f : CudaFn.all()) bound.add(f.symbol());
        // lurm_abi_version, lurm_device_count, lurm_error_string and lurm_device_info are bound by NativeLibrary itself.
        bound.addAll(List.of("lurm_abi_version", "lurm_device_count", "lurm_error_string", "lurm_device_info"));
        List<String> unbound = declared.stream().filter(s -> !bound.contains(s)).toList();
        assertEquals(List.of(), unbound, "declared in the headers but never bound in Java");
    }
}
