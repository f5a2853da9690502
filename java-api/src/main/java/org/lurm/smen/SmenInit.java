package org.lurm.smen;

import org.lurm.SmenConfig;
import java.util.Objects;
import java.util.SplittableRandom;
import org.lurm.backend.cpu.Parallel;
import org.lurm.linalg.JacobiSvd;
import org.lurm.memory.F32Array;

/**
 * Initial SMEN parameters (MODEL.md, Stage 2: "V starts from the k-means centroids reduced to h dimensions (PCA;
 * random normal columns fill up if e &lt; h); everything else from small random values drawn with the model
 * seed"), in one flat {@code float[]} laid out by {@link SmenLayout}.
 *
 * <h2>Interest table V (K x h)</h2>
 * <ol>
 *   <li>Center the K x e centroids X on their mean; C = Xc^T Xc (e x e, double).</li>
 *   <li>Eigen-decompose C (one-sided {@link JacobiSvd} of the symmetric C): principal directions p_1, p_2, ...
 *       by decreasing variance. Each direction's sign is fixed so its entry of largest magnitude is positive.</li>
 *   <li>Keep P = min(h, e) of them, fewer when the centroids have lower rank: directions whose singular value
 *       (square root of the eigenvalue) is at or below {@link Options#rankTolerance} times the largest are float
 *       rounding noise, not structure.</li>
 *   <li>V[k][j] = c · (x_k - mean) · p_j for j &lt; P: the coordinates of the centroids in their principal
 *       subspace, so the interests keep their geometry (distances, angles) up to the dropped directions. One
 *       scalar c for all columns, set so that the mean square of these K x P entries is
 *       {@link Options#interestStd}² (their relative variances are kept, unlike whitening).</li>
 *   <li>Columns P..h-1 (when e &lt; h, or the centroids have rank below h): N(0, {@link Options#fillStd}²).</li>
 * </ol>
 * With a single interest (K = 1) or identical centroids there is no principal direction and V is all fill.
 *
 * <h2>Everything else (defaults of {@link Options})</h2>
 * <pre>
 *   A          N(0, smallStd²)                  smallStd = 0.1: anchors start nearly equal, so the anchor
 *                                                attention starts close to the frequency-weighted average;
 *                                                with SmenConfig.anchorInitScale &gt; 0 the clusters of V's rows
 *                                                instead ({@link #clusterAnchors})
 *   W          N(0, (weightGain / sqrt(h))²)     LeCun normal over fan-in h (weightGain = 1)
 *   b          0
 *   q          N(0, smallStd²)                  time attention starts close to softmax(beta) (uniform)
 *   beta       0
 *   g          N(0, smallStd²)                  the scale gate starts close to uniform
 *   P1         N(0, (weightGain / sqrt(M·d'))²)
 *   c1         0
 *   P2         N(0, (weightGain / sqrt(H1))²)
 *   c2         0
 * </pre>
 *
 * <p><b>Determinism.</b> The result depends only on the inputs, the options and the seed (the layout's
 * {@link SmenConfig#seed()} unless given): every tensor draws from its own generator derived from (seed, tensor
 * name), V's fill from one generator per fixed block of rows, and the covariance is summed over a fixed number
 * of row blocks in block order, so the output is bit-identical for any number of threads.
 *
 * <p><b>Cost.</b> About K·e² multiply-adds for the covariance plus K·e·P for the projection (double), split
 * over row blocks on the given {@link Parallel}; an e x e Jacobi SVD. Memory: the result (4·total bytes) plus
 * 64·e² doubles of block partials.
 *
 * <p><b>Ownership and thread-safety.</b> The centroids are only read (any {@link F32Array}: off-heap, mapped or
 * wrapped); the parameter array is a new heap array owned by the caller. Stateless; may be called concurrently.
 */
public final class SmenInit {
    /** Row blocks of the covariance sum: fixed, so the summation order does not depend on the thread count. */
    private static final int COVARIANCE_BLOCKS = 64;
    /** Rows of V's random fill drawn from one generator. */
    private static final int FILL_BLOCK = 1024;

