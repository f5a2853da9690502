package org.lurm.embed;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.lurm.events.IdDictionary;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;

/**
 * Item embeddings as UTF-8 text, one item per line: the id, a TAB, then the values separated by TABs
 * ({@code id\tv1\tv2...}). Blank lines and lines starting with '#' are ignored; a trailing '\r' is removed.
 * The width comes from the first data line and every line must match it. Any bad line is an
 * {@link EmbeddingFormatException} naming the file, the line and the field: a wrong number of values, a value
 * that is not a number or not finite, an empty id, an id given twice, or (with {@link UnknownItemPolicy#FAIL})
 * an id the dictionary does not know.
 *
 * <p>A convenience format: always copied (into the scope given to {@link #read}) and normalised. Stateless and
 * thread-safe.
 */
public final class EmbeddingTsv {
    private EmbeddingTsv() {
    }

    /** Width of the first data line's vector (-1 when the file has no data line). */
    public static int peekDimension(Path path) {
        try (BufferedReader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (isSkipped(line)) continue;
                int tabs = 0;
                for (int i = 0; i < line.length(); i++) if (line.charAt(i) == '\t') tabs++;
                return tabs;
            }
            return -1;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read embedding file " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads the file into embeddings aligned with {@code items} (rows at dictionary indices, allocated in
     * {@code scope}); dictionary items without a line get zero rows ({@code itemsNotInFile}).
     */
    public static ItemEmbeddings read(Path path, IdDictionary items, UnknownItemPolicy unknownIds, MemoryScope scope) {
        Objects.requireNonNull(unknownIds, "unknownIds");
        int n = items.size();
        int dim = -1;
        F32Array out = null;
        int[] lineOf = new int[n]; // line number that set the item, 0 = none
        long lines = 0, rows = 0, skipped = 0;
        float[] buf = null;
        try (BufferedReader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                lines++;
                if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
                if (isSkipped(line)) continue;
                int tab = line.indexOf('\t');
                if (tab < 0) throw new EmbeddingFormatException(path, "line " + lines + ": no TAB after the id");
                if (tab == 0) throw new EmbeddingFormatException(path, "line " + lines + ": empty id");
                String id = line.substring(0, tab);
                if (dim < 0) {
                    int tabs = 0;
                    for (int i = tab; i < line.length(); i++) if (line.charAt(i) == '\t') tabs++;
                    dim = tabs;
                    out = scope.allocateF32((long) n * dim);
                    buf = new float[dim];
                }
                int field = 0;
                int start = tab + 1;
                while (true) {
                    int end = line.indexOf('\t', start);
                    if (end < 0) end = line.length();
                    if (field == dim) throw new EmbeddingFormatException(path, "line " + lines + ": more than " + dim + " values after the id (the first data line has " + dim + ")");
                    String s = line.substring(start, end);
                    float x;
                    try {
                        x = Float.parseFloat(s);
                    } catch (NumberFormatException e) {
                        throw new EmbeddingFormatException(path, "line " + lines + ", value " + (field + 1) + ": '" + s + "' is not a number");
                    }
                    if (!Float.isFinite(x)) throw new EmbeddingFormatException(path, "line " + lines + ", value " + (field + 1) + ": '" + s + "' is not finite");
                    buf[field++] = x;
                    if (end == line.length()) break;
                    start = end + 1;
                }
                if (field != dim) throw new EmbeddingFormatException(path, "line " + lines + ": " + field + " values after the id, expected " + dim + " (as on the first data line)");
                rows++;
                int item = items.indexOf(id);
                if (item < 0 || item >= n) {
                    if (unknownIds == UnknownItemPolicy.FAIL) {
                        throw new EmbeddingFormatException(path, "line " + lines + ": id '" + id + "' is not in the item dictionary; use UnknownItemPolicy.SKIP to skip and count such lines");
                    }
                    skipped++;
                    continue;
                }
                if (lineOf[item] != 0) throw new EmbeddingFormatException(path, "line " + lines + ": id '" + id + "' was already given on line " + lineOf[item]);
                lineOf[item] = (int) Math.min(Integer.MAX_VALUE, lines);
                out.copyFrom(buf, 0, (long) item * dim, dim);
            }
        } catch (CharacterCodingException e) {
            throw new EmbeddingFormatException(path, "not valid UTF-8 after line " + lines, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read embedding file " + path + ": " + e.getMessage(), e);
        }
        if (dim < 1) throw new EmbeddingFormatException(path, dim == 0 ? "the first data line has an id but no values" : "no data lines");
        long missing = 0;
        for (int l : lineOf) if (l == 0) missing++;
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("rowsInFile", rows);
        counters.put("itemsNotInFile", missing);
        counters.put("skippedUnknownIds", skipped);
        return ItemEmbeddings.normalizeInPlace(out, n, dim, "precomputed:" + path.getFileName(), counters);
    }

    /** Writes the present items (absent ones have no line), values in shortest round-trip form, atomically. */
    public static void write(Path path, ItemEmbeddings emb, IdDictionary items) {
        if (items.size() < emb.numItems()) throw new IllegalArgumentException("dictionary has " + items.size() + " ids, embeddings cover " + emb.numItems());
        Path dir = path.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, "." + path.getFileName() + ".", ".tmp");
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                float[] row = new float[emb.dim()];
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < emb.numItems(); i++) {
                    if (!emb.isPresent(i)) continue;
                    String id = items.id(i);
                    if (id.isEmpty() || id.indexOf('\t') >= 0 || id.indexOf('\n') >= 0 || id.indexOf('\r') >= 0 || id.startsWith("#")) {
                        throw new IllegalArgumentException("item id '" + id + "' cannot be written to TSV (empty, starts with '#', or holds a TAB or line break): use the binary EmbeddingFile");
                    }
                    emb.copyVector(i, row, 0);
                    sb.setLength(0);
                    sb.append(id);
                    for (float x : row) sb.append('\t').append(x);
                    sb.append('\n');
                    w.write(sb.toString());
                }
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

    private static boolean isSkipped(String line) {
        return line.isBlank() || line.startsWith("#");
    }
}
