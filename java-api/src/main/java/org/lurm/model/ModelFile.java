package org.lurm.model;

import org.lurm.ModelFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.zip.CRC32C;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.io.OutputFiles;
import org.lurm.memory.MemoryScope;

/**
 * The lurm model file (ARCHITECTURE.md, "Files"): a JSON header (config, provenance, training metrics, string
 * tables such as the interest table or item ids, all provided by the caller) and named tensors, readable by
 * memory-mapping without a copy.
 *
 * <h2>Format (version 1; all integers little-endian)</h2>
 * <pre>
 * offset size  preamble
 *      0    8  magic 0x89 'L' 'U' 'R' 'M' '\r' '\n' 0x1A   (the '\r\n' and 0x1A catch text-mode transfers)
 *      8    4  int32 format version = 1
 *     12    4  int32 flags, 0 (reserved)
 *     16    8  int64 headerOffset = 64
 *     24    8  int64 headerLength: bytes of the UTF-8 JSON header
 *     32    8  int64 tableOffset = headerOffset + headerLength
 *     40    8  int64 tableLength: bytes of the tensor table
 *     48    4  int32 tensorCount
 *     52    4  int32 CRC-32C of the header bytes
 *     56    4  int32 CRC-32C of the table bytes
 *     60    4  int32 CRC-32C of preamble bytes [0, 60)
 *     64       JSON header (a JSON object, UTF-8, no byte-order mark)
 * tableOffset  tensor table: tensorCount entries of
 *                int32 nameLength (1 .. 1024), that many bytes of UTF-8 name (unique),
 *                int32 dtype (1 f32, 2 i32, 3 i64), int32 rank (0 .. 8), rank x int64 dimension (&gt;= 0),
 *                int64 offset (absolute, a multiple of 64), int64 byteLength (= elements x width),
 *                int32 CRC-32C of the tensor's bytes
 *              zero padding to the next multiple of 64
 *              tensors, row-major little-endian, each at a multiple of 64, zero padding between them
 * </pre>
 * The file ends exactly at the end of its last tensor (at the end of the table when there is none). Every byte
 * is covered by a check: the preamble, header, table and each tensor by its CRC-32C, the padding by being zero,
 * the length by the end of the last tensor.
 *
 * <h2>Reading</h2>
 * {@link #open} validates the whole structure before any tensor is handed out: magic, version (checked before
 * the preamble checksum, so a file from a newer format says so), checksums, every length and offset against
 * the real file size with overflow checks, table entries (name, type, rank, dimensions, alignment, byte length
 * = shape x width), tensors inside the file, not overlapping the table or one another, padding zero, no
 * trailing bytes, the header valid UTF-8 and a well-formed JSON object. Any failure is a
 * {@link ModelFormatException} naming the file and the field or tensor; nothing is allocated from a size read
 * from the file before that size has been checked against the file's length. With
 * {@link Verification#EAGER} (the default) every tensor's checksum is verified at open (one read of the
 * file); with {@link Verification#ON_ACCESS} each tensor is verified the first time it is asked for, which
 * opens a large file without reading the tensors a caller never uses.
 *
 * <p><b>Ownership.</b> {@link #open} maps the file read-only into a child scope of the given
 * {@link MemoryScope} (named {@code model:<file name>}): the header string is a heap copy, the tensors from
 * {@link #f32}, {@link #i32}, {@link #i64} and {@link #segment} are zero-copy read-only views of the mapping,
 * valid until that scope (or its parent) closes; afterwards every access throws {@link IllegalStateException},
 * never crashes. A failed open unmaps at once. A file truncated by another process while it is mapped is outside
 * what any mapping can guard; the JVM reports such a fault as an {@link InternalError}. Write a new model under
 * a new name or through {@link #write}, which replaces the file by rename and so (on POSIX file systems) leaves
 * existing mappings of the old file intact.
 *
 * <h2>Writing</h2>
 * {@link #write} goes through {@link OutputFiles#write}: a regular file (or a link to one) is replaced
 * atomically through a temporary file ({@code .<name>.<random>.tmp}, forced to disk, renamed, folder forced;
 * temporary files of killed writers removed first), so readers never see a partial file and on any failure an
 * existing file of that name is left as it was; a folder is refused; a device or pipe is written into, never
 * replaced. The checksums are computed in a first pass over the tensors, so the file itself is written in one
 * sequential pass.
 *
 * <p><b>Thread-safety.</b> A ModelFile is immutable after {@link #open}; all reads may be concurrent. The static
 * methods may be called from several threads (concurrent writes of one path: the last rename wins, each file is
 * whole).
 */
