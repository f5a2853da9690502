/**
 * The evaluation harness (probes, baselines, claims, {@code Benchmark}) and the synthetic life-cycle generator.
 * Tools behind {@code lurm evaluate}, {@code lurm demo} and {@code lurm generate}, not part of the library's API:
 * exported only to the command line.
 */
@SuppressWarnings("module") // the qualified exports name the CLI module, built after this one
module org.lurm.eval {
    requires org.lurm;
    requires java.logging;

    exports org.lurm.eval to org.lurm.cli;
    exports org.lurm.synth to org.lurm.cli;
}
