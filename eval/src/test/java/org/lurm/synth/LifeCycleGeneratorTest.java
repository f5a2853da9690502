package org.lurm.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.backend.cpu.Parallel;
import org.lurm.events.EventTable;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

class LifeCycleGeneratorTest {
    private static final long DAY = 86_400L;

    private static SyntheticData generate(LifeCycleConfig c, MemoryScope scope, int threads) {
        try (Parallel p = new Parallel(threads)) {
            return new LifeCycleGenerator(c).generate(scope, p);
        }
    }

    /** A mid-sized world: enough users and events for statistics, small enough for a shared 2-core machine. */
    private static LifeCycleConfig.Builder medium(long seed) {
        return LifeCycleConfig.demo().toBuilder().users(1_500).items(1_200).topics(24).meanEventsPerUser(80).seed(seed);
    }

    // ---------------------------------------------------------------- determinism

    @Test
    void sameSeedGivesIdenticalOutputOnAnyThreadCount() {
        long seed = TestData.seed("sameSeedGivesIdenticalOutputOnAnyThreadCount");
        for (EventOrder order : EventOrder.values()) {
            LifeCycleConfig c = LifeCycleConfig.tiny().toBuilder().seed(seed).order(order).build();
            try (MemoryScope s = MemoryScope.root("det")) {
                SyntheticData a = generate(c, s, 1);
                SyntheticData b = generate(c, s, 3);
                assertSameData(a, b, order.name());
            }
        }
    }

    @Test
    void differentSeedGivesDifferentOutput() {
        long seed = TestData.seed("differentSeedGivesDifferentOutput");
        try (MemoryScope s = MemoryScope.root("seeds")) {
            SyntheticData a = generate(LifeCycleConfig.tiny().toBuilder().seed(seed).build(), s, 2);
            SyntheticData b = generate(LifeCycleConfig.tiny().toBuilder().seed(seed + 1).build(), s, 2);
            long n = Math.min(a.events().size(), b.events().size());
            int sameItem = 0, sameTime = 0;
            for (long i = 0; i < n; i++) {
                if (a.events().item(i) == b.events().item(i)) sameItem++;
                if (a.events().timestamp(i) == b.events().timestamp(i)) sameTime++;
            }
            // unrelated streams agree on an item by chance only (well under 10% with hundreds of items)
            assertTrue(sameItem < 0.1 * n, "items agree on " + sameItem + " of " + n + " events");
            assertTrue(sameTime < 0.01 * n, "timestamps agree on " + sameTime + " of " + n + " events");
            int sameTopic = 0;
            for (int i = 0; i < a.truth().numItems(); i++) if (a.truth().itemTopic(i) == b.truth().itemTopic(i)) sameTopic++;
            assertTrue(sameTopic < 0.4 * a.truth().numItems(), "item topics agree on " + sameTopic);
            assertFalse(a.catalog().title(0).equals(b.catalog().title(0)) && a.catalog().title(1).equals(b.catalog().title(1)));
        }
    }

    private static void assertSameData(SyntheticData a, SyntheticData b, String what) {
        EventTable x = a.events(), y = b.events();
        assertEquals(x.size(), y.size(), what);
        assertArrayEquals(x.userColumn().toArray(), y.userColumn().toArray(), what + " users");
        assertArrayEquals(x.itemColumn().toArray(), y.itemColumn().toArray(), what + " items");
        assertArrayEquals(x.timestampColumn().toArray(), y.timestampColumn().toArray(), what + " timestamps");
        assertArrayEquals(x.weightColumn().toArray(), y.weightColumn().toArray(), what + " weights");
        assertArrayEquals(x.typeColumn().toArray(), y.typeColumn().toArray(), what + " types");
        assertEquals(x.users().ids(), y.users().ids());
        assertEquals(x.items().ids(), y.items().ids());
        assertEquals(x.types().ids(), y.types().ids());
        for (int i = 0; i < x.numItems(); i++) {
            assertEquals(a.catalog().title(i), b.catalog().title(i));
            assertEquals(a.catalog().categories(i), b.catalog().categories(i));
            assertEquals(a.truth().itemTopic(i), b.truth().itemTopic(i));
            assertEquals(a.truth().itemRank(i), b.truth().itemRank(i));
            assertEquals(a.truth().itemSecondTopic(i), b.truth().itemSecondTopic(i));
        }
        assertEquals(a.attributes().columnNames(), b.attributes().columnNames());
        for (int u = 0; u < x.numUsers(); u++) {
            for (String col : a.attributes().columnNames()) assertEquals(a.attributes().get(u, col), b.attributes().get(u, col));
            assertEquals(a.truth().registration(u), b.truth().registration(u));
            assertEquals(a.truth().activeUntil(u), b.truth().activeUntil(u));
        }
        assertArrayEquals(a.truth().mixtureStartArray().toArray(), b.truth().mixtureStartArray().toArray());
        assertArrayEquals(a.truth().mixtureEndArray().toArray(), b.truth().mixtureEndArray().toArray());
    }

    // ---------------------------------------------------------------- structure and order

