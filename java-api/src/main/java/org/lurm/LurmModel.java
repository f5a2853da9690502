package org.lurm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.lurm.backend.Backend;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.boi.Scale;
import org.lurm.events.EventTable;
import org.lurm.events.IdDictionary;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.model.Json;
import org.lurm.model.ModelFile;
import org.lurm.ModelFormatException;
import org.lurm.model.TensorSource;
import org.lurm.smen.Smen;
import org.lurm.smen.SmenFile;
import org.lurm.smen.SmenLayout;

/**
 * Everything needed to turn raw events into user representations, in one model file: the item ids and their
 * interests, the interest centroids (so unseen items with an embedding can be assigned later), the BoI
 * configuration, and the trained SMEN. {@link #encodeEvents} maps a table's items to interests by id (its item
 * dictionary need not be the training one), aggregates the BoI rows and encodes every user.
 *
 * <p><b>Ownership.</b> The arrays of a loaded model belong to the scope given to {@link #load}. Immutable and
 * thread-safe.
 */
public final class LurmModel {
    public static final String FORMAT = "lurm-model";
    public static final int VERSION = 1;

    private final IdDictionary items;
    private final I32Array itemInterest;
    private final F32Array centroids;
    private final int centroidDim;
    private final BoiConfig boi;
    private final Smen smen;
    /** The type names {@code boi}'s per-index type weights refer to (the training events' types), or null. */
    private final List<String> typeNames;

    @SuppressWarnings("exports") // internal: for lurm's own modules (docs/API.md)
    public LurmModel(IdDictionary items, I32Array itemInterest, F32Array centroids, int centroidDim, BoiConfig boi, Smen smen) {
        this(items, itemInterest, centroids, centroidDim, boi, smen, null);
    }

    /**
     * @param typeNames the behaviour types {@code boi.typeWeights()} is indexed by (the training events' type
     *                  dictionary), so that events whose types come in another order are weighted by name; null
     *                  keeps the weights by index (a model without type weights, or one saved before names were kept)
     */
    @SuppressWarnings("exports") // internal: for lurm's own modules (docs/API.md)
    public LurmModel(IdDictionary items, I32Array itemInterest, F32Array centroids, int centroidDim, BoiConfig boi, Smen smen, List<String> typeNames) {
        this.typeNames = typeNames == null ? null : List.copyOf(typeNames);
        this.items = Objects.requireNonNull(items);
        this.itemInterest = Objects.requireNonNull(itemInterest);
        this.centroids = Objects.requireNonNull(centroids);
        this.centroidDim = centroidDim;
        this.boi = Objects.requireNonNull(boi);
        this.smen = Objects.requireNonNull(smen);
        if (itemInterest.length() != items.size()) throw new IllegalArgumentException("one interest per item id is needed");
        if (centroids.length() != (long) smen.layout().boiInterests() * centroidDim) throw new IllegalArgumentException("centroids must be K x dim");
        if (boi.scales().size() != smen.layout().scales()) throw new IllegalArgumentException("BoI scales and SMEN scales differ");
    }

    /** The model of a fitted Stage 1 and a SMEN trained on its BoI rows (type weights, if any, kept by type index). */
    @SuppressWarnings("exports") // internal: for lurm's own modules (docs/API.md)
    public static LurmModel of(BagOfInterests stage1, IdDictionary items, Smen smen) {
        return new LurmModel(items, stage1.interests().itemInterest(), stage1.interests().centroids(), stage1.embeddings().dim(), stage1.config().boi(), smen);
    }

    /**
     * The model of a fitted Stage 1 and a SMEN trained on its BoI rows, with the training events' behaviour types:
     * type weights are then applied by type name to any events ({@link #aggregate}), whatever order their types
     * first appear in.
     */
    @SuppressWarnings("exports") // internal: for lurm's own modules (docs/API.md)
    public static LurmModel of(BagOfInterests stage1, IdDictionary items, IdDictionary types, Smen smen) {
        List<String> names = new ArrayList<>(types.size());
        for (int i = 0; i < types.size(); i++) names.add(types.id(i));
        return new LurmModel(items, stage1.interests().itemInterest(), stage1.interests().centroids(), stage1.embeddings().dim(), stage1.config().boi(), smen,
                names);
    }

