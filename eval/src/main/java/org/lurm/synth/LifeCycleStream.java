package org.lurm.synth;

import java.util.Arrays;
import java.util.Objects;

/**
 * The life-cycle generator one range of users at a time, for data sets too large to hold whole: each user's
 * events are exactly those {@link LifeCycleGenerator#generate} puts in its {@link EventOrder#USER_TIME} table (same
 * users, items, timestamps, weights and types, in the same order), and {@link #labels()} are its planted
 * attributes. Ids are the generator's: user u is {@code "u" + u}, item i is {@code "i" + i}, type t is the name of
 * {@code config.behaviourTypes().get(t)}.
 *
 * <pre>{@code
 * LifeCycleStream s = new LifeCycleGenerator(cfg).stream();
 * LifeCycleStream.Batch b = s.newBatch();
 * for (int u = 0; u < s.numUsers(); u += 1000) {
 *     s.generate(u, Math.min(s.numUsers(), u + 1000), b);
 *     for (int i = 0; i < b.size(); i++) write(b.user(i), b.item(i), b.timestamp(i), b.type(i));
 * }
 * PlantedLabels labels = s.labels();
 * }</pre>
 *
 * <p><b>Cost.</b> Construction builds the shared world (topics, item samplers: O(items log items)) and counts
 * every user's events (one draw per user); it keeps 25 bytes per user (event count and what the labels derive
 * from). A batch holds its users' events on the heap (24 bytes per event) and is reused from call to call.
 * Nothing is off-heap.
 *
 * <p><b>Thread-safety.</b> {@link #generate} may run concurrently for disjoint user ranges, each thread with its
 * own {@link Batch}. {@link #labels()} needs every user generated at least once, and must be called after the
 * threads that generated them were joined (a {@link org.lurm.backend.cpu.Parallel} loop returning is enough).
 */
public final class LifeCycleStream {
    private final LifeCycleConfig c;
    private final LifeCycleGenerator.World world;
    private final int[] count;
    private final long total;
    private final double[] segAvg, segDelta;
    private final int[] ageClean;
    private final boolean[] drawn;

    /**
     * @throws IllegalArgumentException the config asks for an order other than {@link EventOrder#USER_TIME}: a
     *                                  stream is in user order by construction
     */
    public LifeCycleStream(LifeCycleConfig config) {
        this.c = Objects.requireNonNull(config, "config");
        if (config.order() != EventOrder.USER_TIME) {
            throw new IllegalArgumentException("LifeCycleStream produces users in index order, each user's events in time order (EventOrder.USER_TIME);"
                    + " the config asks for " + config.order());
        }
        world = new LifeCycleGenerator.World(config);
        int n = config.users();
        count = new int[n];
        long sum = 0;
        for (int u = 0; u < n; u++) {
            count[u] = LifeCycleGenerator.eventCount(config, Sampling.derive(config.seed(), Sampling.USER, u));
            sum += count[u];
        }
        total = sum;
        segAvg = new double[n];
        segDelta = new double[n];
        ageClean = new int[n];
        drawn = new boolean[n];
    }

    public LifeCycleConfig config() {
        return c;
    }

    public int numUsers() {
        return count.length;
    }

    /** Items in the catalogue (not all of them need appear in events). */
    public int numItems() {
        return world.nItems;
    }

    /** Events of all users together, known before any is generated. */
    public long totalEvents() {
        return total;
    }

    /** Events of user {@code u}. */
    public int eventCount(int u) {
        return count[u];
    }

    /** The generator's id of user {@code u}: {@code "u" + u}. */
    public static String userId(int u) {
        return "u" + u;
    }

    /** The generator's id of item {@code i}: {@code "i" + i}. */
    public static String itemId(int i) {
        return "i" + i;
    }

    /** The name of behaviour type {@code t}. */
    public String typeName(int t) {
        return c.behaviourTypes().get(t).name();
    }

    /** A reusable batch (with its own scratch) for {@link #generate}; one per thread. */
    public Batch newBatch() {
        return new Batch(this);
    }

