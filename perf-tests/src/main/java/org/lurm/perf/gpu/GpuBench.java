package org.lurm.perf.gpu;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.boi.Scale;
import org.lurm.cuda.Cuda;
import org.lurm.cuda.CublasGemm;
import org.lurm.cuda.CudaBackend;
import org.lurm.cuda.CudaKernels;
import org.lurm.cuda.CudaStream;
import org.lurm.cuda.DeviceBuffer;
import org.lurm.cuda.NativeLibrary;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.MemoryScope;

/**
 * The GPU kernel benchmarks (PERFORMANCE.md): each kernel timed with CUDA events on device-resident data and
 * reported as a fraction of its floor measured in the same run: the device-to-device copy bandwidth for the
 * memory-bound kernels, cuBLAS SGEMM (where libcublas loads) for the compute-bound ones, the host-to-device
 * copy for BoI aggregation (its events start on the host). Prints one table; {@code --json FILE} also writes
 * the rows as JSON lines. Needs a CUDA device (exits 2 with the reason otherwise).
 *
 * <p>Usage: {@code java --enable-native-access=ALL-UNNAMED -cp ... org.lurm.perf.gpu.GpuBench [--quick] [--json FILE]}
 * (run by perf-tests/gpu/run.sh). Not thread-safe: a single-threaded command-line tool.
 */
public final class GpuBench {
    record Row(String kernel, String shape, double ms, String achieved, String floor, double fraction, String note) {
        String json() {
            return String.format(Locale.ROOT, "{\"kernel\":\"%s\",\"shape\":\"%s\",\"ms\":%.4f,\"achieved\":\"%s\",\"floor\":\"%s\",\"fraction\":%.4f,\"note\":\"%s\"}",
                    kernel, shape, ms, achieved, floor, fraction, note.replace("\"", "'"));
        }
    }

    private final List<Row> rows = new ArrayList<>();
    private final CudaStream stream;
    private final MemorySegment evStart, evEnd;
    private final Arena arena = Arena.ofConfined();
    private final int reps;

    GpuBench(CudaStream stream, int reps) {
        this.stream = stream;
        this.reps = reps;
        evStart = event();
        evEnd = event();
    }

    private MemorySegment event() {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        Cuda.EVENT_CREATE.call(out);
        return out.get(ValueLayout.ADDRESS, 0);
    }

    /** Median milliseconds of {@code reps} timed runs (after one warm-up), each bracketed by CUDA events on the stream. */
    double time(Runnable launch) {
        launch.run();
        stream.synchronize();
        double[] t = new double[reps];
        MemorySegment ms = arena.allocate(ValueLayout.JAVA_FLOAT);
        for (int i = 0; i < reps; i++) {
            Cuda.EVENT_RECORD.call(evStart, stream.handle());
            launch.run();
            Cuda.EVENT_RECORD.call(evEnd, stream.handle());
            stream.synchronize();
            Cuda.EVENT_ELAPSED_MS.call(ms, evStart, evEnd);
            t[i] = ms.get(ValueLayout.JAVA_FLOAT, 0);
        }
        Arrays.sort(t);
        return t[reps / 2];
    }

