package org.lurm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.eval.Baselines;
import org.lurm.eval.Claims;
import org.lurm.events.EventTable;
import org.lurm.memory.MemoryScope;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
import org.lurm.synth.SyntheticData;
import org.lurm.testing.TestData;

/**
 * {@code lurm evaluate} on a user's own files, in-process through picocli: the five baselines and the claim
 * verdicts of mode (a), labels files with a forgotten header, and a clean {@code --help}.
 */
class EvaluateCommandTest {
    @TempDir
    static Path dir;
    static Path events, labels, model;
    static long seed;

    /** The table prints 3 decimals, the claim lines 4: they agree to half a unit of the third. */
    static final double CELL = 5e-4 + 1e-9;

    /** The CLI in process (CommandsTest's runner). */
    static CommandsTest.Run lurm(String... args) {
        return CommandsTest.lurm(args);
    }

    /** A small generated data set as files (events CSV with a header, a labels CSV with a header) and a model fitted on it. */
    @BeforeAll
    static void writeDataAndFit() throws IOException {
        seed = TestData.seed("EvaluateCommandTest");
        events = dir.resolve("events.csv");
        labels = dir.resolve("labels.csv");
        model = dir.resolve("model.lurm");
        try (MemoryScope scope = MemoryScope.root("gen")) {
            SyntheticData d = LifeCycleGenerator.generate(LifeCycleConfig.builder().users(300).items(200).topics(8).topicGroups(4).seed(seed).build(), scope);
            EventTable e = d.events();
            try (Writer w = Files.newBufferedWriter(events, StandardCharsets.UTF_8)) {
                w.write("user_id,item_id,ts\n");
                for (long i = 0; i < e.size(); i++) w.write(e.users().id(e.user(i)) + "," + e.items().id(e.item(i)) + "," + e.timestamp(i) + "\n");
            }
            try (Writer w = Files.newBufferedWriter(labels, StandardCharsets.UTF_8)) {
                w.write("user_id,segment,age_group\n");
                for (int u = 0; u < e.numUsers(); u++) {
                    w.write(e.users().id(u) + "," + d.attributes().get(u, LifeCycleGenerator.SEGMENT) + "," + d.attributes().get(u, LifeCycleGenerator.AGE_GROUP) + "\n");
                }
            }
        }
        CommandsTest.Run fit = lurm("fit", "--events", events.toString(), "--header", "--interests", "40", "--embedding-dim", "16", "--anchors", "4", "--anchor-dim", "8",
                "--smen-steps", "15", "--seed", Long.toString(seed), "--progress", "none", "-o", model.toString());
        assertEquals(0, fit.code(), fit.err());
    }

