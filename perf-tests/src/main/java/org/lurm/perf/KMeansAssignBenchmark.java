package org.lurm.perf;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Parallel;
import org.lurm.cluster.KMeansConfig;
import org.lurm.cluster.KMeansResult;
import org.lurm.cluster.NearestCentroids;
import org.lurm.cluster.SphericalKMeans;
import org.lurm.embed.CooccurrenceEmbedder;
import org.lurm.embed.EmbeddingInput;
import org.lurm.embed.ItemEmbeddings;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
import org.lurm.synth.SyntheticData;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.MemoryScope;
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
 * k-means assignment throughput (PERFORMANCE.md: "k-means ... the same algorithm, scalar Java"): the "cpu"
 * Vector API backend through {@link NearestCentroids} against a straightforward scalar Java implementation
 * (plain float[] loops, one dot product per point and centroid) on the same thread count.
 *
 * <p>Scores are points per second ({@code @OperationsPerInvocation}). Multiply-adds per point: flat-1024 does
 * 1024 x dim; two-level-16384 (128 coarse x 128 fine centroids) does (128 + 128) x dim. GFLOP/s = points/s x
 * 2 x that / 1e9.
 *
 * <pre>
 * ./mvnw -q -o -pl java-api,perf-tests -am package -DskipTests
 * java --add-modules jdk.incubator.vector -jar perf-tests/target/benchmarks.jar KMeansAssign -f 1 -wi 2 -i 3
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(KMeansAssignBenchmark.POINTS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class KMeansAssignBenchmark {
    static final int POINTS = 200_000;

    /** flat-1024: exhaustive search over 1024 centroids; two-level-16384: 128 coarse, 128 fine under each. */
    @Param({"flat-1024", "two-level-16384"})
    public String shape;

    @Param({"64"})
    public int dim;

    /**
     * synthetic: points around a planted two-level hierarchy of centroids; generator: the co-occurrence item
     * embeddings of {@code LifeCycleConfig.bench()} (about 1.2 * 10^7 events, 50k items, tiled to POINTS
     * points) with centroids from a short spherical k-means run on them (flat for 1024, two-level for 16384).
     */
    @Param({"synthetic", "generator"})
    public String source;

    /** Worker threads for both implementations; 0 = all available processors. */
    @Param({"0"})
    public int threads;

    private MemoryScope scope;
    private Backend backend;
    private Parallel par;
    private NearestCentroids index;
    private F32Array points;
    private I32Array outIndex;
    private F32Array outScore;
    // The scalar baseline's own heap copies.
    private float[] p;
    private float[] coarse;
    private float[] fine;
    private int[] offsets;
    private int coarseK;
    private int[] scalarIndex;
    private float[] scalarScore;

    @Setup(Level.Trial)
    public void setup() {
        int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        backend = Backends.select("cpu").create(t);
        par = new Parallel(t);
        scope = MemoryScope.root("kmeans-assign-benchmark");
        if (source.equals("generator")) {
            setupFromGenerator();
        } else {
            SplittableRandom r = new SplittableRandom(42);
            boolean two = shape.startsWith("two-level");
            int k = Integer.parseInt(shape.substring(shape.lastIndexOf('-') + 1));
            coarseK = two ? (int) Math.round(Math.sqrt(k)) : 1;
            int per = k / coarseK;
            // Centroids with a hierarchy (coarse directions, fine ones around them); points around the fine ones.
            coarse = new float[coarseK * dim];
            for (int c = 0; c < coarseK; c++) unit(r, coarse, c, null, 0, 1.0);
            fine = new float[k * dim];
            offsets = new int[coarseK + 1];
            for (int c = 0; c < coarseK; c++) {
                offsets[c + 1] = offsets[c] + per;
                for (int f = offsets[c]; f < offsets[c + 1]; f++) unit(r, fine, f, coarse, c, 0.2);
            }
            p = new float[POINTS * dim];
            for (int i = 0; i < POINTS; i++) unit(r, p, i, fine, r.nextInt(k), 0.15);
            points = scope.copyOf(p);
            F32Array fineOff = scope.copyOf(fine);
            index = two ? NearestCentroids.twoLevel(scope.copyOf(coarse), coarseK, fineOff, offsets, dim) : NearestCentroids.flat(fineOff, k, dim);
        }
        outIndex = scope.allocateI32(POINTS);
        outScore = scope.allocateF32(POINTS);
        scalarIndex = new int[POINTS];
        scalarScore = new float[POINTS];
    }

    private void setupFromGenerator() {
        if (dim != 64) throw new IllegalArgumentException("the generator source embeds items in 64 dims");
        int k = Integer.parseInt(shape.substring(shape.lastIndexOf('-') + 1));
        try (MemoryScope tmp = MemoryScope.root("kmeans-bench-data")) {
            SyntheticData d = LifeCycleGenerator.generate(LifeCycleConfig.bench(), tmp);
            ItemEmbeddings emb = new CooccurrenceEmbedder().embed(EmbeddingInput.of(d.events()), backend, tmp);
            int n = emb.presentCount();
            float[] present = new float[n * dim];
            boolean[] mask = new boolean[emb.numItems()];
            int q = 0;
            for (int i = 0; i < emb.numItems(); i++) {
                if (!emb.isPresent(i)) continue;
                mask[i] = true;
                emb.copyVector(i, present, q++ * dim);
            }
            p = new float[POINTS * dim];
            for (int i = 0; i < POINTS; i++) System.arraycopy(present, (i % n) * dim, p, i * dim, dim);
            KMeansResult km = SphericalKMeans.fit(emb.vectors(), emb.numItems(), dim, mask, KMeansConfig.of(k).withMaxIterations(3), backend, tmp);
            NearestCentroids ix = km.index();
            fine = ix.centroids().toArray();
            coarseK = ix.isTwoLevel() ? ix.coarseK() : 1;
            coarse = ix.isTwoLevel() ? ix.coarseCentroids().toArray() : new float[dim];
            offsets = ix.isTwoLevel() ? ix.fineOffsets().clone() : new int[] {0, ix.k()};
            System.out.printf("%n[kmeans-bench] generator: %,d events, %,d embedded items, K = %d (%s)%n", d.events().size(), n, ix.k(),
                    ix.isTwoLevel() ? coarseK + " coarse" : "flat");
        }
        points = scope.copyOf(p);
        F32Array fineOff = scope.copyOf(fine);
        index = coarseK > 1 ? NearestCentroids.twoLevel(scope.copyOf(coarse), coarseK, fineOff, offsets, dim) : NearestCentroids.flat(fineOff, fine.length / dim, dim);
    }

    /** Row {@code row} of dst = normalise(base[baseRow] + noise x N(0,1)) (base null: a random direction). */
    private void unit(SplittableRandom r, float[] dst, int row, float[] base, int baseRow, double noise) {
        double ss = 0;
        double[] v = new double[dim];
        for (int d = 0; d < dim; d++) {
            v[d] = (base == null ? 0 : base[baseRow * dim + d]) + noise * gaussian(r);
            ss += v[d] * v[d];
        }
        double inv = 1 / Math.sqrt(ss);
        for (int d = 0; d < dim; d++) dst[row * dim + d] = (float) (v[d] * inv);
    }

    private static double gaussian(SplittableRandom r) {
        double u = r.nextDouble(), w = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * w);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        scope.close();
        backend.close();
        par.close();
    }

    @Benchmark
    public void vectorApi(Blackhole bh) {
        index.assign(backend, points, POINTS, outIndex, outScore);
        bh.consume(outIndex.get(POINTS - 1));
    }

    @Benchmark
    public void scalarJava(Blackhole bh) {
        final int dm = dim;
        final float[] pts = p, fc = fine, cc = coarse;
        final int[] off = offsets;
        final boolean two = coarseK > 1;
        par.forRange(POINTS, 64, (chunk, lo, hi) -> {
            for (int i = (int) lo; i < hi; i++) {
                int from = 0, to = off[off.length - 1];
                if (two) {
                    int c = nearest(pts, i, cc, 0, off.length - 1, dm);
                    from = off[c];
                    to = off[c + 1];
                }
                int best = nearest(pts, i, fc, from, to, dm);
                scalarIndex[i] = best;
                scalarScore[i] = dot(pts, i * dm, fc, best * dm, dm);
            }
        });
        bh.consume(scalarIndex[POINTS - 1]);
    }

    private static int nearest(float[] pts, int i, float[] c, int from, int to, int dim) {
        int best = from;
        float bestS = Float.NEGATIVE_INFINITY;
        int po = i * dim;
        for (int j = from; j < to; j++) {
            float s = dot(pts, po, c, j * dim, dim);
            if (s > bestS) {
                bestS = s;
                best = j;
            }
        }
        return best;
    }

    private static float dot(float[] a, int ao, float[] b, int bo, int n) {
        float s = 0f;
        for (int d = 0; d < n; d++) s += a[ao + d] * b[bo + d];
        return s;
    }
}