public final class ModelFile {
    /** How much of the tensor data {@link #open} reads to verify checksums. */
    public enum Verification {
        /** Every tensor's CRC-32C is checked at open (default): a corrupt file fails at once. */
        EAGER,
        /** Structure and header are checked at open, each tensor's CRC-32C when it is first requested. */
        ON_ACCESS
    }

    public static final int FORMAT_VERSION = 1;
    public static final int PREAMBLE_BYTES = 64;
    /** Every tensor starts at a multiple of this many bytes (a cache line; what SIMD loads and GPU copies like). */
    public static final int ALIGNMENT = 64;
    public static final int MAX_NAME_BYTES = 1024;
    public static final int MAX_RANK = 8;
    /** The header becomes one Java String. */
    public static final int MAX_HEADER_BYTES = Integer.MAX_VALUE - 64;
    static final byte[] MAGIC = {(byte) 0x89, 'L', 'U', 'R', 'M', '\r', '\n', 0x1A};
    /** nameLength + 1 name byte + dtype + rank + offset + byteLength + crc. */
    static final int MIN_ENTRY_BYTES = 4 + 1 + 4 + 4 + 8 + 8 + 4;

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int COPY_CHUNK = 1 << 20;
    private static final long CRC_CHUNK = 1L << 30;
    private static final MemorySegment ZEROS = MemorySegment.ofArray(new byte[4096]);

    private final Path path;
    private final MemoryScope scope;
    private final MemorySegment file;
    private final String header;
    private final List<TensorInfo> tensors;
    private final Map<String, Integer> index;
    private final AtomicIntegerArray verified;

    private ModelFile(Path path, MemoryScope scope, MemorySegment file, String header, List<TensorInfo> tensors, Map<String, Integer> index, boolean verifiedAll) {
        this.path = path;
        this.scope = scope;
        this.file = file;
        this.header = header;
        this.tensors = tensors;
        this.index = index;
        this.verified = new AtomicIntegerArray(tensors.size());
        if (verifiedAll) for (int i = 0; i < tensors.size(); i++) verified.set(i, 1);
    }

    // ---------------------------------------------------------------------------------------------- reading

    /** {@link #open(Path, MemoryScope, Verification)} with {@link Verification#EAGER}. */
    public static ModelFile open(Path path, MemoryScope scope) {
        return open(path, scope, Verification.EAGER);
    }

