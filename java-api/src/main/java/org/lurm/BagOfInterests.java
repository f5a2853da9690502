package org.lurm;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.lurm.backend.Backend;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.BoiSet;
import org.lurm.cluster.InterestConfig;
import org.lurm.cluster.InterestModel;
import org.lurm.cluster.KMeansConfig;
import org.lurm.embed.ConcatEmbedder;
import org.lurm.embed.CooccurrenceEmbedder;
import org.lurm.embed.EmbeddingInput;
import org.lurm.embed.ItemEmbedder;
import org.lurm.embed.ItemEmbeddings;
import org.lurm.embed.TextEmbedder;
import org.lurm.events.EventTable;
import org.lurm.events.ItemCatalog;
import org.lurm.memory.MemoryScope;
import org.lurm.progress.Progress;

/**
 * Stage 1 of LURM (MODEL.md) in one object: item embeddings, their clustering into K interests, and the
 * aggregation of any events over the same items into multi-scale Bag-of-Interests rows.
 *
 * <pre>{@code
 * try (MemoryScope scope = MemoryScope.root("app"); Backend backend = Backends.create()) {
 *     BagOfInterests boi = BagOfInterests.fit(events, catalog, BagOfInterests.Config.defaults(), backend, scope, null);
 *     BoiSet rows = boi.aggregate(events, backend, scope);     // CSR rows, owned by scope
 * }
 * }</pre>
 *
 * <p><b>Ownership.</b> Embeddings and the interest model live in the scope given to {@link #fit}; each
 * {@link #aggregate} result lives in the scope given to it. <b>Thread-safety.</b> Immutable after fit;
 * {@link #aggregate} may be called from several threads.
 *
 * <p>Items added to the dictionary after fitting have no interest: {@link #aggregate} rejects their events,
 * or skips and counts them when the BoI config is lenient.
 */
public final class BagOfInterests {
    /** Which item embedding module (MODEL.md) feeds the clustering. */
    public enum ItemEmbedding {
        /** PPMI of same-period co-occurrence + randomized SVD (MODEL.md default). */
        COOCCURRENCE,
        /** Hashed TF-IDF of the catalogue text + randomized SVD (serves items never seen in events). */
        TEXT,
        /** Both, each part normalised, then the whole (cold-start items get text-only vectors). */
        COOCCURRENCE_AND_TEXT
    }

    /**
     * @param embedding     item embedding module
     * @param dim           item embedding width e per module (default 64)
     * @param numInterests  K; 0 picks MODEL.md's default min(100000, max(16, I/2))
     * @param boi           scales, origin, type weights, leniency of the aggregation
     * @param seed          seed of the embedding SVD and the clustering (default 42)
     */
    public record Config(ItemEmbedding embedding, int dim, int numInterests, BoiConfig boi, long seed) {
        public Config {
            Objects.requireNonNull(embedding, "embedding");
            Objects.requireNonNull(boi, "boi");
            if (dim < 1) throw new IllegalArgumentException("dim must be >= 1, got " + dim);
            if (numInterests < 0) throw new IllegalArgumentException("numInterests must be >= 0 (0 = default), got " + numInterests);
        }

        /**
         * Item embedding width e: 128 (MODEL.md's reconstruction had 64; a 128-wide co-occurrence embedding feeds
         * SMEN's h = 128 without padding, see docs/DESIGN.md).
         */
        public static final int DEFAULT_DIM = 128;

        public static Config defaults() {
            return new Config(ItemEmbedding.COOCCURRENCE, DEFAULT_DIM, 0, BoiConfig.defaults(), 42L);
        }

        public Config withEmbedding(ItemEmbedding e) {
            return new Config(e, dim, numInterests, boi, seed);
        }

        public Config withDim(int d) {
            return new Config(embedding, d, numInterests, boi, seed);
        }

        public Config withInterests(int k) {
            return new Config(embedding, dim, k, boi, seed);
        }

        public Config withBoi(BoiConfig b) {
            return new Config(embedding, dim, numInterests, b, seed);
        }

        public Config withSeed(long s) {
            return new Config(embedding, dim, numInterests, boi, s);
        }
    }

    /** Told when each fitting stage ends, with its wall time and a one-line summary. */
    @FunctionalInterface
    public interface Listener {
        void stageDone(String stage, long nanos, String summary);
    }

    private final Config config;
    private final ItemEmbeddings embeddings;
    private final InterestModel interests;
    private final Map<String, Long> stageNanos;

    private BagOfInterests(Config config, ItemEmbeddings embeddings, InterestModel interests, Map<String, Long> stageNanos) {
        this.config = config;
        this.embeddings = embeddings;
        this.interests = interests;
        this.stageNanos = Collections.unmodifiableMap(stageNanos);
    }

    /**
     * Embeds the items of {@code events} (and of {@code catalog}, when given) and clusters them into interests.
     *
     * @param catalog  item text; required for TEXT and COOCCURRENCE_AND_TEXT, optional otherwise; must share
     *                 the events' item dictionary
     * @param listener may be null
     */
    public static BagOfInterests fit(EventTable events, ItemCatalog catalog, Config config, Backend backend, MemoryScope scope, Listener listener) {
        return fit(events, catalog, config, backend, scope, listener, Progress.NONE);
    }