    @Test
    void eventsAreGroupedByUserSortedByTimeAndInsideEachLife() {
        long seed = TestData.seed("eventsAreGroupedByUserSortedByTimeAndInsideEachLife");
        LifeCycleConfig c = LifeCycleConfig.tiny().toBuilder().seed(seed).minEventsPerUser(3).build();
        try (MemoryScope s = MemoryScope.root("order")) {
            SyntheticData d = generate(c, s, 2);
            EventTable ev = d.events();
            PlantedTruth truth = d.truth();
            assertEquals(c.users(), ev.numUsers());
            assertEquals(c.items(), ev.numItems());
            assertEquals(c.behaviourTypes().size(), ev.types().size());
            int[] seen = new int[c.users()];
            long total = 0;
            for (int u = 0; u < c.users(); u++) {
                assertTrue(truth.eventCount(u) >= 3 && truth.eventCount(u) <= c.maxEventsPerUser());
                assertTrue(truth.registration(u) >= c.startEpochSecond() && truth.activeUntil(u) < c.endEpochSecond());
                assertTrue(truth.activeUntil(u) >= truth.registration(u));
                total += truth.eventCount(u);
            }
            assertEquals(total, ev.size());
            for (long i = 0; i < ev.size(); i++) {
                int u = ev.user(i);
                long t = ev.timestamp(i);
                if (i > 0) {
                    int pu = ev.user(i - 1);
                    assertTrue(pu < u || (pu == u && ev.timestamp(i - 1) <= t), "event " + i + " out of (user, time) order");
                }
                if (i == 0 || ev.user(i - 1) != u) assertEquals(truth.registration(u), t, "first event of user " + u + " is at registration");
                assertTrue(t >= truth.registration(u) && t <= truth.activeUntil(u), "event " + i + " outside the life of user " + u);
                assertTrue(t >= c.startEpochSecond() && t < c.endEpochSecond(), "event " + i + " outside the window");
                int type = ev.type(i);
                assertEquals(c.behaviourTypes().get(type).weight(), ev.weight(i), "weight of event " + i + " is its type's");
                assertTrue(ev.item(i) >= 0 && ev.item(i) < c.items());
                seen[u]++;
            }
            for (int u = 0; u < c.users(); u++) assertEquals(truth.eventCount(u), seen[u], "events of user " + u);
        }
    }

    @Test
    void timeAndShuffledOrdersPermuteTheSameEvents() {
        long seed = TestData.seed("timeAndShuffledOrdersPermuteTheSameEvents");
        LifeCycleConfig c = LifeCycleConfig.tiny().toBuilder().seed(seed).build();
        try (MemoryScope s = MemoryScope.root("orders")) {
            long[] base = tuples(generate(c, s, 2).events());
            EventTable byTime = generate(c.toBuilder().order(EventOrder.TIME).build(), s, 2).events();
            EventTable shuffled = generate(c.toBuilder().order(EventOrder.SHUFFLED).build(), s, 2).events();
            for (long i = 1; i < byTime.size(); i++) {
                assertTrue(byTime.timestamp(i - 1) <= byTime.timestamp(i), "TIME order broken at " + i);
            }
            long[] bt = tuples(byTime), sh = tuples(shuffled);
            Arrays.sort(base);
            Arrays.sort(bt);
            Arrays.sort(sh);
            assertArrayEquals(base, bt, "TIME order is a permutation of the events");
            assertArrayEquals(base, sh, "SHUFFLED order is a permutation of the events");
            long userBreaks = 0, timeBreaks = 0;
            for (long i = 1; i < shuffled.size(); i++) {
                if (shuffled.user(i) < shuffled.user(i - 1)) userBreaks++;
                if (shuffled.timestamp(i) < shuffled.timestamp(i - 1)) timeBreaks++;
            }
            // a random order descends about half the time in both keys
            assertTrue(userBreaks > 0.4 * shuffled.size() && timeBreaks > 0.4 * shuffled.size(),
                    "shuffled order looks sorted: " + userBreaks + " / " + timeBreaks + " descents in " + shuffled.size());
        }
    }

    /** One long per event, unique enough to compare multisets: hash of (user, item, time, type, weight). */
    private static long[] tuples(EventTable ev) {
        long[] t = new long[Math.toIntExact(ev.size())];
        for (int i = 0; i < t.length; i++) {
            long h = ev.user(i);
            h = h * 1_000_003L + ev.item(i);
            h = h * 1_000_003L + ev.timestamp(i);
            h = h * 31 + ev.type(i);
            h = h * 31 + Float.floatToIntBits(ev.weight(i));
            t[i] = h;
        }
        return t;
    }

    // ---------------------------------------------------------------- distributions

