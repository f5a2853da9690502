package org.lurm.embed;

import java.util.Arrays;

/**
 * Open-addressing hash from non-negative long keys to int counts (linear probing, load at most 1/2, power-of-two
 * capacity): pair counting without a boxed object per pair. Keys must be >= 0 ({@code -1} marks an empty slot).
 *
 * <p>Not thread-safe: one instance per thread.
 */
final class LongIntCounter {
    private static final long EMPTY = -1L;
    private static final int MAX_CAPACITY = 1 << 30;

    private long[] keys;
    private int[] values;
    private int size;
    private int mask;
    private int shift;

    LongIntCounter(int expected) {
        long want = Math.max(16L, Math.min(MAX_CAPACITY, 2L * Math.max(0, expected)));
        int cap = (int) Math.min(MAX_CAPACITY, Long.highestOneBit(want - 1) << 1);
        keys = new long[cap];
        Arrays.fill(keys, EMPTY);
        values = new int[cap];
        mask = cap - 1;
        shift = 64 - Integer.numberOfTrailingZeros(cap);
    }

    int size() {
        return size;
    }

    int capacity() {
        return keys.length;
    }

    /** Raw slot arrays for iteration: slot s is used when {@code keys()[s] >= 0}. */
    long[] keys() {
        return keys;
    }

    int[] values() {
        return values;
    }

    void add(long key, int delta) {
        int slot = slot(key);
        while (true) {
            long k = keys[slot];
            if (k == key) {
                int v = values[slot];
                if (v > Integer.MAX_VALUE - delta) throw new ArithmeticException("co-occurrence count overflows int for pair key " + key);
                values[slot] = v + delta;
                return;
            }
            if (k == EMPTY) {
                keys[slot] = key;
                values[slot] = delta;
                if (++size > keys.length >>> 1) grow();
                return;
            }
            slot = (slot + 1) & mask;
        }
    }

    int get(long key) {
        int slot = slot(key);
        while (true) {
            long k = keys[slot];
            if (k == key) return values[slot];
            if (k == EMPTY) return 0;
            slot = (slot + 1) & mask;
        }
    }

    /** Adds every entry of {@code other} into this one. */
    void addAll(LongIntCounter other) {
        long[] ok = other.keys;
        int[] ov = other.values;
        for (int s = 0; s < ok.length; s++) if (ok[s] != EMPTY) add(ok[s], ov[s]);
    }

    /** Fibonacci hashing: the top bits of key times the golden ratio depend on every bit of the key. */
    private int slot(long key) {
        return (int) ((key * 0x9E3779B97F4A7C15L) >>> shift);
    }

    private void grow() {
        if (keys.length >= MAX_CAPACITY) {
            throw new IllegalStateException("more than " + (MAX_CAPACITY >>> 1) + " distinct item pairs: lower maxBasketSize or split the catalogue");
        }
        long[] oldK = keys;
        int[] oldV = values;
        keys = new long[oldK.length << 1];
        Arrays.fill(keys, EMPTY);
        values = new int[keys.length];
        mask = keys.length - 1;
        shift = 64 - Integer.numberOfTrailingZeros(keys.length);
        for (int s = 0; s < oldK.length; s++) {
            long k = oldK[s];
            if (k == EMPTY) continue;
            int slot = slot(k);
            while (keys[slot] != EMPTY) slot = (slot + 1) & mask;
            keys[slot] = k;
            values[slot] = oldV[s];
        }
    }
}
