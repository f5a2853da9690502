package org.lurm.perf;

import java.util.Locale;
import org.lurm.BagOfInterests;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.boi.BoiSet;
import org.lurm.memory.MemoryScope;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
import org.lurm.synth.SyntheticData;

/**
 * Scale runs of Stage 1 (PERFORMANCE.md): how time and memory grow with events and users (1x, 4x, 16x of a
 * base generator size) and with K (1x, 4x, 16x at the largest data size), stage by stage (generate, embed,
 * cluster, aggregate). Each size runs in a fresh scope; memory is the off-heap bytes held at the end of the
 * size plus the JVM heap in use.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx16g -cp perf-tests/target/benchmarks.jar org.lurm.perf.ScaleRun [baseUsers] [baseK]
 * </pre>
 */
public final class ScaleRun {
    private ScaleRun() {
    }

    public static void main(String[] args) {
        int baseUsers = args.length > 0 ? Integer.parseInt(args[0]) : 12_500;
        int baseK = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
        try (Backend backend = Backends.create()) {
            System.out.printf("backend %s, %d threads%n", backend.name(), backend.threads());
            System.out.println("| users | items | events | K | generate s | embed s | cluster s | aggregate s | aggregate M events/s | BoI rows | non-zeros | off-heap MB | heap MB |");
            System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            for (int m : new int[] {1, 4, 16}) run(backend, baseUsers * m, baseK, m);
            for (int m : new int[] {4, 16}) run(backend, baseUsers * 16, baseK * m, 16);
        }
    }

    private static void run(Backend backend, int users, int k, int dataMultiplier) {
        // Items grow with the square root of the data (catalogues grow slower than logs).
        int items = (int) Math.round(4_000 * Math.sqrt(dataMultiplier));
        System.gc();
        try (MemoryScope scope = MemoryScope.root("scale")) {
            long t0 = System.nanoTime();
            SyntheticData d = LifeCycleGenerator.generate(LifeCycleConfig.bench().toBuilder().users(users).items(Math.max(items, k * 2)).build(), scope);
            long t1 = System.nanoTime();
            BagOfInterests boi = BagOfInterests.fit(d.events(), null, BagOfInterests.Config.defaults().withInterests(k), backend, scope, null);
            long t2 = System.nanoTime();
            BoiSet rows = boi.aggregate(d.events(), backend, scope);
            long t3 = System.nanoTime();
            Runtime rt = Runtime.getRuntime();
            long heap = rt.totalMemory() - rt.freeMemory();
            System.out.printf(Locale.ROOT, "| %,d | %,d | %,d | %,d | %.2f | %.2f | %.2f | %.2f | %.1f | %,d | %,d | %,d | %,d |%n",
                    users, d.events().numItems(), d.events().size(), boi.numInterests(), (t1 - t0) / 1e9,
                    boi.stageNanos().get("embed") / 1e9, boi.stageNanos().get("cluster") / 1e9, (t3 - t2) / 1e9,
                    d.events().size() / ((t3 - t2) / 1e3), rows.numRows(), rows.nnz(), MemoryScope.liveBytes() >> 20, heap >> 20);
        }
    }
}
