package org.lurm.smen;

import java.util.Arrays;

/**
 * The set of interest-table rows a batch touched, in first-touched order, for row-sparse gradients and lazy
 * Adam. {@link #clear()} costs O(touched), not O(K). Not thread-safe.
 */
public final class TouchedRows {
    private final boolean[] mark;
    private int[] rows = new int[256];
    private int n;

    public TouchedRows(int numInterests) {
        mark = new boolean[numInterests];
    }

    public void add(int row) {
        if (!mark[row]) {
            mark[row] = true;
            if (n == rows.length) rows = Arrays.copyOf(rows, n * 2);
            rows[n++] = row;
        }
    }

    public boolean contains(int row) {
        return mark[row];
    }

    public int size() {
        return n;
    }

    /** Live array; the first {@link #size()} entries are valid. */
    public int[] rows() {
        return rows;
    }

    /** The touched rows in ascending order (a copy). */
    public int[] sorted() {
        int[] s = Arrays.copyOf(rows, n);
        Arrays.sort(s);
        return s;
    }

    public void clear() {
        for (int i = 0; i < n; i++) mark[rows[i]] = false;
        n = 0;
    }
}
