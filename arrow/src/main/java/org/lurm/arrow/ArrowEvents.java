package org.lurm.arrow;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.events.IdDictionary;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.memory.MemoryScope;

/**
 * Builds an {@link EventTable} from Apache Arrow vectors, wrapping the Arrow data buffers as the table's columns
 * wherever their layout is the table's, and converting into the given {@link MemoryScope} where it is not.
 *
 * <pre>{@code
 * try (BufferAllocator allocator = new RootAllocator();
 *      VectorSchemaRoot batch = ...;                                      // user, item, ts columns
 *      MemoryScope scope = MemoryScope.root("events")) {                  // closed before the allocator
 *     EventTable events = ArrowEvents.builder()
 *             .user(batch.getVector("user")).item(batch.getVector("item")).timestamp(batch.getVector("ts"))
 *             .dictionaries(dictionaryProvider)                           // for dictionary-encoded id columns
 *             .build(scope);
 *     ...
 * }
 * }</pre>
 *
 * <h2>What is wrapped, what is copied</h2>
 * <table>
 * <caption>Columns by Arrow type</caption>
 * <tr><th>column</th><th>wrapped (no copy)</th><th>converted into the scope (one pass)</th></tr>
 * <tr><td>user, item, type</td>
 *     <td>dictionary-encoded with {@code Int(32, signed)} indices, when the dictionary's entries, added in order to
 *     the table's {@link IdDictionary}, get the indices 0, 1, 2, ... (always true for a fresh user or item
 *     dictionary whose entries are distinct; for types, whose index 0 is the "no type" entry {@code ""} as in
 *     {@link EventTableBuilder#defaultTypes()}, when the Arrow dictionary starts with {@code ""})</td>
 *     <td>Utf8 and LargeUtf8 (dictionary-encoded here, in order of first appearance, as the delimited readers
 *     do), any integer type (the id is its decimal string: user 42 is {@code "42"}), and dictionary-encoded
 *     columns whose indices are not 32-bit or whose dictionary does not line up (remapped)</td></tr>
 * <tr><td>timestamp (Unix seconds)</td>
 *     <td>Int64 and Timestamp(SECOND), with or without a time zone</td>
 *     <td>Timestamp(MILLISECOND | MICROSECOND | NANOSECOND), floored to seconds as
 *     {@link org.lurm.events.io.TimestampFormat} does, and any other integer type (seconds)</td></tr>
 * <tr><td>weight (optional, default 1)</td><td>Float32</td><td>Float64; absent: a column of 1</td></tr>
 * </table>
 * A column is also converted when the platform is not little-endian or its buffer is not aligned to its element
 * size (neither happens with buffers Arrow Java allocated). Every entry of a dictionary becomes an id of the
 * table, used by a row or not: that is what keeps the indices as they are.
 *
 * <h2>Ownership</h2>
 * A wrapped column <em>is</em> the Arrow buffer's memory: writes through the Arrow vector are visible in the
 * table. To make sure the memory outlives the table, {@link Builder#build} takes one reference on every wrapped
 * Arrow buffer ({@code ReferenceManager.retain()}) and registers its release with {@code scope}: the buffers stay
 * allocated, even after their vectors are closed, until {@code scope} closes; after that every access to the
 * table throws {@link IllegalStateException} (never a crash). So close the scope before the Arrow allocator the
 * vectors came from: an allocator closed first reports the retained buffers as leaked. Converted columns and
 * the dictionaries are the table's own (scope memory and heap). The vectors are not modified.
 *
 * <p>Wrapping views native memory at an address ({@link MemorySegment#reinterpret}), a restricted method of the
 * JDK: run with {@code --enable-native-access=ALL-UNNAMED} (as lurm needs anyway) to keep the JDK from warning.
 * Arrow itself needs {@code --add-opens=java.base/java.nio=ALL-UNNAMED} on JDK 17+.
 *
 * <h2>Checks</h2>
 * Every row is checked once, also for wrapped columns: no nulls (the error names the column and the row), ids
 * within their dictionary, weights finite and {@code >= 0}, all columns of one length.
 *
 * <p><b>Thread-safety.</b> The builder is not thread-safe. The vectors must not be reallocated or written by
 * another thread while {@link Builder#build} runs.
 */
public final class ArrowEvents {
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private ArrowEvents() {
    }