    @Test
    void itemsFollowZipfWithinTopics() {
        long seed = TestData.seed("itemsFollowZipfWithinTopics");
        for (double s : new double[] {0.8, 1.2}) {
            // no second topics: then an item's count given its topic's count is exactly multinomial
            LifeCycleConfig c = medium(seed).zipfExponent(s).multiTopicRate(0).build();
            try (MemoryScope scope = MemoryScope.root("zipf")) {
                SyntheticData d = generate(c, scope, 2);
                PlantedTruth truth = d.truth();
                long[] itemCount = new long[c.items()];
                for (long i = 0; i < d.events().size(); i++) itemCount[d.events().item(i)]++;
                long[] topicCount = new long[c.topics()];
                for (int i = 0; i < c.items(); i++) topicCount[truth.itemTopic(i)] += itemCount[i];
                double[] harmonic = new double[c.topics()];
                for (int t = 0; t < c.topics(); t++) for (int r = 1; r <= truth.topicSize(t); r++) harmonic[t] += Math.pow(r, -s);

                // chi-square against the exact Zipf probabilities; cells with expectation < 5 pooled per topic
                double chi2 = 0;
                int df = 0;
                double[] poolE = new double[c.topics()];
                long[] poolO = new long[c.topics()];
                for (int i = 0; i < c.items(); i++) {
                    int t = truth.itemTopic(i);
                    double e = topicCount[t] * Math.pow(truth.itemRank(i), -s) / harmonic[t];
                    if (e >= 5) {
                        chi2 += (itemCount[i] - e) * (itemCount[i] - e) / e;
                        df++;
                    } else {
                        poolE[t] += e;
                        poolO[t] += itemCount[i];
                    }
                }
                for (int t = 0; t < c.topics(); t++) {
                    if (poolE[t] > 0) {
                        chi2 += (poolO[t] - poolE[t]) * (poolO[t] - poolE[t]) / poolE[t];
                        df++;
                    }
                }
                df -= c.topics(); // one constraint per topic: its counts sum to its total
                assertTrue(chi2 < df + 6 * Math.sqrt(2.0 * df), "s=" + s + ": chi2 " + chi2 + " with " + df + " df");

                // log-log slope of count against rank, pooled over topics (ranks every topic has)
                int minSize = Integer.MAX_VALUE;
                for (int t = 0; t < c.topics(); t++) minSize = Math.min(minSize, truth.topicSize(t));
                double[] byRank = new double[minSize + 1];
                for (int i = 0; i < c.items(); i++) if (truth.itemRank(i) <= minSize) byRank[truth.itemRank(i)] += itemCount[i];
                double slope = slope(byRank, 1, minSize);
                System.out.printf(Locale.ROOT, "zipf s=%.2f: pooled log-log slope %.3f, chi2 %.1f / %d df%n", s, slope, chi2, df);
                assertEquals(-s, slope, 0.12, "log-log slope of item counts against rank");
            }
        }
    }

    @Test
    void globalItemPopularityIsRoughlyZipf() {
        long seed = TestData.seed("globalItemPopularityIsRoughlyZipf");
        LifeCycleConfig c = medium(seed).build(); // with second topics and unequal topic popularity
        try (MemoryScope scope = MemoryScope.root("zipf-global")) {
            SyntheticData d = generate(c, scope, 2);
            long[] itemCount = new long[c.items()];
            for (long i = 0; i < d.events().size(); i++) itemCount[d.events().item(i)]++;
            Arrays.sort(itemCount);
            double[] desc = new double[c.items() + 1];
            for (int r = 1; r <= c.items(); r++) desc[r] = itemCount[c.items() - r];
            // ranks beyond the number of topics (each topic has its own head) and before the sparse tail
            double slope = slope(desc, 2 * c.topics(), c.items() / 4);
            System.out.printf(Locale.ROOT, "global rank-frequency slope %.3f (zipfExponent %.2f)%n", slope, c.zipfExponent());
            assertEquals(-c.zipfExponent(), slope, 0.3);
        }
    }

    /** Least-squares slope of log(y[r]) on log(r) over r in [lo, hi] with y[r] > 0. */
    private static double slope(double[] y, int lo, int hi) {
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        int n = 0;
        for (int r = lo; r <= hi; r++) {
            if (y[r] <= 0) continue;
            double lx = Math.log(r), ly = Math.log(y[r]);
            sx += lx;
            sy += ly;
            sxx += lx * lx;
            sxy += lx * ly;
            n++;
        }
        return (n * sxy - sx * sy) / (n * sxx - sx * sx);
    }

