package org.lurm.cuda;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The one rule for tests that need a CUDA device (real or emulated): without one they are skipped with the reason,
 * except where a device is required, where they fail. A device is required when the system property
 * {@code lurm.device.required} is {@code true} (the bindings' {@code emulated-device} test run, which loads
 * {@code native-kernels/target/emu/liblurm_kernels_emu.so}) or the environment variable {@code LURM_GPU_RUN} is
 * {@code 1} (perf-tests/gpu/run.sh on a GPU machine): there a skip would hide that the device path never ran.
 */
public final class DeviceRequirement {
    private DeviceRequirement() {
    }

    /** Whether this run must have a device. */
    public static boolean required() {
        return Boolean.getBoolean("lurm.device.required") || "1".equals(System.getenv("LURM_GPU_RUN"));
    }

    /** Skips (or, where a device is required, fails) the calling test unless {@code unavailableReason} is null. */
    public static void assumeDevice(String unavailableReason) {
        if (unavailableReason == null) return;
        if (required()) fail("a CUDA device is required in this run (lurm.device.required / LURM_GPU_RUN) but: " + unavailableReason);
        assumeTrue(false, unavailableReason);
    }
}
