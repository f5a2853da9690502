/**
 * The item embedding module of the Bag-of-Interests stage (MODEL.md, Stage 1): every
 * {@link org.lurm.embed.ItemEmbedder} turns the items of a dictionary into L2-normalised float32 vectors of
 * width e (default 64), returned as {@link org.lurm.embed.ItemEmbeddings} with a zero row and an "absent" flag
 * for items it has no data for.
 *
 * <ul>
 *   <li>{@link org.lurm.embed.CooccurrenceEmbedder} (default): PPMI of items touched by a user in the same period
 *       of the finest scale, factorised by randomized SVD.</li>
 *   <li>{@link org.lurm.embed.TextEmbedder}: hashed TF-IDF of titles and categories, reduced by randomized SVD;
 *       covers items never seen in behaviours (cold start).</li>
 *   <li>{@link org.lurm.embed.PrecomputedEmbedder}: vectors a user brings, from our binary
 *       {@link org.lurm.embed.EmbeddingFile} (memory-mapped, zero-copy where the order matches) or from TSV
 *       ({@link org.lurm.embed.EmbeddingTsv}).</li>
 *   <li>{@link org.lurm.embed.ConcatEmbedder}: several of these side by side, each part normalised, then the
 *       whole.</li>
 * </ul>
 */
package org.lurm.embed;
