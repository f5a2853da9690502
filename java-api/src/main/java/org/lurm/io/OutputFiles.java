package org.lurm.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * How every output file of lurm is written (models, checkpoints, embeddings, reports): nothing a user had is
 * lost, nothing that is not a file is replaced, and no temporary file outlives the process that made it.
 *
 * <p><b>The target.</b> Symbolic links are followed (a link to a file is written through: the file it names
 * gets the new content and the link stays a link). Then:
 * <ul>
 * <li>a regular file, or nothing yet: the content goes to a temporary file beside the target
 * ({@code .<name>.<16 hex digits>.tmp}, created with the default permissions, that is 0666 less the umask), which
 * is forced to disk and renamed over the target in one atomic step, then the folder is forced. An existing
 * target keeps its POSIX permissions. On any failure the temporary file is removed and the target is as it
 * was: readers see the old file or the new one, never a part.</li>
 * <li>a folder: refused with a {@link FileSystemException} ("is a folder").</li>
 * <li>anything else that exists (a device such as {@code /dev/null}, a named pipe, a socket): written into, in
 * place, in one sequential pass, never replaced. Such a write is not atomic (a device has no "old content").</li>
 * </ul>
 *
 * <p><b>Orphans.</b> A writer holds an exclusive lock on its temporary file until the rename. A process killed
 * mid-write (kill -9, power loss) leaves its temporary file behind, unlocked: {@link #removeOrphans} deletes the
 * temporary files of a target that no live writer holds, and every {@link #write} calls it first, so the next
 * write of the same target cleans up after a killed one. A temporary file that a live writer (in this process
 * or another) holds is never touched. Locks are advisory POSIX locks; on a file system without them (some
 * network mounts) an orphan is only removed once its lock attempt succeeds.
 *
 * <p><b>Thread-safety.</b> Stateless apart from an internal set of the temporary files this process is
 * writing; every method may be called from several threads (concurrent writes of one target: the last rename
 * wins, each file is whole).
 */
public final class OutputFiles {
    /** Writes the content of a file into a channel positioned at 0 (a file, a device or a pipe). */
    @FunctionalInterface
    public interface Content {
        void writeTo(FileChannel out) throws IOException;
    }

    /** What a write did. */
    public enum Kind {
        /** A regular file was written (created or atomically replaced). */
        FILE,
        /** An existing non-regular file (device, pipe) was written into in place. */
        IN_PLACE
    }

    private static final int MAX_LINKS = 40;
    /** Temporary files this process is writing: never cleaned, never even opened by {@link #removeOrphans}. */
    private static final Set<Path> WRITING = ConcurrentHashMap.newKeySet();

    private OutputFiles() {
    }

    /**
     * The path {@code target} stands for once symbolic links are followed (the link target of a dangling link
     * included). Relative link targets are resolved against the link's folder.
     *
     * @throws FileSystemException the links loop or nest too deeply
     */
    public static Path resolve(Path target) throws IOException {
        Path p = target.toAbsolutePath().normalize();
        if (Files.isRegularFile(p)) return p.toRealPath(); // links (and /proc's magic ones) to an existing file
        if (Files.exists(p)) return p; // a folder, a device or a pipe: opened through the path as given
        for (int i = 0; i < MAX_LINKS; i++) {
            if (!Files.isSymbolicLink(p)) return p;
            Path to = Files.readSymbolicLink(p);
            Path dir = p.getParent();
            p = (dir == null ? to : dir.resolve(to)).toAbsolutePath().normalize();
        }
        throw new FileSystemException(target.toString(), null, "too many levels of symbolic links");
    }

    /**
     * Checks, before any work is done, that {@link #write} could write {@code target}: it is not a folder, and
     * its folder exists. Returns the resolved path (see {@link #resolve}).
     *
     * @throws FileSystemException the target is a folder
     * @throws NoSuchFileException its folder does not exist
     */
    public static Path checkWritable(Path target) throws IOException {
        Path dest = resolve(target);
        if (Files.isDirectory(dest)) throw new FileSystemException(target.toString(), null, "is a folder, not a file (give a file name)");
        if (Files.exists(dest)) return dest;
        Path dir = dest.getParent();
        if (dir != null && !Files.isDirectory(dir)) throw new NoSuchFileException(dir.toString(), null, "the output folder does not exist");
        return dest;
    }

    /** Whether {@code target} (links followed) exists and is neither a regular file nor a folder: a device, a pipe. */
    public static boolean isSpecial(Path target) throws IOException {
        Path dest = resolve(target);
        return Files.exists(dest) && !Files.isRegularFile(dest) && !Files.isDirectory(dest);
    }

    /**
     * Writes {@code target} with {@code content} as the class doc says.
     *
     * @return whether a regular file was written or a device / pipe written into
     * @throws IOException the target cannot be written (a folder, a missing folder, no permission, disk full);
     *                     a regular target is then unchanged
     */
    public static Kind write(Path target, Content content) throws IOException {
        Objects.requireNonNull(content, "content");
        Path dest = checkWritable(target);
        if (Files.exists(dest) && !Files.isRegularFile(dest)) {
            try (FileChannel ch = FileChannel.open(dest, StandardOpenOption.WRITE)) {
                content.writeTo(ch);
            }
            return Kind.IN_PLACE;
        }
        removeOrphans(dest);
        Path dir = dest.getParent();
        Path tmp = null;
        FileChannel ch = null;
        FileLock lock = null;
        boolean done = false;
        try {
            for (int attempt = 0; ch == null; attempt++) {
                tmp = dir.resolve("." + dest.getFileName() + "." + String.format("%016x", ThreadLocalRandom.current().nextLong()) + ".tmp");
                WRITING.add(tmp); // before it exists: removeOrphans in this process never opens it
                try {
                    ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                } catch (FileAlreadyExistsException e) {
                    WRITING.remove(tmp);
                    tmp = null;
                    if (attempt == 100) throw e;
                    continue;
                }
                lock = ch.lock();
                if (!Files.exists(tmp, LinkOption.NOFOLLOW_LINKS)) {
                    // another process took it for an orphan between our create and our lock: start again
                    lock.release();
                    ch.close();
                    ch = null;
                    WRITING.remove(tmp);
                    tmp = null;
                    if (attempt == 100) throw new FileSystemException(dest.toString(), null, "temporary files keep disappearing");
                }
            }
            content.writeTo(ch);
            ch.force(true);
            copyPermissions(dest, tmp);
            Files.move(tmp, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            done = true;
        } finally {
            try {
                if (lock != null && ch.isOpen()) lock.release();
                if (ch != null) ch.close();
            } finally {
                if (tmp != null) {
                    if (!done) Files.deleteIfExists(tmp);
                    WRITING.remove(tmp);
                }
            }
        }
        forceDirectory(dir);
        return Kind.FILE;
    }

    /**
     * Deletes the temporary files that writes of {@code target} (links followed) left behind and that no live
     * writer holds. Matches only the names this class makes ({@code .<name>.<hex>.tmp}) and those of earlier
     * lurm versions ({@code .<name><15-20 digits>.tmp}).
     *
     * @return how many were removed
     */
    public static int removeOrphans(Path target) throws IOException {
        Path dest = resolve(target);
        Path dir = dest.getParent();
        if (dir == null || !Files.isDirectory(dir)) return 0;
        Pattern mine = orphanPattern(dest.getFileName().toString());
        int removed = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "." + globQuote(dest.getFileName().toString()) + "*.tmp")) {
            for (Path p : ds) {
                if (!mine.matcher(p.getFileName().toString()).matches()) continue;
                if (WRITING.contains(p.toAbsolutePath().normalize())) continue;
                if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) continue;
                if (removeIfUnlocked(p)) removed++;
            }
        }
        return removed;
    }

    /** The temporary files of {@code target} now in its folder, orphaned or not (for tests and summaries). */
    public static java.util.List<Path> temporaryFiles(Path target) throws IOException {
        Path dest = resolve(target);
        Pattern mine = orphanPattern(dest.getFileName().toString());
        java.util.List<Path> out = new java.util.ArrayList<>();
        Path dir = dest.getParent();
        if (dir == null || !Files.isDirectory(dir)) return out;
        try (var s = Files.list(dir)) {
            s.filter(p -> mine.matcher(p.getFileName().toString()).matches()).sorted().forEach(out::add);
        }
        return out;
    }

    static Pattern orphanPattern(String name) {
        return Pattern.compile("\\." + Pattern.quote(name) + "(\\.[0-9a-f]{1,16}|[0-9]{15,20})\\.tmp");
    }

    private static String globQuote(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if ("*?[]{}\\".indexOf(c) >= 0) sb.append('\\');
            sb.append(c);
        }
        return sb.toString();
    }

    private static boolean removeIfUnlocked(Path p) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(p, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            return false; // renamed or removed meanwhile
        }
        try (ch) {
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                return false; // held in this process
            }
            if (l == null) return false; // a live writer in another process holds it
            try {
                return Files.deleteIfExists(p);
            } finally {
                l.release();
            }
        }
    }

    private static void copyPermissions(Path from, Path to) throws IOException {
        if (!Files.isRegularFile(from, LinkOption.NOFOLLOW_LINKS)) return;
        PosixFileAttributeView src = Files.getFileAttributeView(from, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        PosixFileAttributeView dst = Files.getFileAttributeView(to, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        if (src == null || dst == null) return;
        Set<PosixFilePermission> perms = src.readAttributes().permissions();
        dst.setPermissions(perms);
    }

    /** Makes the rename durable; folders cannot be opened for sync on every platform, so failure is ignored. */
    private static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // the file itself is already on disk; only the rename's durability is best-effort
        }
    }
}
