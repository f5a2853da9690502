package org.lurm.events;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Per-user attributes (labels for evaluation only: SMEN never sees them), as named string columns aligned with
 * a user {@link IdDictionary}. A missing value is null.
 *
 * <p><b>Thread-safety.</b> Not thread-safe while being filled; safe for concurrent reads afterwards.
 */
public final class UserAttributes {
    private final IdDictionary users;
    private final Map<String, List<String>> columns = new LinkedHashMap<>();

    public UserAttributes(IdDictionary users) {
        this.users = Objects.requireNonNull(users);
    }

    public IdDictionary users() {
        return users;
    }

    /** Sets attribute {@code column} of a user (adding the user to the dictionary when new). */
    public void put(String userId, String column, String value) {
        put(users.add(userId), column, value);
    }

    public void put(int user, String column, String value) {
        List<String> col = columns.computeIfAbsent(column, c -> new ArrayList<>());
        while (col.size() <= user) col.add(null);
        col.set(user, value);
    }

    /** The value, or null when missing. */
    public String get(int user, String column) {
        List<String> col = columns.get(column);
        if (col == null) throw new IllegalArgumentException("no attribute column '" + column + "'; have " + columns.keySet());
        return user < col.size() ? col.get(user) : null;
    }

    public List<String> columnNames() {
        return Collections.unmodifiableList(new ArrayList<>(columns.keySet()));
    }

    /** Value counts of a column over users that have it, in first-seen order. */
    public Map<String, Integer> counts(String column) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int u = 0; u < users.size(); u++) {
            String v = get(u, column);
            if (v != null) m.merge(v, 1, Integer::sum);
        }
        return m;
    }
}