    /**
     * The choices MODEL.md leaves open, with their defaults ({@link Options#defaults(long)}).
     *
     * @param interestStd   root mean square of V's principal-component entries (1.0, the scale of a standard
     *                      normal embedding)
     * @param fillStd       standard deviation of V's random fill columns (0.1: they make every one of the h
     *                      dimensions trainable from the start without drowning the centroid geometry)
     * @param smallStd      standard deviation of A, q and g (0.1)
     * @param weightGain    W, P1 and P2 are N(0, (weightGain / sqrt(fan_in))²) (1.0, LeCun normal)
     * @param rankTolerance principal directions with singular value at or below this times the largest are
     *                      dropped as noise (1e-5, about 100 float32 ulps, as in RandomizedSvd)
     * @param seed          seed of every random draw
     */
    public record Options(double interestStd, double fillStd, double smallStd, double weightGain, double rankTolerance, long seed) {
        public static final double DEFAULT_INTEREST_STD = 1.0;
        public static final double DEFAULT_FILL_STD = 0.1;
        public static final double DEFAULT_SMALL_STD = 0.1;
        public static final double DEFAULT_WEIGHT_GAIN = 1.0;
        public static final double DEFAULT_RANK_TOLERANCE = 1e-5;

        public Options {
            nonNegative("interestStd", interestStd);
            nonNegative("fillStd", fillStd);
            nonNegative("smallStd", smallStd);
            nonNegative("weightGain", weightGain);
            if (!(rankTolerance >= 0 && rankTolerance < 1)) throw new IllegalArgumentException("SmenInit.Options.rankTolerance must be in [0, 1), got " + rankTolerance);
        }

        private static void nonNegative(String name, double v) {
            if (!(v >= 0) || Double.isInfinite(v)) throw new IllegalArgumentException("SmenInit.Options." + name + " must be finite and >= 0, got " + v);
        }

        /** The defaults with the given seed. */
        public static Options defaults(long seed) {
            return new Options(DEFAULT_INTEREST_STD, DEFAULT_FILL_STD, DEFAULT_SMALL_STD, DEFAULT_WEIGHT_GAIN, DEFAULT_RANK_TOLERANCE, seed);
        }

        public Options withSeed(long s) {
            return new Options(interestStd, fillStd, smallStd, weightGain, rankTolerance, s);
        }

        public Options withInterestStd(double v) {
            return new Options(v, fillStd, smallStd, weightGain, rankTolerance, seed);
        }

        public Options withFillStd(double v) {
            return new Options(interestStd, v, smallStd, weightGain, rankTolerance, seed);
        }

        public Options withSmallStd(double v) {
            return new Options(interestStd, fillStd, v, weightGain, rankTolerance, seed);
        }

        public Options withWeightGain(double v) {
            return new Options(interestStd, fillStd, smallStd, v, rankTolerance, seed);
        }

        public Options withRankTolerance(double v) {
            return new Options(interestStd, fillStd, smallStd, weightGain, v, seed);
        }
    }

    /**
     * The initial parameters and what the PCA kept.
     *
     * @param parameters          flat parameters, {@link SmenLayout#total()} floats (owned by the caller)
     * @param principalComponents P: columns of V that are principal components (the rest is fill)
     * @param explainedVariance   share of the centroids' total variance in those P directions (1 when they
     *                            span it all; 0 when there is no variance)
     * @param scale               c, the factor applied to the principal coordinates (0 when P = 0)
     */
    public record Result(float[] parameters, int principalComponents, double explainedVariance, double scale) {
    }

    private SmenInit() {
    }

    /** Default options with the layout's seed, on the calling thread. */
    public static Result initialize(SmenLayout layout, F32Array centroids, int dim) {
        return initialize(layout, centroids, dim, Options.defaults(layout.config().seed()), null);
    }

