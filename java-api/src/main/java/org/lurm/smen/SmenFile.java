package org.lurm.smen;

import org.lurm.SmenConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.lurm.memory.MemoryScope;
import org.lurm.model.Json;
import org.lurm.model.ModelFile;
import org.lurm.ModelFormatException;
import org.lurm.model.TensorSource;

/**
 * Saves and loads a trained {@link Smen} in the project's model file container ({@link ModelFile}: versioned,
 * checksummed, 64-byte aligned tensors after a JSON header, written atomically). The header holds the format
 * name and version, the config, the sizes, and the training metrics; the tensors are {@code params} (the flat
 * {@link SmenLayout} array), {@code idf} (K) and {@code reference} (one period per scale), and with a calibrated
 * volume sink {@code sinkWeights} (one per scale).
 *
 * <p>Loading copies the parameters to the heap (the CPU ops work on heap arrays); the file is unmapped when
 * the scope given to {@link #load} closes. Thread-safe (stateless).
 */
public final class SmenFile {
    public static final String FORMAT = "lurm-smen";
    public static final int VERSION = 1;

    private SmenFile() {
    }

    public static void save(Path path, Smen smen) {
        Map<String, Object> cfg = configJson(smen.config());
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("format", FORMAT);
        header.put("version", VERSION);
        header.put("config", cfg);
        header.put("numInterests", smen.layout().boiInterests());
        header.put("scales", smen.layout().scales());
        SmenTrainer.Result t = smen.training();
        if (t != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("steps", t.steps());
            m.put("stoppedEarly", t.stoppedEarly());
            m.put("trainUsers", t.trainUsers());
            m.put("heldOutUsers", t.heldOutUsers());
            if (Double.isFinite(t.bestHeldOutLoss())) m.put("bestHeldOutLoss", t.bestHeldOutLoss());
            List<Object> curve = new ArrayList<>();
            for (double x : t.lossCurve()) curve.add(x);
            m.put("lossCurve", curve);
            header.put("training", m);
        }
        List<TensorSource> tensors = new ArrayList<>(List.of(
                TensorSource.of("params", smen.parametersShared(), smen.layout().total()),
                TensorSource.of("idf", smen.idf(), smen.layout().boiInterests()),
                TensorSource.of("reference", smen.referencePeriods(), smen.layout().scales())));
        if (smen.sinkWeights() != null) tensors.add(TensorSource.of("sinkWeights", smen.sinkWeights(), smen.layout().scales()));
        ModelFile.write(path, Json.write(header), tensors);
    }

    /** The config as a JSON object (for model headers). */
    public static Map<String, Object> configJson(SmenConfig c) {
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("h", c.h());
        cfg.put("anchors", c.anchors());
        cfg.put("anchorDim", c.anchorDim());
        cfg.put("recencyBuckets", c.recencyBuckets());
        cfg.put("headHidden", c.headHidden());
        cfg.put("headOut", c.headOut());
        cfg.put("tau", (double) c.tau());
        cfg.put("diversityWeight", (double) c.diversityWeight());
        cfg.put("learningRate", (double) c.learningRate());
        cfg.put("beta1", (double) c.beta1());
        cfg.put("beta2", (double) c.beta2());
        cfg.put("eps", (double) c.eps());
        cfg.put("warmupSteps", c.warmupSteps());
        cfg.put("maxSteps", c.maxSteps());
        cfg.put("maxEpochs", c.maxEpochs());
        cfg.put("clipNorm", (double) c.clipNorm());
        cfg.put("batchUsers", c.batchUsers());
        cfg.put("heldOutFraction", c.heldOutFraction());
        cfg.put("patience", c.patience());
        cfg.put("evalEvery", c.evalEvery());
        cfg.put("periodCrop", c.periodCrop());
        cfg.put("seed", c.seed());
        cfg.put("interestInit", c.interestInit().name());
        cfg.put("interestLrScale", (double) c.interestLrScale());
        cfg.put("anchorLrScale", (double) c.anchorLrScale());
        cfg.put("predictionWeight", (double) c.predictionWeight());
        cfg.put("volumeSink", c.volumeSink().name());
        cfg.put("lrReferenceSteps", c.lrReferenceSteps());
        cfg.put("anchorInitScale", (double) c.anchorInitScale());
        cfg.put("anchorInitClusters", c.anchorInitClusters());
        return cfg;
    }

