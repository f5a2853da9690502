package org.lurm.events.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.events.EventTable;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

/**
 * The MovieLens readers on the real files: every statistic in the datasets' PROVENANCE.md is reproduced, and
 * every event is compared with a naive String.split reading of the same file. Malformed MovieLens files are
 * made up in a temporary folder (never from the real data).
 */
class MovieLensTest {

    /** Per-type event counts, keyed by the type id. */
    private static Map<String, Integer> typeCounts(EventTable t) {
        Map<String, Integer> m = new TreeMap<>();
        for (long i = 0; i < t.size(); i++) m.merge(t.types().id(t.type(i)), 1, Integer::sum);
        return m;
    }

    /** {min, median (middle of the sorted counts), max} of events per user. */
    private static int[] perUser(EventTable t) {
        int[] n = new int[t.numUsers()];
        for (long i = 0; i < t.size(); i++) n[t.user(i)]++;
        Arrays.sort(n);
        return new int[] {n[0], n[n.length / 2], n[n.length - 1]};
    }

    private static int distinctItems(EventTable t) {
        boolean[] seen = new boolean[t.numItems()];
        int d = 0;
        for (long i = 0; i < t.size(); i++) {
            if (!seen[t.item(i)]) {
                seen[t.item(i)] = true;
                d++;
            }
        }
        return d;
    }

