package org.lurm.perf;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.lurm.backend.cpu.Parallel;
import org.lurm.smen.SmenBatch;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenLayout;
import org.lurm.smen.SmenModel;
import org.lurm.smen.SmenOptimizer;
import org.lurm.smen.TouchedRows;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One whole SMEN training step (both views forward, InfoNCE + diversity, backward, clipping, dense + lazy Adam)
 * on random batches shaped like the PyTorch reference's bench ({@code smen_reference.py bench}: B users, S
 * scales, rows per (user, scale) uniform in [1, 2*rows/S - 1], distinct interests per row uniform in
 * [1, 2*nnz - 1], weights log(1 + U[1, 5)), MODEL.md's default sizes), so the two compare step for step on the
 * same machine with the same threads (perf-tests/bench-smen-step.sh runs both).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx6g"})
public class SmenStepBenchmark {
    @Param({"256"})
    public int users;
    @Param({"2"})
    public int scales;
    @Param({"20"})
    public int rowsPerUser;
    @Param({"20"})
    public int nnzPerRow;
    @Param({"20000"})
    public int interests;
    /** Threads; 0 = all available processors. */
    @Param({"0"})
    public int threads;

    private Parallel par;
    private SmenLayout layout;
    private SmenModel model;
    private SmenOptimizer opt;
    private float[] params;
    private float[] grad;
    private TouchedRows touched;
    private SmenBatch a;
    private SmenBatch b;

    @Setup(Level.Trial)
    public void setup() {
        par = new Parallel(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
        SmenConfig cfg = SmenConfig.defaults();
        layout = new SmenLayout(cfg, interests, scales);
        model = new SmenModel(layout, par);
        opt = new SmenOptimizer(layout, 1_000_000);
        SplittableRandom r = new SplittableRandom(42);
        params = new float[(int) layout.total()];
        for (int i = 0; i < params.length; i++) params[i] = (float) (r.nextGaussian() * 0.05);
        grad = new float[params.length];
        touched = new TouchedRows(interests);
        a = randomView(r, cfg);
        b = randomView(r, cfg);
        System.out.printf("%n[smen-step] B=%d S=%d K=%d rows %d+%d non-zeros %d+%d threads=%d%n", users, scales, interests, a.rows(), b.rows(),
                a.nnz(), b.nnz(), par.threads());
    }

    /** Rows per group = rows per user / scales (integer division, at least 1; the reference rounds, the same for the default 20 / 2). */
    private SmenBatch randomView(SplittableRandom r, SmenConfig cfg) {
        return RandomSmenViews.randomView(r, cfg, users, scales, Math.max(1, rowsPerUser / scales), nnzPerRow, interests);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        par.close();
    }

    @Benchmark
    public double trainingStep() {
        touched.clear();
        double loss = model.lossAndGradient(params, a, b, grad, touched).total();
        opt.apply(params, grad, touched.rows(), touched.size());
        return loss;
    }
}
