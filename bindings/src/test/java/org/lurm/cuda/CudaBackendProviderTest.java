package org.lurm.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.lurm.backend.Availability;
import org.lurm.backend.BackendProvider;
import org.lurm.backend.Backends;

/**
 * Without a GPU (CI, development machines) the CUDA backend must load our library when nvcc built it, call
 * into it, and report "no device" with CUDA's own words, never crash; automatic selection then takes the CPU.
 * Under CI=true the library must have been built, and on the GPU run ({@link DeviceTests#gpuRun()}) the backend
 * must be available.
 */
class CudaBackendProviderTest {
    @Test
    void registeredThroughTheSpiAndReportsWhyItCannotRun() {
        BackendProvider cuda = Backends.providers().stream().filter(p -> p.name().equals("cuda")).findFirst().orElseThrow();
        assertEquals(1000, cuda.score());
        Availability a = cuda.availability();
        System.out.println("[cuda] " + (a.available() ? "available" : "unavailable: " + a.reasons()));
        if (!a.available()) {
            if (DeviceTests.gpuRun()) fail("LURM_GPU_RUN=1 (the GPU run) but the cuda backend is unavailable: " + a.reasons());
            assertFalse(a.reasons().isEmpty());
            assertThrows(IllegalStateException.class, () -> cuda.create(1));
            assertEquals("cpu", Backends.select(null).name(), "automatic selection falls to the CPU and says why");
        } else {
            assertEquals("cuda", Backends.select(null).name(), "with a GPU, automatic selection takes cuda");
            try (org.lurm.backend.Backend b = cuda.create(1)) {
                assertEquals("cuda", b.name());
                System.out.println("[cuda] " + b);
            }
        }
    }

    @Test
    void nativeLibraryLoadsAndAnswersWhenBuilt() {
        String p = System.getProperty("lurm.native.lib");
        if (p == null || !Files.isRegularFile(Path.of(p))) {
            if (DeviceTests.ci() || DeviceTests.gpuRun()) fail("native library not built here (no nvcc?): " + p + "; under CI=true and on the GPU run it must be");
            System.out.println("[cuda] native library not built here (no nvcc): " + p);
            assertThrows(IllegalStateException.class, NativeLibrary::load);
            return;
        }
        NativeLibrary lib = NativeLibrary.load();
        assertTrue(lib.errorText(35).toLowerCase().contains("driver"), lib.errorText(35));
        try {
            int n = lib.deviceCount();
            System.out.println("[cuda] devices: " + n + (n > 0 ? " (" + lib.deviceDescription(0) + ")" : ""));
        } catch (CudaException e) {
            System.out.println("[cuda] " + e.getMessage());
            assertTrue(e.getMessage().contains("cudaGetDeviceCount"), e.getMessage());
        }
    }
}
