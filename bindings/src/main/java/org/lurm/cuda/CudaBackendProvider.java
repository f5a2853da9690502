package org.lurm.cuda;

import java.util.EnumSet;
import java.util.Set;
import org.lurm.backend.Availability;
import org.lurm.backend.Backend;
import org.lurm.backend.BackendProvider;
import org.lurm.backend.Capability;

/**
 * "cuda": the GPU backend ({@link CudaBackend} on device 0). It probes through our own library first (no
 * JavaCPP CUDA class is touched before a device is confirmed) and reports why it cannot run: library missing,
 * wrong ABI, no driver ("cudaGetDeviceCount returned 35 ..."), no device. With a device it is available and,
 * scoring 1000, chosen by automatic selection.
 *
 * <p>Thread-safe; the probe result is computed once.
 */
public final class CudaBackendProvider implements BackendProvider {
    private volatile Availability cached;

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public int score() {
        return 1000;
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.GPU, Capability.DENSE_MATH, Capability.SPARSE_MATH, Capability.KMEANS_ASSIGN, Capability.BOI_AGGREGATION);
    }

    @Override
    public Availability availability() {
        Availability a = cached;
        if (a == null) cached = a = probe();
        return a;
    }

    private static Availability probe() {
        NativeLibrary lib;
        try {
            lib = NativeLibrary.load();
        } catch (RuntimeException | LinkageError e) {
            return Availability.no(e.getMessage());
        }
        int n;
        try {
            n = lib.deviceCount();
        } catch (CudaException e) {
            return Availability.no("no usable CUDA driver: cudaGetDeviceCount returned " + e.code() + " (" + lib.errorText(e.code()) + ")");
        }
        if (n == 0) return Availability.no("no CUDA device: cudaGetDeviceCount found 0 devices");
        String desc;
        try {
            desc = lib.deviceDescription(0);
        } catch (CudaException e) {
            return Availability.no("CUDA device 0 cannot be queried: " + e.getMessage());
        }
        int rc = Cuda.CHECK_KERNEL_IMAGE.callRaw(lib, 0);
        if (rc != 0) {
            return Availability.no("the kernels of " + lib.path() + " cannot run on " + desc + ": CUDA error " + rc + " (" + lib.errorText(rc)
                    + "); rebuild native-kernels for this device with LURM_CUDA_ARCH");
        }
        return Availability.yes();
    }

    @Override
    public Backend create(int threads) {
        Availability a = availability();
        if (!a.available()) throw new IllegalStateException("cuda backend cannot run: " + String.join("; ", a.reasons()));
        return new CudaBackend(0, Math.max(1, threads));
    }
}
