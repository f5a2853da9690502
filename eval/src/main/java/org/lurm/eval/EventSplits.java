package org.lurm.eval;

import java.util.Arrays;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.events.UserGrouping;
import org.lurm.memory.MemoryScope;

/**
 * Subsets of an event table that keep its user, item and type dictionaries (so user and item indices mean the
 * same in the subset): the time split of the preference task and the user split of the inductive check.
 *
 * <p><b>Thread-safety.</b> Stateless. The subset shares the source's dictionaries, which must not be modified
 * while either table is in use.
 */
public final class EventSplits {
    private EventSplits() {
    }

    /** The events with keep[i], in table order, in a new table owned by {@code scope}. */
    public static EventTable select(EventTable events, boolean[] keep, MemoryScope scope) {
        if (keep.length != events.size()) throw new IllegalArgumentException("need one flag per event (" + events.size() + "), got " + keep.length);
        EventTableBuilder b = new EventTableBuilder(events.users(), events.items(), events.types());
        for (int i = 0; i < keep.length; i++) {
            if (keep[i]) b.addIndexed(events.user(i), events.item(i), events.timestamp(i), events.weight(i), events.type(i));
        }
        return b.build(scope);
    }

    /**
     * For every event, whether it is in the <i>early</i> part of its user's history: each user's events ordered
     * by time (ties by table order), the first floor(fraction · n) of them, clamped to [1, n - 1] so both parts
     * are non-empty; users with fewer than 2 events have every event early.
     */
    public static boolean[] earlyByTime(EventTable events, double fraction) {
        if (!(fraction > 0 && fraction < 1)) throw new IllegalArgumentException("split fraction must be in (0, 1), got " + fraction);
        boolean[] early = new boolean[Math.toIntExact(events.size())];
        UserGrouping g = UserGrouping.of(events);
        int[] start = g.userStart();
        for (int u = 0; u < g.numUsers(); u++) {
            int n = start[u + 1] - start[u];
            if (n == 0) continue;
            Integer[] ev = new Integer[n];
            for (int q = 0; q < n; q++) ev[q] = g.event(start[u] + q);
            Arrays.sort(ev, (a, b) -> {
                int c = Long.compare(events.timestamp(a), events.timestamp(b));
                return c != 0 ? c : Integer.compare(a, b);
            });
            int nEarly = n < 2 ? n : Math.max(1, Math.min(n - 1, (int) Math.floor(fraction * n)));
            for (int q = 0; q < nEarly; q++) early[ev[q]] = true;
        }
        return early;
    }

    /** For every event, whether its user is in {@code users}. */
    public static boolean[] ofUsers(EventTable events, boolean[] users) {
        boolean[] keep = new boolean[Math.toIntExact(events.size())];
        for (int i = 0; i < keep.length; i++) keep[i] = users[events.user(i)];
        return keep;
    }
}
