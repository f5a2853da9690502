package org.lurm.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.lurm.BagOfInterests;
import org.lurm.backend.Backend;
import org.lurm.backend.BackendProvider;
import org.lurm.backend.Backends;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.boi.Scale;
import org.lurm.cluster.InterestModel;
import org.lurm.memory.MemoryScope;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
import org.lurm.synth.PlantedTruth;
import org.lurm.synth.SyntheticData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lurm demo}: the pipeline on the built-in synthetic life-cycle generator, so it runs on a fresh
 * machine with no data. Stage 1 today: generate, embed items, cluster them into interests, aggregate the
 * multi-scale Bag-of-Interests, and check the interests against the topics the generator planted.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run LURM on built-in synthetic life-cycle data (no files needed): generate users with drifting",
                "interests over several years, embed and cluster the items into interests, and aggregate the",
                "multi-scale Bag-of-Interests; then compare the interests with the topics the generator planted."},
        footer = {"", "Examples:", "  lurm demo", "  lurm demo --quick", "  lurm demo --users 20000 --items 8000 --interests 2000 --embedding COOCCURRENCE_AND_TEXT"})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--users", description = "Synthetic users (default: ${DEFAULT-VALUE}).", defaultValue = "3000")
    int users;
    @Option(names = "--items", description = "Synthetic items (default: ${DEFAULT-VALUE}).", defaultValue = "2000")
    int items;
    @Option(names = "--interests", description = "Number of interests K (0: min(100000, max(16, I/2)); default: ${DEFAULT-VALUE}).", defaultValue = "0")
    int interests;
    @Option(names = "--embedding", description = "Item embedding: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).", defaultValue = "COOCCURRENCE")
    BagOfInterests.ItemEmbedding embedding;
    @Option(names = "--seed", description = "Seed of the generator and the model (default: ${DEFAULT-VALUE}).", defaultValue = "42")
    long seed;
    @Option(names = "--threads", description = "Worker threads (default: all cores).", defaultValue = "0")
    int threads;
    @Option(names = "--quick", description = "A small run (600 users, 500 items) for smoke tests.")
    boolean quick;

    @Override
    public Integer call() {
        PrintStream out = System.out;
        if (quick) {
            users = Math.min(users, 600);
            items = Math.min(items, 500);
        }
        if (users < 1 || items < 2) throw new IllegalArgumentException("--users must be >= 1 and --items >= 2");
        int nThreads = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        BackendProvider provider = Backends.select();
        long start = System.nanoTime();
        try (MemoryScope scope = MemoryScope.root("demo"); Backend backend = provider.create(nThreads)) {
            out.printf("lurm demo: backend %s (%d threads)%n%n", backend.name(), backend.threads());
            LifeCycleConfig gc = LifeCycleConfig.builder().users(users).items(items).topics(Math.max(2, Math.min(40, items / 10)))
                    .topicGroups(Math.max(2, Math.min(6, Math.min(40, items / 10)))).seed(seed).build();
            Step step = new Step(out);
            SyntheticData data = step.run("generate", () -> LifeCycleGenerator.generate(gc, scope));
            long[] range = data.events().timeRange();
            step.done(String.format(Locale.ROOT, "%,d events, %,d users, %,d items, %d topics, %s .. %s",
                    data.events().size(), data.events().numUsers(), data.events().numItems(), gc.topics(),
                    java.time.Instant.ofEpochSecond(range[0]).toString().substring(0, 10), java.time.Instant.ofEpochSecond(range[1]).toString().substring(0, 10)));

            BagOfInterests.Config cfg = BagOfInterests.Config.defaults().withEmbedding(embedding).withInterests(interests).withSeed(seed);
            BagOfInterests boi = BagOfInterests.fit(data.events(), data.catalog(), cfg, backend, scope,
                    (stage, nanos, summary) -> out.printf(Locale.ROOT, "  %-9s %8.2f s  %s%n", stage, nanos / 1e9, summary));

            BoiSet rows = step.run("aggregate", () -> boi.aggregate(data.events(), backend, scope));
            step.done(String.format(Locale.ROOT, "%,d BoI rows, %,d non-zeros (%.1f per row), %.1f M events/s",
                    rows.numRows(), rows.nnz(), rows.nnz() / (double) Math.max(1, rows.numRows()), data.events().size() / (step.lastNanos / 1e3)));

            out.println();
            out.println("Bag-of-Interests by scale:");
            out.printf("  %-6s %6s %12s %12s %14s %14s%n", "scale", "T_max", "rows", "history rows", "users w/ rows", "rows per user");
            BoiConfig bc = rows.config();
            for (int s = 0; s < bc.scales().size(); s++) {
                long r = 0, h = 0;
                int withRows = 0;
                for (int u = 0; u < rows.numUsers(); u++) {
                    long ur = 0;
                    for (long x = rows.userRowStart(u); x < rows.userRowStart(u + 1); x++) {
                        if (rows.rowScale(x) == s) {
                            ur++;
                            if (rows.isHistory(x)) h++;
                        }
                    }
                    r += ur;
                    if (ur > 0) withRows++;
                }
                Scale sc = bc.scales().get(s);
                out.printf(Locale.ROOT, "  %-6s %6d %,12d %,12d %,14d %14.1f%n", sc.name(), sc.tMax(), r, h, withRows, r / (double) Math.max(1, withRows));
            }

            InterestModel im = boi.interests();
            double purity = purity(im, data.truth());
            out.println();
            out.printf(Locale.ROOT, "Interests vs planted topics: K = %d, purity %.3f (share of embedded items whose interest's majority topic is their own;%n"
                    + "  a random assignment would give about %.3f)%n", im.numInterests(), purity, randomPurity(im, data.truth()));
            out.println("Largest interests and their most typical items:");
            for (String line : boi.describeInterests(data.events().items(), data.catalog(), 5, 4)) out.println("  " + line);
            smen(out, data, boi, rows, nThreads);
            out.printf(Locale.ROOT, "%nDone in %.1f s. The evaluation report (probes, baselines) comes with the next stage.%n",
                    (System.nanoTime() - start) / 1e9);
        }
        return 0;
    }

    @Option(names = "--smen-steps", description = "SMEN training steps (default: ${DEFAULT-VALUE}; --quick uses 40).", defaultValue = "200")
    int smenSteps;

    /** Stage 2: trains SMEN on the BoI rows, encodes every user, and explains one user's anchors. */
    private void smen(PrintStream out, SyntheticData data, BagOfInterests boi, BoiSet rows, int nThreads) {
        int steps = quick ? Math.min(smenSteps, 40) : smenSteps;
        org.lurm.smen.SmenConfig d = org.lurm.smen.SmenConfig.defaults();
        org.lurm.smen.SmenConfig cfg = new org.lurm.smen.SmenConfig(d.h(), d.anchors(), d.anchorDim(), d.recencyBuckets(), d.headHidden(), d.headOut(),
                d.tau(), d.diversityWeight(), d.learningRate(), d.beta1(), d.beta2(), d.eps(), Math.min(d.warmupSteps(), steps / 5), steps, 0,
                d.clipNorm(), Math.min(d.batchUsers(), Math.max(2, rows.numUsers() / 4)), d.heldOutFraction(), d.patience(), Math.max(10, steps / 8),
                d.periodCrop(), seed);
        out.println();
        out.printf(Locale.ROOT, "SMEN: M = %d anchors x d' = %d (a user is %d floats), h = %d, batch %d users, %d steps%n",
                cfg.anchors(), cfg.anchorDim(), cfg.outputWidth(), cfg.h(), cfg.batchUsers(), steps);
        double[] firstLast = {Double.NaN, Double.NaN};
        org.lurm.smen.SmenTrainer.Listener l = new org.lurm.smen.SmenTrainer.Listener() {
            @Override
            public void onStep(org.lurm.smen.SmenTrainer.StepInfo s) {
                if (Double.isNaN(firstLast[0])) firstLast[0] = s.loss().total();
                firstLast[1] = s.loss().total();
                if (s.step() % Math.max(1, steps / 10) == 0 || s.step() == s.totalSteps()) {
                    System.err.printf(Locale.ROOT, "\r  training  step %d/%d  loss %.3f  %.0f users/s  eta %.0f s   ", s.step(), s.totalSteps(),
                            s.loss().total(), s.usersPerSecond(), s.etaSeconds());
                }
            }
        };
        try (org.lurm.backend.cpu.Parallel par = new org.lurm.backend.cpu.Parallel(nThreads); MemoryScope scope = MemoryScope.root("demo-smen")) {
            long t0 = System.nanoTime();
            org.lurm.smen.Smen smen = org.lurm.smen.Smen.train(rows, boi.interests().centroids(), boi.embeddings().dim(), cfg, par, l, null, 0);
            long t1 = System.nanoTime();
            System.err.println();
            var tr = smen.training();
            out.printf(Locale.ROOT, "  train     %8.2f s  %d steps, contrastive loss %.3f -> %.3f, best held-out loss %.3f (%d training, %d held-out users)%n",
                    (t1 - t0) / 1e9, tr.steps(), firstLast[0], firstLast[1], tr.bestHeldOutLoss(), tr.trainUsers(), tr.heldOutUsers());
            long t2 = System.nanoTime();
            org.lurm.memory.F32Array z = smen.encode(rows, par, scope);
            long t3 = System.nanoTime();
            out.printf(Locale.ROOT, "  encode    %8.2f s  %,d users x %d floats (%,.0f users/s)%n", (t3 - t2) / 1e9, z.length() / smen.width(), smen.width(),
                    (z.length() / smen.width()) / ((t3 - t2) / 1e9));
            int user = 0;
            for (int u = 0; u < rows.numUsers(); u++) if (rows.userRowStart(u + 1) - rows.userRowStart(u) > rows.userRowStart(user + 1) - rows.userRowStart(user)) user = u;
            out.printf("  what the anchors of user %s picked (interest: weight):%n", data.events().users().id(user));
            for (var pick : org.lurm.smen.SmenExplanation.explain(smen, rows, user, 3, par)) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < pick.interests().length; i++) sb.append(String.format(Locale.ROOT, " %d: %.2f", pick.interests()[i], pick.weights()[i]));
                out.printf("    anchor %d:%s%n", pick.anchor(), sb);
            }
        }
    }

    /** Share of present items whose interest's majority planted topic is their own topic. */
    static double purity(InterestModel im, PlantedTruth truth) {
        return purity(im, topicsOf(truth, im), truth.numTopics());
    }

    /** Expected purity of the same clusters under a random assignment of topics to items (one fixed shuffle). */
    static double randomPurity(InterestModel im, PlantedTruth truth) {
        int[] topics = topicsOf(truth, im);
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        for (int i = topics.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int x = topics[i];
            topics[i] = topics[j];
            topics[j] = x;
        }
        return purity(im, topics, truth.numTopics());
    }

    private static int[] topicsOf(PlantedTruth truth, InterestModel im) {
        int[] topics = new int[Math.min(im.numItems(), truth.numItems())];
        for (int i = 0; i < topics.length; i++) topics[i] = truth.itemTopic(i);
        return topics;
    }

    private static double purity(InterestModel im, int[] itemTopic, int numTopics) {
        int[][] counts = new int[im.numInterests()][numTopics];
        int n = 0;
        for (int i = 0; i < itemTopic.length; i++) {
            int c = im.interestOf(i);
            if (c < 0) continue;
            counts[c][itemTopic[i]]++;
            n++;
        }
        long good = 0;
        for (int[] row : counts) {
            int m = 0;
            for (int v : row) m = Math.max(m, v);
            good += m;
        }
        return n == 0 ? 0 : good / (double) n;
    }

    /** Times one step and prints its line. */
    private static final class Step {
        private final PrintStream out;
        private String name;
        long lastNanos;

        Step(PrintStream out) {
            this.out = out;
        }

        <T> T run(String stepName, java.util.function.Supplier<T> body) {
            name = stepName;
            long t0 = System.nanoTime();
            T r = body.get();
            lastNanos = System.nanoTime() - t0;
            return r;
        }

        void done(String summary) {
            out.printf(Locale.ROOT, "  %-9s %8.2f s  %s%n", name, lastNanos / 1e9, summary);
        }
    }
}
