package org.lurm.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.lurm.eval.LabelTable;
import org.lurm.eval.LabelsReader;
import org.lurm.events.IdDictionary;
import org.lurm.events.io.DelimitedFormat;
import org.lurm.events.io.ReadReport;
import org.lurm.progress.Progress;
import picocli.CommandLine.Option;

/** Where the labels of {@code lurm evaluate} come from: a delimited file, one user per line. Filled by picocli. */
final class LabelOptions {
    @Option(names = "--labels", paramLabel = "FILE", description = "Labels file: a user id column and one column per task (delimited text, gzip allowed).")
    Path labels;

    @Option(names = "--labels-sep", paramLabel = "SEP", description = "Separator of the labels file (default: ${DEFAULT-VALUE}).", defaultValue = ",")
    String sep;

    @Option(names = "--labels-header", description = "The first line of the labels file names the columns.")
    boolean header;

    @Option(names = "--labels-user-col", paramLabel = "COL", description = "User id column of the labels file: a number from 1, or a header name (default: ${DEFAULT-VALUE}).",
            defaultValue = "1")
    String userCol;

    @Option(names = "--task", paramLabel = "COL[:KIND]",
            description = {"A task column and its kind: binary, multi-class or multi-label (values separated by |). Repeat for several.",
                    "Default: every other column, the kind guessed (| in a value: multi-label; two values: binary; else multi-class)."})
    List<String> tasks = new ArrayList<>();

    @Option(names = "--labels-lenient", description = "Skip malformed lines of the labels file and count them.")
    boolean lenient;

    /**
     * What was read.
     *
     * @param warnings lines for the summary: input that looks wrong but did not stop the read (a header row read
     *                 as data), each naming file and line and saying what to do
     */
    record Read(List<LabelTable> tables, ReadReport report, List<String> warnings) {
    }

    /** Reads the labels against {@code users}. */
    Read read(IdDictionary users, Progress progress) throws IOException {
        if (labels == null) throw CliException.usage("no labels: pass --labels FILE (or --dataset for the built-in MovieLens tasks)");
        if (!Files.isRegularFile(labels)) throw new java.nio.file.NoSuchFileException(labels.toString());
        String separator = EventInput.separator(sep);
        Map<String, LabelTable.Kind> kinds = tasks.isEmpty() ? guess(separator, users) : parse(users);
        if (kinds.isEmpty()) throw CliException.badInput(labels + " has no label column besides the user id column");
        // With a header the reader names columns by it: a column number given here becomes that column's name.
        String user = userCol;
        if (header) {
            List<String> names = headerNames(separator);
            user = byName(userCol, names, "--labels-user-col");
            Map<String, LabelTable.Kind> named = new LinkedHashMap<>();
            for (var e : kinds.entrySet()) named.put(byName(e.getKey(), names, "--task"), e.getValue());
            kinds = named;
        }
        DelimitedFormat fmt = DelimitedFormat.of(separator).withHeader(header);
        try (Progress.Task t = progress.start("read " + labels.getFileName(), 0, "")) {
            LabelsReader.Result r = new LabelsReader(fmt, user, kinds, lenient).read(labels, users);
            t.status(String.format(Locale.ROOT, "%,d users labelled, tasks %s", r.report().accepted(), kinds));
            List<String> warnings = new ArrayList<>();
            for (String w : r.warnings()) warnings.add(w + (header ? "" : " (pass --labels-header)"));
            return new Read(r.tables(), r.report(), warnings);
        } catch (IllegalArgumentException e) {
            throw CliException.badInput(labels + ": " + e.getMessage());
        }
    }

    private String byName(String spec, List<String> names, String option) {
        if (!spec.isEmpty() && spec.chars().allMatch(Character::isDigit) && !names.contains(spec)) {
            int c = Integer.parseInt(spec);
            if (c < 1 || c > names.size()) throw CliException.usage(option + " " + spec + ": " + labels + " has columns 1.." + names.size() + " " + names);
            return names.get(c - 1);
        }
        return spec;
    }

