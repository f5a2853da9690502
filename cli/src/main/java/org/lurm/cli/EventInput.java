package org.lurm.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.events.IdDictionary;
import org.lurm.events.ItemCatalog;
import org.lurm.events.UserAttributes;
import org.lurm.events.io.Column;
import org.lurm.events.io.DelimitedEventReader;
import org.lurm.events.io.DelimitedFormat;
import org.lurm.events.io.MalformedInputException;
import org.lurm.events.io.MovieLens;
import org.lurm.events.io.ReadReport;
import org.lurm.events.io.TimestampFormat;
import org.lurm.memory.MemoryScope;
import org.lurm.progress.Progress;
import picocli.CommandLine.Option;

/**
 * Where events (and optionally an item catalogue) come from: delimited files described by options, or a
 * MovieLens folder. Shared by fit, encode, evaluate and inspect. Not thread-safe (picocli fills it).
 */
final class EventInput {
    @Option(names = "--events", paramLabel = "FILE", description = "Events file (delimited text, gzip allowed); repeat for several files.")
    List<Path> events = new ArrayList<>();

    @Option(names = "--movielens", paramLabel = "DIR",
            description = "Read a MovieLens 100K (u.data, u.item, u.user) or 1M (ratings.dat, movies.dat, users.dat) folder instead of --events.")
    Path movielens;

    @Option(names = "--sep", paramLabel = "SEP", description = "Field separator of the events file: a string, or tab, comma, pipe, semicolon, space (default: ${DEFAULT-VALUE}).",
            defaultValue = ",")
    String sep;

    @Option(names = "--header", description = "The first line of the events file names the columns.")
    boolean header;

