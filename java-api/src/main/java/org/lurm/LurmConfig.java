package org.lurm;

import java.util.Objects;
import org.lurm.boi.BoiConfig;

/**
 * Everything {@link Lurm#fit} needs to know, with the defaults in one place: Stage 1 (item embeddings, the number
 * of interests, the BoI scales) and SMEN (architecture, objective, optimiser). {@link #defaults()} is the
 * configuration every number in {@code docs/RESULTS.md} was measured with; change what your data needs through
 * {@link #toBuilder()}.
 *
 * <pre>{@code
 * LurmConfig cfg = LurmConfig.defaults().toBuilder().interests(20_000).trainingSteps(2_000).seed(7).build();
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @param interests Stage 1: item embedding, its width, the number of interests K, the BoI scales, the seed
 * @param smen      Stage 2: the SMEN encoder and its training
 * @param lenient   true: events whose item has no interest (too rare to embed) are skipped and counted
 *                  ({@link org.lurm.boi.BoiSet#skippedEvents()}); false: they are an error naming the item
 */
public record LurmConfig(BagOfInterests.Config interests, SmenConfig smen, boolean lenient) {
    public LurmConfig {
        Objects.requireNonNull(interests, "interests");
        Objects.requireNonNull(smen, "smen");
    }

    /**
     * The defaults: interests as fine as the catalogue (up to {@link BagOfInterests.Config#defaults()}'s K), SMEN's
     * {@link SmenConfig#defaults()}, lenient about items too rare to embed (their events are skipped and counted).
     */
    public static LurmConfig defaults() {
        return new LurmConfig(BagOfInterests.Config.defaults(), SmenConfig.defaults(), true);
    }

    /** A builder starting from {@link #defaults()}. */
    public static Builder builder() {
        return defaults().toBuilder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Sets one field at a time; {@link #build()} validates. Not thread-safe (one builder per thread).
     */
    public static final class Builder {
        private BagOfInterests.Config interests;
        private SmenConfig.Builder smen;
        private boolean lenient;

        private Builder(LurmConfig from) {
            this.interests = from.interests;
            this.smen = from.smen.toBuilder();
            this.lenient = from.lenient;
        }

        /** The number of interests K (k-means clusters of the item embeddings; capped at the number of items). */
        public Builder interests(int k) {
            interests = interests.withInterests(k);
            return this;
        }

        /** The width of the item embeddings. */
        public Builder itemDim(int dim) {
            interests = interests.withDim(dim);
            return this;
        }

        /** How items are embedded before clustering. */
        public Builder itemEmbedding(BagOfInterests.ItemEmbedding embedding) {
            interests = interests.withEmbedding(embedding);
            return this;
        }

        /** The BoI scales (time periods), origin and behaviour-type weights. */
        public Builder boi(BoiConfig boi) {
            interests = interests.withBoi(boi);
            return this;
        }

        /** Stage 1 as a whole. */
        public Builder stage1(BagOfInterests.Config config) {
            interests = Objects.requireNonNull(config);
            return this;
        }

        /** SMEN as a whole (replaces every SMEN setting made on this builder so far). */
        public Builder smen(SmenConfig config) {
            smen = config.toBuilder();
            return this;
        }

        /** SMEN's number of training steps. */
        public Builder trainingSteps(int steps) {
            smen.maxSteps(steps);
            return this;
        }

        /** One seed for everything random (embedding, k-means, SMEN's initialisation, views and batches). */
        public Builder seed(long seed) {
            interests = interests.withSeed(seed);
            smen.seed(seed);
            return this;
        }

        /** See {@link LurmConfig#lenient()}. */
        public Builder lenient(boolean lenient) {
            this.lenient = lenient;
            return this;
        }

        public LurmConfig build() {
            return new LurmConfig(interests, smen.build(), lenient);
        }
    }
}
