package org.lurm.events.io;

import org.lurm.io.Inputs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.events.IdDictionary;
import org.lurm.events.ItemCatalog;
import org.lurm.events.UserAttributes;
import org.lurm.memory.MemoryScope;

/**
 * Readers for the MovieLens 100K ({@code u.data}, {@code u.item}, {@code u.genre}, {@code u.user}) and 1M
 * ({@code ratings.dat}, {@code movies.dat}, {@code users.dat}) folders (GroupLens; research use only, see the
 * dataset's README: never ship the data). All files are read as ISO-8859-1 without quoting (titles contain
 * quotes), gzip-compressed or not.
 *
 * <p><b>Ratings as behaviour types.</b> Every rating becomes one event of weight 1 whose behaviour type is
 * the rating as text, "1".."5"; the type dictionary is {@code ["", "1", "2", "3", "4", "5"]}, so
 * {@code type(i)} equals the number of stars. A per-type weight table can then weigh ratings (e.g. count
 * only 4 and 5 stars) without reading the files again. Any other rating is a malformed line.
 *
 * <p><b>Items.</b> The catalogue is read first, so item indices follow its order (movie-id order) and items
 * that nobody rated are in the dictionary and the {@link ItemCatalog} too (cold-start items). Categories are
 * the genre names. Ratings of a movie missing from the catalogue are kept (counted in a note).
 *
 * <p><b>Users.</b> User indices follow the first appearance in the ratings file. Only users with events get
 * attributes; the others are counted in the users report ("users without events"). Attribute columns:
 * {@code gender} (M/F), {@code age} (the ML-1M bucket code {@link #AGE_BUCKETS}: 1 "&lt;18", 18 "18-24",
 * 25 "25-34", 35 "35-44", 45 "45-49", 50 "50-55", 56 "56+"; for 100K computed from the age in years by
 * {@link #ageBucket(int)}), {@code age_years} (100K only), {@code occupation} (the name for 100K, the code
 * "0".."20" for 1M, see {@link #OCCUPATIONS_1M}) and {@code zip}.
 *
 * <p><b>Memory.</b> The event columns are allocated in the scope given; catalogue, attributes and
 * dictionaries are on-heap. Nothing is allocated off-heap when reading fails.
 *
 * <p><b>Thread-safety.</b> Stateless; concurrent calls are independent.
 */
public final class MovieLens {
    /** ML-1M age bucket codes, in order. */
    public static final List<String> AGE_BUCKETS = List.of("1", "18", "25", "35", "45", "50", "56");

    /** ML-1M occupation names by code 0..20. */
    public static final List<String> OCCUPATIONS_1M = List.of("other or not specified", "academic/educator", "artist",
            "clerical/admin", "college/grad student", "customer service", "doctor/health care", "executive/managerial",
            "farmer", "homemaker", "K-12 student", "lawyer", "programmer", "retired", "sales/marketing", "scientist",
            "self-employed", "technician/engineer", "tradesman/craftsman", "unemployed", "writer");

    /** The ratings files {@link #read1m} looks for, in order of preference. */
    public static final List<String> RATINGS_1M_FILES = List.of("ratings.dat", "ratings.dat.gz", "ratings_users1-2499.dat.gz");

    private static final int MAX_ERRORS = 10;

    private MovieLens() {
    }

    /**
     * A MovieLens dataset: events (in the caller's scope), item catalogue, user attributes and one report per
     * file read, in read order (for 100K: u.genre, u.item, u.data, u.user; for 1M: movies, ratings, users).
     */
    public record Dataset(EventTable events, ItemCatalog catalog, UserAttributes attributes, List<ReadReport> reports) {
        public Dataset {
            Objects.requireNonNull(events);
            Objects.requireNonNull(catalog);
            Objects.requireNonNull(attributes);
            reports = List.copyOf(reports);
        }

        /** The report of the ratings file. */
        public ReadReport ratingsReport() {
            return find("events");
        }

        /** The report of the item file. */
        public ReadReport itemsReport() {
            return find("items");
        }

        /** The report of the user file. */
        public ReadReport usersReport() {
            return find("users");
        }

        private ReadReport find(String unit) {
            for (ReadReport r : reports) if (r.unit().equals(unit)) return r;
            throw new IllegalStateException("no " + unit + " report");
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(events.toString()).append(", ").append(catalog.entries()).append(" catalogue entries");
            for (ReadReport r : reports) sb.append('\n').append(r);
            return sb.toString();
        }
    }

