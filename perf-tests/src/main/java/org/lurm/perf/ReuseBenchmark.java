package org.lurm.perf;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import de.siegmar.fastcsv.reader.CsvReader;
import de.siegmar.fastcsv.reader.CsvRecord;
import java.io.BufferedOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.ejml.concurrency.EjmlConcurrency;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_MT_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Parallel;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.events.io.DelimitedEventReader;
import org.lurm.events.io.DelimitedFormat;
import org.lurm.linalg.DenseOperator;
import org.lurm.linalg.HouseholderQr;
import org.lurm.linalg.JacobiSvd;
import org.lurm.linalg.RandomizedSvd;
import org.lurm.linalg.SvdResult;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.model.Json;

/**
 * "Reuse a well-kept library or keep our own": measures three hand-written components against a widely used
 * library on the same input in the same JVM run, and prints markdown tables (speed, agreement, dependency
 * weight). Not a JMH benchmark: each case is one large input, warmed up and then timed for a few repetitions
 * (median, min, max reported), which is enough at these sizes (each repetition takes tens of milliseconds to
 * seconds).
 *
 * <ol>
 *   <li>JSON: {@link Json} against Jackson databind ({@code ObjectMapper}, set strict: duplicate keys and
 *       trailing tokens are errors, as they are in ours), parse and write of a model-header-like object with
 *       1,000,000 item-id strings, String in and String out (how the model file uses it). Plus a table of strict
 *       edge cases (accepted or rejected by each).</li>
 *   <li>CSV: {@link DelimitedEventReader} against FastCSV and Apache Commons CSV, each reading a 2,000,000-line
 *       {@code user,item,ts} file into an {@link EventTableBuilder}; a plain newline count over the bytes read in
 *       1 MiB chunks is the floor. Agreement: the built event tables (events, dictionaries) are compared.</li>
 *   <li>Linear algebra: {@link JacobiSvd} and {@link RandomizedSvd} against EJML's SVD on 6000 x 128 and
 *       128 x 128, and {@link HouseholderQr} against EJML's Householder QR on a thin 200000 x 160 matrix.</li>
 * </ol>
 *
 * <p>Dependency weight is the size in bytes of each library's jars and its transitive runtime jars, as found on
 * the class path (so it is what this module's pom resolved); ours is the compressed size of the classes in the
 * lurm-java-api jar that the component consists of.
 *
 * <pre>
 * export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
 * ./mvnw -B -ntp -q -pl perf-tests compile
 * ./mvnw -B -ntp -q -pl perf-tests dependency:build-classpath -Dmdep.outputFile=/tmp/reuse/cp.txt
 * $JAVA_HOME/bin/java --add-modules jdk.incubator.vector -Xmx6g \
 *     -cp perf-tests/target/classes:$(cat /tmp/reuse/cp.txt) org.lurm.perf.ReuseBenchmark \
 *     [--only json,csv,svd,qr] [--reps 5] [--json-reps 21] [--dir /tmp/reuse] [--out /tmp/reuse/tables.md] [--qr-rows 200000]
 * </pre>
 * The CSV input is written to {@code <dir>/events.csv} (regenerated each run from a fixed seed); the tables go to
 * standard output and to {@code --out}.
 */
public final class ReuseBenchmark {
    private static final long SEED = 20_251_203L;
    private static volatile Object sink;
    private static final StringBuilder OUT = new StringBuilder();

