package org.lurm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.lurm.LurmModel;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Parallel;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.events.io.DelimitedEventReader;
import org.lurm.events.io.DelimitedFormat;
import org.lurm.events.io.TimestampFormat;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
import org.lurm.synth.SyntheticData;
import org.lurm.testing.TestData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every command in-process through picocli: exit codes, outputs, files, and a fit -> encode -> evaluate round trip. */
class CommandsTest {
    @TempDir
    static Path dir;
    static Path events, items, labels;
    static Map<String, String> segment = new HashMap<>();
    static long seed;

    record Run(int code, String out, String err) {
    }

    static Run lurm(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Writes a small generated data set as a user's own files would look: CSV with a header, ISO times, a type column. */
    @BeforeAll
    static void writeData() throws IOException {
        seed = TestData.seed("CommandsTest");
        events = dir.resolve("events.csv");
        items = dir.resolve("items.csv");
        labels = dir.resolve("labels.csv");
        try (MemoryScope scope = MemoryScope.root("gen")) {
            SyntheticData d = LifeCycleGenerator.generate(LifeCycleConfig.builder().users(400).items(300).topics(12).topicGroups(3).seed(seed).build(), scope);
            EventTable e = d.events();
            try (Writer w = Files.newBufferedWriter(events, StandardCharsets.UTF_8)) {
                w.write("user_id,item_id,ts,action\n");
                for (long i = 0; i < e.size(); i++) {
                    w.write(e.users().id(e.user(i)) + "," + e.items().id(e.item(i)) + "," + Instant.ofEpochSecond(e.timestamp(i)) + "," + e.types().id(e.type(i)) + "\n");
                }
            }
            try (Writer w = Files.newBufferedWriter(items, StandardCharsets.UTF_8)) {
                w.write("item_id,title,categories\n");
                for (int i = 0; i < e.numItems(); i++) {
                    w.write(e.items().id(i) + ",\"" + d.catalog().title(i) + "\"," + String.join("|", d.catalog().categories(i)) + "\n");
                }
            }
            try (Writer w = Files.newBufferedWriter(labels, StandardCharsets.UTF_8)) {
                w.write("user_id,segment,age_group,drift_direction\n");
                for (int u = 0; u < e.numUsers(); u++) {
                    String s = d.attributes().get(u, LifeCycleGenerator.SEGMENT);
                    segment.put(e.users().id(u), s);
                    w.write(e.users().id(u) + "," + s + "," + d.attributes().get(u, LifeCycleGenerator.AGE_GROUP) + ","
                            + d.attributes().get(u, LifeCycleGenerator.DRIFT_DIRECTION) + "\n");
                }
            }
        }
    }

    static final String[] EVENT_OPTS = {"--events", null, "--header", "--user-col", "user_id", "--item-col", "item_id", "--time-col", "ts",
            "--time-format", "iso", "--type-col", "action"};

    static String[] args(String[] first, String... rest) {
        List<String> a = new ArrayList<>(List.of(first));
        a.addAll(List.of(rest));
        return a.toArray(new String[0]);
    }

    /** The subcommand, then the event options for {@code file}, then the rest. */
    static String[] ev(String sub, Path file, String... rest) {
        return args(args(new String[] {sub}, eventOpts(file)), rest);
    }

    static String[] eventOpts(Path file) {
        String[] o = EVENT_OPTS.clone();
        o[1] = file.toString();
        return o;
    }

    @Test
    void everyCommandHasHelpWithExamples() {
        for (String c : List.of("fit", "encode", "evaluate", "inspect", "demo", "generate", "backends")) {
            Run r = lurm(c, "--help");
            assertEquals(0, r.code(), c);
            assertTrue(r.out().contains("Example"), c + " help has examples:\n" + r.out());
            assertTrue(r.out().contains("Usage: lurm " + c), r.out());
        }
        Run top = lurm("--help");
        assertEquals(0, top.code());
        assertTrue(top.out().contains("Exit codes: 0 ok, 1 failure, 2 usage, 3 bad input data, 4 backend unavailable"), top.out());
        assertEquals(0, lurm().code());
    }

    @Test
    void usageErrorsExitWith2() {
        Run r = lurm("fit", "--events", events.toString());
        assertEquals(Exit.USAGE, r.code());
        assertTrue(r.err().contains("Missing required option: '--output=FILE'"), r.err());
        assertEquals(Exit.USAGE, lurm("fit", "--no-such-option").code());
        Run e = lurm("evaluate", "--labels", labels.toString());
        assertEquals(Exit.USAGE, e.code());
        assertTrue(e.err().contains("give exactly one input"), e.err());
        Run named = lurm("fit", "--events", events.toString(), "--user-col", "user_id", "-o", dir.resolve("x.lurm").toString());
        assertEquals(Exit.USAGE, named.code());
        assertTrue(named.err().contains("add --header"), named.err());
    }

    @Test
    void badInputNamesFileLineAndFieldAndSaysWhatToDo() throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(events).subList(0, 40));
        lines.set(6, lines.get(6).replaceFirst(",20[0-9][0-9]-", ",20x-"));
        Path bad = dir.resolve("bad.csv");
        Files.write(bad, lines);
        Path model = dir.resolve("bad.lurm");
        Run r = lurm(ev("fit", bad, "-o", model.toString(), "--progress", "none"));
        assertEquals(Exit.BAD_INPUT, r.code(), r.err());
        assertTrue(r.err().contains(bad + ":7: field 'timestamp' (column 3, header \"ts\")"), r.err());
        assertTrue(r.err().contains("--lenient"), "says what to do: " + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose");
        assertFalse(Files.exists(model));
        Run v = lurm(ev("fit", bad, "-o", model.toString(), "--progress", "none", "--verbose"));
        assertTrue(v.err().contains("\tat org.lurm"), "--verbose shows the stack trace");
        // a header line read as data: the hint says --header
        Run h = lurm("fit", "--events", events.toString(), "-o", model.toString(), "--progress", "none");
        assertEquals(Exit.BAD_INPUT, h.code());
        assertTrue(h.err().contains(events + ":1:") && h.err().contains("add --header"), h.err());
        // missing file, unknown backend, bad config
        Run m = lurm("fit", "--events", dir.resolve("nope.csv").toString(), "-o", model.toString());
        assertEquals(Exit.IO_ERROR, m.code());
        assertTrue(m.err().contains("file not found: " + dir.resolve("nope.csv")), m.err());
        assertEquals(Exit.BACKEND_UNAVAILABLE, lurm(ev("fit", events, "-o", model.toString(), "--backend", "no-such-backend")).code());
        Path cfg = dir.resolve("cfg.json");
        Files.writeString(cfg, "{\"interests\": 10, \"smen\": {\"anchorz\": 4}}");
        Run c = lurm(ev("fit", events, "-o", model.toString(), "--config", cfg.toString()));
        assertEquals(Exit.BAD_INPUT, c.code());
        assertTrue(c.err().contains("unknown key 'smen.anchorz'"), c.err());
        Files.writeString(cfg, "{\"interests\": 10,");
        Run j = lurm(ev("fit", events, "-o", model.toString(), "--config", cfg.toString()));
        assertEquals(Exit.BAD_INPUT, j.code());
        assertTrue(j.err().contains(cfg + ": not valid JSON"), j.err());
        // corrupt model and embeddings files
        Path junk = dir.resolve("junk.lurm");
        Files.write(junk, new byte[100]);
        Run jm = lurm(ev("encode", events, "--model", junk.toString(), "-o", dir.resolve("j.emb").toString()));
        assertEquals(Exit.BAD_INPUT, jm.code(), jm.err());
        assertTrue(jm.err().contains(junk.toString()), jm.err());
        Path trunc = dir.resolve("trunc.emb");
        Files.write(trunc, new byte[] {'L', 'U', 'R', 'M', 'E', 'M', 'B', 0, 1, 0, 0, 0});
        Run je = lurm("evaluate", "--embeddings", trunc.toString(), "--labels", labels.toString(), "--labels-header");
        assertEquals(Exit.BAD_INPUT, je.code());
        assertTrue(je.err().contains("truncated"), je.err());
    }

