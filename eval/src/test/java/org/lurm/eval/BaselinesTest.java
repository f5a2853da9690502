package org.lurm.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.BagOfInterests;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.boi.BoiSet;
import org.lurm.memory.MemoryScope;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
import org.lurm.synth.SyntheticData;
import org.lurm.testing.TestData;

/** Baselines' shapes and invariants against naive dense computations on generator data. */
class BaselinesTest {
    @Test
    void baselinesMatchNaiveDefinitions() {
        long seed = TestData.seed("BaselinesTest");
        try (MemoryScope scope = MemoryScope.root("t"); Backend backend = Backends.create()) {
            SyntheticData d = LifeCycleGenerator.generate(LifeCycleConfig.builder().users(300).items(200).topics(8).topicGroups(4).seed(seed).build(), scope);
            var ev = d.events();
            BagOfInterests s1 = BagOfInterests.fit(ev, null, BagOfInterests.Config.defaults().withInterests(40).withSeed(seed), backend, scope, null);
            BoiSet boi = s1.aggregate(ev, backend, scope);
            int n = ev.numUsers(), k = boi.numInterests();

            // raw BoI: lifetime sum of scale-0 rows, log1p * idf, L2
            Features raw = Baselines.rawBoi(boi);
            assertTrue(raw.isSparse());
            assertEquals(n, raw.rows());
            assertEquals(k, raw.dim());
            double[][] naive = new double[n][k];
            for (long r = 0; r < boi.numRows(); r++) {
                if (boi.rowScale(r) != 0) continue;
                for (long j = boi.rowStart(r); j < boi.rowEnd(r); j++) naive[boi.rowUser(r)][boi.col(j)] += boi.val(j);
            }
            for (int u = 0; u < n; u++) {
                double ss = 0;
                for (int c = 0; c < k; c++) {
                    naive[u][c] = Math.log1p(naive[u][c]) * boi.idf(c);
                    ss += naive[u][c] * naive[u][c];
                }
                for (int c = 0; c < k; c++) assertEquals(ss == 0 ? 0 : naive[u][c] / Math.sqrt(ss), raw.get(u, c), 1e-5, "raw BoI " + u + "," + c);
            }

            // item TF-IDF: rows L2-normalised, entries for exactly the items a user touched
            Features items = Baselines.itemTfIdf(ev);
            assertEquals(ev.numItems(), items.dim());
            boolean[][] touched = new boolean[n][ev.numItems()];
            for (long i = 0; i < ev.size(); i++) touched[ev.user(i)][ev.item(i)] = true;
            for (int u = 0; u < n; u++) {
                float[] row = items.row(u);
                double ss = 0;
                for (int c = 0; c < row.length; c++) {
                    assertEquals(touched[u][c], row[c] > 0, "item " + c + " of user " + u);
                    ss += row[c] * row[c];
                }
                if (ss > 0) assertEquals(1.0, ss, 1e-5);
            }

            // truncated SVD: width, and U·s equals X·V up to the sign convention, i.e. same Gram matrix as the rank-w projection
            int w = 16;
            Features svd = Baselines.truncatedSvd(Baselines.BOI_RSVD, raw, w, seed, backend, scope);
            assertEquals(n, svd.rows());
            assertEquals(w, svd.dim());
            // columns are orthogonal (U orthonormal, scaled by s) and of descending norm
            double prevNorm = Double.POSITIVE_INFINITY;
            for (int a = 0; a < w; a++) {
                double na = 0;
                for (int u = 0; u < n; u++) na += (double) svd.get(u, a) * svd.get(u, a);
                assertTrue(Math.sqrt(na) <= prevNorm * (1 + 1e-3), "descending singular values");
                prevNorm = Math.sqrt(na);
                for (int b = a + 1; b < w; b++) {
                    double dot = 0, nb = 0;
                    for (int u = 0; u < n; u++) {
                        dot += (double) svd.get(u, a) * svd.get(u, b);
                        nb += (double) svd.get(u, b) * svd.get(u, b);
                    }
                    assertEquals(0, dot / Math.max(1e-12, Math.sqrt(na * nb)), 1e-3, "columns " + a + ", " + b + " orthogonal");
                }
            }
            // the leading singular value equals the largest ||X v|| found by power iteration on X^T X
            double[] v = new double[k];
            SplittableRandom rnd = new SplittableRandom(seed);
            for (int c = 0; c < k; c++) v[c] = rnd.nextGaussian();
            double sigma = 0;
            for (int it = 0; it < 300; it++) {
                double[] xv = new double[n], xtxv = new double[k];
                for (int u = 0; u < n; u++) for (int c = 0; c < k; c++) xv[u] += raw.get(u, c) * v[c];
                for (int u = 0; u < n; u++) for (int c = 0; c < k; c++) xtxv[c] += raw.get(u, c) * xv[u];
                double norm = 0;
                for (double q : xtxv) norm += q * q;
                norm = Math.sqrt(norm);
                for (int c = 0; c < k; c++) v[c] = xtxv[c] / norm;
                sigma = Math.sqrt(norm);
            }
            double col0 = 0;
            for (int u = 0; u < n; u++) col0 += (double) svd.get(u, 0) * svd.get(u, 0);
            assertEquals(sigma, Math.sqrt(col0), 1e-3 * sigma);

            // random projection is X · R with the documented Gaussian
            Features rp = Baselines.randomProjection(raw, w, 7, backend);
            SplittableRandom r7 = new SplittableRandom(7);
            double[] rmat = new double[k * w];
            for (int i = 0; i < rmat.length; i++) rmat[i] = r7.nextGaussian() / Math.sqrt(w);
            for (int u = 0; u < n; u += 7) {
                for (int c = 0; c < w; c++) {
                    double s = 0;
                    for (int j = 0; j < k; j++) s += raw.get(u, j) * rmat[j * w + c];
                    assertEquals(s, rp.get(u, c), 1e-4);
                }
            }

            // mean item embedding: event-weighted mean of present items' vectors
            Features mie = Baselines.meanItemEmbedding(ev, s1.embeddings());
            int e = s1.embeddings().dim();
            assertEquals(e, mie.dim());
            double[][] acc = new double[n][e];
            double[] ws = new double[n];
            for (long i = 0; i < ev.size(); i++) {
                if (!s1.embeddings().isPresent(ev.item(i))) continue;
                float[] vec = s1.embeddings().vector(ev.item(i));
                for (int c = 0; c < e; c++) acc[ev.user(i)][c] += ev.weight(i) * vec[c];
                ws[ev.user(i)] += ev.weight(i);
            }
            for (int u = 0; u < n; u++) for (int c = 0; c < e; c++) assertEquals(ws[u] == 0 ? 0 : acc[u][c] / ws[u], mie.get(u, c), 1e-5);
        }
    }
}