    @Test
    void activityIsHeavyTailed() {
        long seed = TestData.seed("activityIsHeavyTailed");
        try (MemoryScope scope = MemoryScope.root("activity")) {
            for (double sigma : new double[] {0, 1.2}) {
                LifeCycleConfig c = medium(seed).users(4_000).meanEventsPerUser(30).activitySigma(sigma).build();
                SyntheticData d = generate(c, scope, 2);
                int n = c.users();
                double[] logs = new double[n];
                long[] counts = new long[n];
                for (int u = 0; u < n; u++) {
                    counts[u] = d.truth().eventCount(u);
                    logs[u] = Math.log(counts[u]);
                }
                double mean = Arrays.stream(logs).average().orElseThrow();
                double sd = Math.sqrt(Arrays.stream(logs).map(x -> (x - mean) * (x - mean)).sum() / (n - 1));
                Arrays.sort(counts);
                long top = 0, all = 0;
                for (int u = 0; u < n; u++) {
                    all += counts[u];
                    if (u >= n - n / 10) top += counts[u];
                }
                double topShare = (double) top / all;
                System.out.printf(Locale.ROOT, "activity sigma %.1f: sd(log n) %.3f, top-decile share %.3f, mean %.1f%n",
                        sigma, sd, topShare, (double) all / n);
                // log-normal: the mean is the configured one, sd(log n) is sigma (rounding adds a little at small n)
                assertEquals(c.meanEventsPerUser(), (double) all / n, 0.1 * c.meanEventsPerUser());
                if (sigma == 0) {
                    assertEquals(0, sd, 1e-12);
                    assertEquals(0.1, topShare, 1e-3);
                } else {
                    assertEquals(sigma, sd, 0.1 * sigma);
                    // the top decile of a log-normal holds Phi(sigma - 1.2816) of the mass: 0.47 for sigma 1.2
                    // (against 0.1 without spread); clamping and rounding take a little off
                    assertTrue(topShare > 0.38, "top 10% of users hold only " + topShare + " of the events");
                }
            }
        }
    }

    @Test
    void usersSpanManyPeriodsInBursts() {
        long seed = TestData.seed("usersSpanManyPeriodsInBursts");
        try (MemoryScope scope = MemoryScope.root("periods")) {
            double[] medianCv = new double[2];
            double[] burstiness = {0, 2};
            for (int k = 0; k < 2; k++) {
                LifeCycleConfig c = medium(seed).burstiness(burstiness[k]).build();
                SyntheticData d = generate(c, scope, 2);
                EventTable ev = d.events();
                int[] p30 = new int[c.users()], p365 = new int[c.users()];
                List<Double> cvs = new ArrayList<>();
                long i = 0;
                while (i < ev.size()) {
                    int u = ev.user(i);
                    long end = i;
                    long last30 = Long.MIN_VALUE, last365 = Long.MIN_VALUE;
                    double gs = 0, gss = 0;
                    int gaps = 0;
                    for (; end < ev.size() && ev.user(end) == u; end++) {
                        long t = ev.timestamp(end);
                        long a = Math.floorDiv(t, 30 * DAY), b = Math.floorDiv(t, 365 * DAY);
                        if (a != last30) p30[u]++;
                        if (b != last365) p365[u]++;
                        last30 = a;
                        last365 = b;
                        if (end > i) {
                            long g = t - ev.timestamp(end - 1);
                            if (g > 6 * 3600) { // between sessions, not within one
                                gs += g;
                                gss += (double) g * g;
                                gaps++;
                            }
                        }
                    }
                    if (gaps >= 20) {
                        double m = gs / gaps;
                        cvs.add(Math.sqrt(gss / gaps - m * m) / m);
                    }
                    i = end;
                }
                int[] s30 = p30.clone(), s365 = p365.clone();
                Arrays.sort(s30);
                Arrays.sort(s365);
                double[] cv = cvs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
                medianCv[k] = cv[cv.length / 2];
                double multiYear = Arrays.stream(p365).filter(x -> x >= 2).count() / (double) c.users();
                System.out.printf(Locale.ROOT, "burstiness %.1f: median distinct 30-day periods %d, users in >= 2 365-day periods %.3f, median gap CV %.2f (%d users)%n",
                        burstiness[k], s30[c.users() / 2], multiYear, medianCv[k], cv.length);
                assertTrue(s30[c.users() / 2] >= 4, "median user is active in only " + s30[c.users() / 2] + " 30-day periods");
                assertTrue(multiYear > 0.5, "only " + multiYear + " of the users are active in two or more 365-day periods");
            }
            // Poisson-like sessions have gaps with CV near 1; bursts make gaps far more variable
            assertEquals(1.0, medianCv[0], 0.2);
            assertTrue(medianCv[1] > 1.6, "burstiness 2 gives median gap CV " + medianCv[1]);
        }
    }

    @Test
    void behaviourTypesFollowTheirProbabilities() {
        long seed = TestData.seed("behaviourTypesFollowTheirProbabilities");
        List<BehaviourType> types = List.of(new BehaviourType("click", 0.6, 1f), new BehaviourType("cart", 0.3, 2.5f),
                new BehaviourType("buy", 0.1, 5f));
        LifeCycleConfig c = medium(seed).behaviourTypes(types).build();
        try (MemoryScope scope = MemoryScope.root("types")) {
            EventTable ev = generate(c, scope, 2).events();
            long[] n = new long[3];
            for (long i = 0; i < ev.size(); i++) n[ev.type(i)]++;
            assertEquals(List.of("click", "cart", "buy"), ev.types().ids());
            for (int k = 0; k < 3; k++) {
                double p = types.get(k).probability();
                assertEquals(p * ev.size(), n[k], 5 * Math.sqrt(ev.size() * p * (1 - p)), "count of type " + types.get(k).name());
            }
        }
    }

