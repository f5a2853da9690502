package org.lurm.cuda;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * When a test of the CUDA bindings may skip, in one place:
 * <ul>
 *   <li><b>the native library</b> ({@code -Dlurm.native.lib}, built by nvcc in every Maven build): a test that needs
 *       it skips where it was not built (a machine without nvcc), but fails under {@code CI=true} (CI has nvcc, so a
 *       missing library is a broken build) and on the GPU run;</li>
 *   <li><b>a device</b> (a GPU, cuBLAS): a device test skips with the reason where there is none, but fails on the GPU
 *       run, {@code LURM_GPU_RUN=1} (set by {@code perf-tests/gpu/run.sh} when it sees a GPU; {@code -Dlurm.gpu.run=true}
 *       too), where every device test must run: a cuBLAS that does not load or a device that is not usable is then a
 *       failure, not a silent pass.</li>
 * </ul>
 * Stateless and thread-safe.
 */
public final class DeviceTests {
    private DeviceTests() {
    }

    /** {@code CI=true}. */
    public static boolean ci() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /**
     * A run where every device test must run: the GPU run of perf-tests/gpu/run.sh ({@code LURM_GPU_RUN=1} or true,
     * or {@code -Dlurm.gpu.run=true}) or the emulated-device test runs ({@code -Dlurm.device.required=true}, which
     * load {@code native-kernels/target/emu/liblurm_kernels_emu.so}).
     */
    public static boolean gpuRun() {
        String e = System.getenv("LURM_GPU_RUN");
        return "1".equals(e) || "true".equalsIgnoreCase(e) || Boolean.getBoolean("lurm.gpu.run") || emulatedRequired();
    }

    /**
     * The emulated-device runs require a device where the emulated library was built, and always under CI=true;
     * elsewhere (a machine without g++, or not x86-64) they skip with the reason, as any device test does.
     */
    static boolean emulatedRequired() {
        return Boolean.getBoolean("lurm.device.required") && (ci() || libraryBuilt());
    }

    /** Whether the native library named by {@code -Dlurm.native.lib} exists (no skip, no failure). */
    public static boolean libraryBuilt() {
        String p = System.getProperty("lurm.native.lib");
        return p != null && Files.isRegularFile(Path.of(p));
    }

    /** The built native library; skips the test where it was not built, fails under CI=true and on the GPU run. */
    public static Path nativeLibrary() {
        String p = System.getProperty("lurm.native.lib");
        requireBuilt(libraryBuilt(), () -> "native library not built here (no nvcc?): " + p);
        return Path.of(p);
    }

    /**
     * Skips the test unless {@code ok}, for something the build should have produced (the library, the headers next
     * to it); under CI=true and on the GPU run that is a failure, with the reason.
     */
    public static void requireBuilt(boolean ok, Supplier<String> why) {
        if (ok) return;
        if (ci() || gpuRun()) fail(why.get() + (gpuRun() ? " (LURM_GPU_RUN=1" : " (CI=true") + ": what the build makes must be there; a skip would hide it)");
        assumeTrue(false, why);
    }

    /** Skips the test unless {@code ok} (a device, cuBLAS); on the GPU run that is a failure, with the reason. */
    public static void assumeDevice(boolean ok, Supplier<String> why) {
        if (ok) return;
        if (gpuRun()) fail(why.get() + " (LURM_GPU_RUN=1 / lurm.device.required: in this run every device test must run; a skip is a failure)");
        assumeTrue(false, why);
    }

    /** {@link #assumeDevice(boolean, Supplier)} for a reason that is null when the test can run. */
    public static void assumeDevice(String whyNot) {
        assumeDevice(whyNot == null, () -> whyNot);
    }
}