    /**
     * The config from its JSON object; errors name the missing or bad field. The fields added after the first
     * release (interestInit, interestLrScale, anchorLrScale, predictionWeight, volumeSink, lrReferenceSteps, anchorInitScale, anchorInitClusters) take MODEL.md's
     * behaviour when absent, which is what an older model was trained and encodes with.
     */
    /** An enum-valued config field; an unknown value names the field and the values it takes. */
    private static <E extends Enum<E>> E enumField(Map<String, Object> c, String name, Class<E> type) {
        String v = Json.asString(c.get(name), "config." + name);
        try {
            return Enum.valueOf(type, v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("config." + name + ": unknown value '" + v + "'; expected one of "
                    + java.util.Arrays.toString(type.getEnumConstants()));
        }
    }

    public static SmenConfig configFrom(Map<String, Object> c) {
        SmenConfig base = new SmenConfig(i(c, "h"), i(c, "anchors"), i(c, "anchorDim"), i(c, "recencyBuckets"), i(c, "headHidden"), i(c, "headOut"),
                f(c, "tau"), f(c, "diversityWeight"), f(c, "learningRate"), f(c, "beta1"), f(c, "beta2"), f(c, "eps"), i(c, "warmupSteps"),
                i(c, "maxSteps"), i(c, "maxEpochs"), f(c, "clipNorm"), i(c, "batchUsers"), Json.asDouble(c.get("heldOutFraction"), "heldOutFraction"),
                i(c, "patience"), i(c, "evalEvery"), Json.asDouble(c.get("periodCrop"), "periodCrop"), Json.asLong(c.get("seed"), "seed"));
        SmenConfig.Builder b = base.toBuilder()
                .interestInit(SmenConfig.InterestInit.CENTROID_PCA).interestLrScale(1f).anchorLrScale(1f).predictionWeight(0f)
                .volumeSink(SmenConfig.VolumeSink.NONE).lrReferenceSteps(0);
        if (c.containsKey("interestInit")) b.interestInit(enumField(c, "interestInit", SmenConfig.InterestInit.class));
        if (c.containsKey("interestLrScale")) b.interestLrScale(f(c, "interestLrScale"));
        if (c.containsKey("anchorLrScale")) b.anchorLrScale(f(c, "anchorLrScale"));
        if (c.containsKey("predictionWeight")) b.predictionWeight(f(c, "predictionWeight"));
        if (c.containsKey("volumeSink")) b.volumeSink(enumField(c, "volumeSink", SmenConfig.VolumeSink.class));
        if (c.containsKey("lrReferenceSteps")) b.lrReferenceSteps(i(c, "lrReferenceSteps"));
        if (c.containsKey("anchorInitScale")) b.anchorInitScale(f(c, "anchorInitScale"));
        if (c.containsKey("anchorInitClusters")) b.anchorInitClusters(i(c, "anchorInitClusters"));
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("config: " + e.getMessage());
        }
    }

    public static Smen load(Path path, MemoryScope scope) {
        ModelFile f = ModelFile.open(path, scope);
        Map<String, Object> h = Json.parseObject(f.header());
        String format = Json.asString(h.get("format"), "format");
        if (!FORMAT.equals(format)) throw new ModelFormatException(path, "not a SMEN model (format '" + format + "', expected '" + FORMAT + "')");
        int version = Json.asInt(h.get("version"), "version");
        if (version != VERSION) throw new ModelFormatException(path, "SMEN model version " + version + "; this library reads version " + VERSION);
        Map<String, Object> c = Json.asObject(h.get("config"), "config");
        SmenConfig cfg = configFrom(c);
        SmenLayout layout = new SmenLayout(cfg, Json.asInt(h.get("numInterests"), "numInterests"), Json.asInt(h.get("scales"), "scales"));
        float[] params = f.f32("params").toArray();
        float[] idf = f.f32("idf").toArray();
        long[] ref = f.i64("reference").toArray();
        if (params.length != layout.total()) throw new ModelFormatException(path, "params has " + params.length + " floats, the config needs " + layout.total());
        if (idf.length != layout.boiInterests() || ref.length != layout.scales()) throw new ModelFormatException(path, "idf/reference sizes do not match the header");
        return new Smen(layout, params, idf, ref, sinkWeights(f, path, layout), null);
    }

    /**
     * The calibrated volume sink's weights per scale: tensor {@code sinkWeights} (in a LURM model
     * {@code smen.sinkWeights}), present exactly when the config's sink is {@link SmenConfig.VolumeSink#CALIBRATED}.
     */
    public static float[] sinkWeights(ModelFile f, Path path, SmenLayout layout) {
        String name = f.contains("smen.sinkWeights") ? "smen.sinkWeights" : "sinkWeights";
        boolean calibrated = layout.config().volumeSink() == SmenConfig.VolumeSink.CALIBRATED;
        if (!f.contains(name)) {
            if (calibrated) throw new ModelFormatException(path, "the config has a calibrated volume sink but the file has no " + name + " tensor");
            return null;
        }
        if (!calibrated) throw new ModelFormatException(path, "tensor " + name + " is only for a calibrated volume sink (config.volumeSink is " + layout.config().volumeSink() + ")");
        try {
            return SmenInputs.checkedSinkWeights(f.f32(name).toArray(), layout.scales());
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(path, "tensor " + name + ": " + e.getMessage());
        }
    }

    private static int i(Map<String, Object> m, String k) {
        return Json.asInt(m.get(k), "config." + k);
    }

    private static float f(Map<String, Object> m, String k) {
        return (float) Json.asDouble(m.get(k), "config." + k);
    }
}
