package org.lurm.events;

import java.util.Objects;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.memory.MemoryScope;

/**
 * Behaviour events in columnar, off-heap form: for event i, {@code user(i)}, {@code item(i)} (indices into
 * {@link #users()} and {@link #items()}), {@code timestamp(i)} (Unix seconds), {@code weight(i)} and
 * {@code type(i)} (index into {@link #types()}; 0 when the source has no behaviour type).
 *
 * <p><b>Ownership.</b> The columns live in the {@link MemoryScope} given to {@link EventTableBuilder#build};
 * the table is unusable once that scope is closed. The dictionaries are on-heap and shared, not copied. A table
 * made with the constructor uses the arrays it is given, wherever their memory is (org.lurm.arrow's
 * {@code ArrowEvents} wraps Arrow buffers this way): whoever makes it keeps that memory alive as long as the
 * table is used.
 *
 * <p><b>Thread-safety.</b> Immutable after construction; safe for concurrent reads.
 */
public final class EventTable {
    private final I32Array user;
    private final I32Array item;
    private final I64Array timestamp;
    private final F32Array weight;
    private final I32Array type;
    private final IdDictionary users;
    private final IdDictionary items;
    private final IdDictionary types;
    private final long size;

    /**
     * A table over the given columns, not copied and not checked beyond their lengths: indices must lie in their
     * dictionaries and weights be finite and {@code >= 0} (what {@link EventTableBuilder} ensures), and the
     * columns' memory must outlive the table.
     */
    public EventTable(I32Array user, I32Array item, I64Array timestamp, F32Array weight, I32Array type,
                      IdDictionary users, IdDictionary items, IdDictionary types) {
        this.size = user.length();
        if (item.length() != size || timestamp.length() != size || weight.length() != size || type.length() != size) {
            throw new IllegalArgumentException("event columns differ in length: user " + size + ", item " + item.length()
                    + ", timestamp " + timestamp.length() + ", weight " + weight.length() + ", type " + type.length());
        }
        this.user = user;
        this.item = item;
        this.timestamp = timestamp;
        this.weight = weight;
        this.type = type;
        this.users = Objects.requireNonNull(users);
        this.items = Objects.requireNonNull(items);
        this.types = Objects.requireNonNull(types);
    }

    public long size() {
        return size;
    }

    public int user(long i) {
        return user.get(i);
    }

    public int item(long i) {
        return item.get(i);
    }

    public long timestamp(long i) {
        return timestamp.get(i);
    }

    public float weight(long i) {
        return weight.get(i);
    }

    public int type(long i) {
        return type.get(i);
    }

    public I32Array userColumn() {
        return user;
    }

    public I32Array itemColumn() {
        return item;
    }

    public I64Array timestampColumn() {
        return timestamp;
    }

    public F32Array weightColumn() {
        return weight;
    }

    public I32Array typeColumn() {
        return type;
    }

    public IdDictionary users() {
        return users;
    }

    public IdDictionary items() {
        return items;
    }

    public IdDictionary types() {
        return types;
    }

    public int numUsers() {
        return users.size();
    }

    public int numItems() {
        return items.size();
    }

    /** Smallest and largest timestamp, or {0, -1} for an empty table. */
    public long[] timeRange() {
        if (size == 0) return new long[] {0, -1};
        long lo = Long.MAX_VALUE, hi = Long.MIN_VALUE;
        for (long i = 0; i < size; i++) {
            long t = timestamp.get(i);
            if (t < lo) lo = t;
            if (t > hi) hi = t;
        }
        return new long[] {lo, hi};
    }

    @Override
    public String toString() {
        return "EventTable[" + size + " events, " + users.size() + " users, " + items.size() + " items]";
    }
}
