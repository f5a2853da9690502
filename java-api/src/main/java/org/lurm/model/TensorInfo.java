package org.lurm.model;

import java.util.Arrays;

/**
 * One entry of a model file's tensor table, as validated by {@link ModelFile#open}. Plain metadata on the heap
 * (the data stays in the mapping: see {@link ModelFile#segment}); immutable and thread-safe.
 *
 * @param name       unique name, 1 to {@link ModelFile#MAX_NAME_BYTES} bytes of UTF-8
 * @param dtype      element type
 * @param shape      dimensions, outermost first (row-major); empty for a scalar; {@link #shape()} returns a copy
 * @param offset     absolute byte offset of the data in the file, a multiple of {@link ModelFile#ALIGNMENT}
 * @param byteLength bytes of data: product of the shape times the element width
 * @param crc32c     CRC-32C of the data bytes
 */
public record TensorInfo(String name, DType dtype, long[] shape, long offset, long byteLength, int crc32c) {
    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Dimension i. */
    public long dim(int i) {
        return shape[i];
    }

    /** Number of elements (1 for a scalar). */
    public long elements() {
        return byteLength / dtype.bytes();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && offset == t.offset && byteLength == t.byteLength && crc32c == t.crc32c;
    }

    @Override
    public int hashCode() {
        return (name.hashCode() * 31 + Arrays.hashCode(shape)) * 31 + Long.hashCode(offset);
    }

    @Override
    public String toString() {
        return name + ": " + dtype.label() + Arrays.toString(shape) + " at " + offset + " (" + byteLength + " bytes)";
    }
}
