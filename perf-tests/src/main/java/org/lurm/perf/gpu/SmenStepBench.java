package org.lurm.perf.gpu;

import static org.lurm.perf.gpu.SmenGpuBenchSupport.f;
import static org.lurm.perf.gpu.SmenGpuBenchSupport.intArg;
import static org.lurm.perf.gpu.SmenGpuBenchSupport.row;
import static org.lurm.perf.gpu.SmenGpuBenchSupport.strArg;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.lurm.cuda.smen.CudaSmenTraining;
import org.lurm.perf.RandomSmenViews;
import org.lurm.smen.SmenBatch;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenLayout;

/**
 * One SMEN training step on the GPU ({@link CudaSmenTraining}: both views forward, InfoNCE + diversity, backward,
 * clipping, dense + lazy Adam, loss read back) against the PyTorch reference on the same GPU, eager and
 * {@code torch.compile} ({@code perf-tests/python/smen_reference.py bench --device cuda [--compile]}), on batches
 * of the same shape (B users, S scales, rows per (user, scale) uniform in [1, 2 rows/S - 1], interests per row
 * uniform in [1, 2 nnz - 1], as SmenStepBenchmark and the reference's random_view). Our step includes the host
 * work a real step has (interest segments, staging, upload of both views).
 *
 * <p>Usage: {@code java ... org.lurm.perf.gpu.SmenStepBench [--users 256] [--scales 2] [--rows 20] [--nnz 20]
 * [--interests 20000] [--steps 30] [--pred-weight W] [--python python3] [--reference perf-tests/python/smen_reference.py]
 * [--budget-s 110]}. The defaults are the reference bench's; {@code --pred-weight W} (default: {@code SmenConfig.defaults()}'s, 1)
 * weights the cross-view interest prediction term in both (0: off; candidates: all K up to 8192, else the views'
 * interests plus sampled ones up to 8192; the reference draws its own). A reference line given by the variables
 * below is used only when its users, scales, K and prediction weight are ours; otherwise the reference runs here. The reference runs as a child process within the
 * time budget (torch.compile's first compilation can take a minute), unless {@code LURM_TORCH_EAGER_JSON} /
 * {@code LURM_TORCH_COMPILE_JSON} name files holding its JSON line from an earlier run on the same GPU.
 * Aims (issue 11): at least 2x faster than PyTorch eager, and at least as fast as {@code torch.compile}.
 */
