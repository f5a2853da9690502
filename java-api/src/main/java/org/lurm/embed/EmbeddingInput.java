package org.lurm.embed;

import java.util.Objects;
import org.lurm.events.EventTable;
import org.lurm.events.IdDictionary;
import org.lurm.events.ItemCatalog;

/**
 * What an {@link ItemEmbedder} may read: the item dictionary every embedding is aligned with, and, where
 * available, the behaviour events and the item catalogue. Embeddings cover item indices [0, items.size()) as of
 * the call; each embedder states which parts it needs and fails naming the missing one.
 *
 * <p>Events and catalogue must use the very same dictionary object: indices of a different dictionary would
 * silently mean different items. The input only refers to its parts (no copy); the events' off-heap columns
 * must stay open while an embedder runs.
 *
 * <p>Thread-safe as long as the dictionary is not extended concurrently.
 */
public record EmbeddingInput(IdDictionary items, EventTable events, ItemCatalog catalog) {
    public EmbeddingInput {
        Objects.requireNonNull(items, "item dictionary");
        if (events != null && events.items() != items) {
            throw new IllegalArgumentException("the events use a different item dictionary object than the embedding input: item indices would not match");
        }
        if (catalog != null && catalog.items() != items) {
            throw new IllegalArgumentException("the item catalogue uses a different item dictionary object than the embedding input: item indices would not match");
        }
    }

    public static EmbeddingInput of(EventTable events) {
        return new EmbeddingInput(events.items(), events, null);
    }

    public static EmbeddingInput of(EventTable events, ItemCatalog catalog) {
        return new EmbeddingInput(events.items(), events, catalog);
    }

    public static EmbeddingInput of(ItemCatalog catalog) {
        return new EmbeddingInput(catalog.items(), null, catalog);
    }

    public static EmbeddingInput of(IdDictionary items) {
        return new EmbeddingInput(items, null, null);
    }

    /** Items covered: the dictionary's current size. */
    public int numItems() {
        return items.size();
    }

    EventTable requireEvents(String embedder) {
        if (events == null) throw new IllegalArgumentException("the " + embedder + " embedder needs behaviour events, and the input has none");
        return events;
    }

    ItemCatalog requireCatalog(String embedder) {
        if (catalog == null) throw new IllegalArgumentException("the " + embedder + " embedder needs an item catalogue, and the input has none");
        return catalog;
    }
}
