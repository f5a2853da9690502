package org.lurm.smen;

import org.lurm.SmenConfig;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiSet;
import org.lurm.linalg.HouseholderQr;
import org.lurm.linalg.JacobiSvd;

/**
 * The leading right singular vectors of the users x interests matrix X, for {@link SmenConfig.InterestInit#BOI_SVD}:
 * row u of X is user u's lifetime BoI at the finest scale (all its rows, history included), weighted as SMEN
 * weighs its inputs (log(1 + x) · idf_k) and L2-normalised, as the raw-BoI baseline is.
 *
 * <p><b>Algorithm.</b> Subspace iteration on X^T X (Halko, Martinsson, Tropp 2011, Alg. 4.4): a seeded Gaussian
 * K x l block (l = P + 10 oversampling), {@value #POWER_ITERATIONS} rounds of Z ← orth(X^T (X Z)) with Householder
 * QR in double, then the Rayleigh-Ritz step: the eigenvectors of (XQ)^T (XQ) rotate Q onto the singular
 * directions. At most {@value #MAX_USERS} users take part (a seeded sample of the others; the directions of a
 * large population are well estimated from a sample, and the cost stays bounded).
 *
 * <p><b>Cost.</b> About 2·(2q + 1)·nnz(X)·l multiply-adds plus K·l² for the QR, in double; memory K·l and n·l
 * doubles plus a transposed copy of X. Every loop writes disjoint rows, so the result is bit-identical for any
 * number of threads.
 *
 * <p>Package-private and stateless.
 */
final class BoiSpectralInit {
    /** Users at most in X (a seeded sample above this). */
    static final int MAX_USERS = 100_000;
    static final int POWER_ITERATIONS = 4;
    static final int OVERSAMPLING = 10;

    /**
     * @param columns  P right singular vectors, each of length K (column j is {@code columns[j]})
     * @param singular the P singular values, descending
     */
    record Result(double[][] columns, double[] singular) {
        int kept() {
            return columns.length;
        }
    }

    private BoiSpectralInit() {
    }

    /** At most {@code want} leading right singular vectors (fewer when X has lower numerical rank). */
    static Result compute(BoiSet boi, float[] idf, int want, double rankTolerance, long seed, Parallel par) {
        int k = boi.numInterests();
        Csr x = lifetimeRows(boi, idf, seed);
        int n = x.rows;
        int l = Math.min(want + OVERSAMPLING, Math.min(n, k));
        if (l < 1 || x.nnz() == 0) return new Result(new double[0][], new double[0]);
        Csr xt = x.transpose(k);
        // Z: K x l, row-major (k * l + c); start from a seeded Gaussian block.
        double[] z = new double[k * l];
        SplittableRandom rnd = new SplittableRandom(SmenInit.tensorSeed(seed, "V.svd"));
        for (int i = 0; i < z.length; i++) z[i] = rnd.nextGaussian();
        orthonormalize(z, k, l, par);
        double[] t = new double[n * l];
        for (int it = 0; it < POWER_ITERATIONS; it++) {
            x.times(z, l, t, par);     // T = X Z      (n x l)
            xt.times(t, l, z, par);    // Z = X^T T    (K x l)
            orthonormalize(z, k, l, par);
        }
        x.times(z, l, t, par);         // B = X Q
        double[][] gram = new double[l][l];
        par.forRange(l, l, 1, (chunk, lo, hi) -> {
            for (int a = (int) lo; a < hi; a++) {
                for (int b = 0; b < l; b++) {
                    double s = 0;
                    for (int i = 0; i < n; i++) s += t[i * l + a] * t[i * l + b];
                    gram[a][b] = s;
                }
            }
        });
        JacobiSvd.Result eig = JacobiSvd.decompose(gram); // symmetric PSD: s = eigenvalues = sigma^2, v = eigenvectors
        double top = Math.sqrt(Math.max(0, eig.s()[0]));
        int kept = 0;
        while (kept < Math.min(want, l) && Math.sqrt(Math.max(0, eig.s()[kept])) > rankTolerance * top && top > 0) kept++;
        double[][] cols = new double[kept][k];
        double[] sv = new double[kept];
        final int kk = kept;
        par.forRange(k, 64, 256, (chunk, lo, hi) -> {
            for (int r = (int) lo; r < hi; r++) {
                for (int j = 0; j < kk; j++) {
                    double s = 0;
                    for (int c = 0; c < l; c++) s += z[r * l + c] * eig.v()[c][j];
                    cols[j][r] = s;
                }
            }
        });
        for (int j = 0; j < kept; j++) {
            sv[j] = Math.sqrt(Math.max(0, eig.s()[j]));
            int arg = 0;
            for (int r = 0; r < k; r++) if (Math.abs(cols[j][r]) > Math.abs(cols[j][arg])) arg = r;
            if (cols[j][arg] < 0) for (int r = 0; r < k; r++) cols[j][r] = -cols[j][r];
        }
        return new Result(cols, sv);
    }

