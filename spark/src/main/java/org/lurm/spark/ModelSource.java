package org.lurm.spark;

import java.io.IOException;
import java.io.Serial;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import org.apache.spark.SparkFiles;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

/**
 * Where executors find the {@link org.lurm.LurmModel} file. A loaded model is off-heap and not serialisable, so
 * what travels is the file: either its bytes in a Spark broadcast ({@link #broadcast}: simplest, up to 2 GiB), or
 * a path every executor can read ({@link #sparkFile} for a file shipped with {@code spark-submit --files}, or
 * {@link #sharedPath} for a file on a shared file system). Executors load the file once per JVM and keep it
 * ({@link ExecutorModels}).
 *
 * <p><b>Serialisation.</b> Java-serialisable: a broadcast handle or a path string, plus a key naming the content.
 * <b>Thread-safety.</b> Immutable.
 */
public abstract sealed class ModelSource implements Serializable permits ModelSource.Bytes, ModelSource.FileName {
    @Serial
    private static final long serialVersionUID = 1L;

    private ModelSource() {
    }

    /** Reads the model file on the driver and broadcasts its bytes. */
    public static ModelSource broadcast(SparkSession spark, Path modelFile) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(modelFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model file " + modelFile, e);
        } catch (OutOfMemoryError e) {
            throw new IllegalArgumentException("model file " + modelFile + " is too large to broadcast as bytes: ship it with --files and use ModelSource.sparkFile", e);
        }
        Broadcast<byte[]> b = spark.sparkContext().broadcast(bytes, scala.reflect.ClassTag$.MODULE$.apply(byte[].class));
        return new Bytes(b, "sha256:" + sha256(bytes));
    }

    /** A file shipped to every executor with {@code spark-submit --files} (or {@code SparkContext.addFile}), by name. */
    public static ModelSource sparkFile(String name) {
        return new FileName(name, true);
    }

    /** A path that every executor can read (a shared or replicated file system). */
    public static ModelSource sharedPath(String path) {
        return new FileName(path, false);
    }

    /** A key that names the model content (or location), under which executors cache the loaded model. */
    abstract String key();

    /** The model file on this executor, materialised into {@code tempDir} if needed. */
    abstract Path resolve(Path tempDir) throws IOException;

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static final class Bytes extends ModelSource {
        @Serial
        private static final long serialVersionUID = 1L;
        private final Broadcast<byte[]> bytes;
        private final String key;

        Bytes(Broadcast<byte[]> bytes, String key) {
            this.bytes = bytes;
            this.key = key;
        }

        @Override
        String key() {
            return key;
        }

        @Override
        Path resolve(Path tempDir) throws IOException {
            Path f = Files.createTempFile(tempDir, "lurm-model-", ".lurm");
            Files.write(f, bytes.value());
            return f;
        }
    }

    static final class FileName extends ModelSource {
        @Serial
        private static final long serialVersionUID = 1L;
        private final String name;
        private final boolean sparkFile;

        FileName(String name, boolean sparkFile) {
            this.name = Objects.requireNonNull(name, "model file name");
            this.sparkFile = sparkFile;
        }

        @Override
        String key() {
            return (sparkFile ? "sparkFile:" : "path:") + name;
        }

        @Override
        Path resolve(Path tempDir) {
            Path p = Path.of(sparkFile ? SparkFiles.get(name) : name);
            if (!Files.isReadable(p)) {
                throw new IllegalArgumentException("model file " + p + " is not readable on this executor"
                        + (sparkFile ? " (ship it with spark-submit --files or SparkContext.addFile)" : " (the path must be readable by every executor)"));
            }
            return p;
        }
    }
}
