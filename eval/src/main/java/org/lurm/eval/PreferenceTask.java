package org.lurm.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.lurm.events.EventTable;
import org.lurm.events.ItemCatalog;
import org.lurm.memory.MemoryScope;

/**
 * The preference-prediction task of EVALUATION.md, from the events alone: each user's events are split by time
 * at {@code fraction} ({@link EventSplits#earlyByTime}); representations are computed from the early part only
 * ({@link #early()}); the multi-label target is, per category (genre), whether the user has an event on an item
 * of that category in the late part. Users whose events cannot be split (fewer than 2) have no label.
 *
 * @param early  the early events (shares the source's dictionaries), owned by the scope given to {@link #build}
 * @param labels multi-label table over the categories of {@link ItemCatalog#allCategories()}
 * @param lateEvents number of events in the late part
 *
 * <p><b>Thread-safety.</b> {@link #build} is stateless; the result is immutable (its early table is owned by the
 * scope given to it and must not be used after that scope closes).
 */
public record PreferenceTask(EventTable early, LabelTable labels, long lateEvents) {
    /** Task name used in result rows. */
    public static final String NAME = "preference";

    /** Splits the events and builds the labels. */
    public static PreferenceTask build(EventTable events, ItemCatalog catalog, double fraction, MemoryScope scope) {
        List<String> categories = catalog.allCategories();
        if (categories.isEmpty()) throw new IllegalArgumentException("the item catalogue has no categories: the preference task needs them");
        boolean[] early = EventSplits.earlyByTime(events, fraction);
        int n = events.numUsers();
        List<TreeSet<Integer>> late = new ArrayList<>(n);
        int[] count = new int[n];
        for (int u = 0; u < n; u++) late.add(null);
        long lateEvents = 0;
        java.util.Map<String, Integer> catIndex = new java.util.HashMap<>();
        for (int c = 0; c < categories.size(); c++) catIndex.put(categories.get(c), c);
        for (int i = 0; i < early.length; i++) {
            int u = events.user(i);
            count[u]++;
            if (early[i]) continue;
            lateEvents++;
            TreeSet<Integer> s = late.get(u);
            if (s == null) late.set(u, s = new TreeSet<>());
            int item = events.item(i);
            if (catalog.has(item)) for (String cat : catalog.categories(item)) s.add(catIndex.get(cat));
        }
        int[][] classes = new int[n][];
        for (int u = 0; u < n; u++) {
            if (count[u] < 2) continue;
            TreeSet<Integer> s = late.get(u);
            classes[u] = s == null ? new int[0] : s.stream().mapToInt(Integer::intValue).toArray();
        }
        LabelTable labels = LabelTable.multi(NAME, events.users(), categories, classes);
        return new PreferenceTask(EventSplits.select(events, early, scope), labels, lateEvents);
    }
}
