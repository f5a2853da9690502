package org.lurm.smen;

/**
 * One view of a batch of users, flattened for the SMEN ops (MODEL.md, Stage 2). Rows are grouped by
 * (user, scale) and ordered oldest first within a group; row t has interests {@code cols[rowPtr[t]..rowPtr[t+1])}
 * with weights {@code vals} (> 0: the weighted BoI values, w = log(1 + x) * idf) and a recency bucket.
 *
 * <ul>
 *   <li>{@code users} B, {@code scales} S, {@code rows} T, nnz = rowPtr[T]</li>
 *   <li>{@code groupStart}: B*S+1 offsets; rows of (user b, scale s) are [groupStart[b*S+s], groupStart[b*S+s+1]).
 *       An empty range means the user has no rows at that scale (masked out of the scale gate); a user with no
 *       rows at all has z = 0.</li>
 *   <li>{@code rowBucket}: recency bucket in [0, R); history rows are in bucket R-1</li>
 * </ul>
 *
 * <p>Plain heap arrays: a batch is small (hundreds of users) and built per step. Not thread-safe to mutate;
 * the ops only read it.
 */
public record SmenBatch(int users, int scales, int rows, int[] rowPtr, int[] cols, float[] vals, int[] rowBucket, int[] groupStart) {
    public SmenBatch {
        if (users < 0 || scales < 1 || rows < 0) throw new IllegalArgumentException("bad batch sizes: users " + users + ", scales " + scales + ", rows " + rows);
        if (rowPtr.length != rows + 1) throw new IllegalArgumentException("rowPtr must have rows + 1 entries");
        if (rowBucket.length != rows) throw new IllegalArgumentException("rowBucket must have rows entries");
        if (groupStart.length != users * scales + 1) throw new IllegalArgumentException("groupStart must have users * scales + 1 entries");
        if (cols.length < rowPtr[rows] || vals.length < rowPtr[rows]) throw new IllegalArgumentException("cols/vals shorter than rowPtr[rows]");
        if (groupStart[0] != 0 || groupStart[users * scales] != rows) throw new IllegalArgumentException("groupStart must run from 0 to rows");
    }

    public int nnz() {
        return rowPtr[rows];
    }

    /** First row of (user b, scale s). */
    public int groupFrom(int b, int s) {
        return groupStart[b * scales + s];
    }

    /** End (exclusive) of the rows of (user b, scale s). */
    public int groupTo(int b, int s) {
        return groupStart[b * scales + s + 1];
    }
}
