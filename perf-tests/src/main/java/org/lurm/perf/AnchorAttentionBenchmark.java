package org.lurm.perf;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.lurm.backend.cpu.Parallel;
import org.lurm.smen.SmenBatch;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenLayout;
import org.lurm.smen.ops.AnchorAttention;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * SMEN multi-anchor attention throughput (PERFORMANCE.md, "anchor attention"), in non-zeros per second, at
 * MODEL.md's sizes: h = 64, M = 8, K = 100k interests, rows of 30 +- 15 non-zeros, {@value #NNZ} non-zeros per
 * call (interest popularity skewed: k = K u^2). Compared on the same thread count:
 * <ul>
 *   <li>{@code fused*}: {@link AnchorAttention} with the Vector API kernels (a row's V rows gathered once, one
 *       pass with a tiled online softmax; backward in two deterministic passes: per row, then per thread-owned
 *       range of interests);</li>
 *   <li>{@code rowScalar*}: the same op with its plain scalar kernels;</li>
 *   <li>{@code straightforward*}: a straightforward scalar Java implementation written here: per row a scores
 *       matrix, a softmax and a weighted sum as separate loops (V rows read twice); backward with a
 *       per-non-zero dV buffer (nnz x h) scattered into dV serially.</li>
 * </ul>
 * Forward writes r and the attention (training mode). Backward accumulates into a gradient that is not reset
 * between invocations (resetting 6.4 M floats would be timed too). Bytes of the forward: nnz * (4h gathered V
 * + 8 CSR + 4M attention) + T * M * h * 4 for r, about 0.36 GB per call: compare with BandwidthBenchmark in
 * the same run.
 *
 * <pre>
 * rm -rf perf-tests/target/classes
 * ./mvnw -q -o -pl java-api,perf-tests -am package -DskipTests
 * java -jar perf-tests/target/benchmarks.jar AnchorAttention -f 1 -wi 2 -i 3
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(AnchorAttentionBenchmark.NNZ)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g"})
public class AnchorAttentionBenchmark {
    static final int MEAN_NNZ = 30;
    static final int ROWS = 33_334;
    static final int NNZ = ROWS * MEAN_NNZ;
    static final int ROWS_PER_USER = 30;

    @Param({"100000"})
    public int interests;

    /** Worker threads for every implementation; 0 = all available processors. */
    @Param({"0"})
    public int threads;

    private int h;
    private int anchors;
    private Parallel par;
    private SmenBatch batch;
    private float[] params;
    private AnchorAttention vector;
    private AnchorAttention scalar;
    private float[] r;
    private float[] attn;
    private float[] dr;
    private float[] grad;
    // The straightforward baseline's own buffers.
    private float[] baseAttn;
    private float[] occGrad;

    @Setup(Level.Trial)
    public void setup() {
        SmenConfig c = SmenConfig.defaults();
        h = c.h();
        anchors = c.anchors();
        int users = (ROWS + ROWS_PER_USER - 1) / ROWS_PER_USER;
        SmenLayout layout = new SmenLayout(c, interests, 1);
        par = new Parallel(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
        SplittableRandom rnd = new SplittableRandom(42);
        // Row lengths in pairs 30 - d, 30 + d: exactly NNZ non-zeros, lengths spread over [15, 45].
        int[] rowPtr = new int[ROWS + 1];
        for (int t = 0; t < ROWS; t += 2) {
            int d = rnd.nextInt(16);
            rowPtr[t + 1] = rowPtr[t] + MEAN_NNZ - d;
            if (t + 1 < ROWS) rowPtr[t + 2] = rowPtr[t + 1] + MEAN_NNZ + d;
        }
        if (rowPtr[ROWS] != NNZ) throw new IllegalStateException("generated " + rowPtr[ROWS] + " non-zeros, expected " + NNZ);
        int[] cols = new int[NNZ];
        float[] vals = new float[NNZ];
        int[] mark = new int[interests];
        for (int t = 0; t < ROWS; t++) {
            // Distinct interests per row, ascending like a BoI row.
            int from = rowPtr[t], to = rowPtr[t + 1], n = 0;
            while (n < to - from) {
                double u = rnd.nextDouble();
                int k = (int) (u * u * interests);
                if (mark[k] == t + 1) continue;
                mark[k] = t + 1;
                cols[from + n++] = k;
            }
            java.util.Arrays.sort(cols, from, to);
            for (int j = from; j < to; j++) vals[j] = (float) (Math.log1p(1 + rnd.nextInt(5)) * (1 + 3 * rnd.nextDouble()));
        }
        int[] groupStart = new int[users + 1];
        for (int b = 0; b < users; b++) groupStart[b + 1] = Math.min(ROWS, (b + 1) * ROWS_PER_USER);
        batch = new SmenBatch(users, 1, ROWS, rowPtr, cols, vals, new int[ROWS], groupStart);
        params = new float[Math.toIntExact(layout.total())];
        for (int x = 0; x < params.length; x++) params[x] = (float) (rnd.nextDouble() * 2 - 1);
        vector = AnchorAttention.create(layout, "vector");
        scalar = AnchorAttention.create(layout, "scalar");
        r = new float[ROWS * anchors * h];
        attn = new float[NNZ * anchors];
        dr = new float[r.length];
        for (int x = 0; x < dr.length; x++) dr[x] = (float) (rnd.nextDouble() * 2 - 1);
        grad = new float[params.length];
        baseAttn = new float[NNZ * anchors];
        occGrad = new float[NNZ * h];
        vector.forward(params, batch, r, attn, par);
        straightforwardAttend();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        par.close();
    }

    @Benchmark
    public void fusedForward(Blackhole bh) {
        vector.forward(params, batch, r, attn, par);
        bh.consume(r[r.length - 1]);
    }

    @Benchmark
    public void fusedBackward(Blackhole bh) {
        bh.consume(vector.backward(params, batch, attn, dr, grad, par));
    }

    @Benchmark
    public void rowScalarForward(Blackhole bh) {
        scalar.forward(params, batch, r, attn, par);
        bh.consume(r[r.length - 1]);
    }

    @Benchmark
    public void rowScalarBackward(Blackhole bh) {
        bh.consume(scalar.backward(params, batch, attn, dr, grad, par));
    }

    /** Scores matrix, softmax, weighted sum: three loops per row, V rows gathered twice. */
    @Benchmark
    public void straightforwardForward(Blackhole bh) {
        straightforwardAttend();
        bh.consume(r[r.length - 1]);
    }

    private void straightforwardAttend() {
        final int hh = h, nm = anchors, aOff = interests * h;
        final float[] p = params, out = r, att = baseAttn;
        final int[] rowPtr = batch.rowPtr(), cols = batch.cols();
        final float[] vals = batch.vals();
        final float inv = (float) (1 / Math.sqrt(h));
        par.forRange(ROWS, 16, (chunk, lo, hi) -> {
            float[] s = new float[nm * 64];
            for (int t = (int) lo; t < hi; t++) {
                int from = rowPtr[t], n = rowPtr[t + 1] - from;
                if (s.length < nm * n) s = new float[nm * n];
                for (int m = 0; m < nm; m++) {
                    for (int j = 0; j < n; j++) {
                        int vo = cols[from + j] * hh;
                        float d = 0f;
                        for (int i = 0; i < hh; i++) d += p[aOff + m * hh + i] * p[vo + i];
                        s[m * n + j] = d * inv + (float) Math.log(vals[from + j]);
                    }
                }
                for (int m = 0; m < nm; m++) {
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) max = Math.max(max, s[m * n + j]);
                    float z = 0f;
                    for (int j = 0; j < n; j++) {
                        float e = (float) Math.exp(s[m * n + j] - max);
                        s[m * n + j] = e;
                        z += e;
                    }
                    for (int j = 0; j < n; j++) att[(from + j) * nm + m] = s[m * n + j] / z;
                }
                for (int m = 0; m < nm; m++) {
                    int ro = (t * nm + m) * hh;
                    for (int i = 0; i < hh; i++) out[ro + i] = 0f;
                    for (int j = 0; j < n; j++) {
                        float a = att[(from + j) * nm + m];
                        int vo = cols[from + j] * hh;
                        for (int i = 0; i < hh; i++) out[ro + i] += a * p[vo + i];
                    }
                }
            }
        });
    }

