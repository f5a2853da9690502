package org.lurm.cuda.smen;

import static org.lurm.cuda.smen.Dev.at;
import static org.lurm.cuda.smen.Dev.ptr;

import java.lang.foreign.MemorySegment;
import org.lurm.cuda.DeviceBuffer;
import org.lurm.memory.MemoryScope;
import org.lurm.smen.SmenBatch;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenLayout;
import org.lurm.smen.SmenOps;
import org.lurm.smen.ops.AnchorDiversity;
import org.lurm.smen.ops.ProjectionHead;

/**
 * {@link SmenOps} on the GPU with heap arrays: every call stages its inputs into device buffers, runs the SMEN
 * kernels of {@code native-kernels/src/smen_*.cu} on the legacy default stream, waits, and copies its outputs
 * back (gradients: the slices of the tensors the op touches are copied in, accumulated on the device, copied
 * out). So {@code SmenModel} and {@code SmenTrainer} run on it unchanged, and the cross-backend tests compare it
 * op by op with the CPU. It pays a host round trip per op; the throughput paths keep everything on the device:
 * {@link CudaSmenTraining} (whole training steps) and {@link CudaSmenEncoder} (encoding).
 *
 * <p><b>Copies</b>: the parameters are uploaded whole on each call (read only); nothing is retained after a call
 * returns: each call allocates its device memory in a scope of its own and frees it before returning.
 *
 * <p><b>Results</b> match the CPU ops within float32 rounding (different summation orders, fused multiply-adds);
 * they are bit-identical from run to run: no atomics, every reduction in a fixed order.
 *
 * <p><b>Thread-safety</b>: thread-safe (no shared mutable state; CUDA orders the calls of several threads on the
 * default stream).
 */
public final class CudaSmenOps implements SmenOps {
    private final SmenLayout layout;
    private final SmenConfig c;
    private final int k;
    private final int h;
    private final int m;
    private final int dp;
    private final int s;
    private final int r;

    public CudaSmenOps(SmenLayout layout) {
        this.layout = layout;
        this.c = layout.config();
        this.k = layout.numInterests();
        this.h = c.h();
        this.m = c.anchors();
        this.dp = c.anchorDim();
        this.s = layout.scales();
        this.r = c.recencyBuckets();
        SmenNative.checkLimits(h, m, dp);
        Math.toIntExact(layout.total());
    }

    @Override
    public SmenLayout layout() {
        return layout;
    }

    private static MemoryScope scope(String op) {
        return MemoryScope.root("cuda-smen-" + op);
    }

    private void checkParams(String what, float[] a) {
        if (a == null || a.length != layout.total()) {
            throw new IllegalArgumentException(what + " has " + (a == null ? "no" : a.length) + " floats, the SMEN layout needs " + layout.total());
        }
    }

    private static void need(String what, float[] a, long n) {
        if (a == null) throw new IllegalArgumentException(what + " is null");
        if (a.length < n) throw new IllegalArgumentException(what + " has " + a.length + " floats, needs at least " + n);
    }

    private MemorySegment t(DeviceBuffer params, String name) {
        SmenLayout.Tensor x = layout.tensor(name);
        return at(params, x.offset(), x.size());
    }

    /** Uploads the slice of {@code grad} that holds tensor {@code name}. */
    private DeviceBuffer gradSlice(MemoryScope sc, float[] grad, String name) {
        SmenLayout.Tensor x = layout.tensor(name);
        return Dev.up(sc, grad, x.offset(), x.size());
    }

    private void gradBack(DeviceBuffer slice, float[] grad, String name) {
        SmenLayout.Tensor x = layout.tensor(name);
        Dev.down(slice, 0, grad, x.offset(), x.size());
    }

