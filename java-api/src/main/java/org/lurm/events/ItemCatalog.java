package org.lurm.events;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Side information about items, aligned with an item {@link IdDictionary}: a title and categories (genres,
 * tags) per item, from which the text embedder builds its features. Adding an item that the events never
 * mention extends the dictionary, so such items still get an embedding (cold start) and an interest.
 *
 * <p><b>Thread-safety.</b> Not thread-safe while being filled; safe for concurrent reads afterwards.
 */
public final class ItemCatalog {
    private final IdDictionary items;
    private final List<String> titles = new ArrayList<>();
    private final List<List<String>> categories = new ArrayList<>();

    public ItemCatalog(IdDictionary items) {
        this.items = Objects.requireNonNull(items);
    }

    public IdDictionary items() {
        return items;
    }

    /** Sets (or replaces) an item's title and categories; returns its index. */
    public int put(String itemId, String title, List<String> cats) {
        int i = items.add(itemId);
        while (titles.size() <= i) {
            titles.add(null);
            categories.add(null);
        }
        titles.set(i, title == null ? "" : title);
        categories.set(i, cats == null ? List.of() : List.copyOf(cats));
        return i;
    }

    /** Whether the catalogue has an entry for this item index. */
    public boolean has(int item) {
        return item >= 0 && item < titles.size() && titles.get(item) != null;
    }

    public String title(int item) {
        return has(item) ? titles.get(item) : "";
    }

    public List<String> categories(int item) {
        return has(item) ? categories.get(item) : List.of();
    }

    /** Title and categories as one text for the text embedder. */
    public String text(int item) {
        if (!has(item)) return "";
        StringBuilder sb = new StringBuilder(title(item));
        for (String c : categories(item)) sb.append(' ').append(c);
        return sb.toString();
    }

    /** Number of items with an entry. */
    public int entries() {
        int n = 0;
        for (String t : titles) if (t != null) n++;
        return n;
    }

    /** Every category name, sorted. */
    public List<String> allCategories() {
        TreeSet<String> s = new TreeSet<>();
        for (List<String> c : categories) if (c != null) s.addAll(c);
        return Collections.unmodifiableList(new ArrayList<>(s));
    }
}
