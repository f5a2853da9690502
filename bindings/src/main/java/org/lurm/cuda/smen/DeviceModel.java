package org.lurm.cuda.smen;

import java.lang.foreign.MemorySegment;
import org.lurm.cuda.Cuda;
import org.lurm.cuda.CudaStream;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenLayout;
import org.lurm.smen.ops.AnchorDiversity;
import org.lurm.smen.ops.ProjectionHead;

/**
 * SMEN's forward and backward passes (the composition of {@code SmenModel}) as a sequence of kernel launches on
 * one stream over device-resident parameters, gradients and batches: nothing is copied to or from the host and
 * nothing waits. Used by {@link CudaSmenTraining} and {@link CudaSmenEncoder}.
 *
 * <p>Not thread-safe: one sequence at a time on its stream.
 */
final class DeviceModel {
    /** The device memory of one view's activations and its backward temporaries (slices of a {@link Workspace}). */
    static final class View {
        MemorySegment r, attn, o, u, tw, z, gate, noRows, hidden, y, norm, p;
        /** dp, dz, du, dO, dr: contiguous, zeroed with one memset before the backward pass. */
        MemorySegment dp, dz, du, dO, dr;
        long zeroFrom, zeroBytes;
        MemorySegment da, c, dAPart, projScratch, timeScratch, gateScratch, dy, dh;
    }

    private final SmenLayout layout;
    private final SmenConfig cfg;
    private final int h, m, dp, s, r, in, h1, h2;
    /** Interests at or above this are not prediction targets ({@link SmenLayout#predictionTargetLimit}). */
    private final int targetLimit;

    DeviceModel(SmenLayout layout) {
        this.layout = layout;
        this.cfg = layout.config();
        this.h = cfg.h();
        this.m = cfg.anchors();
        this.dp = cfg.anchorDim();
        this.s = layout.scales();
        this.targetLimit = layout.predictionTargetLimit();
        this.r = cfg.recencyBuckets();
        this.in = cfg.outputWidth();
        this.h1 = cfg.headHidden();
        this.h2 = cfg.headOut();
        SmenNative.checkLimits(h, m, dp);
    }

    /** Pointer to tensor {@code name} inside a flat parameter (or gradient) device array at {@code base}. */
    MemorySegment t(MemorySegment base, String name) {
        return MemorySegment.ofAddress(base.address() + layout.tensor(name).offset() * 4);
    }

    /** Carves a view's buffers for a batch of these sizes; training adds the backward temporaries. */
    View carve(Workspace w, int users, int rows, int nnz, boolean training) {
        View v = new View();
        v.r = w.floats((long) rows * m * h);
        v.attn = training ? w.floats((long) nnz * m) : MemorySegment.NULL;
        v.o = w.floats((long) rows * m * dp);
        v.u = w.floats((long) users * s * m * dp);
        v.tw = w.floats((long) rows * m);
        v.z = w.floats((long) users * m * dp);
        v.gate = w.floats((long) users * m * s);
        v.noRows = w.ints(users);
        v.hidden = w.floats((long) users * h1);
        v.y = w.floats((long) users * h2);
        v.norm = w.floats(users);
        v.p = w.floats((long) users * h2);
        if (!training) return v;
        v.dp = w.floats((long) users * h2);
        v.zeroFrom = w.offsetOf(v.dp);
        v.dz = w.floats((long) users * in);
        v.du = w.floats((long) users * s * m * dp);
        v.dO = w.floats((long) rows * m * dp);
        v.dr = w.floats((long) rows * m * h);
        v.zeroBytes = w.used() - v.zeroFrom;
        v.da = w.floats((long) nnz * m);
        v.c = w.floats((long) nnz * h);
        v.dAPart = w.floats((long) SmenNative.attentionBackwardBlocks(rows) * m * h);
        v.projScratch = w.floats(SmenNative.projectionBackwardScratch(h, m, dp, rows));
        v.timeScratch = w.floats((long) users * s * m * (dp + r));
        v.gateScratch = w.floats((long) users * m * dp);
        v.dy = w.floats((long) users * h2);
        v.dh = w.floats((long) users * h1);
        return v;
    }

