package org.lurm.cli;

import java.util.concurrent.Callable;
import org.lurm.backend.Backends;
import picocli.CommandLine.Command;

@Command(name = "backends", mixinStandardHelpOptions = true,
        description = {"List the compute backends, whether each can run here and why not.",
                "Force one with -Dlurm.backend=NAME (LURM_JAVA_OPTS) or LURM_BACKEND=NAME."},
        footer = {"", "Example:", "  lurm backends", "  LURM_BACKEND=cpu-scalar lurm demo --quick"})
final class BackendsCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        for (String line : Backends.describe()) System.out.println(line);
        String req = Backends.requestedName();
        System.out.println("selected: " + Backends.select().name() + (req == null ? " (automatic)" : " (forced by lurm.backend/LURM_BACKEND)"));
        return 0;
    }
}
