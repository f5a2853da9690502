package org.lurm.perf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The memory-bandwidth anchor (PERFORMANCE.md): a STREAM-like triad a[i] = b[i] + s*c[i] over off-heap
 * float arrays far larger than the caches, on all cores. Bytes moved per op = 3 * 4 * n (2 reads, 1 write;
 * write-allocate traffic not counted, as STREAM does). Run it in the same JMH invocation as the kernels so
 * that ratios to the floor come from one run on one machine.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class BandwidthBenchmark {
    @Param({"33554432"})
    public int n;
    @Param({"0"})
    public int threads;

    private Arena arena;
    private MemorySegment a, b, c;
    private int nThreads;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        a = arena.allocate(4L * n, 64);
        b = arena.allocate(4L * n, 64);
        c = arena.allocate(4L * n, 64);
        for (int i = 0; i < n; i++) {
            b.setAtIndex(ValueLayout.JAVA_FLOAT, i, i);
            c.setAtIndex(ValueLayout.JAVA_FLOAT, i, 1);
        }
        nThreads = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /** Bytes moved by one {@link #triad()} call. */
    public static long bytesPerOp(int n) {
        return 12L * n;
    }

    @Benchmark
    public float triad() {
        final float s = 3f;
        int chunk = (n + nThreads - 1) / nThreads;
        IntStream.range(0, nThreads).parallel().forEach(t -> {
            int lo = t * chunk, hi = Math.min(n, lo + chunk);
            for (int i = lo; i < hi; i++) {
                a.setAtIndex(ValueLayout.JAVA_FLOAT, i, b.getAtIndex(ValueLayout.JAVA_FLOAT, i) + s * c.getAtIndex(ValueLayout.JAVA_FLOAT, i));
            }
        });
        return a.getAtIndex(ValueLayout.JAVA_FLOAT, n - 1);
    }
}
