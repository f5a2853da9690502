package org.lurm.embed;

/**
 * What a reader of precomputed embeddings does with an item id that the item dictionary does not know.
 */
public enum UnknownItemPolicy {
    /** Stop with an error naming the file, the id and its line or row (the default). */
    FAIL,
    /** Skip the row and count it in the counter {@code skippedUnknownIds}. */
    SKIP
}
