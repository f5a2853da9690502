package org.lurm.testing;

import org.lurm.smen.SmenBatch;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenLayout;
import org.lurm.smen.SmenModel;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One SMEN test case for the PyTorch reference ({@code perf-tests/python/smen_reference.py}, the numerical
 * oracle of MODEL.md Stage 2): sizes, the flat parameters in {@link SmenLayout} order and two views A and B of
 * the same users as {@link SmenBatch}. It builds random valid cases (with the edge cases: a user without rows,
 * a user without rows at a scale, a row with one interest), writes them as a case directory (format in
 * {@code perf-tests/python/README.md}), reads them back, and runs the reference on them.
 *
 * <p>The Python side is {@code /usr/bin/python3} (Debian's python3-torch; {@code -Dlurm.python} overrides) running
 * the script found at {@code ../perf-tests/python/smen_reference.py} from the java-api module directory
 * ({@code -Dlurm.smen.reference} overrides). Tests call {@link #assumeTorch()} first: without torch they are
 * skipped with a message, except under {@code CI=true}, where they fail.
 *
 * <p>Heap only, no off-heap memory. The record holds the arrays it is given (not copied); callers must not
 * mutate them while a case is being written. Static methods are thread-safe; the reference runs as a child
 * process per call.
 */
public record SmenCase(SmenConfig config, int numInterests, int scales, float[] params, SmenBatch viewA, SmenBatch viewB) {
    public static final String FORMAT = "lurm-smen-case";
    public static final int VERSION = 1;
    /** Longest a reference run may take before it is killed (PyTorch's import alone takes about a second). */
    static final long TIMEOUT_SECONDS = 300;

    public SmenCase {
        // A volume sink is data (one more interest, in the views): the case is the sinkless model with K + 1
        // interests, which is what the reference, which knows nothing of sinks, computes.
        if (config.volumeSink() != SmenConfig.VolumeSink.NONE) {
            numInterests += 1;
            config = config.toBuilder().volumeSink(SmenConfig.VolumeSink.NONE).build();
        }
        SmenLayout layout = new SmenLayout(config, numInterests, scales);
        if (params.length != layout.total())
            throw new IllegalArgumentException("params has " + params.length + " floats, SmenLayout needs " + layout.total());
        if (viewA.users() != viewB.users())
            throw new IllegalArgumentException("views A and B must hold the same users: " + viewA.users() + " vs " + viewB.users());
        validate(viewA, "A", config, numInterests, scales);
        validate(viewB, "B", config, numInterests, scales);
    }

    public SmenLayout layout() {
        return new SmenLayout(config, numInterests, scales);
    }

    public int users() {
        return viewA.users();
    }

    /** The same case with the cross-view interest prediction term at weight {@code w} (SmenConfig.predictionWeight). */
    public SmenCase withPredictionWeight(float w) {
        return new SmenCase(config.toBuilder().predictionWeight(w).build(), numInterests, scales, params, viewA, viewB);
    }

    /** What SmenBatch's constructor does not check but the model needs; the message names the view and entry. */
    static void validate(SmenBatch v, String name, SmenConfig c, int k, int s) {
        if (v.scales() != s) throw new IllegalArgumentException("view " + name + ": scales " + v.scales() + ", case has " + s);
        for (int t = 0; t < v.rows(); t++)
            if (v.rowPtr()[t + 1] <= v.rowPtr()[t])
                throw new IllegalArgumentException("view " + name + ": row " + t + " is empty (rowPtr must increase strictly)");
        for (int i = 0; i < v.nnz(); i++) {
            if (v.cols()[i] < 0 || v.cols()[i] >= k)
                throw new IllegalArgumentException("view " + name + ": cols[" + i + "] = " + v.cols()[i] + " outside [0, K=" + k + ")");
            if (!(v.vals()[i] > 0) || !Float.isFinite(v.vals()[i]))
                throw new IllegalArgumentException("view " + name + ": vals[" + i + "] = " + v.vals()[i] + " is not a finite value > 0");
        }
        for (int t = 0; t < v.rows(); t++)
            if (v.rowBucket()[t] < 0 || v.rowBucket()[t] >= c.recencyBuckets())
                throw new IllegalArgumentException("view " + name + ": rowBucket[" + t + "] = " + v.rowBucket()[t] + " outside [0, R=" + c.recencyBuckets() + ")");
        for (int g = 0; g < v.users() * s; g++)
            if (v.groupStart()[g + 1] < v.groupStart()[g])
                throw new IllegalArgumentException("view " + name + ": groupStart[" + (g + 1) + "] < groupStart[" + g + "]");
    }

    // ------------------------------------------------------------------------------------------------------
    // Random cases
    // ------------------------------------------------------------------------------------------------------

    /** The SMEN defaults with other sizes (training options unchanged). */
    public static SmenConfig sized(int h, int anchors, int anchorDim, int buckets, int headHidden, int headOut, float tau, float diversityWeight) {
        SmenConfig d = SmenConfig.defaults();
        return new SmenConfig(h, anchors, anchorDim, buckets, headHidden, headOut, tau, diversityWeight, d.learningRate(), d.beta1(), d.beta2(),
                d.eps(), d.warmupSteps(), d.maxSteps(), d.maxEpochs(), d.clipNorm(), d.batchUsers(), d.heldOutFraction(), d.patience(),
                d.evalEvery(), d.periodCrop(), d.seed());
    }

    /** Small random sizes: h 2..6, M 1..3, d' 1..4, R 2..6, head 3..6 x 2..5, tau 0.05..0.5, w_div 0..1. */
    public static SmenConfig randomConfig(SplittableRandom rnd) {
        return sized(rnd.nextInt(2, 7), rnd.nextInt(1, 4), rnd.nextInt(1, 5), rnd.nextInt(2, 7), rnd.nextInt(3, 7), rnd.nextInt(2, 6),
                (float) (0.05 + 0.45 * rnd.nextDouble()), (float) rnd.nextDouble());
    }

    /** A random case of random small sizes (S 1..3, B 2..6, K 4..40). */
    public static SmenCase random(SplittableRandom rnd) {
        return random(rnd, rnd.nextInt(1, 4), rnd.nextInt(2, 7));
    }

    public static SmenCase random(SplittableRandom rnd, int scales, int users) {
        return random(rnd, randomConfig(rnd), rnd.nextInt(4, 41), scales, users);
    }

    /**
     * A random case with the edge cases planted: in view A user 0 has no rows at all and (S > 1) user 1 none at
     * scale 0; in view B (S > 1) the last user has none at the last scale; the first row of each view has exactly
     * one interest. Other (user, scale) groups have 1..3 rows of 1..4 distinct interests. Parameters are normal
     * with standard deviation 0.5 (softmaxes far from uniform), c1 in [0.1, 0.5] (most head units alive).
     */
    public static SmenCase random(SplittableRandom rnd, SmenConfig cfg, int numInterests, int scales, int users) {
        if (users < 2) throw new IllegalArgumentException("a case needs >= 2 users (the edge cases use two), got " + users);
        int[] rowsA = new int[users * scales], rowsB = new int[users * scales];
        for (int g = 0; g < users * scales; g++) {
            rowsA[g] = rnd.nextInt(1, 4);
            rowsB[g] = rnd.nextInt(1, 4);
        }
        for (int s = 0; s < scales; s++) rowsA[s] = 0;
        if (scales > 1) {
            rowsA[scales] = 0;
            rowsB[users * scales - 1] = 0;
        }
        SmenBatch a = randomView(rnd, cfg, numInterests, scales, users, rowsA, 4);
        SmenBatch b = randomView(rnd, cfg, numInterests, scales, users, rowsB, 4);
        SmenLayout layout = new SmenLayout(cfg, numInterests, scales);
        float[] p = new float[Math.toIntExact(layout.total())];
        for (int i = 0; i < p.length; i++) p[i] = (float) (0.5 * rnd.nextGaussian());
        int c1 = layout.offset("c1");
        for (int j = 0; j < cfg.headHidden(); j++) p[c1 + j] = (float) (0.1 + 0.4 * rnd.nextDouble());
        return new SmenCase(cfg, numInterests, scales, p, a, b);
    }

    /**
     * A random view with {@code rowsPerGroup[b*S+s]} rows for (user b, scale s), oldest first; each row has
     * 1..maxNnz distinct sorted interests (the view's first row exactly one), weights log(1+x)*idf-like factor,
     * recency buckets from the row's age (log2(1 + age), capped at R-2; the oldest row of a group of three or
     * more is the history row, bucket R-1).
     */
    public static SmenBatch randomView(SplittableRandom rnd, SmenConfig cfg, int k, int scales, int users, int[] rowsPerGroup, int maxNnz) {
        int groups = users * scales, r = cfg.recencyBuckets();
        int[] groupStart = new int[groups + 1];
        for (int g = 0; g < groups; g++) groupStart[g + 1] = groupStart[g] + rowsPerGroup[g];
        int rows = groupStart[groups];
        int[] rowPtr = new int[rows + 1], bucket = new int[rows];
        int[] scratch = new int[k];
        for (int i = 0; i < k; i++) scratch[i] = i;
        int[] cols = new int[rows * Math.min(k, maxNnz)];
        float[] vals = new float[cols.length];
        for (int g = 0; g < groups; g++) {
            int n = rowsPerGroup[g];
            for (int t = 0; t < n; t++) {
                int row = groupStart[g] + t, lo = rowPtr[row];
                int nnz = row == 0 ? 1 : rnd.nextInt(1, Math.min(k, maxNnz) + 1);
                // Partial Fisher-Yates: the first nnz entries of scratch become a uniform distinct sample.
                for (int j = 0; j < nnz; j++) {
                    int pick = rnd.nextInt(j, k);
                    int tmp = scratch[j];
                    scratch[j] = scratch[pick];
                    scratch[pick] = tmp;
                    cols[lo + j] = scratch[j];
                }
                Arrays.sort(cols, lo, lo + nnz);
                for (int j = 0; j < nnz; j++)
                    vals[lo + j] = (float) (Math.log1p(1 + 4 * rnd.nextDouble()) * (0.5 + rnd.nextDouble()));
                rowPtr[row + 1] = lo + nnz;
                int age = n - 1 - t;
                bucket[row] = t == 0 && n > 2 ? r - 1 : Math.min(r - 2, 31 - Integer.numberOfLeadingZeros(1 + age));
            }
        }
        int nnz = rowPtr[rows];
        return new SmenBatch(users, scales, rows, rowPtr, Arrays.copyOf(cols, nnz), Arrays.copyOf(vals, nnz), bucket, groupStart);
    }

    /** Whether user b has any row in the view (else z = 0 and the reference flags it empty). */
    public static boolean hasRows(SmenBatch v, int b) {
        return v.groupFrom(b, 0) < v.groupTo(b, v.scales() - 1);
    }

    // ------------------------------------------------------------------------------------------------------
    // Case directories
    // ------------------------------------------------------------------------------------------------------

    /** Writes the case (float32 parameters) to dir, creating it; replaces an earlier case there. */
    public Path write(Path dir) throws IOException {
        return write(dir, null);
    }

    /**
     * Writes the case to dir; with {@code params64} non-null, those parameters (same layout) are written as
     * {@code params.f64} instead of this case's float32 ones, so a caller can perturb them below float32
     * resolution (finite differences in the float64 reference).
     */
    public Path write(Path dir, double[] params64) throws IOException {
        SmenLayout layout = layout();
        if (params64 != null && params64.length != layout.total())
            throw new IllegalArgumentException("params64 has " + params64.length + " doubles, SmenLayout needs " + layout.total());
        Files.createDirectories(dir);
        StringBuilder js = new StringBuilder(1024);
        js.append("{\n \"format\": \"").append(FORMAT).append("\", \"version\": ").append(VERSION).append(",\n");
        SmenConfig c = config;
        js.append(" \"config\": {\"h\": ").append(c.h()).append(", \"anchors\": ").append(c.anchors())
                .append(", \"anchorDim\": ").append(c.anchorDim()).append(", \"recencyBuckets\": ").append(c.recencyBuckets())
                .append(", \"headHidden\": ").append(c.headHidden()).append(", \"headOut\": ").append(c.headOut())
                .append(", \"tau\": ").append(c.tau()).append(", \"diversityWeight\": ").append(c.diversityWeight())
                .append(", \"numInterests\": ").append(numInterests).append(", \"scales\": ").append(scales)
                .append(", \"predictionWeight\": ").append(c.predictionWeight()).append("},\n");
        js.append(" \"layout\": [");
        List<SmenLayout.Tensor> ts = layout.tensors();
        for (int i = 0; i < ts.size(); i++) {
            SmenLayout.Tensor t = ts.get(i);
            js.append(i == 0 ? "" : ", ").append("{\"name\": \"").append(t.name()).append("\", \"offset\": ").append(t.offset())
                    .append(", \"shape\": ").append(Arrays.toString(t.shape())).append('}');
        }
        js.append("],\n");
        String pfile = params64 == null ? "params.f32" : "params.f64";
        Files.deleteIfExists(dir.resolve(params64 == null ? "params.f64" : "params.f32"));
        if (params64 == null) writeFloats(dir.resolve(pfile), params);
        else writeDoubles(dir.resolve(pfile), params64);
        js.append(" \"arrays\": {\"params\": ").append(spec(pfile, params64 == null ? "f32" : "f64", layout.total()));
        Files.deleteIfExists(dir.resolve("candidates.i32"));
        int[] cand = sampledCandidates();
        if (cand != null) {
            writeInts(dir.resolve("candidates.i32"), cand, cand.length);
            js.append(", \"candidates\": ").append(spec("candidates.i32", "i32", cand.length));
        }
        js.append("},\n");
        js.append(" \"views\": {\n");
        writeView(dir, "A", viewA, js);
        js.append(",\n");
        writeView(dir, "B", viewB, js);
        js.append("\n }\n}\n");
        Files.writeString(dir.resolve("case.json"), js, StandardCharsets.UTF_8);
        return dir;
    }

    /**
     * The prediction's candidates when SmenModel samples them (term on and K above InterestPrediction's cap), drawn
     * exactly as SmenModel does; null when they are all K (the reference then takes all K itself).
     */
    public int[] sampledCandidates() {
        if (!(config.predictionWeight() > 0) || numInterests <= org.lurm.smen.ops.InterestPrediction.FULL_SOFTMAX_MAX) return null;
        return org.lurm.smen.ops.InterestPrediction.candidates(numInterests, viewA, viewB, new SplittableRandom(SmenModel.batchSeed(viewA, viewB)));
    }

    private static void writeView(Path dir, String name, SmenBatch v, StringBuilder js) throws IOException {
        int nnz = v.nnz();
        writeInts(dir.resolve(name + ".rowPtr.i32"), v.rowPtr(), v.rows() + 1);
        writeInts(dir.resolve(name + ".cols.i32"), v.cols(), nnz);
        writeFloats(dir.resolve(name + ".vals.f32"), Arrays.copyOf(v.vals(), nnz));
        writeInts(dir.resolve(name + ".rowBucket.i32"), v.rowBucket(), v.rows());
        writeInts(dir.resolve(name + ".groupStart.i32"), v.groupStart(), v.groupStart().length);
        js.append("  \"").append(name).append("\": {\"users\": ").append(v.users()).append(", \"rows\": ").append(v.rows())
                .append(",\n   \"rowPtr\": ").append(spec(name + ".rowPtr.i32", "i32", v.rows() + 1))
                .append(",\n   \"cols\": ").append(spec(name + ".cols.i32", "i32", nnz))
                .append(",\n   \"vals\": ").append(spec(name + ".vals.f32", "f32", nnz))
                .append(",\n   \"rowBucket\": ").append(spec(name + ".rowBucket.i32", "i32", v.rows()))
                .append(",\n   \"groupStart\": ").append(spec(name + ".groupStart.i32", "i32", v.groupStart().length)).append('}');
    }

    private static String spec(String file, String dtype, long n) {
        return "{\"file\": \"" + file + "\", \"dtype\": \"" + dtype + "\", \"shape\": [" + n + "]}";
    }

    /** Reads a case directory (as written by {@link #write}); f64 parameters are rounded to float. */
    public static SmenCase read(Path dir) throws IOException {
        Path meta = dir.resolve("case.json");
        Map<String, Object> m = Json.object(Json.parse(Files.readString(meta, StandardCharsets.UTF_8), meta.toString()), meta + ": top level");
        if (!FORMAT.equals(m.get("format")) || !Long.valueOf(VERSION).equals(m.get("version")))
            throw new IOException(meta + ": expected format " + FORMAT + " version " + VERSION + ", got " + m.get("format") + " version " + m.get("version"));
        Map<String, Object> c = Json.object(m.get("config"), meta + ": config");
        SmenConfig cfg = sized(Json.integer(c, "h", meta), Json.integer(c, "anchors", meta), Json.integer(c, "anchorDim", meta),
                Json.integer(c, "recencyBuckets", meta), Json.integer(c, "headHidden", meta), Json.integer(c, "headOut", meta),
                (float) Json.number(c, "tau", meta), (float) Json.number(c, "diversityWeight", meta));
        // Optional: cases written before the prediction term have none (0: off).
        if (c.containsKey("predictionWeight")) cfg = cfg.toBuilder().predictionWeight((float) Json.number(c, "predictionWeight", meta)).build();
        int k = Json.integer(c, "numInterests", meta), s = Json.integer(c, "scales", meta);
        Map<String, Object> arrays = Json.object(m.get("arrays"), meta + ": arrays");
        Map<String, Object> ps = Json.object(arrays.get("params"), meta + ": arrays.params");
        float[] params;
        Path pf = dir.resolve(Json.string(ps, "file", meta));
        switch (Json.string(ps, "dtype", meta)) {
            case "f32" -> params = readFloats(pf);
            case "f64" -> {
                double[] d = readDoubles(pf);
                params = new float[d.length];
                for (int i = 0; i < d.length; i++) params[i] = (float) d[i];
            }
            default -> throw new IOException(pf + ": params dtype must be f32 or f64, got " + ps.get("dtype"));
        }
        Map<String, Object> views = Json.object(m.get("views"), meta + ": views");
        SmenBatch a = readView(dir, Json.object(views.get("A"), meta + ": views.A"), s, meta + " views.A");
        SmenBatch b = readView(dir, Json.object(views.get("B"), meta + ": views.B"), s, meta + " views.B");
        return new SmenCase(cfg, k, s, params, a, b);
    }

    private static SmenBatch readView(Path dir, Map<String, Object> v, int scales, String where) throws IOException {
        int users = Json.integer(v, "users", where), rows = Json.integer(v, "rows", where);
        int[] rowPtr = readIntsSpec(dir, v, "rowPtr", where), cols = readIntsSpec(dir, v, "cols", where);
        int[] bucket = readIntsSpec(dir, v, "rowBucket", where), groupStart = readIntsSpec(dir, v, "groupStart", where);
        Map<String, Object> vs = Json.object(v.get("vals"), where + ".vals");
        if (!"f32".equals(vs.get("dtype"))) throw new IOException(where + ".vals: dtype must be f32 here, got " + vs.get("dtype"));
        float[] vals = readFloats(dir.resolve(Json.string(vs, "file", where)));
        return new SmenBatch(users, scales, rows, rowPtr, cols, vals, bucket, groupStart);
    }

    private static int[] readIntsSpec(Path dir, Map<String, Object> v, String key, String where) throws IOException {
        Map<String, Object> spec = Json.object(v.get(key), where + "." + key);
        if (!"i32".equals(spec.get("dtype"))) throw new IOException(where + "." + key + ": dtype must be i32, got " + spec.get("dtype"));
        return readInts(dir.resolve(Json.string(spec, "file", where)));
    }

    // ------------------------------------------------------------------------------------------------------
    // Running the reference
    // ------------------------------------------------------------------------------------------------------

    /**
     * What the reference computed for one case directory: L, L_nce, L_div, L_pred (0 with the term off),
     * dL/dparams (float32 file, and float64 under {@code float64}, else null), z per view (B x M*d', row-major)
     * and the empty-user flags.
     */
    public record Result(double loss, double nce, double div, double pred, float[] grad, double[] grad64, float[] zA, float[] zB,
                         boolean[] emptyA, boolean[] emptyB) {
    }

    private static volatile String torchProblem;
    private static volatile boolean torchChecked;

    public static Path python() {
        return Path.of(System.getProperty("lurm.python", "/usr/bin/python3"));
    }

    /** The reference script; from the java-api module directory, ../perf-tests/python/smen_reference.py. */
    public static Path script() {
        String p = System.getProperty("lurm.smen.reference");
        Path s = p != null && !p.isBlank() ? Path.of(p) : Path.of("..", "perf-tests", "python", "smen_reference.py");
        s = s.toAbsolutePath().normalize();
        if (!Files.isRegularFile(s))
            throw new IllegalStateException("SMEN reference script not found at " + s + " (tests run from the java-api module directory; "
                    + "-Dlurm.smen.reference=PATH points elsewhere)");
        return s;
    }

    /** Skips the calling test unless the reference's python can import torch; under CI=true fails instead. */
    public static void assumeTorch() {
        if (!torchChecked) {
            synchronized (SmenCase.class) {
                if (!torchChecked) {
                    torchProblem = checkTorch();
                    torchChecked = true;
                }
            }
        }
        if (torchProblem != null) {
            String msg = torchProblem + "; install Debian's python3-torch (apt-get install -y python3-torch) for " + python()
                    + " (or point -Dlurm.python at an interpreter with torch)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(msg + "; CI=true requires the SMEN reference");
            assumeTrue(false, msg);
        }
    }

    private static String checkTorch() {
        if (!Files.isExecutable(python())) return python() + " does not exist or is not executable";
        try {
            Run r = exec(List.of(python().toString(), "-c", "import torch; print(torch.__version__)"), 120);
            return r.rc == 0 ? null : python() + " cannot import torch (exit " + r.rc + "): " + tail(r.output);
        } catch (IOException e) {
            return python() + " could not be started: " + e.getMessage();
        }
    }

    /** Runs the reference on one case directory (float32, or float64 with {@code float64}). */
    public static Result runReference(Path dir, boolean float64) throws IOException {
        return runReference(List.of(dir), float64).get(0);
    }

    /**
     * Runs the reference on several case directories in one process (PyTorch's import dominates small cases).
     * A non-zero exit throws an IOException carrying the reference's output (it names the bad file and entry).
     */
    public static List<Result> runReference(List<Path> dirs, boolean float64) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(python().toString(), script().toString(), "case"));
        for (Path d : dirs) cmd.add(d.toAbsolutePath().toString());
        // One thread: the machines are shared, and the cases are small.
        cmd.addAll(List.of("--threads", "1"));
        if (float64) cmd.add("--float64");
        Run r = exec(cmd, TIMEOUT_SECONDS);
        if (r.rc != 0) throw new IOException("SMEN reference failed (exit " + r.rc + "): " + String.join(" ", cmd) + "\n" + tail(r.output));
        List<Result> out = new ArrayList<>(dirs.size());
        for (Path d : dirs) out.add(readResult(d, float64));
        return out;
    }

    /** The reference's default sizes ({@code smen_reference.py defaults}), to compare with SmenConfig.defaults(). */
    public static Map<String, Object> referenceDefaults() throws IOException {
        Run r = exec(List.of(python().toString(), script().toString(), "defaults"), 120);
        if (r.rc != 0) throw new IOException("smen_reference.py defaults failed (exit " + r.rc + "): " + tail(r.output));
        return Json.object(Json.parse(r.output.strip(), "smen_reference.py defaults"), "defaults");
    }

    static Result readResult(Path dir, boolean float64) throws IOException {
        Path out = dir.resolve("out");
        Path lossFile = out.resolve("loss.json");
        Map<String, Object> l = Json.object(Json.parse(Files.readString(lossFile, StandardCharsets.UTF_8), lossFile.toString()), lossFile.toString());
        Path manifest = out.resolve("out.json");
        Map<String, Object> m = Json.object(Json.parse(Files.readString(manifest, StandardCharsets.UTF_8), manifest.toString()), manifest.toString());
        String want = float64 ? "f64" : "f32";
        if (!want.equals(m.get("dtype"))) throw new IOException(manifest + ": computed in " + m.get("dtype") + ", asked for " + want);
        int[] emptyA = readInts(out.resolve("emptyA.i32")), emptyB = readInts(out.resolve("emptyB.i32"));
        return new Result(Json.number(l, "loss", lossFile), Json.number(l, "nce", lossFile), Json.number(l, "div", lossFile),
                Json.number(l, "pred", lossFile),
                readFloats(out.resolve("grad.f32")), float64 ? readDoubles(out.resolve("grad.f64")) : null,
                readFloats(out.resolve("zA.f32")), readFloats(out.resolve("zB.f32")), flags(emptyA), flags(emptyB));
    }

    private static boolean[] flags(int[] x) {
        boolean[] b = new boolean[x.length];
        for (int i = 0; i < x.length; i++) b[i] = x[i] != 0;
        return b;
    }

    private record Run(int rc, String output) {
    }

    private static Run exec(List<String> cmd, long timeoutSeconds) throws IOException {
        Path log = Files.createTempFile("smen-reference", ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            // No __pycache__ next to the script in the source tree.
            pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
            Process p = pb.start();
            boolean done;
            try {
                done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while running " + cmd, e);
            }
            if (!done) {
                p.destroyForcibly();
                throw new IOException("timed out after " + timeoutSeconds + " s: " + String.join(" ", cmd) + "\n" + tail(Files.readString(log)));
            }
            return new Run(p.exitValue(), Files.readString(log));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static String tail(String s) {
        return s.length() <= 4000 ? s : "..." + s.substring(s.length() - 4000);
    }

    // ------------------------------------------------------------------------------------------------------
    // Raw little-endian arrays
    // ------------------------------------------------------------------------------------------------------

    static void writeFloats(Path f, float[] x) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(4 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(x);
        Files.write(f, bb.array());
    }

    static void writeDoubles(Path f, double[] x) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(8 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.asDoubleBuffer().put(x);
        Files.write(f, bb.array());
    }

    public static void writeInts(Path f, int[] x, int n) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        bb.asIntBuffer().put(x, 0, n);
        Files.write(f, bb.array());
    }

    static float[] readFloats(Path f) throws IOException {
        ByteBuffer bb = bytes(f, 4);
        float[] x = new float[bb.capacity() / 4];
        bb.asFloatBuffer().get(x);
        return x;
    }

    public static double[] readDoubles(Path f) throws IOException {
        ByteBuffer bb = bytes(f, 8);
        double[] x = new double[bb.capacity() / 8];
        bb.asDoubleBuffer().get(x);
        return x;
    }

    public static int[] readInts(Path f) throws IOException {
        ByteBuffer bb = bytes(f, 4);
        int[] x = new int[bb.capacity() / 4];
        bb.asIntBuffer().get(x);
        return x;
    }

    private static ByteBuffer bytes(Path f, int width) throws IOException {
        byte[] b = Files.readAllBytes(f);
        if (b.length % width != 0) throw new IOException(f + ": " + b.length + " bytes, not a multiple of " + width);
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    // ------------------------------------------------------------------------------------------------------
    // Just enough JSON (the JDK has none): objects, arrays, strings, numbers (Long when integral), true, false,
    // null, and the NaN / Infinity tokens Python's json module writes for non-finite floats.
    // ------------------------------------------------------------------------------------------------------

    static final class Json {
        private final String s;
        private final String where;
        private int i;

        private Json(String s, String where) {
            this.s = s;
            this.where = where;
        }

        static Object parse(String text, String where) throws IOException {
            Json p = new Json(text, where);
            Object v = p.value();
            p.ws();
            if (p.i != text.length()) throw p.error("trailing characters");
            return v;
        }

        @SuppressWarnings("unchecked")
        static Map<String, Object> object(Object o, String where) throws IOException {
            if (!(o instanceof Map)) throw new IOException(where + ": expected a JSON object, got " + o);
            return (Map<String, Object>) o;
        }

        static int integer(Map<String, Object> m, String key, Object where) throws IOException {
            if (!(m.get(key) instanceof Long l) || l != l.intValue())
                throw new IOException(where + ": '" + key + "' must be an integer, got " + m.get(key));
            return l.intValue();
        }

        static double number(Map<String, Object> m, String key, Object where) throws IOException {
            if (!(m.get(key) instanceof Number n)) throw new IOException(where + ": '" + key + "' must be a number, got " + m.get(key));
            return n.doubleValue();
        }

        static String string(Map<String, Object> m, String key, Object where) throws IOException {
            if (!(m.get(key) instanceof String str)) throw new IOException(where + ": '" + key + "' must be a string, got " + m.get(key));
            return str;
        }

        private IOException error(String what) {
            return new IOException(where + ": invalid JSON at character " + i + ": " + what);
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private Object value() throws IOException {
            ws();
            if (i >= s.length()) throw error("unexpected end");
            char c = s.charAt(i);
            if (c == '{') return obj();
            if (c == '[') return arr();
            if (c == '"') return str();
            for (String lit : new String[] {"true", "false", "null", "NaN", "Infinity", "-Infinity"}) {
                if (s.startsWith(lit, i)) {
                    i += lit.length();
                    return switch (lit) {
                        case "true" -> Boolean.TRUE;
                        case "false" -> Boolean.FALSE;
                        case "null" -> null;
                        case "NaN" -> Double.NaN;
                        case "Infinity" -> Double.POSITIVE_INFINITY;
                        default -> Double.NEGATIVE_INFINITY;
                    };
                }
            }
            return num();
        }

        private Map<String, Object> obj() throws IOException {
            Map<String, Object> m = new LinkedHashMap<>();
            i++;
            ws();
            if (i < s.length() && s.charAt(i) == '}') {
                i++;
                return m;
            }
            while (true) {
                ws();
                if (i >= s.length() || s.charAt(i) != '"') throw error("expected a key");
                String k = str();
                ws();
                if (i >= s.length() || s.charAt(i) != ':') throw error("expected ':'");
                i++;
                m.put(k, value());
                ws();
                if (i >= s.length()) throw error("unexpected end in object");
                char c = s.charAt(i++);
                if (c == '}') return m;
                if (c != ',') throw error("expected ',' or '}'");
            }
        }

        private List<Object> arr() throws IOException {
            List<Object> a = new ArrayList<>();
            i++;
            ws();
            if (i < s.length() && s.charAt(i) == ']') {
                i++;
                return a;
            }
            while (true) {
                a.add(value());
                ws();
                if (i >= s.length()) throw error("unexpected end in array");
                char c = s.charAt(i++);
                if (c == ']') return a;
                if (c != ',') throw error("expected ',' or ']'");
            }
        }

        private String str() throws IOException {
            StringBuilder b = new StringBuilder();
            i++;
            while (i < s.length()) {
                char c = s.charAt(i++);
                if (c == '"') return b.toString();
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                if (i >= s.length()) break;
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> {
                        if (i + 4 > s.length()) throw error("short \\u escape");
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> b.append(e);
                }
            }
            throw error("unterminated string");
        }

        private Object num() throws IOException {
            int start = i;
            boolean integral = true;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == '.' || c == 'e' || c == 'E') integral = false;
                else if (!(c == '-' || c == '+' || (c >= '0' && c <= '9'))) break;
                i++;
            }
            String t = s.substring(start, i);
            if (t.isEmpty()) throw error("unexpected character '" + s.charAt(i) + "'");
            try {
                return integral ? (Object) Long.parseLong(t) : (Object) Double.parseDouble(t);
            } catch (NumberFormatException e) {
                throw error("bad number '" + t + "'");
            }
        }
    }
}
