package org.lurm.smen.ops;

/**
 * The arguments one anchor-attention call hands to its {@link RowKernels}: the flat parameter array (SmenLayout
 * offsets of V and A), the sizes, and the batch's CSR arrays. Gradients use the same offsets in a gradient array
 * of the same layout. Immutable view; the arrays are the caller's, never copied.
 */
record RowAttentionCall(float[] params, int vOff, int aOff, int h, int anchors, float invSqrtH,
                        int[] rowPtr, int[] cols, float[] vals) {
}