    @Override
    public void attentionForward(float[] params, SmenBatch batch, float[] rOut, float[] attn) {
        checkParams("params", params);
        Batches.validate(batch, k, r, s);
        int rows = batch.rows(), nnz = batch.nnz();
        need("r", rOut, (long) rows * m * h);
        if (attn != null) need("attn", attn, (long) nnz * m);
        if (rows == 0) return;
        try (MemoryScope sc = scope("attention-forward")) {
            DeviceBuffer p = Dev.up(sc, params);
            DeviceBuffer rowPtr = Dev.up(sc, batch.rowPtr(), rows + 1), cols = Dev.up(sc, batch.cols(), nnz), vals = Dev.up(sc, batch.vals(), 0, nnz);
            DeviceBuffer out = DeviceBuffer.allocateFloats(sc, (long) rows * m * h);
            DeviceBuffer a = attn == null ? null : DeviceBuffer.allocateFloats(sc, (long) nnz * m);
            SmenNative.ATTENTION_FORWARD.call(t(p, "V"), t(p, "A"), h, m, rows, rowPtr.pointer(), cols.pointer(), vals.pointer(), MemorySegment.NULL, ptr(a),
                    MemorySegment.NULL, MemorySegment.NULL, 0, out.pointer(), MemorySegment.NULL);
            Dev.sync("lurm_smen_attention_forward");
            Dev.down(out, 0, rOut, 0, (long) rows * m * h);
            if (a != null) Dev.down(a, 0, attn, 0, (long) nnz * m);
        }
    }

    @Override
    public int[] attentionBackward(float[] params, SmenBatch batch, float[] attn, float[] dr, float[] grad) {
        checkParams("params", params);
        checkParams("grad", grad);
        if (params == grad) throw new IllegalArgumentException("grad must not be the parameter array");
        Batches.validate(batch, k, r, s);
        int rows = batch.rows(), nnz = batch.nnz();
        need("attn", attn, (long) nnz * m);
        need("dr", dr, (long) rows * m * h);
        Batches.Segments seg = Batches.segments(batch, k);
        if (rows == 0) return seg.interests();
        try (MemoryScope sc = scope("attention-backward")) {
            DeviceBuffer p = Dev.up(sc, params);
            DeviceBuffer rowPtr = Dev.up(sc, batch.rowPtr(), rows + 1), cols = Dev.up(sc, batch.cols(), nnz);
            DeviceBuffer a = Dev.up(sc, attn, 0, (long) nnz * m), d = Dev.up(sc, dr, 0, (long) rows * m * h);
            DeviceBuffer perm = Dev.up(sc, seg.perm(), nnz), segStart = Dev.up(sc, seg.segStart(), seg.count() + 1),
                    segInterest = Dev.up(sc, seg.interests(), seg.count());
            DeviceBuffer da = DeviceBuffer.allocateFloats(sc, (long) nnz * m), cc = DeviceBuffer.allocateFloats(sc, (long) nnz * h);
            DeviceBuffer dA = DeviceBuffer.allocateFloats(sc, (long) SmenNative.attentionBackwardBlocks(rows) * m * h);
            DeviceBuffer gV = gradSlice(sc, grad, "V"), gA = gradSlice(sc, grad, "A");
            SmenNative.ATTENTION_BACKWARD.call(t(p, "V"), t(p, "A"), h, m, rows, rowPtr.pointer(), cols.pointer(), a.pointer(), d.pointer(),
                    perm.pointer(), segStart.pointer(), segInterest.pointer(), seg.count(), da.pointer(), cc.pointer(), dA.pointer(),
                    gV.pointer(), gA.pointer(), MemorySegment.NULL);
            Dev.sync("lurm_smen_attention_backward");
            gradBack(gV, grad, "V");
            gradBack(gA, grad, "A");
        }
        return seg.interests();
    }

    @Override
    public void projectionForward(float[] params, int rows, float[] rIn, float[] o) {
        checkParams("params", params);
        need("r", rIn, (long) rows * m * h);
        need("o", o, (long) rows * m * dp);
        if (rows == 0) return;
        try (MemoryScope sc = scope("projection-forward")) {
            DeviceBuffer p = Dev.up(sc, params), rd = Dev.up(sc, rIn, 0, (long) rows * m * h);
            DeviceBuffer od = DeviceBuffer.allocateFloats(sc, (long) rows * m * dp);
            SmenNative.PROJECTION_FORWARD.call(t(p, "W"), t(p, "b"), h, m, dp, rows, rd.pointer(), od.pointer(), MemorySegment.NULL);
            Dev.sync("lurm_smen_projection_forward");
            Dev.down(od, 0, o, 0, (long) rows * m * dp);
        }
    }

