package org.lurm.cli;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.lurm.events.IdDictionary;
import org.lurm.io.OutputFiles;
import org.lurm.memory.F32Array;
import org.lurm.progress.Progress;

/**
 * User embeddings on disk: a small binary format and CSV (docs/CLI.md, "Embeddings files").
 *
 * <p><b>Binary</b> (little-endian): bytes 0-7 the magic {@code "LURMEMB\0"}; 8 u32 version (1); 12 u32 dim;
 * 16 u64 rows; 24 u64 dataOffset (a multiple of 64); 32 u64 idBytes; 40-63 zero. From byte 64, the user ids:
 * per row a u32 byte length and that many UTF-8 bytes (idBytes in all). From dataOffset, rows x dim float32,
 * row-major, and nothing after: the file is exactly {@code dataOffset + rows * dim * 4} bytes. Every field is
 * checked on reading; a truncated or corrupt file gives a {@link FormatException} that says which part is
 * wrong.
 *
 * <p><b>CSV</b>: a header {@code user_id,e0,...,e(dim-1)}, then one line per user: the id (quoted as RFC 4180
 * when it contains a comma, quote or line break, or starts or ends with white space) and dim floats written so that they read back to the same
 * float bits.
 *
 * <p>Writes go through {@link OutputFiles#write}: atomic for a file (temporary file, fsync, rename), in place for
 * a device or pipe, never over a folder; new files get the default permissions (0666 less the umask), replaced
 * ones keep theirs. Stateless; thread-safe.
 */
public final class EmbeddingsFile {
    static final byte[] MAGIC = {'L', 'U', 'R', 'M', 'E', 'M', 'B', 0};
    static final int VERSION = 1;
    static final int HEADER_BYTES = 64;
    private static final int MAX_ID_BYTES = 1 << 20;
    /** The floats a CSV embeddings file may hold. */
    static final java.util.regex.Pattern FLOAT = java.util.regex.Pattern.compile("[+-]?(NaN|Infinity|([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?)");

    /** Embeddings read back: user ids and a rows x dim matrix on-heap (row-major). */
    public record Embeddings(List<String> ids, int dim, float[] values) {
        public Embeddings {
            ids = List.copyOf(ids);
            if (dim < 1) throw new IllegalArgumentException("dim must be >= 1");
            if ((long) ids.size() * dim != values.length) throw new IllegalArgumentException("values must be rows x dim");
        }

        public int rows() {
            return ids.size();
        }

        public float get(int row, int j) {
            return values[row * dim + j];
        }
    }

    /** A damaged or mistaken embeddings file; the message names the file and the part that is wrong. */
    public static final class FormatException extends IOException {
        private static final long serialVersionUID = 1L;

        public FormatException(Path file, String what) {
            super(file + ": " + what);
        }
    }

    private EmbeddingsFile() {
    }

    /** Format by name: "bin" or "csv"; "auto" picks csv for a .csv / .csv.gz name, else bin. */
    static String formatFor(String format, Path out) {
        String f = format.toLowerCase(Locale.ROOT);
        if (f.equals("auto")) {
            String n = out == null ? "" : out.getFileName().toString().toLowerCase(Locale.ROOT);
            return n.endsWith(".csv") || n.endsWith(".csv.gz") || out == null ? "csv" : "bin";
        }
        if (!f.equals("bin") && !f.equals("csv")) throw CliException.usage("--format must be bin, csv or auto, got '" + format + "'");
        return f;
    }

    /** Writes rows x dim floats with the ids of rows 0..rows-1 of {@code users}, atomically. */
    public static void writeBinary(Path path, IdDictionary users, F32Array values, int dim, Progress.Task task) throws IOException {
        int rows = users.size();
        if (values.length() != (long) rows * dim) throw new IllegalArgumentException("values must be users x dim");
        byte[][] ids = new byte[rows][];
        long idsLength = 0;
        for (int u = 0; u < rows; u++) {
            ids[u] = users.id(u).getBytes(StandardCharsets.UTF_8);
            idsLength += 4 + ids[u].length;
        }
        long idBytes = idsLength;
        long dataOffset = (HEADER_BYTES + idBytes + 63) / 64 * 64;
        writeAtomically(path, os -> {
            ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            h.put(MAGIC).putInt(VERSION).putInt(dim).putLong(rows).putLong(dataOffset).putLong(idBytes);
            os.write(h.array());
            ByteBuffer len = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            for (byte[] id : ids) {
                len.clear();
                os.write(len.putInt(id.length).array());
                os.write(id);
            }
            os.write(new byte[(int) (dataOffset - HEADER_BYTES - idBytes)]);
            ByteBuffer row = ByteBuffer.allocate(dim * 4).order(ByteOrder.LITTLE_ENDIAN);
            float[] r = new float[dim];
            for (int u = 0; u < rows; u++) {
                values.copyTo((long) u * dim, r, 0, dim);
                row.clear();
                row.asFloatBuffer().put(r);
                os.write(row.array());
                task.advance(1);
            }
        });
    }