    @Option(names = "--user-col", paramLabel = "COL", description = "User id column: a number from 1, or a header name (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    String userCol;

    @Option(names = "--item-col", paramLabel = "COL", description = "Item id column (default: ${DEFAULT-VALUE}).", defaultValue = "2")
    String itemCol;

    @Option(names = "--time-col", paramLabel = "COL", description = "Timestamp column (default: ${DEFAULT-VALUE}).", defaultValue = "3")
    String timeCol;

    @Option(names = "--weight-col", paramLabel = "COL", description = "Weight column (a number >= 0; default: none, every weight 1).")
    String weightCol;

    @Option(names = "--type-col", paramLabel = "COL", description = "Behaviour type column (click, buy, ...; default: none).")
    String typeCol;

    @Option(names = "--time-format", paramLabel = "FMT",
            description = "Timestamps: unix (seconds), unix-ms, iso (2024-05-01T12:00:00Z), date (2024-05-01) (default: ${DEFAULT-VALUE}).",
            defaultValue = "unix")
    String timeFormat;

    @Option(names = "--charset", paramLabel = "NAME", description = "Charset of the text files: UTF-8 or a single-byte one such as ISO-8859-1 (default: ${DEFAULT-VALUE}).",
            defaultValue = "UTF-8")
    String charset;

    @Option(names = "--no-quoting", description = "Quotes are ordinary characters (default: RFC 4180 \"-quoting).")
    boolean noQuoting;

    @Option(names = "--comment", paramLabel = "PREFIX", description = "Lines starting with PREFIX are comments.")
    String comment;

    @Option(names = "--allow-multiline-ids",
            description = "Allow quoted user, item and type ids that span lines (default: such a field is an error, as it is almost always a stray quote).")
    boolean multilineIds;

    @Option(names = "--lenient", description = "Skip malformed lines (and events of unknown items) and count them, instead of stopping at the first.")
    boolean lenient;

    @Option(names = "--items", paramLabel = "FILE", description = "Item catalogue: item id, title and optional categories per line (for the text embedder and for titles).")
    Path items;

    @Option(names = "--items-sep", paramLabel = "SEP", description = "Separator of the items file (default: the events' --sep).")
    String itemsSep;

    @Option(names = "--items-header", description = "The first line of the items file names the columns.")
    boolean itemsHeader;

    @Option(names = "--items-id-col", paramLabel = "COL", description = "Item id column of the items file (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    String itemsIdCol;

    @Option(names = "--items-title-col", paramLabel = "COL", description = "Title (text) column of the items file (default: ${DEFAULT-VALUE}).", defaultValue = "2")
    String itemsTitleCol;

    @Option(names = "--items-categories-col", paramLabel = "COL", description = "Categories column of the items file (default: none).")
    String itemsCategoriesCol;

    @Option(names = "--items-categories-sep", paramLabel = "SEP", description = "Separator between categories in that column (default: ${DEFAULT-VALUE}).",
            defaultValue = "|")
    String itemsCategoriesSep;

    /** What was read: events in the caller's scope, an optional catalogue and user attributes, one report per file. */
    record Loaded(EventTable events, ItemCatalog catalog, UserAttributes attributes, List<ReadReport> reports, String source) {
        long skipped() {
            long s = 0;
            for (ReadReport r : reports) s += r.skipped();
            return s;
        }
    }

    boolean given() {
        return movielens != null || !events.isEmpty();
    }

    /** Reads the events (and catalogue) into {@code scope}, with progress; a usage error when no input was named. */
    Loaded load(MemoryScope scope, Progress progress) throws IOException {
        if (movielens != null) {
            if (!events.isEmpty()) throw CliException.usage("give --events or --movielens, not both");
            return loadMovieLens(movielens, scope, progress, lenient);
        }
        if (events.isEmpty()) throw CliException.usage("no events: pass --events FILE (or --movielens DIR)");
        Charset cs = charset();
        DelimitedFormat fmt = DelimitedFormat.of(separator(sep)).withHeader(header).withCharset(cs);
        if (noQuoting) fmt = fmt.withoutQuoting();
        if (comment != null) fmt = fmt.withCommentPrefix(comment);
        DelimitedEventReader.Builder b = DelimitedEventReader.builder().format(fmt).user(column(userCol, "--user-col"))
                .item(column(itemCol, "--item-col")).timestamp(column(timeCol, "--time-col")).timestampFormat(timestampFormat()).lenient(lenient).multilineIds(multilineIds);
        if (weightCol != null) b.weight(column(weightCol, "--weight-col"));
        if (typeCol != null) b.type(column(typeCol, "--type-col"));
        DelimitedEventReader reader;
        try {
            reader = b.build();
        } catch (IllegalStateException e) {
            throw CliException.usage(e.getMessage() + (e.getMessage().contains("no header") ? ": add --header, or give column numbers" : ""));
        }
        IdDictionary itemIds = new IdDictionary();
        ItemCatalog catalog = null;
        List<ReadReport> reports = new ArrayList<>();
        if (items != null) {
            catalog = readCatalog(items, itemIds, progress, reports);
        }
        EventTableBuilder builder = new EventTableBuilder(new IdDictionary(), itemIds, EventTableBuilder.defaultTypes());
        for (Path f : events) {
            if (!Files.isRegularFile(f)) throw new java.nio.file.NoSuchFileException(f.toString());
            try (Progress.Task t = progress.start("read " + f.getFileName(), Files.size(f), "bytes"); InputStream in = CountingInput.open(f, t)) {
                ReadReport r = reader.read(in, f.toString(), builder);
                reports.add(r);
                t.status(String.format(Locale.ROOT, "%,d events%s", r.accepted(), r.skipped() > 0 ? String.format(Locale.ROOT, ", %,d malformed lines skipped", r.skipped()) : ""));
            }
        }
        if (builder.size() == 0) throw CliException.badInput("no events in " + events + " (every line was blank, a comment, a header or skipped)");
        EventTable table = builder.build(scope);
        return new Loaded(table, catalog, null, reports, events.size() == 1 ? events.get(0).toString() : events.toString());
    }

    /** Reads the catalogue only (titles for inspect), over {@code itemIds}; null when no items file or MovieLens folder was named. */
    ItemCatalog catalogOnly(IdDictionary itemIds, Progress progress) throws IOException {
        if (items != null) return readCatalog(items, itemIds, progress, new ArrayList<>());
        if (movielens != null) {
            try (MemoryScope tmp = MemoryScope.root("catalogue")) {
                Loaded l = loadMovieLens(movielens, tmp, progress, lenient);
                ItemCatalog c = new ItemCatalog(itemIds);
                for (int i = 0; i < l.catalog().items().size(); i++) {
                    if (l.catalog().has(i)) c.put(l.catalog().items().id(i), l.catalog().title(i), l.catalog().categories(i));
                }
                return c;
            }
        }
        return null;
    }

    static Loaded loadMovieLens(Path dir, MemoryScope scope, Progress progress, boolean lenient) throws IOException {
        if (!Files.isDirectory(dir)) throw new java.nio.file.NoSuchFileException(dir.toString(), null, "not a folder");
        boolean is100k = Files.exists(dir.resolve("u.data")) || Files.exists(dir.resolve("u.data.gz"));
        boolean is1m = MovieLens.RATINGS_1M_FILES.stream().anyMatch(f -> Files.exists(dir.resolve(f)));
        if (!is100k && !is1m) {
            throw CliException.badInput(dir + " is not a MovieLens folder: it has neither u.data (100K) nor one of " + MovieLens.RATINGS_1M_FILES + " (1M)");
        }
        try (Progress.Task t = progress.start("read MovieLens " + (is100k ? "100K" : "1M"), 0, "")) {
            MovieLens.Dataset d = is100k ? MovieLens.read100k(dir, scope, lenient) : MovieLens.read1m(dir, scope, lenient);
            t.status(String.format(Locale.ROOT, "%,d events, %,d users, %,d items", d.events().size(), d.events().numUsers(), d.events().numItems()));
            return new Loaded(d.events(), d.catalog(), d.attributes(), d.reports(), dir.toString());
        }
    }

    private ItemCatalog readCatalog(Path file, IdDictionary itemIds, Progress progress, List<ReadReport> reports) throws IOException {
        if (!Files.isRegularFile(file)) throw new java.nio.file.NoSuchFileException(file.toString());
        TextTable table = new TextTable(separator(itemsSep != null ? itemsSep : sep), itemsHeader, !noQuoting, charset(), comment);
        ItemCatalog catalog = new ItemCatalog(itemIds);
        long[] counts = new long[2];
        List<String> errors = new ArrayList<>();
        long t0 = System.nanoTime();
        try (Progress.Task t = progress.start("read " + file.getFileName(), Files.size(file), "bytes")) {
            table.read(file, t, head -> {
                int idC = TextTable.column(itemsIdCol, head, "--items-id-col", file);
                int titleC = TextTable.column(itemsTitleCol, head, "--items-title-col", file);
                int catC = itemsCategoriesCol == null ? -1 : TextTable.column(itemsCategoriesCol, head, "--items-categories-col", file);
                int need = Math.max(idC, Math.max(titleC, catC));
                return row -> {
                    List<String> f = row.fields();
                    try {
                        if (f.size() <= need) {
                            throw new MalformedInputException(file.toString(), row.line(), null, 0, null,
                                    "has " + f.size() + " fields, the item columns need " + (need + 1) + " (check --items-sep)");
                        }
                        String id = f.get(idC);
                        if (id.isEmpty()) throw new MalformedInputException(file.toString(), row.line(), "item id", idC + 1, head.isEmpty() ? null : head.get(idC), "empty item id");
                        List<String> cats = catC < 0 || f.get(catC).isEmpty() ? List.of()
                                : Arrays.stream(f.get(catC).split(java.util.regex.Pattern.quote(itemsCategoriesSep))).map(String::strip).filter(s -> !s.isEmpty()).toList();
                        catalog.put(id, f.get(titleC), cats);
                        counts[0]++;
                    } catch (MalformedInputException e) {
                        if (!lenient) throw e;
                        counts[1]++;
                        if (errors.size() < 10) errors.add(e.getMessage());
                    }
                };
            });
            t.status(String.format(Locale.ROOT, "%,d items", counts[0]));
        }
        reports.add(new ReadReport(file.toString(), "items", counts[0] + counts[1], itemsHeader ? 1 : 0, 0, 0, counts[0], counts[1], errors,
                java.util.Map.of(), System.nanoTime() - t0));
        return catalog;
    }

    Charset charset() {
        try {
            return Charset.forName(charset);
        } catch (IllegalArgumentException e) {
            throw CliException.usage("unknown charset '" + charset + "' (use UTF-8 or ISO-8859-1)");
        }
    }

    static String separator(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "tab", "\\t" -> "\t";
            case "comma" -> ",";
            case "pipe" -> "|";
            case "semicolon" -> ";";
            case "space" -> " ";
            default -> {
                if (s.isEmpty()) throw CliException.usage("the separator must not be empty");
                yield s;
            }
        };
    }

    private Column column(String spec, String option) {
        if (spec.chars().allMatch(Character::isDigit) && !spec.isEmpty()) {
            int c = Integer.parseInt(spec);
            if (c < 1) throw CliException.usage(option + " must be >= 1 (columns are numbered from 1), got " + spec);
            return Column.index(c - 1);
        }
        if (!header) throw CliException.usage(option + " names a column ('" + spec + "'): add --header (the file's first line names the columns), or give a column number");
        return Column.named(spec);
    }

    private TimestampFormat timestampFormat() {
        return switch (timeFormat.toLowerCase(Locale.ROOT)) {
            case "unix", "unix-seconds", "seconds" -> TimestampFormat.UNIX_SECONDS;
            case "unix-ms", "unix-millis", "millis" -> TimestampFormat.UNIX_MILLIS;
            case "iso", "iso-instant" -> TimestampFormat.ISO_INSTANT;
            case "date", "iso-date" -> TimestampFormat.ISO_DATE;
            default -> throw CliException.usage("--time-format must be unix, unix-ms, iso or date, got '" + timeFormat + "'");
        };
    }

    /** One line per file read, for summaries. */
    static List<String> describe(List<ReadReport> reports) {
        List<String> out = new ArrayList<>();
        for (ReadReport r : reports) {
            long inside = r.note(DelimitedEventReader.NOTE_CONTINUATION);
            out.add(String.format(Locale.ROOT, "%s: %,d %s from %,d lines%s%s", r.source(), r.accepted(), r.unit(), r.lines(),
                    inside > 0 ? String.format(Locale.ROOT, " (%,d of them inside quoted fields spanning lines)", inside) : "",
                    r.skipped() > 0 ? String.format(Locale.ROOT, ", %,d malformed lines skipped (first: %s)", r.skipped(), r.errors().isEmpty() ? "?" : r.errors().get(0)) : ""));
        }
        return out;
    }

    /** 1973-03-03: Unix seconds below 10^8 are rarely real event times. */
    static final long PLAUSIBLE_FROM = 100_000_000L;
    /** 2100-01-01. */
    static final long PLAUSIBLE_TO = 4_102_444_800L;

    /**
     * Warnings about input that reads without error but is probably not what the user meant, each with what to do:
     * timestamps in the wrong unit or from the wrong column, quoted fields that merged lines. Empty when all
     * looks plausible.
     */
    List<String> warnings(Loaded data) {
        List<String> w = new ArrayList<>();
        EventTable e = data.events();
        long n = e.size();
        if (n > 0) {
            int m = (int) Math.min(n, 100_000);
            long[] sample = new long[m];
            for (int i = 0; i < m; i++) sample[i] = e.timestamp(m == n ? i : (long) ((double) i * n / m));
            Arrays.sort(sample);
            long median = sample[m / 2], min = sample[0], max = sample[m - 1];
            long outside = 0;
            for (long t : sample) if (t < PLAUSIBLE_FROM || t >= PLAUSIBLE_TO) outside++;
            TimestampFormat f = movielens != null ? TimestampFormat.UNIX_SECONDS : timestampFormat();
            String col = movielens != null ? "" : " (--time-col " + timeCol + ")";
            if (median >= PLAUSIBLE_TO) {
                if (f == TimestampFormat.UNIX_SECONDS && plausible(median / 1000)) {
                    w.add(String.format(Locale.ROOT, "the timestamps look like milliseconds: read as seconds, half of them lie after the year %d;"
                            + " pass --time-format unix-ms", year(median)));
                } else if (f == TimestampFormat.UNIX_SECONDS && plausible(median / 1_000_000)) {
                    w.add(String.format(Locale.ROOT, "the timestamps look like microseconds: read as seconds, half of them lie after the year %d;"
                            + " convert them to seconds or milliseconds (--time-format unix-ms)", year(median)));
                } else {
                    w.add(String.format(Locale.ROOT, "half of the timestamps lie after the year %d: check the timestamp column%s and --time-format",
                            year(median), col));
                }
            } else if (median < PLAUSIBLE_FROM) {
                if (f == TimestampFormat.UNIX_MILLIS && plausible(median * 1000)) {
                    w.add("the timestamps look like seconds: read as milliseconds, half of them fall in the first days of 1970; pass --time-format unix");
                } else {
                    w.add(String.format(Locale.ROOT, "half of the timestamps fall before 1973 (the values read range from %d to %d): the column read as the"
                            + " timestamp%s may hold something else, such as a rating or a count; check --time-col and --time-format", min, max, col));
                }
            } else if (outside * 100 > m) {
                w.add(String.format(Locale.ROOT, "%.1f %% of the events have timestamps before 1973 or after 2100 (from %d to %d): check them",
                        100.0 * outside / m, min, max));
            }
        }
        for (ReadReport r : data.reports()) {
            long inside = r.note(DelimitedEventReader.NOTE_CONTINUATION);
            if (inside > 0) {
                w.add(String.format(Locale.ROOT, "%s: %,d lines were inside quoted fields spanning lines (first in column %d); if that column has no"
                        + " multi-line text, a stray quote merged lines: fix it, or pass --no-quoting", r.source(), inside,
                        r.note(DelimitedEventReader.NOTE_MULTILINE_COLUMN)));
            }
        }
        return w;
    }

    private static boolean plausible(long seconds) {
        return seconds >= PLAUSIBLE_FROM && seconds < PLAUSIBLE_TO;
    }

    private static long year(long seconds) {
        return 1970 + Math.floorDiv(seconds, 31_556_952L);
    }

    static final Charset LATIN1 = StandardCharsets.ISO_8859_1;
}
