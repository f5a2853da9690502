package org.lurm.events.io;

/**
 * How a timestamp field is written. Every format is converted to Unix seconds (UTC), the unit of
 * {@link org.lurm.events.EventTable#timestamp(long)}; finer parts are floored (an event at 12:00:00.999 falls
 * in the same second, hence the same period, as one at 12:00:00).
 *
 * <p><b>Thread-safety.</b> Immutable. Holds no off-heap memory.
 */
public enum TimestampFormat {
    /** Integer Unix seconds, e.g. {@code 978300760} (sign allowed). */
    UNIX_SECONDS,
    /** Integer Unix milliseconds, e.g. {@code 978300760123}; floored to seconds. */
    UNIX_MILLIS,
    /**
     * An ISO-8601 instant with a zone designator: {@code yyyy-MM-ddTHH:mm[:ss[.fraction]](Z|±HH[:mm])},
     * e.g. {@code 2000-12-31T22:12:40Z} or {@code 2001-01-01T00:12:40+02:00}. A space may stand for the
     * {@code T} (as RFC 3339 allows); a missing zone designator is an error, since the instant would be
     * ambiguous.
     */
    ISO_INSTANT,
    /** An ISO-8601 calendar date {@code yyyy-MM-dd}, read as midnight UTC of that day. */
    ISO_DATE
}
