package org.lurm.events.io;

import java.util.Arrays;
import org.lurm.events.IdDictionary;

/**
 * Maps the raw bytes of an id field to its {@link IdDictionary} index, so a line whose ids were seen before
 * costs a hash and a compare instead of a String and a HashMap look-up. Valid for one read: the dictionary
 * only ever grows and never renumbers, so a cached index stays right.
 *
 * <p>Laid out for few cache misses, since with 10^5+ distinct ids every look-up is a random memory access:
 * the probe table holds the hash next to the entry number (a mismatching probe touches nothing else), an
 * entry is two adjacent longs (the first 8 key bytes, and length plus value), and only keys longer than 8
 * bytes are compared against the byte arena. Not thread-safe.
 */
final class ByteIdCache {
    private static final int INLINE = 8;

    private final IdDictionary dictionary;
    private long[] slots = new long[1 << 10];   // (hash << 32) | (entry + 1); 0 = empty
    private long[] entries = new long[2 << 9];  // [2k] first 8 key bytes, [2k+1] (length << 32) | value
    private int[] offsets = new int[1 << 9];    // arena offset of the bytes after the first 8, for long keys
    private int[] hashes = new int[1 << 9];     // only read when the probe table grows
    private byte[] arena = new byte[1 << 12];
    private int arenaUsed;
    private int size;

    ByteIdCache(IdDictionary dictionary) {
        this.dictionary = dictionary;
    }

    IdDictionary dictionary() {
        return dictionary;
    }

    private static int hash(byte[] b, int s, int e) {
        int h = 0x9E3779B9 ^ (e - s);
        for (int i = s; i < e; i++) h = (h ^ b[i]) * 0x01000193;
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        return h ^ (h >>> 13);
    }

    /** The first (up to) 8 bytes, little-endian, zero-padded. */
    private static long head(byte[] b, int s, int e) {
        int n = Math.min(e - s, INLINE);
        long w = 0;
        for (int i = n - 1; i >= 0; i--) w = (w << 8) | (b[s + i] & 0xFF);
        return w;
    }

    /** The cached dictionary index of bytes [s, e), or -1. */
    int find(byte[] b, int s, int e) {
        int h = hash(b, s, e);
        int len = e - s;
        long headWord = head(b, s, e);
        int mask = slots.length - 1;
        for (int i = h & mask; ; i = (i + 1) & mask) {
            long slot = slots[i];
            if (slot == 0) return -1;
            if ((int) (slot >>> 32) != h) continue;
            int k = (int) slot - 1;
            long meta = entries[2 * k + 1];
            if (entries[2 * k] != headWord || (int) (meta >>> 32) != len) continue;
            if (len > INLINE) {
                int off = offsets[k];
                if (!Arrays.equals(arena, off, off + len - INLINE, b, s + INLINE, e)) continue;
            }
            return (int) meta;
        }
    }

    /** Caches bytes [s, e) as dictionary index {@code value}; the bytes must not be cached yet. */
    void put(byte[] b, int s, int e, int value) {
        int len = e - s;
        if (2 * size == entries.length) {
            entries = Arrays.copyOf(entries, entries.length * 2);
            offsets = Arrays.copyOf(offsets, offsets.length * 2);
            hashes = Arrays.copyOf(hashes, hashes.length * 2);
        }
        entries[2 * size] = head(b, s, e);
        entries[2 * size + 1] = ((long) len << 32) | (value & 0xFFFFFFFFL);
        if (len > INLINE) {
            int rest = len - INLINE;
            if (arenaUsed + rest > arena.length) arena = Arrays.copyOf(arena, Math.max(arena.length * 2, arenaUsed + rest));
            System.arraycopy(b, s + INLINE, arena, arenaUsed, rest);
            offsets[size] = arenaUsed;
            arenaUsed += rest;
        }
        int k = size++;
        hashes[k] = hash(b, s, e);
        if (size * 2 > slots.length) {
            slots = new long[slots.length * 2];
            for (int j = 0; j < k; j++) insertSlot(j, hashes[j]);
        }
        insertSlot(k, hashes[k]);
    }

    private void insertSlot(int k, int h) {
        int mask = slots.length - 1;
        int i = h & mask;
        while (slots[i] != 0) i = (i + 1) & mask;
        slots[i] = ((long) h << 32) | (k + 1);
    }

    int size() {
        return size;
    }
}