    /**
     * Initial parameters from the K x dim centroids (row-major, K = {@code layout.boiInterests()}), e.g. the
     * interest model's {@code centroids()}.
     *
     * @param par worker threads for the row loops, or null for the calling thread (same result either way)
     */
    public static Result initialize(SmenLayout layout, F32Array centroids, int dim, Options options, Parallel par) {
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(centroids, "centroids");
        Objects.requireNonNull(options, "options");
        int k = layout.boiInterests(); // the sink's row of V (if any) starts at zero
        int h = layout.config().h();
        if (dim < 1) throw new IllegalArgumentException("centroid width must be >= 1, got " + dim);
        if (centroids.length() != (long) k * dim) {
            throw new IllegalArgumentException("centroids hold " + centroids.length() + " floats, expected K x e = " + k + " x " + dim + " (K from the layout)");
        }
        if (layout.total() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("SMEN has " + layout.total() + " parameters, more than a Java array holds (K = " + k + ", h = " + h + ")");
        }
        float[] params = new float[(int) layout.total()];
        Parallel own = par == null ? new Parallel(1) : null;
        Result r;
        try {
            Parallel p = par == null ? own : par;
            Pca pca = principalAxes(centroids, k, dim, h, options.rankTolerance(), p);
            double c = 0;
            if (pca.kept > 0) {
                double kept = 0;
                for (int j = 0; j < pca.kept; j++) kept += pca.eigenvalues[j];
                c = options.interestStd() * Math.sqrt((double) k * pca.kept / kept);
            }
            fillInterests(params, layout.offset("V"), centroids, k, dim, h, pca, c, options, p);
            r = new Result(params, pca.kept, pca.explained, c);
        } finally {
            if (own != null) own.close();
        }

        SmenConfig cfg = layout.config();
        int md = cfg.outputWidth();
        gaussian(params, layout, "A", options.smallStd(), options.seed());
        gaussian(params, layout, "W", options.weightGain() / Math.sqrt(cfg.h()), options.seed());
        gaussian(params, layout, "q", options.smallStd(), options.seed());
        gaussian(params, layout, "g", options.smallStd(), options.seed());
        gaussian(params, layout, "P1", options.weightGain() / Math.sqrt(md), options.seed());
        gaussian(params, layout, "P2", options.weightGain() / Math.sqrt(cfg.headHidden()), options.seed());
        // b, beta, c1, c2 stay zero (new float[] is zero).
        if (cfg.anchorInitScale() > 0) clusterAnchors(params, layout, options.seed());
        return r;
    }

    /** Lloyd iterations of the anchors' spherical k-means over V's rows (fewer when the assignment settles). */
    static final int ANCHOR_KMEANS_ITERATIONS = 25;