    /** Carves the encoder's buffers: o, u, time weights, gate, noRows (z is the caller's). */
    View carveEncoder(Workspace w, int users, int rows) {
        View v = new View();
        v.o = w.floats((long) rows * m * dp);
        v.u = w.floats((long) users * s * m * dp);
        v.tw = w.floats((long) rows * m);
        v.gate = w.floats((long) users * m * s);
        v.noRows = w.ints(users);
        return v;
    }

    /** Encoder (attention, projection, time, gate) and, when {@code head}, the projection head. */
    void forward(MemorySegment params, DeviceBatch b, View v, boolean keepAttention, boolean head, CudaStream st) {
        MemorySegment sh = st.handle();
        if (b.rows > 0) {
            SmenNative.ATTENTION_FORWARD.call(t(params, "V"), t(params, "A"), h, m, b.rows, b.rowPtr, b.cols, b.vals, MemorySegment.NULL,
                    keepAttention ? v.attn : MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, 0, v.r, sh);
            SmenNative.PROJECTION_FORWARD.call(t(params, "W"), t(params, "b"), h, m, dp, b.rows, v.r, v.o, sh);
        }
        encodeTail(params, b, v, st);
        if (head) headForward(params, v, b.users, st);
    }

    /** scores (K x M floats) = (A_m . V_k) / sqrt(h) for every interest, for {@link #encode}. */
    void interestScores(MemorySegment params, MemorySegment scores, CudaStream st) {
        SmenNative.INTEREST_SCORES.call(t(params, "V"), t(params, "A"), layout.numInterests(), h, m, scores, st.handle());
    }

    /**
     * Encoding without r in memory: attention fused with the projection writes o directly; with {@code scores}
     * ({@link #interestScores}, or NULL) the anchor scores are gathered instead of recomputed per non-zero.
     */
    void encode(MemorySegment params, MemorySegment scores, DeviceBatch b, View v, CudaStream st) {
        if (b.rows > 0) {
            SmenNative.ATTENTION_FORWARD.call(t(params, "V"), t(params, "A"), h, m, b.rows, b.rowPtr, b.cols, b.vals, scores, MemorySegment.NULL,
                    t(params, "W"), t(params, "b"), dp, v.o, st.handle());
        }
        encodeTail(params, b, v, st);
    }

    private void encodeTail(MemorySegment params, DeviceBatch b, View v, CudaStream st) {
        MemorySegment sh = st.handle();
        SmenNative.TIME_FORWARD.call(t(params, "q"), t(params, "beta"), m, dp, s, r, b.users, b.groupStart, b.rowBucket, v.o, v.u, v.tw, sh);
        SmenNative.GATE_FORWARD.call(t(params, "g"), m, dp, s, b.users, b.groupStart, v.u, v.z, v.gate, v.noRows, sh);
    }

    void headForward(MemorySegment params, View v, int users, CudaStream st) {
        SmenNative.HEAD_FORWARD.call(t(params, "P1"), t(params, "c1"), t(params, "P2"), t(params, "c2"), in, h1, h2, users,
                ProjectionHead.DEFAULT_NORM_EPS, v.z, v.hidden, v.y, v.norm, v.p, st.handle());
    }

    /** Zeroes the view's accumulated gradients (dp included: InfoNCE adds into it). */
    void zeroGradients(Workspace w, View v, CudaStream st) {
        Cuda.MEMSET_ASYNC.call(w.buffer().pointer(v.zeroFrom, v.zeroBytes), 0, v.zeroBytes, st.handle());
    }

