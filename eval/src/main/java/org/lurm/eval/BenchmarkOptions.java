package org.lurm.eval;

import java.util.Objects;
import org.lurm.BagOfInterests;
import org.lurm.SmenConfig;

/**
 * Settings of a {@link Benchmark} run.
 *
 * @param seed             seed of folds, inner splits, baselines' random matrices, the user split of the
 *                         inductive check and the MLP (Stage 1 and SMEN keep their own seeds in their configs)
 * @param stage1           Stage 1 (item embedding, K, BoI scales); its BoI config is made lenient, so events
 *                         whose item got no interest are skipped and counted rather than failing
 * @param smen             SMEN sizes and training; its {@link SmenConfig#outputWidth()} is the width every
 *                         width-matched baseline gets
 * @param probes           the probe protocol (folds, λ grid, MLP)
 * @param baselines        whether to evaluate the baselines (else LURM only)
 * @param preference       whether to run the preference task (needs an item catalogue with categories)
 * @param preferenceSplit  time split of the preference task (0.8)
 * @param inductive        whether to run the inductive check
 * @param inductiveTrain   share of users Stage 1 and SMEN are trained on in the inductive check (0.8)
 * @param threads          worker threads of the SMEN trainer and encoder
 * @param command          the command that reproduces the run (recorded in the report's settings), may be empty
 * @param variants         further SMEN configurations trained on the same Stage 1 and probed with the same folds,
 *                         each a method row under its name (for ablations; empty by default)
 *
 * <p><b>Thread-safety.</b> Immutable (a record of immutable parts).
 */
public record BenchmarkOptions(long seed, BagOfInterests.Config stage1, SmenConfig smen, ProbeEvaluator.Options probes, boolean baselines,
                               boolean preference, double preferenceSplit, boolean inductive, double inductiveTrain, int threads, String command,
                               java.util.Map<String, SmenConfig> variants) {
    public BenchmarkOptions {
        Objects.requireNonNull(stage1, "stage1");
        Objects.requireNonNull(smen, "smen");
        Objects.requireNonNull(probes, "probes");
        if (!(preferenceSplit > 0 && preferenceSplit < 1)) throw new IllegalArgumentException("preferenceSplit must be in (0, 1)");
        if (!(inductiveTrain > 0 && inductiveTrain < 1)) throw new IllegalArgumentException("inductiveTrain must be in (0, 1)");
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1");
        command = command == null ? "" : command;
        variants = variants == null ? java.util.Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(variants));
    }

    /**
     * The protocol of EVALUATION.md with the library's defaults (Stage 1 and SMEN exactly as {@code lurm fit} and
     * the API use them: one default for all data) and every part on.
     */
    public static BenchmarkOptions defaults() {
        SmenConfig d = SmenConfig.defaults();
        return new BenchmarkOptions(42L, BagOfInterests.Config.defaults(), d, ProbeEvaluator.Options.defaults(), true, true, 0.8, true, 0.8,
                Math.max(1, Runtime.getRuntime().availableProcessors()), "", java.util.Map.of());
    }

    /** A SMEN config with a fixed number of training steps (maxSteps) instead of epochs. */
    public static SmenConfig withSteps(SmenConfig c, int steps) {
        return c.toBuilder().maxSteps(steps).build(); // warm-up: SmenConfig.effectiveWarmup, the one rule
    }

    public BenchmarkOptions withSeed(long s) {
        return new BenchmarkOptions(s, stage1, smen, probes.withSeed(s), baselines, preference, preferenceSplit, inductive, inductiveTrain, threads, command, variants);
    }

    public BenchmarkOptions withStage1(BagOfInterests.Config c) {
        return new BenchmarkOptions(seed, c, smen, probes, baselines, preference, preferenceSplit, inductive, inductiveTrain, threads, command, variants);
    }

    public BenchmarkOptions withSmen(SmenConfig c) {
        return new BenchmarkOptions(seed, stage1, c, probes, baselines, preference, preferenceSplit, inductive, inductiveTrain, threads, command, variants);
    }

    public BenchmarkOptions withProbes(ProbeEvaluator.Options p) {
        return new BenchmarkOptions(seed, stage1, smen, p, baselines, preference, preferenceSplit, inductive, inductiveTrain, threads, command, variants);
    }

    public BenchmarkOptions withBaselines(boolean b) {
        return new BenchmarkOptions(seed, stage1, smen, probes, b, preference, preferenceSplit, inductive, inductiveTrain, threads, command, variants);
    }

    public BenchmarkOptions withPreference(boolean p) {
        return new BenchmarkOptions(seed, stage1, smen, probes, baselines, p, preferenceSplit, inductive, inductiveTrain, threads, command, variants);
    }

    public BenchmarkOptions withInductive(boolean i) {
        return new BenchmarkOptions(seed, stage1, smen, probes, baselines, preference, preferenceSplit, i, inductiveTrain, threads, command, variants);
    }

    public BenchmarkOptions withThreads(int t) {
        return new BenchmarkOptions(seed, stage1, smen, probes, baselines, preference, preferenceSplit, inductive, inductiveTrain, t, command, variants);
    }

    public BenchmarkOptions withCommand(String c) {
        return new BenchmarkOptions(seed, stage1, smen, probes, baselines, preference, preferenceSplit, inductive, inductiveTrain, threads, c, variants);
    }

    public BenchmarkOptions withVariants(java.util.Map<String, SmenConfig> v) {
        return new BenchmarkOptions(seed, stage1, smen, probes, baselines, preference, preferenceSplit, inductive, inductiveTrain, threads, command, v);
    }
}
