/**
 * lurm's core: events in, multi-scale Bag-of-Interests rows, SMEN training and encoding, one model file.
 *
 * <p>The API is the unqualified exports below; the list of its types, with their thread-safety and ownership, is
 * in {@code docs/API.md}. Every other package is internal: exported only to lurm's own modules (the CUDA backend,
 * the evaluation harness, the command line), and free to change between versions. The Vector API
 * ({@code jdk.incubator.vector}) is optional: with it the CPU kernels use SIMD, without it they run plain Java
 * ({@code org.lurm.backend.cpu.Vectorization} decides once, in one place).
 */
@SuppressWarnings("module") // the qualified exports name modules built after this one
module org.lurm {
    requires java.logging;
    requires static jdk.incubator.vector;

    exports org.lurm;
    exports org.lurm.backend;
    exports org.lurm.boi;
    exports org.lurm.events;
    exports org.lurm.events.io;
    exports org.lurm.memory;
    exports org.lurm.progress;

    exports org.lurm.backend.cpu to org.lurm.cuda, org.lurm.eval, org.lurm.cli;
    exports org.lurm.cluster to org.lurm.cuda, org.lurm.eval, org.lurm.cli;
    exports org.lurm.embed to org.lurm.cuda, org.lurm.eval, org.lurm.cli;
    exports org.lurm.io to org.lurm.cuda, org.lurm.eval, org.lurm.cli;
    exports org.lurm.linalg to org.lurm.cuda, org.lurm.eval, org.lurm.cli;
    exports org.lurm.model to org.lurm.cuda, org.lurm.eval, org.lurm.cli;
    exports org.lurm.smen to org.lurm.cuda, org.lurm.eval, org.lurm.cli;
    exports org.lurm.smen.ops to org.lurm.cuda, org.lurm.eval, org.lurm.cli;

    uses org.lurm.backend.BackendProvider;
    provides org.lurm.backend.BackendProvider with org.lurm.backend.cpu.CpuBackendProvider, org.lurm.backend.cpu.ScalarBackendProvider;
}
