package org.lurm.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.backend.Backend;
import org.lurm.events.IdDictionary;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

class PrecomputedEmbedderTest {
    @TempDir
    Path dir;

    /** Random unit rows, some absent, with ids that include non-ASCII text. */
    private static ItemEmbeddings randomEmbeddings(Random rnd, IdDictionary items, int n, int dim, MemoryScope scope) {
        for (int i = 0; i < n; i++) items.add(i % 7 == 3 ? "Amélie-" + i + "-電影" : "item-" + i);
        F32Array v = scope.allocateF32((long) n * dim);
        for (int i = 0; i < n; i++) {
            if (i % 9 == 4) continue; // absent
            for (int j = 0; j < dim; j++) v.set((long) i * dim + j, (float) rnd.nextGaussian());
        }
        return ItemEmbeddings.normalizeInPlace(v, n, dim, "test", new HashMap<>());
    }

    @Test
    void binaryRoundTripIsZeroCopyWhenOrderMatches() throws IOException {
        long seed = TestData.seed("PrecomputedEmbedderTest.binaryRoundTripIsZeroCopyWhenOrderMatches");
        Random rnd = new Random(seed);
        IdDictionary items = new IdDictionary();
        Path file = dir.resolve("emb.lemb");
        try (MemoryScope scope = MemoryScope.root("test"); Backend be = EmbedTestSupport.backend(1)) {
            ItemEmbeddings orig = randomEmbeddings(rnd, items, 40 + rnd.nextInt(40), 1 + rnd.nextInt(20), scope);
            EmbeddingFile.write(file, orig, items);
            float[] expected = orig.vectors().toArray();
            try (EmbeddingFile f = EmbeddingFile.open(file)) {
                assertEquals(items.ids(), f.ids());
                assertEquals(orig.dim(), f.dim());
                assertTrue(f.declaredNormalized());
                assertArrayEquals(expected, f.matrix().toArray());
                ItemEmbeddings back = f.toEmbeddings(items, UnknownItemPolicy.FAIL, true, scope);
                assertEquals(1, back.counter("zeroCopy"));
                assertTrue(back.vectors().segment().isMapped(), "zero-copy rows are the mapping itself");
                assertEquals(0, back.vectors().segment().address() % 64, "matrix is 64-byte aligned");
                assertArrayEquals(expected, back.vectors().toArray());
                assertEquals(orig.presence(), back.presence());
                ItemEmbeddings copied = f.toEmbeddings(items, UnknownItemPolicy.FAIL, false, scope);
                assertFalse(copied.vectors().segment().isMapped());
                assertEquals(orig.presence(), copied.presence());
                for (int i = 0; i < expected.length; i++) assertEquals(expected[i], copied.vectors().get(i), 1e-6f);
                f.close();
                assertThrows(IllegalStateException.class, () -> back.vectors().get(0), "closed mapping must throw, not crash");
                assertArrayEquals(expected, copied.vectors().toArray(), 1e-6f); // the copy outlives the file
            }
            PrecomputedEmbedder p = PrecomputedEmbedder.of(file);
            assertEquals(PrecomputedEmbedder.Format.BINARY, p.format());
            assertEquals(orig.dim(), p.dimension());
            ItemEmbeddings viaEmbedder = p.embed(EmbeddingInput.of(items), be, scope);
            assertEquals(1, viaEmbedder.counter("zeroCopy"));
            assertArrayEquals(expected, viaEmbedder.vectors().toArray());
            ItemEmbeddings noZero = PrecomputedEmbedder.of(file, PrecomputedEmbedder.Options.defaults().withZeroCopy(false)).embed(EmbeddingInput.of(items), be, scope);
            assertEquals(0, noZero.counter("zeroCopy"));
        }
    }

