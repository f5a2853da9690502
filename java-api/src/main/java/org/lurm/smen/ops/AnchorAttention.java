package org.lurm.smen.ops;

import org.lurm.backend.cpu.Parallel;
import org.lurm.smen.SmenBatch;
import org.lurm.smen.SmenLayout;

/**
 * SMEN multi-anchor module (MODEL.md, Stage 2): for each batch row t with non-zeros j (interest k_j, weight
 * w_j &gt; 0) and each anchor m,
 * <pre>
 *   s[m,j]   = (A_m . V[k_j]) / sqrt(h) + log(w_j)      frequency-weighted anchor attention
 *   a[m,.]   = softmax over j of s[m,.]
 *   r[t,m]   = sum_j a[m,j] V[k_j]                      (h)
 * </pre>
 * With all anchors at zero, a[m,j] = w_j / sum w, so r is the weight-averaged interest embedding.
 *
 * <p><b>Forward</b> is fused: one pass over each row's non-zeros with an online softmax (a running max and
 * rescaled accumulators per anchor; the Vector API kernels update them per tile of non-zeros); each V row is read
 * from memory once for all M anchors and no T x nnz x M score matrix exists, only the nnz x M attention when
 * asked for. <b>Backward</b>, given dr, adds dA and dV into a gradient array laid out like the parameters and
 * returns the distinct interests it touched (for row-sparse Adam). It runs in two passes. First, parallel over
 * rows: the score gradients ds[m,j] = a[m,j] (dr[t,m] . V[k_j] - dr[t,m] . r[t,m]) and the rows' dA terms, into
 * per-chunk partials summed in chunk order over a fixed number of chunks. Second, parallel over ranges of
 * interest ids of equal work: each thread scans the rows in order and adds a[m,j] dr[t,m] + ds[m,j] A_m / sqrt(h)
 * into the V rows it owns. Each V row is thus summed by one thread in row order whatever the split, so every
 * result is bit-identical for any thread count.
 *
 * <p><b>Layouts</b> (heap float arrays, row-major): parameters and gradients as {@link SmenLayout} (V at
 * {@code offset("V")}, A at {@code offset("A")}); r and dr are [t][m][i] (T * M * h floats, row t anchor m at
 * {@code (t*M + m)*h}); the attention a is [j][m] (nnz * M floats, non-zero j of the batch, anchor m at
 * {@code j*M + m}), so the interests each anchor picked for row t are the entries j in
 * {@code [rowPtr[t], rowPtr[t+1])}.
 *
 * <p><b>Kernels</b>: the Vector API kernels when {@code jdk.incubator.vector} is present, else plain scalar Java,
 * picked like the CPU backend ({@code -Dlurm.backend=cpu-scalar} forces scalar, {@code cpu} forces the Vector
 * API); {@link #create(SmenLayout, String)} names one.
 *
 * <p><b>Ownership and threads</b>: everything is on the heap. The caller allocates and owns every array
 * (parameters, batch, r, a, dr, gradient); the op keeps none of them and allocates only per-call scratch
 * (nnz * M floats in backward plus small per-chunk buffers). Instances are immutable and thread-safe; one call
 * must not share output arrays with a concurrent call. Work is split with the caller's {@link Parallel}.
 */
public final class AnchorAttention {
    /** Fixed number of dA partials: the sum order does not depend on the thread count. */
    static final int PARTIAL_CHUNKS = 64;
    private static final int MIN_ROWS_PER_CHUNK = 8;
    /** Below this many non-zeros per thread, the second pass's redundant scan of the batch costs more than it saves. */
    private static final int MIN_NNZ_PER_PART = 4096;

    private final SmenLayout layout;
    private final RowKernels kernels;
    private final int h;
    private final int anchors;

    private AnchorAttention(SmenLayout layout, RowKernels kernels) {
        this.layout = layout;
        this.kernels = kernels;
        this.h = layout.config().h();
        this.anchors = layout.config().anchors();
        // Every index into the flat arrays is an int: they are Java arrays.
        Math.toIntExact(layout.total());
    }

    /** With the best available kernels (see the class doc). */
    public static AnchorAttention create(SmenLayout layout) {
        return new AnchorAttention(layout, RowKernels.select());
    }

    /**
     * With the named kernels: "vector" (Vector API; fails with the flag to add when unavailable) or "scalar".
     */
    public static AnchorAttention create(SmenLayout layout, String kernels) {
        return new AnchorAttention(layout, RowKernels.named(kernels));
    }

    /** True when the "vector" kernels can run here. */
    public static boolean vectorAvailable() {
        return RowKernels.vectorAvailable();
    }

    /** "vector" or "scalar". */
    public String kernels() {
        return kernels.name();
    }

    public SmenLayout layout() {
        return layout;
    }

    /** Floats of r (and dr) per batch row: M * h. */
    public int rowWidth() {
        return anchors * h;
    }

    /**
     * Writes r[t][m][i] for every row of the batch and, when {@code attn} is not null, the attention a[j][m].
     *
     * @param params flat parameters ({@link SmenLayout#total()} floats); only V and A are read
     * @param r      at least rows * M * h floats, overwritten
     * @param attn   null (encoding), or at least nnz * M floats, overwritten; needed by {@link #backward}
     * @throws IllegalArgumentException naming the row and non-zero for an empty row, an interest outside
     *                                  [0, K) or a weight that is not finite and &gt; 0; or for short arrays
     */
    public void forward(float[] params, SmenBatch batch, float[] r, float[] attn, Parallel par) {
        checkParams("params", params);
        checkBatch(batch);
        need("r", r, (long) batch.rows() * rowWidth());
        if (attn != null) need("attn", attn, (long) batch.nnz() * anchors);
        RowAttentionCall c = call(params, batch);
        par.forRange(batch.rows(), MIN_ROWS_PER_CHUNK, (chunk, lo, hi) -> kernels.attendRows(c, (int) lo, (int) hi, r, attn));
    }

