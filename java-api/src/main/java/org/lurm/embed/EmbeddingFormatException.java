package org.lurm.embed;

import java.nio.file.Path;

/**
 * A file of precomputed embeddings is malformed: truncated, corrupt, of an unknown version, or with a bad
 * line. The message names the file and, where there is one, the line, field, row or id.
 */
public final class EmbeddingFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public EmbeddingFormatException(Path file, String what) {
        super(file + ": " + what);
    }

    public EmbeddingFormatException(Path file, String what, Throwable cause) {
        super(file + ": " + what, cause);
    }
}
