package org.lurm.synth;

import java.util.List;
import org.lurm.memory.F32Array;

/**
 * What the {@link LifeCycleGenerator} planted, for tests and evaluation to measure against: the topic of every
 * item and its popularity rank, every user's registration, life span and topic mixture at the start and at
 * the end of the life, the topic vocabularies, and the attribute labels before noise.
 *
 * <p>The model: a user's mixture at life fraction f in [0, 1] (0 at registration, 1 at {@link #activeUntil})
 * is {@code (1 - f) * mixtureStart + f * mixtureEnd}; an event's topic is drawn from the mixture at the start
 * of its session; an item is drawn from its topic's members with probability proportional to
 * {@code rank^-zipfExponent}.
 *
 * <p><b>Ownership.</b> The two mixture matrices (users x topics, row-major float32) live off-heap in the
 * {@link org.lurm.memory.MemoryScope} given to {@link LifeCycleGenerator#generate}, like the event table;
 * everything else is on-heap. Accessors that return arrays or lists return unmodifiable views or copies,
 * except {@link #mixtureStartArray()} and {@link #mixtureEndArray()}, which return the live off-heap arrays
 * (treat them as read-only).
 *
 * <p><b>Thread-safety.</b> Immutable; safe for concurrent reads while the scope is open.
 */
public final class PlantedTruth {
    private final int numUsers;
    private final int numTopics;
    private final List<String> topicNames;
    private final int[] topicGroup;
    private final double[] topicAlpha;
    private final boolean[] segmentTopic;
    private final int[] topicSize;
    private final List<List<String>> vocabulary;
    private final List<String> sharedWords;
    private final int[] itemTopic;
    private final int[] itemRank;
    private final int[] itemSecondTopic;
    private final int[] itemSecondRank;
    private final long[] registration;
    private final long[] activeUntil;
    private final int[] eventCount;
    private final F32Array mixtureStart;
    private final F32Array mixtureEnd;
    private final double segmentThreshold;
    private final List<String> ageGroupLabels;
    private final int[] segmentClean;
    private final int[] ageGroupClean;
    private final int[] driftUpClean;

    PlantedTruth(int numUsers, int numTopics, List<String> topicNames, int[] topicGroup, double[] topicAlpha,
                 boolean[] segmentTopic, int[] topicSize, List<List<String>> vocabulary, List<String> sharedWords,
                 int[] itemTopic, int[] itemRank, int[] itemSecondTopic, int[] itemSecondRank,
                 long[] registration, long[] activeUntil, int[] eventCount, F32Array mixtureStart, F32Array mixtureEnd,
                 double segmentThreshold, List<String> ageGroupLabels, int[] segmentClean, int[] ageGroupClean,
                 int[] driftUpClean) {
        this.numUsers = numUsers;
        this.numTopics = numTopics;
        this.topicNames = List.copyOf(topicNames);
        this.topicGroup = topicGroup;
        this.topicAlpha = topicAlpha;
        this.segmentTopic = segmentTopic;
        this.topicSize = topicSize;
        this.vocabulary = vocabulary;
        this.sharedWords = sharedWords;
        this.itemTopic = itemTopic;
        this.itemRank = itemRank;
        this.itemSecondTopic = itemSecondTopic;
        this.itemSecondRank = itemSecondRank;
        this.registration = registration;
        this.activeUntil = activeUntil;
        this.eventCount = eventCount;
        this.mixtureStart = mixtureStart;
        this.mixtureEnd = mixtureEnd;
        this.segmentThreshold = segmentThreshold;
        this.ageGroupLabels = List.copyOf(ageGroupLabels);
        this.segmentClean = segmentClean;
        this.ageGroupClean = ageGroupClean;
        this.driftUpClean = driftUpClean;
    }

    public int numUsers() {
        return numUsers;
    }

    public int numTopics() {
        return numTopics;
    }

    public int numItems() {
        return itemTopic.length;
    }

    /** Topic names, which are also the item categories ("topic07"). */
    public List<String> topicNames() {
        return topicNames;
    }

    /** The group of a topic (t mod topicGroups); the {@code age_group} class is a group. */
    public int topicGroup(int topic) {
        return topicGroup[topic];
    }