public final class SmenStepBench {
    private SmenStepBench() {
    }

    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        String card = SmenGpuBenchSupport.deviceOrSkip("training step");
        if (card == null) return;
        int users = intArg(args, "users", 256), scales = intArg(args, "scales", 2), rows = intArg(args, "rows", 20);
        int nnz = intArg(args, "nnz", 20), k = intArg(args, "interests", 20_000), steps = intArg(args, "steps", 30);
        // The product's default (the reference bench's too), so that both sides do the same work.
        float predWeight = Float.parseFloat(strArg(args, "pred-weight", "" + SmenConfig.defaults().predictionWeight()));
        SmenLayout base = SmenGpuBenchSupport.layout(k, scales);
        SmenLayout layout = new SmenLayout(base.config().toBuilder().predictionWeight(predWeight).build(), k, scales);
        SplittableRandom r = new SplittableRandom(42);
        SmenBatch a = randomView(r, layout.config(), users, scales, rows, nnz, k), b = randomView(r, layout.config(), users, scales, rows, nnz, k);
        float[] params = SmenGpuBenchSupport.params(layout, 0.1, 42);
        double[] t = new double[steps];
        double first, last;
        // A run as long as this one, so the learning rate is a short run's (not scaled down) and the loss shows it learns.
        try (CudaSmenTraining train = new CudaSmenTraining(layout, params, steps + 5L)) {
            first = train.step(a, b).total();
            for (int i = 0; i < 4; i++) train.step(a, b);
            last = first;
            for (int i = 0; i < steps; i++) {
                long t0 = System.nanoTime();
                last = train.step(a, b).total();
                t[i] = (System.nanoTime() - t0) / 1e9;
            }
        }
        Arrays.sort(t);
        double ours = t[steps / 2];
        System.out.println(f("[smen-step] %s; B %d, S %d, K %d, rows %d+%d, non-zeros %d+%d, prediction weight %s; loss %.4f -> %.4f; median %.3f ms (min %.3f)",
                card, users, scales, k, a.rows(), b.rows(), a.nnz(), b.nnz(), predWeight, first, last, ours * 1e3, t[0] * 1e3));
        String python = strArg(args, "python", System.getenv().getOrDefault("LURM_PYTHON", "python3"));
        String script = strArg(args, "reference", "perf-tests/python/smen_reference.py");
        long deadline = start + 1_000_000_000L * intArg(args, "budget-s", 110);
        for (boolean compile : new boolean[] {false, true}) {
            String impl = compile ? "torch.compile" : "eager";
            String why = null;
            Double torchMs = null;
            // A reference line measured earlier on this GPU (e.g. by perf-tests/gpu/run.sh) is used as it is.
            String given = System.getenv(compile ? "LURM_TORCH_COMPILE_JSON" : "LURM_TORCH_EAGER_JSON");
            String json = null;
            String givenJson = given != null && Files.isRegularFile(Path.of(given)) ? Files.readString(Path.of(given)) : null;
            String mismatch = givenJson == null ? null : shapeMismatch(givenJson, users, scales, k, predWeight);
            if (mismatch != null) {
                System.out.println("[smen-step] " + given + " measured another shape (" + mismatch + "): running the reference here");
            }
            if (givenJson != null && mismatch == null) {
                json = givenJson;
            } else if (!Files.isRegularFile(Path.of(script))) {
                why = "reference script not found at " + script;
            } else {
                long left = (deadline - System.nanoTime()) / 1_000_000_000L;
                if (left < 20) {
                    why = "not run: the time budget (--budget-s) is spent; run.sh's PyTorch lines have it";
                } else {
                    List<String> cmd = new ArrayList<>(List.of(python, script, "bench", "--device", "cuda", "--users", "" + users, "--scales",
                            "" + scales, "--rows-per-user", "" + rows, "--nnz-per-row", "" + nnz, "--interests", "" + k, "--steps", "" + steps,
                            "--warmup", "5", "--pred-weight", "" + predWeight));
                    if (compile) cmd.add("--compile");
                    Result res = run(cmd, left);
                    if (res.code == 0) json = res.out;
                    else why = "reference failed (exit " + res.code + "): " + tail(res.out);
                }
            }
            if (json != null) {
                Matcher m = Pattern.compile("\"ms_per_step\": ([0-9.eE+-]+)").matcher(json);
                if (m.find()) torchMs = Double.parseDouble(m.group(1));
                else why = "no ms_per_step in the reference's output: " + tail(json);
            }
            if (torchMs == null) {
                row("training step" + (predWeight > 0 ? " with prediction" : "") + " vs PyTorch " + impl + ", " + card, f("%.3f ms", ours * 1e3), why, "-", compile ? ">= 1x" : ">= 2x", "not compared");
            } else {
                double x = torchMs / (ours * 1e3);
                row("training step" + (predWeight > 0 ? " with prediction" : "") + " vs PyTorch " + impl + ", " + card, f("%.3f ms", ours * 1e3), f("%.3f ms", torchMs), f("%.2fx", x),
                        compile ? ">= 1x" : ">= 2x", x >= (compile ? 1 : 2) ? "met" : "missed");
            }
        }
    }

    /**
     * Null when the reference's JSON line was measured on our shape (users, scales, K, prediction weight), else
     * what differs: a line from a run with other settings must not be compared with ours.
     */
    static String shapeMismatch(String json, int users, int scales, int k, float predWeight) {
        List<String> diff = new ArrayList<>();
        double[][] want = {{users}, {scales}, {k}, {predWeight}};
        String[] keys = {"users", "scales", "K", "predictionWeight"};
        for (int i = 0; i < keys.length; i++) {
            Matcher m = Pattern.compile("\"" + keys[i] + "\": ([0-9.eE+-]+)").matcher(json);
            if (!m.find()) {
                diff.add(keys[i] + " missing");
            } else if (Math.abs(Double.parseDouble(m.group(1)) - want[i][0]) > 1e-6) {
                diff.add(keys[i] + " " + m.group(1) + ", ours " + (i == 3 ? "" + predWeight : "" + (long) want[i][0]));
            }
        }
        return diff.isEmpty() ? null : String.join("; ", diff);
    }

    private record Result(int code, String out) {
    }

    /** Runs a child process with its output in a temporary file, so that the timeout holds even when it hangs. */
    private static Result run(List<String> cmd, long timeoutSeconds) throws Exception {
        Path log = Files.createTempFile("smen-reference", ".log");
        try {
            Process p;
            try {
                p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            } catch (java.io.IOException e) {
                return new Result(-1, e.getMessage());
            }
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                return new Result(-2, Files.readString(log) + " (timed out after " + timeoutSeconds + " s)");
            }
            return new Result(p.exitValue(), Files.readString(log));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static String tail(String s) {
        String t = s.strip().replace('\n', ' ').replace('|', '/');
        return t.length() > 200 ? "..." + t.substring(t.length() - 200) : t;
    }

    /** Rows per group as the reference bench's: round(rows per user / scales), at least 1. */
    static SmenBatch randomView(SplittableRandom r, SmenConfig cfg, int users, int scales, int rowsPerUser, int nnzPerRow, int interests) {
        int perGroup = Math.max(1, Math.round(rowsPerUser / (float) scales));
        return RandomSmenViews.randomView(r, cfg, users, scales, perGroup, nnzPerRow, interests);
    }
}
