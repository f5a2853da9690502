package org.lurm.cli;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.lurm.BagOfInterests;
import org.lurm.boi.BoiSet;
import org.lurm.boi.Scale;
import org.lurm.io.OutputFiles;
import org.lurm.model.Json;
import org.lurm.model.JsonException;
import org.lurm.smen.FileCheckpointStore;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenFile;
import org.lurm.smen.SmenTrainer;

/**
 * {@code lurm fit --checkpoint-dir DIR}: SMEN's checkpoints in DIR ({@link FileCheckpointStore}'s
 * {@code checkpoint.lurm}, replaced atomically) and, beside it, {@code run.json}: a SHA-256 fingerprint of
 * what training depends on (the SMEN configuration, the BoI rows, the interest centroids). The same command run
 * again finds the same fingerprint and resumes from the latest checkpoint, bit-identically; a folder that holds
 * another run's checkpoint (other events, options or seed) is refused rather than mixed in. Orphaned
 * temporary files of a killed run are removed when the folder is opened.
 *
 * <p>Not thread-safe: one fit uses it.
 */
final class FitCheckpoint implements Pipeline.Checkpointing {
    static final String RUN_FILE = "run.json";
    static final String FORMAT = "lurm-fit-run";

    private final Path dir;
    private final int every;
    private final int threads;
    private int orphansRemoved;
    private long resumedFrom = -1;

    FitCheckpoint(Path dir, int every, int threads) throws IOException {
        if (every < 1) throw CliException.usage("--checkpoint-every must be >= 1, got " + every);
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new java.nio.file.FileSystemException(dir.toString(), null, "is a file, not a folder (--checkpoint-dir names a folder)");
        }
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) throw new java.nio.file.NoSuchFileException(parent.toString(), null, "the checkpoint folder's parent does not exist");
        Files.createDirectories(dir);
        this.dir = dir;
        this.every = every;
        this.threads = threads;
        orphansRemoved = OutputFiles.removeOrphans(dir.resolve(FileCheckpointStore.FILE)) + OutputFiles.removeOrphans(dir.resolve(RUN_FILE));
    }

    @Override
    public int every() {
        return every;
    }

    Path dir() {
        return dir;
    }

    /** Temporary files of an interrupted run removed from the folder. */
    int orphansRemoved() {
        return orphansRemoved;
    }

    /** The step training resumed from, or -1 when it started afresh. */
    long resumedFrom() {
        return resumedFrom;
    }

    @Override
    public SmenTrainer.CheckpointStore open(BoiSet rows, BagOfInterests stage1, SmenConfig cfg) {
        String fp = fingerprint(rows, stage1, cfg);
        Path run = dir.resolve(RUN_FILE);
        Path ckpt = dir.resolve(FileCheckpointStore.FILE);
        try {
            if (Files.exists(run)) {
                Map<String, Object> j;
                try {
                    j = Json.parseObject(Files.readString(run, StandardCharsets.UTF_8));
                } catch (JsonException | java.nio.charset.MalformedInputException e) {
                    throw CliException.badInput(run + ": not valid JSON (" + e.getMessage() + "); use another --checkpoint-dir");
                }
                if (!FORMAT.equals(j.get("format"))) {
                    throw CliException.badInput(run + ": not the run file of a lurm checkpoint folder (format " + j.get("format") + "); use another --checkpoint-dir");
                }
                if (!fp.equals(j.get("fingerprint"))) {
                    Object t = j.get("threads");
                    String threadsNote = t instanceof Long n && n != threads
                            ? " (it was written with " + n + " threads, this run has " + threads + ": Stage 1 and SMEN results depend on the thread count, so resume with --threads " + n + ")"
                            : "";
                    throw CliException.usage(dir + " holds the checkpoint of a different run (other events, options or seed)" + threadsNote
                            + ": use another --checkpoint-dir, or delete " + dir + " to start afresh");
                }
            } else {
                if (Files.exists(ckpt)) {
                    throw CliException.usage(dir + " holds a checkpoint without " + RUN_FILE + " (not written by lurm fit): use another --checkpoint-dir");
                }
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("format", FORMAT);
                j.put("version", 1);
                j.put("fingerprint", fp);
                j.put("threads", threads);
                j.put("library", "lurm 0.1.0-SNAPSHOT");
                j.put("createdUtc", java.time.Instant.now().toString());
                byte[] text = (Json.writePretty(j) + "\n").getBytes(StandardCharsets.UTF_8);
                OutputFiles.write(run, ch -> {
                    ByteBuffer b = ByteBuffer.wrap(text);
                    while (b.hasRemaining()) ch.write(b);
                });
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        FileCheckpointStore files = new FileCheckpointStore(dir);
        return new SmenTrainer.CheckpointStore() {
            @Override
            public void save(SmenTrainer.Checkpoint c) {
                files.save(c);
            }

            @Override
            public Optional<SmenTrainer.Checkpoint> latest() {
                Optional<SmenTrainer.Checkpoint> c = files.latest();
                resumedFrom = c.map(SmenTrainer.Checkpoint::step).orElse(-1L);
                return c;
            }
        };
    }

    /** SHA-256 of everything SMEN's training trajectory depends on. */
    static String fingerprint(BoiSet rows, BagOfInterests stage1, SmenConfig cfg) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        StringBuilder meta = new StringBuilder("lurm fit checkpoint 1\n").append(Json.write(SmenFile.configJson(cfg))).append('\n');
        meta.append("K ").append(rows.numInterests()).append(" users ").append(rows.numUsers()).append(" origin ").append(rows.config().origin())
                .append(" centroidDim ").append(stage1.embeddings().dim()).append('\n');
        for (Scale s : rows.config().scales()) meta.append(s.name()).append(' ').append(s.periodSeconds()).append(' ').append(s.tMax()).append('\n');
        md.update(meta.toString().getBytes(StandardCharsets.UTF_8));
        for (MemorySegment seg : new MemorySegment[] {rows.rowPtrArray().segment(), rows.colArray().segment(), rows.valArray().segment(),
                rows.rowUserArray().segment(), rows.rowScaleArray().segment(), rows.rowPeriodArray().segment(), rows.userRowPtrArray().segment(),
                rows.dfArray().segment(), stage1.interests().centroids().segment()}) {
            update(md, seg);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void update(MessageDigest md, MemorySegment seg) {
        long n = seg.byteSize();
        md.update(ByteBuffer.allocate(8).putLong(n).flip());
        for (long p = 0; p < n; p += 1 << 20) md.update(seg.asSlice(p, Math.min(1 << 20, n - p)).asByteBuffer());
    }
}
