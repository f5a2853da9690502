package org.lurm.synth;

/** Order of the generated events in the {@link org.lurm.events.EventTable}. */
public enum EventOrder {
    /** Grouped by user index, each user's events by ascending time (the default; BoI aggregation skips its sort). */
    USER_TIME,
    /** Globally by ascending time, ties by user then the user's own order: like an append-only log file. */
    TIME,
    /** A seeded random permutation of {@link #USER_TIME}: no order at all, to exercise code that must not assume one. */
    SHUFFLED
}
