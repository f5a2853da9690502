package org.lurm.model;

/**
 * Element type of a tensor in a {@link ModelFile}, with its code in the tensor table and its width. All are
 * stored little-endian. Immutable and thread-safe.
 */
public enum DType {
    /** IEEE-754 binary32 (code 1). */
    F32(1, 4),
    /** two's-complement 32-bit integer (code 2). */
    I32(2, 4),
    /** two's-complement 64-bit integer (code 3). */
    I64(3, 8);

    private final int code;
    private final int bytes;

    DType(int code, int bytes) {
        this.code = code;
        this.bytes = bytes;
    }

    /** The code stored in the tensor table. */
    public int code() {
        return code;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** The type with this code, or null when the code is unknown. */
    public static DType ofCode(int code) {
        for (DType t : values()) if (t.code == code) return t;
        return null;
    }

    /** Lower-case name as used in messages and tools ("f32", "i32", "i64"). */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