    /**
     * {@link SmenConfig#anchorInitScale()} S &gt; 0: A_m = S · sqrt(h) / rms · c_m for the first C =
     * {@link SmenConfig#clusteredAnchors()} anchors, where c_1..c_C are the unit centres of a spherical k-means
     * (C clusters) of the unit rows of V (its K interest rows, not the sink's; rows of norm 0
     * take no part), seeded by greedy k-means++ on 1 - cos (2 + ln C candidates a step) and refined by at most {@value #ANCHOR_KMEANS_ITERATIONS}
     * Lloyd iterations, and rms is the root mean square norm of those rows. Interest k's anchor logit is then
     * A_m · V[k] / sqrt(h) = S · (|V[k]| / rms) · cos(c_m, V[k]): each anchor starts attending to its own region
     * of interest space, at a sharpness S sets. The other M - C anchors, and an anchor without a cluster (fewer
     * distinct rows than C), keep their N(0, smallStd²) draws: they stay broad. Deterministic in (V, seed); one thread
     * (K · M · h multiply-adds per iteration).
     */
    static void clusterAnchors(float[] params, SmenLayout layout, long seed) {
        SmenConfig cfg = layout.config();
        int k = layout.boiInterests(), h = cfg.h(), m = cfg.clusteredAnchors();
        int vOff = layout.offset("V"), aOff = layout.offset("A");
        double[] norm = new double[k];
        double sumSq = 0;
        int live = 0;
        for (int r = 0; r < k; r++) {
            double q = 0;
            for (int j = 0; j < h; j++) {
                double v = params[vOff + r * h + j];
                q += v * v;
            }
            sumSq += q;
            norm[r] = Math.sqrt(q);
            if (norm[r] > 0) live++;
        }
        if (live == 0) return;
        double rms = Math.sqrt(sumSq / live);
        int[] rows = new int[live];
        for (int r = 0, n = 0; r < k; r++) if (norm[r] > 0) rows[n++] = r;
        double[][] unit = new double[live][h];
        for (int i = 0; i < live; i++) {
            int r = rows[i];
            for (int j = 0; j < h; j++) unit[i][j] = params[vOff + r * h + j] / norm[r];
        }
        // Greedy k-means++ on the distance 1 - cos (half the squared distance of unit vectors): each step samples
        // 2 + ln M candidates by their distance and keeps the one that lowers the summed distance most. Plain
        // k-means++ put two seeds in one of 8 well-separated clusters about one run in six (SmenInitTest).
        SplittableRandom rnd = new SplittableRandom(tensorSeed(seed, "A.clusters"));
        int tries = 2 + (int) Math.log(m);
        double[][] centre = new double[m][];
        double[] dist = new double[live];
        java.util.Arrays.fill(dist, Double.POSITIVE_INFINITY);
        int seeded = 0;
        while (seeded < m) {
            int pick = -1;
            if (seeded == 0) {
                pick = rnd.nextInt(live);
            } else {
                double total = 0;
                for (double d : dist) total += d;
                if (!(total > 1e-12)) break; // fewer distinct directions than anchors
                double best = Double.POSITIVE_INFINITY;
                for (int t = 0; t < tries; t++) {
                    double u = rnd.nextDouble() * total, acc = 0;
                    int cand = -1;
                    for (int i = 0; i < live; i++) {
                        acc += dist[i];
                        if (acc >= u && dist[i] > 0) { cand = i; break; }
                    }
                    if (cand < 0) for (int i = live - 1; i >= 0 && cand < 0; i--) if (dist[i] > 0) cand = i;
                    double sum = 0;
                    for (int i = 0; i < live; i++) sum += Math.min(dist[i], Math.max(0, 1 - dot(unit[i], unit[cand])));
                    if (sum < best) { best = sum; pick = cand; }
                }
            }
            centre[seeded] = unit[pick].clone();
            for (int i = 0; i < live; i++) dist[i] = Math.min(dist[i], Math.max(0, 1 - dot(unit[i], centre[seeded])));
            seeded++;
        }
        int[] assign = new int[live];
        java.util.Arrays.fill(assign, -1);
        for (int it = 0; it < ANCHOR_KMEANS_ITERATIONS; it++) {
            boolean changed = false;
            for (int i = 0; i < live; i++) {
                int best = 0;
                double bestCos = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < seeded; c++) {
                    double cos = dot(unit[i], centre[c]);
                    if (cos > bestCos) { bestCos = cos; best = c; }
                }
                if (assign[i] != best) { assign[i] = best; changed = true; }
            }
            if (!changed && it > 0) break;
            double[][] sum = new double[seeded][h];
            for (int i = 0; i < live; i++) {
                double[] acc = sum[assign[i]];
                for (int j = 0; j < h; j++) acc[j] += unit[i][j];
            }
            for (int c = 0; c < seeded; c++) {
                double n = Math.sqrt(dot(sum[c], sum[c]));
                if (n > 0) for (int j = 0; j < h; j++) centre[c][j] = sum[c][j] / n; // an empty cluster keeps its centre
            }
        }
        double gain = cfg.anchorInitScale() * Math.sqrt(h) / rms;
        for (int c = 0; c < seeded; c++) {
            for (int j = 0; j < h; j++) params[aOff + c * h + j] = (float) (gain * centre[c][j]);
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /**
     * Initial parameters as the layout's {@link SmenConfig#interestInit()} asks: {@code CENTROID_PCA} is
     * {@link #initialize(SmenLayout, F32Array, int, Options, Parallel)}; {@code BOI_SVD} replaces V by the top h
     * right singular vectors of the users x interests matrix of {@code boi} (weighted with {@code idf}, see
     * {@link BoiSpectralInit}), scaled so that V's entries have RMS {@link Options#interestStd()}; columns past
     * the matrix's numerical rank are N(0, fillStd²). Every other tensor is drawn exactly as by the centroid path.
     * The result's principalComponents and explainedVariance then describe the SVD (explained: the share of
     * X's squared Frobenius norm, which is its number of non-empty rows, in the kept directions).
     *
     * @param boi the training BoI rows (read only)
     * @param idf the IDF SMEN weighs its inputs with (K entries)
     */
    public static Result initialize(SmenLayout layout, org.lurm.boi.BoiSet boi, float[] idf, F32Array centroids, int dim, Options options, Parallel par) {
        Result base = initialize(layout, centroids, dim, options, par);
        if (layout.config().interestInit() == SmenConfig.InterestInit.CENTROID_PCA) return base;
        Objects.requireNonNull(boi, "boi");
        int k = layout.boiInterests(), h = layout.config().h();
        if (boi.numInterests() != k) throw new IllegalArgumentException("the BoI set has K = " + boi.numInterests() + ", the layout " + k);
        if (idf.length != k) throw new IllegalArgumentException("idf has " + idf.length + " entries, K = " + k);
        Parallel own = par == null ? new Parallel(1) : null;
        try {
            BoiSpectralInit.Result svd = BoiSpectralInit.compute(boi, idf, h, options.rankTolerance(), options.seed(), par == null ? own : par);
            float[] params = base.parameters();
            int vOff = layout.offset("V");
            int kept = svd.kept();
            double c = options.interestStd() * Math.sqrt(k);
            long fillSeed = tensorSeed(options.seed(), "V.svd.fill");
            for (int b = 0; b * FILL_BLOCK < k; b++) {
                SplittableRandom rnd = new SplittableRandom(mix64(fillSeed ^ mix64(b + 0x632BE59BD9B4E019L)));
                int end = Math.min(k, (b + 1) * FILL_BLOCK);
                for (int r = b * FILL_BLOCK; r < end; r++) {
                    int out = vOff + r * h;
                    for (int j = 0; j < kept; j++) params[out + j] = (float) (c * svd.columns()[j][r]);
                    for (int j = kept; j < h; j++) params[out + j] = (float) (options.fillStd() * rnd.nextGaussian());
                }
            }
            double energy = 0;
            for (double s : svd.singular()) energy += s * s;
            long rows = 0;
            for (int u = 0; u < boi.numUsers(); u++) if (boi.userRowStart(u + 1) > boi.userRowStart(u)) rows++;
            if (layout.config().anchorInitScale() > 0) clusterAnchors(params, layout, options.seed()); // on the new V
            return new Result(params, kept, rows == 0 ? 0 : Math.min(1, energy / Math.min(rows, BoiSpectralInit.MAX_USERS)), c);
        } finally {
            if (own != null) own.close();
        }
    }

    /** Principal axes of the centered centroids: mean, directions (e x kept as dirs[j][i]), eigenvalues. */
    private record Pca(double[] mean, double[][] dirs, double[] eigenvalues, int kept, double explained) {
    }

    private static Pca principalAxes(F32Array x, int k, int e, int h, double rankTolerance, Parallel par) {
        int blocks = Math.min(COVARIANCE_BLOCKS, k);
        long rowsPerBlock = (k + blocks - 1) / blocks;
        // Mean first, then the covariance of the centered rows: a two-pass sum keeps the small principal
        // variances that a one-pass E[xx] - E[x]E[x] would cancel away.
        double[][] partialSum = new double[blocks][e];
        par.forRange(blocks, 1, (chunk, lo, hi) -> {
            float[] row = new float[e];
            for (int b = (int) lo; b < hi; b++) {
                double[] acc = partialSum[b];
                long end = Math.min(k, (b + 1) * rowsPerBlock);
                for (long r = b * rowsPerBlock; r < end; r++) {
                    x.copyTo(r * e, row, 0, e);
                    for (int i = 0; i < e; i++) {
                        float v = row[i];
                        if (!Float.isFinite(v)) throw new IllegalArgumentException("centroid " + r + " has a non-finite value " + v + " at position " + i);
                        acc[i] += v;
                    }
                }
            }
        });
        double[] mean = new double[e];
        for (double[] p : partialSum) for (int i = 0; i < e; i++) mean[i] += p[i];
        for (int i = 0; i < e; i++) mean[i] /= k;

        double[][] partialCov = new double[blocks][e * e];
        par.forRange(blocks, 1, (chunk, lo, hi) -> {
            float[] row = new float[e];
            double[] d = new double[e];
            for (int b = (int) lo; b < hi; b++) {
                double[] acc = partialCov[b];
                long end = Math.min(k, (b + 1) * rowsPerBlock);
                for (long r = b * rowsPerBlock; r < end; r++) {
                    x.copyTo(r * e, row, 0, e);
                    for (int i = 0; i < e; i++) d[i] = row[i] - mean[i];
                    for (int i = 0; i < e; i++) {
                        double di = d[i];
                        int base = i * e;
                        for (int j = i; j < e; j++) acc[base + j] += di * d[j];
                    }
                }
            }
        });
        double[][] cov = new double[e][e];
        for (double[] p : partialCov) {
            for (int i = 0; i < e; i++) for (int j = i; j < e; j++) cov[i][j] += p[i * e + j];
        }
        double trace = 0;
        for (int i = 0; i < e; i++) {
            trace += cov[i][i];
            for (int j = 0; j < i; j++) cov[i][j] = cov[j][i];
        }

        int maxKept = Math.min(h, e);
        if (!(trace > 0)) return new Pca(mean, new double[0][], new double[0], 0, 0);
        // C is symmetric positive semi-definite: its singular values are its eigenvalues and the right singular
        // vectors its eigenvectors.
        JacobiSvd.Result svd = JacobiSvd.decompose(cov);
        double[] s = svd.s();
        double top = Math.sqrt(s[0]);
        int kept = 0;
        while (kept < maxKept && Math.sqrt(s[kept]) > rankTolerance * top) kept++;
        double[][] dirs = new double[kept][e];
        double[] eig = new double[kept];
        double keptVar = 0;
        for (int j = 0; j < kept; j++) {
            int arg = 0;
            for (int i = 0; i < e; i++) {
                dirs[j][i] = svd.v()[i][j];
                if (Math.abs(dirs[j][i]) > Math.abs(dirs[j][arg])) arg = i;
            }
            if (dirs[j][arg] < 0) for (int i = 0; i < e; i++) dirs[j][i] = -dirs[j][i];
            eig[j] = s[j];
            keptVar += s[j];
        }
        return new Pca(mean, dirs, eig, kept, Math.min(1, keptVar / trace));
    }

    private static void fillInterests(float[] params, int vOff, F32Array x, int k, int e, int h, Pca pca, double c, Options o, Parallel par) {
        int kept = pca.kept;
        int blocks = (k + FILL_BLOCK - 1) / FILL_BLOCK;
        long fillSeed = tensorSeed(o.seed(), "V.fill");
        par.forRange(blocks, 1, (chunk, lo, hi) -> {
            float[] row = new float[e];
            double[] d = new double[e];
            for (int b = (int) lo; b < hi; b++) {
                SplittableRandom rnd = kept < h ? new SplittableRandom(mix64(fillSeed ^ mix64(b + 0x632BE59BD9B4E019L))) : null;
                int end = Math.min(k, (b + 1) * FILL_BLOCK);
                for (int r = b * FILL_BLOCK; r < end; r++) {
                    int out = vOff + r * h;
                    if (kept > 0) {
                        x.copyTo((long) r * e, row, 0, e);
                        for (int i = 0; i < e; i++) d[i] = row[i] - pca.mean[i];
                        for (int j = 0; j < kept; j++) {
                            double[] p = pca.dirs[j];
                            double s = 0;
                            for (int i = 0; i < e; i++) s += d[i] * p[i];
                            params[out + j] = (float) (c * s);
                        }
                    }
                    for (int j = kept; j < h; j++) params[out + j] = (float) (o.fillStd() * rnd.nextGaussian());
                }
            }
        });
    }

    private static void gaussian(float[] params, SmenLayout layout, String name, double std, long seed) {
        SmenLayout.Tensor t = layout.tensor(name);
        int off = Math.toIntExact(t.offset());
        int n = Math.toIntExact(t.size());
        SplittableRandom rnd = new SplittableRandom(tensorSeed(seed, name));
        for (int i = 0; i < n; i++) params[off + i] = (float) (std * rnd.nextGaussian());
    }

    /** A generator seed per (model seed, tensor name): changing one tensor's size leaves the others' draws alone. */
    static long tensorSeed(long seed, String name) {
        long z = mix64(seed);
        for (int i = 0; i < name.length(); i++) z = mix64(z ^ name.charAt(i));
        return z;
    }

    /** Stafford's variant 13 of the MurmurHash3 finaliser: decorrelates nearby seeds. */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
