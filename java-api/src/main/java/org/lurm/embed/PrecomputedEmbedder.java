package org.lurm.embed;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.lurm.backend.Backend;
import org.lurm.memory.MemoryScope;

/**
 * Embeddings a user brings (MODEL.md, "Item embedding module", precomputed), e.g. from an image or text model,
 * read from our binary {@link EmbeddingFile} (zero-copy where possible) or from a TSV file ({@link EmbeddingTsv}).
 *
 * <p>The width is read from the file when the embedder is made, and checked again by {@link #embed}.
 *
 * <p><b>Ownership and zero copy.</b> For a binary file whose ids are the dictionary's ids in order and whose
 * rows are already unit or zero, {@link #embed} returns a view of the memory-mapped file, not a copy in
 * {@code scope}: the mapping lives in an automatic arena and is released by the garbage collector once the
 * returned {@link ItemEmbeddings} (and every view of it) is unreachable; it stays valid after {@code scope}
 * closes. (A {@link org.lurm.memory.MemoryScope} does not lend its arena to mappings; for deterministic
 * unmapping use {@link EmbeddingFile#open(Path)} and {@link EmbeddingFile#toEmbeddings} directly.) In every
 * other case the rows are copied into {@code scope} and normalised; counter {@code zeroCopy} tells which
 * happened.
 *
 * <p><b>Thread-safety.</b> Immutable; {@link #embed} may run concurrently.
 */
public final class PrecomputedEmbedder implements ItemEmbedder {
    /** File formats. */
    public enum Format {
        /** {@link EmbeddingFile}. */
        BINARY,
        /** {@link EmbeddingTsv}. */
        TSV
    }

    /**
     * @param unknownIds what to do with ids the dictionary does not know (default {@link UnknownItemPolicy#FAIL})
     * @param zeroCopy   whether a matching binary file may be used in place (default true)
     */
    public record Options(UnknownItemPolicy unknownIds, boolean zeroCopy) {
        public Options {
            Objects.requireNonNull(unknownIds, "unknownIds");
        }

        public static Options defaults() {
            return new Options(UnknownItemPolicy.FAIL, true);
        }

        public Options withUnknownIds(UnknownItemPolicy p) {
            return new Options(p, zeroCopy);
        }

        public Options withZeroCopy(boolean z) {
            return new Options(unknownIds, z);
        }
    }

    private final Path path;
    private final Format format;
    private final Options options;
    private final int dim;

    private PrecomputedEmbedder(Path path, Format format, Options options) {
        this.path = Objects.requireNonNull(path, "path");
        this.format = Objects.requireNonNull(format, "format");
        this.options = Objects.requireNonNull(options, "options");
        if (!Files.isRegularFile(path)) throw new IllegalArgumentException("embedding file " + path + " does not exist or is not a regular file");
        this.dim = readDim();
    }

    /** Binary when the file starts with {@link EmbeddingFile}'s magic, TSV otherwise; default options. */
    public static PrecomputedEmbedder of(Path path) {
        return of(path, Options.defaults());
    }

    public static PrecomputedEmbedder of(Path path, Options options) {
        return new PrecomputedEmbedder(path, EmbeddingFile.hasMagic(path) ? Format.BINARY : Format.TSV, options);
    }

    public static PrecomputedEmbedder of(Path path, Format format, Options options) {
        return new PrecomputedEmbedder(path, format, options);
    }

    private int readDim() {
        if (format == Format.BINARY) {
            try (EmbeddingFile f = EmbeddingFile.open(path)) {
                return f.dim();
            }
        }
        int d = EmbeddingTsv.peekDimension(path);
        if (d < 1) throw new EmbeddingFormatException(path, d < 0 ? "no data lines" : "the first data line has an id but no values");
        return d;
    }

    public Path path() {
        return path;
    }

    public Format format() {
        return format;
    }

    @Override
    public String name() {
        return "precomputed";
    }

    @Override
    public int dimension() {
        return dim;
    }

    @Override
    public ItemEmbeddings embed(EmbeddingInput input, Backend backend, MemoryScope scope) {
        ItemEmbeddings e;
        if (format == Format.BINARY) {
            // The mapping belongs to the caller's scope, like any other result: a zero-copy result stays valid
            // exactly as long as the scope is open.
            EmbeddingFile f = EmbeddingFile.open(path, scope);
            e = f.toEmbeddings(input.items(), options.unknownIds(), options.zeroCopy(), scope);
        } else {
            e = EmbeddingTsv.read(path, input.items(), options.unknownIds(), scope);
        }
        if (e.dim() != dim) throw new EmbeddingFormatException(path, "width changed from " + dim + " to " + e.dim() + " since the embedder was made");
        return e;
    }
}