    /**
     * Per row: da = dr . V, the softmax Jacobian, dA per chunk; each non-zero's dV written to its own slot of an
     * nnz x h buffer; then one thread adds the slots into dV.
     */
    @Benchmark
    public void straightforwardBackward(Blackhole bh) {
        final int hh = h, nm = anchors, aOff = interests * h;
        final float[] p = params, att = baseAttn, d = dr, occ = occGrad, g = grad;
        final int[] rowPtr = batch.rowPtr(), cols = batch.cols();
        final float inv = (float) (1 / Math.sqrt(h));
        final int chunks = 64;
        float[][] partial = new float[chunks][];
        par.forRange(ROWS, chunks, 16, (chunk, lo, hi) -> {
            float[] dA = new float[nm * hh];
            float[] ds = new float[nm * 64];
            float[] rd = new float[nm];
            for (int t = (int) lo; t < hi; t++) {
                int from = rowPtr[t], n = rowPtr[t + 1] - from;
                if (ds.length < nm * n) ds = new float[nm * n];
                for (int m = 0; m < nm; m++) {
                    int dro = (t * nm + m) * hh;
                    float sum = 0f;
                    for (int j = 0; j < n; j++) {
                        int vo = cols[from + j] * hh;
                        float da = 0f;
                        for (int i = 0; i < hh; i++) da += d[dro + i] * p[vo + i];
                        ds[m * n + j] = da;
                        sum += att[(from + j) * nm + m] * da;
                    }
                    rd[m] = sum;
                }
                for (int m = 0; m < nm; m++) {
                    for (int j = 0; j < n; j++) ds[m * n + j] = att[(from + j) * nm + m] * (ds[m * n + j] - rd[m]) * inv;
                }
                for (int j = 0; j < n; j++) {
                    int oo = (from + j) * hh, vo = cols[from + j] * hh;
                    for (int i = 0; i < hh; i++) occ[oo + i] = 0f;
                    for (int m = 0; m < nm; m++) {
                        float a = att[(from + j) * nm + m], gs = ds[m * n + j];
                        int dro = (t * nm + m) * hh, ao = aOff + m * hh;
                        for (int i = 0; i < hh; i++) {
                            occ[oo + i] += a * d[dro + i] + gs * p[ao + i];
                            dA[m * hh + i] += gs * p[vo + i];
                        }
                    }
                }
            }
            partial[chunk] = dA;
        });
        for (float[] part : partial) {
            if (part == null) continue;
            for (int x = 0; x < part.length; x++) g[aOff + x] += part[x];
        }
        for (int j = 0; j < NNZ; j++) {
            int oo = j * hh, vo = cols[j] * hh;
            for (int i = 0; i < hh; i++) g[vo + i] += occ[oo + i];
        }
        bh.consume(g[aOff]);
    }
}
