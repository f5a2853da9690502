package org.lurm;

import java.nio.file.Path;

/**
 * A model file is malformed: too short, truncated, of another format or version, corrupt (a checksum does not
 * match), or with a size, offset or table entry that cannot be right. The message names the file and what is
 * wrong (the field, the tensor, the offset).
 *
 * <p>Immutable (as exceptions are once thrown); safe to pass between threads.
 */
public final class ModelFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public ModelFormatException(Path file, String what) {
        super(file + ": " + what);
        this.file = file;
    }

    public ModelFormatException(Path file, String what, Throwable cause) {
        super(file + ": " + what, cause);
        this.file = file;
    }

    /** The file that is malformed. */
    public Path file() {
        return file;
    }
}