    /** Writes CSV to a file, atomically. */
    public static void writeCsv(Path path, IdDictionary users, F32Array values, int dim, Progress.Task task) throws IOException {
        writeAtomically(path, os -> {
            Writer w = new java.io.OutputStreamWriter(os, StandardCharsets.UTF_8);
            writeCsv(w, users, values, dim, task);
            w.flush();
        });
    }

    /** Writes CSV to a writer (stdout, for instance); does not close it. */
    public static void writeCsv(Writer w, IdDictionary users, F32Array values, int dim, Progress.Task task) throws IOException {
        StringBuilder sb = new StringBuilder("user_id");
        for (int j = 0; j < dim; j++) sb.append(",e").append(j);
        w.write(sb.append('\n').toString());
        float[] r = new float[dim];
        for (int u = 0; u < users.size(); u++) {
            sb.setLength(0);
            sb.append(csvField(users.id(u)));
            values.copyTo((long) u * dim, r, 0, dim);
            for (float f : r) sb.append(',').append(f);
            w.write(sb.append('\n').toString());
            task.advance(1);
            // a PrintWriter (stdout) swallows write errors: stop at the first instead of formatting the rest for nothing
            if ((u & 1023) == 1023 && w instanceof java.io.PrintWriter p && p.checkError()) {
                throw new IOException("could not write the embeddings: the output failed after " + (u + 1) + " users");
            }
        }
    }

