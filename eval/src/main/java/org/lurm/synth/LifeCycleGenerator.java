package org.lurm.synth;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.lurm.backend.cpu.Parallel;
import org.lurm.events.EventTable;
import org.lurm.events.IdDictionary;
import org.lurm.events.ItemCatalog;
import org.lurm.events.UserAttributes;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.memory.MemoryScope;

/**
 * Synthetic full-life-cycle behaviour data with planted interests, drift and attributes: the data that tests,
 * benchmarks and {@code lurm demo} run on when no real log is at hand, and whose truth is known.
 *
 * <p><b>Model</b> (every knob is a {@link LifeCycleConfig} field):
 * <ul>
 *   <li><i>Topics and items.</i> Topic t has popularity w_t ~ Gamma(2) (normalised to mean 1) and belongs to
 *       group t mod topicGroups. Items are dealt at random into equal-sized topics; within a topic, member r
 *       (1-based rank) is drawn with probability proportional to r^-zipfExponent. With probability
 *       multiTopicRate an item also joins a second topic at a random rank.</li>
 *   <li><i>Users.</i> User u registers at a uniform time in the window, lives a log-normal span (cut at the
 *       window's end), and makes a log-normal number of events (clamped). Its topic mixture starts at
 *       theta_a ~ Dirichlet(alpha) with alpha_t = topicConcentration * w_t, and ends at
 *       (1 - drift) theta_a + drift theta_b for a second, independent draw theta_b; in between it moves
 *       linearly with the life fraction f.</li>
 *   <li><i>Sessions.</i> Events come in sessions of 1 + geometric length. The first session is at
 *       registration; session starts spread over the life with exponential gaps times a log-normal burst
 *       factor (burstiness), so activity has dense spells and long pauses and spans many 30-day periods and
 *       years. A session draws its topic from the mixture at its start; each later event of the session keeps
 *       it with probability sessionFocus, else draws afresh. Events in a session are an exponential gap apart.
 *       Each event draws its behaviour type independently; its weight is the type's weight.</li>
 *   <li><i>Attributes</i> (labels for evaluation; see {@link PlantedTruth#noiseFreeLabel}): {@value #SEGMENT}
 *       ("high"/"low": life-average share of a fixed random subset of topics above/below its median over
 *       users), {@value #AGE_GROUP} (the topic group with the largest life-average share) and
 *       {@value #DRIFT_DIRECTION} ("up"/"down": whether the segment topics' share grew from start to end of
 *       life). Each label is replaced by a uniformly random class with probability attributeNoise.</li>
 *   <li><i>Catalogue.</i> Every item gets a title of 2-3 words of its topic's vocabulary, one of its second
 *       topic's, and 0-2 shared words, and its topic name(s) as categories.</li>
 * </ul>
 *
 * <p><b>Determinism.</b> Each user draws from its own streams derived from (seed, purpose, user), the
 * catalogue from (seed, purpose, item), so the output is bit-identical for a seed whatever the thread count.
 *
 * <p><b>Cost.</b> O(events + users * topics + items log items); no allocation per event (samplers: alias
 * tables for items, CDF + binary search over topics for mixtures). Two parallel passes over users: draws,
 * then events written straight into the off-heap columns at precomputed offsets.
 *
 * <p><b>Ownership.</b> The event columns and the planted mixtures are allocated in the caller's
 * {@link MemoryScope} (24 bytes per event plus 8 bytes per user and topic); if generation fails, what was
 * allocated stays with that scope until it closes. Dictionaries, catalogue and attributes are on-heap; the
 * {@link EventOrder#TIME} and {@link EventOrder#SHUFFLED} orders also need heap temporaries of about 16 (TIME)
 * or 20 (SHUFFLED) bytes per event while they run.
 *
 * <p><b>Streaming.</b> {@link #stream()} generates the same users one range at a time (nothing per event kept
 * beyond a batch), for sets that do not fit in memory; {@code lurm generate} writes files that way.
 *
 * <p><b>Thread-safety.</b> Immutable; {@link #generate} may be called concurrently.
 */
