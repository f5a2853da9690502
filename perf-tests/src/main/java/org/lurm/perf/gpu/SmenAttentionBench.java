package org.lurm.perf.gpu;

import static org.lurm.perf.gpu.SmenGpuBenchSupport.f;
import static org.lurm.perf.gpu.SmenGpuBenchSupport.intArg;
import static org.lurm.perf.gpu.SmenGpuBenchSupport.row;

import org.lurm.cuda.smen.SmenGpuTimer;
import org.lurm.smen.SmenLayout;

/**
 * Anchor attention forward on the GPU as a fraction of its memory-bandwidth floor (PERFORMANCE.md): the floor is
 * the bytes the kernel must move (gathered V rows, CSR, output; see SmenGpuTimer) over the device-to-device copy
 * bandwidth measured in the same run. Two variants: r out (training) and fused with the per-anchor projection, o
 * out (encoding). MODEL.md's default sizes (h 64, M 8, d' 16); synthetic users generated on the device.
 *
 * <p>Usage: {@code java ... org.lurm.perf.gpu.SmenAttentionBench [--users 20000] [--periods 10] [--nnz 50]
 * [--interests 100000] [--reps 10]}. Aim: at least 60 % of the floor.
 */
public final class SmenAttentionBench {
    private SmenAttentionBench() {
    }

    public static void main(String[] args) {
        String card = SmenGpuBenchSupport.deviceOrSkip("attention forward");
        if (card == null) return;
        int users = intArg(args, "users", 20_000), periods = intArg(args, "periods", 10), nnz = intArg(args, "nnz", 50);
        int k = intArg(args, "interests", 100_000), reps = intArg(args, "reps", 10);
        SmenLayout layout = SmenGpuBenchSupport.layout(k, 3);
        float[] params = SmenGpuBenchSupport.params(layout, 0.1, 42);
        double bw = SmenGpuTimer.copyBandwidth(1L << 30, reps);
        System.out.println(f("[smen-attention] %s; copy bandwidth %.0f GB/s; %d users x 3 scales x %d periods x %d non-zeros, K %d",
                card, bw / 1e9, users, periods, nnz, k));
        for (boolean fused : new boolean[] {false, true}) {
            SmenGpuTimer.Attention a = SmenGpuTimer.attentionForward(layout, params, users, periods, nnz, 7, fused, reps);
            double floor = a.floorBytes() / bw, frac = floor / a.seconds();
            row("attention forward" + (fused ? " + projection (o out)" : " (r out)") + ", " + card,
                    f("%.3f ms (%d rows, %d nnz)", a.seconds() * 1e3, a.rows(), a.nnz()),
                    f("floor %.3f ms (%.2f GB at %.0f GB/s copy)", floor * 1e3, a.floorBytes() / 1e9, bw / 1e9),
                    f("%.0f %% of floor", 100 * frac), ">= 60 %", frac >= 0.6 ? "met" : "missed");
        }
    }
}
