package org.lurm.events.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lurm.events.IdDictionary;
import org.lurm.testing.TestData;

/** The byte-keyed id cache against a HashMap of the same keys, on random keys of every length. */
class ByteIdCacheTest {
    @Test
    void agreesWithAHashMap() {
        Random r = new Random(TestData.seed("ByteIdCacheTest.agreesWithAHashMap"));
        ByteIdCache cache = new ByteIdCache(new IdDictionary());
        Map<ByteBuffer, Integer> ref = new HashMap<>();
        byte[] buf = new byte[64];
        for (int step = 0; step < 200_000; step++) {
            // short keys from a small alphabet collide in their head word and length often
            int len = r.nextInt(4) == 0 ? r.nextInt(30) : r.nextInt(10);
            int off = r.nextInt(buf.length - len + 1);
            for (int i = 0; i < len; i++) buf[off + i] = (byte) (r.nextInt(3) == 0 ? 0 : r.nextInt(4) - 2);
            ByteBuffer key = ByteBuffer.wrap(java.util.Arrays.copyOfRange(buf, off, off + len));
            Integer want = ref.get(key);
            int got = cache.find(buf, off, off + len);
            assertEquals(want == null ? -1 : want, got, "step " + step);
            if (want == null) {
                int v = r.nextInt(Integer.MAX_VALUE);
                ref.put(key, v);
                cache.put(buf, off, off + len, v);
            }
        }
        assertEquals(ref.size(), cache.size());
        // keys that differ only in trailing zero bytes or length
        ByteIdCache c = new ByteIdCache(new IdDictionary());
        c.put(new byte[] {1}, 0, 1, 10);
        c.put(new byte[] {1, 0}, 0, 2, 11);
        c.put(new byte[0], 0, 0, 12);
        c.put(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 0, 9, 13);
        c.put(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 0}, 0, 9, 14);
        assertEquals(10, c.find(new byte[] {1}, 0, 1));
        assertEquals(11, c.find(new byte[] {1, 0}, 0, 2));
        assertEquals(12, c.find(new byte[] {7}, 0, 0));
        assertEquals(13, c.find(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 0, 9));
        assertEquals(14, c.find(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 0}, 0, 9));
        assertEquals(-1, c.find(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, 0, 8));
    }

    /** The head word: one masked 8-byte load, or the byte loop near the array's end, against a byte-by-byte reference. */
    @Test
    void headWordIsTheFirstBytesZeroPadded() {
        Random r = new Random(TestData.seed("ByteIdCacheTest.headWord"));
        for (int len = 1; len <= 20; len++) {
            byte[] b = new byte[len];
            for (int t = 0; t < 200; t++) {
                r.nextBytes(b);
                for (int s = 0; s <= len; s++) {
                    for (int e = s; e <= len; e++) {
                        long want = 0;
                        for (int i = Math.min(e - s, 8) - 1; i >= 0; i--) want = (want << 8) | (b[s + i] & 0xFF);
                        assertEquals(want, ByteIdCache.head(b, s, e), "len " + len + " [" + s + ", " + e + ")");
                    }
                }
            }
        }
    }
}
