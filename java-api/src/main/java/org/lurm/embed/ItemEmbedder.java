package org.lurm.embed;

import org.lurm.backend.Backend;
import org.lurm.memory.MemoryScope;

/**
 * One way of turning items into L2-normalised float32 vectors (MODEL.md, "Item embedding module"): co-occurrence
 * ({@link CooccurrenceEmbedder}, the default), text ({@link TextEmbedder}), precomputed
 * ({@link PrecomputedEmbedder}) and concatenations of these ({@link ConcatEmbedder}).
 *
 * <p><b>Ownership.</b> {@link #embed} allocates the result in {@code scope} (temporaries in child scopes closed
 * before it returns), except where an implementation documents a zero-copy view.
 *
 * <p><b>Thread-safety.</b> Implementations in this package are immutable and may run concurrently.
 */
public interface ItemEmbedder {
    /** Short name, used in {@link ItemEmbeddings#source()} and counter prefixes. */
    String name();

    /** Width e of the vectors this embedder produces. */
    int dimension();

    /**
     * Embeds every item of {@code input.items()}; items without data get a zero row and are marked absent.
     *
     * @param backend runs the heavy products (randomized SVD) and lends its worker threads
     */
    ItemEmbeddings embed(EmbeddingInput input, Backend backend, MemoryScope scope);

    /**
     * {@link #embed(EmbeddingInput, Backend, MemoryScope)}, reporting its phases to {@code progress} as steps with
     * known totals where the implementation has them; the default reports nothing.
     */
    default ItemEmbeddings embed(EmbeddingInput input, Backend backend, MemoryScope scope, org.lurm.progress.Progress progress) {
        return embed(input, backend, scope);
    }
}
