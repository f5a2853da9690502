package org.lurm.model;

import org.lurm.ModelFormatException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

class ModelFileTest {
    private static final int FUZZ_TRIALS = 1000;
    @TempDir
    Path dir;

    /** What a test wrote: the expected element bits of each tensor, by name. */
    record Expected(String name, DType dtype, long[] shape, long[] bits) {
    }

    /** Random tensors of every type (some empty, some scalars), half from heap arrays, half off-heap in scope. */
    static List<Expected> randomTensors(Random rnd, int count, int maxDim, List<TensorSource> sources, MemoryScope scope) {
        List<Expected> out = new ArrayList<>();
        for (int t = 0; t < count; t++) {
            DType dt = DType.values()[rnd.nextInt(3)];
            int rank = rnd.nextInt(4);
            long[] shape = new long[rank];
            long n = 1;
            for (int d = 0; d < rank; d++) {
                shape[d] = rnd.nextInt(6) == 0 ? 0 : 1 + rnd.nextInt(maxDim);
                n *= shape[d];
            }
            String name = (rnd.nextBoolean() ? "interest/V" : "Ä€ß中😀") + "." + t; // unicode names
            long[] bits = new long[(int) n];
            boolean heap = rnd.nextBoolean();
            switch (dt) {
                case F32 -> {
                    float[] a = new float[(int) n];
                    for (int i = 0; i < n; i++) {
                        a[i] = Float.intBitsToFloat(rnd.nextInt()); // any bits, NaN payloads included
                        bits[i] = Float.floatToRawIntBits(a[i]);
                    }
                    sources.add(heap ? TensorSource.of(name, a, shape) : TensorSource.of(name, scope.copyOf(a), shape));
                }
                case I32 -> {
                    int[] a = new int[(int) n];
                    for (int i = 0; i < n; i++) bits[i] = a[i] = rnd.nextInt();
                    sources.add(heap ? TensorSource.of(name, a, shape) : TensorSource.of(name, scope.copyOf(a), shape));
                }
                case I64 -> {
                    long[] a = new long[(int) n];
                    for (int i = 0; i < n; i++) bits[i] = a[i] = rnd.nextLong();
                    sources.add(heap ? TensorSource.of(name, a, shape) : TensorSource.of(name, scope.copyOf(a), shape));
                }
            }
            out.add(new Expected(name, dt, shape, bits));
        }
        return out;
    }