    /** Q of the thin QR of the K x l row-major block, written back in place. */
    private static void orthonormalize(double[] z, int k, int l, Parallel par) {
        double[][] cols = new double[l][k];
        for (int r = 0; r < k; r++) for (int c = 0; c < l; c++) cols[c][r] = z[r * l + c];
        HouseholderQr.factorInPlace(cols, k, par);
        for (int r = 0; r < k; r++) for (int c = 0; c < l; c++) z[r * l + c] = cols[c][r];
    }

    /** X: one row per (sampled) user with scale-0 weight, log(1 + x) · idf, L2-normalised. */
    static Csr lifetimeRows(BoiSet boi, float[] idf, long seed) {
        int users = boi.numUsers(), k = boi.numInterests();
        int[] chosen = sampleUsers(boi, seed);
        int[] ptr = new int[chosen.length + 1];
        int[] cols = new int[16];
        float[] vals = new float[16];
        double[] acc = new double[k];
        boolean[] touched = new boolean[k];
        int[] list = new int[k];
        int nnz = 0;
        int rows = 0;
        for (int u : chosen) {
            int m = LifetimeBoi.accumulate(boi, u, acc, touched, list);
            if (nnz + m > cols.length) {
                int cap = Math.max(cols.length * 2, nnz + m);
                cols = Arrays.copyOf(cols, cap);
                vals = Arrays.copyOf(vals, cap);
            }
            double ss = 0;
            for (int q = 0; q < m; q++) {
                int c = list[q];
                double v = Math.log1p(Math.max(0, acc[c])) * idf[c];
                cols[nnz + q] = c;
                vals[nnz + q] = (float) v;
                ss += v * v;
                acc[c] = 0;
                touched[c] = false;
            }
            if (ss > 0) {
                double inv = 1 / Math.sqrt(ss);
                for (int q = 0; q < m; q++) vals[nnz + q] = (float) (vals[nnz + q] * inv);
                nnz += m;
                ptr[++rows] = nnz;
            }
        }
        if (users == 0) return new Csr(0, new int[1], new int[0], new float[0]);
        return new Csr(rows, Arrays.copyOf(ptr, rows + 1), Arrays.copyOf(cols, nnz), Arrays.copyOf(vals, nnz));
    }

    /** All users, or a seeded sample of {@link #MAX_USERS} of them (ascending). */
    private static int[] sampleUsers(BoiSet boi, long seed) {
        int n = boi.numUsers();
        int[] all = new int[n];
        for (int u = 0; u < n; u++) all[u] = u;
        if (n <= MAX_USERS) return all;
        SplittableRandom r = new SplittableRandom(SmenInit.tensorSeed(seed, "V.svd.users"));
        for (int i = 0; i < MAX_USERS; i++) {
            int j = i + r.nextInt(n - i);
            int tmp = all[i];
            all[i] = all[j];
            all[j] = tmp;
        }
        int[] s = Arrays.copyOf(all, MAX_USERS);
        Arrays.sort(s);
        return s;
    }

    /** Minimal heap CSR with the two products the iteration needs. */
    record Csr(int rows, int[] ptr, int[] cols, float[] vals) {
        int nnz() {
            return ptr[rows];
        }

        /** out (rows x l, row-major) = this · in (cols x l, row-major); each output row written by one task. */
        void times(double[] in, int l, double[] out, Parallel par) {
            par.forRange(rows, 64, 64, (chunk, lo, hi) -> {
                for (int r = (int) lo; r < hi; r++) {
                    int o = r * l;
                    Arrays.fill(out, o, o + l, 0);
                    for (int j = ptr[r]; j < ptr[r + 1]; j++) {
                        double v = vals[j];
                        int i0 = cols[j] * l;
                        for (int c = 0; c < l; c++) out[o + c] += v * in[i0 + c];
                    }
                }
            });
        }

        /** The transpose (numCols x rows), entries of a row ordered by the original row index. */
        Csr transpose(int numCols) {
            int[] count = new int[numCols + 1];
            int nz = nnz();
            for (int j = 0; j < nz; j++) count[cols[j] + 1]++;
            for (int c = 0; c < numCols; c++) count[c + 1] += count[c];
            int[] next = Arrays.copyOf(count, numCols);
            int[] tc = new int[nz];
            float[] tv = new float[nz];
            for (int r = 0; r < rows; r++) {
                for (int j = ptr[r]; j < ptr[r + 1]; j++) {
                    int p = next[cols[j]]++;
                    tc[p] = r;
                    tv[p] = vals[j];
                }
            }
            return new Csr(numCols, count, tc, tv);
        }
    }
}