    /** Mode (a) with --baselines: all five baselines, then one claim line per claim and probe, consistent with the table. */
    @Test
    void modelWithBaselinesPrintsAllFiveBaselinesAndTheClaimVerdicts() {
        CommandsTest.Run r = lurm("evaluate", "--model", model.toString(), "--events", events.toString(), "--header", "--labels", labels.toString(), "--labels-header",
                "--task", "segment", "--baselines", "--folds", "3", "--seed", "11", "--progress", "none", "--report", dir.resolve("a.html").toString());
        assertEquals(0, r.code(), r.err());
        System.out.println(r.out());
        for (String m : List.of(Baselines.LURM, Baselines.RAW_BOI, Baselines.BOI_RSVD, Baselines.ITEM_TFIDF_RSVD, Baselines.MEAN_ITEM_EMBEDDING,
                Baselines.RANDOM_PROJECTION)) {
            assertTrue(r.out().contains(m), "the table has " + m + ":\n" + r.out());
        }
        for (String probe : List.of("logistic", "mlp")) {
            // almost lossless: LURM's segment ROC-AUC against raw BoI's, both as the table prints them
            String lossless = claimLine(r.out(), "almost-lossless", probe);
            Matcher m = Pattern.compile("^claim almost-lossless \\(" + probe + "\\): (holds|fails): LURM >= 0\\.97 x raw BoI on (\\d) of 1 task metrics "
                    + "\\(segment roc_auc (\\d\\.\\d{4}) vs (\\d\\.\\d{4}), ratio (\\d+\\.\\d{3})( < 0\\.97)?\\)$").matcher(lossless);
            assertTrue(m.matches(), lossless);
            double lurm = Double.parseDouble(m.group(3)), raw = Double.parseDouble(m.group(4));
            assertEquals(table(r.out(), "segment", "roc_auc", probe, Baselines.LURM), lurm, CELL, lossless);
            assertEquals(table(r.out(), "segment", "roc_auc", probe, Baselines.RAW_BOI), raw, CELL, lossless);
            boolean holds = lurm >= 0.97 * raw;
            assertEquals(holds ? "holds" : "fails", m.group(1), lossless);
            assertEquals(holds ? "1" : "0", m.group(2), lossless);
            assertEquals(!holds, m.group(6) != null, lossless);
            assertEquals(lurm / raw, Double.parseDouble(m.group(5)), 2e-3, lossless);

            // better than peers: one task metric, so the means are the cells; verdict by comparing them
            String peers = claimLine(r.out(), "better-than-peers", probe);
            assertTrue(peers.startsWith("claim better-than-peers (" + probe + "): "), peers);
            Matcher p = Pattern.compile(": (holds|fails): LURM mean (\\d\\.\\d{4})((?:; [^;]+ \\d\\.\\d{4}(?: \\(higher\\))?){4})$").matcher(peers);
            assertTrue(p.find(), peers);
            assertEquals(lurm, Double.parseDouble(p.group(2)), 1e-9, peers);
            boolean all = true;
            for (String peer : Claims.PEERS) {
                Matcher q = Pattern.compile("; " + Pattern.quote(peer) + " (\\d\\.\\d{4})( \\(higher\\))?").matcher(p.group(3));
                assertTrue(q.find(), peer + " in " + peers);
                double v = Double.parseDouble(q.group(1));
                assertEquals(table(r.out(), "segment", "roc_auc", probe, peer), v, CELL, peer);
                assertEquals(lurm < v, q.group(2) != null, peers);
                all &= lurm >= v;
            }
            assertEquals(all ? "holds" : "fails", p.group(1), peers);
        }
        assertTrue(Files.isRegularFile(dir.resolve("a.html")));
    }