    /**
     * Generates users [{@code from}, {@code to}) into {@code into} (replacing what it held): their events in user
     * order, each user's by time.
     *
     * @return {@code into}
     */
    public Batch generate(int from, int to, Batch into) {
        Objects.checkFromToIndex(from, to, count.length);
        if (into.owner != this) throw new IllegalArgumentException("the batch belongs to another LifeCycleStream");
        long n = 0;
        for (int u = from; u < to; u++) n += count[u];
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("users " + from + ".." + to + " have " + n + " events, too many for one batch");
        into.reset(from, to, (int) n);
        LifeCycleGenerator.UserDraws d = into.draws;
        int off = 0;
        for (int u = from; u < to; u++) {
            d.draw(u);
            segAvg[u] = d.segAvg;
            segDelta[u] = d.segDelta;
            ageClean[u] = d.ageClean;
            into.writer.write(u, count[u], off, d.regT, d.untilT, d.rowS, d.rowE, into.sink);
            off += count[u];
            drawn[u] = true;
        }
        return into;
    }

    /**
     * The planted attributes of every user, equal to {@link LifeCycleGenerator#generate}'s.
     *
     * @throws IllegalStateException some user has not been generated yet (the segment threshold is a median over
     *                               all users)
     */
    public PlantedLabels labels() {
        for (int u = 0; u < drawn.length; u++) {
            if (!drawn[u]) throw new IllegalStateException("user " + u + " has not been generated yet: labels need every user");
        }
        return PlantedLabels.plant(c, world.nGroups, segAvg, segDelta, ageClean);
    }

    /**
     * The events of a range of users, on the heap: columns indexed 0..size-1. Valid until the next
     * {@link #generate} into it. Not thread-safe.
     */
    public static final class Batch {
        private final LifeCycleStream owner;
        private final LifeCycleGenerator.UserDraws draws;
        private final LifeCycleGenerator.EventWriter writer;
        private final LifeCycleGenerator.EventSink sink;
        private int from, to, size;
        private int[] user = new int[0], item = new int[0], type = new int[0];
        private long[] time = new long[0];
        private float[] weight = new float[0];

        private Batch(LifeCycleStream owner) {
            this.owner = owner;
            draws = new LifeCycleGenerator.UserDraws(owner.c, owner.world);
            writer = new LifeCycleGenerator.EventWriter(owner.c, owner.world);
            sink = (e, u, it, t, w, ty) -> {
                int i = (int) e;
                user[i] = u;
                item[i] = it;
                time[i] = t;
                weight[i] = w;
                type[i] = ty;
            };
        }

        private void reset(int from, int to, int n) {
            this.from = from;
            this.to = to;
            this.size = n;
            if (user.length < n) {
                int cap = Math.max(n, (int) Math.min(Integer.MAX_VALUE - 8, user.length * 3L / 2));
                user = Arrays.copyOf(user, cap);
                item = Arrays.copyOf(item, cap);
                type = Arrays.copyOf(type, cap);
                time = Arrays.copyOf(time, cap);
                weight = Arrays.copyOf(weight, cap);
            }
        }

        /** First user of the batch. */
        public int firstUser() {
            return from;
        }

        /** One past the last user of the batch. */
        public int endUser() {
            return to;
        }

        /** Events in the batch. */
        public int size() {
            return size;
        }

        public int user(int i) {
            return user[Objects.checkIndex(i, size)];
        }

        public int item(int i) {
            return item[Objects.checkIndex(i, size)];
        }

        /** Unix seconds. */
        public long timestamp(int i) {
            return time[Objects.checkIndex(i, size)];
        }

        /** The behaviour type's weight. */
        public float weight(int i) {
            return weight[Objects.checkIndex(i, size)];
        }

        /** Behaviour type index into {@code config.behaviourTypes()}. */
        public int type(int i) {
            return type[Objects.checkIndex(i, size)];
        }
    }
}