public final class LifeCycleGenerator {
    /** Attribute column: "high" or "low" share of the segment topics. */
    public static final String SEGMENT = "segment";
    /** Attribute column: one class per topic group, tied to the dominant group. */
    public static final String AGE_GROUP = "age_group";
    /** Attribute column: "up" or "down", the direction in which the segment topics' share drifted. */
    public static final String DRIFT_DIRECTION = "drift_direction";
    static final List<String> SEGMENT_LABELS = List.of("low", "high");
    static final List<String> DRIFT_LABELS = List.of("down", "up");
    static final List<String> AGE_LABELS = List.of("18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+");
    /** Shape of the gamma draw of topic popularity: 2 gives topics that differ in size by a few times, not by orders. */
    static final double TOPIC_POPULARITY_SHAPE = 2.0;
    /** Most events one table holds (the BoI aggregation indexes events by int). */
    public static final long MAX_EVENTS = Integer.MAX_VALUE - 8;

    private final LifeCycleConfig config;

    public LifeCycleGenerator(LifeCycleConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    public LifeCycleConfig config() {
        return config;
    }

    /**
     * The same data one range of users at a time, for sets too large to hold whole: each user's events equal
     * those of {@link #generate} with {@link EventOrder#USER_TIME}, and the labels equal its attributes.
     */
    public LifeCycleStream stream() {
        return new LifeCycleStream(config);
    }

    /** Generates with {@code config} on all available processors. */
    public static SyntheticData generate(LifeCycleConfig config, MemoryScope scope) {
        return new LifeCycleGenerator(config).generate(scope);
    }

    /** Generates on all available processors; columns and mixtures are allocated in {@code scope}. */
    public SyntheticData generate(MemoryScope scope) {
        try (Parallel par = new Parallel(Runtime.getRuntime().availableProcessors())) {
            return generate(scope, par);
        }
    }

    /** Generates on the given pool; columns and mixtures are allocated in {@code scope}. */
    public SyntheticData generate(MemoryScope scope, Parallel par) {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(par, "par");
        final LifeCycleConfig c = config;
        final int nUsers = c.users(), nTopics = c.topics();
        final World world = new World(c);

        // Pass 0: event counts only, so that an oversized config fails before anything is allocated.
        final int[] count = new int[nUsers];
        par.forRange(nUsers, 1024, (chunk, lo, hi) -> {
            for (int u = (int) lo; u < hi; u++) count[u] = eventCount(c, Sampling.derive(c.seed(), Sampling.USER, u));
        });
        final long[] offset = new long[nUsers + 1];
        for (int u = 0; u < nUsers; u++) offset[u + 1] = offset[u] + count[u];
        long total = offset[nUsers];
        if (total > MAX_EVENTS) {
            throw new IllegalArgumentException("LifeCycleConfig would generate " + total + " events (" + nUsers + " users, mean "
                    + c.meanEventsPerUser() + "), more than " + MAX_EVENTS + " per table: lower users or meanEventsPerUser");
        }

        // Pass 1: per-user life, mixtures and what the attributes derive from.
        final long[] reg = new long[nUsers];
        final long[] until = new long[nUsers];
        final F32Array mixStart = scope.allocateF32((long) nUsers * nTopics);
        final F32Array mixEnd = scope.allocateF32((long) nUsers * nTopics);
        final double[] segAvg = new double[nUsers];
        final double[] segDelta = new double[nUsers];
        final int[] ageClean = new int[nUsers];
        par.forRange(nUsers, 64, (chunk, lo, hi) -> {
            UserDraws d = new UserDraws(c, world);
            for (int u = (int) lo; u < hi; u++) {
                d.draw(u);
                reg[u] = d.regT;
                until[u] = d.untilT;
                segAvg[u] = d.segAvg;
                segDelta[u] = d.segDelta;
                ageClean[u] = d.ageClean;
                long base = (long) u * nTopics;
                mixStart.copyFrom(d.rowS, 0, base, nTopics);
                mixEnd.copyFrom(d.rowE, 0, base, nTopics);
            }
        });

        // Pass 2: events, straight into the off-heap columns, chunks balanced by event count.
        final I32Array userCol = scope.allocateI32(total);
        final I32Array itemCol = scope.allocateI32(total);
        final I64Array timeCol = scope.allocateI64(total);
        final F32Array weightCol = scope.allocateF32(total);
        final I32Array typeCol = scope.allocateI32(total);
        final int nChunks = Math.max(1, Math.min(nUsers, par.threads() * 8));
        final int[] chunkUser = balancedChunks(offset, nUsers, nChunks);
        par.forRange(nChunks, nChunks, 1, (chunk, lo, hi) -> {
            EventWriter w = new EventWriter(c, world);
            float[] rowS = new float[nTopics], rowE = new float[nTopics];
            EventSink columns = (e, u, item, t, weight, type) -> {
                userCol.set(e, u);
                itemCol.set(e, item);
                timeCol.set(e, t);
                weightCol.set(e, weight);
                typeCol.set(e, type);
            };
            for (int k = (int) lo; k < hi; k++) {
                for (int u = chunkUser[k]; u < chunkUser[k + 1]; u++) {
                    long base = (long) u * nTopics;
                    mixStart.copyTo(base, rowS, 0, nTopics);
                    mixEnd.copyTo(base, rowE, 0, nTopics);
                    w.write(u, count[u], offset[u], reg[u], until[u], rowS, rowE, columns);
                }
            }
        });
        if (c.order() != EventOrder.USER_TIME) reorder(c, (int) total, userCol, itemCol, timeCol, weightCol, typeCol, par);

        // Dictionaries, catalogue and attributes.
        IdDictionary users = new IdDictionary(nUsers);
        for (int u = 0; u < nUsers; u++) users.add("u" + u);
        IdDictionary items = new IdDictionary(world.nItems);
        for (int i = 0; i < world.nItems; i++) items.add("i" + i);
        IdDictionary types = new IdDictionary(c.behaviourTypes().size());
        for (BehaviourType t : c.behaviourTypes()) types.add(t.name());
        ItemCatalog catalog = catalog(c, world, items);

        PlantedLabels labels = PlantedLabels.plant(c, world.nGroups, segAvg, segDelta, ageClean);
        UserAttributes attrs = new UserAttributes(users);
        for (int u = 0; u < nUsers; u++) {
            for (String a : PlantedLabels.ATTRIBUTES) attrs.put(u, a, labels.get(u, a));
        }

        EventTable events = new EventTable(userCol, itemCol, timeCol, weightCol, typeCol, users, items, types);
        PlantedTruth truth = new PlantedTruth(nUsers, nTopics, world.topicNames, world.topicGroup, world.alpha,
                world.segmentTopic, world.topicSize(), world.vocab.topicWords, world.vocab.sharedWords,
                world.itemTopic, world.itemRank, world.itemSecond, world.itemSecondRank, reg, until, count,
                mixStart, mixEnd, labels.threshold(), labels.ageClasses(), labels.segmentClean(), ageClean, labels.driftClean());
        return new SyntheticData(events, catalog, attrs, truth, c);
    }

    /** Events of a user: the first draw of its USER stream, log-normal with the configured mean, clamped. */
    static int eventCount(LifeCycleConfig c, SplittableRandom r) {
        double sigma = c.activitySigma();
        double mu = Math.log(c.meanEventsPerUser()) - 0.5 * sigma * sigma;
        double n = Math.rint(Math.exp(mu + sigma * r.nextGaussian()));
        return (int) Math.max(c.minEventsPerUser(), Math.min(c.maxEventsPerUser(), n));
    }

    /** Chunk boundaries over users so that each chunk has about the same number of events. */
    private static int[] balancedChunks(long[] offset, int nUsers, int nChunks) {
        int[] b = new int[nChunks + 1];
        long total = offset[nUsers];
        for (int k = 1; k < nChunks; k++) {
            long target = total * k / nChunks;
            int lo = b[k - 1], hi = nUsers;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (offset[mid] < target) lo = mid + 1;
                else hi = mid;
            }
            b[k] = lo;
        }
        b[nChunks] = nUsers;
        return b;
    }