    static String randomHeader(Random rnd) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", "lurm-model");
        m.put("config", JsonTest.randomValue(rnd, 2));
        m.put("provenance", JsonTest.randomString(rnd) + " – données 数据 🚀");
        m.put("interests", List.of("Action|Adventure", "Comédie", "\"quoted\"\n"));
        return rnd.nextBoolean() ? Json.writePretty(m) : Json.write(m);
    }

    static void assertContents(ModelFile mf, String header, List<Expected> expected) {
        assertEquals(header, mf.header());
        assertEquals(Json.parse(header), mf.headerJson());
        assertEquals(expected.size(), mf.tensors().size());
        for (int i = 0; i < expected.size(); i++) {
            Expected e = expected.get(i);
            TensorInfo t = mf.tensors().get(i);
            assertEquals(e.name(), t.name(), "table keeps write order");
            assertEquals(e.dtype(), t.dtype());
            assertArrayEquals(e.shape(), t.shape());
            assertEquals(0, t.offset() % ModelFile.ALIGNMENT, "tensor offset aligned");
            assertEquals(0, mf.segment(e.name()).address() % ModelFile.ALIGNMENT, "mapped tensor aligned in memory");
            long[] got = new long[e.bits().length];
            switch (e.dtype()) {
                case F32 -> {
                    F32Array a = mf.f32(e.name());
                    assertEquals(got.length, a.length());
                    for (int j = 0; j < got.length; j++) got[j] = Float.floatToRawIntBits(a.get(j));
                }
                case I32 -> {
                    I32Array a = mf.i32(e.name());
                    assertEquals(got.length, a.length());
                    for (int j = 0; j < got.length; j++) got[j] = a.get(j);
                }
                case I64 -> {
                    I64Array a = mf.i64(e.name());
                    assertEquals(got.length, a.length());
                    for (int j = 0; j < got.length; j++) got[j] = a.get(j);
                }
            }
            assertArrayEquals(e.bits(), got, "data of " + e.name());
        }
    }

    @Test
    void roundTripsRandomHeadersAndTensors() throws IOException {
        long seed = TestData.seed("ModelFileTest.roundTripsRandomHeadersAndTensors");
        Random rnd = new Random(seed);
        for (int trial = 0; trial < 40; trial++) {
            Path p = dir.resolve("model-" + trial + ".lurm");
            try (MemoryScope scope = MemoryScope.root("test")) {
                List<TensorSource> sources = new ArrayList<>();
                List<Expected> expected = randomTensors(rnd, rnd.nextInt(7), trial < 30 ? 9 : 70, sources, scope);
                String header = randomHeader(rnd);
                ModelFile.write(p, header, sources);
                for (ModelFile.Verification v : ModelFile.Verification.values()) {
                    ModelFile mf = ModelFile.open(p, scope, v);
                    assertContents(mf, header, expected);
                    assertEquals(Files.size(p), mf.fileSize());
                }
            }
        }
        assertEquals(40, listDir().size(), "no temporary files left behind");
    }

    @Test
    void readsTheDocumentedByteLayout() throws IOException {
        Path p = dir.resolve("layout.lurm");
        ModelFile.write(p, "{\"a\":1}", List.of(TensorSource.of("x", new int[] {7, 8}, 2), TensorSource.of("s", new long[] {-1}), TensorSource.of("e", new float[0], 0, 3)));
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[8];
        b.get(magic);
        assertArrayEquals(new byte[] {(byte) 0x89, 'L', 'U', 'R', 'M', '\r', '\n', 0x1A}, magic);
        assertEquals(1, b.getInt(8));
        assertEquals(0, b.getInt(12));
        assertEquals(64, b.getLong(16));
        assertEquals(7, b.getLong(24));
        assertEquals(71, b.getLong(32));
        assertEquals(3, b.getInt(48));
        assertEquals("{\"a\":1}", new String(b.array(), 64, 7, StandardCharsets.UTF_8));
        List<Raw> t = rawTable(b.array());
        assertEquals(List.of("x", "s", "e"), t.stream().map(r -> r.name).toList());
        long tableEnd = 71 + b.getLong(40);
        assertEquals((tableEnd + 63) / 64 * 64, t.get(0).offset);
        assertEquals(7, b.getInt((int) t.get(0).offset));
        assertEquals(8, b.getInt((int) t.get(0).offset + 4));
        assertEquals(t.get(0).offset + 64, t.get(1).offset, "next tensor at the next multiple of 64");
        assertEquals(0, t.get(1).dims.length, "scalar has rank 0");
        assertEquals(-1L, b.getLong((int) t.get(1).offset));
        assertEquals(t.get(1).offset + 64, t.get(2).offset);
        assertEquals(b.capacity(), t.get(2).offset, "file ends at the (empty) last tensor");
        CRC32C c = new CRC32C();
        c.update(new byte[] {7, 0, 0, 0, 8, 0, 0, 0});
        assertEquals((int) c.getValue(), t.get(0).crc);
    }

    @Test
    void everyTruncationIsRejected() throws IOException {
        long seed = TestData.seed("ModelFileTest.everyTruncationIsRejected");
        Random rnd = new Random(seed);
        byte[] full = smallFile(rnd);
        Path p = dir.resolve("cut.lurm");
        try (MemoryScope scope = MemoryScope.root("test")) {
            for (int len = 0; len < full.length; len++) {
                Files.write(p, Arrays.copyOf(full, len));
                for (ModelFile.Verification v : ModelFile.Verification.values()) {
                    final int l = len;
                    ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFile.open(p, scope, v), "prefix of " + l + " bytes");
                    assertTrue(e.getMessage().startsWith(p.toString()), "message names the file: " + e.getMessage());
                }
            }
            Files.write(p, full);
            ModelFile.open(p, scope);
            byte[] longer = Arrays.copyOf(full, full.length + 1 + rnd.nextInt(100));
            Files.write(p, longer);
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFile.open(p, scope));
            assertTrue(e.getMessage().contains("trailing bytes"), e.getMessage());
        }
    }

    @Test
    void everySingleByteCorruptionIsDetected() throws IOException {
        long seed = TestData.seed("ModelFileTest.everySingleByteCorruptionIsDetected");
        Random rnd = new Random(seed);
        byte[] full = smallFile(rnd);
        Path p = dir.resolve("bad.lurm");
        try (MemoryScope scope = MemoryScope.root("test")) {
            for (int pos = 0; pos < full.length; pos++) {
                byte[] f = full.clone();
                f[pos] ^= (byte) (1 + rnd.nextInt(255));
                Files.write(p, f);
                final int at = pos;
                assertThrows(ModelFormatException.class, () -> ModelFile.open(p, scope), "corrupted byte " + at);
            }
        }
    }

    @Test
    void onAccessVerificationCatchesCorruptTensorsWhenTheyAreAskedFor() throws IOException {
        Path p = dir.resolve("lazy.lurm");
        ModelFile.write(p, "{}", List.of(TensorSource.of("good", new float[] {1, 2, 3}, 3), TensorSource.of("bad", new int[] {4, 5}, 2)));
        byte[] f = Files.readAllBytes(p);
        Raw bad = rawTable(f).get(1);
        f[(int) bad.offset + 5] ^= 0x40;
        Files.write(p, f);
        try (MemoryScope scope = MemoryScope.root("test")) {
            assertThrows(ModelFormatException.class, () -> ModelFile.open(p, scope));
            ModelFile mf = ModelFile.open(p, scope, ModelFile.Verification.ON_ACCESS);
            assertEquals(2f, mf.f32("good").get(1));
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> mf.i32("bad"));
            assertTrue(e.getMessage().contains("'bad' is corrupt"), e.getMessage());
            assertThrows(ModelFormatException.class, mf::verify);
        }
    }

    @Test
    void wrongMagicAndVersionAreNamed() throws IOException {
        Path p = dir.resolve("v.lurm");
        ModelFile.write(p, "{}", List.of(TensorSource.of("a", new float[] {1}, 1)));
        byte[] good = Files.readAllBytes(p);
        try (MemoryScope scope = MemoryScope.root("test")) {
            for (int version : new int[] {0, 2, -1, 1 << 24}) {
                byte[] f = good.clone();
                ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt(8, version);
                resealPreamble(f);
                Files.write(p, f);
                ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFile.open(p, scope));
                assertTrue(e.getMessage().contains("version " + version), e.getMessage());
                if (version > 1) assertTrue(e.getMessage().contains("newer"), e.getMessage());
            }
            byte[] f = good.clone();
            f[1] = 'X';
            Files.write(p, f);
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFile.open(p, scope));
            assertTrue(e.getMessage().contains("not a lurm model file"), e.getMessage());
            Files.writeString(p, "{\"this is\": \"JSON, not a model file, but long enough to have a preamble's worth of bytes\"}");
            assertThrows(ModelFormatException.class, () -> ModelFile.open(p, scope));
            f = good.clone();
            ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt(12, 4);
            resealPreamble(f);
            Files.write(p, f);
            e = assertThrows(ModelFormatException.class, () -> ModelFile.open(p, scope));
            assertTrue(e.getMessage().contains("flags"), e.getMessage());
        }
    }

    /** Table entries and preamble fields set to lies, with checksums made to match so the structure checks must catch them. */
    @Test
    void liesInTheTableAndPreambleGiveClearErrors() throws IOException {
        Path p = dir.resolve("lie.lurm");
        ModelFile.write(p, "{\"k\":[1,2,3]}", List.of(
                TensorSource.of("first", new float[100], 10, 10),
                TensorSource.of("second", new long[] {1, 2, 3}, 3),
                TensorSource.of("third", new int[7], 7)));
        byte[] good = Files.readAllBytes(p);
        List<Raw> t = rawTable(good);
        long size = good.length;
        try (MemoryScope scope = MemoryScope.root("test")) {
            ModelFile.open(p, scope);
            expectTableLie(p, scope, good, "absurdly large", i64(t.get(0).dimsPos, Long.MAX_VALUE));
            expectTableLie(p, scope, good, "absurdly large", i64(t.get(0).dimsPos, 1L << 62), i64(t.get(0).dimsPos + 8, 1L << 62));
            expectTableLie(p, scope, good, "does not match f32[11, 10]", i64(t.get(0).dimsPos, 11));
            expectTableLie(p, scope, good, "negative dimension", i64(t.get(0).dimsPos, -10));
            expectTableLie(p, scope, good, "byte length 9223372036854775807 does not match", i64(t.get(1).lenPos, Long.MAX_VALUE));
            expectTableLie(p, scope, good, "negative offset", i64(t.get(1).offsetPos, -64));
            expectTableLie(p, scope, good, "negative offset", i64(t.get(1).offsetPos, Long.MIN_VALUE));
            expectTableLie(p, scope, good, "not a multiple of 64", i64(t.get(1).offsetPos, t.get(1).offset + 8));
            expectTableLie(p, scope, good, "overlaps tensor", i64(t.get(1).offsetPos, t.get(0).offset));
            expectTableLie(p, scope, good, "overlaps tensor 'first'", i64(t.get(1).offsetPos, t.get(0).offset + 64));
            expectTableLie(p, scope, good, "inside the preamble, header or tensor table", i64(t.get(1).offsetPos, 64));
            expectTableLie(p, scope, good, "extends past the end of the file", i64(t.get(2).offsetPos, (size + 63) / 64 * 64));
            expectTableLie(p, scope, good, "extends past the end of the file", i64(t.get(2).offsetPos, Long.MAX_VALUE - 63));
            // Shape and length agree but offset + length overflows a long: must not wrap around into the file.
            long huge = Long.MAX_VALUE / 8 - 1;
            expectTableLie(p, scope, good, "extends past the end of the file", i64(t.get(1).dimsPos, huge), i64(t.get(1).lenPos, huge * 8));
            // Declaring the second tensor shorter leaves its last (non-zero) element as padding.
            expectTableLie(p, scope, good, "padding byte", i64(t.get(1).dimsPos, 2), i64(t.get(1).lenPos, 16));
            expectTableLie(p, scope, good, "unknown dtype code 9", i32(t.get(1).dtypePos, 9));
            expectTableLie(p, scope, good, "rank 9", i32(t.get(0).rankPos, 9));
            expectTableLie(p, scope, good, "table ends inside", i32(t.get(2).rankPos, 3));
            expectTableLie(p, scope, good, "name length 2147483647", i32(t.get(1).start, Integer.MAX_VALUE));
            expectTableLie(p, scope, good, "name length 0", i32(t.get(1).start, 0));
            expectTableLie(p, scope, good, "name length -5", i32(t.get(1).start, -5));
            int n3 = t.get(2).start + 4;
            expectTableLie(p, scope, good, "also used by entry #0", u8(n3, 'f'), u8(n3 + 1, 'i'), u8(n3 + 2, 'r'), u8(n3 + 3, 's'), u8(n3 + 4, 't'));
            expectTableLie(p, scope, good, "not valid UTF-8", u8(t.get(1).start + 4, 0xFF));
            expectTableLie(p, scope, good, "'second' is corrupt", i32(t.get(1).crcPos, t.get(1).crc + 1));

            // Preamble lies (the table is left alone; only the preamble's own checksum is resealed).
            expectPreambleLie(p, scope, good, 48, 4, Integer.MAX_VALUE, "tensor count");
            expectPreambleLie(p, scope, good, 48, 4, -1, "tensor count -1");
            expectPreambleLie(p, scope, good, 48, 4, 2, "bytes after its 2 entries");
            expectPreambleLie(p, scope, good, 24, 8, Long.MAX_VALUE, "header length");
            expectPreambleLie(p, scope, good, 24, 8, size, "runs past the end");
            expectPreambleLie(p, scope, good, 40, 8, size, "runs past the end");
            expectPreambleLie(p, scope, good, 40, 8, -1, "negative tensor table length");
            expectPreambleLie(p, scope, good, 32, 8, 0, "tensor table offset 0");
            expectPreambleLie(p, scope, good, 16, 8, 0, "header offset 0");
            expectPreambleLie(p, scope, good, 24, 8, 0, "tensor table offset");
        }
    }

    /** Random lies anywhere in the table or preamble: open either fails with ModelFormatException or every view stays inside the file. */
    @Test
    void fuzzedStructureNeverEscapesTheFile() throws IOException {
        long seed = TestData.seed("ModelFileTest.fuzzedStructureNeverEscapesTheFile");
        Random rnd = new Random(seed);
        byte[] good = smallFile(rnd);
        Path p = dir.resolve("fuzz.lurm");
        ByteBuffer g = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN);
        int tableOffset = (int) g.getLong(32), tableLength = (int) g.getLong(40);
        long[] nasty = {0, 1, -1, 63, 64, 65, good.length, good.length + 64L, Integer.MAX_VALUE, Integer.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 32, 1L << 62};
        int accepted = 0;
        try (MemoryScope scope = MemoryScope.root("test")) {
            for (int trial = 0; trial < FUZZ_TRIALS; trial++) {
                byte[] f = good.clone();
                ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
                int edits = 1 + rnd.nextInt(3);
                boolean preamble = rnd.nextInt(4) == 0;
                for (int k = 0; k < edits; k++) {
                    long v = rnd.nextBoolean() ? nasty[rnd.nextInt(nasty.length)] : rnd.nextLong() >> rnd.nextInt(64);
                    if (preamble) {
                        int at = 16 + 4 * rnd.nextInt(9); // fields between the version and the checksums
                        if (rnd.nextBoolean() && at + 8 <= 52) b.putLong(at, v);
                        else b.putInt(at, (int) v);
                    } else {
                        int at = tableOffset + rnd.nextInt(Math.max(1, tableLength - 8));
                        if (rnd.nextBoolean()) b.putLong(at, v);
                        else b.putInt(at, (int) v);
                    }
                }
                if (!preamble) resealTable(f);
                resealPreamble(f);
                Files.write(p, f);
                try {
                    ModelFile mf = ModelFile.open(p, scope, rnd.nextBoolean() ? ModelFile.Verification.EAGER : ModelFile.Verification.ON_ACCESS);
                    accepted++;
                    for (TensorInfo t : mf.tensors()) {
                        assertTrue(t.offset() >= 0 && t.offset() + t.byteLength() <= f.length, "tensor inside the file");
                        MemorySegment s;
                        try {
                            s = mf.segment(t.name());
                        } catch (ModelFormatException lazy) {
                            continue; // ON_ACCESS found the lie through the data checksum
                        }
                        for (long i = 0; i < s.byteSize(); i++) s.get(ValueLayout.JAVA_BYTE, i); // every byte readable
                    }
                } catch (ModelFormatException expected) {
                    assertTrue(expected.getMessage().startsWith(p.toString()));
                } catch (RuntimeException | Error e) {
                    throw new AssertionError("trial " + trial + ": open threw " + e, e);
                }
            }
        }
        System.out.println("[fuzz] accepted " + accepted + " of " + FUZZ_TRIALS + " fuzzed files (edits that changed nothing or a checksum caught later)");
    }

    @Test
    void failedWriteLeavesTheOldFileAndNoTemporary() throws IOException {
        Path p = dir.resolve("atomic.lurm");
        ModelFile.write(p, "{\"v\":1}", List.of(TensorSource.of("a", new float[] {1, 2}, 2)));
        byte[] before = Files.readAllBytes(p);
        // A tensor whose memory is gone: the failure comes in the middle of writing the data.
        MemoryScope gone = MemoryScope.root("gone");
        F32Array big = gone.allocateF32(1 << 20);
        TensorSource dead = TensorSource.of("dead", big, 1 << 20);
        gone.close();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ModelFile.write(p, "{\"v\":2}", List.of(TensorSource.of("ok", new float[3000], 3000), dead)));
        assertTrue(e.getMessage().contains("'dead'"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(p), "old file intact");
        assertEquals(List.of(p), listDir(), "no temporary file left");

        Path fresh = dir.resolve("never.lurm");
        assertThrows(IllegalStateException.class, () -> ModelFile.write(fresh, "{}", List.of(dead)));
        assertFalse(Files.exists(fresh), "no file under the final name");
        assertThrows(IllegalArgumentException.class, () -> ModelFile.write(fresh, "{\"a\":", List.of()));
        assertThrows(IllegalArgumentException.class, () -> ModelFile.write(fresh, "[1]", List.of()));
        assertThrows(IllegalArgumentException.class, () -> ModelFile.write(fresh, "{\"a\":\"\uD800\"}", List.of()));
        assertThrows(IllegalArgumentException.class, () -> ModelFile.write(fresh, "{}", List.of(TensorSource.of("x", new int[1], 1), TensorSource.of("x", new int[1], 1))));
        assertThrows(UncheckedIOException.class, () -> ModelFile.write(dir.resolve("no/such/dir/m.lurm"), "{}", List.of()));
        assertFalse(Files.exists(fresh));
        assertEquals(List.of(p), listDir());

        // A successful rewrite replaces the content.
        ModelFile.write(p, "{\"v\":3}", List.of());
        try (MemoryScope scope = MemoryScope.root("test")) {
            assertEquals("{\"v\":3}", ModelFile.open(p, scope).header());
        }
    }

    @Test
    void tensorSourcesAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> TensorSource.of("a", new float[6], 2, 2));
        assertThrows(IllegalArgumentException.class, () -> TensorSource.of("a", new float[6], 2, -3));
        assertThrows(IllegalArgumentException.class, () -> TensorSource.of("a", new float[0], Long.MAX_VALUE, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> TensorSource.of("", new float[1], 1));
        assertThrows(IllegalArgumentException.class, () -> TensorSource.of("x".repeat(1025), new float[1], 1));
        assertThrows(IllegalArgumentException.class, () -> TensorSource.of("a\uDC00", new float[1], 1));
        assertThrows(IllegalArgumentException.class, () -> TensorSource.of("a", new float[1], 1, 1, 1, 1, 1, 1, 1, 1, 1));
        assertThrows(NullPointerException.class, () -> TensorSource.of(null, new float[1], 1));
    }

    @Test
    void viewsDieWithTheScopeAndAreReadOnly() throws IOException {
        Path p = dir.resolve("scope.lurm");
        ModelFile.write(p, "{}", List.of(TensorSource.of("a", new float[] {1, 2}, 2), TensorSource.of("i", new int[] {3}, 1)));
        F32Array view;
        ModelFile mf;
        try (MemoryScope scope = MemoryScope.root("test")) {
            mf = ModelFile.open(p, scope);
            view = mf.f32("a");
            assertEquals(2f, view.get(1));
            assertThrows(RuntimeException.class, () -> view.set(0, 5f), "mapping is read-only");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> mf.f32("i"));
            assertTrue(e.getMessage().contains("is i32, not f32"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> mf.i64("nope"));
            assertTrue(e.getMessage().contains("no tensor 'nope'"), e.getMessage());
            try (MemoryScope inner = scope.child("inner")) {
                ModelFile.open(p, inner);
            }
        }
        assertThrows(IllegalStateException.class, () -> view.get(0));
        assertThrows(IllegalStateException.class, () -> mf.f32("a"));
        assertThrows(IllegalStateException.class, mf::verify);
        assertEquals("{}", mf.header(), "the header is a heap copy");
    }

    @Test
    void missingOrShortFilesGiveClearErrors() throws IOException {
        try (MemoryScope scope = MemoryScope.root("test")) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> ModelFile.open(dir.resolve("absent.lurm"), scope));
            assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
            Path empty = dir.resolve("empty.lurm");
            Files.write(empty, new byte[0]);
            ModelFormatException m = assertThrows(ModelFormatException.class, () -> ModelFile.open(empty, scope));
            assertTrue(m.getMessage().contains("empty file"), m.getMessage());
        }
    }

    /** Writes and opens a model of the real shape and size class (K = 20000 interests x 64) through both paths. */
    @Test
    void largeTensorsStreamThroughTheStagingBuffer() throws IOException {
        long seed = TestData.seed("ModelFileTest.largeTensorsStreamThroughTheStagingBuffer");
        Random rnd = new Random(seed);
        int k = 20000, h = 64;
        Path p = dir.resolve("big.lurm");
        try (MemoryScope scope = MemoryScope.root("test")) {
            F32Array v = scope.allocateF32((long) k * h);
            for (long i = 0; i < v.length(); i++) v.set(i, (float) rnd.nextGaussian());
            float[] params = new float[12345];
            for (int i = 0; i < params.length; i++) params[i] = rnd.nextFloat();
            ModelFile.write(p, "{\"K\":20000}", List.of(TensorSource.of("V", v, k, h), TensorSource.of("dense", params, params.length)));
            ModelFile mf = ModelFile.open(p, scope);
            F32Array back = mf.f32("V");
            assertEquals(-1, MemorySegment.mismatch(v.segment(), 0, v.length() * 4, back.segment(), 0, back.length() * 4));
            assertArrayEquals(params, mf.f32("dense").toArray());
            assertArrayEquals(new long[] {k, h}, mf.tensor("V").shape());
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private List<Path> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    /** A small file (a few hundred bytes): a header, and f32, i32, i64 and empty tensors. */
    private byte[] smallFile(Random rnd) throws IOException {
        Path p = dir.resolve("small-" + rnd.nextInt(1 << 30) + ".lurm");
        float[] a = new float[12];
        for (int i = 0; i < a.length; i++) a[i] = rnd.nextFloat();
        ModelFile.write(p, "{\"config\":{\"h\":4},\"ids\":[\"α\",\"β\"]}", List.of(
                TensorSource.of("V", a, 3, 4),
                TensorSource.of("idx", new int[] {rnd.nextInt(), 2, 3}, 3),
                TensorSource.of("empty", new long[0], 0),
                TensorSource.of("offsets", new long[] {rnd.nextLong(), 9}, 2)));
        byte[] f = Files.readAllBytes(p);
        Files.delete(p);
        return f;
    }

    /** A table entry decoded by the documented layout, with the byte position of each field. */
    static final class Raw {
        int start, dtypePos, rankPos, dimsPos, offsetPos, lenPos, crcPos;
        String name;
        int dtype, rank, crc;
        long[] dims;
        long offset, len;
    }

    static List<Raw> rawTable(byte[] f) {
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        int count = b.getInt(48);
        int pos = (int) b.getLong(32);
        List<Raw> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Raw r = new Raw();
            r.start = pos;
            int nl = b.getInt(pos);
            r.name = new String(f, pos + 4, nl, StandardCharsets.UTF_8);
            pos += 4 + nl;
            r.dtypePos = pos;
            r.dtype = b.getInt(pos);
            r.rankPos = pos + 4;
            r.rank = b.getInt(pos + 4);
            pos += 8;
            r.dimsPos = pos;
            r.dims = new long[r.rank];
            for (int d = 0; d < r.rank; d++) r.dims[d] = b.getLong(pos + 8 * d);
            pos += 8 * r.rank;
            r.offsetPos = pos;
            r.offset = b.getLong(pos);
            r.lenPos = pos + 8;
            r.len = b.getLong(pos + 8);
            r.crcPos = pos + 16;
            r.crc = b.getInt(pos + 16);
            pos += 20;
            out.add(r);
        }
        return out;
    }

    static void resealPreamble(byte[] f) {
        CRC32C c = new CRC32C();
        c.update(f, 0, 60);
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt(60, (int) c.getValue());
    }

    /** Recomputes the table checksum over the original table range (the preamble's, left untouched). */
    static void resealTable(byte[] f) {
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        int off = (int) b.getLong(32), len = (int) b.getLong(40);
        CRC32C c = new CRC32C();
        c.update(f, off, len);
        b.putInt(56, (int) c.getValue());
    }

    /** One field to overwrite: width 1, 4 or 8 bytes, little-endian. */
    record Edit(int pos, int width, long value) {
    }

    static Edit u8(int pos, int v) {
        return new Edit(pos, 1, v);
    }

    static Edit i32(int pos, long v) {
        return new Edit(pos, 4, v);
    }

    static Edit i64(int pos, long v) {
        return new Edit(pos, 8, v);
    }

    /** Applies the edits to the table, reseals both checksums, and expects open to fail with the message. */
    private static void expectTableLie(Path p, MemoryScope scope, byte[] good, String message, Edit... edits) throws IOException {
        byte[] f = good.clone();
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        for (Edit e : edits) {
            switch (e.width()) {
                case 1 -> b.put(e.pos(), (byte) e.value());
                case 4 -> b.putInt(e.pos(), (int) e.value());
                default -> b.putLong(e.pos(), e.value());
            }
        }
        resealTable(f);
        resealPreamble(f);
        Files.write(p, f);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFile.open(p, scope), "expected: " + message);
        if (!e.getMessage().contains(message)) fail("expected a message with \"" + message + "\", got: " + e.getMessage());
    }

    private static void expectPreambleLie(Path p, MemoryScope scope, byte[] good, int pos, int width, long value, String message) throws IOException {
        byte[] f = good.clone();
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        if (width == 8) b.putLong(pos, value);
        else b.putInt(pos, (int) value);
        resealPreamble(f);
        Files.write(p, f);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFile.open(p, scope), "expected: " + message);
        if (!e.getMessage().contains(message)) fail("expected a message with \"" + message + "\", got: " + e.getMessage());
    }
}