    @Override
    public void projectionBackward(float[] params, int rows, float[] rIn, float[] dout, float[] dr, float[] grad) {
        checkParams("params", params);
        checkParams("grad", grad);
        need("r", rIn, (long) rows * m * h);
        need("dout", dout, (long) rows * m * dp);
        need("dr", dr, (long) rows * m * h);
        if (rows == 0) return;
        try (MemoryScope sc = scope("projection-backward")) {
            DeviceBuffer p = Dev.up(sc, params), rd = Dev.up(sc, rIn, 0, (long) rows * m * h), dd = Dev.up(sc, dout, 0, (long) rows * m * dp);
            DeviceBuffer drd = Dev.up(sc, dr, 0, (long) rows * m * h);
            DeviceBuffer gW = gradSlice(sc, grad, "W"), gB = gradSlice(sc, grad, "b");
            DeviceBuffer scratch = DeviceBuffer.allocateFloats(sc, SmenNative.projectionBackwardScratch(h, m, dp, rows));
            SmenNative.PROJECTION_BACKWARD.call(t(p, "W"), h, m, dp, rows, rd.pointer(), dd.pointer(), drd.pointer(), gW.pointer(), gB.pointer(),
                    scratch.pointer(), MemorySegment.NULL);
            Dev.sync("lurm_smen_projection_backward");
            Dev.down(drd, 0, dr, 0, (long) rows * m * h);
            gradBack(gW, grad, "W");
            gradBack(gB, grad, "b");
        }
    }

    @Override
    public void timeForward(float[] params, SmenBatch batch, float[] o, float[] u, float[] weights) {
        checkParams("params", params);
        Batches.validate(batch, k, r, s);
        int rows = batch.rows(), users = batch.users();
        need("o", o, (long) rows * m * dp);
        need("u", u, (long) users * s * m * dp);
        need("weights", weights, (long) rows * m);
        if (users == 0) return;
        try (MemoryScope sc = scope("time-forward")) {
            DeviceBuffer p = Dev.up(sc, params), od = Dev.up(sc, o, 0, (long) rows * m * dp);
            DeviceBuffer gs = Dev.up(sc, batch.groupStart(), users * s + 1), rb = Dev.up(sc, batch.rowBucket(), rows);
            DeviceBuffer ud = DeviceBuffer.allocateFloats(sc, (long) users * s * m * dp), wd = DeviceBuffer.allocateFloats(sc, (long) rows * m);
            SmenNative.TIME_FORWARD.call(t(p, "q"), t(p, "beta"), m, dp, s, r, users, gs.pointer(), rb.pointer(), od.pointer(), ud.pointer(),
                    wd.pointer(), MemorySegment.NULL);
            Dev.sync("lurm_smen_time_forward");
            Dev.down(ud, 0, u, 0, (long) users * s * m * dp);
            Dev.down(wd, 0, weights, 0, (long) rows * m);
        }
    }

    @Override
    public void timeBackward(float[] params, SmenBatch batch, float[] o, float[] weights, float[] du, float[] dO, float[] grad) {
        checkParams("params", params);
        checkParams("grad", grad);
        Batches.validate(batch, k, r, s);
        int rows = batch.rows(), users = batch.users();
        need("o", o, (long) rows * m * dp);
        need("dO", dO, (long) rows * m * dp);
        need("weights", weights, (long) rows * m);
        need("du", du, (long) users * s * m * dp);
        if (users == 0) return;
        try (MemoryScope sc = scope("time-backward")) {
            DeviceBuffer p = Dev.up(sc, params), od = Dev.up(sc, o, 0, (long) rows * m * dp), wd = Dev.up(sc, weights, 0, (long) rows * m);
            DeviceBuffer dud = Dev.up(sc, du, 0, (long) users * s * m * dp), dOd = Dev.up(sc, dO, 0, (long) rows * m * dp);
            DeviceBuffer gs = Dev.up(sc, batch.groupStart(), users * s + 1), rb = Dev.up(sc, batch.rowBucket(), rows);
            DeviceBuffer scratch = DeviceBuffer.allocateFloats(sc, (long) users * s * m * (dp + r));
            DeviceBuffer gQ = gradSlice(sc, grad, "q"), gBeta = gradSlice(sc, grad, "beta");
            SmenNative.TIME_BACKWARD.call(t(p, "q"), m, dp, s, r, users, gs.pointer(), rb.pointer(), od.pointer(), wd.pointer(), dud.pointer(),
                    dOd.pointer(), scratch.pointer(), gQ.pointer(), gBeta.pointer(), MemorySegment.NULL);
            Dev.sync("lurm_smen_time_backward");
            Dev.down(dOd, 0, dO, 0, (long) rows * m * dp);
            gradBack(gQ, grad, "q");
            gradBack(gBeta, grad, "beta");
        }
    }

