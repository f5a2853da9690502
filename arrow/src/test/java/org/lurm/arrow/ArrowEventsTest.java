package org.lurm.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lurm.arrow.ArrowFixtures.dictionary;
import static org.lurm.arrow.ArrowFixtures.encoded;
import static org.lurm.arrow.ArrowFixtures.floats;
import static org.lurm.arrow.ArrowFixtures.ints;
import static org.lurm.arrow.ArrowFixtures.longs;
import static org.lurm.arrow.ArrowFixtures.strings;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMilliVector;
import org.apache.arrow.vector.TimeStampSecTZVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.junit.jupiter.api.Test;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.events.IdDictionary;
import org.lurm.memory.MemoryScope;

/**
 * ArrowEvents wraps the Arrow buffers where the layout is the table's (same address, writes visible, buffers kept
 * alive by the scope, not by the vectors), converts the rest into the same table EventTableBuilder makes, and
 * rejects bad input by column and row. Every allocator is closed at the end of each test: RootAllocator.close()
 * throws on any buffer still held, so a retained buffer that is never released fails the test.
 */
@SuppressWarnings("try")   // scopes are closed early on purpose, to check what closing does
class ArrowEventsTest {
    private static final List<String> USERS = List.of("u1", "u2", "u3");
    private static final List<String> ITEMS = List.of("apple", "pear", "fig", "kiwi");
    private static final List<String> TYPES = List.of("", "click", "buy");
    private static final int[] USER_IDX = {0, 1, 0, 2, 1, 0};
    private static final int[] ITEM_IDX = {3, 0, 1, 1, 2, 0};
    private static final int[] TYPE_IDX = {1, 2, 1, 1, 0, 2};
    private static final long[] TS = {1_600_000_000L, 1_600_000_100L, -5L, 0L, 1_700_000_000L, 1_600_086_400L};
    private static final float[] W = {1f, 0.5f, 2f, 0f, 1f, 3.25f};

    /** The table the delimited readers would make of the same events (first appearance order, types after ""). */
    private static EventTable expected(MemoryScope scope) {
        EventTableBuilder b = new EventTableBuilder();
        for (int i = 0; i < TS.length; i++) b.add(USERS.get(USER_IDX[i]), ITEMS.get(ITEM_IDX[i]), TS[i], W[i], TYPES.get(TYPE_IDX[i]));
        return b.build(scope);
    }

    /** Same events, same ids: the dictionaries may order ids differently, so rows are compared by id. */
    private static void assertSameEvents(EventTable want, EventTable got) {
        assertEquals(want.size(), got.size());
        for (long i = 0; i < want.size(); i++) {
            assertEquals(want.users().id(want.user(i)), got.users().id(got.user(i)), "user of row " + i);
            assertEquals(want.items().id(want.item(i)), got.items().id(got.item(i)), "item of row " + i);
            assertEquals(want.types().id(want.type(i)), got.types().id(got.type(i)), "type of row " + i);
            assertEquals(want.timestamp(i), got.timestamp(i), "timestamp of row " + i);
            assertEquals(want.weight(i), got.weight(i), "weight of row " + i);
        }
    }