    /** Without --baselines the claims cannot be decided: the lines say so and what to add. */
    @Test
    void claimsWithoutBaselinesAreUndecidedAndSayWhatToAdd() {
        CommandsTest.Run r = lurm("evaluate", "--model", model.toString(), "--events", events.toString(), "--header", "--labels", labels.toString(), "--labels-header",
                "--task", "segment", "--folds", "3", "--no-mlp", "--progress", "none", "--report", dir.resolve("b.html").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("claim almost-lossless (logistic): undecided: no raw BoI rows (add --baselines to compute raw BoI and the width-matched baselines)",
                claimLine(r.out(), "almost-lossless", "logistic"));
        assertTrue(claimLine(r.out(), "better-than-peers", "logistic").startsWith("claim better-than-peers (logistic): undecided: no width-matched baseline rows"),
                r.out());
        assertFalse(r.out().contains("(mlp)"), "no MLP claims without the MLP probe:\n" + r.out());
    }

    /**
     * A labels file with a header, read without --labels-header: the header row must not count as a value of the
     * columns (it used to make the two-valued segment column a three-valued multi-class task) and the summary says
     * what it looks like and what to pass.
     */
    @Test
    void aHeaderReadAsDataIsPassedOverAndNamedInTheSummary() {
        CommandsTest.Run r = lurm("evaluate", "--model", model.toString(), "--events", events.toString(), "--header", "--labels", labels.toString(),
                "--folds", "3", "--no-mlp", "--progress", "none", "--report", dir.resolve("c.html").toString());
        assertEquals(0, r.code(), r.err());
        // columns are numbered without a header: 2 is segment, two values, so binary with its ROC-AUC
        table(r.out(), "2", "roc_auc", "logistic", Baselines.LURM);
        table(r.out(), "3", "accuracy", "logistic", Baselines.LURM);
        List<String> notes = new ArrayList<>();
        for (String l : r.out().split("\n")) if (l.startsWith("note: ")) notes.add(l);
        assertEquals(1, notes.size(), r.out());
        assertEquals("note: " + labels + ":1: field 1 (user id 'user_id') looks like a header row read as data: 'user_id' is not a user of the events and "
                + "'segment', 'age_group' occur on no other line; the line was passed over. If it names the columns, read the file with a header so the tasks "
                + "take those names (pass --labels-header)", notes.get(0));

        // with --labels-header the same file reads cleanly, tasks named by the header, no note
        CommandsTest.Run ok = lurm("evaluate", "--model", model.toString(), "--events", events.toString(), "--header", "--labels", labels.toString(), "--labels-header",
                "--folds", "3", "--no-mlp", "--progress", "none", "--report", dir.resolve("d.html").toString());
        assertEquals(0, ok.code(), ok.err());
        assertFalse(ok.out().contains("note: "), ok.out());
        assertEquals(table(r.out(), "2", "roc_auc", "logistic", Baselines.LURM), table(ok.out(), "segment", "roc_auc", "logistic", Baselines.LURM), 0,
                "the header row changed nothing but the names");
    }

    /** A labels file whose user column matches no user of the events: a clear error, not an empty task list. */
    @Test
    void labelsOfNoKnownUserAreAnErrorNamingTheColumn() throws IOException {
        Path other = dir.resolve("other-labels.csv");
        Files.writeString(other, "x1,a\nx2,b\nx3,a\n");
        CommandsTest.Run r = lurm("evaluate", "--model", model.toString(), "--events", events.toString(), "--header", "--labels", other.toString(),
                "--progress", "none", "--report", dir.resolve("e.html").toString());
        assertEquals(Exit.BAD_INPUT, r.code(), r.out());
        assertTrue(r.err().contains(other + ": no line has a user of the 300 users in its user id column (column 1); check --labels-user-col"), r.err());
    }

    /** {@code --help} prints the usage and no picocli warnings (a '%' in a description is a format conversion to picocli). */
    @Test
    void helpPrintsCleanly() {
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        CommandsTest.Run r;
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            r = lurm("evaluate", "--help");
        } finally {
            System.setErr(saved);
        }
        String stderr = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, r.code());
        assertEquals("", r.err(), "nothing on the command's stderr");
        assertEquals("", stderr, "nothing on System.err (picocli warns there)");
        assertTrue(r.out().replaceAll("\\s+", " ").contains("(SMEN trained on 80 % of users, probed on the other 20 %)"), "the percent signs print as such:\n" + r.out());
        assertFalse(r.out().contains("%%"), r.out());
    }

    /** The claim line of a claim and probe in the output (exactly one). */
    static String claimLine(String out, String claim, String probe) {
        List<String> found = new ArrayList<>();
        for (String l : out.split("\n")) if (l.startsWith("claim " + claim + " (" + probe + "): ")) found.add(l);
        assertEquals(1, found.size(), "one line for " + claim + " (" + probe + ") in\n" + out);
        return found.get(0);
    }

    /** A method's mean in the printed table on the line of a task, metric and probe. */
    static double table(String out, String task, String metric, String probe, String method) {
        String[] lines = out.split("\n");
        int header = -1;
        for (int i = 0; i < lines.length; i++) if (lines[i].startsWith("task ") && lines[i].contains(Baselines.LURM)) header = i;
        assertTrue(header >= 0, "a table header in\n" + out);
        List<String> cols = columns(lines[header]);
        Map<String, Integer> idx = new HashMap<>();
        for (int i = 0; i < cols.size(); i++) idx.put(cols.get(i), i);
        assertTrue(idx.containsKey(method), method + " in " + cols);
        for (String l : lines) {
            List<String> c = columns(l);
            if (c.size() == cols.size() && c.get(0).equals(task) && c.get(1).equals(metric) && c.get(2).equals(probe)) {
                String cell = c.get(idx.get(method)).replace("*", "").trim();
                return Double.parseDouble(cell.substring(0, cell.indexOf('±')).trim());
            }
        }
        throw new AssertionError("no " + task + " / " + metric + " / " + probe + " line in\n" + out);
    }

    private static List<String> columns(String line) {
        List<String> out = new ArrayList<>();
        for (String s : line.split("\\s{2,}|\\s*\\|\\s*")) if (!s.isBlank()) out.add(s.trim());
        return out;
    }
}
