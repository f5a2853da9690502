package org.lurm.cuda.smen;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.lurm.cuda.CudaStream;
import org.lurm.cuda.DeviceBuffer;
import org.lurm.memory.MemoryScope;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenLayout;

/**
 * Timings of the SMEN kernels on the device for the GPU benchmarks ({@code org.lurm.perf.gpu.Smen*Bench}): the
 * device-to-device copy bandwidth (the floor every kernel is compared with, measured in the same run) and the
 * anchor attention forward alone on device-resident synthetic users. Each figure is the median of {@code reps}
 * runs, each timed from a synchronised stream to the end of the work on it. Static; not for concurrent use with
 * other work on the same device (timings would mix).
 */
public final class SmenGpuTimer {
    private SmenGpuTimer() {
    }

    /** One anchor-attention-forward measurement: sizes, median seconds and the bytes the floor counts. */
    public record Attention(int rows, long nnz, double seconds, long floorBytes, boolean fused) {
    }

    private static double median(double[] t) {
        double[] s = t.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /** Bytes per second of a device-to-device copy of {@code bytes} (read + write both counted). */
    public static double copyBandwidth(long bytes, int reps) {
        try (MemoryScope scope = MemoryScope.root("smen-copy-bandwidth")) {
            CudaStream st = CudaStream.create(scope);
            DeviceBuffer src = DeviceBuffer.allocate(scope, bytes), dst = DeviceBuffer.allocate(scope, bytes);
            src.fill(1);
            double[] t = new double[reps];
            for (int i = -2; i < reps; i++) {
                st.synchronize();
                long t0 = System.nanoTime();
                SmenNative.COPY.call(src.pointer(), dst.pointer(), bytes / 4, st.handle());
                st.synchronize();
                if (i >= 0) t[i] = (System.nanoTime() - t0) / 1e9;
            }
            return 2.0 * bytes / median(t);
        }
    }

    /**
     * The fused anchor attention forward over {@code users} synthetic users ({@link SmenSynth}: every (user, scale)
     * {@code periods} rows of {@code nnz} interests): r with the scores computed per non-zero (fused = false: the
     * training kernel) or, as the encoder runs it, o (fused with the per-anchor projection) from gathered
     * precomputed scores. Floor bytes: per non-zero the gathered V row, its interest and weight (4h + 8; + 4M for the
     * gathered scores), per row rowPtr and the output (4 + 4 M h, or 4 + 4 M d').
     */
    public static Attention attentionForward(SmenLayout layout, float[] params, int users, int periods, int nnz, long seed, boolean fused,
                                             int reps) {
        SmenConfig c = layout.config();
        try (CudaSmenEncoder enc = new CudaSmenEncoder(layout, params); MemoryScope scope = MemoryScope.root("smen-attention-timing")) {
            CudaSmenEncoder.Users u = enc.synthetic(users, periods, nnz, seed);
            DeviceBatch b = u.batch;
            int width = fused ? c.anchors() * c.anchorDim() : c.anchors() * c.h();
            DeviceBuffer out = DeviceBuffer.allocateFloats(scope, (long) b.rows * width);
            DeviceModel model = new DeviceModel(layout);
            MemorySegment p = enc.parameterBuffer().pointer();
            CudaStream st = enc.stream();
            double[] t = new double[reps];
            for (int i = -2; i < reps; i++) {
                st.synchronize();
                long t0 = System.nanoTime();
                SmenNative.ATTENTION_FORWARD.call(model.t(p, "V"), model.t(p, "A"), c.h(), c.anchors(), b.rows, b.rowPtr, b.cols, b.vals,
                        fused ? enc.scoreBuffer().pointer() : MemorySegment.NULL, MemorySegment.NULL, fused ? model.t(p, "W") : MemorySegment.NULL, fused ? model.t(p, "b") : MemorySegment.NULL,
                        c.anchorDim(), out.pointer(), st.handle());
                st.synchronize();
                if (i >= 0) t[i] = (System.nanoTime() - t0) / 1e9;
            }
            long perNz = 4L * c.h() + 8 + (fused ? 4L * c.anchors() : 0);
            long floor = (long) b.nnz * perNz + (long) b.rows * (4 + 4L * width);
            return new Attention(b.rows, b.nnz, median(t), floor, fused);
        }
    }
}