    @Test
    void wrapsEveryColumnWhoseLayoutIsTheTables() {
        try (BufferAllocator alloc = new RootAllocator()) {
            List<FieldVector> vectors = new ArrayList<>();
            VarCharVector userDict = strings("user_dict", alloc, USERS), itemDict = strings("item_dict", alloc, ITEMS),
                    typeDict = strings("type_dict", alloc, TYPES);
            IntVector user = encoded("user", 1, alloc, USER_IDX), item = encoded("item", 2, alloc, ITEM_IDX), type = encoded("type", 3, alloc, TYPE_IDX);
            BigIntVector ts = longs("ts", alloc, TS);
            Float4Vector w = floats("w", alloc, W);
            vectors.addAll(List.of(userDict, itemDict, typeDict, user, item, type, ts, w));
            DictionaryProvider dicts = new DictionaryProvider.MapDictionaryProvider(dictionary(1, userDict), dictionary(2, itemDict), dictionary(3, typeDict));
            try (MemoryScope scope = MemoryScope.root("arrow")) {
                EventTable t = ArrowEvents.builder().user(user).item(item).timestamp(ts).weight(w).type(type).dictionaries(dicts).build(scope);
                EventTable want = expected(scope);
                assertSameEvents(want, t);
                assertEquals(USERS, t.users().ids());
                assertEquals(TYPES, t.types().ids());

                // No column was copied: each is the Arrow buffer's memory, at its address.
                assertEquals(user.getDataBuffer().memoryAddress(), t.userColumn().segment().address(), "user column copied");
                assertEquals(item.getDataBuffer().memoryAddress(), t.itemColumn().segment().address(), "item column copied");
                assertEquals(ts.getDataBuffer().memoryAddress(), t.timestampColumn().segment().address(), "timestamp column copied");
                assertEquals(w.getDataBuffer().memoryAddress(), t.weightColumn().segment().address(), "weight column copied");
                assertEquals(type.getDataBuffer().memoryAddress(), t.typeColumn().segment().address(), "type column copied");
                // ... and writes through Arrow are seen by the table.
                ts.set(3, 1_234_567_890L);
                w.set(4, 7.5f);
                item.set(5, 2);
                assertEquals(1_234_567_890L, t.timestamp(3));
                assertEquals(7.5f, t.weight(4));
                assertEquals("fig", t.items().id(t.item(5)));

                // The scope, not the vectors, keeps the memory: closing every vector leaves the table readable.
                long held = alloc.getAllocatedMemory();
                vectors.forEach(FieldVector::close);
                assertTrue(alloc.getAllocatedMemory() > 0 && alloc.getAllocatedMemory() < held, alloc.getAllocatedMemory() + " of " + held);
                assertEquals(1_234_567_890L, t.timestamp(3));
                assertEquals("u3", t.users().id(t.user(3)));
                scope.close();
                assertEquals(0, alloc.getAllocatedMemory(), "closing the scope gives the Arrow buffers back");
                // A closed table throws instead of reading freed memory.
                assertThrows(IllegalStateException.class, () -> t.timestamp(0));
                assertThrows(IllegalStateException.class, () -> t.user(0));
            } finally {
                vectors.forEach(FieldVector::close);
            }
        }
    }

    @Test
    void convertsOtherLayoutsIntoTheScopeAsTheReadersWould() {
        try (BufferAllocator alloc = new RootAllocator(); MemoryScope scope = MemoryScope.root("arrow")) {
            List<String> users = new ArrayList<>(), types = new ArrayList<>();
            int[] items = new int[TS.length];
            for (int i = 0; i < TS.length; i++) {
                users.add(USERS.get(USER_IDX[i]));
                types.add(TYPES.get(TYPE_IDX[i]));
                items[i] = 100 + ITEM_IDX[i];
            }
            try (VarCharVector user = strings("user", alloc, users); IntVector item = ints("item", alloc, items);
                 TimeStampMilliVector ts = new TimeStampMilliVector("ts", alloc); Float8Vector w = new Float8Vector("w", alloc);
                 VarCharVector type = strings("type", alloc, types)) {
                ts.allocateNew(TS.length);
                w.allocateNew(TS.length);
                for (int i = 0; i < TS.length; i++) {
                    ts.set(i, TS[i] * 1000 + (i % 2 == 0 ? 999 : 0));   // milliseconds are floored, also before 1970
                    w.set(i, W[i]);
                }
                ts.setValueCount(TS.length);
                w.setValueCount(TS.length);
                EventTable t = ArrowEvents.builder().user(user).item(item).timestamp(ts).weight(w).type(type).build(scope);
                EventTableBuilder b = new EventTableBuilder();
                for (int i = 0; i < TS.length; i++) b.add(USERS.get(USER_IDX[i]), Integer.toString(100 + ITEM_IDX[i]), TS[i], W[i], TYPES.get(TYPE_IDX[i]));
                EventTable want = b.build(scope);
                assertSameEvents(want, t);
                // Same dictionaries in the same order as the readers make: the same table, index for index.
                assertEquals(want.users().ids(), t.users().ids());
                assertEquals(want.items().ids(), t.items().ids());
                assertEquals(want.types().ids(), t.types().ids());
                assertArrayEquals(want.userColumn().toArray(), t.userColumn().toArray());
                assertArrayEquals(want.timestampColumn().toArray(), t.timestampColumn().toArray());
                assertNotEquals(ts.getDataBuffer().memoryAddress(), t.timestampColumn().segment().address());
            }
            // Without weight and type columns: weight 1, type 0 (""), as the readers do.
            try (VarCharVector user = strings("user", alloc, List.of("a", "b")); VarCharVector item = strings("item", alloc, List.of("x", "x"));
                 TimeStampSecTZVector ts = new TimeStampSecTZVector("ts", alloc, "UTC")) {
                ts.allocateNew(2);
                ts.set(0, 10L);
                ts.set(1, 20L);
                ts.setValueCount(2);
                EventTable t = ArrowEvents.builder().user(user).item(item).timestamp(ts).build(scope);
                assertEquals(ts.getDataBuffer().memoryAddress(), t.timestampColumn().segment().address(), "Timestamp(SECOND) is wrapped");
                assertArrayEquals(new float[] {1f, 1f}, t.weightColumn().toArray());
                assertArrayEquals(new int[] {0, 0}, t.typeColumn().toArray());
                assertEquals(List.of(""), t.types().ids());
                assertEquals(20L, t.timestamp(1));
            }
            scope.close();
        }
    }

