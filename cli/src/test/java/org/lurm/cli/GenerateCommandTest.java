package org.lurm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lurm.cli.CommandsTest.lurm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.events.EventTable;
import org.lurm.io.Inputs;
import org.lurm.io.OutputFiles;
import org.lurm.memory.MemoryScope;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
import org.lurm.synth.PlantedLabels;
import org.lurm.synth.SyntheticData;
import org.lurm.testing.TestData;
import picocli.CommandLine;

/** {@code lurm generate}: the file is the in-memory generator's data, usage errors, and generate -> fit -> encode at about 10^6 events. */
class GenerateCommandTest {
    @TempDir
    Path dir;

    /** The text of an events or labels file as {@code lurm fit} reads it (gzip by magic bytes, every member checked). */
    static List<String> lines(Path file) throws IOException {
        try (InputStream in = Inputs.open(Files.newInputStream(file), file.toString());
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            return r.lines().toList();
        }
    }

    static LifeCycleConfig parsedConfig(String... args) {
        GenerateCommand g = new GenerateCommand();
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("-o", "unused.csv"));
        new CommandLine(g).parseArgs(a.toArray(new String[0]));
        return g.config();
    }

    static long number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), "no match for " + regex + " in:\n" + text);
        return Long.parseLong(m.group(1).replace(",", ""));
    }

    /**
     * 3,000 users (about 3 * 10^5 events: three chunks on two threads, so several gzip members written in order):
     * every line of the file is the in-memory generator's event, every label its attribute, gzip or not.
     */
    @Test
    void theFileHoldsTheInMemoryGeneratorsEventsAndLabels() throws IOException {
        long seed = TestData.seed("theFileHoldsTheInMemoryGeneratorsEventsAndLabels");
        Path gz = dir.resolve("events.csv.gz"), plain = dir.resolve("events.csv"), labels = dir.resolve("labels.csv.gz");
        String[] opts = {"--users", "3000", "--items", "900", "--years", "4", "--seed", Long.toString(seed)};
        List<String> a = new ArrayList<>(List.of("generate", "--labels", labels.toString(), "-o", gz.toString(), "--progress", "plain", "--threads", "2"));
        a.addAll(List.of(opts));
        CommandsTest.Run r = lurm(a.toArray(new String[0]));
        assertEquals(0, r.code(), r.err());
        List<String> b = new ArrayList<>(List.of("generate", "-o", plain.toString(), "--progress", "none", "--threads", "1"));
        b.addAll(List.of(opts));
        assertEquals(0, lurm(b.toArray(new String[0])).code());

        LifeCycleConfig cfg = LifeCycleConfig.builder().users(3000).items(900).topics(40).topicGroups(6).years(4).meanEventsPerUser(100).seed(seed).build();
        assertEquals(cfg, parsedConfig(opts), "the documented defaults: 40 topics, 6 groups, 100 events per user");
        List<String> got = lines(gz);
        assertEquals(got, lines(plain), "gzip or not, 2 threads or 1: the same text");
        assertTrue(GenerateCommand.isGzip(gz) && Arrays.equals(new byte[] {0x1f, (byte) 0x8b}, Arrays.copyOf(Files.readAllBytes(gz), 2)));
        assertTrue(OutputFiles.temporaryFiles(gz).isEmpty() && OutputFiles.temporaryFiles(labels).isEmpty(), "no temporary file left");
        try (MemoryScope scope = MemoryScope.root("gen")) {
            SyntheticData d = LifeCycleGenerator.generate(cfg, scope);
            EventTable e = d.events();
            assertEquals("user_id,item_id,ts,type", got.get(0));
            assertEquals(e.size() + 1, got.size(), "a header and one line per event");
            Set<String> items = new HashSet<>();
            for (long i = 0; i < e.size(); i++) {
                String want = e.users().id(e.user(i)) + "," + e.items().id(e.item(i)) + "," + e.timestamp(i) + "," + e.types().id(e.type(i));
                assertEquals(want, got.get((int) i + 1), "event " + i);
                items.add(e.items().id(e.item(i)));
            }
            assertTrue(r.out().contains(String.format("lurm generate: %,d events of %,d users and %,d items written to %s", e.size(), e.numUsers(),
                    items.size(), gz)), r.out());
            List<String> lab = lines(labels);
            assertEquals("user_id," + String.join(",", PlantedLabels.ATTRIBUTES), lab.get(0));
            assertEquals(e.numUsers() + 1, lab.size());
            for (int u = 0; u < e.numUsers(); u++) {
                assertEquals(e.users().id(u) + "," + d.attributes().get(u, LifeCycleGenerator.SEGMENT) + "," + d.attributes().get(u, LifeCycleGenerator.AGE_GROUP)
                        + "," + d.attributes().get(u, LifeCycleGenerator.DRIFT_DIRECTION), lab.get(u + 1), "labels of user " + u);
            }
        }
        assertTrue(r.err().contains("generate events.csv.gz: done"), "a progress line on stderr: " + r.err());
        assertTrue(r.out().contains("next:     lurm fit --events " + gz + " --header --user-col user_id --item-col item_id --time-col ts --type-col type"
                + " --type-weights view=1,like=2,purchase=4 -o model.lurm"), r.out());
        assertTrue(r.out().contains("lurm evaluate --embeddings users.emb --labels " + labels + " --labels-header"), r.out());
    }

    @Test
    void usageErrorsSayWhatIsWrongAndLeaveFilesAlone() throws IOException {
        Path out = dir.resolve("e.csv");
        Files.writeString(out, "old\n");
        record Case(String expect, int code, String[] args) {
        }
        List<Case> cases = List.of(
                new Case("--users must be >= 1", Exit.USAGE, new String[] {"--users", "0", "-o", out.toString()}),
                new Case("--topics (50) must not exceed --items (20)", Exit.USAGE, new String[] {"--users", "10", "--items", "20", "--topics", "50", "-o", out.toString()}),
                new Case("--years must be in (0, 100]", Exit.USAGE, new String[] {"--users", "10", "--years", "0", "-o", out.toString()}),
                new Case("--events-per-user must be in [1, 20000]", Exit.USAGE, new String[] {"--users", "10", "--events-per-user", "0.5", "-o", out.toString()}),
                new Case("Missing required option: '--output=FILE'", Exit.USAGE, new String[] {"--users", "10"}),
                new Case("Missing required option: '--users=N'", Exit.USAGE, new String[] {"-o", out.toString()}),
                new Case("--labels and -o name the same file", Exit.USAGE, new String[] {"--users", "10", "-o", out.toString(), "--labels", out.toString()}),
                new Case("--progress must be auto, bar, plain or none", Exit.USAGE, new String[] {"--users", "10", "-o", out.toString(), "--progress", "fancy"}),
                new Case("is a folder", Exit.IO_ERROR, new String[] {"--users", "10", "-o", dir.toString()}),
                new Case("file not found: " + dir.resolve("no/such"), Exit.IO_ERROR, new String[] {"--users", "10", "-o", out.toString(), "--labels",
                        dir.resolve("no/such/labels.csv").toString()}));
        for (Case c : cases) {
            List<String> a = new ArrayList<>(List.of("generate"));
            a.addAll(List.of(c.args()));
            CommandsTest.Run r = lurm(a.toArray(new String[0]));
            assertEquals(c.code(), r.code(), c.expect() + ": " + r.err());
            assertTrue(r.err().contains(c.expect()), "expected '" + c.expect() + "' in: " + r.err());
            assertFalse(r.err().contains("\tat "), "no stack trace");
            assertEquals("old\n", Files.readString(out), "the existing file is untouched");
        }
        assertEquals(List.of(out), Files.list(dir).toList(), "nothing else written");
    }

    /**
     * The CI-sized version of the scale run: {@code lurm generate} of 10^4 users (about 10^6 events), then the
     * {@code lurm fit} command it prints (with 10 SMEN steps: training time belongs to the benchmark) and
     * {@code lurm encode} of the same file. Every user is encoded, and events, users and items reconcile between
     * the generator, fit and encode. About 30 s on a shared 2-core machine; no time is asserted.
     */
    @Test
    void generateFitEncodeAtAboutAMillionEvents() throws IOException {
        long seed = TestData.seed("generateFitEncodeAtAboutAMillionEvents");
        Path events = dir.resolve("events.csv.gz"), labels = dir.resolve("labels.csv"), model = dir.resolve("model.lurm"), emb = dir.resolve("users.emb");
        CommandsTest.Run g = lurm("generate", "--users", "10000", "--seed", Long.toString(seed), "--labels", labels.toString(), "-o", events.toString(),
                "--progress", "none");
        assertEquals(0, g.code(), g.err());
        long genEvents = number(g.out(), "lurm generate: ([\\d,]+) events");
        long genUsers = number(g.out(), "events of ([\\d,]+) users");
        long genItems = number(g.out(), "users and ([\\d,]+) items");
        LifeCycleConfig cfg = parsedConfig("--users", "10000", "--seed", Long.toString(seed));
        try (MemoryScope scope = MemoryScope.root("gen")) {
            EventTable e = LifeCycleGenerator.generate(cfg, scope).events();
            assertEquals(e.size(), genEvents);
            assertEquals(e.numUsers(), genUsers);
            boolean[] seen = new boolean[e.numItems()];
            for (long i = 0; i < e.size(); i++) seen[e.item(i)] = true;
            int present = 0;
            for (boolean s : seen) if (s) present++;
            assertEquals(present, genItems, "items with at least one event");
        }
        assertTrue(genEvents > 800_000 && genEvents < 1_200_000, "about 10^6 events: " + genEvents);

        Matcher fitLine = Pattern.compile("next: +lurm fit (.*) -o model.lurm").matcher(g.out());
        assertTrue(fitLine.find(), g.out());
        List<String> fitArgs = new ArrayList<>(List.of("fit"));
        fitArgs.addAll(List.of(fitLine.group(1).split(" ")));
        fitArgs.addAll(List.of("--smen-steps", "10", "--seed", Long.toString(seed), "--progress", "none", "-o", model.toString()));
        CommandsTest.Run f = lurm(fitArgs.toArray(new String[0]));
        assertEquals(0, f.code(), f.err());
        assertTrue(f.out().contains(String.format("  events    %,d events, %,d users, %,d items%n", genEvents, genUsers, genItems)), f.out());
        assertTrue(f.out().contains(String.format("read      %s: %,d events from %,d lines", events, genEvents, genEvents + 1)), f.out());
        assertTrue(f.out().matches("(?s).*time +[\\d.]+ s in all \\(read [\\d.]+ s, embed [\\d.]+ s, cluster [\\d.]+ s, aggregate [\\d.]+ s, train [\\d.]+ s,"
                + " write [\\d.]+ s, other [\\d.]+ s\\).*"), "per-stage seconds for the benchmark: " + f.out());

        Matcher encLine = Pattern.compile("lurm encode --model model.lurm (.*) -o users.emb").matcher(g.out());
        assertTrue(encLine.find(), g.out());
        List<String> encArgs = new ArrayList<>(List.of("encode", "--model", model.toString()));
        encArgs.addAll(List.of(encLine.group(1).split(" ")));
        encArgs.addAll(List.of("--progress", "none", "-o", emb.toString()));
        CommandsTest.Run en = lurm(encArgs.toArray(new String[0]));
        assertEquals(0, en.code(), en.err());
        long aggregated = number(en.out(), "events, ([\\d,]+) aggregated"), skipped = number(en.out(), "aggregated, ([\\d,]+) skipped");
        assertEquals(genEvents, number(en.out(), "  events    ([\\d,]+) events"));
        assertEquals(genEvents, aggregated + skipped, "every event aggregated or counted as skipped");
        assertTrue(en.out().matches("(?s).*time +[\\d.]+ s in all \\(load model [\\d.]+ s, read [\\d.]+ s, aggregate [\\d.]+ s, encode [\\d.]+ s,"
                + " write [\\d.]+ s, other [\\d.]+ s\\).*"), "per-stage seconds for the benchmark: " + en.out());

        EmbeddingsFile.Embeddings z = EmbeddingsFile.read(emb);
        assertEquals(genUsers, z.rows(), "every user encoded");
        Set<String> ids = new HashSet<>(z.ids());
        for (int u = 0; u < genUsers; u++) assertTrue(ids.contains("u" + u), "user u" + u + " encoded");
        boolean warnedEmpty = en.out().contains("have no event the model can read");
        for (int row = 0; row < z.rows(); row++) {
            double norm = 0;
            for (int j = 0; j < z.dim(); j++) {
                float v = z.get(row, j);
                assertTrue(Float.isFinite(v), "finite vector of " + z.ids().get(row));
                norm += v * v;
            }
            assertTrue(norm > 0 || warnedEmpty, "user " + z.ids().get(row) + " has a zero vector, and encode did not say so");
        }
        List<String> lab = lines(labels);
        assertEquals(genUsers + 1, lab.size(), "one label line per user");
        float[] first = new float[z.dim()];
        for (int j = 0; j < z.dim(); j++) first[j] = z.get(0, j);
        float[] second = new float[z.dim()];
        for (int j = 0; j < z.dim(); j++) second[j] = z.get(1, j);
        assertFalse(Arrays.equals(first, second), "users differ");
        assertEquals(0, OutputFiles.temporaryFiles(emb).size() + OutputFiles.temporaryFiles(events).size(), "no temporary file left");
    }
}