    /** Applies EventOrder.TIME or SHUFFLED by one permutation gathered into every column. */
    private static void reorder(LifeCycleConfig c, int n, I32Array userCol, I32Array itemCol, I64Array timeCol,
                                F32Array weightCol, I32Array typeCol, Parallel par) {
        int[] perm = new int[n];
        long[] keys = null;
        if (c.order() == EventOrder.TIME) {
            // (time offset < 2^32, since years <= 100) << 31 | index < 2^31: one primitive sort, ties keep user order.
            keys = new long[n];
            long[] k = keys;
            long start = c.startEpochSecond();
            par.forRange(n, 1 << 16, (chunk, lo, hi) -> {
                for (long i = lo; i < hi; i++) k[(int) i] = ((timeCol.get(i) - start) << 31) | i;
            });
            Arrays.parallelSort(keys);
            for (int i = 0; i < n; i++) perm[i] = (int) (keys[i] & 0x7fffffffL);
        } else {
            for (int i = 0; i < n; i++) perm[i] = i;
            SplittableRandom r = Sampling.derive(c.seed(), Sampling.ORDER, 0);
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
        }
        int[] ti = new int[n];
        for (I32Array col : new I32Array[] {userCol, itemCol, typeCol}) {
            par.forRange(n, 1 << 16, (chunk, lo, hi) -> {
                for (int i = (int) lo; i < hi; i++) ti[i] = col.get(perm[i]);
            });
            col.copyFrom(ti, 0, 0, n);
        }
        float[] tf = new float[n];
        par.forRange(n, 1 << 16, (chunk, lo, hi) -> {
            for (int i = (int) lo; i < hi; i++) tf[i] = weightCol.get(perm[i]);
        });
        weightCol.copyFrom(tf, 0, 0, n);
        long[] tl = keys != null ? keys : new long[n]; // the sort keys are spent: reuse them
        par.forRange(n, 1 << 16, (chunk, lo, hi) -> {
            for (int i = (int) lo; i < hi; i++) tl[i] = timeCol.get(perm[i]);
        });
        timeCol.copyFrom(tl, 0, 0, n);
    }