    /** The ML-1M age bucket code of an age in years. */
    public static String ageBucket(int years) {
        if (years < 0) throw new IllegalArgumentException("negative age " + years);
        if (years < 18) return "1";
        if (years < 25) return "18";
        if (years < 35) return "25";
        if (years < 45) return "35";
        if (years < 50) return "45";
        if (years < 56) return "50";
        return "56";
    }

    /** Reads a MovieLens 100K folder, strictly: any malformed line throws {@link MalformedInputException}. */
    public static Dataset read100k(Path dir, MemoryScope scope) throws IOException {
        return read100k(dir, scope, false);
    }

    /** Reads a MovieLens 100K folder; lenient skips (and counts) malformed lines. */
    public static Dataset read100k(Path dir, MemoryScope scope, boolean lenient) throws IOException {
        Objects.requireNonNull(scope, "scope");
        DelimitedFormat pipe = latin1("|");
        List<ReadReport> reports = new ArrayList<>();

        // u.genre: name|index, the order of the genre flags in u.item
        List<String> genres = new ArrayList<>();
        reports.add(readRecords(require(dir, "u.genre"), pipe, "genres", lenient, new String[] {"name", "index"}, tok -> {
            String name = text(tok, 0, "name");
            int index = integer(tok, 1, "index", 0, Integer.MAX_VALUE);
            if (index != genres.size()) throw fieldError(tok, 1, "index", "expected genre index " + genres.size() + " (indices must count up from 0)");
            genres.add(name);
        }));
        if (genres.isEmpty()) throw new MalformedInputException(dir.resolve("u.genre").toString(), 0, null, 0, null, "no genres");

        // u.item: id|title|release date|video release date|IMDb URL|one 0/1 flag per genre
        IdDictionary items = new IdDictionary();
        ItemCatalog catalog = new ItemCatalog(items);
        String[] itemFields = new String[5 + genres.size()];
        String[] head = {"movie id", "title", "release date", "video release date", "IMDb URL"};
        System.arraycopy(head, 0, itemFields, 0, 5);
        for (int g = 0; g < genres.size(); g++) itemFields[5 + g] = "genre " + genres.get(g);
        reports.add(readRecords(require(dir, "u.item"), pipe, "items", lenient, itemFields, tok -> {
            String id = text(tok, 0, itemFields[0]);
            String title = string(tok, 1, itemFields[1]);
            List<String> cats = new ArrayList<>();
            for (int g = 0; g < genres.size(); g++) {
                if (integer(tok, 5 + g, itemFields[5 + g], 0, 1) == 1) cats.add(genres.get(g));
            }
            checkNewItem(tok, catalog, id);
            catalog.put(id, title, cats);
        }));

        // u.data: user \t item \t rating \t unix seconds
        EventTableBuilder events = new EventTableBuilder(new IdDictionary(), items, ratingTypes());
        DelimitedEventReader ratings = DelimitedEventReader.builder()
                .format(latin1("\t"))
                .user(0).item(1).type(2).timestamp(3)
                .timestampFormat(TimestampFormat.UNIX_SECONDS)
                .closedTypes(true)
                .lenient(lenient).maxErrors(MAX_ERRORS)
                .build();
        reports.add(noteUncatalogued(ratings.read(require(dir, "u.data"), events), events, catalog));

        // u.user: id|age|gender|occupation|zip
        UserAttributes attrs = new UserAttributes(events.users());
        reports.add(readUsers(require(dir, "u.user"), pipe, lenient, new String[] {"user id", "age", "gender", "occupation", "zip code"}, attrs,
                (tok, user) -> {
                    int years = integer(tok, 1, "age", 0, 150);
                    String gender = gender(tok, 2);
                    String occupation = text(tok, 3, "occupation");
                    String zip = string(tok, 4, "zip code");
                    if (user < 0) return;
                    attrs.put(user, "gender", gender);
                    attrs.put(user, "age", ageBucket(years));
                    attrs.put(user, "age_years", Integer.toString(years));
                    attrs.put(user, "occupation", occupation);
                    attrs.put(user, "zip", zip);
                }));
        return new Dataset(events.build(scope), catalog, attrs, reports);
    }

    /** Reads a MovieLens 1M folder, strictly: any malformed line throws {@link MalformedInputException}. */
    public static Dataset read1m(Path dir, MemoryScope scope) throws IOException {
        return read1m(dir, scope, false);
    }

