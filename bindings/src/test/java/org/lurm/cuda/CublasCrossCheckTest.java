package org.lurm.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.backend.Availability;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

/**
 * Our own SGEMM ({@code lurm_sgemm}) against cuBLAS (through JavaCPP) on the same device buffers, every
 * transpose combination, odd shapes. Runs only on a GPU machine that has libcublas; skipped with the reason
 * otherwise (no device: JavaCPP is then never loaded), except on the GPU run ({@link DeviceTests#gpuRun()}), where
 * no device or a cuBLAS that does not load is a failure.
 */
class CublasCrossCheckTest {
    @Test
    void ownSgemmMatchesCublas() {
        Availability a = new CudaBackendProvider().availability();
        DeviceTests.assumeDevice(a.available(), () -> "no CUDA device: " + a.reasons());
        CublasGemm cublasGemm;
        try {
            cublasGemm = CublasGemm.open();
        } catch (LinkageError | RuntimeException e) {
            DeviceTests.assumeDevice(false, () -> "cuBLAS not usable here: " + e);
            return;
        }
        SplittableRandom r = new SplittableRandom(TestData.seed("cublas"));
        try (CublasGemm cb = cublasGemm; MemoryScope s = MemoryScope.root("cublas")) {
            for (int[] sh : new int[][] {{1, 1, 1}, {33, 17, 65}, {128, 256, 64}, {500, 300, 129}}) {
                int m = sh[0], n = sh[1], k = sh[2];
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                    F32Array ha = s.allocateF32((long) m * k), hb = s.allocateF32((long) k * n), hc = s.allocateF32((long) m * n);
                    for (long i = 0; i < ha.length(); i++) ha.set(i, (float) r.nextGaussian());
                    for (long i = 0; i < hb.length(); i++) hb.set(i, (float) r.nextGaussian());
                    for (long i = 0; i < hc.length(); i++) hc.set(i, (float) r.nextGaussian());
                    DeviceBuffer da = DeviceBuffer.allocate(s, ha.length() * 4), db = DeviceBuffer.allocate(s, hb.length() * 4);
                    DeviceBuffer c1 = DeviceBuffer.allocate(s, hc.length() * 4), c2 = DeviceBuffer.allocate(s, hc.length() * 4);
                    da.copyFromHost(ha.segment(), 0);
                    db.copyFromHost(hb.segment(), 0);
                    c1.copyFromHost(hc.segment(), 0);
                    c2.copyFromHost(hc.segment(), 0);
                    CudaKernels.sgemm(ta, tb, m, n, k, 0.9f, da, db, -0.5f, c1, null);
                    cb.sgemm(ta, tb, m, n, k, 0.9f, da, db, -0.5f, c2);
                    Cuda.deviceSynchronize();
                    F32Array o1 = s.allocateF32(hc.length()), o2 = s.allocateF32(hc.length());
                    c1.copyToHost(0, o1.segment());
                    c2.copyToHost(0, o2.segment());
                    double num = 0, den = 1e-30;
                    for (long i = 0; i < o1.length(); i++) {
                        double d = (double) o1.get(i) - o2.get(i);
                        num += d * d;
                        den += (double) o2.get(i) * o2.get(i);
                    }
                    assertTrue(num / den < 1e-10, "ours vs cuBLAS " + m + "x" + n + "x" + k + " ta=" + ta + " tb=" + tb + " nmse " + num / den);
                    for (DeviceBuffer b : new DeviceBuffer[] {da, db, c1, c2}) b.close();
                }
            }
        }
        assertEquals(0, DeviceBuffer.liveCount());
    }
}