    /**
     * {@link #fit(EventTable, ItemCatalog, Config, Backend, MemoryScope, Listener)}, reporting the phases of
     * both stages to {@code progress}, each as its own step with a known total where there is one: the
     * co-occurrence embedding's baskets (users), pair counts (items), PPMI (items) and randomized SVD (passes),
     * then k-means' seeding (centroids), Lloyd iterations, fine runs (centroids) and item assignment (items).
     */
    public static BagOfInterests fit(EventTable events, ItemCatalog catalog, Config config, Backend backend, MemoryScope scope, Listener listener,
                                     Progress progress) {
        Objects.requireNonNull(events, "events");
        if (config.embedding() != ItemEmbedding.COOCCURRENCE && catalog == null) {
            throw new IllegalArgumentException("item embedding " + config.embedding() + " needs an item catalogue (titles, categories)");
        }
        Map<String, Long> times = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        ItemEmbedder embedder = embedder(config);
        EmbeddingInput input = catalog == null ? EmbeddingInput.of(events) : EmbeddingInput.of(events, catalog);
        ItemEmbeddings emb = embedder.embed(input, backend, scope, progress);
        long t1 = System.nanoTime();
        times.put("embed", t1 - t0);
        if (listener != null) {
            listener.stageDone("embed", t1 - t0, embedder.name() + ": " + emb.presentCount() + " of " + emb.numItems() + " items embedded in " + emb.dim() + " dims");
        }
        if (emb.presentCount() == 0) throw new IllegalArgumentException("no item could be embedded: the events have no co-occurring items and no catalogue text");
        BitSet p = emb.presence();
        boolean[] present = new boolean[emb.numItems()];
        for (int i = p.nextSetBit(0); i >= 0 && i < present.length; i = p.nextSetBit(i + 1)) present[i] = true;
        int k = config.numInterests() > 0 ? config.numInterests() : KMeansConfig.defaultK(emb.presentCount());
        InterestConfig ic = InterestConfig.of(k).withClustering(KMeansConfig.of(k).withSeed(config.seed()));
        InterestModel model = InterestModel.build(emb.vectors(), emb.numItems(), emb.dim(), present, ic, backend, scope, progress);
        long t2 = System.nanoTime();
        times.put("cluster", t2 - t1);
        if (listener != null) {
            listener.stageDone("cluster", t2 - t1, "K = " + model.numInterests() + " interests, mean cosine to centroid " + String.format("%.3f", model.meanCosine()));
        }
        return new BagOfInterests(config, emb, model, times);
    }

    private static ItemEmbedder embedder(Config c) {
        CooccurrenceEmbedder co = new CooccurrenceEmbedder(CooccurrenceEmbedder.Options.forBoi(c.boi()).withDim(c.dim()).withSeed(c.seed()));
        TextEmbedder tx = new TextEmbedder(TextEmbedder.Options.defaults().withDim(c.dim()).withSeed(c.seed()));
        return switch (c.embedding()) {
            case COOCCURRENCE -> co;
            case TEXT -> tx;
            case COOCCURRENCE_AND_TEXT -> new ConcatEmbedder(List.of(co, tx));
        };
    }

    /** Aggregates events (over the fitted item dictionary) into BoI rows owned by {@code scope}. */
    public BoiSet aggregate(EventTable events, Backend backend, MemoryScope scope) {
        if (events.numItems() > interests.numItems()) {
            if (!config.boi().lenient()) {
                throw new IllegalArgumentException(events.numItems() - interests.numItems() + " items were added to the dictionary after fitting ('"
                        + events.items().id(interests.numItems()) + "' is the first) and have no interest: refit, or aggregate with a lenient BoI config to skip and count their events");
            }
            try (MemoryScope tmp = scope.child("item-interest")) {
                var table = tmp.allocateI32(events.numItems());
                for (int i = 0; i < events.numItems(); i++) table.set(i, i < interests.numItems() ? interests.interestOf(i) : -1);
                return backend.aggregate(events, table, interests.numInterests(), config.boi(), scope);
            }
        }
        return backend.aggregate(events, interests.itemInterest(), interests.numInterests(), config.boi(), scope);
    }

    public Config config() {
        return config;
    }

    @SuppressWarnings("exports") // internal: for lurm's own modules (docs/API.md)
    public ItemEmbeddings embeddings() {
        return embeddings;
    }

    @SuppressWarnings("exports") // internal: for lurm's own modules (docs/API.md)
    public InterestModel interests() {
        return interests;
    }

    public int numInterests() {
        return interests.numInterests();
    }

    /** Wall time of each fitting stage ("embed", "cluster"), in nanoseconds. */
    public Map<String, Long> stageNanos() {
        return stageNanos;
    }

    /**
     * The largest interests with their most typical items (catalogue titles when given, else item ids), for
     * showing to a person.
     */
    public List<String> describeInterests(org.lurm.events.IdDictionary items, ItemCatalog catalog, int max, int itemsEach) {
        Integer[] order = new Integer[interests.numInterests()];
        for (int k = 0; k < order.length; k++) order[k] = k;
        java.util.Arrays.sort(order, (a, b) -> Integer.compare(interests.interestSize(b), interests.interestSize(a)));
        List<String> out = new ArrayList<>();
        for (int q = 0; q < Math.min(max, order.length); q++) {
            int k = order[q];
            StringBuilder sb = new StringBuilder("interest " + k + " (" + interests.interestSize(k) + " items):");
            int[] typ = interests.typicalItems(k);
            for (int j = 0; j < Math.min(itemsEach, typ.length); j++) {
                String label = catalog != null && catalog.has(typ[j]) && !catalog.title(typ[j]).isEmpty() ? catalog.title(typ[j]) : items.id(typ[j]);
                sb.append(j == 0 ? " " : " | ").append(label);
            }
            out.add(sb.toString());
        }
        return out;
    }
}
