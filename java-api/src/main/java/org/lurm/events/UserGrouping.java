package org.lurm.events;

import java.util.Arrays;
import org.lurm.memory.I32Array;

/**
 * Event positions grouped by user: a stable counting sort of the user column (skipped when the table is
 * already grouped), so per-user passes (BoI aggregation, co-occurrence baskets) read each user's events
 * contiguously and in table order. Immutable; thread-safe.
 *
 * @param userStart user u's events are at grouped positions [userStart[u], userStart[u+1])
 * @param perm      event index at each grouped position, or null when the table is already grouped by user
 */
public record UserGrouping(int[] userStart, int[] perm) {
    /** Groups the events of a table (at most 2^31 - 9 events). */
    public static UserGrouping of(EventTable events) {
        long e64 = events.size();
        if (e64 > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("at most 2^31-9 events per pass, got " + e64 + ": process in parts");
        int nEvents = (int) e64;
        int nUsers = events.numUsers();
        I32Array userCol = events.userColumn();
        int[] userStart = new int[nUsers + 1];
        boolean grouped = true;
        int prev = -1;
        for (int i = 0; i < nEvents; i++) {
            int u = userCol.get(i);
            if (u < 0 || u >= nUsers) throw new IllegalArgumentException("event " + i + ": user index " + u + " outside the user dictionary of " + nUsers);
            userStart[u + 1]++;
            if (u < prev) grouped = false;
            prev = u;
        }
        for (int u = 0; u < nUsers; u++) userStart[u + 1] += userStart[u];
        int[] perm = null;
        if (!grouped) {
            perm = new int[nEvents];
            int[] fill = Arrays.copyOf(userStart, nUsers);
            for (int i = 0; i < nEvents; i++) perm[fill[userCol.get(i)]++] = i;
        }
        return new UserGrouping(userStart, perm);
    }

    public int numUsers() {
        return userStart.length - 1;
    }

    /** Event index at grouped position q. */
    public int event(int q) {
        return perm == null ? q : perm[q];
    }

    /**
     * Boundaries of at most {@code chunks} contiguous user ranges with about equal numbers of events:
     * chunk c covers users [b[c], b[c+1]).
     */
    public int[] balancedChunks(int chunks) {
        int nUsers = numUsers();
        int n = Math.max(1, Math.min(nUsers, chunks));
        int nEvents = userStart[nUsers];
        int[] b = new int[n + 1];
        for (int c = 1; c < n; c++) {
            long target = (long) nEvents * c / n;
            int lo = b[c - 1], hi = nUsers;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (userStart[mid] < target) lo = mid + 1;
                else hi = mid;
            }
            b[c] = lo;
        }
        b[n] = nUsers;
        return b;
    }
}