    /**
     * Reads a MovieLens 1M folder: {@code movies.dat}, {@code users.dat} and the first of
     * {@link #RATINGS_1M_FILES} that exists; lenient skips (and counts) malformed lines.
     */
    public static Dataset read1m(Path dir, MemoryScope scope, boolean lenient) throws IOException {
        Objects.requireNonNull(scope, "scope");
        DelimitedFormat colons = latin1("::");
        List<ReadReport> reports = new ArrayList<>();

        // movies.dat: id::title::genre|genre|...
        IdDictionary items = new IdDictionary();
        ItemCatalog catalog = new ItemCatalog(items);
        TreeSet<String> genreNames = new TreeSet<>();
        ReadReport movies = readRecords(require(dir, "movies.dat"), colons, "items", lenient, new String[] {"movie id", "title", "genres"}, tok -> {
            String id = text(tok, 0, "movie id");
            String title = string(tok, 1, "title");
            String all = string(tok, 2, "genres");
            List<String> cats = new ArrayList<>();
            for (int from = 0; !all.isEmpty(); ) {
                int bar = all.indexOf('|', from);
                String g = all.substring(from, bar < 0 ? all.length() : bar).strip();
                if (g.isEmpty()) throw fieldError(tok, 2, "genres", "empty genre name in " + tok.snippet(2));
                cats.add(g);
                if (bar < 0) break;
                from = bar + 1;
            }
            checkNewItem(tok, catalog, id);
            catalog.put(id, title, cats);
            genreNames.addAll(cats);
        });
        reports.add(movies.withNote("distinct genres", genreNames.size()));

        // ratings: user::movie::rating::unix seconds
        Path ratingsFile = null;
        for (String name : RATINGS_1M_FILES) {
            if (Files.isRegularFile(dir.resolve(name))) {
                ratingsFile = dir.resolve(name);
                break;
            }
        }
        if (ratingsFile == null) throw new NoSuchFileException(dir.toString(), null, "MovieLens 1M folder has none of " + RATINGS_1M_FILES);
        EventTableBuilder events = new EventTableBuilder(new IdDictionary(), items, ratingTypes());
        DelimitedEventReader ratings = DelimitedEventReader.builder()
                .format(colons)
                .user(0).item(1).type(2).timestamp(3)
                .timestampFormat(TimestampFormat.UNIX_SECONDS)
                .closedTypes(true)
                .lenient(lenient).maxErrors(MAX_ERRORS)
                .build();
        reports.add(noteUncatalogued(ratings.read(ratingsFile, events), events, catalog));

        // users.dat: id::gender::age bucket::occupation code::zip
        UserAttributes attrs = new UserAttributes(events.users());
        reports.add(readUsers(require(dir, "users.dat"), colons, lenient, new String[] {"user id", "gender", "age", "occupation", "zip code"}, attrs,
                (tok, user) -> {
                    String gender = gender(tok, 1);
                    String age = text(tok, 2, "age");
                    if (!AGE_BUCKETS.contains(age)) throw fieldError(tok, 2, "age", "not an ML-1M age bucket " + AGE_BUCKETS + ": " + tok.snippet(2));
                    int occupation = integer(tok, 3, "occupation", 0, OCCUPATIONS_1M.size() - 1);
                    String zip = string(tok, 4, "zip code");
                    if (user < 0) return;
                    attrs.put(user, "gender", gender);
                    attrs.put(user, "age", age);
                    attrs.put(user, "occupation", Integer.toString(occupation));
                    attrs.put(user, "zip", zip);
                }));
        return new Dataset(events.build(scope), catalog, attrs, reports);
    }

    // --- shared helpers ---

    private static DelimitedFormat latin1(String separator) {
        return DelimitedFormat.of(separator).withoutQuoting().withCharset(StandardCharsets.ISO_8859_1);
    }

    private static IdDictionary ratingTypes() {
        IdDictionary t = EventTableBuilder.defaultTypes();
        for (int r = 1; r <= 5; r++) t.add(Integer.toString(r));
        return t;
    }

    private static Path require(Path dir, String name) throws NoSuchFileException {
        Path p = dir.resolve(name);
        if (!Files.isRegularFile(p)) throw new NoSuchFileException(p.toString(), null, "MovieLens file missing");
        return p;
    }

    private static ReadReport noteUncatalogued(ReadReport r, EventTableBuilder events, ItemCatalog catalog) {
        long missing = 0;
        for (int i = 0; i < events.items().size(); i++) if (!catalog.has(i)) missing++;
        return r.withNote("rated items missing from the catalogue", missing);
    }

    private static void checkNewItem(RecordTokenizer tok, ItemCatalog catalog, String id) throws MalformedInputException {
        int existing = catalog.items().indexOf(id);
        if (existing >= 0 && catalog.has(existing)) throw fieldError(tok, 0, "movie id", "movie " + id + " is listed twice");
    }