    private static ItemCatalog catalog(LifeCycleConfig c, World w, IdDictionary items) {
        ItemCatalog cat = new ItemCatalog(items);
        List<List<String>> vocab = w.vocab.topicWords;
        List<String> shared = w.vocab.sharedWords;
        String[] words = new String[8];
        int[] picked = new int[3];
        StringBuilder sb = new StringBuilder(64);
        for (int i = 0; i < w.nItems; i++) {
            SplittableRandom r = Sampling.derive(c.seed(), Sampling.TITLES, i);
            List<String> own = vocab.get(w.itemTopic[i]);
            int nOwn = Math.min(own.size(), 2 + r.nextInt(2));
            int n = 0;
            for (int k = 0; k < nOwn; k++) {
                int p;
                boolean dup;
                do { // distinct words: a title does not repeat itself
                    p = r.nextInt(own.size());
                    dup = false;
                    for (int q = 0; q < k; q++) dup |= picked[q] == p;
                } while (dup);
                picked[k] = p;
                words[n++] = own.get(p);
            }
            int second = w.itemSecond[i];
            if (second >= 0) {
                List<String> sv = vocab.get(second);
                words[n++] = sv.get(r.nextInt(sv.size()));
            }
            int nShared = shared.isEmpty() ? 0 : r.nextInt(3);
            for (int k = 0; k < nShared; k++) {
                int pos = r.nextInt(n + 1); // shared words anywhere, like "the" or "of" in real titles
                System.arraycopy(words, pos, words, pos + 1, n - pos);
                words[pos] = shared.get(r.nextInt(shared.size()));
                n++;
            }
            sb.setLength(0);
            for (int k = 0; k < n; k++) {
                if (k > 0) sb.append(' ');
                sb.append(Character.toUpperCase(words[k].charAt(0))).append(words[k], 1, words[k].length());
            }
            List<String> cats = second >= 0 ? List.of(w.topicNames.get(w.itemTopic[i]), w.topicNames.get(second))
                    : List.of(w.topicNames.get(w.itemTopic[i]));
            cat.put(items.id(i), sb.toString(), cats);
        }
        return cat;
    }

    /** Everything shared by all users: topics, item membership, item samplers, vocabulary. Immutable once built. */
    static final class World {
        final int nTopics, nItems, nGroups;
        final double[] alpha;
        final int[] topicGroup;
        final boolean[] segmentTopic;
        final List<String> topicNames;
        final int[] itemTopic, itemRank, itemSecond, itemSecondRank;
        /** Members of topic t are memberItem[memberStart[t] .. memberStart[t+1]), most popular first. */
        final int[] memberStart, memberItem;
        final double[] aliasProb;
        final int[] aliasIdx;
        final Vocabulary vocab;

