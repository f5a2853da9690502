package org.lurm.events;

import java.util.Arrays;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.memory.MemoryScope;

/**
 * Accumulates events (on-heap, growing) and copies them once into an off-heap {@link EventTable}.
 * Ids are dictionary-encoded as they arrive; pass existing dictionaries to keep indices stable across
 * loads (incremental updates).
 *
 * <p><b>Thread-safety.</b> Not thread-safe.
 */
public final class EventTableBuilder {
    private final IdDictionary users;
    private final IdDictionary items;
    private final IdDictionary types;
    private int[] user = new int[1024];
    private int[] item = new int[1024];
    private long[] ts = new long[1024];
    private float[] w = new float[1024];
    private int[] type = new int[1024];
    private int n;

    public EventTableBuilder() {
        this(new IdDictionary(), new IdDictionary(), defaultTypes());
    }

    public EventTableBuilder(IdDictionary users, IdDictionary items, IdDictionary types) {
        this.users = users;
        this.items = items;
        this.types = types;
    }

    /** A type dictionary whose index 0 is the default behaviour type "". */
    public static IdDictionary defaultTypes() {
        IdDictionary t = new IdDictionary();
        t.add("");
        return t;
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

    public int size() {
        return n;
    }

    public EventTableBuilder add(String userId, String itemId, long timestamp, float weight, String typeId) {
        return addIndexed(users.add(userId), items.add(itemId), timestamp, weight, typeId == null ? 0 : types.add(typeId));
    }

    public EventTableBuilder add(String userId, String itemId, long timestamp, float weight) {
        return addIndexed(users.add(userId), items.add(itemId), timestamp, weight, 0);
    }

    /** Adds an event by dictionary indices, which must already exist in the dictionaries. */
    public EventTableBuilder addIndexed(int userIndex, int itemIndex, long timestamp, float weight, int typeIndex) {
        if (userIndex < 0 || userIndex >= users.size()) throw new IllegalArgumentException("user index " + userIndex + " not in dictionary of " + users.size());
        if (itemIndex < 0 || itemIndex >= items.size()) throw new IllegalArgumentException("item index " + itemIndex + " not in dictionary of " + items.size());
        if (typeIndex < 0 || typeIndex >= types.size()) throw new IllegalArgumentException("type index " + typeIndex + " not in dictionary of " + types.size());
        if (!(weight >= 0) || Float.isInfinite(weight)) throw new IllegalArgumentException("event weight must be finite and >= 0, got " + weight);
        if (n == user.length) grow();
        user[n] = userIndex;
        item[n] = itemIndex;
        ts[n] = timestamp;
        w[n] = weight;
        type[n] = typeIndex;
        n++;
        return this;
    }

    private void grow() {
        int cap = Math.toIntExact(Math.min((long) user.length * 2, Integer.MAX_VALUE - 16));
        if (cap <= user.length) throw new IllegalStateException("more than " + user.length + " events in one builder: split the input");
        user = Arrays.copyOf(user, cap);
        item = Arrays.copyOf(item, cap);
        ts = Arrays.copyOf(ts, cap);
        w = Arrays.copyOf(w, cap);
        type = Arrays.copyOf(type, cap);
    }

    /** Copies the events into off-heap columns owned by {@code scope}. The builder can be reused after. */
    public EventTable build(MemoryScope scope) {
        I32Array u = scope.allocateI32(n);
        I32Array it = scope.allocateI32(n);
        I64Array t = scope.allocateI64(n);
        F32Array wt = scope.allocateF32(n);
        I32Array ty = scope.allocateI32(n);
        u.copyFrom(user, 0, 0, n);
        it.copyFrom(item, 0, 0, n);
        t.copyFrom(ts, 0, 0, n);
        wt.copyFrom(w, 0, 0, n);
        ty.copyFrom(type, 0, 0, n);
        return new EventTable(u, it, t, wt, ty, users, items, types);
    }
}