    @Override
    public int gateForward(float[] params, SmenBatch batch, float[] u, float[] z, float[] gate, boolean[] noRows) {
        checkParams("params", params);
        Batches.validate(batch, k, r, s);
        int users = batch.users();
        need("u", u, (long) users * s * m * dp);
        need("z", z, (long) users * m * dp);
        need("gate", gate, (long) users * m * s);
        if (noRows != null && noRows.length < users) throw new IllegalArgumentException("noRows has " + noRows.length + " entries, needs " + users);
        if (users == 0) return 0;
        int[] none;
        try (MemoryScope sc = scope("gate-forward")) {
            DeviceBuffer p = Dev.up(sc, params), ud = Dev.up(sc, u, 0, (long) users * s * m * dp), gs = Dev.up(sc, batch.groupStart(), users * s + 1);
            DeviceBuffer zd = DeviceBuffer.allocateFloats(sc, (long) users * m * dp), gd = DeviceBuffer.allocateFloats(sc, (long) users * m * s);
            DeviceBuffer nr = DeviceBuffer.allocateFloats(sc, users);
            SmenNative.GATE_FORWARD.call(t(p, "g"), m, dp, s, users, gs.pointer(), ud.pointer(), zd.pointer(), gd.pointer(), nr.pointer(),
                    MemorySegment.NULL);
            Dev.sync("lurm_smen_gate_forward");
            Dev.down(zd, 0, z, 0, (long) users * m * dp);
            Dev.down(gd, 0, gate, 0, (long) users * m * s);
            none = Dev.downInts(nr, users);
        }
        int empty = 0;
        for (int b = 0; b < users; b++) {
            if (none[b] != 0) empty++;
            if (noRows != null) noRows[b] = none[b] != 0;
        }
        return empty;
    }

    @Override
    public void gateBackward(float[] params, SmenBatch batch, float[] u, float[] gate, float[] dz, float[] du, float[] grad) {
        checkParams("params", params);
        checkParams("grad", grad);
        Batches.validate(batch, k, r, s);
        int users = batch.users();
        need("u", u, (long) users * s * m * dp);
        need("du", du, (long) users * s * m * dp);
        need("gate", gate, (long) users * m * s);
        need("dz", dz, (long) users * m * dp);
        if (users == 0) return;
        try (MemoryScope sc = scope("gate-backward")) {
            DeviceBuffer p = Dev.up(sc, params), ud = Dev.up(sc, u, 0, (long) users * s * m * dp), gd = Dev.up(sc, gate, 0, (long) users * m * s);
            DeviceBuffer dzd = Dev.up(sc, dz, 0, (long) users * m * dp), dud = Dev.up(sc, du, 0, (long) users * s * m * dp);
            DeviceBuffer gs = Dev.up(sc, batch.groupStart(), users * s + 1);
            DeviceBuffer scratch = DeviceBuffer.allocateFloats(sc, (long) users * m * dp), gG = gradSlice(sc, grad, "g");
            SmenNative.GATE_BACKWARD.call(t(p, "g"), m, dp, s, users, gs.pointer(), ud.pointer(), gd.pointer(), dzd.pointer(), dud.pointer(),
                    scratch.pointer(), gG.pointer(), MemorySegment.NULL);
            Dev.sync("lurm_smen_gate_backward");
            Dev.down(dud, 0, du, 0, (long) users * s * m * dp);
            gradBack(gG, grad, "g");
        }
    }

    /** The head's activations, on the heap, kept for its backward. */
    private record Head(int users, float[] hidden, float[] y, float[] norm, float[] p) implements HeadState {
    }

