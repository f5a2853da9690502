package org.lurm.cuda.smen;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.lurm.cuda.CudaFn;
import org.lurm.cuda.NativeLibrary;

/**
 * Hand-written FFM declarations of the SMEN kernels ({@code native-kernels/include/lurm_smen.h}). Every function
 * returns a cudaError_t that {@link CudaFn#call} turns into a {@code CudaException} naming the function; pointer
 * arguments are device addresses as zero-length {@link MemorySegment}s ({@code DeviceBuffer.pointer(...)}), the
 * last argument the stream ({@link MemorySegment#NULL}: the legacy default stream).
 *
 * <p>The limits of the kernels ({@link #MAX_H}, {@link #MAX_ANCHORS}, {@link #MAX_ANCHOR_DIM}) are checked on the
 * Java side first, so a model outside them gets a clear message rather than cudaErrorInvalidValue.
 *
 * <p>Thread-safe: constants only; binding to the library happens on the first call.
 */
public final class SmenNative {
    private SmenNative() {
    }

    private static final Class<?> P = MemorySegment.class;
    private static final Class<?> I = int.class;
    private static final Class<?> L = long.class;
    private static final Class<?> F = float.class;

    public static final int MAX_H = 128;
    public static final int MAX_ANCHORS = 32;
    public static final int MAX_ANCHOR_DIM = 32;
    /** LURM_SMEN_NORM_BLOCKS: doubles of the gradient-norm scratch. */
    public static final int NORM_BLOCKS = 256;
    /** Rows per block of the attention backward's rows pass (BWD_ROWS_PER_BLOCK in smen_attention.cu). */
    static final int BWD_ROWS_PER_BLOCK = 16;
    /** Rows per dW partial of the projection backward (PROJ_CHUNK in smen_ops.cu). */
    static final int PROJ_CHUNK = 256;
    /** Candidates per dq partial of the interest prediction (PRED_CHUNK in smen_predict.cu). */
    static final int PRED_CHUNK = 256;

    public static final CudaFn GEMM = CudaFn.of("lurm_smen_gemm", I, I, I, I, I, F, P, I, L, P, I, L, F, P, I, L, I, P);
    public static final CudaFn COLSUM = CudaFn.of("lurm_smen_colsum", P, I, I, I, F, P, P);
    public static final CudaFn ATTENTION_FORWARD = CudaFn.of("lurm_smen_attention_forward", P, P, I, I, I, P, P, P, P, P, P, P, I, P, P);
    public static final CudaFn INTEREST_SCORES = CudaFn.of("lurm_smen_interest_scores", P, P, I, I, I, P, P);
    public static final CudaFn ATTENTION_BACKWARD = CudaFn.of("lurm_smen_attention_backward",
            P, P, I, I, I, P, P, P, P, P, P, P, I, P, P, P, P, P, P);
    public static final CudaFn PROJECTION_FORWARD = CudaFn.of("lurm_smen_projection_forward", P, P, I, I, I, I, P, P, P);
    public static final CudaFn PROJECTION_BACKWARD = CudaFn.of("lurm_smen_projection_backward", P, I, I, I, I, P, P, P, P, P, P, P);
    public static final CudaFn TIME_FORWARD = CudaFn.of("lurm_smen_time_forward", P, P, I, I, I, I, I, P, P, P, P, P, P);
    public static final CudaFn TIME_BACKWARD = CudaFn.of("lurm_smen_time_backward", P, I, I, I, I, I, P, P, P, P, P, P, P, P, P, P);
    public static final CudaFn GATE_FORWARD = CudaFn.of("lurm_smen_gate_forward", P, I, I, I, I, P, P, P, P, P, P);
    public static final CudaFn GATE_BACKWARD = CudaFn.of("lurm_smen_gate_backward", P, I, I, I, I, P, P, P, P, P, P, P, P);
    public static final CudaFn HEAD_FORWARD = CudaFn.of("lurm_smen_head_forward", P, P, P, P, I, I, I, I, F, P, P, P, P, P, P);
    public static final CudaFn HEAD_BACKWARD = CudaFn.of("lurm_smen_head_backward",
            P, P, I, I, I, I, F, P, P, P, P, P, P, P, P, P, P, P, P, P);
    public static final CudaFn INFONCE = CudaFn.of("lurm_smen_infonce", P, P, I, I, F, F, P, P, P, P, P);
    public static final CudaFn DIVERSITY = CudaFn.of("lurm_smen_diversity", P, I, I, F, F, P, P, P);
    public static final CudaFn PREDICT_TARGETS = CudaFn.of("lurm_smen_predict_targets", P, P, P, P, I, I, P, I, I, P, P);
    public static final CudaFn PREDICT = CudaFn.of("lurm_smen_predict", P, P, I, I, I, I, P, P, I, P, F, P, P, P, P, P, P);
    public static final CudaFn GRAD_NORM = CudaFn.of("lurm_smen_grad_norm", P, L, L, P, I, I, L, F, P, P, P);
    public static final CudaFn ADAM = CudaFn.of("lurm_smen_adam", P, P, P, P, L, L, P, I, I, L, P, F, F, F, F, F, P);
    public static final CudaFn COPY = CudaFn.of("lurm_smen_copy", P, P, L, P);
    public static final CudaFn SYNTH_BATCH = CudaFn.of("lurm_smen_synth_batch", I, I, I, I, I, I, L, P, P, P, P, P, P);

