package org.lurm.smen.ops;

/**
 * The arguments one per-anchor projection call hands to its {@link RowKernels}: the flat parameter array with the
 * SmenLayout offsets of W (M x h x d') and b (M x d'), and the sizes. Immutable view; the array is the caller's.
 */
record RowProjectionCall(float[] params, int wOff, int bOff, int h, int anchors, int anchorDim) {
}