    @Override
    public HeadState headForward(float[] params, float[] z, int users) {
        checkParams("params", params);
        int in = c.outputWidth(), h1 = c.headHidden(), h2 = c.headOut();
        if (users < 0) throw new IllegalArgumentException("users must be >= 0, got " + users);
        need("z", z, (long) users * in);
        Head head = new Head(users, new float[users * h1], new float[users * h2], new float[users], new float[users * h2]);
        if (users == 0) return head;
        try (MemoryScope sc = scope("head-forward")) {
            DeviceBuffer p = Dev.up(sc, params), zd = Dev.up(sc, z, 0, (long) users * in);
            DeviceBuffer hid = DeviceBuffer.allocateFloats(sc, (long) users * h1), y = DeviceBuffer.allocateFloats(sc, (long) users * h2);
            DeviceBuffer norm = DeviceBuffer.allocateFloats(sc, users), pd = DeviceBuffer.allocateFloats(sc, (long) users * h2);
            SmenNative.HEAD_FORWARD.call(t(p, "P1"), t(p, "c1"), t(p, "P2"), t(p, "c2"), in, h1, h2, users, ProjectionHead.DEFAULT_NORM_EPS,
                    zd.pointer(), hid.pointer(), y.pointer(), norm.pointer(), pd.pointer(), MemorySegment.NULL);
            Dev.sync("lurm_smen_head_forward");
            Dev.down(hid, 0, head.hidden(), 0, (long) users * h1);
            Dev.down(y, 0, head.y(), 0, (long) users * h2);
            Dev.down(norm, 0, head.norm(), 0, users);
            Dev.down(pd, 0, head.p(), 0, (long) users * h2);
        }
        return head;
    }

    @Override
    public void headBackward(float[] params, float[] z, HeadState state, float[] dp, float[] dz, float[] grad) {
        checkParams("params", params);
        checkParams("grad", grad);
        if (!(state instanceof Head head)) throw new IllegalArgumentException("head state was not made by CudaSmenOps.headForward");
        int users = head.users(), in = c.outputWidth(), h1 = c.headHidden(), h2 = c.headOut();
        need("z", z, (long) users * in);
        need("dp", dp, (long) users * h2);
        need("dz", dz, (long) users * in);
        if (users == 0) return;
        try (MemoryScope sc = scope("head-backward")) {
            DeviceBuffer p = Dev.up(sc, params), zd = Dev.up(sc, z, 0, (long) users * in), hid = Dev.up(sc, head.hidden());
            DeviceBuffer norm = Dev.up(sc, head.norm()), pd = Dev.up(sc, head.p()), dpd = Dev.up(sc, dp, 0, (long) users * h2);
            DeviceBuffer dzd = Dev.up(sc, dz, 0, (long) users * in);
            DeviceBuffer gP1 = gradSlice(sc, grad, "P1"), gC1 = gradSlice(sc, grad, "c1"), gP2 = gradSlice(sc, grad, "P2"), gC2 = gradSlice(sc, grad, "c2");
            DeviceBuffer dy = DeviceBuffer.allocateFloats(sc, (long) users * h2), dh = DeviceBuffer.allocateFloats(sc, (long) users * h1);
            SmenNative.HEAD_BACKWARD.call(t(p, "P1"), t(p, "P2"), in, h1, h2, users, ProjectionHead.DEFAULT_NORM_EPS, zd.pointer(), hid.pointer(),
                    norm.pointer(), pd.pointer(), dpd.pointer(), dzd.pointer(), gP1.pointer(), gC1.pointer(), gP2.pointer(), gC2.pointer(),
                    dy.pointer(), dh.pointer(), MemorySegment.NULL);
            Dev.sync("lurm_smen_head_backward");
            Dev.down(dzd, 0, dz, 0, (long) users * in);
            gradBack(gP1, grad, "P1");
            gradBack(gC1, grad, "c1");
            gradBack(gP2, grad, "P2");
            gradBack(gC2, grad, "c2");
        }
    }

    @Override
    public double infoNce(float[] pA, float[] pB, int users, float scale, float[] dpA, float[] dpB) {
        int dim = c.headOut();
        if (users < 2) throw new IllegalArgumentException("InfoNce: needs at least 2 users (the other users are the negatives), got " + users);
        need("pA", pA, (long) users * dim);
        need("pB", pB, (long) users * dim);
        if ((dpA == null) != (dpB == null)) throw new IllegalArgumentException("dpA and dpB must both be given or both be null");
        if (dpA != null) {
            need("dpA", dpA, (long) users * dim);
            need("dpB", dpB, (long) users * dim);
        }
        try (MemoryScope sc = scope("infonce")) {
            DeviceBuffer a = Dev.up(sc, pA, 0, (long) users * dim), b = Dev.up(sc, pB, 0, (long) users * dim);
            DeviceBuffer da = dpA == null ? null : Dev.up(sc, dpA, 0, (long) users * dim), db = dpB == null ? null : Dev.up(sc, dpB, 0, (long) users * dim);
            DeviceBuffer loss = DeviceBuffer.allocate(sc, 8), scratch = DeviceBuffer.allocateFloats(sc, SmenNative.infoNceScratch(users));
            SmenNative.INFONCE.call(a.pointer(), b.pointer(), users, dim, c.tau(), scale, loss.pointer(), ptr(da), ptr(db), scratch.pointer(),
                    MemorySegment.NULL);
            Dev.sync("lurm_smen_infonce");
            if (da != null) {
                Dev.down(da, 0, dpA, 0, (long) users * dim);
                Dev.down(db, 0, dpB, 0, (long) users * dim);
            }
            return Dev.downDoubles(loss, 0, 1)[0];
        }
    }