    /** A new builder: set user, item and timestamp, optionally weight, type and dictionaries, then build. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds tables from Arrow vectors; reusable (each build reads the vectors as they are then).
     * <p><b>Thread-safety.</b> Not thread-safe.
     */
    public static final class Builder {
        private FieldVector user, item, timestamp, weight, type;
        private DictionaryProvider dictionaries;
        private IdDictionary users, items, types;

        private Builder() {
        }

        /** The user id column (required). */
        public Builder user(FieldVector v) {
            this.user = Objects.requireNonNull(v, "user");
            return this;
        }

        /** The item id column (required). */
        public Builder item(FieldVector v) {
            this.item = Objects.requireNonNull(v, "item");
            return this;
        }

        /** The timestamp column, Unix seconds or an Arrow timestamp (required). */
        public Builder timestamp(FieldVector v) {
            this.timestamp = Objects.requireNonNull(v, "timestamp");
            return this;
        }

        /** The weight column; null for none (every weight 1). */
        public Builder weight(FieldVector v) {
            this.weight = v;
            return this;
        }

        /** The behaviour type column; null for none (every event has type 0, {@code ""}). */
        public Builder type(FieldVector v) {
            this.type = v;
            return this;
        }

        /** Where the dictionaries of dictionary-encoded columns are looked up (by the field's dictionary id). */
        public Builder dictionaries(DictionaryProvider provider) {
            this.dictionaries = provider;
            return this;
        }

        /**
         * Existing dictionaries to extend, as {@link EventTableBuilder#EventTableBuilder(IdDictionary, IdDictionary,
         * IdDictionary)} takes them, to keep indices stable across loads; null for a fresh one (types: a fresh
         * {@link EventTableBuilder#defaultTypes()}). New ids are added to them. With existing dictionaries a
         * dictionary-encoded column is wrapped only when its dictionary lines up with them.
         */
        public Builder idDictionaries(IdDictionary users, IdDictionary items, IdDictionary types) {
            this.users = users;
            this.items = items;
            this.types = types;
            return this;
        }

        /**
         * The table: wrapped columns stay the Arrow buffers' memory (retained until {@code scope} closes),
         * converted ones are allocated in {@code scope}. See {@link ArrowEvents} for which is which.
         *
         * @throws IllegalArgumentException a required column is missing, columns differ in length, a column has
         *                                  a null, an unsupported type, an id outside its dictionary, or a weight
         *                                  that is negative or not finite (the message names column and row)
         */
        public EventTable build(MemoryScope scope) {
            Objects.requireNonNull(scope, "scope");
            if (user == null || item == null || timestamp == null) {
                throw new IllegalArgumentException("Arrow events need user, item and timestamp columns (missing: "
                        + (user == null ? "user " : "") + (item == null ? "item " : "") + (timestamp == null ? "timestamp" : "").trim() + ")");
            }
            int n = user.getValueCount();
            checkLength("item", item, n);
            checkLength("timestamp", timestamp, n);
            if (weight != null) checkLength("weight", weight, n);
            if (type != null) checkLength("type", type, n);
            IdDictionary u = users != null ? users : new IdDictionary();
            IdDictionary it = items != null ? items : new IdDictionary();
            IdDictionary ty = types != null ? types : EventTableBuilder.defaultTypes();
            Retained retained = new Retained();
            try {
                I32Array userCol = ids("user", user, u, n, retained, scope);
                I32Array itemCol = ids("item", item, it, n, retained, scope);
                I64Array tsCol = timestamps(timestamp, n, retained, scope);
                F32Array wCol = weights(weight, n, retained, scope);
                I32Array typeCol = type == null ? scope.allocateI32(n) : ids("type", type, ty, n, retained, scope);
                EventTable table = new EventTable(userCol, itemCol, tsCol, wCol, typeCol, u, it, ty);
                if (retained.isEmpty()) retained.close();
                else scope.register(retained);
                return table;
            } catch (RuntimeException | Error e) {
                retained.close();
                throw e;
            }
        }

        private I32Array ids(String role, FieldVector v, IdDictionary dict, int n, Retained retained, MemoryScope scope) {
            noNulls(role, v);
            DictionaryEncoding enc = v.getField().getDictionary();
            if (enc != null) return dictionaryIds(role, v, enc, dict, n, retained, scope);
            I32Array out = scope.allocateI32(n);
            if (v instanceof VarCharVector s) {
                for (int i = 0; i < n; i++) out.set(i, dict.add(new String(s.get(i), StandardCharsets.UTF_8)));
            } else if (v instanceof LargeVarCharVector s) {
                for (int i = 0; i < n; i++) out.set(i, dict.add(new String(s.get(i), StandardCharsets.UTF_8)));
            } else if (v instanceof BaseIntVector b) {
                for (int i = 0; i < n; i++) out.set(i, dict.add(Long.toString(b.getValueAsLong(i))));
            } else {
                throw unsupported(role, v, "Utf8, LargeUtf8, an integer type, or a dictionary-encoded column of those");
            }
            return out;
        }