    private ReuseBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String only = "json,csv,svd,qr";
        int reps = 5;
        Path dir = Path.of("/tmp/reuse");
        Path out = null;
        int qrRows = 200_000;
        int jsonReps = 21;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--only" -> only = args[++i];
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--qr-rows" -> qrRows = Integer.parseInt(args[++i]);
                case "--json-reps" -> jsonReps = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (out == null) out = dir.resolve("tables.md");
        Files.createDirectories(dir);
        Runtime rt = Runtime.getRuntime();
        line("# ReuseBenchmark");
        line(String.format(Locale.ROOT, "JVM %s (%s), %d available processors, max heap %d MiB, reps %d (JSON: %d; each repetition ~50 ms, so more of them), median, min and max over the timed repetitions; GC %s",
                System.getProperty("java.vm.version"), System.getProperty("java.vm.name"), rt.availableProcessors(), rt.maxMemory() >> 20, reps, jsonReps,
                java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream().map(java.lang.management.GarbageCollectorMXBean::getName).toList()));
        line("");
        long t0 = System.nanoTime();
        List<String> parts = List.of(only.split(","));
        if (parts.contains("json")) json(jsonReps);
        if (parts.contains("csv")) csv(reps, dir);
        if (parts.contains("svd")) svd(reps);
        if (parts.contains("qr")) qr(reps, qrRows);
        line(String.format(Locale.ROOT, "Total wall time of the run: %.1f s", (System.nanoTime() - t0) / 1e9));
        Files.writeString(out, OUT.toString(), StandardCharsets.UTF_8);
        System.out.println("tables written to " + out);
    }

    // ------------------------------------------------------------------------------------------ harness

    private static void line(String s) {
        System.out.println(s);
        System.out.flush();
        OUT.append(s).append('\n');
    }

    /** Times of one case, in nanoseconds, and the result of its last repetition. */
    record Timing(String name, long[] nanos, Object last) {
        double medianS() {
            long[] s = nanos.clone();
            Arrays.sort(s);
            int n = s.length;
            return (n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0) / 1e9;
        }

        double minS() {
            return Arrays.stream(nanos).min().orElseThrow() / 1e9;
        }

        double maxS() {
            return Arrays.stream(nanos).max().orElseThrow() / 1e9;
        }

        /** "median (min–max)" in milliseconds. */
        String ms() {
            return String.format(Locale.ROOT, "%.1f (%.1f–%.1f)", medianS() * 1e3, minS() * 1e3, maxS() * 1e3);
        }
    }

    interface Body<T> {
        Object run(T prepared) throws Exception;
    }

    /**
     * Runs {@code warmups} untimed and {@code reps} timed repetitions; {@code prepare} (untimed) makes each
     * repetition's input, e.g. a fresh copy for an in-place algorithm. A GC runs before each repetition.
     */
    static <T> Timing measure(String name, int warmups, int reps, Supplier<T> prepare, Body<T> body) throws Exception {
        long[] nanos = new long[reps];
        Object last = null;
        for (int r = -warmups; r < reps; r++) {
            T in = prepare.get();
            System.gc();
            long t = System.nanoTime();
            Object res = body.run(in);
            long dt = System.nanoTime() - t;
            sink = res;
            if (r >= 0) {
                nanos[r] = dt;
                last = res;
            }
        }
        sink = null;
        Timing tm = new Timing(name, nanos, last);
        if (reps > 0) System.out.printf(Locale.ROOT, "  [%s] %s ms%n", name, tm.ms());
        return tm;
    }

    static Timing measure(String name, int warmups, int reps, Body<Void> body) throws Exception {
        return measure(name, warmups, reps, () -> null, body);
    }

    /** One case of {@link #interleaved}. */
    record Case<T>(String name, Supplier<T> prepare, Body<T> body) {
        static Case<Void> of(String name, Body<Void> body) {
            return new Case<>(name, () -> null, body);
        }

        Object run() throws Exception {
            T in = prepare.get();
            System.gc();
            long t = System.nanoTime();
            Object res = body.run(in);
            lastNanos = System.nanoTime() - t;
            return res;
        }

        private static long lastNanos;
    }

    /**
     * Like {@link #measure}, but the cases take turns: each case gets its warm-ups, then every round runs each case
     * once, in an order rotated from round to round, so that load from other jobs on a shared machine falls on all
     * cases alike instead of on whichever ran during it.
     */
    static Timing[] interleaved(int warmups, int reps, Case<?>... cases) throws Exception {
        for (Case<?> c : cases) for (int w = 0; w < warmups; w++) sink = c.run();
        long[][] nanos = new long[cases.length][reps];
        Object[] last = new Object[cases.length];
        for (int r = 0; r < reps; r++) {
            for (int k = 0; k < cases.length; k++) {
                int c = (k + r) % cases.length;
                Object res = cases[c].run();
                nanos[c][r] = Case.lastNanos;
                sink = res;
                last[c] = res;
                sink = null;
            }
        }
        Timing[] out = new Timing[cases.length];
        for (int c = 0; c < cases.length; c++) {
            out[c] = new Timing(cases[c].name(), nanos[c], last[c]);
            System.out.printf(Locale.ROOT, "  [%s] %s ms%n", cases[c].name(), out[c].ms());
        }
        return out;
    }

    // ------------------------------------------------------------------------------ dependency weights

    /** Bytes of the class-path jars whose path contains one of the fragments, with their names. */
    static String jarWeight(String... fragments) {
        long total = 0;
        List<String> names = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String p = e.replace('\\', '/');
            for (String f : fragments) {
                if (p.contains(f) && p.endsWith(".jar")) {
                    long len = new File(e).length();
                    total += len;
                    names.add(p.substring(p.lastIndexOf('/') + 1) + " " + String.format(Locale.ROOT, "%,d", len));
                    break;
                }
            }
        }
        if (names.isEmpty()) return "not on the class path";
        return String.format(Locale.ROOT, "%,d (%s)", total, String.join(" + ", names));
    }

    /** Compressed bytes, in the lurm-java-api jar, of the entries whose names start with one of the prefixes. */
    static String ourWeight(String... prefixes) {
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String p = e.replace('\\', '/');
            String name = p.substring(p.lastIndexOf('/') + 1);
            if (!(name.startsWith("lurm-java-api") && name.endsWith(".jar"))) continue;
            long compressed = 0, raw = 0;
            int classes = 0;
            try (ZipFile z = new ZipFile(e)) {
                for (Iterator<? extends ZipEntry> it = z.entries().asIterator(); it.hasNext(); ) {
                    ZipEntry ze = it.next();
                    for (String pre : prefixes) {
                        if (ze.getName().startsWith(pre) && ze.getName().endsWith(".class")) {
                            compressed += ze.getCompressedSize();
                            raw += ze.getSize();
                            classes++;
                            break;
                        }
                    }
                }
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            return String.format(Locale.ROOT, "%,d compressed (%,d raw, %d classes) inside lurm-java-api", compressed, raw, classes);
        }
        return "lurm-java-api jar not on the class path";
    }

    // -------------------------------------------------------------------------------------------- JSON

    /** A model-header-like object: format, config, stats, a million item ids, a few number arrays. */
    static Map<String, Object> header(int items, long seed) {
        Random r = new Random(seed);
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("format", "lurm-model");
        h.put("version", 3L);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("dims", 64L);
        config.put("interests", 1000L);
        config.put("learningRate", 0.05);
        config.put("regularization", 1.0E-4);
        config.put("seed", 6_000_000_000L);
        config.put("normalize", true);
        config.put("backend", null);
        Map<String, Object> smen = new LinkedHashMap<>();
        smen.put("layers", 2L);
        smen.put("heads", 4L);
        smen.put("dropout", 0.1);
        smen.put("windows", new ArrayList<>(List.of(1L, 7L, 30L, 365L)));
        config.put("smen", smen);
        h.put("config", config);
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("users", 2_345_678L);
        stats.put("events", 123_456_789_012L);
        stats.put("timeRange", new ArrayList<>(List.of(1_600_000_000L, 1_700_000_000L)));
        stats.put("density", 3.7e-6);
        stats.put("big", new BigInteger("123456789012345678901234567890"));
        h.put("stats", stats);
        String[] odd = {"item \"quoted\"", "back\\slash", "tab\there", "line\nbreak", "ünïcödé-€", "emoji-😀", "ctl-\u0001", "slash/ok"};
        List<Object> ids = new ArrayList<>(items);
        for (int i = 0; i < items; i++) {
            if (i % 10_000 == 0) ids.add(odd[(i / 10_000) % odd.length] + i);
            else ids.add("i" + (10_000_000 + r.nextInt(90_000_000)));
        }
        h.put("items", ids);
        h.put("types", new ArrayList<>(List.of("", "click", "cart", "buy")));
        List<Object> norms = new ArrayList<>();
        for (int i = 0; i < 1000; i++) norms.add(r.nextGaussian() * Math.pow(10, r.nextInt(7) - 3));
        h.put("itemNormSample", norms);
        return h;
    }

    /** Deep equality in which every integral number compares as an integer (Jackson reads small ones as Integer). */
    static boolean sameJson(Object a, Object b) {
        if (a == null || b == null) return a == b;
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            if (ma.size() != mb.size()) return false;
            Iterator<? extends Map.Entry<?, ?>> ia = ma.entrySet().iterator(), ib = mb.entrySet().iterator();
            while (ia.hasNext()) {
                Map.Entry<?, ?> ea = ia.next(), eb = ib.next();
                if (!ea.getKey().equals(eb.getKey()) || !sameJson(ea.getValue(), eb.getValue())) return false;
            }
            return true;
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if (la.size() != lb.size()) return false;
            for (int i = 0; i < la.size(); i++) if (!sameJson(la.get(i), lb.get(i))) return false;
            return true;
        }
        if (integral(a) && integral(b)) return new BigInteger(a.toString()).equals(new BigInteger(b.toString()));
        if (a instanceof Double da && b instanceof Double db) return Double.doubleToLongBits(da) == Double.doubleToLongBits(db);
        return a.equals(b);
    }

    private static boolean integral(Object o) {
        return o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte || o instanceof BigInteger;
    }

    static String firstDifference(String a, String b) {
        if (a.equals(b)) return "identical text";
        int i = 0;
        while (i < a.length() && i < b.length() && a.charAt(i) == b.charAt(i)) i++;
        int from = Math.max(0, i - 20);
        return "texts differ at char " + i + ": ours …" + visible(a.substring(from, Math.min(a.length(), i + 20)))
                + "… Jackson …" + visible(b.substring(from, Math.min(b.length(), i + 20))) + "…";
    }

    private static String visible(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c == '|' || Character.isSurrogate(c)) sb.append(String.format(Locale.ROOT, "U+%04X", (int) c));
            else sb.append(c);
        }
        return sb.toString();
    }

    static void json(int reps) throws Exception {
        System.out.println("== JSON");
        int items = 1_000_000;
        Map<String, Object> h = header(items, SEED);
        ObjectMapper jackson = JsonMapper.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .build();
        String oursText = Json.write(h);
        String jacksonText = jackson.writeValueAsString(h);
        int chars = oursText.length();
        long bytes = oursText.getBytes(StandardCharsets.UTF_8).length;

        ObjectMapper lenient = new ObjectMapper();
        Timing[] w = interleaved(3, reps, Case.of("ours write", v -> Json.write(h)), Case.of("jackson write", v -> jackson.writeValueAsString(h)));
        Timing ourWrite = w[0], jWrite = w[1];
        w = null;
        Timing[] p = interleaved(3, reps, Case.of("ours parse", v -> Json.parseObject(oursText)), Case.of("jackson parse", v -> jackson.readValue(oursText, Object.class)),
                Case.of("jackson parse, default mapper", v -> lenient.readValue(oursText, Object.class)));
        Timing ourParse = p[0], jParse = p[1], jParseDefault = p[2];

        Object ourTree = ourParse.last(), jTree = jParse.last();
        boolean parseAgree = sameJson(ourTree, jTree);
        boolean ourRoundTrip = sameJson(h, ourTree);
        boolean crossA = sameJson(h, Json.parse(jacksonText));
        boolean crossB = sameJson(h, jackson.readValue(oursText, Object.class));
        String textCmp = firstDifference(oursText, jacksonText);

        String input = String.format(Locale.ROOT, "object with %,d item-id strings + nested config/stats + 1,000 doubles: %,d chars, %.1f MB UTF-8", items, chars, bytes / 1e6);
        line("## 1. JSON: org.lurm.model.Json vs Jackson databind");
        line("");
        line("Input: " + input + " (fixed seed " + SEED + "; 1 in 10,000 ids has quotes, backslash, tab/newline/U+0001, non-ASCII or an emoji). "
                + "String in, String out for both (as the model file and CLI use it). Jackson: `JsonMapper` with STRICT_DUPLICATE_DETECTION and FAIL_ON_TRAILING_TOKENS, reading into `Object` (LinkedHashMap/ArrayList), "
                + reps + " timed rounds after 3 warm-ups; in each round the cases take turns (rotated order).");
        line("");
        line("| implementation | operation | median ms (min–max) | throughput MB/s (median) | ids/s (median) |");
        line("|---|---|---:|---:|---:|");
        for (Object[] row : new Object[][] {{"ours (Json)", "write", ourWrite}, {"Jackson 2.22.3", "write", jWrite}, {"ours (Json)", "parse", ourParse}, {"Jackson 2.22.3", "parse", jParse},
                {"Jackson 2.22.3, default `new ObjectMapper()` (no duplicate-key or trailing-token check; not used for agreement)", "parse", jParseDefault}}) {
            Timing t = (Timing) row[2];
            line(String.format(Locale.ROOT, "| %s | %s | %s | %.0f | %.1f M |", row[0], row[1], t.ms(), bytes / 1e6 / t.medianS(), items / 1e6 / t.medianS()));
        }
        line("");
        line("| agreement check | result |");
        line("|---|---|");
        line("| ours parse == Jackson parse (same tree; integers compared as integers, doubles bitwise) | " + parseAgree + " |");
        line("| ours: parse(write(x)) == x | " + ourRoundTrip + " |");
        line("| ours parses Jackson's text to x | " + crossA + " |");
        line("| Jackson parses our text to x | " + crossB + " |");
        line("| written text, ours vs Jackson | " + textCmp + " |");
        line("| speed ratio write (Jackson / ours, median) | " + String.format(Locale.ROOT, "%.2f", jWrite.medianS() / ourWrite.medianS()) + " |");
        line("| speed ratio parse (Jackson / ours, median) | " + String.format(Locale.ROOT, "%.2f", jParse.medianS() / ourParse.medianS()) + " |");
        line("");
        jsonEdgeCases(jackson);
        line("| dependency | bytes |");
        line("|---|---|");
        line("| ours | " + ourWeight("org/lurm/model/Json") + " |");
        line("| Jackson databind + core + annotations | " + jarWeight("/com/fasterxml/jackson/core/jackson-databind/", "/com/fasterxml/jackson/core/jackson-core/", "/com/fasterxml/jackson/core/jackson-annotations/") + " |");
        line("");
    }

    static void jsonEdgeCases(ObjectMapper jackson) {
        String deep = "[".repeat(600) + "]".repeat(600);
        String[][] cases = {
                {"duplicate key", "{\"a\":1,\"a\":2}"},
                {"trailing comma", "[1,2,]"},
                {"leading zero", "[01]"},
                {"number beyond double (1e400)", "[1e400]"},
                {"NaN literal", "[NaN]"},
                {"single quotes", "{'a':1}"},
                {"comment", "[1 /* c */]"},
                {"trailing garbage", "{\"a\":1} x"},
                {"raw control char in string", "[\"a\u0001b\"]"},
                {"escaped lone surrogate", "[\"\\ud800\"]"},
                {"30-digit integer", "[123456789012345678901234567890]"},
                {"600 levels of nesting", deep},
                {"byte-order mark first", "\uFEFF[1]"},
                {"top-level scalar", "42"},
        };
        line("Strictness on edge cases (accepts / rejects), same strict Jackson mapper:");
        line("");
        line("| input | ours | Jackson | same? |");
        line("|---|---|---|---|");
        for (String[] c : cases) {
            String o, j;
            try {
                Object v = Json.parse(c[1]);
                o = "accepts" + describeValue(v);
            } catch (RuntimeException e) {
                o = "rejects";
            }
            try {
                Object v = jackson.readValue(c[1], Object.class);
                j = "accepts" + describeValue(v);
            } catch (Exception e) {
                j = "rejects";
            }
            line("| " + c[0] + " | " + o + " | " + j + " | " + (o.split(" ")[0].equals(j.split(" ")[0]) ? "yes" : "**no**") + " |");
        }
        line("");
    }

    private static String describeValue(Object v) {
        if (v instanceof List<?> l && l.size() == 1 && !(l.get(0) instanceof List)) {
            Object x = l.get(0);
            return " (" + (x == null ? "null" : x.getClass().getSimpleName() + " " + visible(String.valueOf(x))) + ")";
        }
        return "";
    }

    // --------------------------------------------------------------------------------------------- CSV

    static long writeCsv(Path file, int lines, long seed) throws IOException {
        Random r = new Random(seed);
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            os.write("user,item,ts\n".getBytes(StandardCharsets.US_ASCII));
            StringBuilder sb = new StringBuilder(64);
            for (int i = 0; i < lines; i++) {
                int user = 100_000 + r.nextInt(200_000);
                double p = r.nextDouble();
                int item = 10_000 + (int) (89_999 * p * p); // skewed popularity
                long ts = 1_600_000_000L + r.nextInt(31_536_000);
                sb.setLength(0);
                sb.append('u').append(user).append(",i").append(item).append(',').append(ts).append('\n');
                for (int k = 0; k < sb.length(); k++) os.write(sb.charAt(k));
            }
        }
        return Files.size(file);
    }

    static long countNewlines(Path file) throws IOException {
        byte[] buf = new byte[1 << 20];
        long count = 0;
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) if (buf[i] == '\n') count++;
            }
        }
        return count;
    }

    static EventTableBuilder fastCsv(Path file) throws IOException {
        EventTableBuilder b = new EventTableBuilder();
        try (CsvReader<CsvRecord> csv = CsvReader.builder().ofCsvRecord(file)) {
            Iterator<CsvRecord> it = csv.iterator();
            List<String> head = it.next().getFields();
            int u = head.indexOf("user"), i = head.indexOf("item"), t = head.indexOf("ts");
            while (it.hasNext()) {
                CsvRecord rec = it.next();
                b.add(rec.getField(u), rec.getField(i), Long.parseLong(rec.getField(t)), 1f);
            }
        }
        return b;
    }

    static EventTableBuilder commonsCsv(Path file) throws IOException {
        EventTableBuilder b = new EventTableBuilder();
        CSVFormat fmt = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get();
        try (Reader rd = Files.newBufferedReader(file, StandardCharsets.UTF_8); CSVParser p = CSVParser.parse(rd, fmt)) {
            Map<String, Integer> head = p.getHeaderMap();
            int u = head.get("user"), i = head.get("item"), t = head.get("ts");
            for (CSVRecord rec : p) b.add(rec.get(u), rec.get(i), Long.parseLong(rec.get(t)), 1f);
        }
        return b;
    }

    /** "same" or what differs between two builders' events and dictionaries. */
    static String compareBuilders(EventTableBuilder a, EventTableBuilder b) {
        if (a.size() != b.size()) return "event counts differ: " + a.size() + " vs " + b.size();
        if (!a.users().ids().equals(b.users().ids())) return "user dictionaries differ";
        if (!a.items().ids().equals(b.items().ids())) return "item dictionaries differ";
        try (MemoryScope s = MemoryScope.root("reuse-compare")) {
            EventTable ta = a.build(s), tb = b.build(s);
            if (!Arrays.equals(ta.userColumn().toArray(), tb.userColumn().toArray())) return "user columns differ";
            if (!Arrays.equals(ta.itemColumn().toArray(), tb.itemColumn().toArray())) return "item columns differ";
            if (!Arrays.equals(ta.timestampColumn().toArray(), tb.timestampColumn().toArray())) return "timestamp columns differ";
            if (!Arrays.equals(ta.weightColumn().toArray(), tb.weightColumn().toArray())) return "weight columns differ";
            if (!Arrays.equals(ta.typeColumn().toArray(), tb.typeColumn().toArray())) return "type columns differ";
        }
        return String.format(Locale.ROOT, "same %,d events, %,d users, %,d items, identical columns", a.size(), a.users().size(), a.items().size());
    }

    static void csv(int reps, Path dir) throws Exception {
        System.out.println("== CSV");
        int lines = 2_000_000;
        Path file = dir.resolve("events.csv");
        long bytes = writeCsv(file, lines, SEED);
        DelimitedEventReader reader = DelimitedEventReader.builder().format(DelimitedFormat.csv()).user("user").item("item").timestamp("ts").build();

        Timing[] t4 = interleaved(2, reps,
                Case.of("byte scan", v -> countNewlines(file)),
                Case.of("ours", v -> {
                    EventTableBuilder b = new EventTableBuilder();
                    reader.read(file, b);
                    return b;
                }),
                Case.of("fastcsv", v -> fastCsv(file)),
                Case.of("commons-csv", v -> commonsCsv(file)));
        Timing scan = t4[0], ours = t4[1], fast = t4[2], commons = t4[3];

        long newlines = (Long) scan.last();
        EventTableBuilder o = (EventTableBuilder) ours.last();
        line("## 2. CSV: DelimitedEventReader vs FastCSV vs Apache Commons CSV");
        line("");
        line(String.format(Locale.ROOT, "Input: %s, header `user,item,ts` + %,d lines (fixed seed %d; users u100000–u299999, items i10000–i99999 with skewed popularity, Unix seconds), %,d bytes (%.1f MB), uncompressed, in the page cache after writing. "
                + "Each library run tokenizes the file into records and calls `EventTableBuilder.add(user, item, Long.parseLong(ts), 1f)`; ours is `DelimitedEventReader.read(path, builder)`. 2 warm-ups each, then the four cases take turns in each of the timed rounds.",
                file, lines, SEED, bytes, bytes / 1e6));
        line("");
        line("| implementation | events | median ms (min–max) | M events/s | MB/s | time / byte scan | agreement with ours |");
        line("|---|---:|---:|---:|---:|---:|---|");
        line(String.format(Locale.ROOT, "| byte scan (count '\\n' in 1 MiB byte[] chunks) | %,d newlines | %s | %.1f | %.0f | 1.00 | %s |", newlines, scan.ms(),
                lines / 1e6 / scan.medianS(), bytes / 1e6 / scan.medianS(), newlines == lines + 1 ? "header + " + lines + " lines, as written" : "UNEXPECTED count"));
        for (Object[] row : new Object[][] {{"ours (DelimitedEventReader)", ours}, {"FastCSV 4.0.0 + builder.add", fast}, {"Commons CSV 1.14.1 + builder.add", commons}}) {
            Timing t = (Timing) row[1];
            EventTableBuilder b = (EventTableBuilder) t.last();
            String agree = b == o ? "—" : compareBuilders(o, b);
            line(String.format(Locale.ROOT, "| %s | %,d | %s | %.2f | %.0f | %.1f | %s |", row[0], b.size(), t.ms(), b.size() / 1e6 / t.medianS(), bytes / 1e6 / t.medianS(),
                    t.medianS() / scan.medianS(), agree));
        }
        line("");
        line("| dependency | bytes |");
        line("|---|---|");
        line("| ours (org.lurm.events.io, without MovieLens) | " + ourWeight("org/lurm/events/io/ByteIdCache", "org/lurm/events/io/ByteLines", "org/lurm/events/io/Column",
                "org/lurm/events/io/Delimited", "org/lurm/events/io/FieldParser", "org/lurm/events/io/Inputs", "org/lurm/events/io/MalformedInput",
                "org/lurm/events/io/ReadReport", "org/lurm/events/io/RecordTokenizer", "org/lurm/events/io/ReportCounter", "org/lurm/events/io/StrictGzip",
                "org/lurm/events/io/TimestampFormat") + " |");
        line("| FastCSV (no transitive runtime deps) | " + jarWeight("/de/siegmar/fastcsv/") + " |");
        line("| Commons CSV + commons-io + commons-codec | " + jarWeight("/org/apache/commons/commons-csv/", "/commons-io/commons-io/", "/commons-codec/commons-codec/") + " |");
        line("");
    }

    // ------------------------------------------------------------------------------------- linear algebra

    /** m x n with column j scaled by 0.95^j: singular values decay about 700-fold, none tiny. */
    static double[][] svdMatrix(int m, int n, long seed) {
        Random r = new Random(seed);
        double[][] a = new double[m][n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) a[i][j] = r.nextGaussian() * Math.pow(0.95, j);
        return a;
    }

    record Svd(double[] s, double[][] u, double[][] v) {
    }

    static Svd ejmlSvd(DMatrixRMaj a) {
        SingularValueDecomposition_F64<DMatrixRMaj> d = DecompositionFactory_DDRM.svd(a.numRows, a.numCols, true, true, true);
        if (!d.decompose(a)) throw new ArithmeticException("EJML SVD failed");
        DMatrixRMaj u = d.getU(null, false), v = d.getV(null, false);
        double[] s = d.getSingularValues();
        int k = d.numberOfSingularValues();
        // EJML does not order the singular values: sort descending, with the columns of U and V.
        Integer[] order = new Integer[k];
        for (int j = 0; j < k; j++) order[j] = j;
        Arrays.sort(order, (x, y) -> Double.compare(s[y], s[x]));
        double[] so = new double[k];
        double[][] uo = new double[u.numRows][k], vo = new double[v.numRows][k];
        for (int jj = 0; jj < k; jj++) {
            int j = order[jj];
            so[jj] = s[j];
            for (int i = 0; i < u.numRows; i++) uo[i][jj] = u.unsafe_get(i, j);
            for (int i = 0; i < v.numRows; i++) vo[i][jj] = v.unsafe_get(i, j);
        }
        return new Svd(so, uo, vo);
    }

    static double frob(double[][] a) {
        double s = 0;
        for (double[] r : a) for (double x : r) s += x * x;
        return Math.sqrt(s);
    }

    /** ||A - U_k diag(s_k) V_k^T||_F / ||A||_F over the first k components. */
    static double reconError(double[][] a, double[][] u, double[] s, double[][] v, int k) {
        int m = a.length, n = a[0].length;
        double err = 0;
        double[] row = new double[k];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) row[j] = u[i][j] * s[j];
            for (int c = 0; c < n; c++) {
                double x = 0;
                for (int j = 0; j < k; j++) x += row[j] * v[c][j];
                double d = a[i][c] - x;
                err += d * d;
            }
        }
        return Math.sqrt(err) / frob(a);
    }

    /** max |U^T U - I| over the first k columns of a row-major m x k (or wider) matrix. */
    static double orthoError(double[][] u, int k) {
        double[][] g = new double[k][k];
        for (double[] r : u) {
            for (int p = 0; p < k; p++) {
                double rp = r[p];
                if (rp == 0) continue;
                double[] gp = g[p];
                for (int q = p; q < k; q++) gp[q] += rp * r[q];
            }
        }
        double worst = 0;
        for (int p = 0; p < k; p++) for (int q = p; q < k; q++) worst = Math.max(worst, Math.abs(g[p][q] - (p == q ? 1 : 0)));
        return worst;
    }

    static double maxRelDiff(double[] ref, double[] x, int k) {
        double worst = 0;
        for (int j = 0; j < k; j++) worst = Math.max(worst, Math.abs(x[j] - ref[j]) / Math.abs(ref[j]));
        return worst;
    }

    static void svd(int reps) throws Exception {
        System.out.println("== SVD");
        line("## 3a. SVD: JacobiSvd (and RandomizedSvd) vs EJML SVD");
        line("");
        line("Input: dense double matrices, A[i][j] = N(0,1)·0.95^j (fixed seed), so the singular values decay ~700-fold. "
                + "EJML: `DecompositionFactory_DDRM.svd(m, n, needU, needV, compact)` (implicit-QR SVD, single thread) + getU/getV, values sorted afterwards (outside the timing); "
                + "ours: `JacobiSvd.decompose(a)` (one-sided Jacobi, single thread). Both return U, s, V. 2 warm-ups (the 128 x 128 case: 5), then ours and EJML take turns in each timed round. Reconstruction error = ||A − U·diag(s)·Vᵀ||_F / ||A||_F; "
                + "orthogonality = max |UᵀU − I|.");
        line("");
        line("| implementation | input | median ms (min–max) | max rel. diff of singular values vs EJML | reconstruction error | orthogonality of U | extra |");
        line("|---|---|---:|---:|---:|---:|---|");
        for (int[] shape : new int[][] {{6000, 128}, {128, 128}}) {
            int m = shape[0], n = shape[1];
            double[][] a = svdMatrix(m, n, SEED + m);
            DMatrixRMaj am = new DMatrixRMaj(a);
            int warm = m == n ? 5 : 2;
            boolean copy = DecompositionFactory_DDRM.svd(m, n, true, true, true).inputModified();
            Timing[] t2 = interleaved(warm, reps, Case.of("jacobi " + m + "x" + n, v -> JacobiSvd.decompose(a)),
                    new Case<DMatrixRMaj>("ejml svd " + m + "x" + n, () -> copy ? am.copy() : am, ReuseBenchmark::ejmlSvd));
            Timing ours = t2[0], ej = t2[1];
            JacobiSvd.Result jr = (JacobiSvd.Result) ours.last();
            Svd er = (Svd) ej.last();
            String input = m + " x " + n;
            line(String.format(Locale.ROOT, "| EJML 0.46.1 | %s | %s | (reference) | %.2e | %.2e | s_max %.4g, s_min %.4g |", input, ej.ms(),
                    reconError(a, er.u(), er.s(), er.v(), n), orthoError(er.u(), n), er.s()[0], er.s()[n - 1]));
            line(String.format(Locale.ROOT, "| ours JacobiSvd | %s | %s | %.2e | %.2e | %.2e | %d sweeps; time ratio ours/EJML %.2f |", input, ours.ms(),
                    maxRelDiff(er.s(), jr.s(), n), reconError(a, jr.u(), jr.s(), jr.v(), n), orthoError(jr.u(), n), jr.sweeps(), ours.medianS() / ej.medianS()));
            if (m == 6000) randomized(reps, a, er);
        }
        line("");
        line("| dependency | bytes |");
        line("|---|---|");
        line("| ours JacobiSvd + HouseholderQr | " + ourWeight("org/lurm/linalg/JacobiSvd", "org/lurm/linalg/HouseholderQr") + " |");
        line("| ours RandomizedSvd + SvdResult + DenseOperator + LinearOperator + Workers (needs a Backend) | "
                + ourWeight("org/lurm/linalg/RandomizedSvd", "org/lurm/linalg/SvdResult", "org/lurm/linalg/DenseOperator", "org/lurm/linalg/LinearOperator", "org/lurm/linalg/Workers") + " |");
        line("| EJML ejml-ddense + ejml-core | " + jarWeight("/org/ejml/ejml-ddense/", "/org/ejml/ejml-core/") + " |");
        line("");
    }

    /** RandomizedSvd (float32 products, k = 16, default options) on the 6000 x 128 matrix; EJML's full SVD as reference. */
    static void randomized(int reps, double[][] a, Svd ref) throws Exception {
        int m = a.length, n = a[0].length, k = 16;
        try (Backend backend = Backends.select("cpu").create(2); MemoryScope scope = MemoryScope.root("reuse-rsvd")) {
            F32Array af = scope.allocateF32((long) m * n);
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) af.set((long) i * n + j, (float) a[i][j]);
            DenseOperator op = new DenseOperator(backend, af, m, n);
            RandomizedSvd rs = new RandomizedSvd(backend);
            Timing t = measure("randomized k=16", 3, reps, v -> {
                try (MemoryScope s = scope.child("rep")) {
                    return rs.compute(op, k, s).singularValues();
                }
            });
            double[] s;
            double[][] u = new double[m][k], vv = new double[n][k];
            try (MemoryScope s2 = scope.child("check")) {
                SvdResult r = rs.compute(op, k, s2);
                s = r.singularValues();
                for (int i = 0; i < m; i++) for (int j = 0; j < k; j++) u[i][j] = r.u().get((long) i * k + j);
                for (int i = 0; i < n; i++) for (int j = 0; j < k; j++) vv[i][j] = r.v().get((long) i * k + j);
            }
            double tail = 0;
            for (int j = k; j < ref.s().length; j++) tail += ref.s()[j] * ref.s()[j];
            double best = Math.sqrt(tail) / frob(a);
            line(String.format(Locale.ROOT, "| ours RandomizedSvd, k = %d (float32 products, oversampling 10, 2 power iterations, cpu backend %d threads) | %d x %d | %s | %.2e (top %d) | %.4f (optimal rank-%d: %.4f) | %.2e | vs EJML full SVD; time ratio ours/EJML-full n/a (different problem) |",
                    k, backend.threads(), m, n, t.ms(), maxRelDiff(ref.s(), s, k), k, reconError(a, u, s, vv, k), k, best, orthoError(u, k)));
        }
    }

    static void qr(int reps, int m) throws Exception {
        System.out.println("== QR");
        int n = 160;
        Random r = new Random(SEED + 7);
        double[][] cols = new double[n][m];
        DMatrixRMaj am = new DMatrixRMaj(m, n);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double x = r.nextGaussian();
                cols[j][i] = x;
                am.data[i * n + j] = x;
            }
        }
        // Warm-up on a tenth of the rows (the same code paths, JIT-compiled), then the timed runs at full size:
        // one full-size run takes seconds, so full-size warm-ups would double the run time.
        int mw = Math.max(n, m / 10);
        double[][] colsW = new double[n][];
        for (int j = 0; j < n; j++) colsW[j] = Arrays.copyOf(cols[j], mw);
        DMatrixRMaj amW = new DMatrixRMaj(mw, n);
        System.arraycopy(am.data, 0, amW.data, 0, mw * n);
        Supplier<double[][]> copyW = () -> {
            double[][] c = new double[n][];
            for (int j = 0; j < n; j++) c[j] = colsW[j].clone();
            return c;
        };
        Supplier<double[][]> copy = () -> {
            double[][] c = new double[n][];
            for (int j = 0; j < n; j++) c[j] = cols[j].clone();
            return c;
        };
        EjmlConcurrency.setMaxThreads(2);
        List<String> table = new ArrayList<>();
        try (Parallel par = new Parallel(2)) {
            // warm-ups
            measure("warm ejml 1t", 2, 0, v -> ejmlQr(amW, false));
            measure("warm ours 1t", 2, 0, copyW, c -> HouseholderQr.factorInPlace(c, mw, null));
            measure("warm ejml mt", 2, 0, v -> ejmlQr(amW, true));
            measure("warm ours 2t", 2, 0, copyW, c -> HouseholderQr.factorInPlace(c, mw, par));
            double[][] rRef = null;
            Object[][] variants = {
                    {"EJML 0.46.1 QRDecompositionHouseholderColumn_DDRM, 1 thread", "ejml", false},
                    {"ours HouseholderQr, 1 thread (par = null)", "ours", false},
                    {"EJML 0.46.1 QRDecompositionHouseholderColumn_MT_DDRM, EjmlConcurrency.setMaxThreads(2)", "ejml", true},
                    {"ours HouseholderQr, 2 threads (Parallel(2))", "ours", true},
            };
            for (Object[] v : variants) {
                boolean ours = v[1].equals("ours"), two = (Boolean) v[2];
                Timing t = ours
                        ? measure("ours qr " + (two ? "2t" : "1t"), 0, reps, copy, c -> new Object[] {c, HouseholderQr.factorInPlace(c, m, two ? par : null)})
                        : measure("ejml qr " + (two ? "mt" : "1t"), 0, reps, x -> ejmlQr(am, two));
                Object[] res = (Object[]) t.last();
                double[][] q; // column-major n x m
                double[][] rr;
                if (ours) {
                    q = (double[][]) res[0];
                    rr = (double[][]) res[1];
                } else {
                    DMatrixRMaj qm = (DMatrixRMaj) res[0], rm = (DMatrixRMaj) res[1];
                    q = new double[n][m];
                    for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) q[j][i] = qm.data[i * n + j];
                    rr = new double[n][n];
                    for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) rr[i][j] = rm.unsafe_get(i, j);
                }
                res[0] = null;
                if (rRef == null) rRef = rr;
                table.add(String.format(Locale.ROOT, "| %s | %,d x %d | %s | %.2f | %.2e | %.2e | %.2e |", v[0], m, n, t.ms(), 4.0 * m * n * n / 1e9 / t.medianS(),
                        qrReconError(cols, q, rr, m), qrOrthoError(q, m), rAgreement(rr, rRef)));
                System.out.println("  " + table.getLast());
            }
        }
        line("## 3b. Thin QR: HouseholderQr vs EJML Householder QR");
        line("");
        line(String.format(Locale.ROOT, "Input: %,d x %d, N(0,1) entries (fixed seed), %.0f MB of doubles. Ours: `HouseholderQr.factorInPlace(cols, m, par)` on a column-major copy "
                + "made outside the timing, returns R and leaves thin Q in place. EJML: `DecompositionFactory_DDRM.qr()` / `DecompositionFactory_MT_DDRM.qr()` on the row-major matrix, "
                + "then `getQ(null, true)` (thin Q, %d x %d) and `getR(null, true)`, all timed (EJML copies the input into its own column-major work arrays inside decompose). "
                + "Warm-up: 2 runs of each variant on the first %,d rows. Flops ≈ 4·m·n² = %.1f G. Reconstruction = ||A − QR||_F / ||A||_F; orthogonality = max |QᵀQ − I|; "
                + "R agreement = max |R − D·R_EJML,1thread| / max |R_EJML| with D the diagonal of sign flips between the two.", m, n, (double) m * n * 8 / 1e6, m, n, mw, 4.0 * m * n * n / 1e9));
        line("");
        line("| implementation | input | median ms (min–max) | GFLOP/s (median) | reconstruction error | orthogonality of Q | R agreement with EJML 1-thread |");
        line("|---|---|---:|---:|---:|---:|---:|");
        for (String row : table) line(row);
        line("");
        line("(Dependency bytes for EJML and ours: see the table of 3a; QR uses the same jars.)");
        line("");
    }

    static Object[] ejmlQr(DMatrixRMaj a, boolean mt) {
        QRDecomposition<DMatrixRMaj> d = mt ? DecompositionFactory_MT_DDRM.qr() : DecompositionFactory_DDRM.qr();
        DMatrixRMaj in = d.inputModified() ? a.copy() : a;
        if (!d.decompose(in)) throw new ArithmeticException("EJML QR failed");
        return new Object[] {d.getQ(null, true), d.getR(null, true)};
    }

    /** ||A − QR||_F / ||A||_F with A and Q column-major (n x m), R row-major upper triangular. */
    static double qrReconError(double[][] a, double[][] q, double[][] r, int m) {
        int n = a.length;
        double err = 0, norm = 0;
        double[] acc = new double[m];
        for (int c = 0; c < n; c++) {
            Arrays.fill(acc, 0);
            for (int j = 0; j <= c; j++) {
                double rjc = r[j][c];
                if (rjc == 0) continue;
                double[] qj = q[j];
                for (int i = 0; i < m; i++) acc[i] += qj[i] * rjc;
            }
            double[] ac = a[c];
            for (int i = 0; i < m; i++) {
                double d = ac[i] - acc[i];
                err += d * d;
                norm += ac[i] * ac[i];
            }
        }
        return Math.sqrt(err / norm);
    }

    /** max |QᵀQ − I| with Q column-major (n x m). */
    static double qrOrthoError(double[][] q, int m) {
        int n = q.length;
        double worst = 0;
        for (int p = 0; p < n; p++) {
            for (int s = p; s < n; s++) {
                double[] a = q[p], b = q[s];
                double d0 = 0, d1 = 0, d2 = 0, d3 = 0;
                int i = 0;
                for (; i + 3 < m; i += 4) {
                    d0 += a[i] * b[i];
                    d1 += a[i + 1] * b[i + 1];
                    d2 += a[i + 2] * b[i + 2];
                    d3 += a[i + 3] * b[i + 3];
                }
                for (; i < m; i++) d0 += a[i] * b[i];
                double d = (d0 + d1) + (d2 + d3);
                worst = Math.max(worst, Math.abs(d - (p == s ? 1 : 0)));
            }
        }
        return worst;
    }

    static double rAgreement(double[][] r, double[][] ref) {
        int n = r.length;
        double worst = 0, scale = 0;
        for (int i = 0; i < n; i++) {
            double sign = Math.signum(r[i][i]) * Math.signum(ref[i][i]);
            if (sign == 0) sign = 1;
            for (int j = i; j < n; j++) {
                worst = Math.max(worst, Math.abs(r[i][j] - sign * ref[i][j]));
                scale = Math.max(scale, Math.abs(ref[i][j]));
            }
        }
        return worst / scale;
    }
}
