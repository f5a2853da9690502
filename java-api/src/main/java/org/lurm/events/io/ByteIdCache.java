package org.lurm.events.io;

import java.util.Arrays;
import org.lurm.events.IdDictionary;

/**
 * Maps the raw bytes of an id field to its {@link IdDictionary} index, so a line whose ids were seen before
 * costs a hash and a byte compare instead of a String and a HashMap look-up. Valid for one read: the
 * dictionary only ever grows and never renumbers, so a cached index stays right.
 *
 * <p>Open addressing (linear probing) over parallel int arrays; the key bytes live in one growing byte arena.
 * Not thread-safe.
 */
final class ByteIdCache {
    private final IdDictionary dictionary;
    private int[] slots;        // entry + 1, 0 = empty
    private int[] hashes;
    private int[] offsets;
    private int[] lengths;
    private int[] values;
    private byte[] arena = new byte[1 << 12];
    private int arenaUsed;
    private int size;

    ByteIdCache(IdDictionary dictionary) {
        this.dictionary = dictionary;
        slots = new int[1 << 10];
        hashes = new int[1 << 9];
        offsets = new int[1 << 9];
        lengths = new int[1 << 9];
        values = new int[1 << 9];
    }

    IdDictionary dictionary() {
        return dictionary;
    }

    private static int hash(byte[] b, int s, int e) {
        int h = 0x9E3779B9;
        for (int i = s; i < e; i++) h = (h ^ b[i]) * 0x01000193;
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        return h ^ (h >>> 13);
    }

    /** The cached dictionary index of bytes [s, e), or -1 (then {@link #put} may follow for the same bytes). */
    int find(byte[] b, int s, int e) {
        int h = hash(b, s, e);
        int mask = slots.length - 1;
        int len = e - s;
        for (int i = h & mask; ; i = (i + 1) & mask) {
            int k = slots[i];
            if (k == 0) return -1;
            k--;
            if (hashes[k] == h && lengths[k] == len
                    && Arrays.equals(arena, offsets[k], offsets[k] + len, b, s, e)) {
                return values[k];
            }
        }
    }

    /** Caches bytes [s, e) as dictionary index {@code value}; the bytes must not be cached yet. */
    void put(byte[] b, int s, int e, int value) {
        int len = e - s;
        if (size == hashes.length) {
            int n = size * 2;
            hashes = Arrays.copyOf(hashes, n);
            offsets = Arrays.copyOf(offsets, n);
            lengths = Arrays.copyOf(lengths, n);
            values = Arrays.copyOf(values, n);
        }
        if (arenaUsed + len > arena.length) arena = Arrays.copyOf(arena, Math.max(arena.length * 2, arenaUsed + len));
        System.arraycopy(b, s, arena, arenaUsed, len);
        hashes[size] = hash(b, s, e);
        offsets[size] = arenaUsed;
        lengths[size] = len;
        values[size] = value;
        arenaUsed += len;
        size++;
        if (size * 2 > slots.length) rehash();
        else insertSlot(size - 1);
    }

    private void insertSlot(int k) {
        int mask = slots.length - 1;
        int i = hashes[k] & mask;
        while (slots[i] != 0) i = (i + 1) & mask;
        slots[i] = k + 1;
    }

    private void rehash() {
        slots = new int[slots.length * 2];
        for (int k = 0; k < size; k++) insertSlot(k);
    }

    int size() {
        return size;
    }
}