    @Override
    public double diversity(float[] params, float scale, float[] grad) {
        checkParams("params", params);
        if (grad != null) checkParams("grad", grad);
        try (MemoryScope sc = scope("diversity")) {
            SmenLayout.Tensor a = layout.tensor("A");
            DeviceBuffer ad = Dev.up(sc, params, a.offset(), a.size());
            DeviceBuffer gA = grad == null ? null : gradSlice(sc, grad, "A");
            DeviceBuffer loss = DeviceBuffer.allocate(sc, 8);
            SmenNative.DIVERSITY.call(ad.pointer(), m, h, AnchorDiversity.DEFAULT_NORM_EPS, scale, loss.pointer(), ptr(gA), MemorySegment.NULL);
            Dev.sync("lurm_smen_diversity");
            if (gA != null) gradBack(gA, grad, "A");
            return Dev.downDoubles(loss, 0, 1)[0];
        }
    }

    /**
     * Checks what the prediction kernels rely on: candidates ascending and distinct (binary search for the targets,
     * unsynchronised scatter of the candidates' V rows) and inside [0, K).
     */
    static void checkCandidates(int[] candidates, int k) {
        if (candidates == null || candidates.length == 0) throw new IllegalArgumentException("interestPrediction needs at least one candidate");
        for (int i = 0; i < candidates.length; i++) {
            if (candidates[i] < 0 || candidates[i] >= k) throw new IllegalArgumentException("candidate " + i + " = " + candidates[i] + " is outside [0, K=" + k + ")");
            if (i > 0 && candidates[i] <= candidates[i - 1]) {
                throw new IllegalArgumentException("candidates must be ascending and distinct: entry " + i + " = " + candidates[i] + " after " + candidates[i - 1]);
            }
        }
    }

    @Override
    public double interestPrediction(float[] params, float[] z, int users, int[] candidates, float[] y, float scale, float[] dz, float[] grad) {
        checkParams("params", params);
        if (users < 0) throw new IllegalArgumentException("users must be >= 0, got " + users);
        checkCandidates(candidates, k);
        int md = c.outputWidth(), nc = candidates.length;
        need("z", z, (long) users * md);
        need("y", y, (long) users * nc);
        boolean backward = grad != null;
        if (backward) {
            checkParams("grad", grad);
            if (params == grad) throw new IllegalArgumentException("grad must not be the parameter array");
            need("dz", dz, (long) users * md);
        }
        if (users == 0) return 0;
        try (MemoryScope sc = scope("interest-prediction")) {
            DeviceBuffer p = Dev.up(sc, params), zd = Dev.up(sc, z, 0, (long) users * md), yd = Dev.up(sc, y, 0, (long) users * nc);
            DeviceBuffer cand = Dev.up(sc, candidates, nc);
            DeviceBuffer loss = DeviceBuffer.allocate(sc, 8), scratch = DeviceBuffer.allocateFloats(sc, SmenNative.predictScratch(users, nc, h));
            DeviceBuffer dzd = backward ? Dev.up(sc, dz, 0, (long) users * md) : null;
            DeviceBuffer gV = backward ? gradSlice(sc, grad, "V") : null, gW = backward ? gradSlice(sc, grad, "W") : null;
            SmenNative.PREDICT.call(t(p, "V"), t(p, "W"), h, m, dp, users, zd.pointer(), cand.pointer(), nc, yd.pointer(), scale, loss.pointer(),
                    ptr(dzd), ptr(gV), ptr(gW), scratch.pointer(), MemorySegment.NULL);
            Dev.sync("lurm_smen_predict");
            if (backward) {
                Dev.down(dzd, 0, dz, 0, (long) users * md);
                gradBack(gV, grad, "V");
                gradBack(gW, grad, "W");
            }
            return Dev.downDoubles(loss, 0, 1)[0];
        }
    }
}