        World(LifeCycleConfig c) {
            nTopics = c.topics();
            nItems = c.items();
            nGroups = c.topicGroups();
            SplittableRandom r = Sampling.derive(c.seed(), Sampling.WORLD, 0);

            double[] pop = new double[nTopics];
            double sum = 0;
            for (int t = 0; t < nTopics; t++) {
                pop[t] = Math.exp(Sampling.logGamma(r, TOPIC_POPULARITY_SHAPE));
                sum += pop[t];
            }
            alpha = new double[nTopics];
            topicGroup = new int[nTopics];
            String[] names = new String[nTopics];
            int digits = Integer.toString(nTopics - 1).length();
            for (int t = 0; t < nTopics; t++) {
                alpha[t] = c.topicConcentration() * pop[t] * nTopics / sum;
                topicGroup[t] = t % nGroups;
                names[t] = "topic" + "0".repeat(digits - Integer.toString(t).length()) + t;
            }
            topicNames = List.of(names);

            segmentTopic = new boolean[nTopics];
            int[] idx = identity(nTopics);
            for (int i = 0; i < c.segmentTopicCount(); i++) {
                int j = i + r.nextInt(nTopics - i);
                int tmp = idx[i];
                idx[i] = idx[j];
                idx[j] = tmp;
                segmentTopic[idx[i]] = true;
            }

            // Deal a random permutation of items into equal blocks: rank is independent of the item index.
            int[] perm = identity(nItems);
            for (int i = nItems - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int tmp = perm[i];
                perm[i] = perm[j];
                perm[j] = tmp;
            }
            itemTopic = new int[nItems];
            int[] primarySlot = new int[nItems];
            int[] primaryCount = new int[nTopics];
            int base = nItems / nTopics, extra = nItems % nTopics, p = 0;
            for (int t = 0; t < nTopics; t++) {
                primaryCount[t] = base + (t < extra ? 1 : 0);
                for (int k = 0; k < primaryCount[t]; k++, p++) {
                    itemTopic[perm[p]] = t;
                    primarySlot[perm[p]] = k;
                }
            }
            itemSecond = new int[nItems];
            int[] secondSlot = new int[nItems];
            int[] members = primaryCount.clone();
            for (int i = 0; i < nItems; i++) {
                itemSecond[i] = -1;
                if (c.multiTopicRate() > 0 && r.nextDouble() < c.multiTopicRate()) {
                    int s = r.nextInt(nTopics - 1);
                    if (s >= itemTopic[i]) s++;
                    itemSecond[i] = s;
                    secondSlot[i] = r.nextInt(primaryCount[s] + 1); // joins before primary rank slot+1
                    members[s]++;
                }
            }
            memberStart = new int[nTopics + 1];
            for (int t = 0; t < nTopics; t++) memberStart[t + 1] = Math.addExact(memberStart[t], members[t]);
            int totalMembers = memberStart[nTopics];
            // Key (2*slot + primary) << 32 | item orders a topic's members: second-topic members sit just before
            // the primary of their slot, ties by item index.
            long[] keys = new long[totalMembers];
            int[] fill = Arrays.copyOf(memberStart, nTopics);
            for (int i = 0; i < nItems; i++) {
                keys[fill[itemTopic[i]]++] = ((2L * primarySlot[i] + 1) << 32) | i;
                if (itemSecond[i] >= 0) keys[fill[itemSecond[i]]++] = ((2L * secondSlot[i]) << 32) | i;
            }
            memberItem = new int[totalMembers];
            itemRank = new int[nItems];
            itemSecondRank = new int[nItems];
            double[] weight = new double[totalMembers];
            int maxMembers = 0;
            for (int t = 0; t < nTopics; t++) {
                int lo = memberStart[t], hi = memberStart[t + 1];
                maxMembers = Math.max(maxMembers, hi - lo);
                Arrays.sort(keys, lo, hi);
                for (int j = lo; j < hi; j++) {
                    int item = (int) (keys[j] & 0xffffffffL);
                    int rank = j - lo + 1;
                    memberItem[j] = item;
                    if (((keys[j] >>> 32) & 1) == 1) itemRank[item] = rank;
                    else itemSecondRank[item] = rank;
                    weight[j] = Math.pow(rank, -c.zipfExponent());
                }
            }
            aliasProb = new double[totalMembers];
            aliasIdx = new int[totalMembers];
            int[] small = new int[maxMembers], large = new int[maxMembers];
            for (int t = 0; t < nTopics; t++) {
                Sampling.buildAlias(weight, memberStart[t], memberStart[t + 1] - memberStart[t], aliasProb, aliasIdx, small, large);
            }
            vocab = new Vocabulary(nTopics, c.wordsPerTopic(), c.sharedWords(), Sampling.derive(c.seed(), Sampling.VOCABULARY, 0));
        }

