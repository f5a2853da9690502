package org.lurm.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the fuzz targets share (docs/RELIABILITY.md): a tally of outcome classes per target, written to
 * {@code target/fuzz/<target>.txt} for the figures; a seeded byte mutator for the CI-sized slices that run in
 * every build; and a scratch folder per JVM for inputs that must be files. Thread-safe.
 */
public final class FuzzSupport {
    private static final Map<String, Map<String, LongAdder>> TALLY = new ConcurrentHashMap<>();
    private static final Path SCRATCH;

    static {
        try {
            SCRATCH = Files.createTempDirectory("lurm-fuzz");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try (var s = Files.walk(SCRATCH)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a temp folder left behind is harmless
            }
        }));
    }

    private FuzzSupport() {
    }

    /** A scratch file for this thread's current input (the same path each time, so runs do not fill the disk). */
    public static Path scratch(String name) {
        return SCRATCH.resolve(Thread.currentThread().threadId() + "-" + name);
    }

    /** Counts one input of {@code target} with outcome class {@code outcome}. */
    public static void count(String target, String outcome) {
        TALLY.computeIfAbsent(target, t -> new ConcurrentHashMap<>()).computeIfAbsent(outcome, o -> new LongAdder()).increment();
    }

    /** The tally of a target, outcome class to inputs, sorted by class. */
    public static Map<String, Long> tally(String target) {
        Map<String, Long> m = new TreeMap<>();
        TALLY.getOrDefault(target, Map.of()).forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    /** Prints the tally and writes it to {@code target/fuzz/<file>.txt} (the module's build folder). */
    public static void report(String target, String file) {
        Map<String, Long> t = tally(target);
        long all = t.values().stream().mapToLong(Long::longValue).sum();
        StringBuilder sb = new StringBuilder(target + ": " + all + " inputs\n");
        t.forEach((k, v) -> sb.append(String.format("  %-40s %,12d%n", k, v)));
        System.out.print("[fuzz] " + sb);
        try {
            Path dir = Path.of("target", "fuzz");
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(file + ".txt"), sb.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            System.out.println("[fuzz] could not write the tally: " + e.getMessage());
        }
    }

    /** Tokens that the formats give meaning to, inserted by the mutator. */
    private static final byte[][] TOKENS = tokens(",", "\t", "::", ";", "\"", "\"\"", "\n", "\r", "\r\n", " ", "#", "-", "+", ".", "e", "E", "0", "9",
            "NaN", "Infinity", "1e40", "-0", "\u00e9", "|", "user", "item", "ts", "2024-02-30", "9223372036854775808", "user_id", "e0");

    private static byte[][] tokens(String... s) {
        byte[][] t = new byte[s.length + 4][];
        for (int i = 0; i < s.length; i++) t[i] = s[i].getBytes(StandardCharsets.UTF_8);
        t[s.length] = new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        t[s.length + 1] = new byte[] {(byte) 0xFF};
        t[s.length + 2] = new byte[] {(byte) 0xC3};
        t[s.length + 3] = new byte[] {0};
        return t;
    }

    /**
     * A mutant of one of {@code seeds}: 1 to 8 edits (flip a bit, set a byte, insert a token, delete or duplicate a
     * range, truncate, splice in part of another seed). The first {@code keep} bytes (a configuration prefix) are
     * only ever replaced by random bytes, never shifted.
     */
    public static byte[] mutate(List<byte[]> seeds, SplittableRandom r, int keep) {
        byte[] seed = seeds.get(r.nextInt(seeds.size()));
        List<Byte> b = new ArrayList<>(seed.length + 16);
        for (int i = keep; i < seed.length; i++) b.add(seed[i]);
        byte[] prefix = java.util.Arrays.copyOf(seed, Math.min(keep, seed.length));
        if (keep > 0 && r.nextInt(3) == 0) for (int i = 0; i < prefix.length; i++) prefix[i] = (byte) r.nextInt(256);
        int edits = 1 + r.nextInt(8);
        for (int e = 0; e < edits; e++) {
            int n = b.size();
            int at = n == 0 ? 0 : r.nextInt(n + 1);
            switch (r.nextInt(8)) {
                case 0 -> {
                    if (n > 0) b.set(Math.min(at, n - 1), (byte) (b.get(Math.min(at, n - 1)) ^ (1 << r.nextInt(8))));
                }
                case 1 -> {
                    if (n > 0) b.set(Math.min(at, n - 1), (byte) r.nextInt(256));
                }
                case 2, 3 -> {
                    for (byte x : TOKENS[r.nextInt(TOKENS.length)]) b.add(at++, x);
                }
                case 4 -> {
                    int len = Math.min(n - Math.min(at, n), 1 + r.nextInt(16));
                    for (int i = 0; i < len; i++) b.remove(Math.min(at, b.size() - 1));
                }
                case 5 -> {
                    int len = Math.min(n - Math.min(at, n), 1 + r.nextInt(32));
                    List<Byte> copy = new ArrayList<>(b.subList(Math.min(at, n), Math.min(at, n) + len));
                    b.addAll(Math.min(at, n), copy);
                }
                case 6 -> {
                    if (n > 0 && r.nextInt(4) == 0) b.subList(r.nextInt(n), n).clear();
                }
                default -> {
                    byte[] other = seeds.get(r.nextInt(seeds.size()));
                    if (other.length > keep) {
                        int from = keep + r.nextInt(other.length - keep), len = Math.min(other.length - from, 1 + r.nextInt(64));
                        for (int i = 0; i < len; i++) b.add(Math.min(at + i, b.size()), other[from + i]);
                    }
                }
            }
        }
        byte[] out = new byte[prefix.length + b.size()];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        for (int i = 0; i < b.size(); i++) out[prefix.length + i] = b.get(i);
        return out;
    }

    /** The files of a seed corpus folder on the test class path, sorted by name. */
    public static List<byte[]> seeds(Class<?> owner, String folder) {
        try {
            var url = owner.getResource(folder);
            if (url == null) throw new IllegalStateException("no seed corpus " + folder + " beside " + owner.getName());
            Path dir = Path.of(url.toURI());
            try (var s = Files.list(dir)) {
                List<byte[]> out = new ArrayList<>();
                for (Path p : s.sorted().toList()) out.add(Files.readAllBytes(p));
                return out;
            }
        } catch (IOException | java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Keeps an input that broke an oracle under target/fuzz/findings, and says where. */
    public static String keep(String target, byte[] input) {
        try {
            Path dir = Path.of("target", "fuzz", "findings");
            Files.createDirectories(dir);
            Path f = dir.resolve(target + "-" + Integer.toHexString(java.util.Arrays.hashCode(input)));
            Files.write(f, input);
            return f.toAbsolutePath().toString();
        } catch (IOException e) {
            return "(not kept: " + e.getMessage() + ")";
        }
    }
}