    /**
     * Maps and validates a model file; the mapping lives in a child of {@code scope} (see the class doc).
     *
     * @throws ModelFormatException the file is not a valid model file (the message says why)
     * @throws UncheckedIOException the file cannot be read
     */
    public static ModelFile open(Path path, MemoryScope scope, Verification verification) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(verification, "verification");
        MemoryScope child = scope.child("model:" + path.getFileName());
        try {
            MemorySegment seg;
            if (Files.isDirectory(path)) {
                throw new UncheckedIOException(new FileSystemException(path.toString(), null, "is a folder, not a model file"));
            }
            if (Files.exists(path) && !Files.isRegularFile(path)) {
                throw new UncheckedIOException(new FileSystemException(path.toString(), null,
                        "is not a regular file (a device or a pipe): a model is memory-mapped, so it must be a file"));
            }
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size < PREAMBLE_BYTES) {
                    throw new ModelFormatException(path, (size == 0 ? "empty file" : "truncated: " + size + " bytes")
                            + ", a model file has at least the " + PREAMBLE_BYTES + "-byte preamble");
                }
                seg = child.map(ch, FileChannel.MapMode.READ_ONLY, 0, size);
            } catch (NoSuchFileException e) {
                throw new UncheckedIOException("model file " + path + " does not exist", e);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read model file " + path + ": " + e.getMessage(), e);
            }
            ModelFile m = validate(path, child, seg);
            if (verification == Verification.EAGER) {
                for (int i = 0; i < m.tensors.size(); i++) m.verifyTensor(i);
            }
            return m;
        } catch (RuntimeException | Error e) {
            child.close();
            throw e;
        }
    }

    private static ModelFile validate(Path path, MemoryScope child, MemorySegment seg) {
        long size = seg.byteSize();
        for (int i = 0; i < MAGIC.length; i++) {
            if (seg.get(ValueLayout.JAVA_BYTE, i) != MAGIC[i]) throw new ModelFormatException(path, "not a lurm model file (bad magic at byte " + i + ")");
        }
        int version = seg.get(I32, 8);
        if (version != FORMAT_VERSION) {
            throw new ModelFormatException(path, "unsupported model format version " + version + "; this library reads version " + FORMAT_VERSION
                    + (version > FORMAT_VERSION ? " (the file was written by a newer lurm)" : ""));
        }
        if (crc(seg, 0, 60) != seg.get(I32, 60)) throw new ModelFormatException(path, "preamble is corrupt (CRC-32C mismatch in bytes 0-59)");
        int flags = seg.get(I32, 12);
        if (flags != 0) throw new ModelFormatException(path, "unknown flags 0x" + Integer.toHexString(flags) + " (reserved, must be 0)");
        long headerOffset = seg.get(I64, 16);
        long headerLength = seg.get(I64, 24);
        long tableOffset = seg.get(I64, 32);
        long tableLength = seg.get(I64, 40);
        int count = seg.get(I32, 48);
        if (headerOffset != PREAMBLE_BYTES) throw new ModelFormatException(path, "header offset " + headerOffset + ", expected " + PREAMBLE_BYTES);
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) throw new ModelFormatException(path, "header length " + headerLength + " outside [0, " + MAX_HEADER_BYTES + "]");
        if (headerLength > size - headerOffset) {
            throw new ModelFormatException(path, "truncated: the " + headerLength + "-byte header at offset " + headerOffset + " runs past the end of the file (" + size + " bytes)");
        }
        if (tableOffset != headerOffset + headerLength) {
            throw new ModelFormatException(path, "tensor table offset " + tableOffset + ", expected " + (headerOffset + headerLength) + " (right after the header)");
        }
        if (tableLength < 0) throw new ModelFormatException(path, "negative tensor table length " + tableLength);
        if (tableLength > size - tableOffset) {
            throw new ModelFormatException(path, "truncated: the " + tableLength + "-byte tensor table at offset " + tableOffset + " runs past the end of the file (" + size + " bytes)");
        }
        if (count < 0 || count > tableLength / MIN_ENTRY_BYTES) {
            throw new ModelFormatException(path, "tensor count " + count + " impossible for a " + tableLength + "-byte table (an entry has at least " + MIN_ENTRY_BYTES + " bytes)");
        }
        if (crc(seg, headerOffset, headerLength) != seg.get(I32, 52)) throw new ModelFormatException(path, "JSON header is corrupt (CRC-32C mismatch)");
        if (crc(seg, tableOffset, tableLength) != seg.get(I32, 56)) throw new ModelFormatException(path, "tensor table is corrupt (CRC-32C mismatch)");

        String header;
        try {
            header = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(seg.asSlice(headerOffset, headerLength).asByteBuffer()).toString();
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(path, "JSON header is not valid UTF-8", e);
        }
        try {
            Json.validateObject(header);
        } catch (JsonException e) {
            throw new ModelFormatException(path, "JSON header: " + e.getMessage(), e);
        }

        long tableEnd = tableOffset + tableLength;
        long dataStart = alignUp(tableEnd);
        List<TensorInfo> list = new ArrayList<>(); // grown as parsed: the count is only checked against real bytes
        Map<String, Integer> index = new HashMap<>();
        TableCursor cur = new TableCursor(path, seg, tableOffset, tableEnd);
        for (int i = 0; i < count; i++) {
            cur.entry = i;
            int nameLength = cur.i32("name length");
            if (nameLength < 1 || nameLength > MAX_NAME_BYTES) throw cur.error("name length " + nameLength + " outside [1, " + MAX_NAME_BYTES + "]");
            String name = cur.utf8(nameLength);
            cur.name = name;
            if (index.containsKey(name)) throw cur.error("name is also used by entry #" + index.get(name));
            int code = cur.i32("dtype");
            DType dtype = DType.ofCode(code);
            if (dtype == null) throw cur.error("unknown dtype code " + code + " (1 f32, 2 i32, 3 i64)");
            int rank = cur.i32("rank");
            if (rank < 0 || rank > MAX_RANK) throw cur.error("rank " + rank + " outside [0, " + MAX_RANK + "]");
            long[] shape = new long[rank];
            long elements = 1;
            boolean overflow = false;
            for (int d = 0; d < rank; d++) {
                shape[d] = cur.i64("dimension " + d);
                if (shape[d] < 0) throw cur.error("negative dimension " + d + ": " + shape[d]);
                long next = Math.multiplyHigh(elements, shape[d]) == 0 ? elements * shape[d] : -1;
                if (next < 0) overflow = true;
                else elements = next;
            }
            long offset = cur.i64("offset");
            long byteLength = cur.i64("byte length");
            int crc = cur.i32("checksum");
            if (overflow || elements > Long.MAX_VALUE / dtype.bytes()) {
                throw cur.error("shape " + Arrays.toString(shape) + " is absurdly large (its byte size overflows a long)");
            }
            long expected = elements * dtype.bytes();
            if (byteLength != expected) {
                throw cur.error("byte length " + byteLength + " does not match " + dtype.label() + Arrays.toString(shape) + " (" + expected + " bytes)");
            }
            if (offset < 0) throw cur.error("negative offset " + offset);
            if (offset % ALIGNMENT != 0) throw cur.error("offset " + offset + " is not a multiple of " + ALIGNMENT);
            if (offset < dataStart) {
                throw cur.error("offset " + offset + " lies inside the preamble, header or tensor table (tensors start at " + dataStart + " or later)");
            }
            if (offset > size || byteLength > size - offset) {
                throw cur.error("data [" + offset + ", " + (offset + byteLength) + ") extends past the end of the file (" + size
                        + " bytes): truncated or corrupt");
            }
            index.put(name, i);
            list.add(new TensorInfo(name, dtype, shape, offset, byteLength, crc));
        }
        if (cur.pos != tableEnd) {
            throw new ModelFormatException(path, "tensor table has " + (tableEnd - cur.pos) + " bytes after its " + count + " entries");
        }
        checkLayout(path, seg, list, tableEnd);
        return new ModelFile(path, child, seg, header, Collections.unmodifiableList(list), Collections.unmodifiableMap(index), false);
    }

    /** Tensors must not overlap; every byte between them must be zero padding; the file must end at the last one. */
    private static void checkLayout(Path path, MemorySegment seg, List<TensorInfo> list, long tableEnd) {
        TensorInfo[] byOffset = list.toArray(new TensorInfo[0]);
        Arrays.sort(byOffset, (a, b) -> a.offset() != b.offset() ? Long.compare(a.offset(), b.offset()) : Long.compare(a.byteLength(), b.byteLength()));
        long cursor = tableEnd;
        TensorInfo last = null;
        for (TensorInfo t : byOffset) {
            if (t.offset() < cursor) {
                // An empty tensor holds no bytes, so it cannot overlap anything.
                if (t.byteLength() > 0) {
                    throw new ModelFormatException(path, "tensor '" + t.name() + "' [" + t.offset() + ", " + (t.offset() + t.byteLength())
                            + ") overlaps tensor '" + last.name() + "' [" + last.offset() + ", " + (last.offset() + last.byteLength()) + ")");
                }
                continue;
            }
            checkZero(path, seg, cursor, t.offset());
            cursor = t.offset() + t.byteLength();
            if (t.byteLength() > 0) last = t;
        }
        if (cursor != seg.byteSize()) {
            throw new ModelFormatException(path, "has " + (seg.byteSize() - cursor) + " trailing bytes after the end of its last tensor (offset " + cursor + ")");
        }
    }

    private static void checkZero(Path path, MemorySegment seg, long from, long to) {
        for (long p = from; p < to; p += ZEROS.byteSize()) {
            long n = Math.min(ZEROS.byteSize(), to - p);
            long at = MemorySegment.mismatch(seg, p, p + n, ZEROS, 0, n);
            if (at >= 0) throw new ModelFormatException(path, "padding byte at offset " + (p + at) + " is not zero (corrupt, or a tensor entry points to the wrong place)");
        }
    }

    /** Bounds-checked reads of the tensor table; errors name the entry. */
    private static final class TableCursor {
        final Path path;
        final MemorySegment seg;
        final long end;
        long pos;
        int entry;
        String name;

        TableCursor(Path path, MemorySegment seg, long pos, long end) {
            this.path = path;
            this.seg = seg;
            this.pos = pos;
            this.end = end;
        }

        int i32(String field) {
            need(4, field);
            int v = seg.get(I32, pos);
            pos += 4;
            return v;
        }

        long i64(String field) {
            need(8, field);
            long v = seg.get(I64, pos);
            pos += 8;
            return v;
        }

        String utf8(int n) {
            need(n, "name");
            try {
                String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(seg.asSlice(pos, n).asByteBuffer()).toString();
                pos += n;
                return s;
            } catch (CharacterCodingException e) {
                throw error("name is not valid UTF-8");
            }
        }

        private void need(int n, String field) {
            if (end - pos < n) throw error("the table ends inside the field '" + field + "'");
        }

        ModelFormatException error(String what) {
            return new ModelFormatException(path, "tensor table entry #" + entry + (name == null ? "" : " ('" + name + "')") + ": " + what);
        }
    }

    // ------------------------------------------------------------------------------------------- accessors

    public Path path() {
        return path;
    }

    /** Bytes in the file. */
    public long fileSize() {
        return file.byteSize();
    }

    /** The JSON header text (a JSON object, validated at open). */
    public String header() {
        return header;
    }

    /** The header parsed (see {@link Json#parse}); parses on each call, so keep the result. */
    public Map<String, Object> headerJson() {
        return Json.parseObject(header);
    }

    /** The tensor table, in file order. */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    public boolean contains(String name) {
        return index.containsKey(name);
    }

    /** The table entry of a tensor. */
    public TensorInfo tensor(String name) {
        Integer i = index.get(name);
        if (i == null) {
            List<String> names = new ArrayList<>();
            for (TensorInfo t : tensors) {
                if (names.size() == 20) {
                    names.add("...");
                    break;
                }
                names.add(t.name());
            }
            throw new IllegalArgumentException("model file " + path + " has no tensor '" + name + "'; it has " + names);
        }
        return tensors.get(i);
    }

    /** A float32 tensor: a zero-copy, read-only view of the mapping. */
    public F32Array f32(String name) {
        return F32Array.view(typed(name, DType.F32));
    }

    /** An int32 tensor: a zero-copy, read-only view of the mapping. */
    public I32Array i32(String name) {
        return I32Array.view(typed(name, DType.I32));
    }

    /** An int64 tensor: a zero-copy, read-only view of the mapping. */
    public I64Array i64(String name) {
        return I64Array.view(typed(name, DType.I64));
    }

    /** The raw bytes of a tensor of any type: a zero-copy, read-only, 64-byte aligned view of the mapping. */
    public MemorySegment segment(String name) {
        ensureOpen();
        int i = indexOf(name);
        verifyTensor(i);
        TensorInfo t = tensors.get(i);
        return file.asSlice(t.offset(), t.byteLength());
    }

    /** Checks the CRC-32C of every tensor not yet verified (a no-op after an {@link Verification#EAGER} open). */
    public void verify() {
        ensureOpen();
        for (int i = 0; i < tensors.size(); i++) verifyTensor(i);
    }

    private MemorySegment typed(String name, DType want) {
        TensorInfo t = tensor(name);
        if (t.dtype() != want) throw new IllegalArgumentException("tensor '" + name + "' in " + path + " is " + t.dtype().label() + ", not " + want.label());
        return segment(name);
    }

    private int indexOf(String name) {
        tensor(name);
        return index.get(name);
    }

    private void ensureOpen() {
        if (!scope.isOpen()) throw new IllegalStateException("model file " + path + " was mapped in scope '" + scope.name() + "', which is closed");
    }

    private void verifyTensor(int i) {
        if (verified.get(i) != 0) return;
        TensorInfo t = tensors.get(i);
        // Two threads may both verify the same tensor: harmless, the result is the same.
        if (crc(file, t.offset(), t.byteLength()) != t.crc32c()) {
            throw new ModelFormatException(path, "tensor '" + t.name() + "' is corrupt (CRC-32C mismatch in its " + t.byteLength() + " bytes at offset " + t.offset() + ")");
        }
        verified.set(i, 1);
    }

    private static int crc(MemorySegment seg, long off, long len) {
        CRC32C c = new CRC32C();
        for (long p = 0; p < len; p += CRC_CHUNK) {
            c.update(seg.asSlice(off + p, Math.min(CRC_CHUNK, len - p)).asByteBuffer());
        }
        return (int) c.getValue();
    }

    static long alignUp(long x) {
        return (x + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    @Override
    public String toString() {
        return "ModelFile[" + path + ", " + tensors.size() + " tensors, " + file.byteSize() + " bytes]";
    }

    // ---------------------------------------------------------------------------------------------- writing

    /**
     * Writes a model file atomically (see the class doc): {@code jsonHeader} must be a JSON object (checked with
     * {@link Json#validateObject}); tensors are written in list order, names unique. Tensor memory is read
     * while writing and must stay alive until this returns.
     *
     * @throws IllegalArgumentException the header is not a JSON object, or names repeat
     * @throws IllegalStateException    a tensor's memory cannot be read (its scope was closed); the target is
     *                                  then unchanged
     * @throws UncheckedIOException     the file cannot be written; the target is then unchanged
     */
    public static void write(Path path, String jsonHeader, List<TensorSource> tensors) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(jsonHeader, "jsonHeader");
        Objects.requireNonNull(tensors, "tensors");
        try {
            Json.validateObject(jsonHeader);
        } catch (JsonException e) {
            throw new IllegalArgumentException("model file " + path + ": the header must be a JSON object: " + e.getMessage(), e);
        }
        byte[] headerBytes;
        try {
            ByteBuffer hb = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(java.nio.CharBuffer.wrap(jsonHeader));
            headerBytes = new byte[hb.remaining()];
            hb.get(headerBytes);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("model file " + path + ": the header has an unpaired surrogate (not encodable as UTF-8)", e);
        }
        if (headerBytes.length > MAX_HEADER_BYTES) throw new IllegalArgumentException("model file " + path + ": header of " + headerBytes.length + " bytes is too large");

        int n = tensors.size();
        byte[][] names = new byte[n][];
        Map<String, Integer> seen = new HashMap<>();
        long tableLength = 0;
        for (int i = 0; i < n; i++) {
            TensorSource t = Objects.requireNonNull(tensors.get(i), "tensor #" + i);
            Integer before = seen.putIfAbsent(t.name(), i);
            if (before != null) throw new IllegalArgumentException("model file " + path + ": tensor name '" + t.name() + "' is used twice (#" + before + " and #" + i + ")");
            names[i] = t.name().getBytes(StandardCharsets.UTF_8);
            tableLength += 4 + names[i].length + 4 + 4 + 8L * t.shapeRef().length + 8 + 8 + 4;
        }
        long tableOffset = PREAMBLE_BYTES + (long) headerBytes.length;
        if (tableLength > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("model file " + path + ": tensor table of " + tableLength + " bytes is too large");
        long[] offsets = new long[n];
        long end = tableOffset + tableLength;
        for (int i = 0; i < n; i++) {
            offsets[i] = alignUp(end);
            end = offsets[i] + tensors.get(i).byteLength();
        }

        int[] crcs = new int[n];
        try (Arena staging = Arena.ofConfined()) {
            ByteBuffer buf = staging.allocate(COPY_CHUNK, 64).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            MemorySegment stage = MemorySegment.ofBuffer(buf);
            // First pass: the tensors' checksums, which the table before them holds; the write is then one
            // sequential pass, so a device or a pipe can be written into as well as a file.
            for (int i = 0; i < n; i++) crcs[i] = copyTensor(null, buf, stage, tensors.get(i), path);
            ByteBuffer table = ByteBuffer.allocate((int) tableLength).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                TensorSource t = tensors.get(i);
                table.putInt(names[i].length).put(names[i]).putInt(t.dtype().code()).putInt(t.shapeRef().length);
                for (long d : t.shapeRef()) table.putLong(d);
                table.putLong(offsets[i]).putLong(t.byteLength()).putInt(crcs[i]);
            }
            table.flip();
            CRC32C hc = new CRC32C();
            hc.update(headerBytes);
            CRC32C tc = new CRC32C();
            tc.update(table.duplicate());
            ByteBuffer pre = ByteBuffer.allocate(PREAMBLE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            pre.put(MAGIC).putInt(FORMAT_VERSION).putInt(0).putLong(PREAMBLE_BYTES).putLong(headerBytes.length)
                    .putLong(tableOffset).putLong(tableLength).putInt(n).putInt((int) hc.getValue()).putInt((int) tc.getValue());
            CRC32C pc = new CRC32C();
            pc.update(pre.array(), 0, 60);
            pre.putInt((int) pc.getValue()).flip();
            ByteBuffer zeros = staging.allocate(ZEROS.byteSize(), 64).asByteBuffer();
            OutputFiles.write(path, out -> {
                long pos = 0;
                pos += writeFully(out, pre.duplicate());
                pos += writeFully(out, ByteBuffer.wrap(headerBytes));
                pos += writeFully(out, table.duplicate());
                for (int i = 0; i < n; i++) {
                    pos += writeZeros(out, zeros, offsets[i] - pos);
                    int crc = copyTensor(out, buf, stage, tensors.get(i), path);
                    if (crc != crcs[i]) {
                        throw new IllegalStateException("model file " + path + ": tensor '" + tensors.get(i).name() + "' changed while it was written");
                    }
                    pos += tensors.get(i).byteLength();
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write model file " + path + ": " + Objects.requireNonNullElse(e.getMessage(), e.toString()), e);
        }
    }

    /** Streams one tensor through the staging buffer as little-endian bytes (to {@code out}, unless null); returns its CRC-32C. */
    private static int copyTensor(FileChannel out, ByteBuffer buf, MemorySegment stage, TensorSource t, Path path) throws IOException {
        MemorySegment src = t.data();
        int width = t.dtype().bytes();
        ValueLayout srcLayout = switch (t.dtype()) {
            case F32 -> ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(t.order());
            case I32 -> ValueLayout.JAVA_INT_UNALIGNED.withOrder(t.order());
            case I64 -> ValueLayout.JAVA_LONG_UNALIGNED.withOrder(t.order());
        };
        ValueLayout dstLayout = switch (t.dtype()) {
            case F32 -> ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            case I32 -> ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            case I64 -> ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        };
        CRC32C crc = new CRC32C();
        long total = src.byteSize();
        for (long p = 0; p < total; p += COPY_CHUNK) {
            int len = (int) Math.min(COPY_CHUNK, total - p);
            try {
                // Element-wise copy swaps bytes only where the source order differs (a heap array on a big-endian host).
                MemorySegment.copy(src, srcLayout, p, stage, dstLayout, 0, len / width);
            } catch (IllegalStateException e) {
                throw new IllegalStateException("model file " + path + ": cannot read the data of tensor '" + t.name() + "': " + e.getMessage(), e);
            }
            buf.clear().limit(len);
            crc.update(buf);
            if (out != null) {
                buf.clear().limit(len);
                writeFully(out, buf);
            }
        }
        return (int) crc.getValue();
    }

    /** Writes n zero bytes from {@code zeros} (all zero, never written to). */
    private static long writeZeros(FileChannel out, ByteBuffer zeros, long n) throws IOException {
        long all = n;
        while (n > 0) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), n));
            n -= zeros.remaining();
            writeFully(out, zeros);
        }
        return all;
    }

    private static long writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        long n = b.remaining();
        while (b.hasRemaining()) ch.write(b);
        return n;
    }
}
