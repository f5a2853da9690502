package org.lurm.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.events.IdDictionary;
import org.lurm.events.ItemCatalog;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

/** The preference task's time split and labels against a naive per-user implementation, on random events with many timestamp ties. */
class PreferenceTaskTest {
    @Test
    void splitAndLabelsMatchNaiveImplementation() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("PreferenceTaskTest"));
        try (MemoryScope scope = MemoryScope.root("t")) {
            int users = 60, items = 40;
            List<String> genres = List.of("Action", "Comedy", "Drama", "Horror", "Sci-Fi");
            IdDictionary itemDict = new IdDictionary();
            ItemCatalog catalog = new ItemCatalog(itemDict);
            for (int i = 0; i < items; i++) {
                List<String> cats = new ArrayList<>();
                for (String g : genres) if (rnd.nextDouble() < 0.3) cats.add(g);
                catalog.put("m" + i, "movie " + i, cats);
            }
            EventTableBuilder b = new EventTableBuilder(new IdDictionary(), itemDict, EventTableBuilder.defaultTypes());
            for (int u = 0; u < users; u++) b.users().add("u" + u);
            int total = 0;
            for (int u = 0; u < users; u++) {
                int n = u % 10 == 0 ? 1 : 2 + rnd.nextInt(30); // some users with a single event
                for (int e = 0; e < n; e++) b.add("u" + u, "m" + rnd.nextInt(items), 1000 + rnd.nextInt(20), 1f);
                total += n;
            }
            // shuffle order is already random in time; add interleaving by users
            EventTable ev = b.build(scope);
            PreferenceTask pt = PreferenceTask.build(ev, catalog, 0.8, scope);
            // naive: per user, (ts, index) order, first floor(0.8 n) clamped to [1, n-1]
            boolean[] early = new boolean[total];
            for (int u = 0; u < users; u++) {
                List<Integer> mine = new ArrayList<>();
                for (int i = 0; i < total; i++) if (ev.user(i) == u) mine.add(i);
                mine.sort((x, y) -> ev.timestamp(x) != ev.timestamp(y) ? Long.compare(ev.timestamp(x), ev.timestamp(y)) : Integer.compare(x, y));
                int n = mine.size();
                int k = n < 2 ? n : Math.max(1, Math.min(n - 1, (int) Math.floor(0.8 * n)));
                TreeSet<Integer> late = new TreeSet<>();
                for (int q = 0; q < n; q++) {
                    if (q < k) early[mine.get(q)] = true;
                    else for (String g : catalog.categories(ev.item(mine.get(q)))) late.add(catalog.allCategories().indexOf(g));
                }
                if (n < 2) assertNull(pt.labels().classesOf(u), "user with one event has no label");
                else assertArrayEquals(late.stream().mapToInt(Integer::intValue).toArray(), pt.labels().classesOf(u), "user " + u);
            }
            assertArrayEquals(early, EventSplits.earlyByTime(ev, 0.8));
            long nEarly = 0;
            for (boolean x : early) if (x) nEarly++;
            assertEquals(nEarly, pt.early().size());
            assertEquals(total - nEarly, pt.lateEvents());
            // the early table keeps dictionaries and order
            int j = 0;
            for (int i = 0; i < total; i++) {
                if (!early[i]) continue;
                assertEquals(ev.user(i), pt.early().user(j));
                assertEquals(ev.item(i), pt.early().item(j));
                assertEquals(ev.timestamp(i), pt.early().timestamp(j));
                j++;
            }
            assertEquals(genres, pt.labels().classes());
        }
    }
}
