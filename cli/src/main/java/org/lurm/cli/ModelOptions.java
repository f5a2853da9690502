package org.lurm.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.lurm.BagOfInterests;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.Scale;
import org.lurm.events.IdDictionary;
import org.lurm.model.Json;
import org.lurm.model.JsonException;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenFile;
import picocli.CommandLine.Option;

/**
 * The model configuration of {@code lurm fit}: MODEL.md's defaults, overridden by a JSON config file
 * ({@code --config}), overridden by options. Not thread-safe (picocli fills it).
 */
final class ModelOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "JSON config file (keys in docs/CLI.md); options given on the command line win.")
    Path config;

    @Option(names = {"-k", "--interests"}, paramLabel = "K", description = "Number of interests K (default: min(100000, max(16, items)), one interest per item up to 10^5).")
    Integer interests;

    @Option(names = "--embedding", paramLabel = "MODULE", description = "Item embedding: cooccurrence, text (needs --items) or both (default: cooccurrence).")
    String embedding;

    @Option(names = "--embedding-dim", paramLabel = "E", description = "Item embedding width per module (default: " + BagOfInterests.Config.DEFAULT_DIM + ").")
    Integer embeddingDim;

    @Option(names = "--scales", paramLabel = "LIST", description = "Time scales, finest first, as LENGTH:TMAX with d/h/w units (default: 30d:64,365d:16).")
    String scales;

    @Option(names = "--type-weights", paramLabel = "LIST", description = "Weight per behaviour type, e.g. click=1,buy=5 (default: 1 for every type).")
    String typeWeights;

    @Option(names = "--anchors", paramLabel = "M", description = "SMEN anchors M (default: 8).")
    Integer anchors;

    @Option(names = "--anchor-dim", paramLabel = "D", description = "Floats per anchor d' (default: 16); a user is M x d' floats.")
    Integer anchorDim;

    @Option(names = "--smen-steps", paramLabel = "N", description = "SMEN training steps (default: 20 epochs' worth).")
    Integer smenSteps;

    @Option(names = "--batch-users", paramLabel = "B", description = "Users per SMEN batch (default: 256).")
    Integer batchUsers;

    @Option(names = "--learning-rate", paramLabel = "LR", description = "SMEN Adam learning rate (default: " + SmenConfig.DEFAULT_LEARNING_RATE + " for runs of up to " + SmenConfig.DEFAULT_LR_REFERENCE_STEPS
            + " steps, scaled by " + SmenConfig.DEFAULT_LR_REFERENCE_STEPS + " / steps for longer runs).")
    Float learningRate;

    @Option(names = "--seed", paramLabel = "SEED", description = "Seed of the embedding, clustering and SMEN (default: 42).")
    Long seed;

    /** Everything fit needs, resolved. */
    record Settings(BagOfInterests.Config stage1, SmenConfig smen, Map<String, Float> typeWeights, String backend) {
        /** The BoI config with type weights resolved against the events' type dictionary. */
        BagOfInterests.Config stage1For(IdDictionary types) {
            if (typeWeights.isEmpty()) return stage1;
            float[] w = new float[types.size()];
            java.util.Arrays.fill(w, 1f);
            for (var e : typeWeights.entrySet()) {
                int t = types.indexOf(e.getKey());
                if (t < 0) throw CliException.badInput("type weight for '" + e.getKey() + "', but no event has that type; types seen: "
                        + types.ids().stream().filter(x -> !x.isEmpty()).toList());
                w[t] = e.getValue();
            }
            return stage1.withBoi(stage1.boi().withTypeWeights(w));
        }

        /** A short description for summaries and reports. */
        Map<String, String> describe() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("item embedding", stage1.embedding().name().toLowerCase(Locale.ROOT) + ", " + stage1.dim() + " dims");
            m.put("interests K", stage1.numInterests() == 0 ? "auto (min(100000, max(16, items)))" : String.valueOf(stage1.numInterests()));
            List<String> sc = new ArrayList<>();
            for (Scale s : stage1.boi().scales()) sc.add(s.name() + " (T_max " + s.tMax() + ")");
            m.put("scales", String.join(", ", sc));
            if (!typeWeights.isEmpty()) m.put("type weights", typeWeights.toString());
            m.put("SMEN", String.format(Locale.ROOT, "M = %d anchors x d' = %d, %s, batch %d, lr %g", smen.anchors(), smen.anchorDim(),
                    smen.maxSteps() > 0 ? smen.maxSteps() + " steps" : smen.maxEpochs() + " epochs", smen.batchUsers(), smen.learningRate()));
            m.put("seed", String.valueOf(stage1.seed()));
            return m;
        }
    }

    private static final Set<String> TOP_KEYS = Set.of("interests", "embedding", "embeddingDim", "scales", "typeWeights", "origin", "seed", "smen", "backend", "threads");

    Settings resolve() throws IOException {
        Map<String, Object> json = Map.of();
        if (config != null) {
            if (!Files.isRegularFile(config)) throw new java.nio.file.NoSuchFileException(config.toString());
            try {
                json = Json.parseObject(Files.readString(config, StandardCharsets.UTF_8));
            } catch (JsonException e) {
                throw CliException.badInput(config + ": not valid JSON: " + e.getMessage());
            }
            for (String k : json.keySet()) {
                if (!TOP_KEYS.contains(k)) throw CliException.badInput(config + ": unknown key '" + k + "'; known keys: " + new java.util.TreeSet<>(TOP_KEYS));
            }
        }
        try {
            return resolve(json);
        } catch (IllegalArgumentException e) {
            throw CliException.badInput((config != null ? config + ": " : "") + e.getMessage());
        }
    }

    private Settings resolve(Map<String, Object> j) {
        BagOfInterests.Config c = BagOfInterests.Config.defaults();
        long sd = seed != null ? seed : j.containsKey("seed") ? Json.asLong(j.get("seed"), "seed") : c.seed();
        c = c.withSeed(sd);
        int k = interests != null ? interests : j.containsKey("interests") ? Json.asInt(j.get("interests"), "interests") : 0;
        if (k < 0) throw CliException.usage("--interests must be >= 0 (0: automatic), got " + k);
        c = c.withInterests(k);
        String emb = embedding != null ? embedding : j.containsKey("embedding") ? Json.asString(j.get("embedding"), "embedding") : null;
        if (emb != null) c = c.withEmbedding(embeddingOf(emb));
        Integer dim = embeddingDim != null ? embeddingDim : j.containsKey("embeddingDim") ? (Integer) Json.asInt(j.get("embeddingDim"), "embeddingDim") : null;
        if (dim != null) {
            if (dim < 1) throw CliException.usage("--embedding-dim must be >= 1, got " + dim);
            c = c.withDim(dim);
        }
        BoiConfig boi = c.boi();
        if (scales != null) {
            boi = new BoiConfig(parseScales(scales), boi.origin(), null, false);
        } else if (j.containsKey("scales")) {
            List<Scale> list = new ArrayList<>();
            for (Object o : Json.asArray(j.get("scales"), "scales")) {
                Map<String, Object> s = Json.asObject(o, "scales[]");
                long period = s.containsKey("days") ? Json.asLong(s.get("days"), "scales[].days") * Scale.DAY
                        : Json.asLong(s.get("periodSeconds"), "scales[].periodSeconds (or days)");
                String name = s.containsKey("name") ? Json.asString(s.get("name"), "scales[].name") : (period % Scale.DAY == 0 ? period / Scale.DAY + "d" : period + "s");
                list.add(new Scale(name, period, Json.asInt(s.get("tMax"), "scales[].tMax")));
            }
            boi = new BoiConfig(list, boi.origin(), null, false);
        }
        if (j.containsKey("origin")) boi = boi.withOrigin(Json.asLong(j.get("origin"), "origin"));
        c = c.withBoi(boi);

        Map<String, Float> tw = new LinkedHashMap<>();
        if (typeWeights != null) {
            for (String part : typeWeights.split(",")) {
                int eq = part.indexOf('=');
                if (eq <= 0) throw CliException.usage("--type-weights wants TYPE=WEIGHT pairs separated by commas, got '" + part + "'");
                tw.put(part.substring(0, eq).strip(), weight(part.substring(eq + 1).strip(), part));
            }
        } else if (j.containsKey("typeWeights")) {
            for (var e : Json.asObject(j.get("typeWeights"), "typeWeights").entrySet()) {
                tw.put(e.getKey(), (float) Json.asDouble(e.getValue(), "typeWeights." + e.getKey()));
            }
        }

        Map<String, Object> sm = new LinkedHashMap<>(SmenFile.configJson(SmenConfig.defaults()));
        sm.put("seed", sd);
        if (j.containsKey("smen")) {
            for (var e : Json.asObject(j.get("smen"), "smen").entrySet()) {
                String key = e.getKey().equals("steps") ? "maxSteps" : e.getKey().equals("epochs") ? "maxEpochs" : e.getKey();
                if (!sm.containsKey(key)) throw CliException.badInput("unknown key 'smen." + e.getKey() + "'; known: " + sm.keySet() + " (and steps, epochs)");
                sm.put(key, e.getValue());
            }
        }
        if (anchors != null) sm.put("anchors", anchors);
        if (anchorDim != null) sm.put("anchorDim", anchorDim);
        if (smenSteps != null) sm.put("maxSteps", smenSteps);
        if (batchUsers != null) sm.put("batchUsers", batchUsers);
        if (learningRate != null) sm.put("learningRate", (double) learningRate);
        // through JSON text, so numbers have the types the JSON reader gives (Long, Double)
        SmenConfig smen = SmenFile.configFrom(Json.parseObject(Json.write(sm)));
        String backend = j.containsKey("backend") ? Json.asString(j.get("backend"), "backend") : null;
        return new Settings(c, smen, tw, backend);
    }

    Integer jsonThreads() throws IOException {
        if (config == null) return null;
        Map<String, Object> j = Json.parseObject(Files.readString(config, StandardCharsets.UTF_8));
        return j.containsKey("threads") ? Json.asInt(j.get("threads"), "threads") : null;
    }

    private static float weight(String s, String part) {
        try {
            float w = Float.parseFloat(s);
            if (!(w >= 0) || Float.isInfinite(w)) throw new NumberFormatException();
            return w;
        } catch (NumberFormatException e) {
            throw CliException.usage("type weight must be a finite number >= 0: '" + part + "'");
        }
    }

    static BagOfInterests.ItemEmbedding embeddingOf(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "cooccurrence" -> BagOfInterests.ItemEmbedding.COOCCURRENCE;
            case "text" -> BagOfInterests.ItemEmbedding.TEXT;
            case "both", "cooccurrence_and_text", "cooccurrence+text" -> BagOfInterests.ItemEmbedding.COOCCURRENCE_AND_TEXT;
            default -> throw CliException.usage("item embedding must be cooccurrence, text or both, got '" + s + "'");
        };
    }

    /** "30d:64,365d:16" (units s, h, d, w). */
    static List<Scale> parseScales(String spec) {
        List<Scale> out = new ArrayList<>();
        for (String part : spec.split(",")) {
            String p = part.strip();
            int colon = p.indexOf(':');
            if (colon <= 1) throw CliException.usage("a scale is LENGTH:TMAX such as 30d:64, got '" + p + "'");
            String len = p.substring(0, colon);
            long unit = switch (len.charAt(len.length() - 1)) {
                case 's' -> 1L;
                case 'h' -> 3600L;
                case 'd' -> Scale.DAY;
                case 'w' -> 7 * Scale.DAY;
                default -> throw CliException.usage("scale length needs a unit s, h, d or w (e.g. 30d), got '" + len + "'");
            };
            try {
                long n = Long.parseLong(len.substring(0, len.length() - 1));
                int tMax = Integer.parseInt(p.substring(colon + 1));
                out.add(new Scale(len, n * unit, tMax));
            } catch (NumberFormatException e) {
                throw CliException.usage("a scale is LENGTH:TMAX with whole numbers, such as 30d:64, got '" + p + "'");
            } catch (IllegalArgumentException e) {
                throw CliException.usage(e.getMessage());
            }
        }
        return out;
    }
}
