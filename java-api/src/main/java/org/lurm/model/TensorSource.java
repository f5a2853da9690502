package org.lurm.model;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;

/**
 * A named tensor to write into a {@link ModelFile}: element type, shape and the memory holding its elements,
 * row-major. Nothing is copied when the source is made; {@link ModelFile#write} reads the memory while it
 * writes, so it must stay alive (its scope open, its heap array unchanged) until the write returns.
 *
 * <p>Off-heap and wrapped lurm arrays ({@link F32Array}, {@link I32Array}, {@link I64Array}) are written as
 * their {@code get} returns them (they are little-endian by contract); plain Java arrays are written by value,
 * whatever the platform's byte order.
 *
 * <p><b>Thread-safety.</b> Immutable; the memory it refers to must not be written during a write.
 */
public final class TensorSource {
    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final MemorySegment data;
    private final ByteOrder order;

    private TensorSource(String name, DType dtype, long[] shape, MemorySegment data, ByteOrder order) {
        this.name = checkName(name);
        this.dtype = dtype;
        this.shape = shape.clone();
        this.data = data;
        this.order = order;
        long elements = elements(name, this.shape);
        long bytes;
        try {
            bytes = Math.multiplyExact(elements, (long) dtype.bytes());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " is too large");
        }
        if (bytes != data.byteSize()) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " holds " + elements
                    + " elements, the data has " + data.byteSize() / dtype.bytes());
        }
    }

    public static TensorSource of(String name, F32Array data, long... shape) {
        return new TensorSource(name, DType.F32, shape, Objects.requireNonNull(data, "data").segment().asSlice(0, data.length() * 4), ByteOrder.LITTLE_ENDIAN);
    }

    public static TensorSource of(String name, I32Array data, long... shape) {
        return new TensorSource(name, DType.I32, shape, Objects.requireNonNull(data, "data").segment().asSlice(0, data.length() * 4), ByteOrder.LITTLE_ENDIAN);
    }

    public static TensorSource of(String name, I64Array data, long... shape) {
        return new TensorSource(name, DType.I64, shape, Objects.requireNonNull(data, "data").segment().asSlice(0, data.length() * 8), ByteOrder.LITTLE_ENDIAN);
    }

    public static TensorSource of(String name, float[] data, long... shape) {
        return new TensorSource(name, DType.F32, shape, MemorySegment.ofArray(Objects.requireNonNull(data, "data")), ByteOrder.nativeOrder());
    }

    public static TensorSource of(String name, int[] data, long... shape) {
        return new TensorSource(name, DType.I32, shape, MemorySegment.ofArray(Objects.requireNonNull(data, "data")), ByteOrder.nativeOrder());
    }

    public static TensorSource of(String name, long[] data, long... shape) {
        return new TensorSource(name, DType.I64, shape, MemorySegment.ofArray(Objects.requireNonNull(data, "data")), ByteOrder.nativeOrder());
    }

    public String name() {
        return name;
    }

    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape. */
    public long[] shape() {
        return shape.clone();
    }

    /** Bytes of data. */
    public long byteLength() {
        return data.byteSize();
    }

    MemorySegment data() {
        return data;
    }

    ByteOrder order() {
        return order;
    }

    long[] shapeRef() {
        return shape;
    }

    static String checkName(String name) {
        Objects.requireNonNull(name, "tensor name");
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < name.length() && Character.isLowSurrogate(name.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("tensor name \"" + name + "\" has an unpaired surrogate at char " + i + " (not encodable as UTF-8)");
            }
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes < 1 || bytes > ModelFile.MAX_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name must have 1 to " + ModelFile.MAX_NAME_BYTES + " bytes of UTF-8, \""
                    + (name.length() > 40 ? name.substring(0, 40) + "..." : name) + "\" has " + bytes);
        }
        return name;
    }

    private static long elements(String name, long[] shape) {
        if (shape.length > ModelFile.MAX_RANK) {
            throw new IllegalArgumentException("tensor '" + name + "' has rank " + shape.length + ", at most " + ModelFile.MAX_RANK + " is supported");
        }
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("tensor '" + name + "' has a negative dimension in shape " + Arrays.toString(shape));
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " overflows a long");
            }
        }
        return n;
    }

    @Override
    public String toString() {
        return "TensorSource[" + name + ": " + dtype.label() + Arrays.toString(shape) + "]";
    }
}
