package org.lurm.boi;

import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;

/**
 * Multi-scale Bag-of-Interests vectors in off-heap CSR (MODEL.md, Stage 1): one row per non-empty
 * (user, scale, period), raw summed weights (never densified, never IDF-weighted in storage), int32 interest
 * indices sorted ascending within a row, float32 values, int64 row offsets.
 *
 * <p>Row order: by user, then scale (finest first), then the history row (if any), then periods ascending.
 * Per (user, scale) only the {@code tMax} most recent non-empty periods are separate rows; all older periods
 * are summed into one history row ({@link #isHistory(long)}) whose {@link #rowPeriod(long)} is the newest
 * period folded into it. {@link #userRowStart(int)} finds a user's rows in O(1).
 *
 * <p>Interest document frequencies {@code df(k)} (users with any weight on interest k) are kept for IDF.
 *
 * <p><b>Ownership.</b> The arrays belong to the {@link org.lurm.memory.MemoryScope} they were allocated in.
 * <b>Thread-safety.</b> Immutable; safe for concurrent reads.
 */
public final class BoiSet {
    /** Bit of the scale column that marks a history row. */
    static final int HISTORY_FLAG = 1 << 16;

    private final BoiConfig config;
    private final int numInterests;
    private final int numUsers;
    private final I64Array rowPtr;
    private final I32Array cols;
    private final F32Array vals;
    private final I32Array rowUser;
    private final I32Array rowScale;
    private final I64Array rowPeriod;
    private final I64Array userRowPtr;
    private final I32Array df;
    private final long aggregatedEvents;
    private final long skippedEvents;

    public BoiSet(BoiConfig config, int numInterests, int numUsers, I64Array rowPtr, I32Array cols, F32Array vals,
                  I32Array rowUser, I32Array rowScale, I64Array rowPeriod, I64Array userRowPtr, I32Array df,
                  long aggregatedEvents, long skippedEvents) {
        this.config = config;
        this.numInterests = numInterests;
        this.numUsers = numUsers;
        this.rowPtr = rowPtr;
        this.cols = cols;
        this.vals = vals;
        this.rowUser = rowUser;
        this.rowScale = rowScale;
        this.rowPeriod = rowPeriod;
        this.userRowPtr = userRowPtr;
        this.df = df;
        this.aggregatedEvents = aggregatedEvents;
        this.skippedEvents = skippedEvents;
        long rows = rowUser.length();
        if (rowPtr.length() != rows + 1 || rowScale.length() != rows || rowPeriod.length() != rows) {
            throw new IllegalArgumentException("BoI row arrays differ in length: rows " + rows + ", rowPtr " + rowPtr.length()
                    + ", rowScale " + rowScale.length() + ", rowPeriod " + rowPeriod.length());
        }
        if (cols.length() != vals.length()) throw new IllegalArgumentException("BoI cols/vals differ in length");
        if (userRowPtr.length() != numUsers + 1L) throw new IllegalArgumentException("userRowPtr must have numUsers+1 entries");
        if (df.length() != numInterests) throw new IllegalArgumentException("df must have numInterests entries");
    }

    public BoiConfig config() {
        return config;
    }

    public int numInterests() {
        return numInterests;
    }

    public int numUsers() {
        return numUsers;
    }

    public long numRows() {
        return rowUser.length();
    }

    public long nnz() {
        return cols.length();
    }

    public long rowStart(long row) {
        return rowPtr.get(row);
    }

    public long rowEnd(long row) {
        return rowPtr.get(row + 1);
    }

    public int col(long j) {
        return cols.get(j);
    }

    public float val(long j) {
        return vals.get(j);
    }

    public int rowUser(long row) {
        return rowUser.get(row);
    }

    /** Scale index (into {@code config().scales()}) of a row. */
    public int rowScale(long row) {
        return rowScale.get(row) & ~HISTORY_FLAG;
    }

    public boolean isHistory(long row) {
        return (rowScale.get(row) & HISTORY_FLAG) != 0;
    }

    public long rowPeriod(long row) {
        return rowPeriod.get(row);
    }