    /**
     * A diagnostic: this model's SMEN before training, i.e. the initial parameters its config and seed give
     * ({@link Smen#initial}), weighted with the trained model's IDF and recency reference. Probing it next to
     * {@link #smen()} says what training added. {@code rows} matter only for the BoI-SVD initialisation.
     */
    @SuppressWarnings("exports") // internal: for lurm's own modules (docs/API.md)
    public Smen untrainedSmen(BoiSet rows, org.lurm.backend.cpu.Parallel par) {
        Smen init = Smen.initial(rows, centroids, centroidDim, smen.config(), par);
        return new Smen(init.layout(), init.parameters(), smen.idf(), smen.referencePeriods(), smen.sinkWeights(), null);
    }

    /** Internal: the trained encoder (its type is not exported; {@link Lurm} runs the jobs that need it). */
    @SuppressWarnings("exports")
    public Smen smen() {
        return smen;
    }

    /** The width of one user's representation (anchors x anchor width). */
    public int width() {
        return smen.width();
    }

    /** The number of interests K of the BoI rows this model reads. */
    public int numInterests() {
        return smen.layout().boiInterests();
    }

    /**
     * The ids of up to {@code max} items of one interest, in item-dictionary order: what an interest id in
     * {@link Lurm#explain} stands for.
     */
    public List<String> interestItems(int interest, int max) {
        if (interest < 0 || interest >= numInterests()) throw new IndexOutOfBoundsException("interest " + interest + " of " + numInterests());
        List<String> out = new ArrayList<>();
        for (int i = 0; i < items.size() && out.size() < max; i++) {
            if (itemInterest.get(i) == interest) out.add(items.id(i));
        }
        return out;
    }

    public BoiConfig boiConfig() {
        return boi;
    }

    public IdDictionary items() {
        return items;
    }

    /** Interest of every item of {@link #items()} (-1: none); the model's own array, owned by its scope. */
    public I32Array itemInterest() {
        return itemInterest;
    }

    /**
     * BoI rows of any events: items are matched by id; items the model does not know have no interest (an error
     * naming the item, or skipped and counted when {@code lenient}).
     */
    public BoiSet aggregate(EventTable events, boolean lenient, Backend backend, MemoryScope scope) {
        try (MemoryScope tmp = scope.child("item-map")) {
            I32Array map = tmp.allocateI32(events.numItems());
            for (int i = 0; i < events.numItems(); i++) {
                int known = items.indexOf(events.items().id(i));
                map.set(i, known < 0 ? -1 : itemInterest.get(known));
            }
            return backend.aggregate(events, map, smen.layout().boiInterests(), boiConfigFor(events.types()).withLenient(lenient), scope);
        }
    }

    /**
     * The BoI config with the type weights re-indexed by name for {@code types} (a type the model never saw
     * weighs 1, as an unweighted type does); as saved when the model has no type names or no type weights.
     */
    public BoiConfig boiConfigFor(IdDictionary types) {
        if (typeNames == null || boi.typeWeights() == null) return boi;
        float[] tw = new float[types.size()];
        for (int i = 0; i < tw.length; i++) {
            int j = typeNames.indexOf(types.id(i));
            tw[i] = j >= 0 ? boi.typeWeight(j) : 1f;
        }
        return new BoiConfig(boi.scales(), boi.origin(), tw, boi.lenient());
    }

    /** Representations (users x M*d', row = the events' user index), off-heap in {@code scope}. */
    @SuppressWarnings("exports") // internal: for lurm's own modules (docs/API.md)
    public F32Array encodeEvents(EventTable events, boolean lenient, Backend backend, Parallel par, MemoryScope scope) {
        return smen.encode(aggregate(events, lenient, backend, scope), par, scope);
    }

