package org.lurm.perf.gpu;

import java.util.Locale;
import java.util.SplittableRandom;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.cuda.DeviceBuffer;
import org.lurm.cuda.smen.CudaSmenEncoder;
import org.lurm.cuda.smen.CudaSmenTraining;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.memory.MemoryScope;
import org.lurm.perf.RandomSmenViews;
import org.lurm.smen.SmenBatch;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenLayout;

/**
 * A short, small device sequence for compute-sanitizer (memcheck, racecheck, initcheck: perf-tests/gpu/run.sh runs
 * {@code compute-sanitizer --tool T java ... org.lurm.perf.gpu.GpuSanitizerRun}): a few {@link CudaSmenTraining}
 * steps with the interest prediction term on (so every training kernel runs: both views forward, InfoNCE,
 * diversity, prediction, backward, clipping, dense and lazy Adam), a loss evaluation, the parameters read back, a
 * {@link CudaSmenEncoder} encoding of a heap batch, of resident users and of users generated on the device, and
 * each op of the cuda {@link Backend} once (dot, GEMM, CSR x dense, nearest-centroid assignment): the real
 * Java call paths, staging and workspace carving included, not only the kernels. Sizes are small so the
 * instrumented run takes seconds. Exits 0 after printing "sanitizer sequence: done"; any CUDA error throws
 * (exit 1). Not a benchmark (its name does not end in Bench, so run.sh does not time it).
 *
 * <p>Usage: {@code java ... org.lurm.perf.gpu.GpuSanitizerRun [--steps 3]}.
 */
public final class GpuSanitizerRun {
    private GpuSanitizerRun() {
    }

    public static void main(String[] args) {
        int steps = SmenGpuBenchSupport.intArg(args, "steps", 3);
        String card = SmenGpuBenchSupport.deviceOrSkip("sanitizer sequence");
        if (card == null) System.exit(2);
        long t0 = System.nanoTime();
        int users = 24, scales = 2, k = 600;
        SmenConfig cfg = SmenConfig.defaults().toBuilder().predictionWeight(0.3f).build();
        SmenLayout layout = new SmenLayout(cfg, k, scales);
        float[] params = SmenGpuBenchSupport.params(layout, 0.1, 42);
        SplittableRandom r = new SplittableRandom(42);
        SmenBatch a = RandomSmenViews.randomView(r, cfg, users, scales, 3, 12, k), b = RandomSmenViews.randomView(r, cfg, users, scales, 3, 12, k);
        float[] trained;
        try (CudaSmenTraining train = new CudaSmenTraining(layout, params, steps)) {
            for (int i = 0; i < steps; i++) {
                double loss = train.step(a, b).total();
                System.out.println(String.format(Locale.ROOT, "[sanitizer] step %d: loss %.5f, grad norm %.4f", i + 1, loss, train.lastGradNorm()));
            }
            System.out.println(String.format(Locale.ROOT, "[sanitizer] held-out loss %.5f", train.loss(a, b).total()));
            trained = train.parameters();
        }
        try (CudaSmenEncoder enc = new CudaSmenEncoder(layout, trained)) {
            float[] z = enc.encode(a);
            CudaSmenEncoder.Users resident = enc.upload(b);
            enc.encode(resident);
            float[] zb = resident.z(0, resident.count());
            CudaSmenEncoder.Users synth = enc.synthetic(40, 3, 7, 5);
            enc.encode(synth);
            float[] zs = synth.z(0, synth.count());
            System.out.println("[sanitizer] encoded " + z.length / enc.width() + " + " + zb.length / enc.width() + " + " + zs.length / enc.width() + " users");
        }
        try (Backend be = Backends.select("cuda").create(1); MemoryScope s = MemoryScope.root("sanitizer")) {
            int m = 37, n = 29, kk = 45;
            F32Array x = random(s, r, (long) m * kk), y = random(s, r, (long) kk * n), c = random(s, r, (long) m * n);
            be.gemm(false, true, m, n, kk, 1f, x, y, 0.5f, c);
            float dot = be.dot(x, 1, y, 2, 500);
            // CSR x dense: m rows of up to 6 columns of [0, kk).
            long[] ptr = new long[m + 1];
            for (int i = 0; i < m; i++) ptr[i + 1] = ptr[i] + r.nextInt(7);
            I64Array rowPtr = s.copyOf(ptr);
            int[] cols = new int[(int) ptr[m]];
            for (int i = 0; i < cols.length; i++) cols[i] = r.nextInt(kk);
            F32Array vals = random(s, r, cols.length), dense = random(s, r, (long) kk * 5), out = s.allocateF32((long) m * 5);
            be.csrMultiply(false, rowPtr, s.copyOf(cols), vals, m, kk, dense, 5, out);
            be.csrMultiply(true, rowPtr, s.copyOf(cols), vals, m, kk, random(s, r, (long) m * 5), 5, s.allocateF32((long) kk * 5));
            I32Array idx = s.allocateI32(m);
            be.assignNearest(x, m, random(s, r, 9L * kk), 9, kk, idx, s.allocateF32(m));
            System.out.println(String.format(Locale.ROOT, "[sanitizer] backend ops: dot %.4f, c[0] %.4f, first assignment %d", dot, c.get(0), idx.get(0)));
        }
        if (DeviceBuffer.liveCount() != 0) throw new IllegalStateException(DeviceBuffer.liveCount() + " device buffers left open");
        System.out.println(String.format(Locale.ROOT, "[sanitizer] %s: sanitizer sequence: done in %.1f s", card, (System.nanoTime() - t0) / 1e9));
    }

    private static F32Array random(MemoryScope s, SplittableRandom r, long n) {
        F32Array a = s.allocateF32(Math.max(n, 1));
        for (long i = 0; i < n; i++) a.set(i, (float) r.nextGaussian());
        return a;
    }
}