    @Test
    void userMixturesAreDirichletWithTheConfiguredConcentration() {
        long seed = TestData.seed("userMixturesAreDirichletWithTheConfiguredConcentration");
        LifeCycleConfig c = medium(seed).users(5_000).meanEventsPerUser(2).topicConcentration(0.25).build();
        try (MemoryScope scope = MemoryScope.root("dirichlet")) {
            PlantedTruth truth = generate(c, scope, 2).truth();
            int nT = c.topics();
            double a0 = 0;
            for (int t = 0; t < nT; t++) a0 += truth.topicConcentration(t);
            assertEquals(c.topicConcentration() * nT, a0, 1e-9, "mean Dirichlet parameter per topic");
            for (int t = 0; t < nT; t++) {
                double at = truth.topicConcentration(t);
                double sum = 0, rowSum = 0;
                for (int u = 0; u < c.users(); u++) sum += truth.mixtureStart(u, t);
                double var = at * (a0 - at) / (a0 * a0 * (a0 + 1));
                assertEquals(at / a0, sum / c.users(), 6 * Math.sqrt(var / c.users()), "mean start share of topic " + t);
            }
            for (int u = 0; u < c.users(); u++) {
                double s1 = 0, s2 = 0;
                for (int t = 0; t < nT; t++) {
                    s1 += truth.mixtureStart(u, t);
                    s2 += truth.mixtureEnd(u, t);
                }
                assertEquals(1, s1, 1e-5);
                assertEquals(1, s2, 1e-5);
            }
        }
    }

    // ---------------------------------------------------------------- drift

    @Test
    void driftMovesEarlyVersusLateTopicsAsConfigured() {
        long seed = TestData.seed("driftMovesEarlyVersusLateTopicsAsConfigured");
        double[] drifts = {0, 0.5, 1};
        // no second topics: an item's topic is then the topic it was drawn for (second topics blur the shares)
        LifeCycleConfig.Builder b = medium(seed).users(1_200).topics(12).meanEventsPerUser(150).minEventsPerUser(40)
                .topicConcentration(0.3).multiTopicRate(0);
        try (MemoryScope scope = MemoryScope.root("drift")) {
            SyntheticData full = generate(b.drift(1).build(), scope, 2);
            PlantedTruth ref = full.truth();
            int nT = ref.numTopics();
            double[] spread = new double[drifts.length];
            for (int k = 0; k < drifts.length; k++) {
                double drift = drifts[k];
                SyntheticData d = generate(b.drift(drift).build(), scope, 2);
                PlantedTruth truth = d.truth();
                // the mixture draws do not depend on drift: start is shared, end moves linearly along end(1) - start
                for (int u = 0; u < 50; u++) {
                    for (int t = 0; t < nT; t++) {
                        assertEquals(ref.mixtureStart(u, t), truth.mixtureStart(u, t), 0f);
                        double dir = ref.mixtureEnd(u, t) - ref.mixtureStart(u, t);
                        assertEquals(truth.mixtureStart(u, t) + drift * dir, truth.mixtureEnd(u, t), 1e-6);
                    }
                }
                double[] fit = driftSlope(d.events(), truth, ref);
                spread[k] = fit[1];
                System.out.printf(Locale.ROOT, "drift %.1f: regression of late-minus-early topic shares on the planted direction %.3f,"
                        + " mean squared late-minus-early %.5f%n", drift, fit[0], fit[1]);
                assertEquals(drift, fit[0], 0.12, "observed drift against configured drift");
            }
            // Without a direction: E||late - early||^2 = noise + drift^2 * signal. Drift 0 measures the noise alone,
            // drift 1 adds the whole signal, and drift 0.5 must add a quarter of it.
            double noise = spread[0], signal = spread[2] - spread[0];
            assertTrue(signal > 0.5 * noise, "drift 1 barely moves the topics: " + Arrays.toString(spread));
            assertEquals(noise + 0.25 * signal, spread[1], 0.25 * signal, "drift 0.5: " + Arrays.toString(spread));
        }
    }

    /**
     * For each user, topic shares in the first and second half of the life; regresses (late - early) on the
     * change the model predicts for drift 1, (mean f late - mean f early) * (end(1) - start): the slope is the
     * drift that the events show. Returns {slope, mean over users of the squared norm of late - early}.
     */
    private static double[] driftSlope(EventTable ev, PlantedTruth truth, PlantedTruth fullDrift) {
        int nT = truth.numTopics();
        double[] early = new double[nT], late = new double[nT];
        double num = 0, den = 0, sq = 0;
        int users = 0;
        long i = 0;
        while (i < ev.size()) {
            int u = ev.user(i);
            Arrays.fill(early, 0);
            Arrays.fill(late, 0);
            int ne = 0, nl = 0;
            double fe = 0, fl = 0;
            for (; i < ev.size() && ev.user(i) == u; i++) {
                double f = truth.lifeFraction(u, ev.timestamp(i));
                int t = truth.itemTopic(ev.item(i));
                if (f < 0.5) {
                    early[t]++;
                    ne++;
                    fe += f;
                } else {
                    late[t]++;
                    nl++;
                    fl += f;
                }
            }
            if (ne < 10 || nl < 10) continue;
            double df = fl / nl - fe / ne;
            for (int t = 0; t < nT; t++) {
                double obs = late[t] / nl - early[t] / ne;
                double pred = df * (fullDrift.mixtureEnd(u, t) - fullDrift.mixtureStart(u, t));
                num += obs * pred;
                den += pred * pred;
                sq += obs * obs;
            }
            users++;
        }
        return new double[] {num / den, sq / users};
    }

