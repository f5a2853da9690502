package org.lurm.model;

import org.lurm.ModelFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.lurm.LurmModel;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.FuzzSupport;

/**
 * The oracle of the model-file fuzz targets: an independent reader and writer of the container, written from
 * the format table in {@link ModelFile}'s documentation (ByteBuffer arithmetic, not the library's code), and the
 * check of {@link LurmModel#load} against it. Outcome classes:
 * <ul>
 * <li>{@code error: container, names the file}: the reference finds the container invalid and load throws a
 * {@link ModelFormatException} whose message starts with the file's path;</li>
 * <li>{@code error: header, names the file}: the container is valid, the header is not a consistent model, and
 * load says so the same way;</li>
 * <li>{@code success}: load returns a model whose item ids are the header's and whose interest map, SMEN
 * parameters, IDF and reference periods are bit for bit the tensors the reference read.</li>
 * </ul>
 * Anything else (another exception, a success on a container the reference rejects, different values) is an
 * {@link AssertionError}. Stateless; thread-safe.
 */
public final class ModelOracle {
    public static final String TARGET_BYTES = "model file (whole file mutated)";
    public static final String TARGET_HEADER = "model file (header mutated, container valid)";
    public static final String TARGET_STRUCTURE = "model file (mutated, checksums then fixed)";
    private static final byte[] MAGIC = {(byte) 0x89, 'L', 'U', 'R', 'M', '\r', '\n', 0x1A};

    private ModelOracle() {
    }

    /** A tensor as the reference reads it. */
    record Tensor(int dtype, long[] shape, byte[] data) {
    }

    /** The reference's reading: null tensors and a reason when invalid. */
    record Parsed(String invalid, String header, Map<String, Tensor> tensors) {
    }

    // ------------------------------------------------------------------------------------- the reference

    private static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    private static Parsed bad(String why) {
        return new Parsed(why, null, null);
    }

