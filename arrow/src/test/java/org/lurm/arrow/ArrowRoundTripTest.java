package org.lurm.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.util.ValueVectorUtility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.BagOfInterests;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiSet;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.events.io.DelimitedEventReader;
import org.lurm.events.io.DelimitedFormat;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.smen.Smen;
import org.lurm.SmenConfig;

/**
 * The whole path from Arrow: events as Arrow vectors (items dictionary-encoded, timestamps and weights wrapped
 * without a copy) -> EventTable -> BoI fit and SMEN training and encoding -> representations as an Arrow batch,
 * gives exactly the representations of the same events read from CSV, user for user, float for float.
 */
class ArrowRoundTripTest {
    private static final int USERS = 120, ITEMS = 60, GROUPS = 5;
    private static final long START = 1_500_000_000L, SPAN = 2 * 365 * 86_400L;

    /** One generated event. */
    private record Event(String user, String item, long ts, float weight, String type) {
    }

    /** Users with one or two favourite item groups, 15-45 events each over two years, in user order. */
    private static List<Event> generate(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Event> out = new ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            int g1 = r.nextInt(GROUPS), g2 = r.nextInt(GROUPS);
            int n = 15 + r.nextInt(31);
            for (int e = 0; e < n; e++) {
                int g = r.nextInt(10) < 8 ? (e % 2 == 0 ? g1 : g2) : r.nextInt(GROUPS);
                int item = g * (ITEMS / GROUPS) + r.nextInt(ITEMS / GROUPS);
                boolean buy = r.nextInt(5) == 0;
                out.add(new Event("user-" + u, "item-" + item, START + r.nextLong(SPAN), buy ? 2f : 1f, buy ? "buy" : "view"));
            }
        }
        return out;
    }

    /** Fit Stage 1, train a small SMEN, encode every user: users x width floats in {@code scope}. */
    private static F32Array fitAndEncode(EventTable events, Backend backend, Parallel par, MemoryScope scope, int[] width) {
        BagOfInterests.Config cfg = BagOfInterests.Config.defaults().withDim(16).withInterests(12);
        cfg = cfg.withBoi(cfg.boi().withLenient(true));
        BagOfInterests boi = BagOfInterests.fit(events, null, cfg, backend, scope, null);
        BoiSet rows = boi.aggregate(events, backend, scope);
        SmenConfig smenCfg = SmenConfig.builder().h(16).anchors(2).anchorDim(4).recencyBuckets(8).headHidden(8).headOut(8)
                .warmupSteps(2).maxSteps(8).batchUsers(32).heldOutFraction(0).seed(3L).build();
        Smen smen = Smen.train(rows, boi.interests().centroids(), boi.embeddings().dim(), smenCfg, par, null, null, 0);
        width[0] = smen.width();
        return smen.encode(rows, par, scope);
    }

    @Test
    void arrowInAndOutEqualsTheCsvPath(@TempDir Path dir) throws IOException {
        List<Event> events = generate(14L);
        Path csv = dir.resolve("events.csv");
        try (Writer w = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
            w.write("user,item,ts,weight,type\n");
            for (Event e : events) w.write(e.user + "," + e.item + "," + e.ts + "," + e.weight + "," + e.type + "\n");
        }
        try (BufferAllocator alloc = new RootAllocator();     // closed last: it throws if anything is left allocated
             MemoryScope scope = MemoryScope.root("roundtrip");
             Backend backend = Backends.create();
             Parallel par = new Parallel(2)) {
            // The CSV path, as the README shows it.
            EventTableBuilder b = new EventTableBuilder();
            DelimitedEventReader.builder().format(DelimitedFormat.csv()).user("user").item("item").timestamp("ts")
                    .weight("weight").type("type").build().read(csv, b);
            EventTable fromCsv = b.build(scope);
            int[] csvWidth = new int[1];
            F32Array zCsv = fitAndEncode(fromCsv, backend, par, scope, csvWidth);

            // The Arrow path: users as strings, items dictionary-encoded (dictionary in order of first appearance,
            // as a writer that encodes while it goes makes it), timestamps Int64 seconds, weights Float32.
            int n = events.size();
            Map<String, Integer> itemIndex = new LinkedHashMap<>();
            for (Event e : events) itemIndex.putIfAbsent(e.item, itemIndex.size());
            try (VarCharVector user = ArrowFixtures.strings("user", alloc, events.stream().map(Event::user).toList());
                 VarCharVector itemDict = ArrowFixtures.strings("item_dict", alloc, new ArrayList<>(itemIndex.keySet()));
                 IntVector item = ArrowFixtures.encoded("item", 7, alloc, events.stream().mapToInt(e -> itemIndex.get(e.item)).toArray());
                 BigIntVector ts = ArrowFixtures.longs("ts", alloc, events.stream().mapToLong(Event::ts).toArray());
                 Float4Vector weight = new Float4Vector("weight", alloc);
                 VarCharVector type = ArrowFixtures.strings("type", alloc, events.stream().map(Event::type).toList())) {
                weight.allocateNew(n);
                for (int i = 0; i < n; i++) weight.set(i, events.get(i).weight);
                weight.setValueCount(n);
                DictionaryProvider dicts = new DictionaryProvider.MapDictionaryProvider(ArrowFixtures.dictionary(7, itemDict));

                try (MemoryScope arrowScope = MemoryScope.root("arrow-events")) {   // closed before the vectors' allocator
                    EventTable fromArrow = ArrowEvents.builder().user(user).item(item).timestamp(ts).weight(weight).type(type)
                            .dictionaries(dicts).build(arrowScope);
                    assertEquals(item.getDataBuffer().memoryAddress(), fromArrow.itemColumn().segment().address(), "item column copied");
                    assertEquals(ts.getDataBuffer().memoryAddress(), fromArrow.timestampColumn().segment().address(), "timestamp column copied");
                    assertEquals(weight.getDataBuffer().memoryAddress(), fromArrow.weightColumn().segment().address(), "weight column copied");
                    // The same table as the reader's, index for index.
                    assertEquals(fromCsv.users().ids(), fromArrow.users().ids());
                    assertEquals(fromCsv.items().ids(), fromArrow.items().ids());
                    assertEquals(fromCsv.types().ids(), fromArrow.types().ids());

                    int[] width = new int[1];
                    F32Array z = fitAndEncode(fromArrow, backend, par, arrowScope, width);
                    assertEquals(csvWidth[0], width[0]);
                    try (VectorSchemaRoot out = ArrowEmbeddings.toArrow(z, width[0], fromArrow.users(), alloc)) {
                        // validateFull of a FixedSizeListVector throws in Arrow Java 19 (it asks for an offset
                        // buffer): the structure as a whole, the data of each leaf.
                        ValueVectorUtility.validate(out);
                        assertEquals(USERS, out.getRowCount());
                        VarCharVector ids = (VarCharVector) out.getVector(ArrowEmbeddings.USER_COLUMN);
                        FixedSizeListVector emb = (FixedSizeListVector) out.getVector(ArrowEmbeddings.EMBEDDING_COLUMN);
                        Float4Vector values = (Float4Vector) emb.getDataVector();
                        ValueVectorUtility.validateFull(ids);
                        ValueVectorUtility.validateFull(values);
                        assertEquals(0, emb.getNullCount());
                        assertEquals(0, values.getNullCount());
                        assertEquals(width[0], emb.getListSize());
                        for (int u = 0; u < USERS; u++) {
                            String id = new String(ids.get(u), StandardCharsets.UTF_8);
                            int csvRow = fromCsv.users().indexOf(id);
                            float[] want = new float[width[0]], got = new float[width[0]];
                            zCsv.copyTo((long) csvRow * width[0], want, 0, width[0]);
                            for (int j = 0; j < width[0]; j++) got[j] = values.get(u * width[0] + j);
                            assertArrayEquals(want, got, "representation of " + id);
                        }
                        // Not equal by being trivial: the users' representations differ from one another.
                        java.util.Set<Float> firsts = new java.util.HashSet<>();
                        for (int u = 0; u < USERS; u++) firsts.add(values.get(u * width[0]));
                        assertTrue(firsts.size() > USERS / 2, firsts.size() + " distinct first floats of " + USERS + " users");
                    }
                }
            }
        }
    }
}
