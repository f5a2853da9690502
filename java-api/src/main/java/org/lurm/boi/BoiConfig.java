package org.lurm.boi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How events become BoI rows (MODEL.md, Stage 1).
 *
 * <p>Immutable (the type weights are copied in and out) and thread-safe.
 *
 * @param scales       time scales, finest first (default 30 d with T_max 64, 365 d with T_max 16)
 * @param origin       period origin in Unix seconds (default 0, the epoch)
 * @param typeWeights  multiplier per behaviour-type index (null or shorter than the type dictionary: 1)
 * @param lenient      when true, events whose item has no interest are skipped and counted in
 *                     {@link BoiSet#skippedEvents()}; when false (default) they are an error naming the item
 */
public record BoiConfig(List<Scale> scales, long origin, float[] typeWeights, boolean lenient) {
    public BoiConfig {
        if (scales == null || scales.isEmpty()) throw new IllegalArgumentException("at least one scale is required");
        if (scales.size() > 127) throw new IllegalArgumentException("at most 127 scales, got " + scales.size());
        scales = List.copyOf(scales);
        for (int i = 1; i < scales.size(); i++) {
            if (scales.get(i).periodSeconds() < scales.get(i - 1).periodSeconds()) {
                throw new IllegalArgumentException("scales must be ordered finest first: '" + scales.get(i).name() + "' is finer than '" + scales.get(i - 1).name() + "'");
            }
        }
        if (typeWeights != null) {
            typeWeights = typeWeights.clone();
            for (int i = 0; i < typeWeights.length; i++) {
                if (!(typeWeights[i] >= 0) || Float.isInfinite(typeWeights[i])) throw new IllegalArgumentException("type weight " + i + " must be finite and >= 0, got " + typeWeights[i]);
            }
        }
    }

    public static BoiConfig defaults() {
        return new BoiConfig(List.of(Scale.days(30, 64), Scale.days(365, 16)), 0L, null, false);
    }

    public static BoiConfig of(Scale... scales) {
        return new BoiConfig(new ArrayList<>(Arrays.asList(scales)), 0L, null, false);
    }

    public BoiConfig withOrigin(long newOrigin) {
        return new BoiConfig(scales, newOrigin, typeWeights, lenient);
    }

    public BoiConfig withTypeWeights(float... w) {
        return new BoiConfig(scales, origin, w, lenient);
    }

    public BoiConfig withLenient(boolean l) {
        return new BoiConfig(scales, origin, typeWeights, l);
    }

    /** The multiplier per behaviour-type index (a copy), or null when every type weighs 1. */
    @Override
    public float[] typeWeights() {
        return typeWeights == null ? null : typeWeights.clone();
    }

    /** Weight multiplier of a behaviour-type index. */
    public float typeWeight(int type) {
        return typeWeights != null && type < typeWeights.length ? typeWeights[type] : 1f;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BoiConfig c && c.scales.equals(scales) && c.origin == origin && c.lenient == lenient
                && Arrays.equals(c.typeWeights, typeWeights);
    }

    @Override
    public int hashCode() {
        return scales.hashCode() * 31 + Long.hashCode(origin) + Arrays.hashCode(typeWeights);
    }

    @Override
    public String toString() {
        return "BoiConfig[scales=" + scales + ", origin=" + origin + ", typeWeights=" + Arrays.toString(typeWeights) + ", lenient=" + lenient + "]";
    }
}
