package org.lurm.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code lurm} command. Exit codes: 0 success, 1 failure during the run (message on stderr), 2 bad
 * usage (picocli's message and the command's help).
 */
@Command(name = "lurm", mixinStandardHelpOptions = true, version = "lurm 0.1.0-SNAPSHOT",
        description = "Full-life-cycle user representations: Bag-of-Interests + SMEN (arXiv 2110.11337).",
        subcommands = {DemoCommand.class, BackendsCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {
    @Override
    public Integer call() {
        new CommandLine(this).usage(System.out);
        return 0;
    }

    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("lurm " + cmd.getCommandName() + ": " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            if (Boolean.getBoolean("lurm.debug")) ex.printStackTrace(cmd.getErr());
            else cmd.getErr().println("(run with LURM_JAVA_OPTS=-Dlurm.debug=true for the stack trace)");
            return 1;
        });
        return cl.execute(args);
    }

    public static void main(String[] args) {
        // One short line per log record on stderr, instead of java.util.logging's two-line default.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "[lurm] %5$s%6$s%n");
        }
        System.exit(run(args));
    }
}
