package org.lurm.cuda.smen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lurm.cuda.smen.SmenBackends.delta;
import static org.lurm.cuda.smen.SmenBackends.gaussian;
import static org.lurm.cuda.smen.SmenBackends.nmse;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lurm.backend.cpu.Parallel;
import org.lurm.cuda.CudaFn;
import org.lurm.cuda.DeviceTests;
import org.lurm.smen.CpuSmenOps;
import org.lurm.smen.SmenBatch;
import org.lurm.testing.SmenCase;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenLayout;
import org.lurm.smen.SmenOps;
import org.lurm.smen.SmenOptimizer;
import org.lurm.smen.ops.InterestPrediction;
import org.lurm.testing.TestData;

/**
 * The SMEN kernels' own CUDA source run on the CPU (no GPU in CI): {@code native-kernels/test/smen_emu/build.sh}
 * builds {@code native-kernels/target/emu/liblurm_kernels_emu.so} (every {@code src/*.cu} compiled by g++ against
 * the emulated CUDA runtime of {@code native-kernels/emu}), and this test calls its {@code lurm_smen_*} functions
 * kernel by kernel, on emulated device memory, against the scalar CPU reference. It checks indexing, layouts,
 * reductions and the online softmax of the real kernel code; what the emulation cannot show is listed in
 * docs/GPU.md. Skipped when the emulated library was not built (no g++), failed instead under CI or wherever a
 * device is required.
 */
class SmenKernelEmulationTest {
    static SymbolLookup lib;
    static Arena arena;
    static MethodHandle malloc, free, h2d, d2h;