        int[] topicSize() {
            int[] s = new int[nTopics];
            for (int t = 0; t < nTopics; t++) s[t] = memberStart[t + 1] - memberStart[t];
            return s;
        }

        /** An item of the topic, Zipf by rank, in O(1). */
        int sampleItem(SplittableRandom r, int topic) {
            int off = memberStart[topic];
            return memberItem[off + Sampling.sampleAlias(r, aliasProb, aliasIdx, off, memberStart[topic + 1] - off)];
        }

        private static int[] identity(int n) {
            int[] a = new int[n];
            for (int i = 0; i < n; i++) a[i] = i;
            return a;
        }
    }

    /** Where {@link EventWriter} puts each event: at index e (the user's offset plus its event number). */
    @FunctionalInterface
    interface EventSink {
        void put(long e, int user, int item, long time, float weight, int type);
    }

    /**
     * Pass 1 for one user at a time, with reusable scratch: its life, its start and end mixtures ({@link #rowS},
     * {@link #rowE}) and what the attributes derive from, all in fields valid until the next {@link #draw}.
     * Not thread-safe: one per thread.
     */
    static final class UserDraws {
        private final LifeCycleConfig c;
        private final World w;
        private final double[] a, b, group;
        final float[] rowS, rowE;
        long regT, untilT;
        double segAvg, segDelta;
        int ageClean;

        UserDraws(LifeCycleConfig c, World w) {
            this.c = c;
            this.w = w;
            a = new double[w.nTopics];
            b = new double[w.nTopics];
            rowS = new float[w.nTopics];
            rowE = new float[w.nTopics];
            group = new double[w.nGroups];
        }

        void draw(int u) {
            SplittableRandom r = Sampling.derive(c.seed(), Sampling.USER, u);
            eventCount(c, r); // the count (pass 0) is this stream's first draw: skip it identically
            long start = c.startEpochSecond(), window = c.windowSeconds();
            long reg = start + Math.min(window - 1, (long) (r.nextDouble() * window));
            double lifeSeconds = c.medianLifeDays() * 86_400.0 * Math.exp(c.lifeSigma() * r.nextGaussian());
            long life = (long) Math.min(lifeSeconds, (double) window);
            regT = reg;
            untilT = Math.min(reg + life, start + window - 1);

            Sampling.dirichlet(r, w.alpha, a);
            Sampling.dirichlet(r, w.alpha, b);
            int nT = w.nTopics;
            double d = c.drift();
            double segS = 0, segE = 0;
            Arrays.fill(group, 0);
            for (int t = 0; t < nT; t++) {
                rowS[t] = (float) a[t];
                rowE[t] = (float) ((1 - d) * a[t] + d * b[t]);
                // Labels come from the stored floats, so that anyone can recompute them from the truth.
                if (w.segmentTopic[t]) {
                    segS += rowS[t];
                    segE += rowE[t];
                }
                group[w.topicGroup[t]] += 0.5 * ((double) rowS[t] + rowE[t]);
            }
            segAvg = 0.5 * (segS + segE);
            segDelta = segE - segS;
            int best = 0;
            for (int g = 1; g < w.nGroups; g++) if (group[g] > group[best]) best = g;
            ageClean = best;
        }
    }

