package org.lurm.smen;

import java.util.Arrays;
import org.lurm.boi.BoiSet;

/**
 * A user's lifetime BoI at the finest scale (all its scale-0 rows, the history row included), summed per
 * interest in double: what the BoI-SVD initialisation and the weight-averaged-V diagnostic read.
 *
 * <p>Scratch arrays are the caller's (K long), so a loop over users allocates nothing. Not thread-safe per
 * scratch; stateless otherwise.
 */
final class LifetimeBoi {
    private LifetimeBoi() {
    }

    /**
     * Sums user u's finest-scale counts into {@code acc} (zero on entry at the touched interests) and lists the
     * interests it touched, ascending, in {@code list}; returns how many. The caller reads {@code acc[list[i]]}
     * and must reset those entries of acc and touched to 0 / false before the next user.
     */
    static int accumulate(BoiSet boi, int u, double[] acc, boolean[] touched, int[] list) {
        int m = 0;
        for (long row = boi.userRowStart(u); row < boi.userRowStart(u + 1); row++) {
            if (boi.rowScale(row) != 0) continue;
            for (long j = boi.rowStart(row); j < boi.rowEnd(row); j++) {
                int c = boi.col(j);
                if (!touched[c]) {
                    touched[c] = true;
                    list[m++] = c;
                }
                acc[c] += boi.val(j);
            }
        }
        Arrays.sort(list, 0, m);
        return m;
    }
}
