package org.lurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.memory.MemoryScope;
import org.lurm.model.Json;
import org.lurm.model.ModelFile;
import org.lurm.ModelFormatException;
import org.lurm.model.TensorSource;
import org.lurm.testing.TinyModel;

/**
 * Issue 12, item 8: a model file whose container is intact (every checksum right) but whose JSON header is not a
 * consistent model must fail with a {@link ModelFormatException} that names the file, whatever field is wrong.
 * Before the fix, 15 of 28 such headers gave a bare JsonException or IllegalArgumentException without the
 * file's name.
 */
class LurmModelFaultsTest {
    @TempDir
    Path dir;

    /** A header edit: the description, and what it does to the parsed header. */
    record Edit(String what, Consumer<Map<String, Object>> edit) {
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> obj(Map<String, Object> h, String key) {
        return (Map<String, Object>) h.get(key);
    }

    @SuppressWarnings("unchecked")
    private static List<Object> arr(Map<String, Object> h, String key) {
        return (List<Object>) h.get(key);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> scale0(Map<String, Object> h) {
        return (Map<String, Object>) arr(obj(h, "boi"), "scales").get(0);
    }

    static List<Edit> edits() {
        List<Edit> e = new ArrayList<>();
        for (String k : List.of("format", "version", "boi", "numInterests", "centroidDim", "smen", "items")) {
            e.add(new Edit("no " + k, h -> h.remove(k)));
        }
        e.add(new Edit("format of another file", h -> h.put("format", "lurm-smen")));
        e.add(new Edit("format a number", h -> h.put("format", 3L)));
        e.add(new Edit("version 2", h -> h.put("version", 2L)));
        e.add(new Edit("version a string", h -> h.put("version", "1")));
        e.add(new Edit("version 1.5", h -> h.put("version", 1.5)));
        e.add(new Edit("boi an array", h -> h.put("boi", new ArrayList<>())));
        e.add(new Edit("no scales", h -> obj(h, "boi").remove("scales")));
        e.add(new Edit("no scale at all", h -> obj(h, "boi").put("scales", new ArrayList<>())));
        e.add(new Edit("a scale that is a number", h -> arr(obj(h, "boi"), "scales").set(0, 5L)));
        e.add(new Edit("tMax 0", h -> scale0(h).put("tMax", 0L)));
        e.add(new Edit("negative period", h -> scale0(h).put("periodSeconds", -86400L)));
        e.add(new Edit("scale without name", h -> scale0(h).remove("name")));
        e.add(new Edit("no origin", h -> obj(h, "boi").remove("origin")));
        e.add(new Edit("type weights a string", h -> obj(h, "boi").put("typeWeights", "x")));
        e.add(new Edit("a null type weight", h -> {
            List<Object> l = new ArrayList<>();
            l.add(null);
            obj(h, "boi").put("typeWeights", l);
        }));
        e.add(new Edit("negative type weight", h -> obj(h, "boi").put("typeWeights", List.of(-1.0))));
        e.add(new Edit("K 0", h -> h.put("numInterests", 0L)));
        e.add(new Edit("K -1", h -> h.put("numInterests", -1L)));
        e.add(new Edit("K one more than the tensors", h -> h.put("numInterests", (long) TinyModel.K + 1)));
        e.add(new Edit("K beyond an int", h -> h.put("numInterests", 1L << 31)));
        e.add(new Edit("centroid dim 0", h -> h.put("centroidDim", 0L)));
        e.add(new Edit("centroid dim huge", h -> h.put("centroidDim", 1L << 30)));
        e.add(new Edit("smen an array", h -> h.put("smen", new ArrayList<>())));
        e.add(new Edit("0 anchors", h -> obj(h, "smen").put("anchors", 0L)));
        e.add(new Edit("no h", h -> obj(h, "smen").remove("h")));
        e.add(new Edit("h a billion", h -> obj(h, "smen").put("h", 1_000_000_000L)));
        e.add(new Edit("headHidden and headOut huge", h -> {
            obj(h, "smen").put("headHidden", 1L << 30);
            obj(h, "smen").put("headOut", 1L << 30);
        }));
        e.add(new Edit("negative tau", h -> obj(h, "smen").put("tau", -1.0)));
        e.add(new Edit("one recency bucket", h -> obj(h, "smen").put("recencyBuckets", 1L)));
        e.add(new Edit("items an object", h -> h.put("items", new LinkedHashMap<>())));
        e.add(new Edit("an item twice", h -> arr(h, "items").set(1, arr(h, "items").get(0))));
        e.add(new Edit("one item fewer", h -> arr(h, "items").removeLast()));
        e.add(new Edit("two items repeated at the end (the count of distinct ids still fits)", h -> {
            // found by the fuzzer: 12 ids of which 10 distinct once loaded silently
            List<Object> items = arr(h, "items");
            items.add(items.get(7));
            items.add(items.get(8));
            items.add(items.get(9));
            items.remove(9);
        }));
        e.add(new Edit("an item id a number", h -> arr(h, "items").set(2, 17L)));
        e.add(new Edit("a null item id", h -> arr(h, "items").set(3, null)));
        return e;
    }

    private static List<TensorSource> tensorsOf(Path valid) {
        try (MemoryScope s = MemoryScope.root("read")) {
            ModelFile f = ModelFile.open(valid, s);
            return List.of(TensorSource.of("itemInterest", f.i32("itemInterest").toArray(), TinyModel.ITEMS),
                    TensorSource.of("centroids", f.f32("centroids").toArray(), TinyModel.K, TinyModel.CENTROID_DIM),
                    TensorSource.of("smen.params", f.f32("smen.params").toArray(), f.tensor("smen.params").shape()),
                    TensorSource.of("smen.idf", f.f32("smen.idf").toArray(), TinyModel.K),
                    TensorSource.of("smen.reference", f.i64("smen.reference").toArray(), 2));
        }
    }

    private static String describe(Throwable t) {
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    @Test
    void everyCraftedHeaderFailsNamingTheFile() throws Exception {
        Path valid = dir.resolve("valid.lurm");
        TinyModel.write(valid, 1);
        try (MemoryScope s = MemoryScope.root("load")) {
            LurmModel.load(valid, s); // the unedited model loads
        }
        String header;
        try (MemoryScope s = MemoryScope.root("h")) {
            header = ModelFile.open(valid, s).header();
        }
        List<TensorSource> tensors = tensorsOf(valid);
        List<String> bad = new ArrayList<>();
        List<Edit> edits = edits();
        assertTrue(edits.size() >= 28, "at least the issue's 28 crafted headers");
        for (int i = 0; i < edits.size(); i++) {
            Edit e = edits.get(i);
            Map<String, Object> h = Json.parseObject(header);
            e.edit().accept(h);
            Path f = dir.resolve("crafted-" + i + ".lurm");
            ModelFile.write(f, Json.write(h), tensors);
            try (MemoryScope s = MemoryScope.root("load")) {
                LurmModel.load(f, s);
                bad.add(e.what() + ": loaded");
            } catch (ModelFormatException x) {
                if (!x.getMessage().startsWith(f + ": ")) bad.add(e.what() + ": " + describe(x));
                if (!f.equals(x.file())) bad.add(e.what() + ": file() is " + x.file());
            } catch (RuntimeException x) {
                bad.add(e.what() + ": " + describe(x));
            }
        }
        assertEquals(List.of(), bad, "headers not refused with a ModelFormatException naming the file");
    }

    @Test
    void craftedTensorsFailNamingTheFile() throws Exception {
        Path valid = dir.resolve("valid.lurm");
        TinyModel.write(valid, 2);
        String header;
        try (MemoryScope s = MemoryScope.root("h")) {
            header = ModelFile.open(valid, s).header();
        }
        List<TensorSource> good = tensorsOf(valid);
        int[] outOfRange = new int[TinyModel.ITEMS];
        outOfRange[4] = TinyModel.K;
        List<List<TensorSource>> variants = List.of(
                List.of(good.get(0), good.get(1), good.get(2), good.get(3)), // no smen.reference
                List.of(TensorSource.of("itemInterest", outOfRange, TinyModel.ITEMS), good.get(1), good.get(2), good.get(3), good.get(4)),
                List.of(TensorSource.of("itemInterest", new float[TinyModel.ITEMS], TinyModel.ITEMS), good.get(1), good.get(2), good.get(3), good.get(4)),
                List.of(good.get(0), good.get(1), TensorSource.of("smen.params", new float[3], 3), good.get(3), good.get(4)),
                List.of(good.get(0), TensorSource.of("centroids", new float[2], 2), good.get(2), good.get(3), good.get(4)));
        for (int i = 0; i < variants.size(); i++) {
            Path f = dir.resolve("tensors-" + i + ".lurm");
            ModelFile.write(f, header, variants.get(i));
            try (MemoryScope s = MemoryScope.root("load")) {
                LurmModel.load(f, s);
                fail("variant " + i + " loaded");
            } catch (ModelFormatException x) {
                assertTrue(x.getMessage().startsWith(f + ": "), x.getMessage());
            }
        }
    }

    @Test
    void aFolderIsNotAModel() throws Exception {
        Path folder = Files.createDirectory(dir.resolve("model.lurm"));
        try (MemoryScope s = MemoryScope.root("load")) {
            UncheckedIOException e = org.junit.jupiter.api.Assertions.assertThrows(UncheckedIOException.class, () -> LurmModel.load(folder, s));
            assertTrue(e.getCause() instanceof FileSystemException, e.toString());
            assertEquals(folder + ": is a folder, not a model file", e.getCause().getMessage());
        }
    }
}
