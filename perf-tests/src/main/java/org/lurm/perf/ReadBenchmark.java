package org.lurm.perf;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.lurm.events.EventTableBuilder;
import org.lurm.events.io.DelimitedEventReader;
import org.lurm.events.io.DelimitedFormat;
import org.lurm.io.Inputs;

/**
 * Reading a gzip event CSV against its floor (issue 13): the floor is one thread that decompresses the file and
 * counts its newlines (a plain byte-scan of the decompressed input, what any reader must at least do on one core);
 * the reader is {@link DelimitedEventReader} into an {@link EventTableBuilder} (what {@code lurm fit} and
 * {@code lurm encode} run), with gzip decompressed on the reading thread ({@code -Dlurm.io.readAhead=false}) and
 * ahead of it on a background thread (the default). The three cases take turns in every round; medians.
 *
 * <pre>
 * java -cp java-api/target/classes:perf-tests/target/classes org.lurm.perf.ReadBenchmark \
 *     [--file events.csv.gz (as lurm generate writes it; default: a generated file of --events lines)] [--events 6000000] [--reps 5]
 *     [--once]
 * </pre>
 * {@code --once} reads the file once as {@code lurm fit} does (user, item, timestamp and type columns, gzip read
 * ahead) into an {@link EventTableBuilder}, builds the off-heap {@link org.lurm.events.EventTable}, and prints the
 * two times, the collector's count and time and the JVM's peak heap use: the reading stage of a scale row on its
 * own (run it under {@code /usr/bin/time -v} for the process's peak RSS).
 * Prints one table row per case: seconds, events/s, the floor's time as a fraction of the case's ("share of the
 * floor", issue 13's aim is 50 %). Timings only; nothing is asserted.
 */
public final class ReadBenchmark {
    private ReadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path file = null;
        int events = 6_000_000, reps = 5;
        boolean once = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--file" -> file = Path.of(args[++i]);
                case "--events" -> events = Integer.parseInt(args[++i]);
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--once" -> once = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (once) {
            if (file == null) throw new IllegalArgumentException("--once needs --file");
            once(file);
            return;
        }
        boolean generated = file == null;
        if (generated) {
            file = Files.createTempFile("lurm-read-bench", ".csv.gz");
            write(file, events);
        }
        try {
            run(file, reps);
        } finally {
            if (generated) Files.deleteIfExists(file);
        }
    }

    static void once(Path file) throws IOException {
        DelimitedEventReader reader = DelimitedEventReader.builder().format(DelimitedFormat.csv())
                .user("user_id").item("item_id").timestamp("ts").type("type").build();
        long t0 = System.nanoTime();
        EventTableBuilder b = new EventTableBuilder();
        reader.read(file, b);
        long t1 = System.nanoTime();
        try (org.lurm.memory.MemoryScope scope = org.lurm.memory.MemoryScope.root("read-once")) {
            org.lurm.events.EventTable t = b.build(scope);
            long t2 = System.nanoTime();
            long gcCount = 0, gcMs = 0;
            for (var g : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
                if (g.getCollectionCount() > 0) gcCount += g.getCollectionCount();
                if (g.getCollectionTime() > 0) gcMs += g.getCollectionTime();
            }
            long peakHeap = 0;
            for (var pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == java.lang.management.MemoryType.HEAP && pool.getPeakUsage() != null) peakHeap += pool.getPeakUsage().getUsed();
            }
            System.out.printf(Locale.ROOT, "%s: %,d events; read %.2f s, build %.2f s (%.1f GB off-heap); %d collections, %d ms; peak heap %.2f GB%n",
                    file.getFileName(), t.size(), (t1 - t0) / 1e9, (t2 - t1) / 1e9, scope.allocatedBytes() / 1e9, gcCount, gcMs, peakHeap / 1e9);
        }
    }

    /** A gzip CSV in lurm generate's layout (user_id,item_id,ts,type), users' events together and in time order. */
    static void write(Path file, int events) throws IOException {
        SplittableRandom r = new SplittableRandom(42);
        try (OutputStream os = Files.newOutputStream(file);
             Writer w = new java.io.OutputStreamWriter(new GZIPOutputStream(os, 1 << 16), StandardCharsets.US_ASCII)) {
            w.write("user_id,item_id,ts,type\n");
            StringBuilder sb = new StringBuilder(64);
            int user = 0, left = 0;
            long ts = 0;
            for (int i = 0; i < events; i++) {
                if (left == 0) {
                    user++;
                    left = 1 + r.nextInt(199);
                    ts = 1_300_000_000L + r.nextInt(100_000_000);
                }
                left--;
                ts += r.nextInt(200_000);
                int item = (int) Math.min(199_999, Math.floor(Math.pow(r.nextDouble(), 3) * 200_000));
                sb.setLength(0);
                sb.append('u').append(user).append(",i").append(item).append(',').append(ts).append(',').append(r.nextInt(4) == 0 ? "click" : "view").append('\n');
                w.append(sb);
            }
        }
    }

    private static long scan(Path file) throws IOException {
        long n = 0;
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Inputs.open(file)) {
            int k;
            while ((k = in.read(buf)) > 0) {
                for (int i = 0; i < k; i++) if (buf[i] == '\n') n++;
            }
        }
        return n;
    }

    private static int read(Path file, DelimitedEventReader reader) throws IOException {
        EventTableBuilder b = new EventTableBuilder();
        reader.read(file, b);
        return b.size();
    }

    static void run(Path file, int reps) throws IOException {
        DelimitedEventReader reader = DelimitedEventReader.builder().format(DelimitedFormat.csv()).user("user_id").item("item_id").timestamp("ts").build();
        String[] names = {"floor: decompress + count newlines, 1 thread", "DelimitedEventReader, gzip on the reading thread", "DelimitedEventReader, gzip read ahead (default)"};
        double[][] t = new double[3][reps];
        long lines = 0;
        int events = 0;
        String before = System.getProperty(Inputs.READ_AHEAD_PROPERTY);
        try {
            for (int rep = -1; rep < reps; rep++) { // round -1 warms up
                for (int c = 0; c < 3; c++) {
                    System.setProperty(Inputs.READ_AHEAD_PROPERTY, c == 2 ? "true" : "false");
                    long t0 = System.nanoTime();
                    if (c == 0) lines = scan(file);
                    else events = read(file, reader);
                    double s = (System.nanoTime() - t0) / 1e9;
                    if (rep >= 0) t[c][rep] = s;
                }
            }
        } finally {
            if (before == null) System.clearProperty(Inputs.READ_AHEAD_PROPERTY);
            else System.setProperty(Inputs.READ_AHEAD_PROPERTY, before);
        }
        double floor = median(t[0]);
        System.out.printf(Locale.ROOT, "%s: %.1f MB gzip, %,d lines, %,d events read; %d cores; %d rounds, medians%n", file.getFileName(),
                Files.size(file) / 1e6, lines, events, Runtime.getRuntime().availableProcessors(), reps);
        System.out.println("| case | seconds (median, min-max) | events/s | share of the floor |");
        System.out.println("|---|---:|---:|---:|");
        for (int c = 0; c < 3; c++) {
            double m = median(t[c]);
            System.out.printf(Locale.ROOT, "| %s | %.2f (%.2f-%.2f) | %.2f M | %.0f %% |%n", names[c], m, min(t[c]), max(t[c]), events / m / 1e6, 100 * floor / m);
        }
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double min(double[] x) {
        return Arrays.stream(x).min().orElse(Double.NaN);
    }

    private static double max(double[] x) {
        return Arrays.stream(x).max().orElse(Double.NaN);
    }
}
