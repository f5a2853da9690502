package org.lurm.perf;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;

/**
 * The physical floors of the scale table's stages (docs/PERFORMANCE.md, "Scale"), measured on this machine in the
 * same run as the row ({@code perf-tests/scale/run.sh} calls it after fit and encode):
 * <ul>
 *   <li><b>read</b>: one thread decompresses the events file ({@link GZIPInputStream}, no read-ahead) and counts
 *       its newlines: the least any reader of this file does on one core;</li>
 *   <li><b>memory bandwidth</b>: a STREAM triad on all cores over arrays far larger than the caches (as
 *       {@link BandwidthBenchmark}), for the stages whose floor is bytes moved;</li>
 *   <li><b>write</b>: sequential writes of 512 MiB to a file in the output folder, forced to the device.</li>
 * </ul>
 * Prints one JSON object; each figure is the best of {@code --reps} (default 3) runs. Timings only.
 *
 * <p>Usage: {@code ScaleFloors --file events.csv.gz --dir OUT [--reps N]}
 */
public final class ScaleFloors {
    private ScaleFloors() {
    }

    public static void main(String[] args) throws Exception {
        Path file = null, dir = null;
        int reps = 3;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--file" -> file = Path.of(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (usage: --file EVENTS --dir OUT [--reps N])");
            }
        }
        if (file == null || dir == null) throw new IllegalArgumentException("usage: ScaleFloors --file EVENTS --dir OUT [--reps N]");
        double[] read = new double[reps], triad = new double[reps], write = new double[reps];
        long lines = 0;
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            lines = scan(file);
            read[r] = (System.nanoTime() - t0) / 1e9;
        }
        int n = 1 << 25; // three arrays of 128 MiB
        int threads = Runtime.getRuntime().availableProcessors();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = arena.allocate(4L * n, 64), b = arena.allocate(4L * n, 64), c = arena.allocate(4L * n, 64);
            for (int i = 0; i < n; i++) {
                b.setAtIndex(ValueLayout.JAVA_FLOAT, i, i);
                c.setAtIndex(ValueLayout.JAVA_FLOAT, i, 1);
            }
            triad(a, b, c, n, threads); // warm-up
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                triad(a, b, c, n, threads);
                triad[r] = 12.0 * n / ((System.nanoTime() - t0) / 1e9) / 1e9;
            }
        }
        long bytes = 512L << 20;
        for (int r = 0; r < reps; r++) write[r] = writeGbs(dir, bytes);
        System.out.printf(Locale.ROOT, "{\"read_floor_s\": %.3f, \"read_floor_lines\": %d, \"triad_gbs\": %.2f, \"write_gbs\": %.3f, \"threads\": %d, \"reps\": %d}%n",
                Arrays.stream(read).min().orElseThrow(), lines, Arrays.stream(triad).max().orElseThrow(), Arrays.stream(write).max().orElseThrow(), threads, reps);
    }

    static long scan(Path file) throws IOException {
        long n = 0;
        byte[] buf = new byte[1 << 20];
        InputStream raw = Files.newInputStream(file);
        try (InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw) {
            int k;
            while ((k = in.read(buf)) > 0) {
                for (int i = 0; i < k; i++) if (buf[i] == '\n') n++;
            }
        }
        return n;
    }

    private static void triad(MemorySegment a, MemorySegment b, MemorySegment c, int n, int threads) {
        int chunk = (n + threads - 1) / threads;
        IntStream.range(0, threads).parallel().forEach(t -> {
            int lo = t * chunk, hi = Math.min(n, lo + chunk);
            for (int i = lo; i < hi; i++) {
                a.setAtIndex(ValueLayout.JAVA_FLOAT, i, b.getAtIndex(ValueLayout.JAVA_FLOAT, i) + 3f * c.getAtIndex(ValueLayout.JAVA_FLOAT, i));
            }
        });
    }

    /** GB/s of writing {@code bytes} sequentially in 8 MiB chunks to a new file in {@code dir}, forced to the device. */
    private static double writeGbs(Path dir, long bytes) throws IOException {
        Path f = Files.createTempFile(dir, "floor-write", ".bin");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(8 << 20);
            for (int i = 0; i < buf.capacity(); i++) buf.put(i, (byte) i);
            long t0 = System.nanoTime();
            for (long done = 0; done < bytes; done += buf.capacity()) {
                buf.clear();
                while (buf.hasRemaining()) ch.write(buf);
            }
            ch.force(true);
            return bytes / ((System.nanoTime() - t0) / 1e9) / 1e9;
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