    @BeforeAll
    static void load() {
        Path so = Path.of("../native-kernels/target/emu/liblurm_kernels_emu.so").toAbsolutePath().normalize();
        if (!Files.isRegularFile(so)) {
            String why = "emulated device not built (native-kernels/emu/build.sh needs g++ and python3): " + so;
            if ("true".equals(System.getenv("CI"))) throw new AssertionError(why);
            DeviceTests.assumeDevice(why);
        }
        arena = Arena.ofShared();
        lib = SymbolLookup.libraryLookup(so, arena);
        Linker l = Linker.nativeLinker();
        malloc = l.downcallHandle(lib.find("lurm_malloc").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        free = l.downcallHandle(lib.find("lurm_free").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        FunctionDescriptor copy = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);
        h2d = l.downcallHandle(lib.find("lurm_memcpy_h2d").orElseThrow(), copy);
        d2h = l.downcallHandle(lib.find("lurm_memcpy_d2h").orElseThrow(), copy);
    }

    /** Emulated device memory holding {@code host} (at least 16 bytes). */
    static MemorySegment upload(Arena a, MemorySegment host, List<MemorySegment> owned) throws Throwable {
        MemorySegment slot = a.allocate(ValueLayout.ADDRESS);
        assertEquals(0, (int) malloc.invokeExact(slot, Math.max(16L, host.byteSize())), "lurm_malloc");
        MemorySegment d = slot.get(ValueLayout.ADDRESS, 0);
        owned.add(d);
        if (host.byteSize() > 0) assertEquals(0, (int) h2d.invokeExact(d, host, host.byteSize()), "lurm_memcpy_h2d");
        return d;
    }

    /**
     * Calls an emulated function; float[]/int[]/double[] arguments are copied to emulated device memory and
     * (float[], double[], int[]) back out.
     */
    static void call(CudaFn f, Object... args) {
        List<MemorySegment> owned = new ArrayList<>();
        try (Arena a = Arena.ofConfined()) {
            Object[] native_ = new Object[args.length];
            List<Runnable> back = new ArrayList<>();
            try {
                for (int i = 0; i < args.length; i++) {
                    Object x = args[i];
                    if (x == null) {
                        native_[i] = MemorySegment.NULL;
                    } else if (x instanceof float[] || x instanceof int[] || x instanceof double[]) {
                        native_[i] = staged(a, x, owned, back);
                    } else {
                        native_[i] = x;
                    }
                }
                MethodHandle h = Linker.nativeLinker().downcallHandle(lib.find(f.symbol()).orElseThrow(), f.descriptor());
                int rc = (int) h.invokeWithArguments(native_);
                assertEquals(0, rc, f.symbol() + " returned " + rc);
                back.forEach(Runnable::run);
            } catch (Throwable t) {
                if (t instanceof AssertionError e) throw e;
                throw new AssertionError(f.symbol() + " failed", t);
            } finally {
                for (MemorySegment d : owned) {
                    try {
                        assertEquals(0, (int) free.invokeExact(d), "lurm_free");
                    } catch (Throwable t) {
                        throw new AssertionError("lurm_free failed", t);
                    }
                }
            }
        }
    }

    /** A float[]/int[]/double[] copied to emulated device memory, and back into the array after the call. */
    static MemorySegment staged(Arena a, Object array, List<MemorySegment> owned, List<Runnable> back) throws Throwable {
        ValueLayout layout = array instanceof float[] ? ValueLayout.JAVA_FLOAT : array instanceof int[] ? ValueLayout.JAVA_INT : ValueLayout.JAVA_DOUBLE;
        int n = java.lang.reflect.Array.getLength(array);
        MemorySegment s = a.allocate(n * layout.byteSize(), 16);
        MemorySegment.copy(array, 0, s, layout, 0, n);
        MemorySegment d = upload(a, s, owned);
        back.add(() -> {
            download(s, d);
            MemorySegment.copy(s, layout, 0, array, 0, n);
        });
        return d;
    }

    static void download(MemorySegment host, MemorySegment device) {
        if (host.byteSize() == 0) return;
        try {
            assertEquals(0, (int) d2h.invokeExact(host, device, host.byteSize()), "lurm_memcpy_d2h");
        } catch (Throwable t) {
            throw new AssertionError("lurm_memcpy_d2h failed", t);
        }
    }

    static float[] slice(float[] p, SmenLayout l, String name) {
        SmenLayout.Tensor t = l.tensor(name);
        return Arrays.copyOfRange(p, (int) t.offset(), (int) (t.offset() + t.size()));
    }

    static void put(float[] p, SmenLayout l, String name, float[] v) {
        System.arraycopy(v, 0, p, (int) l.tensor(name).offset(), v.length);
    }

    static void close(String what, float[] ref, float[] got, double bound) {
        double e = nmse(ref, got, ref.length);
        assertTrue(e <= bound, what + ": NMSE " + e + " > " + bound);
    }

    static List<SmenCase> cases(SplittableRandom r) {
        return List.of(SmenCase.random(r), SmenCase.random(r, SmenCase.sized(40, 3, 5, 5, 24, 12, 0.2f, 0.3f), 50, 2, 5), SmenBackends.wide(r));
    }

    @Test
    void everyKernelMatchesTheScalarReference() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("SmenKernelEmulationTest"));
        try (Parallel one = new Parallel(1)) {
            for (SmenCase c : cases(rnd)) check(c, new CpuSmenOps(c.layout(), one, false), rnd);
        }
    }

    static void check(SmenCase c, SmenOps ref, SplittableRandom rnd) {
        SmenLayout l = c.layout();
        SmenConfig cfg = c.config();
        int h = cfg.h(), m = cfg.anchors(), dp = cfg.anchorDim(), s = c.scales(), r = cfg.recencyBuckets(), k = c.numInterests();
        float[] p = c.params();
        float[] V = slice(p, l, "V"), A = slice(p, l, "A"), W = slice(p, l, "W"), b = slice(p, l, "b");
        SmenBatch bt = c.viewB();
        int rows = bt.rows(), nnz = bt.nnz(), users = bt.users();

        // Anchor attention forward: r and the attention; and the encoder's variant (gathered scores, fused projection).
        float[] r1 = new float[rows * m * h], a1 = new float[nnz * m], r2 = new float[r1.length], a2 = new float[a1.length];
        ref.attentionForward(p, bt, r1, a1);
        call(SmenNative.ATTENTION_FORWARD, V, A, h, m, rows, bt.rowPtr(), bt.cols(), bt.vals(), null, a2, null, null, 0, r2, null);
        close("r", r1, r2, 1e-10);
        close("attention", a1, a2, 1e-10);
        float[] scores = new float[k * m], o1 = new float[rows * m * dp], o2 = new float[o1.length];
        call(SmenNative.INTEREST_SCORES, V, A, k, h, m, scores, null);
        ref.projectionForward(p, rows, r1, o1);
        call(SmenNative.ATTENTION_FORWARD, V, A, h, m, rows, bt.rowPtr(), bt.cols(), bt.vals(), scores, null, W, b, dp, o2, null);
        close("o (fused, gathered scores)", o1, o2, 1e-10);

        // Anchor attention backward.
        float[] dr = gaussian(rnd, r1.length, 1), g0 = gaussian(rnd, p.length, 1), g1 = g0.clone();
        int[] t1 = ref.attentionBackward(p, bt, a1, dr, g1);
        Batches.Segments seg = Batches.segments(bt, k);
        assertArrayEquals(t1, seg.interests(), "touched interests");
        float[] gV = slice(g0, l, "V"), gA = slice(g0, l, "A");
        call(SmenNative.ATTENTION_BACKWARD, V, A, h, m, rows, bt.rowPtr(), bt.cols(), a1, dr, seg.perm(), seg.segStart(), seg.interests(),
                seg.count(), new float[nnz * m], new float[nnz * h], new float[SmenNative.attentionBackwardBlocks(rows) * m * h], gV, gA, null);
        float[] g2 = g0.clone();
        put(g2, l, "V", gV);
        put(g2, l, "A", gA);
        close("dV, dA", delta(g1, g0), delta(g2, g0), 1e-9);

        // Per-anchor projection.
        float[] o3 = new float[o1.length];
        call(SmenNative.PROJECTION_FORWARD, W, b, h, m, dp, rows, r1, o3, null);
        close("o", o1, o3, 1e-10);
        float[] dout = gaussian(rnd, o1.length, 1), dr0 = gaussian(rnd, r1.length, 1), dr1 = dr0.clone(), dr2 = dr0.clone();
        g1 = g0.clone();
        ref.projectionBackward(p, rows, r1, dout, dr1, g1);
        float[] gW = slice(g0, l, "W"), gb = slice(g0, l, "b");
        call(SmenNative.PROJECTION_BACKWARD, W, h, m, dp, rows, r1, dout, dr2, gW, gb,
                new float[(int) SmenNative.projectionBackwardScratch(h, m, dp, rows)], null);
        g2 = g0.clone();
        put(g2, l, "W", gW);
        put(g2, l, "b", gb);
        close("projection dr", delta(dr1, dr0), delta(dr2, dr0), 1e-9);
        close("dW, db", delta(g1, g0), delta(g2, g0), 1e-9);

        // Time attention.
        float[] q = slice(p, l, "q"), beta = slice(p, l, "beta");
        int un = users * s * m * dp;
        float[] u1 = new float[un], w1 = new float[rows * m], u2 = new float[un], w2 = new float[w1.length];
        ref.timeForward(p, bt, o1, u1, w1);
        call(SmenNative.TIME_FORWARD, q, beta, m, dp, s, r, users, bt.groupStart(), bt.rowBucket(), o1, u2, w2, null);
        close("u", u1, u2, 1e-10);
        close("time weights", w1, w2, 1e-10);
        float[] du = gaussian(rnd, un, 1), dO0 = gaussian(rnd, o1.length, 1), dO1 = dO0.clone(), dO2 = dO0.clone();
        g1 = g0.clone();
        ref.timeBackward(p, bt, o1, w1, du, dO1, g1);
        float[] gq = slice(g0, l, "q"), gbeta = slice(g0, l, "beta");
        call(SmenNative.TIME_BACKWARD, q, m, dp, s, r, users, bt.groupStart(), bt.rowBucket(), o1, w1, du, dO2, new float[users * s * m * (dp + r)],
                gq, gbeta, null);
        g2 = g0.clone();
        put(g2, l, "q", gq);
        put(g2, l, "beta", gbeta);
        close("dO", delta(dO1, dO0), delta(dO2, dO0), 1e-9);
        close("dq, dbeta", delta(g1, g0), delta(g2, g0), 1e-9);

        // Scale gate (on view A too: it has a user without rows and one without rows at scale 0).
        for (SmenBatch v : new SmenBatch[] {c.viewA(), bt}) {
            int vu = v.users();
            float[] g = slice(p, l, "g"), uu = gaussian(rnd, vu * s * m * dp, 1);
            float[] z1 = new float[vu * m * dp], z2 = new float[z1.length], c1 = new float[vu * m * s], c2 = new float[c1.length];
            boolean[] n1 = new boolean[vu];
            int[] n2 = new int[vu];
            ref.gateForward(p, v, uu, z1, c1, n1);
            call(SmenNative.GATE_FORWARD, g, m, dp, s, vu, v.groupStart(), uu, z2, c2, n2, null);
            close("z", z1, z2, 1e-10);
            close("gate", c1, c2, 1e-10);
            for (int i = 0; i < vu; i++) assertEquals(n1[i], n2[i] != 0, "no-rows flag of user " + i);
            float[] dz = gaussian(rnd, z1.length, 1), du0 = gaussian(rnd, uu.length, 1), du1 = du0.clone(), du2 = du0.clone();
            g1 = g0.clone();
            ref.gateBackward(p, v, uu, c1, dz, du1, g1);
            float[] gg = slice(g0, l, "g");
            call(SmenNative.GATE_BACKWARD, g, m, dp, s, vu, v.groupStart(), uu, c1, dz, du2, new float[vu * m * dp], gg, null);
            g2 = g0.clone();
            put(g2, l, "g", gg);
            close("gate du", delta(du1, du0), delta(du2, du0), 1e-9);
            close("dg", delta(g1, g0), delta(g2, g0), 1e-9);
        }

        // Projection head.
        int in = cfg.outputWidth(), h1 = cfg.headHidden(), h2 = cfg.headOut();
        float[] z = gaussian(rnd, users * in, 1);
        SmenOps.HeadState hs = ref.headForward(p, z, users);
        float[] P1 = slice(p, l, "P1"), C1 = slice(p, l, "c1"), P2 = slice(p, l, "P2"), C2 = slice(p, l, "c2");
        float[] hid = new float[users * h1], y = new float[users * h2], norm = new float[users], pp = new float[users * h2];
        call(SmenNative.HEAD_FORWARD, P1, C1, P2, C2, in, h1, h2, users, 1e-12f, z, hid, y, norm, pp, null);
        close("p", hs.p(), pp, 1e-10);
        float[] dpp = gaussian(rnd, pp.length, 1), dz0 = gaussian(rnd, z.length, 1), dz1 = dz0.clone(), dz2 = dz0.clone();
        g1 = g0.clone();
        ref.headBackward(p, z, hs, dpp, dz1, g1);
        float[] gP1 = slice(g0, l, "P1"), gC1 = slice(g0, l, "c1"), gP2 = slice(g0, l, "P2"), gC2 = slice(g0, l, "c2");
        call(SmenNative.HEAD_BACKWARD, P1, P2, in, h1, h2, users, 1e-12f, z, hid, norm, pp, dpp, dz2, gP1, gC1, gP2, gC2,
                new float[users * h2], new float[users * h1], null);
        g2 = g0.clone();
        put(g2, l, "P1", gP1);
        put(g2, l, "c1", gC1);
        put(g2, l, "P2", gP2);
        put(g2, l, "c2", gC2);
        close("head dz", delta(dz1, dz0), delta(dz2, dz0), 1e-9);
        close("dP1, dc1, dP2, dc2", delta(g1, g0), delta(g2, g0), 1e-9);

        // InfoNCE and the diversity term.
        float[] pa = SmenOpsCrossBackendTest.unitRows(rnd, users, h2), pb = SmenOpsCrossBackendTest.unitRows(rnd, users, h2);
        float[] da0 = gaussian(rnd, pa.length, 1), db0 = gaussian(rnd, pb.length, 1);
        float[] da1 = da0.clone(), db1 = db0.clone(), da2 = da0.clone(), db2 = db0.clone();
        double l1 = ref.infoNce(pa, pb, users, 0.7f, da1, db1);
        double[] l2 = new double[1];
        call(SmenNative.INFONCE, pa, pb, users, h2, cfg.tau(), 0.7f, l2, da2, db2, new float[(int) SmenNative.infoNceScratch(users)], null);
        assertEquals(l1, l2[0], 1e-6 * Math.abs(l1), "InfoNCE loss");
        close("dpA", delta(da1, da0), delta(da2, da0), 1e-9);
        close("dpB", delta(db1, db0), delta(db2, db0), 1e-9);
        g1 = g0.clone();
        double dv1 = ref.diversity(p, 0.3f, g1);
        double[] dv2 = new double[1];
        float[] gA2 = slice(g0, l, "A");
        call(SmenNative.DIVERSITY, A, m, h, 1e-12f, 0.3f, dv2, gA2, null);
        g2 = g0.clone();
        put(g2, l, "A", gA2);
        assertEquals(dv1, dv2[0], 1e-9 * Math.max(1, Math.abs(dv1)), "L_div");
        close("diversity dA", delta(g1, g0), delta(g2, g0), 1e-10);
    }

    /**
     * The interest prediction's kernels: the targets bit for bit InterestPrediction.targets; the loss and the
     * accumulated dz, dV, dW against InterestPrediction (the scalar ops) and the loss also against a float64 loop
     * written here; over all K and over a sampled-like subset (the views' interests plus some others), with users
     * that have no targets (view A's first users) and C from 26 to 400 (the dq product's chunks of 256 whole and
     * partial); then a batch where nobody has targets (loss 0, nothing added).
     */
    @Test
    void interestPredictionMatchesTheReference() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("SmenKernelEmulationTest.interestPrediction"));
        try (Parallel one = new Parallel(1)) {
            for (SmenCase c : cases(rnd)) checkPrediction(c, new CpuSmenOps(c.layout(), one, false), rnd);
        }
    }

    static void checkPrediction(SmenCase c, SmenOps ref, SplittableRandom rnd) {
        SmenLayout l = c.layout();
        SmenConfig cfg = c.config();
        int h = cfg.h(), m = cfg.anchors(), dp = cfg.anchorDim(), k = c.numInterests(), users = c.users(), md = cfg.outputWidth();
        float[] p = c.params(), V = slice(p, l, "V"), W = slice(p, l, "W");
        boolean[] keep = new boolean[k];
        for (SmenBatch v : new SmenBatch[] {c.viewA(), c.viewB()}) for (int j = 0; j < v.nnz(); j++) keep[v.cols()[j]] = true;
        for (int i = 0; i < k; i++) keep[i] |= rnd.nextInt(4) == 0;
        int[] subset = java.util.stream.IntStream.range(0, k).filter(i -> keep[i]).toArray();
        int[] all = java.util.stream.IntStream.range(0, k).toArray();
        for (int[] cand : new int[][] {all, subset}) {
            int nc = cand.length;
            String where = "K " + k + ", C " + nc + ", B " + users + ", h " + h;
            for (SmenBatch v : new SmenBatch[] {c.viewA(), c.viewB()}) {
                float[] y1 = InterestPrediction.targets(v, cand), y2 = new float[users * nc];
                Arrays.fill(y2, Float.NaN);
                call(SmenNative.PREDICT_TARGETS, v.rowPtr(), v.cols(), v.vals(), v.groupStart(), users, c.scales(), cand, nc, k, y2, null);
                assertArrayEquals(y1, y2, where + ": targets");
                // The last interest left out (a calibrated sink's place): as the host leaves it out.
                float[] y3 = InterestPrediction.targets(v, cand, k - 1), y4 = new float[users * nc];
                Arrays.fill(y4, Float.NaN);
                call(SmenNative.PREDICT_TARGETS, v.rowPtr(), v.cols(), v.vals(), v.groupStart(), users, c.scales(), cand, nc, k - 1, y4, null);
                assertArrayEquals(y3, y4, where + ": targets below " + (k - 1));
            }
            // View A's targets (users without any: not scored), unless nobody has any there (two users, S > 1).
            float[] y = InterestPrediction.targets(c.viewA(), cand), z = gaussian(rnd, users * md, 1);
            boolean anyA = false;
            for (float x : y) anyA |= x > 0;
            if (!anyA) y = InterestPrediction.targets(c.viewB(), cand);
            float[] scratch = new float[Math.toIntExact(SmenNative.predictScratch(users, nc, h))];
            double l1 = ref.interestPrediction(p, z, users, cand, y, 0f, null, null);
            double[] l2 = new double[1];
            call(SmenNative.PREDICT, V, W, h, m, dp, users, z, cand, nc, y, 0f, l2, null, null, null, scratch, null);
            assertTrue(l1 > 0, where + ": loss " + l1);
            assertEquals(l1, l2[0], 1e-5 * l1, where + ": loss against InterestPrediction");
            assertEquals(predictionLoss64(l, p, z, users, cand, y), l2[0], 1e-5 * l1, where + ": loss against the float64 loop");
            float[] g0 = gaussian(rnd, p.length, 1), g1 = g0.clone(), dz0 = gaussian(rnd, z.length, 1), dz1 = dz0.clone(), dz2 = dz0.clone();
            double l3 = ref.interestPrediction(p, z, users, cand, y, 0.35f, dz1, g1);
            float[] gV = slice(g0, l, "V"), gW = slice(g0, l, "W");
            double[] l4 = new double[1];
            call(SmenNative.PREDICT, V, W, h, m, dp, users, z, cand, nc, y, 0.35f, l4, dz2, gV, gW, scratch, null);
            assertEquals(l3, l4[0], 1e-5 * l3, where + ": loss with the gradient");
            float[] g2 = g0.clone();
            put(g2, l, "V", gV);
            put(g2, l, "W", gW);
            // Against the float64 gradient: the kernels sum each product first and add it to the (here unit-sized)
            // accumulators once, so what remains is the rounding of that one addition (NMSE about 1e-10 seen).
            // InterestPrediction adds every term straight into the accumulators, each addition rounded at their
            // scale (NMSE up to 3e-9 against float64 seen at K 400), hence the looser bound against it.
            double[][] ex = predictionGradient64(l, p, z, users, cand, y, 0.35f);
            double e = nmse64(ex[0], delta(dz2, dz0));
            assertTrue(e < 1e-8, where + ": prediction dz against float64: NMSE " + e);
            e = nmse64(ex[1], delta(g2, g0));
            assertTrue(e < 1e-8, where + ": prediction dV, dW against float64: NMSE " + e);
            close("prediction dz (" + where + ")", delta(dz1, dz0), delta(dz2, dz0), 1e-7);
            close("prediction dV, dW (" + where + ")", delta(g1, g0), delta(g2, g0), 1e-7);
            int v0 = l.offset("V");
            for (int kk = 0; kk < k; kk++) {
                if (Arrays.binarySearch(cand, kk) >= 0) continue;
                for (int i = 0; i < h; i++) assertEquals(g0[v0 + kk * h + i], g2[v0 + kk * h + i], where + ": V row " + kk + " is no candidate");
            }
        }
        // Nobody has targets: loss 0, and the gradient and dz stay exactly as they were.
        float[] y0 = new float[users * k], z = gaussian(rnd, users * md, 1), dz0 = gaussian(rnd, z.length, 1), dz = dz0.clone();
        float[] g0 = gaussian(rnd, p.length, 1), gV = slice(g0, l, "V"), gW = slice(g0, l, "W");
        double[] l0 = {Double.NaN};
        call(SmenNative.PREDICT, V, W, h, m, dp, users, z, all, k, y0, 1f, l0, dz, gV, gW,
                new float[Math.toIntExact(SmenNative.predictScratch(users, k, h))], null);
        assertEquals(0.0, l0[0], "no targets: loss");
        assertArrayEquals(dz0, dz, "no targets: dz");
        assertArrayEquals(slice(g0, l, "V"), gV, "no targets: dV");
        assertArrayEquals(slice(g0, l, "W"), gW, "no targets: dW");
    }

    static double nmse64(double[] ref, float[] got) {
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            num += (got[i] - ref[i]) * (got[i] - ref[i]);
            den += ref[i] * ref[i];
        }
        return num / Math.max(den, 1e-300);
    }

    /**
     * scale times the gradient of L_pred in float64, worked by hand: per scored user g = (softmax - y) scale /
     * scored, dV[cand_c] += g_c q / sqrt h, dq = sum_c g_c V[cand_c] / sqrt h, dz_m = W_m^T dq, dW_m += dq z_m^T.
     * Returns {dz (users x M d'), the parameter gradient (V and W filled)}.
     */
    static double[][] predictionGradient64(SmenLayout l, float[] p, float[] z, int users, int[] cand, float[] y, float scale) {
        int h = l.config().h(), m = l.config().anchors(), d = l.config().anchorDim(), nc = cand.length;
        int vOff = l.offset("V"), wOff = l.offset("W");
        double[] dz = new double[z.length], g = new double[p.length];
        int scored = 0;
        for (int u = 0; u < users; u++) {
            double mass = 0;
            for (int i = 0; i < nc; i++) mass += y[u * nc + i];
            if (mass > 0) scored++;
        }
        for (int u = 0; u < users; u++) {
            double mass = 0;
            for (int i = 0; i < nc; i++) mass += y[u * nc + i];
            if (mass <= 0) continue;
            double[] q = new double[h];
            for (int a = 0; a < m; a++)
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < d; j++) q[i] += (double) p[wOff + (a * h + i) * d + j] * z[(u * m + a) * d + j];
            double[] logit = new double[nc];
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < nc; i++) {
                for (int x = 0; x < h; x++) logit[i] += (double) p[vOff + cand[i] * h + x] * q[x];
                logit[i] /= Math.sqrt(h);
                max = Math.max(max, logit[i]);
            }
            double se = 0;
            for (double x : logit) se += Math.exp(x - max);
            double[] dq = new double[h];
            for (int i = 0; i < nc; i++) {
                double gi = (Math.exp(logit[i] - max) / se - y[u * nc + i]) * scale / scored / Math.sqrt(h);
                for (int x = 0; x < h; x++) {
                    g[vOff + cand[i] * h + x] += gi * q[x];
                    dq[x] += gi * p[vOff + cand[i] * h + x];
                }
            }
            for (int a = 0; a < m; a++)
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < d; j++) {
                        dz[(u * m + a) * d + j] += p[wOff + (a * h + i) * d + j] * dq[i];
                        g[wOff + (a * h + i) * d + j] += dq[i] * z[(u * m + a) * d + j];
                    }
        }
        return new double[][] {dz, g};
    }

    /** L_pred in float64 from its definition: per user with targets, q = sum_m W_m z_m, CE of softmax(V[cand] q / sqrt h) with y; mean. */
    static double predictionLoss64(SmenLayout l, float[] p, float[] z, int users, int[] cand, float[] y) {
        int h = l.config().h(), m = l.config().anchors(), d = l.config().anchorDim(), nc = cand.length;
        int vOff = l.offset("V"), wOff = l.offset("W");
        double total = 0;
        int scored = 0;
        for (int u = 0; u < users; u++) {
            double mass = 0;
            for (int i = 0; i < nc; i++) mass += y[u * nc + i];
            if (mass <= 0) continue;
            scored++;
            double[] q = new double[h];
            for (int a = 0; a < m; a++)
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < d; j++) q[i] += (double) p[wOff + (a * h + i) * d + j] * z[(u * m + a) * d + j];
            double[] logit = new double[nc];
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < nc; i++) {
                for (int x = 0; x < h; x++) logit[i] += (double) p[vOff + cand[i] * h + x] * q[x];
                logit[i] /= Math.sqrt(h);
                max = Math.max(max, logit[i]);
            }
            double se = 0;
            for (double x : logit) se += Math.exp(x - max);
            double logZ = max + Math.log(se);
            for (int i = 0; i < nc; i++) total -= y[u * nc + i] * (logit[i] - logZ);
        }
        return scored == 0 ? 0 : total / scored;
    }

    @Test
    void clippingAndAdamMatchTheOptimizer() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed("clippingAndAdamMatchTheOptimizer"));
        SmenCase c = SmenCase.random(rnd);
        SmenLayout l = c.layout();
        SmenConfig cfg = c.config();
        float[] p1 = c.params().clone(), p2 = p1.clone();
        float[] mm = new float[p1.length], vv = new float[p1.length];
        SmenOptimizer opt = new SmenOptimizer(l, 10);
        int[] rows = {0, 2, c.numInterests() - 1};
        for (int step = 0; step < 3; step++) {
            float[] g = gaussian(rnd, p1.length, step == 1 ? 10 : 0.01);   // step 1 is clipped
            float[] gc = g.clone();
            double n1 = opt.apply(p1, gc, rows, rows.length);
            double[] state = new double[4 + SmenNative.NORM_BLOCKS];
            double[] scratch = new double[SmenNative.NORM_BLOCKS], st = new double[2];
            long dense = l.denseOffset(), total = l.total();
            call(SmenNative.GRAD_NORM, g, dense, total, rows, rows.length, cfg.h(), 0L, cfg.clipNorm(), scratch, st, null);
            assertEquals(n1, st[0], 1e-6 * n1, "gradient norm");
            float lr = CudaSmenTraining.learningRate(cfg, 10, step);
            double cc1 = 1 - Math.pow(cfg.beta1(), step + 1), cc2 = 1 - Math.pow(cfg.beta2(), step + 1);
            call(SmenNative.ADAM, p2, g, mm, vv, dense, total, rows, rows.length, cfg.h(), 0L, st, cfg.beta1(), cfg.beta2(), cfg.eps(),
                    (float) (lr / cc1), (float) Math.sqrt(cc2), null);
            assertTrue(nmse(delta(p1, c.params()), delta(p2, c.params()), p1.length) < 1e-10, "parameters after step " + step);
            assertArrayEquals(gc, g, "the gradient entries read are zeroed (the others untouched)");
            assertTrue(nmse(opt.firstMoment(), mm, mm.length) < 1e-10 && nmse(opt.secondMoment(), vv, vv.length) < 1e-10, "moments");
            assertEquals(0, state[0]);
        }
    }

    @Test
    void syntheticUsersAreTheHostCopy() {
        int users = 3, scales = 2, periods = 4, nnz = 5, k = 77, buckets = 6;
        long seed = 4242;
        int rows = users * scales * periods;
        int[] rowPtr = new int[rows + 1], cols = new int[rows * nnz], bucket = new int[rows], gs = new int[users * scales + 1];
        float[] vals = new float[rows * nnz];
        call(SmenNative.SYNTH_BATCH, users, scales, periods, nnz, k, buckets, seed, rowPtr, cols, vals, bucket, gs, null);
        SmenBatch host = SmenSynth.batch(0, users, scales, periods, nnz, k, buckets, seed);
        assertArrayEquals(host.rowPtr(), rowPtr);
        assertArrayEquals(host.cols(), cols);
        assertArrayEquals(host.vals(), vals);
        assertArrayEquals(host.rowBucket(), bucket);
        assertArrayEquals(host.groupStart(), gs);
    }
}