    @Test
    void remapsDictionariesThatDoNotLineUp() {
        try (BufferAllocator alloc = new RootAllocator(); MemoryScope scope = MemoryScope.root("arrow");
             VarCharVector userDict = strings("user_dict", alloc, List.of("u1", "u2", "u1", "u3"));   // a repeated entry
             VarCharVector itemDict = strings("item_dict", alloc, ITEMS);
             IntVector user = encoded("user", 1, alloc, 2, 1, 0, 3, 1, 2);
             IntVector item = encoded("item", 2, alloc, ITEM_IDX);
             BigIntVector ts = longs("ts", alloc, TS)) {
            DictionaryProvider dicts = new DictionaryProvider.MapDictionaryProvider(dictionary(1, userDict), dictionary(2, itemDict));
            // Items extend an existing dictionary whose indices must not change: remapped too.
            IdDictionary known = new IdDictionary();
            known.add("kiwi");
            known.add("banana");
            EventTable t = ArrowEvents.builder().user(user).item(item).timestamp(ts).dictionaries(dicts)
                    .idDictionaries(null, known, null).build(scope);
            assertEquals(List.of("u1", "u2", "u3"), t.users().ids());
            assertEquals(List.of("kiwi", "banana", "apple", "pear", "fig"), t.items().ids());
            assertSame(known, t.items());
            assertArrayEquals(new int[] {0, 1, 0, 2, 1, 0}, t.userColumn().toArray());
            for (int i = 0; i < ITEM_IDX.length; i++) assertEquals(ITEMS.get(ITEM_IDX[i]), t.items().id(t.item(i)));
            assertNotEquals(user.getDataBuffer().memoryAddress(), t.userColumn().segment().address());
            assertNotEquals(item.getDataBuffer().memoryAddress(), t.itemColumn().segment().address());
            assertEquals(ts.getDataBuffer().memoryAddress(), t.timestampColumn().segment().address());
            scope.close();
        }
    }