    // ---------------------------------------------------------------- attributes

    @Test
    void noiseFreeAttributesFollowTheDocumentedRules() {
        long seed = TestData.seed("noiseFreeAttributesFollowTheDocumentedRules");
        LifeCycleConfig c = medium(seed).users(2_000).meanEventsPerUser(3).attributeNoise(0).build();
        try (MemoryScope scope = MemoryScope.root("rules")) {
            SyntheticData d = generate(c, scope, 2);
            PlantedTruth truth = d.truth();
            int n = c.users(), nT = c.topics();
            assertEquals(c.segmentTopicCount(), (int) java.util.stream.IntStream.range(0, nT).filter(truth::isSegmentTopic).count());
            double[] avg = new double[n];
            for (int u = 0; u < n; u++) {
                double s = 0, e = 0;
                for (int t = 0; t < nT; t++) {
                    if (truth.isSegmentTopic(t)) {
                        s += truth.mixtureStart(u, t);
                        e += truth.mixtureEnd(u, t);
                    }
                }
                avg[u] = 0.5 * (s + e);
                String drift = e > s ? "up" : e < s ? "down" : null;
                if (drift != null) assertEquals(drift, d.attributes().get(u, LifeCycleGenerator.DRIFT_DIRECTION), "drift of user " + u);
                double[] group = new double[c.topicGroups()];
                for (int t = 0; t < nT; t++) group[t % c.topicGroups()] += 0.5 * ((double) truth.mixtureStart(u, t) + truth.mixtureEnd(u, t));
                int best = 0;
                for (int g = 1; g < group.length; g++) if (group[g] > group[best]) best = g;
                assertEquals(truth.ageGroupLabels().get(best), d.attributes().get(u, LifeCycleGenerator.AGE_GROUP), "age group of user " + u);
            }
            double[] sorted = avg.clone();
            Arrays.sort(sorted);
            double median = 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
            assertEquals(median, truth.segmentThreshold(), 0.0);
            for (int u = 0; u < n; u++) {
                assertEquals(avg[u] > median ? "high" : "low", d.attributes().get(u, LifeCycleGenerator.SEGMENT), "segment of user " + u);
            }
            assertEquals(n / 2, d.attributes().counts(LifeCycleGenerator.SEGMENT).get("high"), 1, "segment is balanced by construction");
            for (String col : List.of(LifeCycleGenerator.SEGMENT, LifeCycleGenerator.AGE_GROUP, LifeCycleGenerator.DRIFT_DIRECTION)) {
                for (int u = 0; u < n; u++) assertEquals(truth.noiseFreeLabel(u, col), d.attributes().get(u, col));
            }
        }
    }

    @Test
    void attributeNoiseReplacesTheConfiguredShareOfLabels() {
        long seed = TestData.seed("attributeNoiseReplacesTheConfiguredShareOfLabels");
        double noise = 0.3;
        LifeCycleConfig c = medium(seed).users(6_000).meanEventsPerUser(2).attributeNoise(noise).build();
        try (MemoryScope scope = MemoryScope.root("noise")) {
            SyntheticData d = generate(c, scope, 2);
            Map<String, Integer> classes = Map.of(LifeCycleGenerator.SEGMENT, 2, LifeCycleGenerator.AGE_GROUP, c.topicGroups(),
                    LifeCycleGenerator.DRIFT_DIRECTION, 2);
            for (var e : classes.entrySet()) {
                int wrong = 0;
                for (int u = 0; u < c.users(); u++) {
                    if (!d.truth().noiseFreeLabel(u, e.getKey()).equals(d.attributes().get(u, e.getKey()))) wrong++;
                }
                // a replaced label is uniform over the classes, so it is still right 1/C of the time
                double p = noise * (1 - 1.0 / e.getValue());
                assertEquals(p, (double) wrong / c.users(), 5 * Math.sqrt(p * (1 - p) / c.users()), e.getKey());
            }
        }
    }

