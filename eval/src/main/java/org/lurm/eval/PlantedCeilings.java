package org.lurm.eval;

import java.util.Arrays;
import org.lurm.events.EventTable;
import org.lurm.memory.F32Array;
import org.lurm.synth.PlantedTruth;
import org.lurm.synth.SyntheticData;

/**
 * Reference feature sets built from what the life-cycle generator planted, so a results table on generated data
 * can show how much of the planted signal any representation could recover (issue 10's question "is there room
 * for training to add anything?"). Neither is a method: both read the generator's truth, which no method sees.
 * <ul>
 *   <li>{@link #mixtures}: every user's planted topic mixture at the start and at the end of its life (2 T floats).
 *       The labels are functions of these before label noise (segment: the life-average share of the segment
 *       topics, (start + end) / 2; age group: the topic group with the largest life-average share; drift: the sign
 *       of the segment topics' change, end - start), so a probe on them is limited only by the label noise and
 *       the probe's own form: the ceiling with unlimited events.</li>
 *   <li>{@link #observedTopics}: what a user's <i>observed</i> events say about those mixtures when every item's
 *       topic is known: the topic shares over the life, over the earlier half and over the later half of its
 *       events in time (an item of two topics counts half to each), and log(1 + events), 3 T + 1 floats. The
 *       reference of a representation that knew the catalogue's topics exactly but saw only the events the data has.
 *       Not a bound: it weighs every event alike, and a session repeats its topic, so a representation that damps
 *       repeats (log(1 + x), as the BoI weighting does) can estimate a mixture better from the same events.</li>
 * </ul>
 * <p>Rows follow the events' user dictionary (the generator's user numbering); a user without events gets zeros.
 * <b>Thread-safety.</b> Stateless.
 */
public final class PlantedCeilings {
    /** Name of the {@link #mixtures} reference row. */
    public static final String MIXTURES = "ceiling: planted mixtures";
    /** Name of the {@link #observedTopics} reference row. */
    public static final String OBSERVED_TOPICS = "reference: observed topics";

    private PlantedCeilings() {
    }

    /** Both reference feature sets of a generated data set. */
    public static java.util.List<Features> of(SyntheticData d) {
        return java.util.List.of(mixtures(d.truth(), d.events().numUsers()), observedTopics(d.events(), d.truth()));
    }

    /** The planted start and end mixtures, users x 2 T. */
    public static Features mixtures(PlantedTruth truth, int users) {
        int t = truth.numTopics();
        if (users != truth.numUsers()) throw new IllegalArgumentException("the truth covers " + truth.numUsers() + " users, asked for " + users);
        F32Array start = truth.mixtureStartArray(), end = truth.mixtureEndArray();
        float[] x = new float[Math.multiplyExact(users, 2 * t)];
        for (int u = 0; u < users; u++) {
            for (int k = 0; k < t; k++) {
                x[u * 2 * t + k] = start.get((long) u * t + k);
                x[u * 2 * t + t + k] = end.get((long) u * t + k);
            }
        }
        return Features.dense(MIXTURES, x, users, 2 * t);
    }

    /** Observed topic shares (life, earlier half, later half of the events in time) and log(1 + events), users x (3 T + 1). */
    public static Features observedTopics(EventTable events, PlantedTruth truth) {
        int users = events.numUsers(), t = truth.numTopics(), dim = 3 * t + 1;
        long n = events.size();
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("observedTopics holds per-event arrays; " + n + " events is too many");
        int[] count = new int[users + 1];
        for (long i = 0; i < n; i++) count[events.user(i) + 1]++;
        for (int u = 0; u < users; u++) count[u + 1] += count[u];
        int[] fill = Arrays.copyOf(count, users);
        long[] time = new long[(int) n];
        int[] item = new int[(int) n];
        for (long i = 0; i < n; i++) {
            int p = fill[events.user(i)]++;
            time[p] = events.timestamp(i);
            item[p] = events.item(i);
        }
        float[] x = new float[Math.multiplyExact(users, dim)];
        for (int u = 0; u < users; u++) {
            int from = count[u], len = count[u + 1] - from;
            if (len == 0) continue;
            // order the user's events by time (ties by position), then split at the middle event
            long[] key = new long[len];
            long min = Long.MAX_VALUE;
            for (int j = 0; j < len; j++) min = Math.min(min, time[from + j]);
            for (int j = 0; j < len; j++) {
                long dt = time[from + j] - min;
                if (dt >= (1L << 38)) throw new IllegalArgumentException("user " + u + "'s events span more than 2^38 time units");
                key[j] = (dt << 24) | j;
            }
            if (len >= (1 << 24)) throw new IllegalArgumentException("user " + u + " has more than 2^24 events");
            Arrays.sort(key);
            int half = len / 2;
            int base = u * dim;
            for (int r = 0; r < len; r++) {
                int it = item[from + (int) (key[r] & 0xFFFFFF)];
                int t1 = truth.itemTopic(it), t2 = truth.itemSecondTopic(it);
                int part = r < half ? 1 : 2;
                float share = t2 >= 0 ? 0.5f : 1f;
                x[base + t1] += share;
                x[base + part * t + t1] += share;
                if (t2 >= 0) {
                    x[base + t2] += share;
                    x[base + part * t + t2] += share;
                }
            }
            float[] totals = {len, half, len - half};
            for (int part = 0; part < 3; part++) {
                if (totals[part] == 0) continue;
                for (int k = 0; k < t; k++) x[base + part * t + k] /= totals[part];
            }
            x[base + 3 * t] = (float) Math.log1p(len);
        }
        return Features.dense(OBSERVED_TOPICS, x, users, dim);
    }
}