    /**
     * Adds dL/dV and dL/dA into {@code grad} (+=, same layout as the parameters) given dr = dL/dr.
     *
     * @param attn the attention written by {@link #forward} for the same parameters and batch
     * @param dr   at least rows * M * h floats, [t][m][i]
     * @param grad {@link SmenLayout#total()} floats; only the A block and the V rows returned are changed
     * @return the distinct interests (rows of V) that received a gradient, ascending; a new array owned by the
     *         caller
     */
    public int[] backward(float[] params, SmenBatch batch, float[] attn, float[] dr, float[] grad, Parallel par) {
        checkParams("params", params);
        checkParams("grad", grad);
        if (params == grad) throw new IllegalArgumentException("grad must not be the parameter array");
        checkBatch(batch);
        int nnz = batch.nnz(), rows = batch.rows();
        need("attn", attn, (long) nnz * anchors);
        need("dr", dr, (long) rows * rowWidth());
        RowInterestIndex idx = RowInterestIndex.of(batch, layout.numInterests());
        RowAttentionCall c = call(params, batch);
        float[] ds = new float[nnz * anchors];
        float[][] partial = new float[PARTIAL_CHUNKS][];
        par.forRange(rows, PARTIAL_CHUNKS, MIN_ROWS_PER_CHUNK, (chunk, lo, hi) -> {
            float[] dA = new float[anchors * h];
            kernels.attendRowsBackward(c, (int) lo, (int) hi, attn, dr, ds, dA);
            partial[chunk] = dA;
        });
        float[] dA = null;
        for (float[] part : partial) {
            if (part == null) continue;
            if (dA == null) dA = part;
            else for (int x = 0; x < dA.length; x++) dA[x] += part[x];
        }
        if (dA != null) {
            int aOff = layout.offset("A");
            for (int x = 0; x < dA.length; x++) grad[aOff + x] += dA[x];
        }
        // Each thread owns a range of interest ids and scans all rows in order: every V row is summed by one thread
        // in row order, whatever the split, and dr is streamed instead of gathered per occurrence.
        int parts = (int) Math.max(1, Math.min(par.threads(), (long) nnz / MIN_NNZ_PER_PART));
        int[] bounds = idx.split(parts);
        par.forRange(bounds.length - 1, bounds.length - 1, 1,
                (chunk, lo, hi) -> kernels.interestGrads(c, rows, bounds[(int) lo], bounds[(int) hi], attn, ds, dr, grad));
        return idx.interests();
    }

    private RowAttentionCall call(float[] params, SmenBatch b) {
        return new RowAttentionCall(params, layout.offset("V"), layout.offset("A"), h, anchors, (float) (1.0 / Math.sqrt(h)),
                b.rowPtr(), b.cols(), b.vals());
    }

    private void checkParams(String what, float[] a) {
        if (a == null) throw new IllegalArgumentException(what + " is null");
        if (a.length != layout.total()) throw new IllegalArgumentException(what + " has " + a.length + " floats, the SMEN layout needs " + layout.total());
    }

    static void need(String what, float[] a, long n) {
        if (a == null) throw new IllegalArgumentException(what + " is null");
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException(what + " would need " + n + " floats, more than a Java array holds: split the batch");
        if (a.length < n) throw new IllegalArgumentException(what + " has " + a.length + " floats, needs at least " + n);
    }

    /** Every row non-empty, offsets non-decreasing from 0, interests in [0, K), weights finite and &gt; 0. */
    private void checkBatch(SmenBatch b) {
        int[] rowPtr = b.rowPtr(), cols = b.cols();
        float[] vals = b.vals();
        int k = layout.numInterests();
        if (rowPtr[0] != 0) throw new IllegalArgumentException("batch rowPtr[0] must be 0, got " + rowPtr[0]);
        if ((long) b.nnz() * anchors > Integer.MAX_VALUE) throw new IllegalArgumentException("batch has " + b.nnz() + " non-zeros: nnz * M exceeds a Java array, split the batch");
        for (int t = 0; t < b.rows(); t++) {
            int from = rowPtr[t], to = rowPtr[t + 1];
            if (to <= from) {
                throw new IllegalArgumentException("batch row " + t + " has " + (to < from ? "decreasing offsets " + from + " > " + to
                        : "no interests (empty rows must be dropped, MODEL.md: softmax over no interests is undefined)"));
            }
            for (int j = from; j < to; j++) {
                if (cols[j] < 0 || cols[j] >= k) {
                    throw new IllegalArgumentException("batch row " + t + ", non-zero " + j + ": interest " + cols[j] + " outside [0, " + k + ")");
                }
                float w = vals[j];
                if (!(w > 0f) || w == Float.POSITIVE_INFINITY) {
                    throw new IllegalArgumentException("batch row " + t + ", non-zero " + j + " (interest " + cols[j] + "): weight " + w + " must be finite and > 0 (log w is the attention bias)");
                }
            }
        }
    }
}