    /** The Dirichlet parameter of a topic in the users' mixtures (topicConcentration times its popularity). */
    public double topicConcentration(int topic) {
        return topicAlpha[topic];
    }

    /** Whether a topic belongs to the subset that defines the {@code segment} attribute. */
    public boolean isSegmentTopic(int topic) {
        return segmentTopic[topic];
    }

    /** Members of a topic: its own items plus items whose second topic it is. */
    public int topicSize(int topic) {
        return topicSize[topic];
    }

    /** The title words of a topic. */
    public List<String> vocabulary(int topic) {
        return vocabulary.get(topic);
    }

    /** Words that any title may contain, whatever its topic. */
    public List<String> sharedWords() {
        return sharedWords;
    }

    /** The item's (first) topic. */
    public int itemTopic(int item) {
        return itemTopic[item];
    }

    /** 1-based popularity rank of the item among the members of its topic (sampling weight rank^-s). */
    public int itemRank(int item) {
        return itemRank[item];
    }

    /** The item's second topic, or -1. */
    public int itemSecondTopic(int item) {
        return itemSecondTopic[item];
    }

    /** 1-based rank of the item among the members of its second topic, or 0 when it has none. */
    public int itemSecondRank(int item) {
        return itemSecondRank[item];
    }

    /** Registration time (Unix seconds): the user's first event is at this time. */
    public long registration(int user) {
        return registration[user];
    }

    /** End of the user's life (Unix seconds, inclusive): no event is later. */
    public long activeUntil(int user) {
        return activeUntil[user];
    }

    /** Number of events generated for the user. */
    public int eventCount(int user) {
        return eventCount[user];
    }

    /** Life fraction of a time for a user: (t - registration) / (activeUntil - registration), 0 for a one-instant life. */
    public double lifeFraction(int user, long t) {
        long span = activeUntil[user] - registration[user];
        return span <= 0 ? 0 : (double) (t - registration[user]) / span;
    }

    public float mixtureStart(int user, int topic) {
        return mixtureStart.get((long) user * numTopics + topic);
    }

    public float mixtureEnd(int user, int topic) {
        return mixtureEnd.get((long) user * numTopics + topic);
    }

    /** The user's mixture at life fraction f into dst[0..topics): (1 - f) * start + f * end. */
    public void mixtureAt(int user, double f, float[] dst) {
        long base = (long) user * numTopics;
        for (int t = 0; t < numTopics; t++) {
            dst[t] = (float) ((1 - f) * mixtureStart.get(base + t) + f * mixtureEnd.get(base + t));
        }
    }

    /** Start mixtures, users x topics row-major, off-heap (live view, read-only by contract). */
    public F32Array mixtureStartArray() {
        return mixtureStart;
    }

    /** End mixtures, users x topics row-major, off-heap (live view, read-only by contract). */
    public F32Array mixtureEndArray() {
        return mixtureEnd;
    }

    /**
     * The median over users of the life-average share of the segment topics; a user whose share is above it is
     * {@code segment=high} before noise.
     */
    public double segmentThreshold() {
        return segmentThreshold;
    }

    /** Class labels of {@code age_group}, one per topic group. */
    public List<String> ageGroupLabels() {
        return ageGroupLabels;
    }

    /**
     * The label the interests imply, before attribute noise: for {@code segment} "high" or "low"; for
     * {@code age_group} the label of the topic group with the largest life-average share; for
     * {@code drift_direction} "up" when the share of the segment topics grew from start to end, "down" when it
     * shrank, a fair coin when it did not change (drift 0).
     */
    public String noiseFreeLabel(int user, String column) {
        return switch (column) {
            case LifeCycleGenerator.SEGMENT -> LifeCycleGenerator.SEGMENT_LABELS.get(segmentClean[user]);
            case LifeCycleGenerator.AGE_GROUP -> ageGroupLabels.get(ageGroupClean[user]);
            case LifeCycleGenerator.DRIFT_DIRECTION -> LifeCycleGenerator.DRIFT_LABELS.get(driftUpClean[user]);
            default -> throw new IllegalArgumentException("no planted attribute '" + column + "'; have "
                    + List.of(LifeCycleGenerator.SEGMENT, LifeCycleGenerator.AGE_GROUP, LifeCycleGenerator.DRIFT_DIRECTION));
        };
    }
}