    /** Symmetric InfoNCE of two views into loss (one double); its gradient into the views' dp. */
    void infoNce(View a, View b, int users, MemorySegment loss, MemorySegment scratch, boolean gradient, CudaStream st) {
        SmenNative.INFONCE.call(a.p, b.p, users, h2, cfg.tau(), 1f, loss, gradient ? a.dp : MemorySegment.NULL,
                gradient ? b.dp : MemorySegment.NULL, scratch, st.handle());
    }

    void diversity(MemorySegment params, MemorySegment grad, MemorySegment loss, CudaStream st) {
        SmenNative.DIVERSITY.call(t(params, "A"), m, h, AnchorDiversity.DEFAULT_NORM_EPS, cfg.diversityWeight(), loss,
                grad == null ? MemorySegment.NULL : t(grad, "A"), st.handle());
    }

    /**
     * The targets of view {@code b} over the {@code nc} candidates at {@code cand} (device ints, ascending) into
     * {@code y} (users x nc floats), as {@code InterestPrediction.targets}.
     */
    void predictionTargets(DeviceBatch b, MemorySegment cand, int nc, MemorySegment y, CudaStream st) {
        SmenNative.PREDICT_TARGETS.call(b.rowPtr, b.cols, b.vals, b.groupStart, b.users, s, cand, nc, targetLimit, y, st.handle());
    }

    /**
     * One direction of the interest prediction: view {@code v}'s z predicts the targets {@code y}; loss (one double)
     * overwritten; with {@code gradient}, scale times its gradient into grad's V rows of the candidates, grad's W
     * and the view's dz (which its backward pass then continues from).
     */
    void prediction(MemorySegment params, MemorySegment grad, View v, int users, MemorySegment cand, int nc, MemorySegment y, float scale,
                    MemorySegment loss, MemorySegment scratch, boolean gradient, CudaStream st) {
        MemorySegment none = MemorySegment.NULL;
        SmenNative.PREDICT.call(t(params, "V"), t(params, "W"), h, m, dp, users, v.z, cand, nc, y, scale, loss, gradient ? v.dz : none,
                gradient ? t(grad, "V") : none, gradient ? t(grad, "W") : none, scratch, st.handle());
    }

    /**
     * The backward pass of one view from its dp (head, gate, time, projection, attention), accumulating into grad;
     * the head's dz is added to what v.dz holds (the prediction's part, or zero).
     */
    void backward(MemorySegment params, MemorySegment grad, DeviceBatch b, View v, CudaStream st) {
        MemorySegment sh = st.handle();
        SmenNative.HEAD_BACKWARD.call(t(params, "P1"), t(params, "P2"), in, h1, h2, b.users, ProjectionHead.DEFAULT_NORM_EPS, v.z, v.hidden,
                v.norm, v.p, v.dp, v.dz, t(grad, "P1"), t(grad, "c1"), t(grad, "P2"), t(grad, "c2"), v.dy, v.dh, sh);
        SmenNative.GATE_BACKWARD.call(t(params, "g"), m, dp, s, b.users, b.groupStart, v.u, v.gate, v.dz, v.du, v.gateScratch, t(grad, "g"), sh);
        SmenNative.TIME_BACKWARD.call(t(params, "q"), m, dp, s, r, b.users, b.groupStart, b.rowBucket, v.o, v.tw, v.du, v.dO, v.timeScratch,
                t(grad, "q"), t(grad, "beta"), sh);
        if (b.rows == 0) return;
        SmenNative.PROJECTION_BACKWARD.call(t(params, "W"), h, m, dp, b.rows, v.r, v.dO, v.dr, t(grad, "W"), t(grad, "b"), v.projScratch, sh);
        SmenNative.ATTENTION_BACKWARD.call(t(params, "V"), t(params, "A"), h, m, b.rows, b.rowPtr, b.cols, v.attn, v.dr, b.perm, b.segStart,
                b.segInterest, b.segments, v.da, v.c, v.dAPart, t(grad, "V"), t(grad, "A"), sh);
    }
}