    /** Reads a whole model file by the format table. */
    static Parsed parse(byte[] f) {
        if (f.length < 64) return bad("shorter than the preamble");
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        if (!Arrays.equals(f, 0, 8, MAGIC, 0, 8)) return bad("magic");
        if (b.getInt(8) != 1) return bad("version");
        if (crc(f, 0, 60) != b.getInt(60)) return bad("preamble crc");
        if (b.getInt(12) != 0) return bad("flags");
        long ho = b.getLong(16), hl = b.getLong(24), to = b.getLong(32), tl = b.getLong(40);
        int count = b.getInt(48);
        long size = f.length;
        if (ho != 64) return bad("header offset");
        if (hl < 0 || hl > size - 64) return bad("header length");
        if (to != 64 + hl) return bad("table offset");
        if (tl < 0 || tl > size - to) return bad("table length");
        if (count < 0) return bad("count");
        if (crc(f, 64, (int) hl) != b.getInt(52)) return bad("header crc");
        if (crc(f, (int) to, (int) tl) != b.getInt(56)) return bad("table crc");
        String header;
        try {
            header = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(f, 64, (int) hl)).toString();
        } catch (CharacterCodingException e) {
            return bad("header utf-8");
        }
        try {
            if (!(Json.parse(header) instanceof Map<?, ?>)) return bad("header not an object");
        } catch (JsonException e) {
            return bad("header json");
        }
        long tableEnd = to + tl, dataStart = (tableEnd + 63) / 64 * 64;
        int p = (int) to;
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        List<long[]> spans = new ArrayList<>(); // offset, length
        for (int i = 0; i < count; i++) {
            if (tableEnd - p < 4) return bad("table ends in entry " + i);
            int nl = b.getInt(p);
            p += 4;
            if (nl < 1 || nl > 1024 || tableEnd - p < nl) return bad("name length");
            String name;
            try {
                name = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(f, p, nl)).toString();
            } catch (CharacterCodingException e) {
                return bad("name utf-8");
            }
            p += nl;
            if (tensors.containsKey(name)) return bad("duplicate name");
            if (tableEnd - p < 8) return bad("table ends in entry " + i);
            int dtype = b.getInt(p), rank = b.getInt(p + 4);
            p += 8;
            if (dtype < 1 || dtype > 3) return bad("dtype");
            if (rank < 0 || rank > 8) return bad("rank");
            if (tableEnd - p < 8L * rank + 20) return bad("table ends in entry " + i);
            long[] shape = new long[rank];
            java.math.BigInteger elements = java.math.BigInteger.ONE;
            for (int d = 0; d < rank; d++) {
                shape[d] = b.getLong(p);
                p += 8;
                if (shape[d] < 0) return bad("negative dimension");
                elements = elements.multiply(java.math.BigInteger.valueOf(shape[d]));
            }
            long off = b.getLong(p), len = b.getLong(p + 8);
            int tcrc = b.getInt(p + 16);
            p += 20;
            int width = dtype == 3 ? 8 : 4;
            java.math.BigInteger bytes = elements.multiply(java.math.BigInteger.valueOf(width));
            if (bytes.bitLength() > 63 || bytes.longValue() != len) return bad("byte length");
            if (off < 0 || off % 64 != 0 || off < dataStart || off > size || len > size - off) return bad("offset");
            if (crc(f, (int) off, (int) len) != tcrc) return bad("tensor crc");
            tensors.put(name, new Tensor(dtype, shape, Arrays.copyOfRange(f, (int) off, (int) (off + len))));
            spans.add(new long[] {off, len});
        }
        if (p != tableEnd) return bad("bytes after the entries");
        spans.sort((x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]));
        long cursor = tableEnd;
        for (long[] s : spans) {
            if (s[0] < cursor) {
                if (s[1] > 0) return bad("overlap");
                continue;
            }
            for (long q = cursor; q < s[0]; q++) if (f[(int) q] != 0) return bad("padding not zero");
            cursor = s[0] + s[1];
        }
        if (cursor != size) return bad("trailing bytes");
        return new Parsed(null, header, tensors);
    }

    /** Writes a container by the format table: any header bytes, the tensors in order, every checksum right. */
    static byte[] write(byte[] header, Map<String, Tensor> tensors) {
        ByteBuffer table = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        long tableLen = 0;
        for (var e : tensors.entrySet()) tableLen += 4 + e.getKey().getBytes(StandardCharsets.UTF_8).length + 8 + 8L * e.getValue().shape().length + 20;
        long to = 64 + header.length, pos = (to + tableLen + 63) / 64 * 64;
        List<long[]> offs = new ArrayList<>();
        for (var e : tensors.entrySet()) {
            byte[] n = e.getKey().getBytes(StandardCharsets.UTF_8);
            table.putInt(n.length).put(n).putInt(e.getValue().dtype()).putInt(e.getValue().shape().length);
            for (long d : e.getValue().shape()) table.putLong(d);
            table.putLong(pos).putLong(e.getValue().data().length).putInt(crc(e.getValue().data(), 0, e.getValue().data().length));
            offs.add(new long[] {pos});
            pos = (pos + e.getValue().data().length + 63) / 64 * 64;
        }
        long end = offs.isEmpty() ? to + tableLen : offs.getLast()[0] + tensors.values().stream().reduce((a, c) -> c).orElseThrow().data().length;
        byte[] f = new byte[(int) end];
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(1).putInt(0).putLong(64).putLong(header.length).putLong(to).putLong(tableLen).putInt(tensors.size());
        System.arraycopy(header, 0, f, 64, header.length);
        System.arraycopy(table.array(), 0, f, (int) to, (int) tableLen);
        int i = 0;
        for (Tensor t : tensors.values()) System.arraycopy(t.data(), 0, f, (int) offs.get(i++)[0], t.data().length);
        b.putInt(52, crc(f, 64, header.length)).putInt(56, crc(f, (int) to, (int) tableLen)).putInt(60, crc(f, 0, 60));
        return f;
    }

    // -------------------------------------------------------------------------------------------- checks

    /** Checks a whole mutated file. */
    public static String checkBytes(byte[] file) {
        return check(TARGET_BYTES, file, parse(file));
    }

    /**
     * Checks a mutated file after its checksums are made right again wherever the (mutated) sizes let them be
     * found: this reaches the structure checks (offsets, lengths, table entries, padding) behind the checksums.
     */
    public static String checkStructure(byte[] file) {
        byte[] f = file.clone();
        if (f.length >= 64) {
            ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
            long hl = b.getLong(24), to = b.getLong(32), tl = b.getLong(40);
            if (hl >= 0 && hl <= f.length - 64) b.putInt(52, crc(f, 64, (int) hl));
            if (to >= 0 && to <= f.length && tl >= 0 && tl <= f.length - to) {
                // tensor checksums first (they sit in the table), then the table's
                long p = to, end = to + tl;
                int count = b.getInt(48);
                for (int i = 0; i < count && p + 4 <= end; i++) {
                    int nl = b.getInt((int) p);
                    if (nl < 0 || p + 4 + nl + 8 > end) break;
                    p += 4 + nl;
                    int rank = b.getInt((int) p + 4);
                    if (rank < 0 || rank > 8 || p + 8 + 8L * rank + 20 > end) break;
                    p += 8 + 8L * rank;
                    long off = b.getLong((int) p), len = b.getLong((int) p + 8);
                    if (off >= 0 && off <= f.length && len >= 0 && len <= f.length - off) b.putInt((int) p + 16, crc(f, (int) off, (int) len));
                    p += 20;
                }
                b.putInt(56, crc(f, (int) to, (int) tl));
            }
            b.putInt(60, crc(f, 0, 60));
        }
        return check(TARGET_STRUCTURE, f, parse(f));
    }

    /** Checks a header put into a valid container around the tensors of {@code seed} (a valid model file). */
    public static String checkHeader(byte[] header, byte[] seed) {
        Parsed s = parse(seed);
        if (s.invalid() != null) throw new IllegalArgumentException("the seed model is invalid: " + s.invalid());
        byte[] file = write(header, s.tensors());
        return check(TARGET_HEADER, file, parse(file));
    }

    private static String check(String target, byte[] file, Parsed want) {
        Path path = FuzzSupport.scratch("model.lurm");
        try {
            Files.write(path, file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String outcome;
        try (MemoryScope scope = MemoryScope.root("fuzz-model")) {
            LurmModel m;
            try {
                m = LurmModel.load(path, scope);
            } catch (ModelFormatException e) {
                if (!e.getMessage().startsWith(path + ": ")) fail(target, file, "the error does not name the file: " + e.getMessage());
                outcome = want.invalid() != null ? "error: container, names the file" : "error: header, names the file";
                FuzzSupport.count(target, outcome);
                return outcome;
            } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                throw new AssertionError("unexpected " + e + "\n  input kept at " + FuzzSupport.keep(target.substring(0, 10).replace(' ', '-'), file), e);
            }
            if (want.invalid() != null) fail(target, file, "loaded a file the reference rejects (" + want.invalid() + ")");
            Map<String, Object> h = Json.parseObject(want.header());
            List<String> items = new ArrayList<>();
            for (Object o : Json.asArray(h.get("items"), "items")) items.add((String) o);
            if (!items.equals(m.items().ids())) fail(target, file, "item ids differ from the header's");
            same(target, file, "itemInterest", want, ints(m.itemInterest().toArray()));
            same(target, file, "smen.params", want, floats(m.smen().parameters()));
            same(target, file, "smen.idf", want, floats(m.smen().idf()));
            same(target, file, "smen.reference", want, longs(m.smen().referencePeriods()));
            outcome = "success";
        }
        FuzzSupport.count(target, outcome);
        return outcome;
    }

    private static void same(String target, byte[] file, String name, Parsed want, byte[] got) {
        Tensor t = want.tensors().get(name);
        if (t == null || !Arrays.equals(t.data(), got)) fail(target, file, "tensor " + name + " differs from the file's bytes");
    }

    private static byte[] ints(int[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : v) b.putInt(x);
        return b.array();
    }

    private static byte[] floats(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putInt(Float.floatToRawIntBits(x));
        return b.array();
    }

    private static byte[] longs(long[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) b.putLong(x);
        return b.array();
    }

    private static void fail(String target, byte[] file, String why) {
        throw new AssertionError(target + ": " + why + "\n  input kept at " + FuzzSupport.keep("model", file));
    }
}
