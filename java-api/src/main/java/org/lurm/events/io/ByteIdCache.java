package org.lurm.events.io;

import java.util.Arrays;
import org.lurm.events.IdDictionary;

/**
 * Maps the raw bytes of an id field to its {@link IdDictionary} index, so a line whose ids were seen before
 * costs a hash and a compare instead of a String and a HashMap look-up. Valid for one read: the dictionary
 * only ever grows and never renumbers, so a cached index stays right.
 *
 * <p>Laid out for one cache miss per look-up, since with 10^5+ distinct ids every look-up is a random memory
 * access: a slot of the open-addressing table is three adjacent longs (hash and entry number, the first 8 key
 * bytes, length and value), so a key of up to 8 bytes is found or rejected without touching anything else; only
 * longer keys compare their remaining bytes against the byte arena. The last key found is remembered (ids of one
 * user come in runs). Not thread-safe.
 */
final class ByteIdCache {
    private static final int INLINE = 8;

    private final IdDictionary dictionary;
    private long[] table = new long[3 << 10];    // per slot: (hash << 32) | (entry + 1) (0 = empty); head word; (length << 32) | value
    private int slots = 1 << 10;
    private int[] offsets = new int[1 << 9];     // arena offset of the bytes after the first 8, for long keys
    private byte[] arena = new byte[1 << 12];
    private int arenaUsed;
    private int size;
    private long lastHead = -1;
    private int lastLen = -1, lastValue;

    ByteIdCache(IdDictionary dictionary) {
        this.dictionary = dictionary;
    }

    IdDictionary dictionary() {
        return dictionary;
    }

    private static int hash(long head, byte[] b, int s, int e) {
        int h = 0x9E3779B9 ^ (e - s);
        h = (h ^ (int) head) * 0x01000193;
        h = (h ^ (int) (head >>> 32)) * 0x01000193;
        for (int i = s + INLINE; i < e; i++) h = (h ^ b[i]) * 0x01000193;
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        return h ^ (h >>> 13);
    }

    private static final java.lang.invoke.VarHandle LONG_LE =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    /** The first (up to) 8 bytes, little-endian, zero-padded: one 8-byte load and a mask when the array has 8 bytes from s. */
    static long head(byte[] b, int s, int e) {
        int n = Math.min(e - s, INLINE);
        if (s + INLINE <= b.length) {
            long w = (long) LONG_LE.get(b, s);
            return n == INLINE ? w : w & ((1L << (n << 3)) - 1);
        }
        long w = 0;
        for (int i = n - 1; i >= 0; i--) w = (w << 8) | (b[s + i] & 0xFF);
        return w;
    }

    /** The cached dictionary index of bytes [s, e), or -1. */
    int find(byte[] b, int s, int e) {
        int len = e - s;
        long headWord = head(b, s, e);
        if (len <= INLINE && len == lastLen && headWord == lastHead) return lastValue;
        int h = hash(headWord, b, s, e);
        int mask = slots - 1;
        long[] t = table;
        for (int i = h & mask; ; i = (i + 1) & mask) {
            long slot = t[3 * i];
            if (slot == 0) return -1;
            if ((int) (slot >>> 32) != h) continue;
            long meta = t[3 * i + 2];
            if (t[3 * i + 1] != headWord || (int) (meta >>> 32) != len) continue;
            if (len > INLINE) {
                int off = offsets[(int) slot - 1];
                if (!Arrays.equals(arena, off, off + len - INLINE, b, s + INLINE, e)) continue;
            } else {
                lastHead = headWord;
                lastLen = len;
                lastValue = (int) meta;
            }
            return (int) meta;
        }
    }

    /** Caches bytes [s, e) as dictionary index {@code value}; the bytes must not be cached yet. */
    void put(byte[] b, int s, int e, int value) {
        int len = e - s;
        long headWord = head(b, s, e);
        if (size == offsets.length) offsets = Arrays.copyOf(offsets, offsets.length * 2);
        if (len > INLINE) {
            int rest = len - INLINE;
            if (arenaUsed + rest > arena.length) arena = Arrays.copyOf(arena, Math.max(arena.length * 2, arenaUsed + rest));
            System.arraycopy(b, s + INLINE, arena, arenaUsed, rest);
            offsets[size] = arenaUsed;
            arenaUsed += rest;
        }
        int k = size++;
        if (size * 2 > slots) {
            long[] old = table;
            int oldSlots = slots;
            slots *= 2;
            table = new long[3 * slots];
            for (int j = 0; j < oldSlots; j++) {
                if (old[3 * j] != 0) insert(old[3 * j], old[3 * j + 1], old[3 * j + 2]);
            }
        }
        insert(((long) hash(headWord, b, s, e) << 32) | (k + 1), headWord, ((long) len << 32) | (value & 0xFFFFFFFFL));
    }

    private void insert(long slot, long headWord, long meta) {
        int mask = slots - 1;
        int i = (int) (slot >>> 32) & mask;
        while (table[3 * i] != 0) i = (i + 1) & mask;
        table[3 * i] = slot;
        table[3 * i + 1] = headWord;
        table[3 * i + 2] = meta;
    }

    int size() {
        return size;
    }
}
