package org.lurm.perf;

import java.util.SplittableRandom;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.*;
import org.lurm.events.EventTable;
import org.lurm.memory.*;
import org.lurm.synth.*;

/**
 * BoI aggregation timed per call on generator data (LifeCycleConfig.bench() with USERS users, ORDER an EventOrder such as USER_TIME or
 * SHUFFLED), REPS calls on -Dthreads=N threads (default 2) then on 1, with a hash of the whole result so builds can be compared bit for
 * bit. Add -Dlurm.boi.trace=true for the phases. A quick harness beside the JMH benchmark (docs/PERFORMANCE.md).
 *
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseTransparentHugePages -cp CP
 *     org.lurm.perf.AggregationRun 100000 USER_TIME 5</pre>
 */
public final class AggregationRun {
    public static void main(String[] a) {
        if (a.length != 3 || java.util.Arrays.stream(EventOrder.values()).noneMatch(o -> o.name().equals(a[1]))) {
            System.err.println("usage: AggregationRun USERS ORDER REPS   (ORDER one of " + java.util.Arrays.toString(EventOrder.values())
                    + "; e.g. 100000 USER_TIME 5; -Dthreads=N, default 2)");
            System.exit(2);
        }
        int users = Integer.parseInt(a[0]);
        String order = a[1];
        int reps = Integer.parseInt(a[2]);
        try (MemoryScope scope = MemoryScope.root("b")) {
            LifeCycleConfig cfg = LifeCycleConfig.bench().toBuilder().users(users).order(EventOrder.valueOf(order)).build();
            EventTable events = LifeCycleGenerator.generate(cfg, scope).events();
            int k = Math.max(16, events.numItems() / 2);
            SplittableRandom r = new SplittableRandom(7);
            int[] ih = new int[events.numItems()];
            for (int i = 0; i < ih.length; i++) ih[i] = r.nextInt(k);
            I32Array interests = scope.copyOf(ih);
            BoiConfig config = BoiConfig.defaults();
            for (int threads : new int[] {Integer.getInteger("threads", 2), 1}) {
                try (Parallel p = new Parallel(threads)) {
                    for (int rep = 0; rep < reps; rep++) {
                        try (MemoryScope s = scope.child("o")) {
                            long t0 = System.nanoTime();
                            BoiSet b = BoiAggregator.aggregate(events, interests, k, config, s, p);
                            long t1 = System.nanoTime();
                            long h = 0;
                            for (long j = 0; j < b.nnz(); j++) h = h * 31 + b.col(j) * 17 + Float.floatToIntBits(b.val(j));
                            for (long q = 0; q < b.numRows(); q++) h = h * 31 + b.rowPeriod(q) + b.rowStart(q) * 7 + b.rowScale(q);
                            System.out.printf("threads %d rep %d: %.1f ms  %.1f M events/s  rows %d nnz %d hash %x%n", threads, rep, (t1 - t0) / 1e6,
                                    events.size() / ((t1 - t0) / 1e3), b.numRows(), b.nnz(), h);
                        }
                    }
                }
            }
        }
    }
}