    private static Map<String, Integer> map(Object... kv) {
        Map<String, Integer> m = new TreeMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], (Integer) kv[i + 1]);
        return m;
    }

    /** Every event equals the corresponding line read naively (same order: events keep file order). */
    private static void assertSameAsNaive(EventTable t, List<String> lines, String sep) {
        assertEquals(lines.size(), t.size());
        for (int i = 0; i < lines.size(); i++) {
            String[] f = lines.get(i).split(sep, -1);
            assertEquals(4, f.length, lines.get(i));
            assertEquals(f[0], t.users().id(t.user(i)), "user of event " + i);
            assertEquals(f[1], t.items().id(t.item(i)), "item of event " + i);
            assertEquals(f[2], t.types().id(t.type(i)), "rating of event " + i);
            assertEquals(Integer.parseInt(f[2]), t.type(i), "type index is the rating");
            assertEquals(Long.parseLong(f[3]), t.timestamp(i), "timestamp of event " + i);
            assertEquals(1f, t.weight(i));
        }
    }

    @Test
    void movieLens100kMatchesProvenance() throws IOException {
        Path dir = TestData.dataset("movielens-100k");
        try (MemoryScope scope = MemoryScope.root("ml100k")) {
            MovieLens.Dataset ds = MovieLens.read100k(dir, scope);
            System.out.println(ds);
            EventTable t = ds.events();
            assertEquals(100_000, t.size());
            assertEquals(943, t.numUsers());
            assertEquals(1682, t.numItems());
            assertEquals(1682, distinctItems(t));
            assertEquals(1682, ds.catalog().entries());
            assertEquals(map("1", 6110, "2", 11370, "3", 27145, "4", 34174, "5", 21201), typeCounts(t));
            long[] range = t.timeRange();
            assertEquals(Instant.parse("1997-09-20T03:05:10Z").getEpochSecond(), range[0]);
            assertEquals(Instant.parse("1998-04-22T23:10:38Z").getEpochSecond(), range[1]);
            assertEquals(List.of(20, 65, 737), Arrays.stream(perUser(t)).boxed().toList());

            var a = ds.attributes();
            assertEquals(map("M", 670, "F", 273), new TreeMap<>(a.counts("gender")));
            assertEquals(map("1", 36, "18", 198, "25", 310, "35", 194, "45", 80, "50", 73, "56", 52), new TreeMap<>(a.counts("age")));
            assertEquals(map("student", 196, "other", 105, "educator", 95, "administrator", 79, "engineer", 67, "programmer", 66,
                    "librarian", 51, "writer", 45, "executive", 32, "scientist", 31, "artist", 28, "technician", 27, "marketing", 26,
                    "entertainment", 18, "healthcare", 16, "retired", 14, "lawyer", 12, "salesman", 12, "none", 9, "homemaker", 7,
                    "doctor", 7), new TreeMap<>(a.counts("occupation")));
            int[] years = a.counts("age_years").keySet().stream().mapToInt(Integer::parseInt).sorted().toArray();
            assertEquals(7, years[0]);
            assertEquals(73, years[years.length - 1]);
            for (int u = 0; u < t.numUsers(); u++) {
                assertEquals(MovieLens.ageBucket(Integer.parseInt(a.get(u, "age_years"))), a.get(u, "age"));
            }

            // genres: 19 names, and the PROVENANCE counts of the largest ones
            Map<String, Integer> genre = new HashMap<>();
            for (int i = 0; i < t.numItems(); i++) for (String g : ds.catalog().categories(i)) genre.merge(g, 1, Integer::sum);
            assertEquals(725, genre.get("Drama"));
            assertEquals(505, genre.get("Comedy"));
            assertEquals(251, genre.get("Action"));
            assertEquals(251, genre.get("Thriller"));
            assertEquals(247, genre.get("Romance"));
            assertEquals(19, ds.catalog().allCategories().size());
            int toyStory = t.items().indexOf("1");
            assertEquals("Toy Story (1995)", ds.catalog().title(toyStory));
            assertEquals(List.of("Animation", "Children's", "Comedy"), ds.catalog().categories(toyStory));
            assertEquals("Misérables, Les (1995)", ds.catalog().title(t.items().indexOf("543")), "Latin-1 title");

            // reports: everything accounted for
            ReadReport genres = ds.reports().get(0);
            assertEquals(20, genres.lines());
            assertEquals(19, genres.accepted());
            assertEquals(1, genres.blankLines());
            assertEquals(1682, ds.itemsReport().accepted());
            assertEquals(100_000, ds.ratingsReport().events());
            assertEquals(100_000, ds.ratingsReport().lines());
            assertEquals(0, ds.ratingsReport().skipped());
            assertEquals(0, ds.ratingsReport().note("rated items missing from the catalogue"));
            assertEquals(943, ds.usersReport().accepted());
            assertEquals(0, ds.usersReport().note("users without events (not stored)"));

            assertSameAsNaive(t, Files.readAllLines(dir.resolve("u.data"), StandardCharsets.ISO_8859_1), "\t");
        }
    }

    @Test
    void movieLens1mSubsetMatchesProvenance() throws IOException {
        Path dir = TestData.dataset("movielens-1m-subset");
        try (MemoryScope scope = MemoryScope.root("ml1m")) {
            MovieLens.Dataset ds = MovieLens.read1m(dir, scope);
            System.out.println(ds);
            EventTable t = ds.events();
            assertEquals(415_183, t.size());
            assertEquals(2499, t.numUsers());
            Set<String> ids = new HashSet<>(t.users().ids());
            for (int u = 1; u <= 2499; u++) assertTrue(ids.contains(Integer.toString(u)), "user " + u);
            assertEquals(3604, distinctItems(t));
            assertEquals(3883, t.numItems(), "every catalogue movie is an item, rated or not");
            assertEquals(3883, ds.catalog().entries());
            assertEquals(18, ds.itemsReport().note("distinct genres"));
            assertEquals(18, ds.catalog().allCategories().size());
            long[] range = t.timeRange();
            assertEquals(LocalDate.of(2000, 11, 13), LocalDate.ofInstant(Instant.ofEpochSecond(range[0]), ZoneOffset.UTC));
            assertEquals(LocalDate.of(2003, 2, 27), LocalDate.ofInstant(Instant.ofEpochSecond(range[1]), ZoneOffset.UTC));
            assertEquals(List.of(20, 90, 1850), Arrays.stream(perUser(t)).boxed().toList());

            var a = ds.attributes();
            assertEquals(map("M", 1809, "F", 690), new TreeMap<>(a.counts("gender")));
            assertEquals(map("1", 127, "18", 494, "25", 768, "35", 467, "45", 232, "50", 230, "56", 181), new TreeMap<>(a.counts("age")));
            int[] occ = {304, 208, 121, 81, 302, 43, 92, 243, 10, 39, 121, 60, 165, 68, 107, 40, 105, 192, 25, 45, 128};
            Map<String, Integer> occExpected = new TreeMap<>();
            for (int c = 0; c < occ.length; c++) occExpected.put(Integer.toString(c), occ[c]);
            assertEquals(occExpected, new TreeMap<>(a.counts("occupation")));
            assertFalse(a.columnNames().contains("age_years"));

            assertEquals(2499, ds.usersReport().accepted());
            assertEquals(6040 - 2499, ds.usersReport().note("users without events (not stored)"));
            assertEquals(0, ds.usersReport().note("users with events but no attributes"));
            assertEquals(3883, ds.itemsReport().accepted());
            assertEquals(0, ds.ratingsReport().skipped());
            assertTrue(ds.ratingsReport().source().endsWith("ratings_users1-2499.dat.gz"));
            assertEquals("Toy Story (1995)", ds.catalog().title(t.items().indexOf("1")));

            // cold-start items: in the catalogue, never rated
            boolean[] rated = new boolean[t.numItems()];
            for (long i = 0; i < t.size(); i++) rated[t.item(i)] = true;
            int cold = 0;
            for (int i = 0; i < t.numItems(); i++) {
                if (!rated[i]) {
                    cold++;
                    assertTrue(ds.catalog().has(i));
                }
            }
            assertEquals(3883 - 3604, cold);

            List<String> lines = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(
                    new GZIPInputStream(Files.newInputStream(dir.resolve("ratings_users1-2499.dat.gz"))), StandardCharsets.ISO_8859_1))) {
                for (String l; (l = r.readLine()) != null; ) lines.add(l);
            }
            assertSameAsNaive(t, lines, "::");
        }
    }

    // --- made-up MovieLens folders with one defect each ---

    private static final String GENRES = "unknown|0\nAction|1\nComedy|2\n\n";
    private static final String ITEMS = "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|1\n2|GoldenEye (1995)|01-Jan-1995||http://y|0|1|0\n"
            + "3|Never Rated (1996)|01-Jan-1996||http://z|1|0|0\n";
    private static final String DATA = "10\t1\t5\t881250949\n11\t2\t3\t881250950\n10\t2\t4\t881250951\n";
    private static final String USERS = "10|24|M|technician|85711\n11|53|F|other|94043\n12|30|F|writer|12345\n";

    private static Path ml100k(Path dir, String genres, String items, String data, String users) throws IOException {
        Files.writeString(dir.resolve("u.genre"), genres, StandardCharsets.ISO_8859_1);
        Files.writeString(dir.resolve("u.item"), items, StandardCharsets.ISO_8859_1);
        Files.writeString(dir.resolve("u.data"), data, StandardCharsets.ISO_8859_1);
        Files.writeString(dir.resolve("u.user"), users, StandardCharsets.ISO_8859_1);
        return dir;
    }

    @Test
    void small100kFolderReadsColdStartItemsAndSkipsUsersWithoutEvents(@TempDir Path dir) throws IOException {
        try (MemoryScope scope = MemoryScope.root("small")) {
            MovieLens.Dataset ds = MovieLens.read100k(ml100k(dir, GENRES, ITEMS, DATA, USERS), scope);
            EventTable t = ds.events();
            assertEquals(3, t.size());
            assertEquals(List.of("10", "11"), t.users().ids());
            assertEquals(List.of("1", "2", "3"), t.items().ids());
            assertEquals(List.of("unknown"), ds.catalog().categories(2));
            assertEquals(1, ds.usersReport().note("users without events (not stored)"));
            assertEquals(2, ds.usersReport().accepted());
            assertEquals(-1, t.users().indexOf("12"), "a user without events is not added");
            assertEquals("F", ds.attributes().get(1, "gender"));
            assertEquals("50", ds.attributes().get(1, "age"));
            assertEquals("53", ds.attributes().get(1, "age_years"));
        }
    }

    private static MalformedInputException malformed100k(Path dir, String genres, String items, String data, String users) throws IOException {
        ml100k(dir, genres, items, data, users);
        try (MemoryScope scope = MemoryScope.root("bad")) {
            return assertThrows(MalformedInputException.class, () -> MovieLens.read100k(dir, scope));
        }
    }

    @Test
    void malformed100kFilesNameFileLineAndField(@TempDir Path dir) throws IOException {
        MalformedInputException e = malformed100k(dir, GENRES, ITEMS, DATA.replace("11\t2\t3", "11\t2\t7"), USERS);
        assertEquals(dir.resolve("u.data") + ":2: field 'type' (column 3): unknown behaviour type \"7\"; allowed: [, 1, 2, 3, 4, 5]", e.getMessage());

        e = malformed100k(dir, GENRES, ITEMS.replace("|0|1|0\n", "|0|x|0\n"), DATA, USERS);
        assertEquals(dir.resolve("u.item") + ":2: field 'genre Action' (column 7): not an integer: \"x\"", e.getMessage());

        e = malformed100k(dir, GENRES, ITEMS.replace("|0|1|0\n", "|0|2|0\n"), DATA, USERS);
        assertEquals("out of range [0, 1]: \"2\"", e.reason());

        e = malformed100k(dir, GENRES, ITEMS.replace("|0|1|0\n", "|0|1\n"), DATA, USERS);
        assertEquals(dir.resolve("u.item") + ":2: expected 8 fields separated by \"|\", found 7", e.getMessage());

        e = malformed100k(dir, GENRES, ITEMS + "1|Again|||u|0|0|0\n", DATA, USERS);
        assertEquals(4, e.line());
        assertEquals("movie 1 is listed twice", e.reason());

        e = malformed100k(dir, GENRES, ITEMS, DATA, USERS.replace("11|53|F", "11|fifty|F"));
        assertEquals(dir.resolve("u.user") + ":2: field 'age' (column 2): not an integer: \"fifty\"", e.getMessage());

        e = malformed100k(dir, GENRES, ITEMS, DATA, USERS.replace("11|53|F", "11|53|X"));
        assertEquals("gender", e.field());
        assertEquals(3, e.column());

        e = malformed100k(dir, GENRES, ITEMS, DATA.replace("881250950", "88125O950"), USERS);
        assertEquals(dir.resolve("u.data") + ":2: field 'timestamp' (column 4): not an integer: \"88125O950\"", e.getMessage());

        e = malformed100k(dir, "unknown|0\nAction|2\n", ITEMS, DATA, USERS);
        assertEquals(dir.resolve("u.genre") + ":2: field 'index' (column 2): expected genre index 1 (indices must count up from 0)", e.getMessage());
    }

    @Test
    void lenient100kSkipsAndCounts(@TempDir Path dir) throws IOException {
        ml100k(dir, GENRES, ITEMS, DATA + "12\t3\t9\t881250952\n13\t3\t1\tsoon\n14\t3\t2\n", USERS + "13|x|M|none|1\n");
        try (MemoryScope scope = MemoryScope.root("lenient")) {
            MovieLens.Dataset ds = MovieLens.read100k(dir, scope, true);
            assertEquals(3, ds.events().size());
            assertEquals(3, ds.ratingsReport().skipped());
            assertEquals(3, ds.ratingsReport().errors().size());
            assertEquals(1, ds.usersReport().skipped());
            assertEquals(List.of("10", "11"), ds.events().users().ids(), "skipped lines leave no user behind");
            assertTrue(ds.toString().contains("3 malformed skipped"), ds.toString());
        }
    }

    @Test
    void ratingsFile1mPreference(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("movies.dat"), "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Heat (1995)::Action|Crime|Thriller\n");
        Files.writeString(dir.resolve("users.dat"), "1::F::1::10::48067\n2::M::56::16::70072\n");
        Files.writeString(dir.resolve("ratings_users1-2499.dat.gz"), "1::1::5::978300760\n"); // plain text despite the name
        Files.writeString(dir.resolve("ratings.dat"), "1::1::5::978300760\n2::2::3::978300761\n");
        try (MemoryScope scope = MemoryScope.root("pref")) {
            MovieLens.Dataset ds = MovieLens.read1m(dir, scope);
            assertEquals(2, ds.events().size(), "ratings.dat wins over the subset");
            assertEquals("56", ds.attributes().get(1, "age"));
            assertEquals("16", ds.attributes().get(1, "occupation"));
        }
        Files.delete(dir.resolve("ratings.dat"));
        try (MemoryScope scope = MemoryScope.root("pref2")) {
            MovieLens.Dataset ds = MovieLens.read1m(dir, scope);
            assertEquals(1, ds.events().size());
            assertEquals(1, ds.usersReport().note("users without events (not stored)"));
        }
        Files.writeString(dir.resolve("users.dat"), "1::F::1::10::48067\n2::M::57::16::70072\n");
        try (MemoryScope scope = MemoryScope.root("pref3")) {
            MalformedInputException e = assertThrows(MalformedInputException.class, () -> MovieLens.read1m(dir, scope));
            assertEquals(dir.resolve("users.dat") + ":2: field 'age' (column 3): not an ML-1M age bucket [1, 18, 25, 35, 45, 50, 56]: \"57\"", e.getMessage());
        }
        Files.delete(dir.resolve("ratings_users1-2499.dat.gz"));
        try (MemoryScope scope = MemoryScope.root("pref4")) {
            IOException e = assertThrows(IOException.class, () -> MovieLens.read1m(dir, scope));
            assertTrue(e.getMessage().contains("ratings.dat"), e.getMessage());
        }
    }
}