    @Test
    void attributesArePredictableFromBehaviourUnlessPureNoise() {
        long seed = TestData.seed("attributesArePredictableFromBehaviourUnlessPureNoise");
        String[] cols = {LifeCycleGenerator.SEGMENT, LifeCycleGenerator.AGE_GROUP, LifeCycleGenerator.DRIFT_DIRECTION};
        for (double noise : new double[] {0, 1}) {
            LifeCycleConfig c = medium(seed).users(2_000).drift(0.8).attributeNoise(noise).minEventsPerUser(20).build();
            try (MemoryScope scope = MemoryScope.root("predict")) {
                SyntheticData d = generate(c, scope, 2);
                String[][] predicted = observedClassifier(d);
                int n = c.users();
                double[] acc = new double[3], kappa = new double[3];
                for (int k = 0; k < 3; k++) {
                    String[] truthLabels = new String[n];
                    for (int u = 0; u < n; u++) truthLabels[u] = d.attributes().get(u, cols[k]);
                    acc[k] = accuracy(predicted[k], truthLabels);
                    kappa[k] = kappa(predicted[k], truthLabels);
                }
                System.out.printf(Locale.ROOT, "noise %.0f: accuracy/kappa segment %.3f/%.3f, age_group %.3f/%.3f, drift_direction %.3f/%.3f%n",
                        noise, acc[0], kappa[0], acc[1], kappa[1], acc[2], kappa[2]);
                if (noise == 0) {
                    // Cohen's kappa: agreement beyond what the class frequencies give by chance (0 = chance, 1 = perfect)
                    assertTrue(kappa[0] > 0.5, "segment kappa " + kappa[0]);
                    assertTrue(kappa[1] > 0.4, "age_group kappa " + kappa[1]);
                    assertTrue(kappa[2] > 0.2, "drift_direction kappa " + kappa[2]);
                } else {
                    // labels are uniform and independent of behaviour: accuracy is exactly Binomial(n, 1/C) / n
                    double band = 5 * Math.sqrt(0.25 / n);
                    assertEquals(0.5, acc[0], band, "segment accuracy under pure noise");
                    double g = 1.0 / c.topicGroups();
                    assertEquals(g, acc[1], 5 * Math.sqrt(g * (1 - g) / n), "age_group accuracy under pure noise");
                    assertEquals(0.5, acc[2], band, "drift_direction accuracy under pure noise");
                }
            }
        }
    }

    private static double accuracy(String[] predicted, String[] actual) {
        int right = 0;
        for (int i = 0; i < actual.length; i++) if (predicted[i].equals(actual[i])) right++;
        return (double) right / actual.length;
    }

    /** Cohen's kappa: (accuracy - chance agreement) / (1 - chance agreement), chance from the marginals. */
    private static double kappa(String[] predicted, String[] actual) {
        Map<String, Integer> p = new HashMap<>(), a = new HashMap<>();
        for (int i = 0; i < actual.length; i++) {
            p.merge(predicted[i], 1, Integer::sum);
            a.merge(actual[i], 1, Integer::sum);
        }
        double n = actual.length, chance = 0;
        for (var e : p.entrySet()) chance += e.getValue() / n * a.getOrDefault(e.getKey(), 0) / n;
        return (accuracy(predicted, actual) - chance) / (1 - chance);
    }

    /**
     * Trivial classifiers that see only the events and the item topics: segment from the share of segment
     * topics (above its median), age group from the dominant topic group, drift direction from the segment
     * share in the second half of the life against the first.
     */
    private static String[][] observedClassifier(SyntheticData d) {
        EventTable ev = d.events();
        PlantedTruth truth = d.truth();
        int n = truth.numUsers(), groups = truth.ageGroupLabels().size();
        double[] share = new double[n];
        String[][] out = new String[3][n];
        double[] group = new double[groups];
        long i = 0;
        while (i < ev.size()) {
            int u = ev.user(i);
            Arrays.fill(group, 0);
            double seg = 0, segEarly = 0, segLate = 0;
            int cnt = 0, early = 0, late = 0;
            for (; i < ev.size() && ev.user(i) == u; i++) {
                int t = truth.itemTopic(ev.item(i));
                boolean s = truth.isSegmentTopic(t);
                group[truth.topicGroup(t)]++;
                cnt++;
                if (s) seg++;
                if (truth.lifeFraction(u, ev.timestamp(i)) < 0.5) {
                    early++;
                    if (s) segEarly++;
                } else {
                    late++;
                    if (s) segLate++;
                }
            }
            share[u] = seg / cnt;
            int best = 0;
            for (int g = 1; g < groups; g++) if (group[g] > group[best]) best = g;
            out[1][u] = truth.ageGroupLabels().get(best);
            out[2][u] = segLate / Math.max(1, late) > segEarly / Math.max(1, early) ? "up" : "down";
        }
        double[] sorted = share.clone();
        Arrays.sort(sorted);
        double median = sorted[n / 2];
        for (int u = 0; u < n; u++) out[0][u] = share[u] > median ? "high" : "low";
        return out;
    }

    // ---------------------------------------------------------------- catalogue

