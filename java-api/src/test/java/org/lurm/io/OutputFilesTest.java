package org.lurm.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link OutputFiles}: what happens to each kind of existing target (issue 12, item 1), and orphaned temporary
 * files (item 7), including one held by a live writer in another process.
 */
class OutputFilesTest {
    @TempDir
    Path dir;

    private static OutputFiles.Content bytes(String s) {
        return ch -> {
            ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) ch.write(b);
        };
    }

    private static List<Path> tmpFiles(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

    @Test
    void newAndReplacedRegularFiles() throws IOException {
        Path f = dir.resolve("a.bin");
        assertEquals(OutputFiles.Kind.FILE, OutputFiles.write(f, bytes("one")));
        assertEquals("one", Files.readString(f));
        // a new file gets what any new file gets here (the umask), not owner-only 0600
        Path reference = Files.createFile(dir.resolve("reference"));
        assertEquals(Files.getPosixFilePermissions(reference), Files.getPosixFilePermissions(f));
        // a replaced file keeps its permissions
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
        OutputFiles.write(f, bytes("two"));
        assertEquals("two", Files.readString(f));
        assertEquals(PosixFilePermissions.fromString("rw-r-----"), Files.getPosixFilePermissions(f));
        assertEquals(List.of(), tmpFiles(dir));
    }

    @Test
    void aSymbolicLinkIsWrittenThroughAndStaysALink() throws IOException {
        Path real = dir.resolve("real.bin");
        Files.writeString(real, "old");
        Path sub = Files.createDirectory(dir.resolve("sub"));
        Path link = Files.createSymbolicLink(sub.resolve("link.bin"), Path.of("..", "real.bin"));
        OutputFiles.write(link, bytes("new"));
        assertTrue(Files.isSymbolicLink(link), "the link is still a link");
        assertEquals("new", Files.readString(real));
        // a dangling link: the file it names is created
        Path dangling = Files.createSymbolicLink(dir.resolve("dangling"), dir.resolve("made.bin"));
        OutputFiles.write(dangling, bytes("made"));
        assertTrue(Files.isSymbolicLink(dangling));
        assertEquals("made", Files.readString(dir.resolve("made.bin")));
        assertEquals(List.of(), tmpFiles(dir));
        assertEquals(List.of(), tmpFiles(sub));
    }

    @Test
    void aFolderIsRefusedAndUntouched() throws IOException {
        Path folder = Files.createDirectory(dir.resolve("out"));
        Files.writeString(folder.resolve("keep"), "x");
        FileSystemException e = assertThrows(FileSystemException.class, () -> OutputFiles.write(folder, bytes("y")));
        assertTrue(e.getMessage().contains("is a folder"), e.getMessage());
        assertTrue(Files.isDirectory(folder));
        assertEquals("x", Files.readString(folder.resolve("keep")));
        Path linkToFolder = Files.createSymbolicLink(dir.resolve("l"), folder);
        assertThrows(FileSystemException.class, () -> OutputFiles.write(linkToFolder, bytes("y")));
        assertTrue(Files.isSymbolicLink(linkToFolder));
        assertThrows(NoSuchFileException.class, () -> OutputFiles.write(dir.resolve("missing").resolve("f"), bytes("y")));
    }

    @Test
    void aNamedPipeIsWrittenIntoNotReplaced() throws Exception {
        Path fifo = dir.resolve("pipe");
        int rc;
        try {
            rc = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor();
        } catch (IOException e) {
            rc = -1;
        }
        assumeTrue(rc == 0, "mkfifo is not available here");
        Path link = Files.createSymbolicLink(dir.resolve("to-pipe"), fifo);
        for (Path target : List.of(fifo, link)) {
            CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return Files.readAllBytes(fifo);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            String big = "x".repeat(1 << 18); // more than a pipe buffer: the write really streams
            assertEquals(OutputFiles.Kind.IN_PLACE, OutputFiles.write(target, bytes(big)));
            assertArrayEquals(big.getBytes(StandardCharsets.UTF_8), read.get(30, TimeUnit.SECONDS));
            assertFalse(Files.isRegularFile(fifo, LinkOption.NOFOLLOW_LINKS), "the pipe is still a pipe");
            assertTrue(OutputFiles.isSpecial(fifo));
        }
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(List.of(), tmpFiles(dir));
    }

    @Test
    void aFailedWriteLeavesTheTargetAndNoTemporaryFile() throws IOException {
        Path f = dir.resolve("m.lurm");
        Files.writeString(f, "precious");
        IOException e = assertThrows(IOException.class, () -> OutputFiles.write(f, ch -> {
            ch.write(ByteBuffer.wrap(new byte[1000]));
            throw new IOException("No space left on device");
        }));
        assertEquals("No space left on device", e.getMessage());
        assertEquals("precious", Files.readString(f));
        assertEquals(List.of(), tmpFiles(dir));
    }

    @Test
    void orphansAreRemovedButOnlyOurs() throws IOException {
        Path f = dir.resolve("m.lurm");
        Path orphan = Files.writeString(dir.resolve(".m.lurm.00c0ffee12345678.tmp"), "half a model");
        Path legacy = Files.writeString(dir.resolve(".m.lurm1234567890123456789.tmp"), "half");
        Path notOurs = Files.writeString(dir.resolve(".m.lurm.notes.tmp"), "a user's file");
        Path otherTarget = Files.writeString(dir.resolve(".other.lurm.00c0ffee12345678.tmp"), "another target's");
        assertEquals(List.of(orphan, legacy), OutputFiles.temporaryFiles(f));
        OutputFiles.write(f, bytes("whole"));
        assertFalse(Files.exists(orphan));
        assertFalse(Files.exists(legacy));
        assertTrue(Files.exists(notOurs));
        assertTrue(Files.exists(otherTarget));
        assertEquals("whole", Files.readString(f));
        assertEquals(0, OutputFiles.removeOrphans(f));
    }

    /** A temporary file locked by a live process is not an orphan; once that process dies, it is. */
    @Test
    void aTemporaryFileHeldByALiveWriterIsKept() throws Exception {
        Path f = dir.resolve("e.emb");
        Path held = Files.writeString(dir.resolve(".e.emb.0123456789abcdef.tmp"), "being written");
        Path src = dir.resolve("Locker.java");
        Files.writeString(src, """
                import java.nio.channels.FileChannel;
                import java.nio.file.*;
                public class Locker {
                    public static void main(String[] a) throws Exception {
                        try (FileChannel ch = FileChannel.open(Path.of(a[0]), StandardOpenOption.WRITE); var l = ch.lock()) {
                            System.out.println("locked");
                            System.out.flush();
                            Thread.sleep(120_000);
                        }
                    }
                }
                """);
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, src.toString(), held.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("locked", r.readLine());
            assertEquals(0, OutputFiles.removeOrphans(f));
            OutputFiles.write(f, bytes("x"));
            assertTrue(Files.exists(held), "a live writer's temporary file is left alone");
        } finally {
            p.destroyForcibly().waitFor();
        }
        assertEquals(1, OutputFiles.removeOrphans(f));
        assertFalse(Files.exists(held));
    }

    @Test
    void concurrentWritersOfOneTarget() throws Exception {
        Path f = dir.resolve("c.bin");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                String body = String.valueOf((char) ('a' + t)).repeat(100_000);
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 10; i++) OutputFiles.write(f, bytes(body));
                    return null;
                }));
            }
            for (Future<?> x : fs) x.get();
        } finally {
            pool.shutdownNow();
        }
        String s = Files.readString(f);
        assertEquals(100_000, s.length());
        assertEquals(1, s.chars().distinct().count(), "one writer's content, whole");
        assertEquals(List.of(), tmpFiles(dir));
    }
}
