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
    /**
     * Events per chunk of the on-heap columns once the first chunk is full (2^22). The columns grow by adding
     * chunks, never by copying: a doubling array allocates about twice the final bytes and holds 1.5x at each copy,
     * and on this project's machines fresh memory is the reading stage's largest cost (the kernel clears every new
     * page: at 10^8 events about 40 % of the read's CPU time went to it). The chunks are large on purpose: a
     * 16 MiB int[] is a humongous object for every G1 region size (at most 32 MiB), so G1 allocates it in place
     * and never copies it; chunks of 2^15 events were young objects that the collector copied, 5.4 s of young
     * pauses at 10^8 events. The last chunk wastes at most 96 MiB.
     */
    static final int CHUNK_BITS = 22;
    private static final int FIRST = 1024;

    // Column chunks: chunk c holds events [c * chunk, (c + 1) * chunk); only chunk 0 grows (by doubling, up to chunk).
    private final int chunkBits, chunk;
    private int[][] user = {new int[FIRST]};
    private int[][] item = {new int[FIRST]};
    private long[][] ts = {new long[FIRST]};
    private float[][] w = {new float[FIRST]};
    private int[][] type = {new int[FIRST]};
    private int chunks = 1;
    private int n;

    public EventTableBuilder() {
        this(new IdDictionary(), new IdDictionary(), defaultTypes());
    }

    public EventTableBuilder(IdDictionary users, IdDictionary items, IdDictionary types) {
        this(users, items, types, CHUNK_BITS);
    }

    /** With chunks of 2^chunkBits events (tests use small ones to cross many chunk boundaries). */
    EventTableBuilder(IdDictionary users, IdDictionary items, IdDictionary types, int chunkBits) {
        if (chunkBits < 10 || chunkBits > CHUNK_BITS) throw new IllegalArgumentException("chunkBits must be in [10, " + CHUNK_BITS + "], got " + chunkBits);
        this.users = users;
        this.items = items;
        this.types = types;
        this.chunkBits = chunkBits;
        this.chunk = 1 << chunkBits;
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
        if (n == MAX_EVENTS) throw new IllegalStateException("more than " + MAX_EVENTS + " events in one builder: split the input");
        int c = n >>> chunkBits, i = n & (chunk - 1);
        if (c == chunks || (c == 0 && i == user[0].length)) grow(c);
        user[c][i] = userIndex;
        item[c][i] = itemIndex;
        ts[c][i] = timestamp;
        w[c][i] = weight;
        type[c][i] = typeIndex;
        n++;
        return this;
    }

    /** Room for event n: chunk 0 doubles up to the chunk size; past it, one new full chunk. */
    private void grow(int c) {
        if (c == 0) {
            int cap = Math.min(chunk, user[0].length * 2);
            user[0] = Arrays.copyOf(user[0], cap);
            item[0] = Arrays.copyOf(item[0], cap);
            ts[0] = Arrays.copyOf(ts[0], cap);
            w[0] = Arrays.copyOf(w[0], cap);
            type[0] = Arrays.copyOf(type[0], cap);
            return;
        }
        if (c == user.length) {
            int slots = user.length * 2;
            user = Arrays.copyOf(user, slots);
            item = Arrays.copyOf(item, slots);
            ts = Arrays.copyOf(ts, slots);
            w = Arrays.copyOf(w, slots);
            type = Arrays.copyOf(type, slots);
        }
        user[c] = new int[chunk];
        item[c] = new int[chunk];
        ts[c] = new long[chunk];
        w[c] = new float[chunk];
        type[c] = new int[chunk];
        chunks++;
    }

    /** The most events one builder holds (an {@link EventTable}'s columns are indexed by int). */
    static final int MAX_EVENTS = Integer.MAX_VALUE - 16;

    /** Copies the events into off-heap columns owned by {@code scope}. The builder can be reused after. */
    public EventTable build(MemoryScope scope) {
        I32Array u = scope.allocateI32(n);
        I32Array it = scope.allocateI32(n);
        I64Array t = scope.allocateI64(n);
        F32Array wt = scope.allocateF32(n);
        I32Array ty = scope.allocateI32(n);
        for (int c = 0; (long) c * chunk < n; c++) {
            long at = (long) c * chunk;
            int len = (int) Math.min(chunk, n - at);
            u.copyFrom(user[c], 0, at, len);
            it.copyFrom(item[c], 0, at, len);
            t.copyFrom(ts[c], 0, at, len);
            wt.copyFrom(w[c], 0, at, len);
            ty.copyFrom(type[c], 0, at, len);
        }
        return new EventTable(u, it, t, wt, ty, users, items, types);
    }
}