    @Test
    void lenientSkipsAndCountsMalformedLines() throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(events));
        lines.set(10, "u1,i1");
        lines.set(20, "u1,i1,not-a-time,view");
        Path bad = dir.resolve("lenient.csv");
        Files.write(bad, lines);
        Path model = dir.resolve("lenient.lurm");
        Run r = lurm(ev("fit", bad, "--lenient", "-o", model.toString(), "--smen-steps", "3", "--interests", "20", "--progress", "none"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("2 malformed lines skipped (first: " + bad + ":11:"), r.out());
    }

    @Test
    void fitEncodeEvaluateInspectRoundTrip() throws Exception {
        Path model = dir.resolve("model.lurm");
        Run fit = lurm(ev("fit", events, "--items", items.toString(), "--items-header", "--items-categories-col", "categories",
                "--embedding", "both", "--type-weights", "view=1,purchase=5", "--interests", "60", "--smen-steps", "40", "--seed", Long.toString(seed),
                "--progress", "plain", "-o", model.toString()));
        assertEquals(0, fit.code(), fit.err());
        assertTrue(Files.size(model) > 1000);
        assertTrue(fit.out().contains("lurm fit: model written to " + model), fit.out());
        assertTrue(fit.err().contains("train SMEN: done, 40 steps"), "progress lines on stderr: " + fit.err());

        Path bin = dir.resolve("users.emb"), csv = dir.resolve("users.csv");
        Run eb = lurm(ev("encode", events, "--model", model.toString(), "-o", bin.toString(), "--progress", "none"));
        assertEquals(0, eb.code(), eb.err());
        assertEquals(0, lurm(ev("encode", events, "--model", model.toString(), "-o", csv.toString(), "--progress", "none")).code());
        Run stdout = lurm(ev("encode", events, "--model", model.toString(), "-o", "-", "--progress", "plain"));
        assertEquals(0, stdout.code(), stdout.err());
        assertTrue(stdout.err().contains("lurm encode: 400 users x 128 floats written to stdout"), "summary on stderr: " + stdout.err());
        Path piped = dir.resolve("piped.csv");
        Files.writeString(piped, stdout.out());
        EmbeddingsFile.Embeddings b = EmbeddingsFile.read(bin), c = EmbeddingsFile.read(csv), p = EmbeddingsFile.read(piped);
        assertEquals(400, b.rows());
        assertEquals(128, b.dim());
        assertEquals(b.ids(), c.ids());
        assertEquals(b.ids(), p.ids(), "stdout holds nothing but the CSV");
        for (int i = 0; i < b.values().length; i++) {
            assertEquals(Float.floatToIntBits(b.values()[i]), Float.floatToIntBits(c.values()[i]));
            assertEquals(Float.floatToIntBits(b.values()[i]), Float.floatToIntBits(p.values()[i]));
        }
        // the same vectors through the library's API directly, users matched by id
        try (MemoryScope scope = MemoryScope.root("ref"); Backend backend = Backends.select().create(2); Parallel par = new Parallel(2)) {
            EventTableBuilder tb = new EventTableBuilder();
            DelimitedEventReader.builder().format(DelimitedFormat.csv()).user("user_id").item("item_id").timestamp("ts").type("action")
                    .timestampFormat(TimestampFormat.ISO_INSTANT).build().read(events, tb);
            EventTable ev = tb.build(scope);
            F32Array ref = LurmModel.load(model, scope).encodeEvents(ev, true, backend, par, scope);
            for (int u = 0; u < ev.numUsers(); u++) {
                int row = b.ids().indexOf(ev.users().id(u));
                for (int j = 0; j < 128; j++) {
                    assertEquals(ref.get((long) u * 128 + j), b.get(row, j), 1e-6f, "user " + ev.users().id(u) + " float " + j);
                }
            }
        }

        // evaluate (a) model + events and (b) the embeddings file: same vectors, same folds, so the same numbers
        Path ra = dir.resolve("a.html"), rb = dir.resolve("b.html");
        String[] common = {"--labels", labels.toString(), "--labels-header", "--task", "segment", "--folds", "3", "--no-mlp", "--seed", "7", "--progress", "none"};
        Run a = lurm(args(ev("evaluate", events, "--model", model.toString(), "--report", ra.toString()), common));
        assertEquals(0, a.code(), a.err());
        Run be = lurm(args(new String[] {"evaluate", "--embeddings", bin.toString(), "--report", rb.toString()}, common));
        assertEquals(0, be.code(), be.err());
        assertTrue(a.out().contains("Report: " + ra.toAbsolutePath()), a.out());
        assertTrue(Files.readString(ra).contains("<svg id='chart-methods-logistic'"));
        double aucA = cell(a.out(), "segment", "roc_auc"), aucB = cell(be.out(), "segment", "roc_auc");
        assertEquals(aucA, aucB, 0, "evaluate on the model and on its embeddings file agree");
        assertTrue(aucA > 0.55, "LURM predicts the planted segment better than chance: " + aucA + "\n" + a.out());

        // inspect: a user's anchors with titles from the items file, an anchor, an interest ranked by event counts
        String user = b.ids().get(0);
        Run iu = lurm(ev("inspect", events, "--model", model.toString(), "--user", user, "--items", items.toString(), "--items-header",
                "--top", "2", "--progress", "none"));
        assertEquals(0, iu.code(), iu.err());
        for (int m = 0; m < 8; m++) assertTrue(iu.out().contains("  anchor " + m + "\n"), iu.out());
        Matcher pick = Pattern.compile("\\n\\s+(\\d\\.\\d\\d)  interest (\\d+)\\s+(.*)").matcher(iu.out());
        int picks = 0;
        while (pick.find()) {
            picks++;
            assertFalse(pick.group(3).isBlank(), "an interest line shows its items");
        }
        assertEquals(16, picks, iu.out());
        Run ia = lurm("inspect", "--model", model.toString(), "--anchor", "3", "--top", "4", "--progress", "none");
        assertEquals(0, ia.code(), ia.err());
        assertTrue(ia.out().startsWith("anchor 3: the interests closest to it"), ia.out());
        assertEquals(4, ia.out().split("\n").length - 1, ia.out());
        Run ii = lurm(ev("inspect", events, "--model", model.toString(), "--interest", "0", "--top", "1000", "--progress", "none"));
        assertEquals(0, ii.code(), ii.err());
        Matcher counts = Pattern.compile("\\((\\d[\\d,]*) events\\)").matcher(ii.out());
        long prev = Long.MAX_VALUE;
        int n = 0;
        while (counts.find()) {
            long v = Long.parseLong(counts.group(1).replace(",", ""));
            assertTrue(v <= prev, "ranked by events: " + ii.out());
            prev = v;
            n++;
        }
        assertTrue(ii.out().startsWith("interest 0: " + n + " items"), ii.out());
        assertEquals(Exit.USAGE, lurm("inspect", "--model", model.toString(), "--anchor", "8").code());
        assertEquals(Exit.USAGE, lurm("inspect", "--model", model.toString(), "--user", user).code());
    }

    /** The mean of the first method's cell on the line of a task and metric in the printed table. */
    static double cell(String table, String task, String metric) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(task) + "\\s+" + metric + "\\s+\\S+\\s+\\|\\s+([0-9.]+)±").matcher(table);
        assertTrue(m.find(), "no " + task + " / " + metric + " line in\n" + table);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void movieLens100kFitEncodeEvaluateInspect() throws Exception {
        Path ml = TestData.dataset("movielens-100k");
        Path model = dir.resolve("ml.lurm"), emb = dir.resolve("ml.emb");
        Run f = lurm("fit", "--movielens", ml.toString(), "--interests", "150", "--smen-steps", "20", "--embedding-dim", "32", "-o", model.toString(), "--progress", "none");
        assertEquals(0, f.code(), f.err());
        assertTrue(f.out().contains("100,000 events, 943 users, 1,682 items"), f.out());
        // u.data through the generic reader gives the same users and vectors as the MovieLens reader
        Run e = lurm("encode", "--model", model.toString(), "--events", ml.resolve("u.data").toString(), "--sep", "tab", "--time-col", "4", "-o", emb.toString(),
                "--progress", "none");
        assertEquals(0, e.code(), e.err());
        Run r = lurm("evaluate", "--embeddings", emb.toString(), "--labels", ml.resolve("u.user").toString(), "--labels-sep", "pipe", "--task", "3:binary",
                "--folds", "3", "--no-mlp", "--report", dir.resolve("ml.html").toString(), "--progress", "none");
        assertEquals(0, r.code(), r.err());
        double auc = cell(r.out(), "3", "roc_auc");
        assertTrue(auc > 0.55, "gender from 20 SMEN steps beats chance: " + r.out());
        Run i = lurm("inspect", "--model", model.toString(), "--movielens", ml.toString(), "--progress", "none");
        assertEquals(0, i.code(), i.err());
        assertTrue(i.out().matches("(?s).*largest interests:\\n\\s+interest \\d+ .*\\(19\\d\\d\\).*"), "movie titles from the catalogue:\n" + i.out());
    }

    @Test
    void demoQuickEndsWithTheTableAndTheReport() throws IOException {
        Path rep = dir.resolve("demo.html");
        Run r = lurm("demo", "--quick", "--report", rep.toString(), "--progress", "none");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("segment") && r.out().contains("LURM"), r.out());
        assertTrue(r.out().trim().endsWith("Report: " + rep.toAbsolutePath()), r.out());
        assertTrue(Files.readString(rep).contains("<svg id='chart-loss'"));
    }
}
