package org.lurm.synth;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Everything that shapes a synthetic life-cycle data set (see {@link LifeCycleGenerator} for the model). Start
 * from a preset ({@link #tiny()}, {@link #demo()}, {@link #bench()}) and change what matters through
 * {@link #toBuilder()}:
 *
 * <pre>{@code
 * LifeCycleConfig cfg = LifeCycleConfig.demo().toBuilder().users(500).drift(0).seed(7).build();
 * }</pre>
 *
 * <p>The defaults below are the {@link #demo()} values. Every value is validated on construction; a bad one is
 * an {@link IllegalArgumentException} that names the field. Immutable and thread-safe.
 *
 * @param users                 number of users, &gt;= 1 (default 3,000); every user has at least
 *                              {@code minEventsPerUser} events
 * @param items                 number of items, &gt;= {@code topics} so every topic has one (default 2,000)
 * @param topics                latent topics (the planted "interests"), &gt;= 2 (default 40)
 * @param topicGroups           groups of topics (topic t is in group t mod topicGroups), 2..topics; the
 *                              {@code age_group} attribute has one class per group (default 6)
 * @param years                 length of the history window in years of 365.25 days, in (0, 100] (default 5)
 * @param startEpochSecond      start of the window, Unix seconds; timestamps lie in
 *                              [startEpochSecond, {@link #endEpochSecond()}) (default {@link #DEFAULT_START})
 * @param meanEventsPerUser     mean of the log-normal number of events per user (before clamping), &gt;= 1
 *                              (default 100)
 * @param activitySigma         sigma of log(events per user), in [0, 4]: 0 gives every user the same activity;
 *                              the default 1 is heavy-tailed (the top 10% of users make about 40% of the events)
 * @param minEventsPerUser      lower clamp of events per user, &gt;= 1 (default 1)
 * @param maxEventsPerUser      upper clamp of events per user, &gt;= minEventsPerUser (default 20,000)
 * @param medianLifeDays        median life span (registration to last possible activity), log-normal, &gt; 0;
 *                              a life is cut at the end of the window (default 720)
 * @param lifeSigma             sigma of log(life span), in [0, 4] (default 0.8)
 * @param meanSessionEvents     mean events per session (1 + geometric), &gt;= 1 (default 4)
 * @param sessionFocus          probability that an event after the first of a session stays on the session's
 *                              topic instead of drawing a fresh one, in [0, 1] (default 0.7)
 * @param burstiness            sigma of the log-normal factor on the exponential gaps between sessions: 0 spreads
 *                              sessions like a Poisson process over the life, larger values cluster them into
 *                              bursts with long dormant spells; in [0, 5] (default 1)
 * @param meanEventGapSeconds   mean (exponential) gap between consecutive events of a session, &gt;= 0 (default 120)
 * @param zipfExponent          exponent s of item popularity within a topic (weight of rank r is r^-s), in [0, 5]
 *                              (default 1)
 * @param multiTopicRate        probability that an item also belongs to a second topic (it is then sampled from
 *                              both, and lists both as categories), in [0, 1] (default 0.1)
 * @param topicConcentration    mean Dirichlet parameter per topic of the users' topic mixtures (&gt; 0): small
 *                              values give users few, sharp interests, large values broad ones (default 0.1)
 * @param drift                 how far a user's mixture moves over the life, in [0, 1]: the end mixture is
 *                              (1 - drift) * start + drift * (an independent second draw); 0 = no drift
 *                              (default 0.5)
 * @param attributeNoise        probability that a planted attribute is replaced by a uniformly random class,
 *                              in [0, 1]: 0 = labels follow the interests exactly, 1 = pure noise (default 0.1)
 * @param segmentTopicFraction  share of the topics that define the binary {@code segment} attribute, in (0, 1)
 *                              (default 0.3)
 * @param wordsPerTopic         vocabulary size per topic for item titles, &gt;= 2 (default 25)
 * @param sharedWords           words shared by all topics (may appear in any title), &gt;= 0 (default 40)
 * @param behaviourTypes        behaviour types with probabilities (summing to 1) and weights; names unique
 *                              (default {@link #defaultBehaviourTypes()})
 * @param order                 event order in the table (default {@link EventOrder#USER_TIME})
 * @param seed                  the seed: same seed and config give bit-identical output on any thread count
 *                              (default 42)
 */
public record LifeCycleConfig(
        int users, int items, int topics, int topicGroups,
        double years, long startEpochSecond,
        double meanEventsPerUser, double activitySigma, int minEventsPerUser, int maxEventsPerUser,
        double medianLifeDays, double lifeSigma,
        double meanSessionEvents, double sessionFocus, double burstiness, double meanEventGapSeconds,
        double zipfExponent, double multiTopicRate, double topicConcentration,
        double drift, double attributeNoise, double segmentTopicFraction,
        int wordsPerTopic, int sharedWords,
        List<BehaviourType> behaviourTypes, EventOrder order, long seed) {

    /** 2015-01-01T00:00:00Z, the default start of the window. */
    public static final long DEFAULT_START = 1_420_070_400L;
    /** Seconds in a year of 365.25 days. */
    public static final long SECONDS_PER_YEAR = 31_557_600L;
    /** Upper bound on topics * wordsPerTopic + sharedWords (unique pseudo-words are generated for all of them). */
    public static final int MAX_VOCABULARY = 2_000_000;

    /** The default behaviour types: view 75% (weight 1), like 20% (weight 2), purchase 5% (weight 4). */
    public static List<BehaviourType> defaultBehaviourTypes() {
        return List.of(new BehaviourType("view", 0.75, 1f), new BehaviourType("like", 0.20, 2f),
                new BehaviourType("purchase", 0.05, 4f));
    }

    public LifeCycleConfig {
        positive("users", users);
        if (topics < 2) throw bad("topics", topics, "must be >= 2");
        if (items < topics) throw bad("items", items, "must be >= topics (" + topics + ") so that every topic has an item");
        if (topicGroups < 2 || topicGroups > topics) throw bad("topicGroups", topicGroups, "must be in [2, topics = " + topics + "]");
        if (!(years > 0 && years <= 100)) throw bad("years", years, "must be in (0, 100]");
        long window = Math.round(years * SECONDS_PER_YEAR);
        if (window < 1) throw bad("years", years, "gives a window shorter than one second");
        try {
            Math.addExact(startEpochSecond, window);
        } catch (ArithmeticException e) {
            throw bad("startEpochSecond", startEpochSecond, "overflows when the window of " + years + " years is added");
        }
        if (!(meanEventsPerUser >= 1 && meanEventsPerUser <= 1e7)) throw bad("meanEventsPerUser", meanEventsPerUser, "must be in [1, 1e7]");
        range("activitySigma", activitySigma, 0, 4);
        positive("minEventsPerUser", minEventsPerUser);
        if (maxEventsPerUser < minEventsPerUser) throw bad("maxEventsPerUser", maxEventsPerUser, "must be >= minEventsPerUser (" + minEventsPerUser + ")");
        if (!(medianLifeDays > 0 && medianLifeDays <= 1e6)) throw bad("medianLifeDays", medianLifeDays, "must be in (0, 1e6]");
        range("lifeSigma", lifeSigma, 0, 4);
        if (!(meanSessionEvents >= 1 && meanSessionEvents <= 1e6)) throw bad("meanSessionEvents", meanSessionEvents, "must be in [1, 1e6]");
        range("sessionFocus", sessionFocus, 0, 1);
        range("burstiness", burstiness, 0, 5);
        range("meanEventGapSeconds", meanEventGapSeconds, 0, 1e7);
        range("zipfExponent", zipfExponent, 0, 5);
        range("multiTopicRate", multiTopicRate, 0, 1);
        if (!(topicConcentration > 0 && topicConcentration <= 1e4)) throw bad("topicConcentration", topicConcentration, "must be in (0, 1e4]");
        range("drift", drift, 0, 1);
        range("attributeNoise", attributeNoise, 0, 1);
        if (!(segmentTopicFraction > 0 && segmentTopicFraction < 1)) throw bad("segmentTopicFraction", segmentTopicFraction, "must be in (0, 1)");
        if (wordsPerTopic < 2) throw bad("wordsPerTopic", wordsPerTopic, "must be >= 2");
        if (sharedWords < 0) throw bad("sharedWords", sharedWords, "must be >= 0");
        if ((long) topics * wordsPerTopic + sharedWords > MAX_VOCABULARY) {
            throw bad("wordsPerTopic", wordsPerTopic, "gives topics * wordsPerTopic + sharedWords = "
                    + ((long) topics * wordsPerTopic + sharedWords) + " words, more than " + MAX_VOCABULARY);
        }
        Objects.requireNonNull(behaviourTypes, "LifeCycleConfig.behaviourTypes must not be null");
        behaviourTypes = List.copyOf(behaviourTypes);
        if (behaviourTypes.isEmpty()) throw new IllegalArgumentException("LifeCycleConfig.behaviourTypes must not be empty");
        Set<String> names = new HashSet<>();
        double sum = 0;
        for (BehaviourType t : behaviourTypes) {
            if (!names.add(t.name())) throw new IllegalArgumentException("LifeCycleConfig.behaviourTypes: duplicate type name '" + t.name() + "'");
            sum += t.probability();
        }
        if (Math.abs(sum - 1) > 1e-6) throw new IllegalArgumentException("LifeCycleConfig.behaviourTypes: probabilities must sum to 1, got " + sum);
        Objects.requireNonNull(order, "LifeCycleConfig.order must not be null");
    }

    private static IllegalArgumentException bad(String field, Object value, String why) {
        return new IllegalArgumentException("LifeCycleConfig." + field + " " + why + ", got " + value);
    }

    private static void positive(String field, int v) {
        if (v < 1) throw bad(field, v, "must be >= 1");
    }

    private static void range(String field, double v, double lo, double hi) {
        if (!(v >= lo && v <= hi)) throw bad(field, v, "must be in [" + lo + ", " + hi + "]");
    }

    /** Length of the window in seconds: round(years * 365.25 days). */
    public long windowSeconds() {
        return Math.round(years * SECONDS_PER_YEAR);
    }

    /** End of the window (exclusive), Unix seconds. */
    public long endEpochSecond() {
        return startEpochSecond + windowSeconds();
    }

    /** Number of topics in the {@code segment} subset: round(fraction * topics), kept in [1, topics - 1]. */
    public int segmentTopicCount() {
        return (int) Math.max(1, Math.min(topics - 1, Math.round(segmentTopicFraction * topics)));
    }

    /** A small, quick set for unit tests: 200 users, 240 items, 8 topics, 3 years, about 8k events. */
    public static LifeCycleConfig tiny() {
        return builder().users(200).items(240).topics(8).topicGroups(4).years(3).meanEventsPerUser(40)
                .maxEventsPerUser(2_000).medianLifeDays(540).wordsPerTopic(12).sharedWords(20).build();
    }

    /** The {@code lurm demo} set: 3,000 users, 2,000 items, 40 topics, 5 years, about 300k events. */
    public static LifeCycleConfig demo() {
        return builder().build();
    }

    /** A benchmark set: 100,000 users, 50,000 items, 200 topics, 8 years, about 1.2 * 10^7 events. */
    public static LifeCycleConfig bench() {
        return builder().users(100_000).items(50_000).topics(200).years(8).meanEventsPerUser(120)
                .maxEventsPerUser(50_000).build();
    }

    /** A builder that starts from the {@link #demo()} values. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from this config's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Mutable builder of a {@link LifeCycleConfig}; not thread-safe. {@link #build()} validates. */
    public static final class Builder {
        private int users = 3_000, items = 2_000, topics = 40, topicGroups = 6;
        private double years = 5;
        private long startEpochSecond = DEFAULT_START;
        private double meanEventsPerUser = 100, activitySigma = 1.0;
        private int minEventsPerUser = 1, maxEventsPerUser = 20_000;
        private double medianLifeDays = 720, lifeSigma = 0.8;
        private double meanSessionEvents = 4, sessionFocus = 0.7, burstiness = 1.0, meanEventGapSeconds = 120;
        private double zipfExponent = 1.0, multiTopicRate = 0.1, topicConcentration = 0.1;
        private double drift = 0.5, attributeNoise = 0.1, segmentTopicFraction = 0.3;
        private int wordsPerTopic = 25, sharedWords = 40;
        private List<BehaviourType> behaviourTypes = defaultBehaviourTypes();
        private EventOrder order = EventOrder.USER_TIME;
        private long seed = 42;

        private Builder() {
        }

        private Builder(LifeCycleConfig c) {
            users = c.users; items = c.items; topics = c.topics; topicGroups = c.topicGroups;
            years = c.years; startEpochSecond = c.startEpochSecond;
            meanEventsPerUser = c.meanEventsPerUser; activitySigma = c.activitySigma;
            minEventsPerUser = c.minEventsPerUser; maxEventsPerUser = c.maxEventsPerUser;
            medianLifeDays = c.medianLifeDays; lifeSigma = c.lifeSigma;
            meanSessionEvents = c.meanSessionEvents; sessionFocus = c.sessionFocus; burstiness = c.burstiness;
            meanEventGapSeconds = c.meanEventGapSeconds;
            zipfExponent = c.zipfExponent; multiTopicRate = c.multiTopicRate; topicConcentration = c.topicConcentration;
            drift = c.drift; attributeNoise = c.attributeNoise; segmentTopicFraction = c.segmentTopicFraction;
            wordsPerTopic = c.wordsPerTopic; sharedWords = c.sharedWords;
            behaviourTypes = c.behaviourTypes; order = c.order; seed = c.seed;
        }

        public Builder users(int v) { users = v; return this; }
        public Builder items(int v) { items = v; return this; }
        public Builder topics(int v) { topics = v; return this; }
        public Builder topicGroups(int v) { topicGroups = v; return this; }
        public Builder years(double v) { years = v; return this; }
        public Builder startEpochSecond(long v) { startEpochSecond = v; return this; }
        public Builder meanEventsPerUser(double v) { meanEventsPerUser = v; return this; }
        public Builder activitySigma(double v) { activitySigma = v; return this; }
        public Builder minEventsPerUser(int v) { minEventsPerUser = v; return this; }
        public Builder maxEventsPerUser(int v) { maxEventsPerUser = v; return this; }
        public Builder medianLifeDays(double v) { medianLifeDays = v; return this; }
        public Builder lifeSigma(double v) { lifeSigma = v; return this; }
        public Builder meanSessionEvents(double v) { meanSessionEvents = v; return this; }
        public Builder sessionFocus(double v) { sessionFocus = v; return this; }
        public Builder burstiness(double v) { burstiness = v; return this; }
        public Builder meanEventGapSeconds(double v) { meanEventGapSeconds = v; return this; }
        public Builder zipfExponent(double v) { zipfExponent = v; return this; }
        public Builder multiTopicRate(double v) { multiTopicRate = v; return this; }
        public Builder topicConcentration(double v) { topicConcentration = v; return this; }
        public Builder drift(double v) { drift = v; return this; }
        public Builder attributeNoise(double v) { attributeNoise = v; return this; }
        public Builder segmentTopicFraction(double v) { segmentTopicFraction = v; return this; }
        public Builder wordsPerTopic(int v) { wordsPerTopic = v; return this; }
        public Builder sharedWords(int v) { sharedWords = v; return this; }
        public Builder behaviourTypes(List<BehaviourType> v) { behaviourTypes = v; return this; }
        public Builder order(EventOrder v) { order = v; return this; }
        public Builder seed(long v) { seed = v; return this; }

        public LifeCycleConfig build() {
            return new LifeCycleConfig(users, items, topics, topicGroups, years, startEpochSecond,
                    meanEventsPerUser, activitySigma, minEventsPerUser, maxEventsPerUser, medianLifeDays, lifeSigma,
                    meanSessionEvents, sessionFocus, burstiness, meanEventGapSeconds,
                    zipfExponent, multiTopicRate, topicConcentration, drift, attributeNoise, segmentTopicFraction,
                    wordsPerTopic, sharedWords, behaviourTypes, order, seed);
        }
    }
}
