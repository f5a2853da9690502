package org.lurm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.lurm.events.IdDictionary;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.progress.Progress;
import org.lurm.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddingsFileTest {
    @TempDir
    Path dir;

    private record Sample(IdDictionary ids, float[] values, int dim) {
    }

    private static Sample sample(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rows = 1 + r.nextInt(300), dim = 1 + r.nextInt(40);
        IdDictionary ids = new IdDictionary();
        String[] odd = {"a,b", "say \"hi\"", "Zoë ☃", "tab\there", " padded"};
        while (ids.size() < rows) {
            int k = ids.size();
            ids.add(k < odd.length && r.nextBoolean() ? odd[k] + k : "u" + r.nextInt(1_000_000));
        }
        float[] v = new float[rows * dim];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-6, 6)));
        v[0] = -0.0f;
        if (v.length > 2) {
            v[1] = Float.MIN_VALUE;
            v[2] = Float.MAX_VALUE;
        }
        return new Sample(ids, v, dim);
    }

    @Test
    void binaryAndCsvRoundTripBitExactly() throws IOException {
        long seed = TestData.seed("EmbeddingsFileTest.roundTrip");
        for (int rep = 0; rep < 5; rep++) {
            Sample s = sample(seed + rep);
            try (MemoryScope scope = MemoryScope.root("t")) {
                F32Array a = scope.copyOf(s.values());
                Path bin = dir.resolve("e" + rep + ".emb"), csv = dir.resolve("e" + rep + ".csv");
                EmbeddingsFile.writeBinary(bin, s.ids(), a, s.dim(), Progress.Task.NONE);
                EmbeddingsFile.writeCsv(csv, s.ids(), a, s.dim(), Progress.Task.NONE);
                for (Path p : List.of(bin, csv)) {
                    EmbeddingsFile.Embeddings e = EmbeddingsFile.read(p);
                    assertEquals(s.ids().ids(), e.ids(), p.toString());
                    assertEquals(s.dim(), e.dim());
                    for (int i = 0; i < s.values().length; i++) {
                        assertEquals(Float.floatToRawIntBits(s.values()[i]), Float.floatToRawIntBits(e.values()[i]), p + " value " + i);
                    }
                }
            }
        }
    }

    @Test
    void binaryLayoutIsTheDocumentedOne() throws IOException {
        Sample s = sample(TestData.seed("EmbeddingsFileTest.layout"));
        Path bin = dir.resolve("x.emb");
        try (MemoryScope scope = MemoryScope.root("t")) {
            EmbeddingsFile.writeBinary(bin, s.ids(), scope.copyOf(s.values()), s.dim(), Progress.Task.NONE);
        }
        // An independent reader written from docs/CLI.md's description, not from the class under test.
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(bin)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[8];
        b.get(magic);
        assertArrayEquals("LURMEMB\0".getBytes(StandardCharsets.US_ASCII), magic);
        assertEquals(1, b.getInt());
        assertEquals(s.dim(), b.getInt());
        assertEquals(s.ids().size(), b.getLong());
        long dataOffset = b.getLong(), idBytes = b.getLong();
        assertEquals(0, dataOffset % 64);
        for (int i = 40; i < 64; i++) assertEquals(0, b.get(i));
        b.position(64);
        List<String> ids = new ArrayList<>();
        for (int r = 0; r < s.ids().size(); r++) {
            byte[] id = new byte[b.getInt()];
            b.get(id);
            ids.add(new String(id, StandardCharsets.UTF_8));
        }
        assertEquals(64 + idBytes, b.position());
        assertEquals(s.ids().ids(), ids);
        b.position((int) dataOffset);
        for (float v : s.values()) assertEquals(Float.floatToRawIntBits(v), Float.floatToRawIntBits(b.getFloat()));
        assertEquals(b.capacity(), b.position());
    }

    @Test
    void damagedBinaryFilesGiveClearErrors() throws IOException {
        Sample s = sample(TestData.seed("EmbeddingsFileTest.damage"));
        Path good = dir.resolve("g.emb");
        try (MemoryScope scope = MemoryScope.root("t")) {
            EmbeddingsFile.writeBinary(good, s.ids(), scope.copyOf(s.values()), s.dim(), Progress.Task.NONE);
        }
        byte[] bytes = Files.readAllBytes(good);
        SplittableRandom r = new SplittableRandom(7);
        // truncated anywhere: always a FormatException, never a crash or a silently short result
        for (int k = 0; k < 40; k++) {
            int cut = k == 0 ? 0 : k == 1 ? bytes.length - 1 : r.nextInt(bytes.length);
            Path p = dir.resolve("t" + k + ".emb");
            Files.write(p, Arrays.copyOf(bytes, cut));
            IOException e = assertThrows(IOException.class, () -> EmbeddingsFile.readBinary(p), "cut at " + cut);
            assertTrue(e instanceof EmbeddingsFile.FormatException, e.toString());
            assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        }
        Path t = dir.resolve("t.emb");
        Files.write(t, Arrays.copyOf(bytes, bytes.length - 3));
        assertTrue(assertThrows(EmbeddingsFile.FormatException.class, () -> EmbeddingsFile.readBinary(t)).getMessage().contains("truncated"));

        assertMessage(patch(bytes, 0, (byte) 'X'), "bad magic");
        assertMessage(patch(bytes, 8, (byte) 2), "version 2");
        assertMessage(patch(bytes, 12, (byte) 0, (byte) 0, (byte) 0, (byte) 0), "dim 0");
        assertMessage(patch(bytes, 64, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x7f), "corrupt id of row 0");
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 4);
        assertMessage(longer, "unexpected bytes");
        // two ids of equal length, the second patched into the first: a duplicate user is an error
        IdDictionary two = new IdDictionary();
        two.add("ab");
        two.add("ac");
        Path p = dir.resolve("d.emb");
        try (MemoryScope scope = MemoryScope.root("t")) {
            EmbeddingsFile.writeBinary(p, two, scope.copyOf(new float[] {1, 2}), 1, Progress.Task.NONE);
        }
        assertEquals(List.of("ab", "ac"), EmbeddingsFile.readBinary(p).ids());
        byte[] d = Files.readAllBytes(p);
        d[64 + 4 + 2 + 4 + 1] = 'b';
        assertMessage(d, "user id 'ab' appears twice");
    }

    @Test
    void malformedCsvNamesLineAndField() throws IOException {
        Path p = dir.resolve("bad.csv");
        Files.writeString(p, "user_id,e0,e1\nu1,1.0,2.0\nu2,3.0,abc\n");
        String m = assertThrows(EmbeddingsFile.FormatException.class, () -> EmbeddingsFile.read(p)).getMessage();
        assertTrue(m.contains("line 3") && m.contains("'e1'") && m.contains("abc"), m);
        Files.writeString(p, "user_id,e0,e1\nu1,1.0\n");
        assertTrue(assertThrows(EmbeddingsFile.FormatException.class, () -> EmbeddingsFile.read(p)).getMessage().contains("line 2: 1 values, the header announces 2"));
        Files.writeString(p, "id,x\n");
        assertTrue(assertThrows(EmbeddingsFile.FormatException.class, () -> EmbeddingsFile.read(p)).getMessage().contains("not a lurm embeddings file"));
        Files.writeString(p, "user_id,e0\nu1,1\nu1,2\n");
        assertTrue(assertThrows(EmbeddingsFile.FormatException.class, () -> EmbeddingsFile.read(p)).getMessage().contains("appears twice"));
    }

    private void assertMessage(byte[] content, String expected) throws IOException {
        Path p = dir.resolve("c.emb");
        Files.write(p, content);
        String m = assertThrows(EmbeddingsFile.FormatException.class, () -> EmbeddingsFile.readBinary(p)).getMessage();
        assertTrue(m.contains(expected), m);
    }

    private static byte[] patch(byte[] b, int at, byte... v) {
        byte[] c = b.clone();
        System.arraycopy(v, 0, c, at, v.length);
        return c;
    }
}
