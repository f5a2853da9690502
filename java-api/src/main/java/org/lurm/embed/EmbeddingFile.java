package org.lurm.embed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32C;
import org.lurm.events.IdDictionary;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;

/**
 * Our binary file of item embeddings, memory-mapped read-only through FFM
 * ({@code FileChannel.map(READ_ONLY, 0, size, arena)}) so that the matrix is used where it lies, without a copy.
 *
 * <h2>Format (version 1, all integers and floats little-endian)</h2>
 * <pre>
 * offset size  field
 *      0    8  magic 0x89 'L' 'E' 'M' 'B' '\r' '\n' 0x1A  (the '\r\n' and 0x1A catch text-mode transfers)
 *      8    4  int32 version = 1
 *     12    4  int32 flags: bit 0 = every row is L2-normalised or zero; other bits must be 0
 *     16    8  int64 count: number of rows (items), 0 .. 2^31-1
 *     24    4  int32 dim: floats per row, 1 .. 2^20
 *     28    4  int32 reserved, 0
 *     32    8  int64 idsOffset = 64
 *     40    8  int64 idsLength: bytes of the id section
 *     48    8  int64 matrixOffset: a multiple of 64, >= idsOffset + idsLength
 *     56    4  int32 CRC-32C of bytes [0, 56) followed by the id section
 *     60    4  int32 reserved, 0
 *     64       id section: count times (int32 byte length, that many bytes of UTF-8)
 *              zero padding up to matrixOffset (checked to be zero)
 * matrixOffset  count x dim float32, row-major; row r belongs to id r
 * </pre>
 * The file ends exactly at matrixOffset + 4·count·dim. Before any row is touched, {@link #open} checks the
 * magic, version, flags, reserved fields, every size and offset (with overflow checks) against the real file
 * size, the checksum, every id length and its UTF-8, and that ids are unique: a truncated, padded or corrupt
 * file gives an {@link EmbeddingFormatException} naming what is wrong, never an out-of-bounds read. The matrix
 * itself is not checksummed (it would cost a pass); {@link #toEmbeddings} rejects non-finite values, naming
 * the id.
 *
 * <p><b>Ownership.</b> {@link #open(Path)} maps the file in an arena of its own: {@link #matrix()} and any
 * zero-copy {@link ItemEmbeddings} from {@link #toEmbeddings} are views of the mapping, valid until
 * {@link #close()}; after it, access throws {@link IllegalStateException} (never a crash). Copies made by
 * {@link #toEmbeddings} live in the scope given to it. A file truncated by another process while mapped is
 * outside what any mapping can guard; the JVM reports such a fault as an {@link InternalError}.
 *
 * <p><b>Writing.</b> {@link #write} writes a temporary file in the target's directory, forces it to disk and
 * renames it over the target, so readers never see a half-written file.
 *
 * <p><b>Thread-safety.</b> Reads are thread-safe; {@link #close()} is idempotent and must not race with reads
 * that should succeed.
 */
public final class EmbeddingFile implements AutoCloseable {
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = 64;
    public static final int ALIGNMENT = 64;
    public static final int MAX_DIM = 1 << 20;
    public static final int FLAG_NORMALIZED = 1;
    static final byte[] MAGIC = {(byte) 0x89, 'L', 'E', 'M', 'B', '\r', '\n', 0x1A};
    /** Rows whose norm is within this of 1 count as normalised for the zero-copy path and the flag. */
    static final double UNIT_TOLERANCE = 1e-4;

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final boolean ownsArena;
    private final int count;
    private final int dim;
    private final int flags;
    private final List<String> ids;
    private final F32Array matrix;

    private EmbeddingFile(Path path, Arena arena, boolean ownsArena, MemorySegment file, int count, int dim, int flags, List<String> ids, long matrixOffset) {
        this.path = path;
        this.arena = arena;
        this.ownsArena = ownsArena;
        this.count = count;
        this.dim = dim;
        this.flags = flags;
        this.ids = ids;
        this.matrix = F32Array.view(file.asSlice(matrixOffset, (long) count * dim * Float.BYTES));
    }

