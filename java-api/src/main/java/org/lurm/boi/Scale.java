package org.lurm.boi;

/**
 * One time scale of the multi-scale BoI: calendar-aligned periods of {@code periodSeconds}, of which the
 * most recent {@code tMax} non-empty ones per user stay separate rows (older ones are summed into one
 * history row).
 *
 * <p>Immutable and thread-safe.
 */
public record Scale(String name, long periodSeconds, int tMax) {
    public static final long DAY = 86_400L;

    public Scale {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("scale name must not be blank");
        if (periodSeconds <= 0) throw new IllegalArgumentException("scale '" + name + "': period length must be > 0 seconds, got " + periodSeconds);
        if (tMax < 1) throw new IllegalArgumentException("scale '" + name + "': tMax must be >= 1, got " + tMax);
    }

    /** Period index of a timestamp: floor((t - origin) / L), correct for timestamps before the origin. */
    public long period(long timestamp, long origin) {
        return Math.floorDiv(timestamp - origin, periodSeconds);
    }

    public static Scale days(int days, int tMax) {
        return new Scale(days + "d", days * DAY, tMax);
    }
}