    /**
     * Writes the model atomically: a JSON header (format, version, BoI config, sizes, SMEN config, provenance,
     * training metrics, item ids) and the tensors itemInterest, centroids, smen.params, smen.idf, smen.reference (and smen.sinkWeights, one per scale,
     * with a calibrated volume sink).
     */
    public void save(Path path) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("format", FORMAT);
        h.put("version", VERSION);
        List<Object> scales = new ArrayList<>();
        for (Scale s : boi.scales()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.name());
            m.put("periodSeconds", s.periodSeconds());
            m.put("tMax", s.tMax());
            scales.add(m);
        }
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("scales", scales);
        b.put("origin", boi.origin());
        if (boi.typeWeights() != null) {
            List<Object> tw = new ArrayList<>();
            for (float w : boi.typeWeights()) tw.add((double) w);
            b.put("typeWeights", tw);
            if (typeNames != null) b.put("typeNames", new ArrayList<Object>(typeNames));
        }
        h.put("boi", b);
        h.put("numInterests", smen.layout().boiInterests());
        h.put("centroidDim", centroidDim);
        h.put("smen", SmenFile.configJson(smen.config()));
        Map<String, Object> prov = new LinkedHashMap<>();
        prov.put("library", "lurm 0.1.0-SNAPSHOT");
        prov.put("createdUtc", java.time.Instant.now().toString());
        prov.put("java", System.getProperty("java.version"));
        h.put("provenance", prov);
        var t = smen.training();
        if (t != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("steps", t.steps());
            m.put("stoppedEarly", t.stoppedEarly());
            m.put("trainUsers", t.trainUsers());
            m.put("heldOutUsers", t.heldOutUsers());
            if (Double.isFinite(t.bestHeldOutLoss())) m.put("bestHeldOutLoss", t.bestHeldOutLoss());
            if (t.lossCurve().length > 0) {
                m.put("firstLoss", t.lossCurve()[0]);
                m.put("lastLoss", t.lossCurve()[t.lossCurve().length - 1]);
            }
            h.put("training", m);
        }
        h.put("items", new ArrayList<Object>(items.ids()));
        List<TensorSource> tensors = new ArrayList<>(List.of(
                TensorSource.of("itemInterest", itemInterest, itemInterest.length()),
                TensorSource.of("centroids", centroids, smen.layout().boiInterests(), centroidDim),
                TensorSource.of("smen.params", smen.parameters(), smen.layout().total()),
                TensorSource.of("smen.idf", smen.idf(), smen.layout().boiInterests()),
                TensorSource.of("smen.reference", smen.referencePeriods(), smen.layout().scales())));
        if (smen.sinkWeights() != null) tensors.add(TensorSource.of("smen.sinkWeights", smen.sinkWeights(), smen.layout().scales()));
        ModelFile.write(path, Json.write(h), tensors);
    }

    /**
     * Loads and validates a model file; tensors are views of the mapped file, owned by {@code scope}.
     *
     * @throws ModelFormatException the file is not a valid lurm model: the message starts with the file's name
     *                              and says which part (container, header field, tensor) is wrong
     * @throws java.io.UncheckedIOException the file cannot be read (missing, a folder, no permission)
     */
    public static LurmModel load(Path path, MemoryScope scope) {
        ModelFile f = ModelFile.open(path, scope);
        try {
            return interpret(path, f);
        } catch (ModelFormatException e) {
            throw e;
        } catch (IllegalArgumentException | IllegalStateException | ClassCastException | NullPointerException | ArithmeticException
                 | IndexOutOfBoundsException | NegativeArraySizeException e) {
            // A header that is valid JSON but not a consistent model (a missing or mistyped field, sizes that do not
            // fit): name the file, as every other model error does.
            String m = e.getMessage() == null ? e.toString() : e.getMessage();
            throw new ModelFormatException(path, "header: " + m, e);
        }
    }

    private static LurmModel interpret(Path path, ModelFile f) {
        Map<String, Object> h = Json.parseObject(f.header());
        if (!FORMAT.equals(h.get("format"))) throw new ModelFormatException(path, "not a lurm model (format '" + h.get("format") + "', expected '" + FORMAT + "')");
        int version = Json.asInt(h.get("version"), "version");
        if (version != VERSION) throw new ModelFormatException(path, "lurm model version " + version + "; this library reads version " + VERSION);
        Map<String, Object> b = Json.asObject(h.get("boi"), "boi");
        List<Scale> scales = new ArrayList<>();
        for (Object o : Json.asArray(b.get("scales"), "boi.scales")) {
            Map<String, Object> s = Json.asObject(o, "boi.scales[]");
            scales.add(new Scale(Json.asString(s.get("name"), "scale name"), Json.asLong(s.get("periodSeconds"), "periodSeconds"), Json.asInt(s.get("tMax"), "tMax")));
        }
        float[] tw = null;
        if (b.containsKey("typeWeights")) {
            List<Object> l = Json.asArray(b.get("typeWeights"), "boi.typeWeights");
            tw = new float[l.size()];
            for (int i = 0; i < tw.length; i++) tw[i] = (float) Json.asDouble(l.get(i), "typeWeights[" + i + "]");
        }
        List<String> typeNames = null;
        if (b.containsKey("typeNames")) {
            typeNames = new ArrayList<>();
            for (Object o : Json.asArray(b.get("typeNames"), "boi.typeNames")) typeNames.add(Json.asString(o, "boi.typeNames[]"));
            if (tw == null || typeNames.size() < tw.length) throw new ModelFormatException(path, "header: boi.typeNames names " + typeNames.size() + " types for " + (tw == null ? 0 : tw.length) + " type weights");
        }
        BoiConfig boi = new BoiConfig(scales, Json.asLong(b.get("origin"), "boi.origin"), tw, false);
        int k = Json.asInt(h.get("numInterests"), "numInterests");
        int dim = Json.asInt(h.get("centroidDim"), "centroidDim");
        SmenLayout layout = new SmenLayout(SmenFile.configFrom(Json.asObject(h.get("smen"), "smen")), k, scales.size());
        IdDictionary items = new IdDictionary();
        int position = 0;
        for (Object o : Json.asArray(h.get("items"), "items")) {
            String id = Json.asString(o, "item id");
            int at = items.add(id);
            if (at != position) throw new ModelFormatException(path, "header: item id '" + id + "' is listed twice (items[" + at + "] and items[" + position + "])");
            position++;
        }
        I32Array map = f.i32("itemInterest");
        if (map.length() != items.size()) throw new ModelFormatException(path, "itemInterest has " + map.length() + " entries for " + items.size() + " items");
        for (long i = 0; i < map.length(); i++) {
            int v = map.get(i);
            if (v < -1 || v >= k) throw new ModelFormatException(path, "item " + items.id((int) i) + " maps to interest " + v + " outside [-1, " + k + ")");
        }
        float[] params = f.f32("smen.params").toArray();
        if (params.length != layout.total()) throw new ModelFormatException(path, "smen.params has " + params.length + " floats, the config needs " + layout.total());
        float[] idf = f.f32("smen.idf").toArray();
        long[] ref = f.i64("smen.reference").toArray();
        if (idf.length != k || ref.length != scales.size()) throw new ModelFormatException(path, "smen.idf / smen.reference do not match K and the scales");
        F32Array centroids = f.f32("centroids");
        if (centroids.length() != (long) k * dim) throw new ModelFormatException(path, "centroids are not K x centroidDim");
        float[] sinkWeights = SmenFile.sinkWeights(f, path, layout);
        return new LurmModel(items, map, centroids, dim, boi, new Smen(layout, params, idf, ref, sinkWeights, null), typeNames);
    }
}