    @Test
    void copiesByIdWhenOrderDiffersAndNormalisesRawRows() {
        long seed = TestData.seed("PrecomputedEmbedderTest.copiesByIdWhenOrderDiffersAndNormalisesRawRows");
        Random rnd = new Random(seed);
        int n = 30, dim = 6;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) ids.add("x" + i);
        Path file = dir.resolve("raw.lemb");
        try (MemoryScope scope = MemoryScope.root("test")) {
            F32Array raw = scope.allocateF32((long) n * dim);
            for (int i = 0; i < n * dim; i++) raw.set(i, (float) (3 * rnd.nextGaussian()));
            EmbeddingFile.write(file, ids, raw, dim);
            List<String> shuffled = new ArrayList<>(ids);
            Collections.shuffle(shuffled, rnd);
            IdDictionary dict = new IdDictionary();
            dict.add("not-in-file");
            for (String id : shuffled) dict.add(id);
            try (EmbeddingFile f = EmbeddingFile.open(file)) {
                assertFalse(f.declaredNormalized());
                ItemEmbeddings e = f.toEmbeddings(dict, UnknownItemPolicy.FAIL, true, scope);
                assertEquals(0, e.counter("zeroCopy"));
                assertEquals(1, e.counter("itemsNotInFile"));
                assertFalse(e.isPresent(0));
                CooccurrenceEmbedderTest.assertUnitOrZero(e);
                for (int r = 0; r < n; r++) {
                    int item = dict.indexOf(ids.get(r));
                    double norm = 0;
                    for (int j = 0; j < dim; j++) norm += (double) raw.get((long) r * dim + j) * raw.get((long) r * dim + j);
                    norm = Math.sqrt(norm);
                    for (int j = 0; j < dim; j++) assertEquals(raw.get((long) r * dim + j) / norm, e.vectors().get((long) item * dim + j), 1e-6);
                }
                // Same order but raw rows: still copied (and normalised), never a non-unit zero-copy view.
                IdDictionary same = new IdDictionary();
                ids.forEach(same::add);
                assertEquals(0, f.toEmbeddings(same, UnknownItemPolicy.FAIL, true, scope).counter("zeroCopy"));

                IdDictionary partial = new IdDictionary();
                for (int i = 1; i < n; i++) partial.add(ids.get(i));
                IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> f.toEmbeddings(partial, UnknownItemPolicy.FAIL, true, scope));
                assertTrue(ex.getMessage().contains("'x0'") && ex.getMessage().contains("row 0"), ex.getMessage());
                ItemEmbeddings skipped = f.toEmbeddings(partial, UnknownItemPolicy.SKIP, true, scope);
                assertEquals(1, skipped.counter("skippedUnknownIds"));
                assertEquals(n - 1, skipped.presentCount());
            }
        }
    }

    /** Every truncation and every corrupted byte before the matrix gives a clear format error, never a crash. */
    @Test
    void corruptAndTruncatedFilesFailCleanly() throws IOException {
        long seed = TestData.seed("PrecomputedEmbedderTest.corruptAndTruncatedFilesFailCleanly");
        Random rnd = new Random(seed);
        Path good = dir.resolve("good.lemb");
        IdDictionary items = new IdDictionary();
        try (MemoryScope scope = MemoryScope.root("test")) {
            EmbeddingFile.write(good, randomEmbeddings(rnd, items, 5, 4, scope), items);
        }
        byte[] bytes = Files.readAllBytes(good);
        long matrixOffset = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(48);
        Path bad = dir.resolve("bad.lemb");
        for (int len = 0; len < bytes.length; len++) {
            Files.write(bad, java.util.Arrays.copyOf(bytes, len));
            expectFormatError(bad, len < 64 ? "too short" : null);
        }
        byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 1);
        Files.write(bad, longer);
        expectFormatError(bad, "trailing");
        for (int pos = 0; pos < matrixOffset; pos++) {
            for (int mask : new int[] {0x01, 0x80, 0xFF}) {
                byte[] b = bytes.clone();
                b[pos] ^= (byte) mask;
                Files.write(bad, b);
                expectFormatError(bad, null);
            }
        }
        // Field checks behind a valid checksum: each names what is wrong.
        expectFormatError(withFields(bad, bytes, bb -> bb.putInt(8, 2)), "version 2");
        expectFormatError(withFields(bad, bytes, bb -> bb.putInt(12, 6)), "flags");
        expectFormatError(withFields(bad, bytes, bb -> bb.putLong(16, 1L << 40)), "row count");
        expectFormatError(withFields(bad, bytes, bb -> bb.putInt(24, 0)), "width 0");
        expectFormatError(withFields(bad, bytes, bb -> bb.putLong(48, matrixOffset + 4)), "multiple of 64");
        expectFormatError(withFields(bad, bytes, bb -> bb.putLong(40, 1L << 40)), "id section length");
        expectFormatError(withFields(bad, bytes, bb -> bb.putLong(16, 6)), "truncated");
        expectFormatError(withFields(bad, bytes, bb -> bb.putInt(64, -5)), "id #0 has length -5");
        expectFormatError(withFields(bad, bytes, bb -> bb.putInt(64, 1 << 30)), "id #0 has length");
        expectFormatError(withFields(bad, bytes, bb -> bb.put(68, (byte) 0xC3).put(69, (byte) 0x28)), "not valid UTF-8");
        int len0 = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(64);
        expectFormatError(withFields(bad, bytes, bb -> { // second id := first id (both "item-0" / "item-1" are 6 bytes)
            for (int k = 0; k < len0; k++) bb.put(64 + 4 + len0 + 4 + k, bb.get(68 + k));
        }), "appears twice");

        // A NaN in the matrix is caught when rows are read, naming the id.
        byte[] nan = bytes.clone();
        ByteBuffer.wrap(nan).order(ByteOrder.LITTLE_ENDIAN).putFloat((int) matrixOffset + 4 * 4 + 8, Float.NaN);
        Files.write(bad, nan);
        try (MemoryScope scope = MemoryScope.root("test"); EmbeddingFile f = EmbeddingFile.open(bad)) {
            EmbeddingFormatException ex = assertThrows(EmbeddingFormatException.class, () -> f.toEmbeddings(items, UnknownItemPolicy.FAIL, true, scope));
            assertTrue(ex.getMessage().contains("'" + items.id(1) + "'"), ex.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> PrecomputedEmbedder.of(dir.resolve("missing.lemb")));
    }

    private static void expectFormatError(Path p, String fragment) {
        try (EmbeddingFile f = EmbeddingFile.open(p)) {
            fail("expected a format error for " + p + ", opened " + f);
        } catch (EmbeddingFormatException e) {
            assertTrue(e.getMessage().startsWith(p.toString()), "message names the file: " + e.getMessage());
            if (fragment != null) assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
        }
    }

    /** Copy of the file with fields changed and the CRC recomputed, so the later checks are reached. */
    private static Path withFields(Path out, byte[] bytes, java.util.function.Consumer<ByteBuffer> edit) throws IOException {
        byte[] b = bytes.clone();
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        edit.accept(bb);
        long idsLen = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(40);
        CRC32C crc = new CRC32C();
        crc.update(b, 0, 56);
        crc.update(b, 64, (int) idsLen);
        bb.putInt(56, (int) crc.getValue());
        Files.write(out, b);
        return out;
    }

    @Test
    void tsvRoundTripAndLineErrors() throws IOException {
        long seed = TestData.seed("PrecomputedEmbedderTest.tsvRoundTripAndLineErrors");
        Random rnd = new Random(seed);
        IdDictionary items = new IdDictionary();
        Path file = dir.resolve("emb.tsv");
        try (MemoryScope scope = MemoryScope.root("test"); Backend be = EmbedTestSupport.backend(1)) {
            ItemEmbeddings orig = randomEmbeddings(rnd, items, 25, 5, scope);
            EmbeddingTsv.write(file, orig, items);
            PrecomputedEmbedder p = PrecomputedEmbedder.of(file);
            assertEquals(PrecomputedEmbedder.Format.TSV, p.format());
            assertEquals(5, p.dimension());
            ItemEmbeddings back = p.embed(EmbeddingInput.of(items), be, scope);
            assertEquals(orig.presence(), back.presence());
            assertArrayEquals(orig.vectors().toArray(), back.vectors().toArray(), 1e-6f);
            assertEquals(25 - orig.presentCount(), back.counter("itemsNotInFile"));

            IdDictionary d = new IdDictionary();
            d.add("a");
            d.add("b");
            Files.writeString(file, "# comment\n\na\t1\t0\r\nzzz\t0\t1\nb\t0\t2\n", StandardCharsets.UTF_8);
            assertThrows(EmbeddingFormatException.class, () -> EmbeddingTsv.read(file, d, UnknownItemPolicy.FAIL, scope));
            ItemEmbeddings ok = EmbeddingTsv.read(file, d, UnknownItemPolicy.SKIP, scope);
            assertEquals(1, ok.counter("skippedUnknownIds"));
            assertArrayEquals(new float[] {0, 1}, ok.vector(1));

            String[][] cases = {
                    {"a\t1\t2\nb\t1\n", "line 2", "1 values"},
                    {"a\t1\t2\nb\t1\t2\t3\n", "line 2", "more than 2"},
                    {"a\t1\tx2\n", "line 1", "'x2' is not a number"},
                    {"a\t1\tNaN\n", "line 1", "not finite"},
                    {"a\t1\t2\n\n#c\na\t3\t4\n", "line 4", "already given on line 1"},
                    {"\t1\t2\n", "line 1", "empty id"},
                    {"a 1 2\n", "line 1", "no TAB"},
                    {"# nothing\n", "no data lines", ""},
            };
            for (String[] c : cases) {
                Files.writeString(file, c[0], StandardCharsets.UTF_8);
                EmbeddingFormatException ex = assertThrows(EmbeddingFormatException.class, () -> EmbeddingTsv.read(file, d, UnknownItemPolicy.FAIL, scope), c[0]);
                assertTrue(ex.getMessage().contains(c[1]) && ex.getMessage().contains(c[2]), "for " + c[0].replace("\n", "\\n") + ": " + ex.getMessage());
            }
            Files.write(file, new byte[] {'a', '\t', (byte) 0xC3, (byte) 0x28, '\n'});
            assertThrows(EmbeddingFormatException.class, () -> EmbeddingTsv.read(file, d, UnknownItemPolicy.FAIL, scope));
        }
    }
}
