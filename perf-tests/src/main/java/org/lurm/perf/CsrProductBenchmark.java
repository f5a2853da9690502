package org.lurm.perf;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Parallel;
import org.lurm.backend.cpu.VectorKernels;
import org.lurm.backend.cpu.Vectorization;
import org.lurm.embed.CooccurrenceEmbedder;
import org.lurm.events.EventTable;
import org.lurm.linalg.CsrMatrix;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
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
 * The sparse x dense product of the co-occurrence embedding's randomized SVD (PPMI times a block of l = e + 10
 * columns, one "pass" of the SVD), on the PPMI matrix that {@code lurm fit} builds from generator events
 * ({@link LifeCycleConfig#bench()} with {@code items} items and {@code users} users).
 *
 * <p>Compared in one run: lurm's product on all cores ({@link Backend#csrMultiply}: one CSR row at a time with the
 * output row in vector registers) and the anchor, the product as lurm computed it before (one Vector API axpy
 * per non-zero into the output row, same threads). Setup prints the floor's inputs: compulsory bytes = nnz x 8
 * (column, value) + (rows + cols) x l x 4 (every row of the dense block read once, every output row written
 * once), the gathered bytes nnz x (8 + 4 l) (the dense row of every non-zero, what the product touches), and
 * 2 nnz l flops. {@code summarize.py} divides by the triad bandwidth of {@link BandwidthBenchmark} from the same
 * invocation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx8g"})
public class CsrProductBenchmark {
    /** Catalogue size: fit's automatic K and the PPMI's rows follow it. */
    @Param({"40000"})
    public int items;
    @Param({"20000"})
    public int users;
    /** Columns of the dense block: item dimension e = 128 plus the SVD's oversampling of 10. */
    @Param({"138"})
    public int l;

    private MemoryScope scope;
    private Backend backend;
    private Parallel par;
    private VectorKernels kernels;
    private CsrMatrix a;
    private F32Array x, out;

    @Setup(Level.Trial)
    public void setup() {
        scope = MemoryScope.root("bench-csr");
        backend = Backends.select("cpu").create(Runtime.getRuntime().availableProcessors()); // all cores, as lurm fit
        par = new Parallel(backend.threads());
        kernels = Vectorization.simd(Vectorization.Family.BACKEND, VectorKernels.class);
        EventTable events = LifeCycleGenerator.generate(LifeCycleConfig.bench().toBuilder().users(users).items(items).build(), scope).events();
        CooccurrenceEmbedder.Options o = CooccurrenceEmbedder.Options.defaults();
        CsrMatrix counts = CooccurrenceEmbedder.countPairs(events, events.numItems(), o, backend, scope).matrix();
        a = CooccurrenceEmbedder.ppmi(counts, o.contextSmoothing(), backend, scope);
        x = scope.allocateF32((long) a.cols() * l);
        out = scope.allocateF32((long) a.rows() * l);
        SplittableRandom r = new SplittableRandom(7);
        for (long i = 0; i < x.length(); i++) x.set(i, (float) r.nextGaussian());
        long nnz = a.nnz();
        long compulsory = nnz * 8 + ((long) a.rows() + a.cols()) * l * 4;
        long gathered = nnz * (8 + 4L * l);
        System.out.printf("%n[csr-floor] rows=%d cols=%d nnz=%d l=%d compulsoryBytes=%d gatheredBytes=%d flops=%d threads=%d%n",
                a.rows(), a.cols(), nnz, l, compulsory, gathered, 2 * nnz * l, backend.threads());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        par.close();
        backend.close();
        scope.close();
    }

    @Benchmark
    public float lurm() {
        backend.csrMultiply(false, a.rowPtr(), a.colIndex(), a.values(), a.rows(), a.cols(), x, l, out);
        return out.get(0);
    }

    /** The product before the row kernel: zero the output rows, then one axpy per non-zero. */
    @Benchmark
    public float axpyPerNonZero() {
        MemorySegment xs = x.segment(), os = out.segment();
        var ptr = a.rowPtr();
        I32Array cols = a.colIndex();
        F32Array vals = a.values();
        int r = l;
        par.forRange(a.rows(), 64, (chunk, lo, hi) -> {
            os.asSlice(lo * r * 4L, (hi - lo) * r * 4L).fill((byte) 0);
            for (long row = lo; row < hi; row++) {
                for (long j = ptr.get(row), e = ptr.get(row + 1); j < e; j++) {
                    kernels.axpy(vals.get(j), xs, (long) cols.get(j) * r, os, row * r, r);
                }
            }
        });
        return out.get(0);
    }
}
