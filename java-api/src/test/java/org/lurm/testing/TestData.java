package org.lurm.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real datasets, read from {@code $LURM_DATA_DIR} or {@code -Dlurm.data.dir} (the build points it at
 * {@code ../shared/data}); never copied into the repository. Absent data skips the test with a message,
 * except under {@code CI=true}, where it fails.
 */
public final class TestData {
    private TestData() {
    }

    public static Path dataDir() {
        String env = System.getenv("LURM_DATA_DIR");
        if (env != null && !env.isBlank()) return Path.of(env);
        String p = System.getProperty("lurm.data.dir");
        if (p != null && !p.isBlank()) return Path.of(p);
        return Path.of("..", "shared", "data");
    }

    /** The folder of a dataset ("movielens-100k", "movielens-1m-subset"); skips (or fails in CI) when absent. */
    public static Path dataset(String name) {
        Path d = dataDir().resolve(name);
        if (!Files.isDirectory(d)) {
            String msg = "dataset " + name + " not found at " + d.toAbsolutePath().normalize()
                    + " (set LURM_DATA_DIR to the folder that holds it)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(msg + "; CI=true requires the real data");
            assumeTrue(false, msg);
        }
        return d;
    }

    /** Seed for randomised tests: -Dlurm.test.seed, else fresh each run (printed so a failure can be replayed). */
    public static long seed(String testName) {
        String s = System.getProperty("lurm.test.seed");
        long seed = s != null ? Long.parseLong(s) : System.nanoTime();
        System.out.println("[seed] " + testName + " = " + seed + " (replay with -Dlurm.test.seed=" + seed + ")");
        return seed;
    }
}