    private List<String> headerNames(String separator) throws IOException {
        TextTable t = new TextTable(separator, true, true, java.nio.charset.StandardCharsets.UTF_8, null);
        List<String> names = new ArrayList<>();
        t.read(labels, Progress.Task.NONE, head -> {
            names.addAll(head);
            return row -> {
            };
        });
        return names;
    }

    private Map<String, LabelTable.Kind> parse(IdDictionary users) {
        Map<String, LabelTable.Kind> m = new LinkedHashMap<>();
        for (String t : tasks) {
            int c = t.lastIndexOf(':');
            String name = c < 0 ? t : t.substring(0, c);
            String kind = c < 0 ? null : t.substring(c + 1).toLowerCase(Locale.ROOT);
            LabelTable.Kind k = kind == null ? null : switch (kind) {
                case "binary" -> LabelTable.Kind.BINARY;
                case "multi-class", "multiclass", "class" -> LabelTable.Kind.MULTI_CLASS;
                case "multi-label", "multilabel", "labels" -> LabelTable.Kind.MULTI_LABEL;
                default -> throw CliException.usage("--task " + t + ": the kind must be binary, multi-class or multi-label");
            };
            m.put(name, k);
        }
        if (m.containsValue(null)) {
            try {
                Map<String, LabelTable.Kind> g = guess(EventInput.separator(sep), users);
                m.replaceAll((name, k) -> {
                    if (k != null) return k;
                    LabelTable.Kind gk = g.get(name);
                    if (gk == null) throw CliException.badInput(labels + ": no label column '" + name + "'; columns: " + g.keySet());
                    return gk;
                });
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return m;
    }

    /**
     * Every column but the user's, with its kind guessed from its values on the lines of known users only (the
     * lines the reader keeps: a header row read as data, or users not in the events, must not add a value).
     */
    private Map<String, LabelTable.Kind> guess(String separator, IdDictionary users) throws IOException {
        TextTable t = new TextTable(separator, header, true, java.nio.charset.StandardCharsets.UTF_8, null);
        List<String> names = new ArrayList<>();
        List<Set<String>> values = new ArrayList<>();
        List<boolean[]> multi = new ArrayList<>();
        int[] userIndex = {-1};
        long[] known = {0};
        t.read(labels, Progress.Task.NONE, head -> {
            if (header) names.addAll(head);
            return row -> {
                List<String> f = row.fields();
                if (names.isEmpty()) for (int i = 0; i < f.size(); i++) names.add(String.valueOf(i + 1));
                if (userIndex[0] < 0) userIndex[0] = TextTable.column(userCol, header ? names : List.of(), "--labels-user-col", labels);
                if (userIndex[0] >= f.size() || users.indexOf(f.get(userIndex[0])) < 0) return;
                known[0]++;
                for (int i = 0; i < Math.min(f.size(), names.size()); i++) {
                    while (values.size() <= i) {
                        values.add(new HashSet<>());
                        multi.add(new boolean[1]);
                    }
                    String v = f.get(i);
                    if (v.isEmpty()) continue;
                    if (v.indexOf(LabelsReader.MULTI_SEPARATOR) >= 0) multi.get(i)[0] = true;
                    if (values.get(i).size() < 10_000) values.get(i).add(v);
                }
            };
        });
        if (known[0] == 0 && userIndex[0] >= 0) {
            throw CliException.badInput(labels + ": no line has a user of the " + users.size() + " users in its user id column (" + (header ? names.get(userIndex[0])
                    : "column " + (userIndex[0] + 1)) + "); check --labels-user-col and --labels-sep");
        }
        Map<String, LabelTable.Kind> m = new LinkedHashMap<>();
        for (int i = 0; i < values.size(); i++) {
            if (i == userIndex[0]) continue;
            LabelTable.Kind k = multi.get(i)[0] ? LabelTable.Kind.MULTI_LABEL : values.get(i).size() == 2 ? LabelTable.Kind.BINARY : LabelTable.Kind.MULTI_CLASS;
            if (values.get(i).size() < 2 && !multi.get(i)[0]) continue; // a constant column is no task
            m.put(names.get(i), k);
        }
        return m;
    }
}
