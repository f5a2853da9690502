package org.lurm.events;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Append-only dictionary between external string ids and dense int indices 0..size-1. Indices never change
 * once given out, so a dictionary can be extended with new ids (new users, new items) and everything
 * computed on the old indices (BoI rows, item interests) stays valid.
 *
 * <p><b>Thread-safety.</b> Not thread-safe while being extended; safe for concurrent reads afterwards.
 */
public final class IdDictionary {
    private final Map<String, Integer> index;
    private final List<String> ids;

    public IdDictionary() {
        this(16);
    }

    public IdDictionary(int expected) {
        index = new HashMap<>(Math.max(16, (int) (expected / 0.75f) + 1));
        ids = new ArrayList<>(expected);
    }

    /** A copy that can be extended without changing this one. */
    public IdDictionary copy() {
        IdDictionary d = new IdDictionary(ids.size());
        for (String id : ids) d.add(id);
        return d;
    }

    /** The index of id, adding it when new. */
    public int add(String id) {
        int n = ids.size();
        Integer i = index.putIfAbsent(id, n); // one hash look-up, new or not
        if (i != null) return i;
        ids.add(id);
        return n;
    }

    /** The index of id, or -1. */
    public int indexOf(String id) {
        Integer i = index.get(id);
        return i == null ? -1 : i;
    }

    public String id(int index) {
        return ids.get(index);
    }

    public int size() {
        return ids.size();
    }

    public List<String> ids() {
        return java.util.Collections.unmodifiableList(ids);
    }
}