    @FunctionalInterface
    private interface RecordHandler {
        /** Validates the whole record first, then stores it; throws without storing anything when malformed. */
        void accept(RecordTokenizer tok) throws MalformedInputException;
    }

    @FunctionalInterface
    private interface UserHandler {
        /** As {@link RecordHandler}; {@code user} is the index in the events' user dictionary, or -1. */
        void accept(RecordTokenizer tok, int user) throws MalformedInputException;
    }

    /** Reads every record of a side file, each of exactly {@code fields.length} fields. */
    private static ReadReport readRecords(Path file, DelimitedFormat format, String unit, boolean lenient, String[] fields,
                                          RecordHandler handler) throws IOException {
        ReportCounter rc = new ReportCounter(file.toString(), unit, lenient, MAX_ERRORS);
        try (InputStream in = Inputs.open(file)) {
            RecordTokenizer tok = new RecordTokenizer(in, format, file.toString());
            while (tok.next()) {
                try {
                    if (tok.error() != null) {
                        int f = tok.errorField();
                        throw f >= 0 && f < fields.length ? fieldError(tok, f, fields[f], tok.error())
                                : new MalformedInputException(tok.source(), tok.line(), null, 0, null, tok.error());
                    }
                    if (tok.fieldCount() != fields.length) {
                        throw new MalformedInputException(tok.source(), tok.line(), null, 0, null, "expected " + fields.length
                                + " fields separated by " + DelimitedFormat.escape(format.separator()) + ", found " + tok.fieldCount());
                    }
                    handler.accept(tok);
                    rc.accepted++;
                } catch (MalformedInputException e) {
                    rc.malformed(e);
                }
            }
            return rc.finish(tok);
        }
    }

    /** Reads a user file whose first field is the user id; stores only users that have events. */
    private static ReadReport readUsers(Path file, DelimitedFormat format, boolean lenient, String[] fields, UserAttributes attrs,
                                        UserHandler handler) throws IOException {
        IdDictionary users = attrs.users();
        boolean[] seen = new boolean[users.size()];
        long[] withoutEvents = new long[1];
        ReadReport r = readRecords(file, format, "users", lenient, fields, tok -> {
            String id = text(tok, 0, fields[0]);
            int u = users.indexOf(id);
            if (u >= 0 && seen[u]) throw fieldError(tok, 0, fields[0], "user " + id + " is listed twice");
            handler.accept(tok, u);
            if (u >= 0) seen[u] = true;
            else withoutEvents[0]++;
        });
        long missing = 0;
        for (boolean s : seen) if (!s) missing++;
        // "accepted" counts users stored; users without events were valid lines but are not stored
        return new ReadReport(r.source(), r.unit(), r.lines(), r.headerLines(), r.blankLines(), r.commentLines(),
                r.accepted() - withoutEvents[0], r.skipped(), r.errors(), r.notes(), r.nanos())
                .withNote("users without events (not stored)", withoutEvents[0])
                .withNote("users with events but no attributes", missing);
    }

    private static MalformedInputException fieldError(RecordTokenizer tok, int f, String name, String reason) {
        return new MalformedInputException(tok.source(), tok.line(), name, f + 1, null, reason);
    }

    private static String string(RecordTokenizer tok, int f, String name) throws MalformedInputException {
        try {
            return tok.string(f);
        } catch (CharacterCodingException e) {
            throw fieldError(tok, f, name, "bytes not valid in " + tok.charsetName() + ": " + tok.snippet(f));
        }
    }

    /** A field that must not be empty. */
    private static String text(RecordTokenizer tok, int f, String name) throws MalformedInputException {
        if (tok.start(f) == tok.end(f)) throw fieldError(tok, f, name, "empty");
        return string(tok, f, name);
    }

    private static final ThreadLocal<FieldParser> PARSER = ThreadLocal.withInitial(FieldParser::new);

    private static int integer(RecordTokenizer tok, int f, String name, int lo, int hi) throws MalformedInputException {
        FieldParser p = PARSER.get();
        String err = p.parseInt(tok.buffer(), tok.start(f), tok.end(f), lo, hi);
        if (err != null) throw fieldError(tok, f, name, err + ": " + tok.snippet(f));
        return (int) p.longValue;
    }

    private static String gender(RecordTokenizer tok, int f) throws MalformedInputException {
        String g = text(tok, f, "gender");
        if (!g.equals("M") && !g.equals("F")) throw fieldError(tok, f, "gender", "expected M or F: " + tok.snippet(f));
        return g;
    }
}
