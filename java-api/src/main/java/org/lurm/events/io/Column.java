package org.lurm.events.io;

import java.util.Objects;

/**
 * Where a field is found in a delimited record: by 0-based {@link #index(int) index}, or by
 * {@link #named(String) name} in the header line (the file must then have one; names compare exactly, after
 * the format's trimming).
 *
 * <p><b>Thread-safety.</b> Immutable. Holds no off-heap memory.
 *
 * @param index 0-based column index, or -1 when the column is given by name
 * @param name header name, or null when the column is given by index
 */
public record Column(int index, String name) {
    public Column {
        if (name == null && index < 0) throw new IllegalArgumentException("column index must be >= 0, got " + index);
        if (name != null && index != -1) throw new IllegalArgumentException("a column is given by index or by name, not both");
        if (name != null && name.isEmpty()) throw new IllegalArgumentException("column name must not be empty");
    }

    /** The column at a 0-based index. */
    public static Column index(int index) {
        return new Column(index, null);
    }

    /** The column whose header is {@code name}. */
    public static Column named(String name) {
        return new Column(-1, Objects.requireNonNull(name, "column name"));
    }

    public boolean byName() {
        return name != null;
    }

    @Override
    public String toString() {
        return byName() ? "column \"" + name + "\"" : "column " + (index + 1);
    }
}
