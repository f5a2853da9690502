package org.lurm.smen.ops;

import org.lurm.smen.SmenBatch;
import org.lurm.smen.SmenLayout;

/** Argument checks shared by the per-user SMEN ops: each failure names the op, the argument and the sizes. */
final class UserArgs {
    private UserArgs() {
    }

    static void length(String op, String name, float[] a, long expected) {
        if (a == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        if (a.length < expected) {
            throw new IllegalArgumentException(op + ": " + name + " has " + a.length + " floats, needs at least " + expected);
        }
    }

    /** The flat parameter (or gradient) array must match the layout exactly. */
    static void flat(String op, String name, float[] a, SmenLayout layout) {
        if (a == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        if (a.length != layout.total()) {
            throw new IllegalArgumentException(op + ": " + name + " has " + a.length + " floats, the SmenLayout has " + layout.total());
        }
    }

    /**
     * The parts of a batch the time and scale ops read: scales match the layout, group offsets never decrease,
     * every recency bucket is in [0, R). (SmenBatch's constructor checks only the ends of groupStart.)
     */
    static void batch(String op, SmenBatch batch, SmenLayout layout) {
        if (batch == null) throw new IllegalArgumentException(op + ": batch is null");
        if (batch.scales() != layout.scales()) {
            throw new IllegalArgumentException(op + ": batch has " + batch.scales() + " scales, the SmenLayout " + layout.scales());
        }
        int[] gs = batch.groupStart();
        for (int g = 0; g < gs.length - 1; g++) {
            if (gs[g + 1] < gs[g]) {
                throw new IllegalArgumentException(op + ": batch.groupStart decreases at group " + g + " (user " + g / batch.scales()
                        + ", scale " + g % batch.scales() + "): " + gs[g] + " > " + gs[g + 1]);
            }
        }
        int r = layout.config().recencyBuckets();
        int[] bucket = batch.rowBucket();
        for (int t = 0; t < batch.rows(); t++) {
            if (bucket[t] < 0 || bucket[t] >= r) {
                throw new IllegalArgumentException(op + ": batch.rowBucket[" + t + "] = " + bucket[t] + " is outside [0, " + r + ")");
            }
        }
    }

    static void users(String op, int users) {
        if (users < 0) throw new IllegalArgumentException(op + ": users must be >= 0, got " + users);
    }
}