        private I32Array dictionaryIds(String role, FieldVector v, DictionaryEncoding enc, IdDictionary dict, int n, Retained retained,
                                       MemoryScope scope) {
            if (dictionaries == null) {
                throw new IllegalArgumentException(role + " column '" + v.getName() + "' is dictionary-encoded (dictionary id " + enc.getId()
                        + "): pass its DictionaryProvider to ArrowEvents.Builder.dictionaries");
            }
            Dictionary d = dictionaries.lookup(enc.getId());
            if (d == null) {
                throw new IllegalArgumentException(role + " column '" + v.getName() + "': dictionary id " + enc.getId() + " is not in the DictionaryProvider");
            }
            if (!(v instanceof BaseIntVector indices)) throw unsupported(role, v, "integer dictionary indices");
            FieldVector values = d.getVector();
            int entries = values.getValueCount();
            int[] map = new int[entries];
            boolean identity = true;
            for (int j = 0; j < entries; j++) {
                map[j] = values.isNull(j) ? -1 : dict.add(idOf(role, values, j));
                identity &= map[j] == j;
            }
            if (identity && v instanceof IntVector && wrappable(v.getDataBuffer(), I32Array.BYTES)) {
                I32Array col = I32Array.view(retained.wrap(v.getDataBuffer(), (long) n * I32Array.BYTES));
                for (int i = 0; i < n; i++) {
                    int k = col.get(i);
                    if (k < 0 || k >= entries || map[k] < 0) throw badIndex(role, v, i, k, entries);
                }
                return col;
            }
            I32Array out = scope.allocateI32(n);
            for (int i = 0; i < n; i++) {
                long k = indices.getValueAsLong(i);
                if (k < 0 || k >= entries || map[(int) k] < 0) throw badIndex(role, v, i, k, entries);
                out.set(i, map[(int) k]);
            }
            return out;
        }

        private static String idOf(String role, FieldVector values, int j) {
            if (values instanceof VarCharVector s) return new String(s.get(j), StandardCharsets.UTF_8);
            if (values instanceof LargeVarCharVector s) return new String(s.get(j), StandardCharsets.UTF_8);
            if (values instanceof BaseIntVector b) return Long.toString(b.getValueAsLong(j));
            throw new IllegalArgumentException(role + " dictionary '" + values.getName() + "' has Arrow type " + values.getField().getType()
                    + "; expected Utf8, LargeUtf8 or an integer type");
        }

        private static IllegalArgumentException badIndex(String role, FieldVector v, int row, long k, int entries) {
            return new IllegalArgumentException(role + " column '" + v.getName() + "', row " + row + ": dictionary index " + k
                    + (k >= 0 && k < entries ? " is a null dictionary entry" : " outside the dictionary of " + entries + " entries"));
        }

        private static I64Array timestamps(FieldVector v, int n, Retained retained, MemoryScope scope) {
            noNulls("timestamp", v);
            if (v.getField().getDictionary() != null) throw unsupported("timestamp", v, "Int64 or Timestamp, not dictionary-encoded");
            ArrowType t = v.getField().getType();
            boolean seconds = v instanceof BigIntVector
                    || (v instanceof TimeStampVector && ((ArrowType.Timestamp) t).getUnit() == TimeUnit.SECOND);
            if (seconds && wrappable(v.getDataBuffer(), I64Array.BYTES)) {
                return I64Array.view(retained.wrap(v.getDataBuffer(), (long) n * I64Array.BYTES));
            }
            I64Array out = scope.allocateI64(n);
            if (v instanceof TimeStampVector ts) {
                long per = switch (((ArrowType.Timestamp) t).getUnit()) {
                    case SECOND -> 1L;
                    case MILLISECOND -> 1_000L;
                    case MICROSECOND -> 1_000_000L;
                    case NANOSECOND -> 1_000_000_000L;
                };
                for (int i = 0; i < n; i++) out.set(i, Math.floorDiv(ts.get(i), per));
            } else if (v instanceof BaseIntVector b) {
                for (int i = 0; i < n; i++) out.set(i, b.getValueAsLong(i));
            } else {
                throw unsupported("timestamp", v, "Int64 (Unix seconds), another integer type (seconds) or Timestamp");
            }
            return out;
        }

