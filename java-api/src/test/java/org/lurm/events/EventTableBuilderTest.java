package org.lurm.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

class EventTableBuilderTest {
    /**
     * The chunked columns hold every event where it was added, across the first chunk's doublings and many full
     * chunks (sizes around every boundary), checked against plain arrays; building twice (with events added in
     * between) gives both tables in full.
     */
    @Test
    void chunkedColumnsKeepEveryEventInOrder() {
        SplittableRandom r = new SplittableRandom(TestData.seed("EventTableBuilderTest.chunked"));
        int bits = 12, chunk = 1 << bits;
        int[] sizes = {0, 1, 1023, 1024, 1025, chunk - 1, chunk, chunk + 1, 3 * chunk + 17, 40 * chunk + 3};
        for (int size : sizes) {
            EventTableBuilder b = new EventTableBuilder(new IdDictionary(), new IdDictionary(), EventTableBuilder.defaultTypes(), bits);
            int users = 1 + r.nextInt(50), items = 1 + r.nextInt(200);
            for (int u = 0; u < users; u++) b.users().add("u" + u);
            for (int i = 0; i < items; i++) b.items().add("i" + i);
            b.types().add("click");
            int total = size + 5;
            int[] uu = new int[total], ii = new int[total], ty = new int[total];
            long[] ts = new long[total];
            float[] ww = new float[total];
            try (MemoryScope scope = MemoryScope.root("builder-" + size)) {
                for (int e = 0; e < total; e++) {
                    if (e == size) assertTable(b.build(scope), size, uu, ii, ts, ww, ty);
                    uu[e] = r.nextInt(users);
                    ii[e] = r.nextInt(items);
                    ts[e] = r.nextLong();
                    ww[e] = r.nextInt(8) / 2f;
                    ty[e] = r.nextInt(2);
                    b.addIndexed(uu[e], ii[e], ts[e], ww[e], ty[e]);
                }
                assertEquals(total, b.size());
                assertTable(b.build(scope), total, uu, ii, ts, ww, ty);
            }
        }
    }

    private static void assertTable(EventTable t, int n, int[] u, int[] i, long[] ts, float[] w, int[] ty) {
        assertEquals(n, t.size());
        for (int e = 0; e < n; e++) {
            if (t.user(e) != u[e] || t.item(e) != i[e] || t.timestamp(e) != ts[e] || t.weight(e) != w[e] || t.type(e) != ty[e]) {
                throw new AssertionError("event " + e + " of " + n + " differs: (" + t.user(e) + ", " + t.item(e) + ", " + t.timestamp(e) + ", "
                        + t.weight(e) + ", " + t.type(e) + ") vs (" + u[e] + ", " + i[e] + ", " + ts[e] + ", " + w[e] + ", " + ty[e] + ")");
            }
        }
    }

    /** The default chunk size: across the first full chunk into the second. */
    @Test
    void defaultChunksCrossTheirFirstBoundary() {
        EventTableBuilder b = new EventTableBuilder();
        b.users().add("u");
        b.items().add("i");
        int n = (1 << EventTableBuilder.CHUNK_BITS) + 3;
        for (int e = 0; e < n; e++) b.addIndexed(0, 0, e, 1, 0);
        try (MemoryScope scope = MemoryScope.root("default-chunks")) {
            EventTable t = b.build(scope);
            assertEquals(n, t.size());
            for (int e = 0; e < n; e += 9973) assertEquals(e, t.timestamp(e));
            assertEquals(n - 1, t.timestamp(n - 1));
        }
    }

    @Test
    void badEventsAreRefused() {
        EventTableBuilder b = new EventTableBuilder();
        b.users().add("u");
        b.items().add("i");
        assertThrows(IllegalArgumentException.class, () -> b.addIndexed(1, 0, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> b.addIndexed(0, 0, 0, Float.NaN, 0));
        assertThrows(IllegalArgumentException.class, () -> b.addIndexed(0, 0, 0, -1, 0));
        assertEquals(0, b.size());
    }
}