    @Test
    void itemTextSharesVocabularyWithinTopics() {
        long seed = TestData.seed("itemTextSharesVocabularyWithinTopics");
        LifeCycleConfig c = medium(seed).meanEventsPerUser(2).build();
        try (MemoryScope scope = MemoryScope.root("text")) {
            SyntheticData d = generate(c, scope, 2);
            PlantedTruth truth = d.truth();
            Set<String> shared = new HashSet<>(truth.sharedWords());
            Map<String, Integer> wordTopic = new HashMap<>();
            for (int t = 0; t < c.topics(); t++) {
                assertEquals(c.wordsPerTopic(), truth.vocabulary(t).size());
                for (String w : truth.vocabulary(t)) {
                    assertFalse(shared.contains(w), "topic word '" + w + "' is also shared");
                    Integer prev = wordTopic.put(w, t);
                    assertTrue(prev == null, "word '" + w + "' in topics " + prev + " and " + t);
                }
            }
            assertEquals(c.sharedWords(), shared.size());
            assertEquals(c.items(), d.catalog().entries());
            List<Set<String>> words = new ArrayList<>();
            for (int i = 0; i < c.items(); i++) {
                int t = truth.itemTopic(i), s2 = truth.itemSecondTopic(i);
                List<String> expectCats = s2 < 0 ? List.of(truth.topicNames().get(t)) : List.of(truth.topicNames().get(t), truth.topicNames().get(s2));
                assertEquals(expectCats, d.catalog().categories(i), "categories of item " + i);
                Set<String> ws = new HashSet<>();
                int own = 0;
                for (String w : d.catalog().title(i).toLowerCase(Locale.ROOT).split(" ")) {
                    Integer wt = wordTopic.get(w);
                    assertTrue(shared.contains(w) || (wt != null && (wt == t || wt == s2)),
                            "title word '" + w + "' of item " + i + " belongs to neither its topics nor the shared words");
                    if (wt != null && wt == t) own++;
                    ws.add(w);
                }
                assertTrue(own >= 2, "item " + i + " has " + own + " words of its topic: " + d.catalog().title(i));
                words.add(ws);
            }
            SplittableRandom r = new SplittableRandom(seed);
            double same = 0, diff = 0;
            int nSame = 0, nDiff = 0;
            while (nSame < 3_000 || nDiff < 3_000) {
                int a = r.nextInt(c.items()), b = r.nextInt(c.items());
                if (a == b) continue;
                double j = jaccard(words.get(a), words.get(b));
                if (truth.itemTopic(a) == truth.itemTopic(b)) {
                    same += j;
                    nSame++;
                } else {
                    diff += j;
                    nDiff++;
                }
            }
            same /= nSame;
            diff /= nDiff;
            System.out.printf(Locale.ROOT, "title Jaccard: same topic %.4f, different topics %.4f%n", same, diff);
            assertTrue(same > 4 * diff, "same-topic Jaccard " + same + " not well above different-topic " + diff);
        }
    }

    private static double jaccard(Set<String> a, Set<String> b) {
        int inter = 0;
        for (String w : a) if (b.contains(w)) inter++;
        return (double) inter / (a.size() + b.size() - inter);
    }

    // ---------------------------------------------------------------- presets and errors

    @Test
    void presetsHaveTheAdvertisedSizes() {
        long seed = TestData.seed("presetsHaveTheAdvertisedSizes");
        try (MemoryScope scope = MemoryScope.root("presets")) {
            SyntheticData demo = generate(LifeCycleConfig.demo().toBuilder().seed(seed).build(), scope, 2);
            assertEquals(3_000, demo.events().numUsers());
            assertEquals(2_000, demo.events().numItems());
            assertEquals(300_000, demo.events().size(), 30_000, "demo has about 300k events");
            SyntheticData tiny = generate(LifeCycleConfig.tiny().toBuilder().seed(seed).build(), scope, 2);
            assertTrue(tiny.events().size() > 2_000 && tiny.events().size() < 20_000, "tiny has " + tiny.events().size() + " events");
        }
        LifeCycleConfig bench = LifeCycleConfig.bench();
        assertTrue(bench.users() * bench.meanEventsPerUser() >= 1e7, "bench expects at least 10^7 events");
    }

    /** The full bench preset (about 1.2 * 10^7 events): run with -Dlurm.synth.bench=true. */
    @Test
    void benchPresetHasTenMillionEvents() {
        assumeTrue(Boolean.getBoolean("lurm.synth.bench"), "set -Dlurm.synth.bench=true to generate the bench preset");
        try (MemoryScope scope = MemoryScope.root("bench")) {
            long t0 = System.nanoTime();
            SyntheticData d = LifeCycleGenerator.generate(LifeCycleConfig.bench(), scope);
            double sec = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "bench: %d events in %.2f s on %d threads%n", d.events().size(), sec, Runtime.getRuntime().availableProcessors());
            assertTrue(d.events().size() >= 10_000_000, "bench has " + d.events().size() + " events");
        }
    }

    @Test
    void oversizedConfigFailsBeforeAllocating() {
        LifeCycleConfig c = LifeCycleConfig.demo().toBuilder().users(100_000).meanEventsPerUser(50_000).activitySigma(0)
                .maxEventsPerUser(1_000_000).build();
        try (MemoryScope scope = MemoryScope.root("oversized")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> generate(c, scope, 2));
            assertTrue(e.getMessage().contains("meanEventsPerUser"), e.getMessage());
            assertEquals(0, scope.allocatedBytes(), "nothing allocated for a config that cannot be generated");
        }
    }

    @Test
    void closedScopeIsAClearError() {
        MemoryScope scope = MemoryScope.root("closed");
        scope.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> generate(LifeCycleConfig.tiny(), scope, 1));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
}
