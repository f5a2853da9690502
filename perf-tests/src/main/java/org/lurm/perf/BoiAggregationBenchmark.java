package org.lurm.perf;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiAggregator;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.events.EventTable;
import org.lurm.memory.I32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.synth.EventOrder;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
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
 * BoI aggregation (MODEL.md Stage 1) on generator data, default {@link LifeCycleConfig#bench()} (about 1.2 *
 * 10^7 events, 100k users, 50k items, 8 years), two scales (30 d / T_max 64, 365 d / T_max 16), K = items / 2
 * with a random item-to-interest map (aggregation cost does not depend on which items share an interest).
 *
 * <p>Compared in one run: lurm's aggregator on all cores and on one core, and {@link StraightforwardBoi} (a
 * HashMap per (user, scale, period), single-threaded). The floor (PERFORMANCE.md) is printed at setup:
 * bytes = E * 24 (the five event columns) + 8 * N (interest + value) + 24 * R (row offset, user, scale,
 * period), divided by the bandwidth measured by {@link BandwidthBenchmark} in the same invocation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx14g", "-XX:+UseParallelGC"})
public class BoiAggregationBenchmark {
    /** Users of the generator; events grow linearly (about 120 per user). */
    @Param({"100000"})
    public int users;
    /** USER_TIME (grouped by user, as an export usually is) or SHUFFLED (as a raw log). */
    @Param({"USER_TIME", "SHUFFLED"})
    public String order;

    private MemoryScope scope;
    private EventTable events;
    private I32Array interests;
    private int[] interestsHeap;
    private int k;
    private BoiConfig config;
    private Parallel all;
    private Parallel one;

    @Setup(Level.Trial)
    public void setup() {
        scope = MemoryScope.root("bench-boi");
        LifeCycleConfig cfg = LifeCycleConfig.bench().toBuilder().users(users).order(EventOrder.valueOf(order)).build();
        events = LifeCycleGenerator.generate(cfg, scope).events();
        k = Math.max(16, events.numItems() / 2);
        SplittableRandom r = new SplittableRandom(7);
        interestsHeap = new int[events.numItems()];
        for (int i = 0; i < interestsHeap.length; i++) interestsHeap[i] = r.nextInt(k);
        interests = scope.copyOf(interestsHeap);
        config = BoiConfig.defaults();
        all = new Parallel(Runtime.getRuntime().availableProcessors());
        one = new Parallel(1);
        try (MemoryScope tmp = scope.child("probe")) {
            BoiSet b = BoiAggregator.aggregate(events, interests, k, config, tmp, all);
            long bytes = events.size() * 24 + b.nnz() * 8 + b.numRows() * 24;
            System.out.printf("%n[boi-floor] events=%d rows=%d nnz=%d floorBytes=%d threads=%d%n",
                    events.size(), b.numRows(), b.nnz(), bytes, all.threads());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        all.close();
        one.close();
        scope.close();
    }

    @Benchmark
    public long lurmAllCores() {
        try (MemoryScope s = scope.child("out")) {
            return BoiAggregator.aggregate(events, interests, k, config, s, all).nnz();
        }
    }

    @Benchmark
    public long lurmOneCore() {
        try (MemoryScope s = scope.child("out")) {
            return BoiAggregator.aggregate(events, interests, k, config, s, one).nnz();
        }
    }

    @Benchmark
    @Warmup(iterations = 1)
    @Measurement(iterations = 2)
    public long straightforward() {
        return StraightforwardBoi.aggregate(events, interestsHeap, config).cols().length;
    }
}
