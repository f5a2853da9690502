package org.lurm.synth;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The planted attributes of every user of a life-cycle data set, as {@link LifeCycleGenerator} defines them
 * ({@value LifeCycleGenerator#SEGMENT}, {@value LifeCycleGenerator#AGE_GROUP},
 * {@value LifeCycleGenerator#DRIFT_DIRECTION}, label noise applied), held as class indices (20 bytes per user, no string per
 * user). {@link LifeCycleGenerator#generate} and {@link LifeCycleStream#labels} both derive their labels here, so
 * the two agree exactly.
 *
 * <p>Thread-safety: immutable.
 */
public final class PlantedLabels {
    /** The attribute names, in the order the CLI writes them. */
    public static final List<String> ATTRIBUTES = List.of(LifeCycleGenerator.SEGMENT, LifeCycleGenerator.AGE_GROUP, LifeCycleGenerator.DRIFT_DIRECTION);

    private final double threshold;
    private final List<String> ageClasses;
    private final int[] segmentClean, driftClean;
    private final int[] segment, ageGroup, drift;

    private PlantedLabels(double threshold, List<String> ageClasses, int[] segmentClean, int[] driftClean, int[] segment, int[] ageGroup, int[] drift) {
        this.threshold = threshold;
        this.ageClasses = ageClasses;
        this.segmentClean = segmentClean;
        this.driftClean = driftClean;
        this.segment = segment;
        this.ageGroup = ageGroup;
        this.drift = drift;
    }

    /**
     * Labels from what pass 1 of the generator drew for every user: the segment threshold is the median of
     * {@code segAvg} over all users; then each user's {@code ATTRIBUTES} stream draws the drift tie-break and the
     * noise. Arrays are indexed by user and not kept.
     */
    static PlantedLabels plant(LifeCycleConfig c, int nGroups, double[] segAvg, double[] segDelta, int[] ageClean) {
        int nUsers = segAvg.length;
        double[] sorted = segAvg.clone();
        Arrays.sort(sorted);
        double threshold = nUsers % 2 == 1 ? sorted[nUsers / 2] : 0.5 * (sorted[nUsers / 2 - 1] + sorted[nUsers / 2]);
        List<String> ageLabels = new ArrayList<>(nGroups);
        for (int g = 0; g < nGroups; g++) {
            ageLabels.add(nGroups <= LifeCycleGenerator.AGE_LABELS.size() ? LifeCycleGenerator.AGE_LABELS.get(g) : "group" + g);
        }
        int[] segClean = new int[nUsers], driftClean = new int[nUsers];
        int[] seg = new int[nUsers], age = new int[nUsers], dr = new int[nUsers];
        for (int u = 0; u < nUsers; u++) {
            SplittableRandom r = Sampling.derive(c.seed(), Sampling.ATTRIBUTES, u);
            int tie = r.nextInt(2); // drawn always, so noise and drift never shift the other draws
            segClean[u] = segAvg[u] > threshold ? 1 : 0;
            driftClean[u] = segDelta[u] > 0 ? 1 : segDelta[u] < 0 ? 0 : tie;
            seg[u] = noisy(r, c.attributeNoise(), segClean[u], 2);
            age[u] = noisy(r, c.attributeNoise(), ageClean[u], nGroups);
            dr[u] = noisy(r, c.attributeNoise(), driftClean[u], 2);
        }
        return new PlantedLabels(threshold, List.copyOf(ageLabels), segClean, driftClean, seg, age, dr);
    }

    /** The class after noise: with probability noise a uniform class (possibly the same), else the clean one. */
    private static int noisy(SplittableRandom r, double noise, int clean, int classes) {
        double coin = r.nextDouble();
        int random = r.nextInt(classes);
        return coin < noise ? random : clean;
    }

    /** Number of users. */
    public int numUsers() {
        return segment.length;
    }

    /**
     * The label of {@code user} for {@code attribute} (one of {@link #ATTRIBUTES}), noise applied: what
     * {@link org.lurm.events.UserAttributes#get} of {@link LifeCycleGenerator#generate}'s output returns.
     */
    public String get(int user, String attribute) {
        Objects.checkIndex(user, segment.length);
        return switch (attribute) {
            case LifeCycleGenerator.SEGMENT -> LifeCycleGenerator.SEGMENT_LABELS.get(segment[user]);
            case LifeCycleGenerator.AGE_GROUP -> ageClasses.get(ageGroup[user]);
            case LifeCycleGenerator.DRIFT_DIRECTION -> LifeCycleGenerator.DRIFT_LABELS.get(drift[user]);
            default -> throw new IllegalArgumentException("unknown attribute '" + attribute + "'; known: " + ATTRIBUTES);
        };
    }

    /** The median life-average share of the segment topics: users above it are "high" before noise. */
    double threshold() {
        return threshold;
    }

    List<String> ageClasses() {
        return ageClasses;
    }

    int[] segmentClean() {
        return segmentClean;
    }

    int[] driftClean() {
        return driftClean;
    }
}
