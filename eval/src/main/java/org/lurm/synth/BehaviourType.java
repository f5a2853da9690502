package org.lurm.synth;

/**
 * One behaviour type of the synthetic generator (e.g. view, like, purchase): each event draws its type
 * independently with {@code probability}, and {@code weight} is written into the event's weight column (so a
 * BoI built from the generated events already weights a purchase above a view; leave
 * {@link org.lurm.boi.BoiConfig#typeWeights()} unset unless a further multiplier is wanted).
 *
 * <p>Immutable and thread-safe.
 *
 * @param name        type name, stored in the event table's type dictionary (not blank)
 * @param probability probability of this type per event, in [0, 1]; the probabilities of a config sum to 1
 * @param weight      event weight written for this type, finite and &gt;= 0
 */
public record BehaviourType(String name, double probability, float weight) {
    public BehaviourType {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("behaviour type name must not be blank");
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("behaviour type '" + name + "': probability must be in [0, 1], got " + probability);
        }
        if (!(weight >= 0) || Float.isInfinite(weight)) {
            throw new IllegalArgumentException("behaviour type '" + name + "': weight must be finite and >= 0, got " + weight);
        }
    }
}
