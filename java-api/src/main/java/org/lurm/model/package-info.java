/**
 * The model file: a versioned, checksummed, little-endian binary container of a JSON header and named,
 * 64-byte aligned tensors ({@link org.lurm.model.ModelFile}), written atomically and read by memory-mapping
 * into a {@link org.lurm.memory.MemoryScope} with every size and offset validated first; and the small strict
 * JSON codec its header uses ({@link org.lurm.model.Json}), so the library needs no JSON dependency.
 *
 * <p>The container knows nothing of SMEN or interests: callers choose tensor names and put their config,
 * provenance, metrics and string tables (interest descriptions, item ids) in the header.
 */
package org.lurm.model;
