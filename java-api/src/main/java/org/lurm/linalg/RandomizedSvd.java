package org.lurm.linalg;

import java.util.Objects;
import java.util.SplittableRandom;
import org.lurm.backend.Backend;
import org.lurm.backend.cpu.Parallel;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;

/**
 * Randomized truncated SVD (Halko, Martinsson and Tropp 2011, "Finding structure with randomness", algorithm
 * 4.4 with the QR-based small SVD of 5.1) of any {@link LinearOperator}, so sparse matrices are only ever
 * multiplied, never densified:
 *
 * <ol>
 *   <li>Ω: cols x l Gaussian, l = k + oversampling (capped at min(rows, cols)); Y = A·Ω; Q = qr(Y).</li>
 *   <li>{@code powerIterations} times: Q' = qr(A^T·Q), Q = qr(A·Q'). Each power iteration sharpens the decay
 *       of the spectrum seen by the sample, re-orthonormalising in between so that float32 products do not
 *       wash out the smaller singular directions.</li>
 *   <li>B^T = A^T·Q (cols x l) = Q2·R2 (Householder); the l x l matrix R2^T = Ub·Σ·Vb^T by Jacobi SVD; then
 *       A ≈ (Q·Ub)·Σ·(Q2·Vb)^T.</li>
 * </ol>
 *
 * <p>Products with A run in float32 on the {@link Backend} the operator was built with; the orthonormalisation
 * (Householder QR) and the small SVD run in double on the host, since that is where float32 would lose the
 * orthogonality the method relies on. Memory beyond the result: about (rows + cols)·l·(4 + 8) bytes.
 *
 * <p><b>Rank.</b> Singular values at or below {@code rankTolerance}·s_max count as zero: their singular
 * vectors would be float32 rounding noise. Components past the rank, and past min(rows, cols), are returned
 * as zeros (see {@link SvdResult}).
 *
 * <p><b>Determinism.</b> Ω is drawn from the seed in fixed blocks of rows, every host loop splits its work by
 * index, and each output element is computed by one thread in a fixed order: the same seed, operator and
 * backend give bit-identical results for any number of threads.
 *
 * <p><b>Thread-safety.</b> Immutable; {@link #compute} may be called from several threads at once.
 */
public final class RandomizedSvd {
    /** Rows of Ω drawn from one generator: fixed, so Ω does not depend on the thread count. */
    private static final int OMEGA_BLOCK = 256;

    /**
     * @param oversampling    extra sample columns beyond k (default 10): the subspace found is more accurate
     *                        for the k-th singular direction when the sample is wider than k
     * @param powerIterations subspace iterations (default 2); 0 is the plain range finder
     * @param seed            seed of the Gaussian test matrix
     * @param rankTolerance   relative threshold below which singular values are treated as zero
     *                        (default 1e-5, about 100 float32 ulps)
     * @param computeU        whether to return U (default true)
     * @param computeV        whether to return V (default true)
     */
    public record Options(int oversampling, int powerIterations, long seed, double rankTolerance, boolean computeU, boolean computeV) {
        public static final int DEFAULT_OVERSAMPLING = 10;
        public static final int DEFAULT_POWER_ITERATIONS = 2;
        public static final long DEFAULT_SEED = 0x6C75726DL; // "lurm"
        public static final double DEFAULT_RANK_TOLERANCE = 1e-5;

        public Options {
            if (oversampling < 0) throw new IllegalArgumentException("oversampling must be >= 0, got " + oversampling);
            if (powerIterations < 0) throw new IllegalArgumentException("powerIterations must be >= 0, got " + powerIterations);
            if (!(rankTolerance >= 0) || rankTolerance >= 1) throw new IllegalArgumentException("rankTolerance must be in [0, 1), got " + rankTolerance);
        }

        public static Options defaults() {
            return new Options(DEFAULT_OVERSAMPLING, DEFAULT_POWER_ITERATIONS, DEFAULT_SEED, DEFAULT_RANK_TOLERANCE, true, true);
        }

        public Options withOversampling(int p) {
            return new Options(p, powerIterations, seed, rankTolerance, computeU, computeV);
        }

        public Options withPowerIterations(int q) {
            return new Options(oversampling, q, seed, rankTolerance, computeU, computeV);
        }

        public Options withSeed(long s) {
            return new Options(oversampling, powerIterations, s, rankTolerance, computeU, computeV);
        }

        public Options withRankTolerance(double t) {
            return new Options(oversampling, powerIterations, seed, t, computeU, computeV);
        }

        public Options withComputeU(boolean b) {
            return new Options(oversampling, powerIterations, seed, rankTolerance, b, computeV);
        }

