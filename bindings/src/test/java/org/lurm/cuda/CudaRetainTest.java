package org.lurm.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.cluster.KMeansConfig;
import org.lurm.cluster.KMeansResult;
import org.lurm.cluster.SphericalKMeans;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

/**
 * {@link CudaBackend#retain}: a retained array is uploaded once and the ops that take it as a read-only input
 * read the device copy (same results, fewer bytes up), until the handle is closed; k-means' Lloyd iterations use
 * it, so their points go up once per run instead of once per iteration, with the CPU's clustering. Needs a device
 * (the emulated one in CI).
 */
class CudaRetainTest {
    static String cudaUnavailable() {
        var p = Backends.providers().stream().filter(x -> x.name().equals("cuda")).findFirst().orElse(null);
        if (p == null) return "cuda: no such provider";
        var a = p.availability();
        return a.available() ? null : "cuda: " + String.join("; ", a.reasons());
    }

    static float[] unitRows(SplittableRandom r, int n, int dim) {
        float[] x = new float[n * dim];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int d = 0; d < dim; d++) {
                x[i * dim + d] = (float) r.nextGaussian() + (i % 7 == d % 7 ? 2f : 0f);
                s += x[i * dim + d] * x[i * dim + d];
            }
            for (int d = 0; d < dim; d++) x[i * dim + d] /= (float) Math.sqrt(s);
        }
        return x;
    }

    @Test
    void retainedPointsGoUpOnceAndGiveTheSameAssignment() {
        DeviceTests.assumeDevice(cudaUnavailable());
        SplittableRandom r = new SplittableRandom(TestData.seed("retainedPointsGoUpOnce"));
        int n = 400, dim = 16, k = 12;
        try (MemoryScope scope = MemoryScope.root("retain"); CudaBackend cuda = new CudaBackend(0, 1)) {
            F32Array points = scope.copyOf(unitRows(r, n, dim)), cent = scope.copyOf(unitRows(r, k, dim));
            I32Array idx0 = scope.allocateI32(n), idx = scope.allocateI32(n);
            F32Array score0 = scope.allocateF32(n), score = scope.allocateF32(n);
            long before = cuda.uploadedBytes();
            cuda.assignNearest(points, n, cent, k, dim, idx0, score0);
            assertEquals(4L * (n + k) * dim, cuda.uploadedBytes() - before, "points and centroids uploaded");
            try (Backend.Retained kept = cuda.retain(points)) {
                long afterRetain = cuda.uploadedBytes();
                assertEquals(4L * n * dim, afterRetain - before - 4L * (n + k) * dim, "retain uploads the points once");
                for (int i = 0; i < 3; i++) {
                    long b = cuda.uploadedBytes();
                    cuda.assignNearest(points, n, cent, k, dim, idx, score);
                    assertEquals(4L * k * dim, cuda.uploadedBytes() - b, "only the centroids go up while the points are retained");
                    assertArrayEquals(idx0.toArray(), idx.toArray());
                    assertArrayEquals(score0.toArray(), score.toArray());
                }
                kept.close();
                kept.close(); // idempotent
            }
            long b = cuda.uploadedBytes();
            cuda.assignNearest(points, n, cent, k, dim, idx, score);
            assertEquals(4L * (n + k) * dim, cuda.uploadedBytes() - b, "released: the points go up again");
        }
    }

    @Test
    void kMeansOnTheDeviceUploadsItsPointsOncePerRunAndMatchesTheCpu() {
        DeviceTests.assumeDevice(cudaUnavailable());
        SplittableRandom r = new SplittableRandom(TestData.seed("kMeansUploadsItsPointsOnce"));
        int n = 1500, dim = 16, k = 10;
        float[] x = unitRows(r, n, dim);
        KMeansConfig cfg = KMeansConfig.of(k).withSeed(17L);
        try (MemoryScope scope = MemoryScope.root("retain-kmeans"); CudaBackend cuda = new CudaBackend(0, 1);
             Backend cpu = Backends.select("cpu-scalar").create(1)) {
            F32Array emb = scope.copyOf(x);
            KMeansResult host = SphericalKMeans.fit(emb, n, dim, null, cfg, cpu, scope);
            long before = cuda.uploadedBytes();
            KMeansResult dev = SphericalKMeans.fit(emb, n, dim, null, cfg, cuda, scope);
            long up = cuda.uploadedBytes() - before;
            assertTrue(dev.iterations() >= 3, "enough Lloyd iterations to tell: " + dev.iterations());
            assertEquals(host.iterations(), dev.iterations());
            assertArrayEquals(host.assignment().toArray(), dev.assignment().toArray(), "the same clustering as the CPU");
            // the training points once for the Lloyd run, once more for the final assignment of every item, the seeding
            // sample once, plus a centroid (seeding) or all centroids (Lloyd) per call, about 2.3 x the points; before
            // retain every call uploaded its points (412,800 bytes for 22 iterations on this test's first version)
            long pointBytes = 4L * n * dim;
            // without retain each of the >= 3 iterations alone would upload pointBytes
            assertTrue(up < 2.5 * pointBytes,
                    "uploaded " + up + " bytes for " + dev.iterations() + " iterations of " + pointBytes + "-byte points");
        }
    }
}
