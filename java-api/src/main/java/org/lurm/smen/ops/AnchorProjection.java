package org.lurm.smen.ops;

import org.lurm.backend.cpu.Parallel;
import org.lurm.smen.SmenLayout;

/**
 * SMEN per-anchor projection (MODEL.md, Stage 2): {@code o[t,m] = W_m^T r[t,m] + b_m}, i.e.
 * {@code o[t,m,j] = sum_i r[t,m,i] W[m][i][j] + b[m][j]}, with W stored [m][i][j] (h x d' per anchor) and b
 * [m][j] as {@link SmenLayout} documents.
 *
 * <p><b>Layouts</b> (heap float arrays, row-major): r and dr are [t][m][i] (T * M * h, as {@link AnchorAttention}
 * writes them); o and dout are [t][m][j] (T * M * d', row t anchor m at {@code (t*M + m)*d'}). Parameters and
 * gradients are flat arrays in the SmenLayout.
 *
 * <p><b>Backward</b> accumulates: {@code dr += W_m dout[t,m]}, {@code grad[W] += sum_t r[t,m] dout[t,m]^T},
 * {@code grad[b] += sum_t dout[t,m]}. dr rows are owned by one chunk each; dW and db come from per-chunk
 * partials over a fixed number of chunks, summed in chunk order, so results are bit-identical for any thread
 * count.
 *
 * <p><b>Kernels</b> as {@link AnchorAttention}: Vector API when available, else scalar; or named.
 *
 * <p><b>Ownership and threads</b>: the caller allocates and owns every array; the op allocates only per-chunk
 * scratch (M * h * d' floats per chunk in backward). Instances are immutable and thread-safe.
 */
public final class AnchorProjection {
    static final int PARTIAL_CHUNKS = 32;
    private static final int MIN_ROWS_PER_CHUNK = 16;

    private final SmenLayout layout;
    private final RowKernels kernels;
    private final int h;
    private final int anchors;
    private final int anchorDim;

    private AnchorProjection(SmenLayout layout, RowKernels kernels) {
        this.layout = layout;
        this.kernels = kernels;
        this.h = layout.config().h();
        this.anchors = layout.config().anchors();
        this.anchorDim = layout.config().anchorDim();
        Math.toIntExact(layout.total());
    }

    /** With the best available kernels. */
    public static AnchorProjection create(SmenLayout layout) {
        return new AnchorProjection(layout, RowKernels.select());
    }

    /** With the named kernels: "vector" or "scalar". */
    public static AnchorProjection create(SmenLayout layout, String kernels) {
        return new AnchorProjection(layout, RowKernels.named(kernels));
    }

    public String kernels() {
        return kernels.name();
    }

    public SmenLayout layout() {
        return layout;
    }

    /** Floats of o per batch row: M * d'. */
    public int rowWidth() {
        return anchors * anchorDim;
    }

    /**
     * Writes o for rows [0, rows).
     *
     * @param r at least rows * M * h floats
     * @param o at least rows * M * d' floats, overwritten
     */
    public void forward(float[] params, int rows, float[] r, float[] o, Parallel par) {
        checkParams("params", params);
        checkRows(rows);
        AnchorAttention.need("r", r, (long) rows * anchors * h);
        AnchorAttention.need("o", o, (long) rows * rowWidth());
        RowProjectionCall c = call(params);
        par.forRange(rows, MIN_ROWS_PER_CHUNK, (chunk, lo, hi) -> kernels.projectRows(c, (int) lo, (int) hi, r, o));
    }

    /**
     * Adds dL/dr into {@code dr} and dL/dW, dL/db into {@code grad} (all +=) given dout = dL/do.
     *
     * @param r    the input of the forward call
     * @param dout at least rows * M * d' floats
     * @param dr   at least rows * M * h floats, accumulated into
     * @param grad {@link SmenLayout#total()} floats; only the W and b blocks change
     */
    public void backward(float[] params, int rows, float[] r, float[] dout, float[] dr, float[] grad, Parallel par) {
        checkParams("params", params);
        checkParams("grad", grad);
        if (params == grad) throw new IllegalArgumentException("grad must not be the parameter array");
        checkRows(rows);
        AnchorAttention.need("r", r, (long) rows * anchors * h);
        AnchorAttention.need("dout", dout, (long) rows * rowWidth());
        AnchorAttention.need("dr", dr, (long) rows * anchors * h);
        if (dr == r) throw new IllegalArgumentException("dr must not be the input array r");
        RowProjectionCall c = call(params);
        int nw = anchors * h * anchorDim, nb = anchors * anchorDim;
        float[][] pw = new float[PARTIAL_CHUNKS][], pb = new float[PARTIAL_CHUNKS][];
        par.forRange(rows, PARTIAL_CHUNKS, MIN_ROWS_PER_CHUNK, (chunk, lo, hi) -> {
            float[] dW = new float[nw], db = new float[nb];
            kernels.projectRowsBackward(c, (int) lo, (int) hi, r, dout, dr, dW, db);
            pw[chunk] = dW;
            pb[chunk] = db;
        });
        addInOrder(pw, grad, layout.offset("W"));
        addInOrder(pb, grad, layout.offset("b"));
    }

    /** grad[off..] += partial[0] + partial[1] + ..., summed in chunk order first. */
    private static void addInOrder(float[][] partial, float[] grad, int off) {
        float[] sum = null;
        for (float[] part : partial) {
            if (part == null) continue;
            if (sum == null) sum = part;
            else for (int x = 0; x < sum.length; x++) sum[x] += part[x];
        }
        if (sum != null) for (int x = 0; x < sum.length; x++) grad[off + x] += sum[x];
    }

    private RowProjectionCall call(float[] params) {
        return new RowProjectionCall(params, layout.offset("W"), layout.offset("b"), h, anchors, anchorDim);
    }

    private void checkParams(String what, float[] a) {
        if (a == null) throw new IllegalArgumentException(what + " is null");
        if (a.length != layout.total()) throw new IllegalArgumentException(what + " has " + a.length + " floats, the SMEN layout needs " + layout.total());
    }

    private static void checkRows(int rows) {
        if (rows < 0) throw new IllegalArgumentException("rows must be >= 0, got " + rows);
    }
}