        public Options withComputeV(boolean b) {
            return new Options(oversampling, powerIterations, seed, rankTolerance, computeU, b);
        }
    }

    private final Backend backend;
    private final Options options;

    public RandomizedSvd(Backend backend) {
        this(backend, Options.defaults());
    }

    /** @param backend supplies the worker threads of the host-side steps (the operator has its own backend) */
    public RandomizedSvd(Backend backend, Options options) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.options = Objects.requireNonNull(options, "options");
    }

    public Options options() {
        return options;
    }

    /**
     * The k leading singular triplets of A. U and V are allocated in {@code scope}; temporaries live in a
     * child scope closed before returning.
     */
    public SvdResult compute(LinearOperator a, int k, MemoryScope scope) {
        Objects.requireNonNull(a, "operator");
        if (k < 1) throw new IllegalArgumentException("number of singular values k must be >= 1, got " + k);
        int m = a.rows(), n = a.cols();
        int l = (int) Math.min((long) k + options.oversampling(), Math.min(m, n));
        int kk = Math.min(k, l); // components that can be non-zero
        double[] s = new double[k];
        F32Array uOut = options.computeU() ? scope.allocateF32((long) m * k) : null;
        F32Array vOut = options.computeV() ? scope.allocateF32((long) n * k) : null;
        if (l == 0) return new SvdResult(m, n, k, 0, s, uOut, vOut);

        try (MemoryScope tmp = scope.child("randomized-svd"); Workers workers = Workers.of(backend)) {
            Parallel par = workers.parallel();
            F32Array colBlock = tmp.allocateF32((long) n * l); // Ω, then A^T·Q
            F32Array rowBlock = tmp.allocateF32((long) m * l); // A·Ω, then Q
            fillGaussian(colBlock, n, l, options.seed(), par);

            a.multiply(colBlock, l, rowBlock);
            // A row of A·Ω is exactly zero only for a zero row of A (Ω is Gaussian); same for A^T·g and columns.
            boolean[] zeroRow = zeroRows(rowBlock, m, l);
            boolean[] zeroCol = zeroColumnsOf(a, tmp, par);
            double[][] qm = new double[l][m];
            orthonormalise(rowBlock, m, l, qm, par);
            double[][] qn = new double[l][n];
            for (int it = 0; it < options.powerIterations(); it++) {
                a.multiplyTranspose(rowBlock, l, colBlock);
                orthonormalise(colBlock, n, l, qn, par);
                a.multiply(colBlock, l, rowBlock);
                orthonormalise(rowBlock, m, l, qm, par);
            }
            // B^T = A^T·Q = Q2·R2, so B = R2^T·Q2^T and the small SVD is that of R2^T (l x l).
            a.multiplyTranspose(rowBlock, l, colBlock);
            toColumns(colBlock, n, l, qn, par);
            double[][] r2 = HouseholderQr.factorInPlace(qn, n, par);
            double[][] r2t = new double[l][l];
            for (int i = 0; i < l; i++) for (int j = 0; j < l; j++) r2t[i][j] = r2[j][i];
            JacobiSvd.Result small = JacobiSvd.decompose(r2t);

            double tol = options.rankTolerance() * small.s()[0];
            int rank = 0;
            while (rank < kk && small.s()[rank] > tol && small.s()[rank] > 0) rank++;
            for (int j = 0; j < rank; j++) s[j] = small.s()[j];
            if (rank == 0) return new SvdResult(m, n, k, 0, s, uOut, vOut);

            // Exact SVD factors are zero on zero rows (U) and zero columns (V) of A; the Householder Q can carry
            // rounding-level values there when the sample has lower rank than l, so they are cleared.
            if (uOut != null) project(qm, m, small.u(), rank, zeroRow, uOut, k, par);
            if (vOut != null) project(qn, n, small.v(), rank, zeroCol, vOut, k, par);
            // Sign rule on U (on V when U is not requested); flipping is exact.
            F32Array signSource = uOut != null ? uOut : vOut;
            int sourceRows = uOut != null ? m : n;
            if (signSource != null) {
                for (int c = 0; c < rank; c++) {
                    if (!largestEntryIsNegative(signSource, sourceRows, k, c)) continue;
                    if (uOut != null) negateColumn(uOut, m, k, c);
                    if (vOut != null) negateColumn(vOut, n, k, c);
                }
            }
            return new SvdResult(m, n, k, rank, s, uOut, vOut);
        }
    }

    /** Block (rows x l, row-major float) := Q of its thin QR; qCols receives Q in double, column-major. */
    private static void orthonormalise(F32Array block, int rows, int l, double[][] qCols, Parallel par) {
        toColumns(block, rows, l, qCols, par);
        HouseholderQr.factorInPlace(qCols, rows, par);
        fromColumns(qCols, rows, l, block, par);
    }

    private static void toColumns(F32Array block, int rows, int l, double[][] cols, Parallel par) {
        par.forRange(rows, 1024, (chunk, lo, hi) -> {
            float[] row = new float[l];
            for (int i = (int) lo; i < hi; i++) {
                block.copyTo((long) i * l, row, 0, l);
                for (int j = 0; j < l; j++) cols[j][i] = row[j];
            }
        });
    }

    private static void fromColumns(double[][] cols, int rows, int l, F32Array block, Parallel par) {
        par.forRange(rows, 1024, (chunk, lo, hi) -> {
            float[] row = new float[l];
            for (int i = (int) lo; i < hi; i++) {
                for (int j = 0; j < l; j++) row[j] = (float) cols[j][i];
                block.copyFrom(row, 0, (long) i * l, l);
            }
        });
    }

    /**
     * out[:, 0..rank) = Q · W[:, 0..rank) (Q: rows x l in columns, W: l x l row-major); other columns, and rows
     * marked in {@code zero}, stay 0.
     */
    private static void project(double[][] q, int rows, double[][] w, int rank, boolean[] zero, F32Array out, int k, Parallel par) {
        int l = q.length;
        par.forRange(rows, 256, (chunk, lo, hi) -> {
            double[] acc = new double[rank];
            float[] row = new float[k];
            for (int i = (int) lo; i < hi; i++) {
                if (zero[i]) continue;
                java.util.Arrays.fill(acc, 0);
                for (int j = 0; j < l; j++) {
                    double qij = q[j][i];
                    if (qij == 0) continue;
                    double[] wj = w[j];
                    for (int c = 0; c < rank; c++) acc[c] += qij * wj[c];
                }
                for (int c = 0; c < rank; c++) row[c] = (float) acc[c];
                out.copyFrom(row, 0, (long) i * k, k);
            }
        });
    }

    private static boolean[] zeroRows(F32Array block, int rows, int l) {
        boolean[] zero = new boolean[rows];
        float[] row = new float[l];
        outer:
        for (int i = 0; i < rows; i++) {
            block.copyTo((long) i * l, row, 0, l);
            for (float x : row) if (x != 0f) continue outer;
            zero[i] = true;
        }
        return zero;
    }

    /** Zero columns of A, found as the exact zeros of A^T·g for a Gaussian g (one extra product, width 1). */
    private boolean[] zeroColumnsOf(LinearOperator a, MemoryScope tmp, Parallel par) {
        int m = a.rows(), n = a.cols();
        F32Array g = tmp.allocateF32(m);
        F32Array out = tmp.allocateF32(n);
        fillGaussian(g, m, 1, mix64(options.seed() + 1), par);
        a.multiplyTranspose(g, 1, out);
        return zeroRows(out, n, 1);
    }

    private static boolean largestEntryIsNegative(F32Array a, int rows, int k, int c) {
        float best = 0f;
        float val = 0f;
        for (int i = 0; i < rows; i++) {
            float x = a.get((long) i * k + c);
            if (Math.abs(x) > best) {
                best = Math.abs(x);
                val = x;
            }
        }
        return val < 0;
    }

    private static void negateColumn(F32Array a, int rows, int k, int c) {
        for (int i = 0; i < rows; i++) {
            long idx = (long) i * k + c;
            a.set(idx, 0f - a.get(idx)); // 0 - x: a zero stays +0, not -0
        }
    }

    private static void fillGaussian(F32Array omega, int rows, int l, long seed, Parallel par) {
        int blocks = (rows + OMEGA_BLOCK - 1) / OMEGA_BLOCK;
        par.forRange(blocks, 4, (chunk, lo, hi) -> {
            float[] row = new float[l];
            for (int b = (int) lo; b < hi; b++) {
                SplittableRandom rnd = new SplittableRandom(mix64(seed ^ mix64(b + 0x632BE59BD9B4E019L)));
                int end = Math.min(rows, (b + 1) * OMEGA_BLOCK);
                for (int i = b * OMEGA_BLOCK; i < end; i++) {
                    for (int j = 0; j < l; j++) row[j] = (float) rnd.nextGaussian();
                    omega.copyFrom(row, 0, (long) i * l, l);
                }
            }
        });
    }

    /** Stafford's variant 13 of the MurmurHash3 finaliser: decorrelates nearby seeds. */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
