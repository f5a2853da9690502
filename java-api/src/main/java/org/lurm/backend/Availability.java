package org.lurm.backend;

import java.util.List;

/**
 * Whether a backend can run on this machine and, when it cannot, human-readable reasons such as
 * {@code "jdk.incubator.vector not readable: add --add-modules jdk.incubator.vector"}.
 *
 * <p>Immutable (the reasons are copied) and thread-safe.
 */
public record Availability(boolean available, List<String> reasons) {
    public Availability {
        reasons = List.copyOf(reasons);
        if (!available && reasons.isEmpty()) throw new IllegalArgumentException("an unavailable backend must say why");
    }

    public static Availability yes() {
        return new Availability(true, List.of());
    }

    public static Availability no(String... reasons) {
        return new Availability(false, List.of(reasons));
    }
}