        private static F32Array weights(FieldVector v, int n, Retained retained, MemoryScope scope) {
            if (v == null) {
                F32Array ones = scope.allocateF32(n);
                ones.fill(1f);
                return ones;
            }
            noNulls("weight", v);
            if (v.getField().getDictionary() != null) throw unsupported("weight", v, "Float32 or Float64, not dictionary-encoded");
            F32Array col;
            if (v instanceof Float4Vector && wrappable(v.getDataBuffer(), F32Array.BYTES)) {
                col = F32Array.view(retained.wrap(v.getDataBuffer(), (long) n * F32Array.BYTES));
            } else if (v instanceof Float4Vector f) {
                col = scope.allocateF32(n);
                for (int i = 0; i < n; i++) col.set(i, f.get(i));
            } else if (v instanceof Float8Vector f) {
                col = scope.allocateF32(n);
                for (int i = 0; i < n; i++) col.set(i, (float) f.get(i));
            } else {
                throw unsupported("weight", v, "Float32 or Float64");
            }
            for (int i = 0; i < n; i++) {
                float w = col.get(i);
                if (!(w >= 0) || Float.isInfinite(w)) {
                    throw new IllegalArgumentException("weight column '" + v.getName() + "', row " + i + ": event weight must be finite and >= 0, got " + w);
                }
            }
            return col;
        }

        private static boolean wrappable(ArrowBuf buf, int elementBytes) {
            return LITTLE_ENDIAN && buf.memoryAddress() % elementBytes == 0;
        }

        private static void checkLength(String role, FieldVector v, int n) {
            if (v.getValueCount() != n) {
                throw new IllegalArgumentException("Arrow event columns differ in length: user has " + n + " rows, " + role + " column '"
                        + v.getName() + "' has " + v.getValueCount());
            }
        }

        private static void noNulls(String role, FieldVector v) {
            if (v.getNullCount() == 0) return;
            int n = v.getValueCount();
            for (int i = 0; i < n; i++) {
                if (v.isNull(i)) {
                    throw new IllegalArgumentException(role + " column '" + v.getName() + "' has a null at row " + i
                            + " (" + v.getNullCount() + " nulls in all); events need every field");
                }
            }
        }

        private static IllegalArgumentException unsupported(String role, FieldVector v, String expected) {
            return new IllegalArgumentException(role + " column '" + v.getName() + "' has Arrow type " + v.getField().getType()
                    + (v.getField().getDictionary() != null ? " (dictionary-encoded)" : "") + "; expected " + expected);
        }
    }

    /**
     * The Arrow buffers behind a table's wrapped columns: one reference taken on each, and the views of their
     * memory in an arena of their own. Closing (with the owning scope) closes the arena first, so later access
     * to the views throws, then gives the references back. Idempotent.
     */
    static final class Retained implements AutoCloseable {
        private final Arena arena = Arena.ofShared();
        private final List<ArrowBuf> buffers = new ArrayList<>();
        private boolean closed;

        @SuppressWarnings("restricted")   // the point of this class: a view of Arrow's memory, its lifetime checked by our arena
        synchronized MemorySegment wrap(ArrowBuf buf, long byteSize) {
            if (byteSize > buf.capacity()) {
                throw new IllegalArgumentException("Arrow buffer of " + buf.capacity() + " bytes is smaller than its " + byteSize + " bytes of values");
            }
            buf.getReferenceManager().retain();
            buffers.add(buf);
            return MemorySegment.ofAddress(buf.memoryAddress()).reinterpret(byteSize, arena, null);
        }

        synchronized boolean isEmpty() {
            return buffers.isEmpty();
        }

        @Override
        public void close() {
            List<ArrowBuf> toRelease;
            synchronized (this) {
                if (closed) return;
                closed = true;
                toRelease = new ArrayList<>(buffers);
                buffers.clear();
            }
            arena.close();
            for (ArrowBuf b : toRelease) b.getReferenceManager().release();
        }

        @Override
        public String toString() {
            return "ArrowEvents.Retained[" + buffers.size() + " Arrow buffers" + (closed ? ", released" : "") + "]";
        }
    }
}