    static double wallMs(Runnable r, int reps) {
        r.run();
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            long a = System.nanoTime();
            r.run();
            t[i] = (System.nanoTime() - a) / 1e6;
        }
        Arrays.sort(t);
        return t[reps / 2];
    }

    static String gbs(double bytes, double ms) {
        return String.format(Locale.ROOT, "%.0f GB/s", bytes / (ms * 1e6));
    }

    static String tflops(double flops, double ms) {
        return String.format(Locale.ROOT, "%.1f TFLOP/s", flops / (ms * 1e9));
    }

    static void randomFill(MemoryScope s, DeviceBuffer d, long floats, long seed) {
        F32Array h = s.allocateF32(floats);
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i < floats; i++) h.set(i, (float) (r.nextDouble() * 2 - 1));
        d.copyFromHost(h.segment(), 0);
    }

    public static void main(String[] args) throws IOException {
        boolean quick = Arrays.asList(args).contains("--quick");
        int ji = Arrays.asList(args).indexOf("--json");
        Path json = ji >= 0 && ji + 1 < args.length ? Path.of(args[ji + 1]) : null;
        NativeLibrary lib;
        int devices;
        try {
            lib = NativeLibrary.load();
            devices = lib.deviceCount();
        } catch (RuntimeException e) {
            System.out.println("GpuBench: no usable CUDA device: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (devices == 0) {
            System.out.println("GpuBench: no CUDA device");
            System.exit(2);
        }
        String device = lib.deviceDescription(0);
        System.out.println("GpuBench on " + device + " (" + lib.path() + ")");
        try (MemoryScope s = MemoryScope.root("gpubench")) {
            CudaStream stream = CudaStream.create(s);
            GpuBench b = new GpuBench(stream, quick ? 5 : 11);
            b.run(s, quick);
            b.print(device);
            if (json != null) {
                StringBuilder sb = new StringBuilder();
                for (Row r : b.rows) sb.append(r.json()).append('\n');
                Files.writeString(json, sb.toString());
            }
        }
    }

    void run(MemoryScope s, boolean quick) {
        // 1. Bandwidth floor: device-to-device copy (read + write) and streaming read.
        long bwBytes = quick ? (256L << 20) : (1L << 30);
        DeviceBuffer x = DeviceBuffer.allocate(s, bwBytes), y = DeviceBuffer.allocate(s, bwBytes), sink = DeviceBuffer.allocate(s, 16);
        x.fill(0);
        double copyMs = time(() -> CudaKernels.bandwidthCopy(x, y, bwBytes, stream));
        double copyBw = 2.0 * bwBytes / (copyMs * 1e6); // GB/s
        rows.add(new Row("bandwidth copy (floor)", (bwBytes >> 20) + " MiB", copyMs, gbs(2.0 * bwBytes, copyMs), "-", 1.0, "read+write"));
        double readMs = time(() -> CudaKernels.bandwidthRead(x, bwBytes, sink, stream));
        rows.add(new Row("bandwidth read", (bwBytes >> 20) + " MiB", readMs, gbs(bwBytes, readMs), gbs(2.0 * bwBytes, copyMs), bwBytes / (readMs * 1e6) / copyBw, ""));
        x.close();
        y.close();

        // 2. dot: 8 n bytes read.
        long n = quick ? (32L << 20) : (128L << 20);
        DeviceBuffer a = DeviceBuffer.allocate(s, 4 * n), bb = DeviceBuffer.allocate(s, 4 * n);
        DeviceBuffer scratch = DeviceBuffer.allocate(s, CudaKernels.dotScratchBytes()), out = DeviceBuffer.allocate(s, 16);
        a.fill(0);
        bb.fill(0);
        double dotMs = time(() -> CudaKernels.dot(a, 0, bb, 0, n, scratch, out, 0, stream));
        rows.add(new Row("dot", n + "", dotMs, gbs(8.0 * n, dotMs), gbs(copyBw * 1e9, 1e3), 8.0 * n / (dotMs * 1e6) / copyBw, "double accumulation"));
        a.close();
        bb.close();

        // 3. SGEMM, ours and cuBLAS.
        int g = quick ? 2048 : 4096;
        DeviceBuffer ga = DeviceBuffer.allocate(s, 4L * g * g), gb = DeviceBuffer.allocate(s, 4L * g * g), gc = DeviceBuffer.allocate(s, 4L * g * g);
        randomFill(s, ga, (long) g * g, 1);
        randomFill(s, gb, (long) g * g, 2);
        double flops = 2.0 * g * g * g;
        double oursMs = time(() -> CudaKernels.sgemm(false, false, g, g, g, 1f, ga, gb, 0f, gc, stream));
        double cublasMs = Double.NaN;
        String cublasNote;
        try (CublasGemm cb = CublasGemm.open()) {
            cublasMs = wallMs(() -> {
                cb.sgemm(false, false, g, g, g, 1f, ga, gb, 0f, gc);
                Cuda.deviceSynchronize();
            }, reps);
            cublasNote = "cuBLAS " + tflops(flops, cublasMs);
            rows.add(new Row("cuBLAS sgemm (anchor)", g + "^3", cublasMs, tflops(flops, cublasMs), "-", 1.0, "JavaCPP, wall time"));
        } catch (RuntimeException | LinkageError e) {
            cublasNote = "cuBLAS unavailable: " + e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        rows.add(new Row("sgemm (ours)", g + "^3", oursMs, tflops(flops, oursMs), Double.isNaN(cublasMs) ? "-" : tflops(flops, cublasMs),
                Double.isNaN(cublasMs) ? Double.NaN : cublasMs / oursMs, cublasNote));
        ga.close();
        gb.close();
        gc.close();

        // 4. k-means assignment (fused GEMM + argmax) and the two-level variant.
        int pn = quick ? 200_000 : 1_000_000, dim = 64, k = 4096, kc = 64;
        DeviceBuffer pts = DeviceBuffer.allocate(s, 4L * pn * dim), cen = DeviceBuffer.allocate(s, 4L * k * dim);
        DeviceBuffer idx = DeviceBuffer.allocate(s, 4L * pn), sc = DeviceBuffer.allocate(s, 4L * pn);
        randomFill(s, pts, (long) pn * dim, 3);
        randomFill(s, cen, (long) k * dim, 4);
        double asgMs = time(() -> CudaKernels.kmeansAssign(pts, pn, cen, k, dim, idx, sc, stream));
        double aflops = 2.0 * pn * k * dim;
        rows.add(new Row("kmeans assign (fused)", pn + "x" + dim + " K=" + k, asgMs, tflops(aflops, asgMs),
                Double.isNaN(cublasMs) ? "-" : tflops(flops, cublasMs), Double.isNaN(cublasMs) ? Double.NaN : (aflops / asgMs) / (flops / cublasMs),
                "fraction of cuBLAS SGEMM rate"));
        int[] offs = new int[kc + 1];
        for (int j = 0; j <= kc; j++) offs[j] = j * (k / kc);
        DeviceBuffer coarse = DeviceBuffer.allocate(s, 4L * kc * dim), offsets = DeviceBuffer.allocate(s, 4L * (kc + 1)), scr = DeviceBuffer.allocate(s, 4L * pn);
        randomFill(s, coarse, (long) kc * dim, 5);
        offsets.copyFromHost(s.copyOf(offs).segment(), 0);
        double twoMs = time(() -> CudaKernels.kmeansAssignTwoLevel(pts, pn, dim, coarse, kc, cen, k, offsets, scr, idx, sc, stream));
        rows.add(new Row("kmeans assign two-level", pn + "x" + dim + " K=" + k + " kc=" + kc, twoMs, String.format(Locale.ROOT, "%.1fx vs flat", asgMs / twoMs),
                "-", Double.NaN, "~" + (kc + k / kc) + " dots per point"));
        double upMs = wallMs(() -> CudaKernels.kmeansUpdate(pts, pn, dim, idx, null, k, true, cen, DeviceBuffer.allocate(s, 4L * k), stream), reps);
        rows.add(new Row("kmeans update", pn + "x" + dim + " K=" + k, upMs, gbs(4.0 * pn * dim, upMs), gbs(copyBw * 1e9, 1e3),
                4.0 * pn * dim / (upMs * 1e6) / copyBw, "wall time incl. sort"));
        pts.close();
        cen.close();

        // 5. CSR x dense: 8 nnz index/value bytes + gathered dense rows + output.
        int rowsN = quick ? 200_000 : 1_000_000, cols = 50_000, r = 64, perRow = 20;
        long nnz = (long) rowsN * perRow;
        long[] ptr = new long[rowsN + 1];
        int[] ci = new int[(int) nnz];
        float[] cv = new float[(int) nnz];
        SplittableRandom rnd = new SplittableRandom(6);
        for (int i = 0; i < rowsN; i++) {
            ptr[i + 1] = ptr[i] + perRow;
            for (int q = 0; q < perRow; q++) {
                ci[i * perRow + q] = rnd.nextInt(cols);
                cv[i * perRow + q] = (float) rnd.nextDouble();
            }
        }
        DeviceBuffer dp = DeviceBuffer.allocate(s, 8L * (rowsN + 1)), dc = DeviceBuffer.allocate(s, 4 * nnz), dv = DeviceBuffer.allocate(s, 4 * nnz);
        DeviceBuffer dd = DeviceBuffer.allocate(s, 4L * cols * r), dout = DeviceBuffer.allocate(s, 4L * rowsN * r), bad = DeviceBuffer.allocate(s, 4);
        dp.copyFromHost(s.copyOf(ptr).segment(), 0);
        dc.copyFromHost(s.copyOf(ci).segment(), 0);
        dv.copyFromHost(s.copyOf(cv).segment(), 0);
        randomFill(s, dd, (long) cols * r, 7);
        bad.fill(0xff);
        double csrMs = time(() -> CudaKernels.csrSpmm(rowsN, cols, dp, dc, dv, nnz, dd, r, dout, bad, stream));
        double csrBytes = 8.0 * nnz + 8.0 * rowsN + 4.0 * nnz * r + 4.0 * rowsN * r;
        rows.add(new Row("csr x dense", rowsN + " rows nnz=" + nnz + " r=" + r, csrMs, gbs(csrBytes, csrMs), gbs(copyBw * 1e9, 1e3),
                csrBytes / (csrMs * 1e6) / copyBw, "dense rows counted as gathered from DRAM"));
        for (DeviceBuffer d : new DeviceBuffer[] {dp, dc, dv, dd, dout, bad}) d.close();

        // 6. BoI aggregation: events start on the host; floor = the host-to-device copy of the columns.
        boiBench(s, quick);
    }

    void boiBench(MemoryScope s, boolean quick) {
        int nEvents = quick ? 2_000_000 : 10_000_000, nUsers = nEvents / 100, nItems = 200_000, k = 4096;
        EventTableBuilder eb = new EventTableBuilder();
        for (int u = 0; u < nUsers; u++) eb.users().add("u" + u);
        for (int i = 0; i < nItems; i++) eb.items().add("i" + i);
        SplittableRandom r = new SplittableRandom(8);
        long t0 = 1_400_000_000L;
        for (int e = 0; e < nEvents; e++) eb.addIndexed(r.nextInt(nUsers), r.nextInt(nItems), t0 + (long) (r.nextDouble() * 8 * 365 * Scale.DAY), 1f + r.nextInt(4), 0);
        try (MemoryScope t = s.child("boi")) {
            EventTable ev = eb.build(t);
            I32Array interest = t.allocateI32(nItems);
            for (int i = 0; i < nItems; i++) interest.set(i, r.nextInt(k));
            BoiConfig cfg = BoiConfig.defaults();
            // The host-to-device floor: the 24 bytes/event of columns through a pageable copy, as the kernel reads them.
            long colBytes = 24L * nEvents;
            DeviceBuffer dst = DeviceBuffer.allocate(t, colBytes);
            MemorySegment src = t.allocate(colBytes);
            double h2dMs = wallMs(() -> dst.copyFromHost(src, 0), 3);
            dst.close();
            double[] gpuMs = new double[1];
            BoiSet[] gpu = new BoiSet[1];
            try (CudaBackend cb = new CudaBackend(0); MemoryScope o = t.child("out")) {
                gpuMs[0] = wallMs(() -> {
                    try (MemoryScope tmp = o.child("one")) {
                        cb.aggregate(ev, interest, k, cfg, tmp);
                    }
                }, 3);
                gpu[0] = cb.aggregate(ev, interest, k, cfg, o);
                double cpuMs;
                boolean same;
                try (Backend cpu = Backends.select("cpu").create(Runtime.getRuntime().availableProcessors()); MemoryScope o2 = t.child("cpu")) {
                    long a = System.nanoTime();
                    BoiSet want = cpu.aggregate(ev, interest, k, cfg, o2);
                    cpuMs = (System.nanoTime() - a) / 1e6;
                    same = want.numRows() == gpu[0].numRows() && want.nnz() == gpu[0].nnz()
                            && want.rowPtrArray().segment().mismatch(gpu[0].rowPtrArray().segment()) < 0
                            && want.colArray().segment().mismatch(gpu[0].colArray().segment()) < 0
                            && want.valArray().segment().mismatch(gpu[0].valArray().segment()) < 0
                            && want.rowPeriodArray().segment().mismatch(gpu[0].rowPeriodArray().segment()) < 0
                            && want.rowScaleArray().segment().mismatch(gpu[0].rowScaleArray().segment()) < 0
                            && want.dfArray().segment().mismatch(gpu[0].dfArray().segment()) < 0;
                }
                rows.add(new Row("BoI aggregation", nEvents + " events, " + gpu[0].numRows() + " rows", gpuMs[0],
                        String.format(Locale.ROOT, "%.0f M events/s", nEvents / (gpuMs[0] * 1e3)), String.format(Locale.ROOT, "H2D %.1f ms", h2dMs),
                        h2dMs / gpuMs[0], String.format(Locale.ROOT, "CPU (%d threads) %.0f ms; identical to CPU: %s", Runtime.getRuntime().availableProcessors(), cpuMs, same)));
                if (!same) throw new AssertionError("GPU BoI aggregation differs from the CPU's on the benchmark data");
            }
        }
    }

    void print(String device) {
        System.out.println();
        System.out.println("GPU kernels on " + device + " (fraction: of the floor named in the 'floor' column, measured in this run)");
        System.out.printf(Locale.ROOT, "| %-26s | %-34s | %10s | %-18s | %-16s | %8s | %s%n", "kernel", "shape", "ms", "achieved", "floor", "fraction", "note");
        System.out.println("|" + "-".repeat(28) + "|" + "-".repeat(36) + "|" + "-".repeat(12) + "|" + "-".repeat(20) + "|" + "-".repeat(18) + "|" + "-".repeat(10) + "|------");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %-26s | %-34s | %10.3f | %-18s | %-16s | %8s | %s%n", r.kernel, r.shape, r.ms, r.achieved, r.floor,
                    Double.isNaN(r.fraction) ? "-" : String.format(Locale.ROOT, "%.2f", r.fraction), r.note);
        }
    }
}