    @Test
    void wrapsColumnsReadFromAnArrowStream() throws Exception {
        // The usual way data arrives from another system: an IPC stream, whose buffers are slices of one body.
        byte[] stream;
        try (BufferAllocator alloc = new RootAllocator()) {
            try (VarCharVector user = strings("user", alloc, Arrays.stream(USER_IDX).mapToObj(USERS::get).toList());
                 VarCharVector item = strings("item", alloc, Arrays.stream(ITEM_IDX).mapToObj(ITEMS::get).toList());
                 BigIntVector ts = longs("ts", alloc, TS); Float4Vector w = floats("weight", alloc, W);
                 VectorSchemaRoot root = VectorSchemaRoot.of(user, item, ts, w)) {
                root.setRowCount(TS.length);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (ArrowStreamWriter writer = new ArrowStreamWriter(root, null, out)) {
                    writer.start();
                    writer.writeBatch();
                    writer.end();
                }
                stream = out.toByteArray();
            }
            try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(stream), alloc)) {
                VectorSchemaRoot root = reader.getVectorSchemaRoot();
                assertTrue(reader.loadNextBatch());
                try (MemoryScope scope = MemoryScope.root("arrow")) {
                    EventTable t = ArrowEvents.builder().user(root.getVector("user")).item(root.getVector("item"))
                            .timestamp(root.getVector("ts")).weight(root.getVector("weight")).build(scope);
                    assertEquals(root.getVector("ts").getDataBuffer().memoryAddress(), t.timestampColumn().segment().address());
                    assertEquals(root.getVector("weight").getDataBuffer().memoryAddress(), t.weightColumn().segment().address());
                    for (int i = 0; i < TS.length; i++) {
                        assertEquals(USERS.get(USER_IDX[i]), t.users().id(t.user(i)));
                        assertEquals(ITEMS.get(ITEM_IDX[i]), t.items().id(t.item(i)));
                        assertEquals(TS[i], t.timestamp(i));
                        assertEquals(W[i], t.weight(i));
                    }
                }
            }
        }
    }

    @Test
    void emptyColumnsMakeAnEmptyTable() {
        try (BufferAllocator alloc = new RootAllocator(); MemoryScope scope = MemoryScope.root("arrow");
             VarCharVector user = strings("user", alloc, List.of()); VarCharVector item = strings("item", alloc, List.of());
             BigIntVector ts = longs("ts", alloc); Float4Vector w = floats("w", alloc)) {
            EventTable t = ArrowEvents.builder().user(user).item(item).timestamp(ts).weight(w).build(scope);
            assertEquals(0, t.size());
            assertEquals(0, t.numUsers());
            scope.close();
        }
    }

    @Test
    void rejectsBadInputByColumnAndRowAndReleasesWhatItTook() {
        try (BufferAllocator alloc = new RootAllocator();
             VarCharVector userDict = strings("user_dict", alloc, List.of("u1", "u2"));
             VarCharVector users = strings("user", alloc, List.of("a", "b", "c"));
             VarCharVector usersWithNull = strings("user", alloc, Arrays.asList("a", null, "c"));
             IntVector encodedUser = encoded("user", 1, alloc, 0, 1, 2);
             IntVector item = ints("item", alloc, 1, 2, 3);
             BigIntVector ts = longs("ts", alloc, 1, 2, 3);
             BigIntVector shortTs = longs("ts", alloc, 1, 2);
             Float4Vector negative = floats("w", alloc, 1f, -1f, 1f);
             Float4Vector nan = floats("w", alloc, 1f, 1f, Float.NaN);
             Float4Vector floatIds = floats("fuser", alloc, 1f, 2f, 3f)) {
            DictionaryProvider dicts = new DictionaryProvider.MapDictionaryProvider(dictionary(1, userDict));
            long before = alloc.getAllocatedMemory();
            Consumer<ArrowEvents.Builder> fails = b -> {
                try (MemoryScope scope = MemoryScope.root("bad")) {
                    assertThrows(IllegalArgumentException.class, () -> b.build(scope));
                }
            };
            assertMessage("user column 'user' has a null at row 1",
                    () -> ArrowEvents.builder().user(usersWithNull).item(item).timestamp(ts));
            assertMessage("weight column 'w', row 1: event weight must be finite and >= 0, got -1.0",
                    () -> ArrowEvents.builder().user(users).item(item).timestamp(ts).weight(negative));
            assertMessage("weight column 'w', row 2: event weight must be finite and >= 0, got NaN",
                    () -> ArrowEvents.builder().user(users).item(item).timestamp(ts).weight(nan));
            assertMessage("user column 'user', row 2: dictionary index 2 outside the dictionary of 2 entries",
                    () -> ArrowEvents.builder().user(encodedUser).item(item).timestamp(ts).dictionaries(dicts));
            assertMessage("is dictionary-encoded (dictionary id 1): pass its DictionaryProvider",
                    () -> ArrowEvents.builder().user(encodedUser).item(item).timestamp(ts));
            assertMessage("timestamp column 'ts' has 2",
                    () -> ArrowEvents.builder().user(users).item(item).timestamp(shortTs));
            assertMessage("user column 'fuser' has Arrow type FloatingPoint(SINGLE); expected Utf8",
                    () -> ArrowEvents.builder().user(floatIds).item(item).timestamp(ts));
            assertMessage("missing: timestamp", () -> ArrowEvents.builder().user(users).item(item));
            fails.accept(ArrowEvents.builder().user(users).item(item).timestamp(floatIds));
            // Failed builds took no lasting reference on any Arrow buffer.
            assertEquals(before, alloc.getAllocatedMemory());
        }
    }

    private static void assertMessage(String part, java.util.function.Supplier<ArrowEvents.Builder> builder) {
        try (MemoryScope scope = MemoryScope.root("bad")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> builder.get().build(scope));
            assertTrue(e.getMessage().contains(part), e.getMessage());
        }
    }
}