    /** Maps and validates the file in an arena of its own, released by {@link #close()}. */
    public static EmbeddingFile open(Path path) {
        Arena arena = Arena.ofShared();
        try {
            return open(path, arena, true);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Maps and validates the file for the life of {@code scope}: closing the scope unmaps it (and any later
     * access throws). {@link #close()} on the result does nothing; the scope owns the mapping.
     */
    public static EmbeddingFile open(Path path, MemoryScope scope) {
        return open(path, null, false, (ch, size) -> scope.map(ch, FileChannel.MapMode.READ_ONLY, 0, size));
    }

    /** Maps and validates the file in {@code arena}; closes it on {@link #close()} only when {@code ownsArena}. */
    static EmbeddingFile open(Path path, Arena arena, boolean ownsArena) {
        return open(path, arena, ownsArena, (ch, size) -> ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena));
    }

    private interface Mapper {
        MemorySegment map(FileChannel ch, long size) throws IOException;
    }

    private static EmbeddingFile open(Path path, Arena arena, boolean ownsArena, Mapper mapper) {
        Objects.requireNonNull(path, "path");
        MemorySegment seg;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER_BYTES) throw new EmbeddingFormatException(path, "too short for an embedding file: " + size + " bytes, the header alone is " + HEADER_BYTES);
            seg = mapper.map(ch, size);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read embedding file " + path + ": " + e.getMessage(), e);
        }
        long size = seg.byteSize();
        for (int i = 0; i < MAGIC.length; i++) {
            if (seg.get(ValueLayout.JAVA_BYTE, i) != MAGIC[i]) throw new EmbeddingFormatException(path, "not a lurm embedding file (bad magic at byte " + i + ")");
        }
        int version = seg.get(I32, 8);
        if (version != VERSION) throw new EmbeddingFormatException(path, "unsupported embedding file version " + version + "; this library reads version " + VERSION);
        int flags = seg.get(I32, 12);
        if ((flags & ~FLAG_NORMALIZED) != 0) throw new EmbeddingFormatException(path, "unknown flags 0x" + Integer.toHexString(flags));
        long count = seg.get(I64, 16);
        if (count < 0 || count > Integer.MAX_VALUE) throw new EmbeddingFormatException(path, "row count " + count + " outside [0, 2^31-1]");
        int dim = seg.get(I32, 24);
        if (dim < 1 || dim > MAX_DIM) throw new EmbeddingFormatException(path, "width " + dim + " outside [1, " + MAX_DIM + "]");
        if (seg.get(I32, 28) != 0 || seg.get(I32, 60) != 0) throw new EmbeddingFormatException(path, "reserved header fields are not zero");
        long idsOffset = seg.get(I64, 32);
        long idsLength = seg.get(I64, 40);
        long matrixOffset = seg.get(I64, 48);
        if (idsOffset != HEADER_BYTES) throw new EmbeddingFormatException(path, "id section offset " + idsOffset + ", expected " + HEADER_BYTES);
        if (idsLength < 4 * count || idsLength > size - HEADER_BYTES) {
            throw new EmbeddingFormatException(path, "id section length " + idsLength + " impossible for " + count + " ids in a file of " + size + " bytes");
        }
        if (matrixOffset % ALIGNMENT != 0 || matrixOffset < idsOffset + idsLength) {
            throw new EmbeddingFormatException(path, "matrix offset " + matrixOffset + " is not a multiple of " + ALIGNMENT + " at or after the id section end " + (idsOffset + idsLength));
        }
        long expected;
        try {
            expected = Math.addExact(matrixOffset, Math.multiplyExact(Math.multiplyExact(count, (long) dim), (long) Float.BYTES));
        } catch (ArithmeticException e) {
            throw new EmbeddingFormatException(path, "sizes overflow: " + count + " rows x " + dim + " floats at offset " + matrixOffset);
        }
        if (expected != size) {
            throw new EmbeddingFormatException(path, (size < expected ? "truncated" : "has trailing bytes") + ": header describes " + expected
                    + " bytes (" + count + " x " + dim + " floats at offset " + matrixOffset + "), file has " + size);
        }
        CRC32C crc = new CRC32C();
        crc.update(seg.asSlice(0, 56).asByteBuffer());
        crc.update(seg.asSlice(idsOffset, idsLength).asByteBuffer());
        int stored = seg.get(I32, 56);
        if ((int) crc.getValue() != stored) throw new EmbeddingFormatException(path, "header or id section is corrupt (CRC-32C mismatch)");
        List<String> ids = readIds(path, seg, idsOffset, idsLength, (int) count);
        // The padding is outside the checksum; requiring zeros leaves no byte before the matrix unchecked.
        for (long p = idsOffset + idsLength; p < matrixOffset; p++) {
            if (seg.get(ValueLayout.JAVA_BYTE, p) != 0) throw new EmbeddingFormatException(path, "padding byte at offset " + p + " before the matrix is not zero");
        }
        return new EmbeddingFile(path, arena, ownsArena, seg, (int) count, dim, flags, ids, matrixOffset);
    }