    /** First row of user u; the user's rows are [userRowStart(u), userRowStart(u+1)). */
    public long userRowStart(int u) {
        return userRowPtr.get(u);
    }

    public int df(int interest) {
        return df.get(interest);
    }

    /** idf_k = log((1 + U) / (1 + df_k)) + 1 (MODEL.md, weighting at use). */
    public float idf(int interest) {
        return (float) (Math.log((1.0 + numUsers) / (1.0 + df.get(interest))) + 1.0);
    }

    /** w = log(1 + x) * idf_k for the stored raw value at non-zero j. */
    public float weighted(long j) {
        return (float) Math.log1p(vals.get(j)) * idf(cols.get(j));
    }

    /** Events summed into these rows. */
    public long aggregatedEvents() {
        return aggregatedEvents;
    }

    /** Events skipped because their item has no interest (lenient mode only). */
    public long skippedEvents() {
        return skippedEvents;
    }

    public I64Array rowPtrArray() {
        return rowPtr;
    }

    public I32Array colArray() {
        return cols;
    }

    public F32Array valArray() {
        return vals;
    }

    public I32Array rowUserArray() {
        return rowUser;
    }

    /** Raw scale column: scale index, with bit 16 set on history rows. */
    public I32Array rowScaleArray() {
        return rowScale;
    }

    public I64Array rowPeriodArray() {
        return rowPeriod;
    }

    public I64Array userRowPtrArray() {
        return userRowPtr;
    }

    public I32Array dfArray() {
        return df;
    }

    /** Packs the scale column value of a row. */
    public static int scaleCode(int scale, boolean history) {
        return history ? scale | HISTORY_FLAG : scale;
    }

    /**
     * Checks every structural invariant (offsets monotone and in range, indices sorted and in range, values
     * finite and positive, row order, user index); throws {@link IllegalStateException} naming the first
     * violation.
     */
    public void validate() {
        long rows = numRows();
        if (rowPtr.get(0) != 0 || rowPtr.get(rows) != nnz()) throw new IllegalStateException("rowPtr must start at 0 and end at nnz " + nnz());
        if (userRowPtr.get(0) != 0 || userRowPtr.get(numUsers) != rows) throw new IllegalStateException("userRowPtr must start at 0 and end at rows " + rows);
        for (int u = 0; u < numUsers; u++) {
            long a = userRowPtr.get(u), b = userRowPtr.get(u + 1);
            if (b < a) throw new IllegalStateException("userRowPtr decreases at user " + u);
            for (long r = a; r < b; r++) if (rowUser.get(r) != u) throw new IllegalStateException("row " + r + " belongs to user " + rowUser.get(r) + ", expected " + u);
        }
        for (long r = 0; r < rows; r++) {
            long a = rowPtr.get(r), b = rowPtr.get(r + 1);
            if (b <= a) throw new IllegalStateException("row " + r + " is empty or offsets decrease");
            int s = rowScale(r);
            if (s < 0 || s >= config.scales().size()) throw new IllegalStateException("row " + r + " has scale " + s);
            int prev = -1;
            for (long j = a; j < b; j++) {
                int c = cols.get(j);
                float v = vals.get(j);
                if (c <= prev || c >= numInterests) throw new IllegalStateException("row " + r + ": interest " + c + " out of order or range");
                if (!(v > 0) || Float.isInfinite(v)) throw new IllegalStateException("row " + r + ": value " + v + " at interest " + c);
                prev = c;
            }
            if (r > 0 && rowUser.get(r - 1) == rowUser.get(r)) {
                int ps = rowScale(r - 1);
                boolean ordered = ps < s || (ps == s && !isHistory(r) && (isHistory(r - 1) || rowPeriod(r - 1) < rowPeriod(r)));
                if (!ordered) throw new IllegalStateException("rows " + (r - 1) + " and " + r + " are out of order");
            }
        }
    }

    @Override
    public String toString() {
        return "BoiSet[" + numUsers + " users, " + numRows() + " rows, " + nnz() + " non-zeros, K=" + numInterests + "]";
    }
}