    /**
     * Pass 2 for one user at a time, with reusable scratch: draws the user's events from its mixtures and hands
     * them, in time order, to an {@link EventSink} at indices off, off + 1, ... Not thread-safe: one per thread.
     */
    static final class EventWriter {
        private final LifeCycleConfig c;
        private final World w;
        private final double[] cdfS, cdfE, typeCdf;
        private final float[] typeWeight;
        private final double logSessionQ;
        private int[] sessionSize = new int[64];
        private double[] cum = new double[65];

        EventWriter(LifeCycleConfig c, World w) {
            this.c = c;
            this.w = w;
            cdfS = new double[w.nTopics];
            cdfE = new double[w.nTopics];
            List<BehaviourType> types = c.behaviourTypes();
            typeCdf = new double[types.size()];
            typeWeight = new float[types.size()];
            double acc = 0;
            for (int i = 0; i < types.size(); i++) {
                acc += types.get(i).probability();
                typeCdf[i] = acc;
                typeWeight[i] = types.get(i).weight();
            }
            double m = c.meanSessionEvents();
            logSessionQ = m > 1 ? Math.log(1 - 1 / m) : Double.NEGATIVE_INFINITY;
        }

        void write(int u, int n, long off, long regT, long untilT, float[] mixS, float[] mixE, EventSink out) {
            SplittableRandom r = Sampling.derive(c.seed(), Sampling.EVENTS, u);
            double totS = cdf(mixS, cdfS), totE = cdf(mixE, cdfE);

            // Session lengths: 1 + geometric, the last one cut to what is left.
            int m = 0;
            for (int rem = n; rem > 0; ) {
                int len = 1;
                if (logSessionQ != Double.NEGATIVE_INFINITY) {
                    len += (int) Math.min(1e9, Math.floor(Math.log(1 - r.nextDouble()) / logSessionQ));
                }
                len = Math.min(len, rem);
                if (m == sessionSize.length) {
                    sessionSize = Arrays.copyOf(sessionSize, m * 2);
                    cum = Arrays.copyOf(cum, m * 2 + 1);
                }
                sessionSize[m++] = len;
                rem -= len;
            }
            // Session starts: normalised cumulative gaps (exponential times a log-normal burst factor) over the
            // life; the first session is at registration.
            double burst = c.burstiness();
            cum[0] = 0;
            for (int k = 1; k <= m; k++) {
                double g = r.nextExponential();
                if (burst > 0) g *= Math.exp(burst * r.nextGaussian());
                cum[k] = cum[k - 1] + g;
            }
            long span = untilT - regT;
            double scale = cum[m] > 0 ? span / cum[m] : 0;
            double gap = c.meanEventGapSeconds();
            double focus = c.sessionFocus();
            long prev = regT;
            long e = off;
            for (int k = 0; k < m; k++) {
                long t = regT + (long) (cum[k] * scale);
                double f = span > 0 ? (double) (t - regT) / span : 0;
                int sessionTopic = topic(r, f, totS, totE);
                for (int j = 0, len = sessionSize[k]; j < len; j++, e++) {
                    if (j > 0) t += (long) (gap * r.nextExponential());
                    // Overlapping sessions or the end of life: keep time order and stay inside the life.
                    if (t < prev) t = prev;
                    if (t > untilT) t = untilT;
                    prev = t;
                    int tp = (j == 0 || r.nextDouble() < focus) ? sessionTopic : topic(r, f, totS, totE);
                    int type = Sampling.searchCdf(typeCdf, typeCdf.length, r.nextDouble() * typeCdf[typeCdf.length - 1]);
                    out.put(e, u, w.sampleItem(r, tp), t, typeWeight[type], type);
                }
            }
        }

        /** A topic from the mixture at life fraction f: the start mixture with probability 1 - f, else the end one. */
        private int topic(SplittableRandom r, double f, double totS, double totE) {
            boolean late = r.nextDouble() < f;
            double[] cdf = late ? cdfE : cdfS;
            return Sampling.searchCdf(cdf, cdf.length, r.nextDouble() * (late ? totE : totS));
        }

        private static double cdf(float[] mix, double[] out) {
            double acc = 0;
            for (int t = 0; t < out.length; t++) {
                acc += mix[t];
                out[t] = acc;
            }
            return acc;
        }
    }
}