    private static List<String> readIds(Path path, MemorySegment seg, long off, long len, int count) {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        List<String> ids = new ArrayList<>(count);
        Map<String, Integer> seen = new HashMap<>(Math.max(16, count * 2));
        long pos = off, end = off + len;
        for (int r = 0; r < count; r++) {
            if (end - pos < 4) throw new EmbeddingFormatException(path, "id section ends inside the length of id #" + r);
            int n = seg.get(I32, pos);
            pos += 4;
            if (n < 0 || n > end - pos) throw new EmbeddingFormatException(path, "id #" + r + " has length " + n + ", beyond the id section");
            byte[] bytes = seg.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
            pos += n;
            String id;
            try {
                CharBuffer cb = dec.decode(ByteBuffer.wrap(bytes));
                id = cb.toString();
            } catch (CharacterCodingException e) {
                throw new EmbeddingFormatException(path, "id #" + r + " is not valid UTF-8");
            }
            Integer before = seen.putIfAbsent(id, r);
            if (before != null) throw new EmbeddingFormatException(path, "id '" + id + "' appears twice, at rows " + before + " and " + r);
            ids.add(id);
        }
        if (pos != end) throw new EmbeddingFormatException(path, "id section has " + (end - pos) + " bytes after the last id");
        return Collections.unmodifiableList(ids);
    }

    public Path path() {
        return path;
    }

    /** Number of rows. */
    public int count() {
        return count;
    }

    public int dim() {
        return dim;
    }

    /** Whether the writer declared every row L2-normalised or zero (bit 0 of the flags). */
    public boolean declaredNormalized() {
        return (flags & FLAG_NORMALIZED) != 0;
    }

    /** Row ids, in file order. */
    public List<String> ids() {
        return ids;
    }

    /** The count x dim matrix: a read-only view of the mapping (no copy), valid until {@link #close()}. */
    public F32Array matrix() {
        return matrix;
    }

    /** Whether the row ids are exactly the dictionary's ids, in order (the zero-copy condition on ids). */
    public boolean matchesOrder(IdDictionary items) {
        if (items.size() != count) return false;
        for (int i = 0; i < count; i++) if (!ids.get(i).equals(items.id(i))) return false;
        return true;
    }

    /**
     * Embeddings aligned with {@code items}. <b>Zero-copy</b> when {@code allowZeroCopy}, the file's ids are the
     * dictionary's ids in the same order, and every row is finite and L2-normalised (within 1e-4) or zero: the
     * result's vectors are then this file's mapping (counter {@code zeroCopy} = 1), with the lifetime of the
     * arena the file was opened in. Otherwise the rows are copied into {@code scope} at their dictionary
     * index and normalised; dictionary items absent from the file get zero rows ({@code itemsNotInFile}), and
     * ids unknown to the dictionary follow {@code unknownIds} ({@code skippedUnknownIds}).
     */
    public ItemEmbeddings toEmbeddings(IdDictionary items, UnknownItemPolicy unknownIds, boolean allowZeroCopy, MemoryScope scope) {
        Objects.requireNonNull(unknownIds, "unknownIds");
        String source = "precomputed:" + path.getFileName();
        int n = items.size();
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("rowsInFile", (long) count);
        float[] row = new float[dim];
        if (allowZeroCopy && matchesOrder(items)) {
            BitSet present = new BitSet(n);
            boolean unit = true;
            for (int r = 0; r < count && unit; r++) {
                double norm = finiteNorm(r, row);
                if (norm == 0) continue;
                if (Math.abs(norm - 1) > UNIT_TOLERANCE) unit = false;
                else present.set(r);
            }
            if (unit) {
                counters.put("zeroCopy", 1L);
                counters.put("itemsNotInFile", 0L);
                counters.put("skippedUnknownIds", 0L);
                return ItemEmbeddings.ofCheckedRows(n, dim, matrix, present, source, counters);
            }
        }
        F32Array out = scope.allocateF32((long) n * dim);
        boolean[] filled = new boolean[n];
        long skipped = 0;
        for (int r = 0; r < count; r++) {
            String id = ids.get(r);
            int item = items.indexOf(id);
            if (item < 0 || item >= n) { // >= n: added to the dictionary after this call began
                if (unknownIds == UnknownItemPolicy.FAIL) {
                    throw new IllegalArgumentException(path + ": id '" + id + "' (row " + r + ") is not in the item dictionary; use UnknownItemPolicy.SKIP to skip and count such rows");
                }
                skipped++;
                continue;
            }
            finiteNorm(r, row);
            out.copyFrom(row, 0, (long) item * dim, dim);
            filled[item] = true;
        }
        long missing = 0;
        for (boolean f : filled) if (!f) missing++;
        counters.put("zeroCopy", 0L);
        counters.put("itemsNotInFile", missing);
        counters.put("skippedUnknownIds", skipped);
        return ItemEmbeddings.normalizeInPlace(out, n, dim, source, counters);
    }

