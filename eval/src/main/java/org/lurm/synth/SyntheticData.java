package org.lurm.synth;

import org.lurm.events.EventTable;
import org.lurm.events.ItemCatalog;
import org.lurm.events.UserAttributes;

/**
 * The output of {@link LifeCycleGenerator#generate}: events, item side information, planted user attributes
 * and the planted truth. The event table and the truth share one user and one item dictionary with the
 * catalogue and the attributes (indices agree everywhere: user u is "u" + u, item i is "i" + i).
 *
 * <p><b>Ownership.</b> The event columns and the truth's mixture matrices live in the
 * {@link org.lurm.memory.MemoryScope} given to {@code generate}; the rest is on-heap.
 * <b>Thread-safety.</b> Immutable once returned; safe for concurrent reads while that scope is open.
 *
 * @param events     the behaviours, ordered as {@link LifeCycleConfig#order()} says
 * @param catalog    a title and categories (topic names) for every item
 * @param attributes planted labels {@value LifeCycleGenerator#SEGMENT}, {@value LifeCycleGenerator#AGE_GROUP}
 *                   and {@value LifeCycleGenerator#DRIFT_DIRECTION} for every user
 * @param truth      what was planted
 * @param config     the config that produced it
 */
public record SyntheticData(EventTable events, ItemCatalog catalog, UserAttributes attributes, PlantedTruth truth,
                            LifeCycleConfig config) {
}