    public static final CudaFn VIEWS_COUNT = CudaFn.of("lurm_smen_views_count", P, P, P, P, P, P, P, I, L, I, I, L, P, P, P);
    public static final CudaFn VIEWS_WRITE = CudaFn.of("lurm_smen_views_write",
            P, P, P, P, P, P, P, P, I, I, I, P, I, L, I, I, P, L, P, I, I, P, P, P, P, P, P, P, P, P, P);
    public static final CudaFn VIEWS_UNION = CudaFn.of("lurm_smen_views_union", P, I, P, I, I, I, L, P, P, P, P);

    /** Size queries: the answer goes through the last (host) pointer; no device is touched. */
    public static final CudaFn ATTENTION_BACKWARD_BLOCKS = CudaFn.of("lurm_smen_attention_backward_blocks", I, P);
    public static final CudaFn PROJECTION_BACKWARD_SCRATCH = CudaFn.of("lurm_smen_projection_backward_scratch", I, I, I, I, P);
    public static final CudaFn INFONCE_SCRATCH = CudaFn.of("lurm_smen_infonce_scratch", I, P);
    public static final CudaFn PREDICT_SCRATCH = CudaFn.of("lurm_smen_predict_scratch", I, I, I, P);
    public static final CudaFn VIEWS_SCRATCH = CudaFn.of("lurm_smen_views_scratch", I, L, P);

    /** Every error-returning function declared here. */
    public static List<CudaFn> functions() {
        return List.of(GEMM, COLSUM, ATTENTION_FORWARD, INTEREST_SCORES, ATTENTION_BACKWARD, ATTENTION_BACKWARD_BLOCKS, PROJECTION_FORWARD,
                PROJECTION_BACKWARD, PROJECTION_BACKWARD_SCRATCH, TIME_FORWARD, TIME_BACKWARD, GATE_FORWARD, GATE_BACKWARD, HEAD_FORWARD,
                HEAD_BACKWARD, INFONCE, INFONCE_SCRATCH, DIVERSITY, PREDICT_TARGETS, PREDICT, PREDICT_SCRATCH, GRAD_NORM, ADAM, COPY, SYNTH_BATCH,
                VIEWS_SCRATCH, VIEWS_COUNT, VIEWS_WRITE, VIEWS_UNION);
    }

    /** Blocks (dA partials, M*h floats each) of the attention backward for {@code rows} rows. */
    public static int attentionBackwardBlocks(int rows) {
        return rows <= 0 ? 0 : (rows + BWD_ROWS_PER_BLOCK - 1) / BWD_ROWS_PER_BLOCK;
    }

    /** Floats of the projection backward's scratch. */
    public static long projectionBackwardScratch(int h, int anchors, int anchorDim, int rows) {
        return (long) ((rows + PROJ_CHUNK - 1) / PROJ_CHUNK) * anchors * h * anchorDim;
    }

    /** Floats of the InfoNCE scratch. */
    public static long infoNceScratch(int users) {
        return 2L * users * users + 2 + 12L * users;
    }

    /**
     * Floats of the interest prediction's scratch (smen_predict.cu's carve): per-user statistics as doubles, the
     * gathered candidate rows, q, the logits (then their gradient), dV of the candidates, dq's partials and dq.
     */
    public static long predictScratch(int users, int candidates, int h) {
        long chunks = (candidates + PRED_CHUNK - 1) / PRED_CHUNK;
        return 2 * (3L * users + 2) + 2L * candidates * h + 2L * users * h + (long) users * candidates + chunks * users * h;
    }

    /**
     * The library's own answer for the four sizes above, to check that Java and C agree (a test does, without a
     * GPU: the size queries touch no device); the prediction's for {@code rows} candidates.
     */
    public static long[] nativeSizes(NativeLibrary lib, int rows, int h, int anchors, int anchorDim, int users) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment blocks = a.allocate(ValueLayout.JAVA_INT), proj = a.allocate(ValueLayout.JAVA_LONG), nce = a.allocate(ValueLayout.JAVA_LONG);
            MemorySegment pred = a.allocate(ValueLayout.JAVA_LONG);
            ATTENTION_BACKWARD_BLOCKS.call(lib, rows, blocks);
            PROJECTION_BACKWARD_SCRATCH.call(lib, h, anchors, anchorDim, rows, proj);
            INFONCE_SCRATCH.call(lib, users, nce);
            PREDICT_SCRATCH.call(lib, users, Math.max(1, rows), h, pred);
            return new long[] {blocks.get(ValueLayout.JAVA_INT, 0), proj.get(ValueLayout.JAVA_LONG, 0), nce.get(ValueLayout.JAVA_LONG, 0),
                    pred.get(ValueLayout.JAVA_LONG, 0)};
        }
    }

    /** Bytes of the device views' scratch for a batch of {@code users} users and at most {@code maxNnz} non-zeros per view. */
    public static long viewsScratch(int users, long maxNnz) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.JAVA_LONG);
            VIEWS_SCRATCH.call(users, maxNnz, out);
            return out.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    /** Throws a clear {@link IllegalArgumentException} when a model is outside the kernels' limits. */
    public static void checkLimits(int h, int anchors, int anchorDim) {
        if (h > MAX_H || anchors > MAX_ANCHORS || anchorDim > MAX_ANCHOR_DIM) {
            throw new IllegalArgumentException("the CUDA SMEN kernels support h <= " + MAX_H + ", anchors <= " + MAX_ANCHORS + ", anchorDim <= "
                    + MAX_ANCHOR_DIM + "; this model has h " + h + ", anchors " + anchors + ", anchorDim " + anchorDim + " (use the cpu backend)");
        }
    }
}