    /** Copies row r into buf, rejecting non-finite values by id, and returns its norm. */
    private double finiteNorm(int r, float[] buf) {
        matrix.copyTo((long) r * dim, buf, 0, dim);
        double ss = 0;
        for (int j = 0; j < dim; j++) {
            float x = buf[j];
            if (!Float.isFinite(x)) throw new EmbeddingFormatException(path, "row " + r + " (id '" + ids.get(r) + "') has a non-finite value " + x + " at position " + j);
            ss += (double) x * x;
        }
        return Math.sqrt(ss);
    }

    /** Unmaps the file when this object owns its arena. Idempotent. */
    @Override
    public void close() {
        if (ownsArena && arena.scope().isAlive()) arena.close();
    }

    // ---------------------------------------------------------------------------------------------- writing

    /** Writes the embeddings of items [0, emb.numItems()) of {@code items}, absent items as zero rows. */
    public static void write(Path path, ItemEmbeddings emb, IdDictionary items) {
        if (items.size() < emb.numItems()) throw new IllegalArgumentException("dictionary has " + items.size() + " ids, embeddings cover " + emb.numItems());
        write(path, items.ids().subList(0, emb.numItems()), emb.vectors(), emb.dim());
    }

    /**
     * Writes rows (ids.size() x dim, row-major) with their ids, atomically. The normalised flag is set when every
     * row is L2-normalised (within 1e-4) or zero.
     */
    public static void write(Path path, List<String> ids, F32Array rows, int dim) {
        int count = ids.size();
        if (dim < 1 || dim > MAX_DIM) throw new IllegalArgumentException("width " + dim + " outside [1, " + MAX_DIM + "]");
        if (rows.length() != (long) count * dim) throw new IllegalArgumentException("rows hold " + rows.length() + " floats, expected " + count + " x " + dim);
        byte[][] idBytes = new byte[count][];
        long idsLength = 0;
        Map<String, Integer> seen = new HashMap<>();
        for (int r = 0; r < count; r++) {
            String id = Objects.requireNonNull(ids.get(r), "id of row " + r);
            Integer before = seen.putIfAbsent(id, r);
            if (before != null) throw new IllegalArgumentException("id '" + id + "' appears twice, at rows " + before + " and " + r);
            idBytes[r] = id.getBytes(StandardCharsets.UTF_8);
            idsLength += 4 + idBytes[r].length;
        }
        long matrixOffset = (HEADER_BYTES + idsLength + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
        boolean normalized = true;
        float[] row = new float[dim];
        for (int r = 0; r < count && normalized; r++) {
            rows.copyTo((long) r * dim, row, 0, dim);
            double ss = 0;
            for (float x : row) ss += (double) x * x;
            double norm = Math.sqrt(ss);
            if (norm != 0 && Math.abs(norm - 1) > UNIT_TOLERANCE) normalized = false;
        }

        ByteBuffer ids64 = ByteBuffer.allocate(Math.toIntExact(idsLength)).order(ByteOrder.LITTLE_ENDIAN);
        for (byte[] b : idBytes) ids64.putInt(b.length).put(b);
        ids64.flip();
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC).putInt(VERSION).putInt(normalized ? FLAG_NORMALIZED : 0).putLong(count).putInt(dim).putInt(0)
                .putLong(HEADER_BYTES).putLong(idsLength).putLong(matrixOffset);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, 56);
        crc.update(ids64.duplicate());
        header.putInt((int) crc.getValue()).putInt(0);
        header.flip();

        Path dir = path.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, "." + path.getFileName() + ".", ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, header);
                writeFully(ch, ids64);
                writeFully(ch, ByteBuffer.allocate((int) (matrixOffset - HEADER_BYTES - idsLength)));
                int rowsPerChunk = Math.max(1, (1 << 20) / (dim * Float.BYTES));
                ByteBuffer buf = ByteBuffer.allocate(rowsPerChunk * dim * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                float[] chunk = new float[rowsPerChunk * dim];
                for (int r = 0; r < count; r += rowsPerChunk) {
                    int nr = Math.min(rowsPerChunk, count - r);
                    rows.copyTo((long) r * dim, chunk, 0, nr * dim);
                    buf.clear();
                    buf.asFloatBuffer().put(chunk, 0, nr * dim);
                    buf.limit(nr * dim * Float.BYTES);
                    writeFully(ch, buf);
                }
                ch.force(true);
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write embedding file " + path + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure is the one worth reporting
                }
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    /** Whether a file starts with this format's magic (false for shorter or unreadable files). */
    public static boolean hasMagic(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(MAGIC.length);
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // keep reading until full or end of file
            }
            if (b.hasRemaining()) return false;
            for (int i = 0; i < MAGIC.length; i++) if (b.get(i) != MAGIC[i]) return false;
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "EmbeddingFile[" + path + ", " + count + " x " + dim + "]";
    }
}
