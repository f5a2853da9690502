package org.lurm.spark;

import java.io.Serial;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.Scale;
import org.lurm.events.IdDictionary;

/**
 * A {@link BoiConfig} in a form Spark can ship to executors: the scales, the period origin, per-type weights keyed
 * by the behaviour-type <em>id</em> (the string in the events' type column, since each partition builds its own
 * type dictionary), and the lenient flag. {@link #toBoiConfig} rebuilds the local config for one partition's type
 * dictionary, so a partition aggregates with exactly the local library's {@code BoiAggregator}.
 *
 * <p><b>Serialisation.</b> Java-serialisable (Spark ships it inside task closures); it holds only strings and
 * numbers. <b>Thread-safety.</b> Immutable.
 *
 * @param scaleNames   scale names, finest first
 * @param periodSeconds period length of each scale
 * @param tMax         T_max of each scale
 * @param origin       period origin in Unix seconds
 * @param typeWeights  weight multiplier per behaviour-type id; types not listed weigh 1 (empty: all 1)
 * @param lenient      skip and count bad events (unknown item, null field) instead of failing the job
 */
public record BoiSpec(String[] scaleNames, long[] periodSeconds, int[] tMax, long origin, Map<String, Float> typeWeights,
                      boolean lenient) implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    public BoiSpec {
        Objects.requireNonNull(scaleNames, "scaleNames");
        if (periodSeconds.length != scaleNames.length || tMax.length != scaleNames.length) {
            throw new IllegalArgumentException("scale names, period lengths and T_max must have one entry per scale");
        }
        scaleNames = scaleNames.clone();
        periodSeconds = periodSeconds.clone();
        tMax = tMax.clone();
        typeWeights = typeWeights == null ? Map.of() : Map.copyOf(typeWeights);
        // Validate with the local rules (scales ordered, weights finite and >= 0) now, not on an executor.
        List<Scale> sc = new ArrayList<>();
        for (int s = 0; s < scaleNames.length; s++) sc.add(new Scale(scaleNames[s], periodSeconds[s], tMax[s]));
        float[] w = new float[typeWeights.size()];
        int i = 0;
        for (Float f : typeWeights.values()) w[i++] = f == null ? Float.NaN : f;
        new BoiConfig(sc, origin, w, lenient);
    }

    /** The spec of a local config: {@code types} names the type ids behind the config's type-weight indices. */
    public static BoiSpec of(BoiConfig config, IdDictionary types) {
        int n = config.scales().size();
        String[] names = new String[n];
        long[] len = new long[n];
        int[] t = new int[n];
        for (int s = 0; s < n; s++) {
            Scale sc = config.scales().get(s);
            names[s] = sc.name();
            len[s] = sc.periodSeconds();
            t[s] = sc.tMax();
        }
        Map<String, Float> w = new LinkedHashMap<>();
        if (config.typeWeights() != null) {
            if (types == null) throw new IllegalArgumentException("the config has type weights: give the type dictionary that names their indices");
            for (int i = 0; i < config.typeWeights().length && i < types.size(); i++) w.put(types.id(i), config.typeWeights()[i]);
        }
        return new BoiSpec(names, len, t, config.origin(), w, config.lenient());
    }

    /** The spec of a config without type weights. */
    public static BoiSpec of(BoiConfig config) {
        if (config.typeWeights() != null) throw new IllegalArgumentException("the config has type weights: use of(config, typeDictionary)");
        return of(config, null);
    }

    /** MODEL.md defaults: 30 days (T_max 64) and 365 days (T_max 16), epoch origin, strict. */
    public static BoiSpec defaults() {
        return of(BoiConfig.defaults());
    }

    public BoiSpec withLenient(boolean l) {
        return new BoiSpec(scaleNames, periodSeconds, tMax, origin, typeWeights, l);
    }

    public BoiSpec withTypeWeights(Map<String, Float> w) {
        return new BoiSpec(scaleNames, periodSeconds, tMax, origin, w, lenient);
    }

    public int numScales() {
        return scaleNames.length;
    }

    public List<Scale> scales() {
        List<Scale> l = new ArrayList<>();
        for (int s = 0; s < scaleNames.length; s++) l.add(new Scale(scaleNames[s], periodSeconds[s], tMax[s]));
        return l;
    }

    /** The local config for a partition whose type dictionary is {@code types} (index i weighs typeWeights(types.id(i))). */
    public BoiConfig toBoiConfig(IdDictionary types) {
        float[] w = null;
        if (!typeWeights.isEmpty()) {
            w = new float[types.size()];
            for (int i = 0; i < w.length; i++) w[i] = typeWeights.getOrDefault(types.id(i), 1f);
        }
        return new BoiConfig(scales(), origin, w, lenient);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BoiSpec b && java.util.Arrays.equals(b.scaleNames, scaleNames) && java.util.Arrays.equals(b.periodSeconds, periodSeconds)
                && java.util.Arrays.equals(b.tMax, tMax) && b.origin == origin && b.typeWeights.equals(typeWeights) && b.lenient == lenient;
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(periodSeconds) * 31 + Long.hashCode(origin) + typeWeights.hashCode();
    }

    @Override
    public String toString() {
        return "BoiSpec[scales=" + scales() + ", origin=" + origin + ", typeWeights=" + typeWeights + ", lenient=" + lenient + "]";
    }
}
