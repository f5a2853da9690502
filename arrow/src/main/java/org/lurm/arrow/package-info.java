/**
 * Apache Arrow in and out, in the separate {@code lurm-arrow} artifact (the core jar does not depend on Arrow):
 * {@link org.lurm.arrow.ArrowEvents} builds an {@link org.lurm.events.EventTable} over Arrow vectors, wrapping
 * their buffers where the layout allows and converting the rest (its javadoc says which is which);
 * {@link org.lurm.arrow.ArrowEmbeddings} returns user representations as an Arrow batch ({@code user_id},
 * {@code FixedSizeList<Float32>}).
 *
 * <p>Run with {@code --enable-native-access=ALL-UNNAMED} (lurm's own flag) and, for Arrow's memory module,
 * {@code --add-opens=java.base/java.nio=ALL-UNNAMED}; the application picks Arrow's allocation manager
 * ({@code arrow-memory-unsafe} or {@code arrow-memory-netty}) at run time.
 */
package org.lurm.arrow;