    static String csvField(String s) {
        // quoted when it holds a separator, quote or line break, or starts or ends with white space (readers trim)
        boolean plain = s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0 && s.equals(s.strip());
        if (plain) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    /** Reads either format: binary when the file starts with the magic, else CSV. */
    public static Embeddings read(Path path) throws IOException {
        if (Files.isDirectory(path)) throw new java.nio.file.FileSystemException(path.toString(), null, "is a folder, not an embeddings file");
        if (!Files.exists(path)) throw new java.nio.file.NoSuchFileException(path.toString());
        byte[] head = new byte[8];
        int n;
        try (var in = Files.newInputStream(path)) {
            n = in.readNBytes(head, 0, 8);
        }
        if (n >= 4 && head[0] == 'L' && head[1] == 'U' && head[2] == 'R' && head[3] == 'M') return readBinary(path);
        return readCsv(path);
    }

    /** Reads and validates a binary embeddings file. */
    public static Embeddings readBinary(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER_BYTES) throw new FormatException(path, "truncated: " + size + " bytes, shorter than the 64-byte header");
            ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, h, 0, path);
            h.flip();
            byte[] magic = new byte[8];
            h.get(magic);
            if (!Arrays.equals(magic, MAGIC)) throw new FormatException(path, "not a lurm embeddings file (bad magic; expected \"LURMEMB\\0\")");
            int version = h.getInt();
            if (version != VERSION) throw new FormatException(path, "embeddings format version " + version + "; this lurm reads version " + VERSION);
            int dim = h.getInt();
            long rows = h.getLong();
            long dataOffset = h.getLong();
            long idBytes = h.getLong();
            while (h.hasRemaining()) {
                if (h.get() != 0) throw new FormatException(path, "corrupt header: reserved byte " + (h.position() - 1) + " is not zero");
            }
            if (dim < 1) throw new FormatException(path, "corrupt header: dim " + dim + " (must be >= 1)");
            if (rows < 0 || rows > Integer.MAX_VALUE) throw new FormatException(path, "corrupt header: rows " + rows);
            if (idBytes < 4 * rows || idBytes > size) throw new FormatException(path, "corrupt header: id block of " + idBytes + " bytes for " + rows + " rows in a " + size + "-byte file");
            if (dataOffset % 64 != 0 || dataOffset < HEADER_BYTES + idBytes || dataOffset > size) {
                throw new FormatException(path, "corrupt header: data offset " + dataOffset + (dataOffset > size ? " beyond the end of the " + size + "-byte file (truncated?)" : ""));
            }
            long floats = rows * dim;
            if (floats > Integer.MAX_VALUE - 8) throw new FormatException(path, rows + " x " + dim + " floats are too many to read at once");
            long expected = dataOffset + floats * 4;
            if (size < expected) throw new FormatException(path, "truncated: " + size + " bytes, the header promises " + expected + " (" + rows + " rows x " + dim + " floats)");
            if (size > expected) throw new FormatException(path, (size - expected) + " unexpected bytes after the " + rows + " x " + dim + " floats");
            ByteBuffer idb = ByteBuffer.allocate((int) idBytes).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, idb, HEADER_BYTES, path);
            idb.flip();
            List<String> ids = new ArrayList<>((int) rows);
            Set<String> seen = new HashSet<>();
            var dec = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
            for (long r = 0; r < rows; r++) {
                if (idb.remaining() < 4) throw new FormatException(path, "id block ends before the id of row " + r);
                int len = idb.getInt();
                if (len < 0 || len > MAX_ID_BYTES || len > idb.remaining()) throw new FormatException(path, "corrupt id of row " + r + ": length " + len);
                ByteBuffer slice = idb.slice(idb.position(), len);
                idb.position(idb.position() + len);
                String id;
                try {
                    id = dec.decode(slice).toString();
                } catch (CharacterCodingException e) {
                    throw new FormatException(path, "id of row " + r + " is not valid UTF-8");
                }
                if (!seen.add(id)) throw new FormatException(path, "user id '" + id + "' appears twice (rows " + ids.indexOf(id) + " and " + r + ")");
                ids.add(id);
            }
            if (idb.hasRemaining()) throw new FormatException(path, idb.remaining() + " unexplained bytes at the end of the id block");
            if (dataOffset > HEADER_BYTES + idBytes) {
                ByteBuffer pad = ByteBuffer.allocate((int) (dataOffset - HEADER_BYTES - idBytes));
                readFully(ch, pad, HEADER_BYTES + idBytes, path);
                for (int i = 0; i < pad.capacity(); i++) {
                    if (pad.get(i) != 0) throw new FormatException(path, "padding byte " + (HEADER_BYTES + idBytes + i) + " before the floats is not zero");
                }
            }
            float[] values = new float[(int) floats];
            ByteBuffer data = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            long pos = dataOffset;
            int at = 0;
            while (at < values.length) {
                data.clear();
                data.limit((int) Math.min(data.capacity(), (long) (values.length - at) * 4));
                readFully(ch, data, pos, path);
                pos += data.limit();
                data.flip();
                int k = data.remaining() / 4;
                data.asFloatBuffer().get(values, at, k);
                at += k;
            }
            return new Embeddings(ids, dim, values);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos, Path path) throws IOException {
        while (b.hasRemaining()) {
            int n = ch.read(b, pos);
            if (n < 0) throw new FormatException(path, "truncated at byte " + pos);
            pos += n;
        }
    }

    /** Reads and validates a CSV embeddings file (header user_id,e0,...; every row the same width; finite floats not required). */
    public static Embeddings readCsv(Path path) throws IOException {
        TextTable t = new TextTable(",", false, true, StandardCharsets.UTF_8, null);
        List<String> ids = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        List<float[]> rows = new ArrayList<>();
        int[] dim = {-1};
        boolean[] first = {true};
        t.read(path, Progress.Task.NONE, head -> row -> {
            List<String> f = row.fields();
            if (first[0]) {
                first[0] = false;
                if (f.isEmpty() || !f.get(0).equalsIgnoreCase("user_id")) {
                    throw new FormatException(path, "line " + row.line() + ": not a lurm embeddings file (binary files start with LURMEMB, CSV files with the header user_id,e0,...)");
                }
                dim[0] = f.size() - 1;
                if (dim[0] < 1) throw new FormatException(path, "line " + row.line() + ": the header names no embedding columns");
                return;
            }
            if (f.size() != dim[0] + 1) {
                throw new FormatException(path, "line " + row.line() + ": " + (f.size() - 1) + " values, the header announces " + dim[0]);
            }
            float[] v = new float[dim[0]];
            for (int j = 0; j < v.length; j++) {
                try {
                    // what the writer writes (Float.toString): decimal or scientific, NaN, Infinity; not Java's
                    // hexadecimal floats or 'f'/'d' suffixes, which parseFloat would also take
                    if (!FLOAT.matcher(f.get(j + 1)).matches()) throw new NumberFormatException();
                    v[j] = Float.parseFloat(f.get(j + 1));
                } catch (NumberFormatException e) {
                    throw new FormatException(path, "line " + row.line() + ": field 'e" + j + "' (column " + (j + 2) + "): not a number: \"" + f.get(j + 1) + "\"");
                }
            }
            if (!seen.add(f.get(0))) throw new FormatException(path, "line " + row.line() + ": user id '" + f.get(0) + "' appears twice");
            ids.add(f.get(0));
            rows.add(v);
        });
        if (dim[0] < 1) throw new FormatException(path, "empty file: no header line");
        float[] values = new float[Math.multiplyExact(rows.size(), dim[0])];
        for (int i = 0; i < rows.size(); i++) System.arraycopy(rows.get(i), 0, values, i * dim[0], dim[0]);
        return new Embeddings(ids, dim[0], values);
    }

    /** What writes a file's content into the (buffered) stream of {@link #writeAtomically}. */
    private interface Content {
        void writeTo(OutputStream os) throws IOException;
    }

    /**
     * Writes {@code path} through {@link OutputFiles#write}: a regular file is replaced atomically (temporary
     * file, forced to disk, renamed; on failure the old file is untouched), a device or pipe is written into, a
     * folder is refused.
     */
    private static void writeAtomically(Path path, Content content) throws IOException {
        OutputFiles.write(path, ch -> {
            OutputStream os = new BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 16);
            content.writeTo(os);
            os.flush();
        });
    }

    /** A one-line description for summaries. */
    static String describe(Embeddings e) {
        return String.format(Locale.ROOT, "%,d users x %d floats", e.rows(), e.dim());
    }
}
