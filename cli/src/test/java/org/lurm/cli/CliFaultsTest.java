package org.lurm.cli;

import org.lurm.SmenConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.io.OutputFiles;

/**
 * Issue 12 from the command line: each numbered fault (1, 2, 3, 4, 5, 6 in-process, 7, 8) as a user meets it,
 * with the exit code and the message. The kill -9 test of item 6 is {@link FitKillTest}.
 */
class CliFaultsTest {
    @TempDir
    static Path dir;
    static Path events, model;

    record Run(int code, String out, String err) {
        String all() {
            return out + err;
        }
    }

    static Run lurm(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Runs with a stdout that fails as a full disk does. */
    static Run lurmToFullDisk(String... args) {
        OutputStream full = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw new IOException("No space left on device");
            }
        };
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(full, true), new PrintWriter(err, true), args);
        return new Run(code, "", err.toString());
    }

    static final String[] FAST = {"--smen-steps", "6", "--anchors", "2", "--anchor-dim", "4", "--interests", "12", "--progress", "none", "--threads", "2"};

    static String[] with(String[] a, String... b) {
        List<String> l = new ArrayList<>(List.of(a));
        l.addAll(List.of(b));
        return l.toArray(new String[0]);
    }

    /** user,item,unix-seconds lines: 120 users over 60 items in 2020-2021. */
    static List<String> eventLines(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int u = r.nextInt(120);
            l.add("u" + u + ",i" + ((u * 7 + r.nextInt(15)) % 60) + "," + (1_580_000_000L + r.nextLong(40_000_000L)));
        }
        return l;
    }

    @BeforeAll
    static void fitOnce() throws IOException {
        events = dir.resolve("events.csv");
        Files.write(events, eventLines(1, 3000));
        model = dir.resolve("model.lurm");
        Run r = lurm(with(new String[] {"fit", "--events", events.toString(), "-o", model.toString()}, FAST));
        assertEquals(0, r.code(), r.all());
    }

    // ------------------------------------------------------------------------ 1: never replace a non-file

    static Path fifo(String name) throws Exception {
        Path f = dir.resolve(name);
        int rc;
        try {
            rc = new ProcessBuilder("mkfifo", f.toString()).inheritIO().start().waitFor();
        } catch (IOException e) {
            rc = -1;
        }
        assumeTrue(rc == 0, "mkfifo is not available here");
        return f;
    }

    static CompletableFuture<byte[]> drain(Path fifo) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return Files.readAllBytes(fifo);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    @Test
    void encodeIntoAPipeWritesIntoItAndKeepsIt() throws Exception {
        Path p = fifo("enc.pipe");
        CompletableFuture<byte[]> got = drain(p);
        Run r = lurm("encode", "--model", model.toString(), "--events", events.toString(), "--format", "csv", "-o", p.toString(), "--progress", "none");
        assertEquals(0, r.code(), r.all());
        String csv = new String(got.get(60, TimeUnit.SECONDS), StandardCharsets.UTF_8);
        assertTrue(csv.startsWith("user_id,e0,"), csv.substring(0, Math.min(80, csv.length())));
        assertEquals(121, csv.lines().count(), "a header and one line per user");
        assertFalse(Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS), "the pipe is still a pipe (before the fix it became a regular file)");
    }

    @Test
    void fitIntoAPipeThroughALinkKeepsBoth() throws Exception {
        Path p = fifo("model.pipe");
        Path link = Files.createSymbolicLink(dir.resolve("model-link.lurm"), p);
        CompletableFuture<byte[]> got = drain(p);
        Run r = lurm(with(new String[] {"fit", "--events", events.toString(), "-o", link.toString()}, FAST));
        assertEquals(0, r.code(), r.all());
        byte[] bytes = got.get(60, TimeUnit.SECONDS);
        Path copy = dir.resolve("from-pipe.lurm");
        Files.write(copy, bytes);
        assertEquals(0, lurm("inspect", "--model", copy.toString()).code(), "what went through the pipe is a whole model");
        assertTrue(Files.isSymbolicLink(link));
        assertFalse(Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void aFolderAsOutputIsRefusedBeforeAnyWork() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("outdir"));
        Files.writeString(folder.resolve("keep.txt"), "x");
        for (String[] args : List.of(with(new String[] {"fit", "--events", events.toString(), "-o", folder.toString()}, FAST),
                new String[] {"encode", "--model", model.toString(), "--events", events.toString(), "-o", folder.toString(), "--progress", "none"})) {
            Run r = lurm(args);
            assertEquals(Exit.IO_ERROR, r.code(), r.all());
            assertTrue(r.err().contains(folder + ": is a folder"), r.err());
            assertFalse(r.err().contains("train SMEN"), "refused before training");
            assertEquals("x", Files.readString(folder.resolve("keep.txt")));
        }
    }

    @Test
    void aLinkToAFileIsWrittenThrough() throws IOException {
        Path real = dir.resolve("real.emb");
        Files.writeString(real, "old");
        Path link = Files.createSymbolicLink(dir.resolve("link.emb"), real);
        Run r = lurm("encode", "--model", model.toString(), "--events", events.toString(), "-o", link.toString(), "--progress", "none");
        assertEquals(0, r.code(), r.all());
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(120, EmbeddingsFile.read(real).rows());
    }

    // ----------------------------------------------------------------------------- 2: stdout failures

    @Test
    void aFullStdoutIsExit5ForEveryCommand() {
        Run enc = lurmToFullDisk("encode", "--model", model.toString(), "--events", events.toString(), "-o", "-", "--progress", "none");
        assertEquals(Exit.IO_ERROR, enc.code(), enc.err());
        assertFalse(enc.err().contains("users x"), "no claim that users were written: " + enc.err());
        assertTrue(enc.err().contains("standard output"), enc.err());
        Run ins = lurmToFullDisk("inspect", "--model", model.toString());
        assertEquals(Exit.IO_ERROR, ins.code(), ins.err());
        Run help = lurmToFullDisk("--help");
        assertEquals(Exit.IO_ERROR, help.code(), help.err());
    }

    @Test
    void evaluateToAFullStdoutIsExit5() throws IOException {
        Path emb = dir.resolve("eval.emb");
        assertEquals(0, lurm("encode", "--model", model.toString(), "--events", events.toString(), "-o", emb.toString(), "--progress", "none").code());
        Path labels = dir.resolve("labels.csv");
        StringBuilder sb = new StringBuilder("user_id,g\n");
        for (int u = 0; u < 120; u++) sb.append('u').append(u).append(',').append(u % 2 == 0 ? "a" : "b").append('\n');
        Files.writeString(labels, sb);
        Run r = lurmToFullDisk("evaluate", "--embeddings", emb.toString(), "--labels", labels.toString(), "--labels-header", "--no-mlp", "--folds", "2",
                "--report", dir.resolve("eval.html").toString(), "--progress", "none");
        assertEquals(Exit.IO_ERROR, r.code(), r.err());
        // the report is written with the umask's permissions, as models are (before: 0600)
        assertEquals(Files.getPosixFilePermissions(model), Files.getPosixFilePermissions(dir.resolve("eval.html")));
    }

    // ------------------------------------------------------------------------- 3 and 4 at the command

    @Test
    void crOnlyEventsAreAllRead() throws IOException {
        Path cr = dir.resolve("cr.csv");
        List<String> l = eventLines(2, 200);
        List<String> four = l.stream().map(s -> s + ",5").toList(); // with a rating column, as the file had
        Files.writeString(cr, String.join("\r", four) + "\r");
        Run r = lurm("encode", "--model", model.toString(), "--events", cr.toString(), "-o", dir.resolve("cr.emb").toString(), "--progress", "none");
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("200 events from 200 lines"), r.out());
    }

    @Test
    void aStrayQuoteIsExit3WithAHint() throws IOException {
        Path f = dir.resolve("quote.csv");
        List<String> l = new ArrayList<>(eventLines(3, 200));
        l.set(10, "\"" + l.get(10)); // a stray quote opens in line 11 and a second one closes it in line 14: one event of four lines
        l.set(13, l.get(13).replaceFirst(",", "\","));
        Files.writeString(f, String.join("\n", l) + "\n");
        Run r = lurm("encode", "--model", model.toString(), "--events", f.toString(), "-o", dir.resolve("q.emb").toString(), "--progress", "none");
        assertEquals(Exit.BAD_INPUT, r.code(), r.all());
        assertTrue(r.err().contains(f + ":11: field 'user' (column 1): a quoted field spans"), r.err());
        assertTrue(r.err().contains("--allow-multiline-ids"), r.err());
        Run lenient = lurm("encode", "--model", model.toString(), "--events", f.toString(), "--lenient", "-o", dir.resolve("q.emb").toString(), "--progress", "none");
        assertEquals(0, lenient.code(), lenient.all());
        assertTrue(lenient.out().contains("199 events from 200 lines, 1 malformed lines skipped"), lenient.out());
    }

    // ----------------------------------------------------------------------------------- 5: warnings

    @Test
    void millisecondsReadAsSecondsAreWarnedAbout() throws IOException {
        Path ms = dir.resolve("ms.csv");
        Files.write(ms, eventLines(4, 3000).stream().map(s -> s + "123").toList());
        Run r = lurm("encode", "--model", model.toString(), "--events", ms.toString(), "-o", dir.resolve("ms.emb").toString(), "--progress", "none");
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("warning   the timestamps look like milliseconds") && r.out().contains("--time-format unix-ms"), r.out());
        Run ok = lurm("encode", "--model", model.toString(), "--events", ms.toString(), "--time-format", "unix-ms", "-o", dir.resolve("ms.emb").toString(), "--progress", "none");
        assertFalse(ok.out().contains("warning"), ok.out());
    }

    @Test
    void aRatingColumnReadAsTheTimestampIsWarnedAbout() throws IOException {
        // MovieLens 1M's ratings.dat: user::movie::rating::timestamp, read with --sep :: and the default --time-col 3
        Path dat = dir.resolve("ratings.dat");
        SplittableRandom rnd = new SplittableRandom(5);
        List<String> l = new ArrayList<>();
        for (String s : eventLines(5, 3000)) {
            String[] f = s.split(",");
            l.add(f[0] + "::" + f[1] + "::" + (1 + rnd.nextInt(5)) + "::" + f[2]);
        }
        Files.write(dat, l);
        Run r = lurm("encode", "--model", model.toString(), "--events", dat.toString(), "--sep", "::", "-o", dir.resolve("r.emb").toString(), "--progress", "none");
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("warning   half of the timestamps fall before 1973 (the values read range from 1 to 5)"), r.out());
        assertTrue(r.out().contains("--time-col 3"), r.out());
        Run ok = lurm("encode", "--model", model.toString(), "--events", dat.toString(), "--sep", "::", "--time-col", "4", "-o", dir.resolve("r.emb").toString(), "--progress", "none");
        assertFalse(ok.out().contains("warning"), ok.out());
    }

    @Test
    void usersWithNoEncodableEventAreWarnedAbout() throws IOException {
        Path f = dir.resolve("new-items.csv");
        List<String> l = new ArrayList<>(eventLines(6, 500));
        for (int u = 0; u < 7; u++) for (int k = 0; k < 3; k++) l.add("newcomer" + u + ",unknown-item" + k + "," + (1_600_000_000L + k));
        Files.write(f, l);
        Run r = lurm("encode", "--model", model.toString(), "--events", f.toString(), "--format", "csv", "-o", dir.resolve("z.csv").toString(), "--progress", "none");
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("warning   7 of "), r.out());
        assertTrue(r.out().contains("their vectors are all zeros"), r.out());
        // and they are: the warning counts exactly the all-zero rows written
        EmbeddingsFile.Embeddings e = EmbeddingsFile.read(dir.resolve("z.csv"));
        int zero = 0;
        for (int row = 0; row < e.rows(); row++) {
            boolean z = true;
            for (int j = 0; j < e.dim(); j++) z &= e.get(row, j) == 0f;
            if (z) zero++;
        }
        assertEquals(7, zero);
    }

    // ---------------------------------------------------------------------------- 6 (in-process) and 7

    @Test
    void fitResumesFromItsCheckpointFolderAndRefusesAnotherRun() throws IOException {
        Path ck = dir.resolve("ck");
        Path out = dir.resolve("ck-model.lurm");
        String[] cmd = with(new String[] {"fit", "--events", events.toString(), "-o", out.toString(), "--checkpoint-dir", ck.toString(), "--checkpoint-every", "2"}, FAST);
        Run first = lurm(cmd);
        assertEquals(0, first.code(), first.all());
        assertTrue(first.out().contains("checkpoint every 2 steps in " + ck + "; started afresh"), first.out());
        // an orphan of a killed write of the model, and one of the checkpoint: the next run removes both
        Files.writeString(dir.resolve(".ck-model.lurm.0123456789abcdef.tmp"), "half");
        Files.writeString(ck.resolve(".checkpoint.lurm.0123456789abcdef.tmp"), "half");
        Run again = lurm(cmd);
        assertEquals(0, again.code(), again.all());
        assertTrue(again.out().contains("resumed from step 6 of 6 (2 temporary files of an interrupted run removed)"), again.out());
        assertEquals(List.of(), OutputFiles.temporaryFiles(out));
        assertEquals(List.of(), OutputFiles.temporaryFiles(ck.resolve("checkpoint.lurm")));
        Run other = lurm(with(cmd, "--seed", "7"));
        assertEquals(Exit.USAGE, other.code(), other.all());
        assertTrue(other.err().contains(ck + " holds the checkpoint of a different run"), other.err());
    }

    // ----------------------------------------------------------------------------------------- 8

    private static Path gz(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Test
    void damagedGzipIsBadInput() throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(bo)) {
            g.write((String.join("\n", eventLines(7, 3000)) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        byte[] good = bo.toByteArray();
        byte[] junk = java.util.Arrays.copyOf(good, good.length + 9);
        System.arraycopy("junkjunk\n".getBytes(StandardCharsets.US_ASCII), 0, junk, good.length, 9);
        for (Path p : List.of(gz("trunc.csv.gz", java.util.Arrays.copyOf(good, good.length / 2)), gz("junk.csv.gz", junk))) {
            Run r = lurm("encode", "--model", model.toString(), "--events", p.toString(), "--lenient", "-o", dir.resolve("g.emb").toString(), "--progress", "none");
            assertEquals(Exit.BAD_INPUT, r.code(), r.all());
            assertTrue(r.err().startsWith("lurm encode: error: " + p + ": "), r.err());
            assertTrue(r.err().contains("gzip -t"), r.err());
        }
    }

    @Test
    void aModelFolderSaysSo() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("a-folder"));
        Run r = lurm("inspect", "--model", folder.toString());
        assertEquals(Exit.IO_ERROR, r.code(), r.all());
        assertTrue(r.err().contains(folder + ": is a folder, not a model file"), r.err());
        assertFalse(r.err().contains("No such device"), r.err());
    }

    @Test
    void embeddingsGetTheSamePermissionsAsModels() throws IOException {
        Path emb = dir.resolve("perm.emb");
        assertEquals(0, lurm("encode", "--model", model.toString(), "--events", events.toString(), "-o", emb.toString(), "--progress", "none").code());
        assertEquals(Files.getPosixFilePermissions(model), Files.getPosixFilePermissions(emb));
        Path csv = dir.resolve("perm.csv");
        assertEquals(0, lurm("encode", "--model", model.toString(), "--events", events.toString(), "-o", csv.toString(), "--progress", "none").code());
        assertEquals(Files.getPosixFilePermissions(model), Files.getPosixFilePermissions(csv));
    }

    @Test
    void helpSummariesAreWholeSentences() {
        Run r = lurm("--help");
        assertEquals(0, r.code());
        String list = r.out().substring(r.out().indexOf("Commands:") + "Commands:".length(), r.out().indexOf("Examples:")).strip();
        // a summary is a name then text; continuation lines are indented further
        Matcher m = Pattern.compile("(?m)^ *(\\w+) {2,}(.*(?:\\n {6,}.*)*)").matcher(list);
        int n = 0;
        while (m.find()) {
            String name = m.group(1), summary = m.group(2).replaceAll("\\s+", " ").strip();
            n++;
            assertTrue(summary.endsWith("."), name + ": '" + summary + "'");
            if (name.equals("help")) continue;
            // the summary is the start of the command's own description, ending where a clause ends
            Run h = lurm(name, "--help");
            String desc = h.out().replaceAll("\\s+", " "); // its help: usage, then the description
            String body = summary.substring(0, summary.length() - 1);
            int at = desc.indexOf(body);
            assertTrue(at >= 0, name + ": '" + body + "' is not in its description");
            char next = desc.charAt(at + body.length());
            assertTrue(next == '.' || next == ':' || next == ';', name + ": the summary stops mid-clause before '" + next + "'");
        }
        assertEquals(8, n, list); // fit, encode, evaluate, inspect, demo, backends, generate, help
    }

    @Test
    void fitSummaryAddsUpAndHasNoInfinity() throws IOException {
        Path tiny = dir.resolve("tiny.csv");
        Files.write(tiny, eventLines(8, 300).stream().filter(s -> Integer.parseInt(s.substring(1, s.indexOf(','))) < 30).toList());
        Run r = lurm(with(new String[] {"fit", "--events", tiny.toString(), "-o", dir.resolve("tiny.lurm").toString()}, FAST));
        assertEquals(0, r.code(), r.all());
        assertFalse(r.out().contains("Infinity"), r.out());
        assertFalse(r.out().contains("NaN"), r.out());
        assertTrue(r.out().contains("no held-out users"), r.out());
        Matcher t = Pattern.compile("time +([0-9.]+) s in all \\(([^)]*)\\)").matcher(r.out());
        assertTrue(t.find(), r.out());
        double total = Double.parseDouble(t.group(1)), sum = 0;
        int parts = 0;
        for (String part : t.group(2).split(", ")) {
            sum += Double.parseDouble(part.replaceAll(".* ([0-9.]+) s$", "$1"));
            parts++;
        }
        assertTrue(parts >= 7 && t.group(2).contains("read") && t.group(2).contains("write"), t.group(2));
        assertEquals(total, sum, 0.05 * parts + 0.05, "the parts add up to the total (rounding aside): " + t.group());
    }

    @Test
    void cliDocStepsMatchTheHarness() throws IOException {
        // docs/CLI.md once said evaluate --dataset trains 400 steps; the harness now trains as `lurm fit` and the API do
        // (SmenConfig.sizedFor), which gives both MovieLens sets (about 900 and 2,400 trainable users) its minimum
        assertEquals(0, org.lurm.eval.BenchmarkOptions.defaults().smen().maxSteps(), "the harness uses the library's sizing rule");
        int steps = org.lurm.SmenConfig.MIN_AUTO_STEPS;
        assertEquals(steps, org.lurm.SmenConfig.defaults().sizedFor(896).maxSteps());
        assertEquals(steps, org.lurm.SmenConfig.defaults().sizedFor(2374).maxSteps());
        String doc = Files.readString(Path.of("..", "docs", "CLI.md"));
        assertTrue(doc.contains("follows `SmenConfig.sizedFor`, " + steps + " steps on both MovieLens sets"), "docs/CLI.md states " + steps + " steps");
    }

    static void assertSameBytes(byte[] a, byte[] b) {
        assertArrayEquals(a, b);
    }
}
