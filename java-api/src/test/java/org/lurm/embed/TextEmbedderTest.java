package org.lurm.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lurm.backend.Backend;
import org.lurm.events.EventTable;
import org.lurm.events.IdDictionary;
import org.lurm.events.ItemCatalog;
import org.lurm.linalg.CsrMatrix;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

class TextEmbedderTest {
    private static final String[] WORDS = {"star", "night", "love", "war", "city", "river", "ghost", "dream", "king", "blue",
            "story", "road", "house", "game", "heart", "storm", "last", "secret", "summer", "iron"};
    private static final String[] CATS = {"Drama", "Comedy", "Sci-Fi", "Horror", "Western", "Musical"};

    /** The hashed TF-IDF rows have the cosines of a brute-force TF-IDF on the token strings (no hashing). */
    @Test
    void tfidfMatchesBruteForceCosines() {
        long seed = TestData.seed("TextEmbedderTest.tfidfMatchesBruteForceCosines");
        Random rnd = new Random(seed);
        ItemCatalog cat = new ItemCatalog(new IdDictionary());
        int n = 40;
        for (int i = 0; i < n; i++) cat.put("m" + i, randomTitle(rnd), randomCats(rnd));
        cat.put("empty", "", List.of());
        cat.put("punct", "a ! ?", List.of()); // only a one-letter token: dropped by minTokenLength 2
        cat.items().add("no-entry");
        int total = cat.items().size();
        try (MemoryScope scope = MemoryScope.root("test"); Backend be = EmbedTestSupport.backend(2)) {
            TextEmbedder.Options o = TextEmbedder.Options.defaults().withHashBits(30).withSeed(seed); // collisions ~ impossible
            CsrMatrix x = TextEmbedder.tfidf(cat, total, o, be, scope);
            // Brute force on strings: lower-cased alphanumeric runs of >= 2 chars, categories whole; 1 + ln tf; smooth idf.
            List<Map<String, Integer>> tf = new ArrayList<>();
            Map<String, Integer> df = new HashMap<>();
            int docs = 0;
            for (int i = 0; i < total; i++) {
                Map<String, Integer> m = new HashMap<>();
                if (cat.has(i)) {
                    for (String w : cat.title(i).toLowerCase(Locale.ROOT).split("[^a-z0-9]+")) if (w.length() >= 2) m.merge("w:" + w, 1, Integer::sum);
                    for (String c : cat.categories(i)) m.merge("c:" + c.toLowerCase(Locale.ROOT), 1, Integer::sum);
                }
                tf.add(m);
                if (!m.isEmpty()) docs++;
                for (String t : m.keySet()) df.merge(t, 1, Integer::sum);
            }
            List<Map<String, Double>> vec = new ArrayList<>();
            for (Map<String, Integer> m : tf) {
                Map<String, Double> v = new HashMap<>();
                double ss = 0;
                for (Map.Entry<String, Integer> en : m.entrySet()) {
                    double w = (1 + Math.log(en.getValue())) * (Math.log((1.0 + docs) / (1.0 + df.get(en.getKey()))) + 1);
                    v.put(en.getKey(), w);
                    ss += w * w;
                }
                for (Map.Entry<String, Double> en : v.entrySet()) en.setValue(en.getValue() / Math.sqrt(ss));
                vec.add(v);
            }
            assertEquals(df.size(), x.cols(), "one column per distinct token");
            for (int i = 0; i < total; i++) {
                assertEquals(tf.get(i).size(), x.rowPtr().get(i + 1) - x.rowPtr().get(i), "non-zeros of item " + i);
                for (int j = i; j < total; j++) {
                    double expected = 0;
                    for (Map.Entry<String, Double> en : vec.get(i).entrySet()) expected += en.getValue() * vec.get(j).getOrDefault(en.getKey(), 0.0);
                    assertEquals(expected, rowDot(x, i, j), 1e-6, "TF-IDF cosine of items " + i + ", " + j);
                }
            }
        }
    }

    private static double rowDot(CsrMatrix x, int a, int b) {
        double s = 0;
        for (long p = x.rowPtr().get(a); p < x.rowPtr().get(a + 1); p++) s += x.values().get(p) * x.get(b, x.colIndex().get(p));
        return s;
    }

    /** Identical texts embed identically, shared categories embed closer, items without text are absent. */
    @Test
    void identicalTextsEqualAndSharedCategoriesCloser() {
        long seed = TestData.seed("TextEmbedderTest.identicalTextsEqualAndSharedCategoriesCloser");
        Random rnd = new Random(seed);
        ItemCatalog cat = new ItemCatalog(new IdDictionary());
        int n = 300;
        List<List<String>> cats = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<String> c = List.of(CATS[rnd.nextInt(CATS.length)]);
            cats.add(c);
            cat.put("m" + i, randomTitle(rnd), c);
        }
        int twinA = cat.put("twin-a", "The Blue River Story", List.of("Drama", "Western"));
        int twinB = cat.put("twin-b", "The Blue River Story", List.of("Drama", "Western"));
        int empty = cat.put("empty", "", List.of());
        int noEntry = cat.items().add("no-entry");
        try (MemoryScope scope = MemoryScope.root("test"); Backend be = EmbedTestSupport.bestCpu(2)) {
            ItemEmbeddings e = new TextEmbedder(TextEmbedder.Options.defaults().withDim(16).withSeed(seed)).embed(EmbeddingInput.of(cat), be, scope);
            CooccurrenceEmbedderTest.assertUnitOrZero(e);
            assertFalse(e.isPresent(empty));
            assertFalse(e.isPresent(noEntry));
            assertEquals(n + 2, e.presentCount());
            assertEquals(2, e.counter("itemsWithoutText"));
            float[] a = e.vector(twinA), b = e.vector(twinB);
            for (int k = 0; k < a.length; k++) assertEquals(a[k], b[k], 1e-5f, "identical texts, component " + k);
            double same = 0, diff = 0;
            int ns = 0, nd = 0;
            for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) {
                if (cats.get(i).equals(cats.get(j))) {
                    same += e.dot(i, j);
                    ns++;
                } else {
                    diff += e.dot(i, j);
                    nd++;
                }
            }
            same /= ns;
            diff /= nd;
            System.out.printf("text: mean cosine same category %.3f, different %.3f%n", same, diff);
            assertTrue(same > diff + 0.2, "same category " + same + " vs different " + diff);
        }
    }

    /** Cold start: items no event mentions still get a text embedding; deterministic under the seed. */
    @Test
    void servesItemsWithoutBehaviourAndIsDeterministic() {
        long seed = TestData.seed("TextEmbedderTest.servesItemsWithoutBehaviourAndIsDeterministic");
        Random rnd = new Random(seed);
        org.lurm.events.EventTableBuilder b = new org.lurm.events.EventTableBuilder();
        ItemCatalog cat = new ItemCatalog(b.items());
        for (int i = 0; i < 50; i++) cat.put("m" + i, randomTitle(rnd), randomCats(rnd));
        for (int e = 0; e < 100; e++) b.add("u" + rnd.nextInt(10), "m" + rnd.nextInt(25), 0, 1f); // only half the items seen
        try (MemoryScope scope = MemoryScope.root("test"); Backend one = EmbedTestSupport.bestCpu(1); Backend two = EmbedTestSupport.bestCpu(2)) {
            EventTable ev = b.build(scope);
            TextEmbedder t = new TextEmbedder(TextEmbedder.Options.defaults().withDim(12).withSeed(seed));
            ItemEmbeddings e1 = t.embed(EmbeddingInput.of(ev, cat), one, scope);
            ItemEmbeddings e2 = t.embed(EmbeddingInput.of(ev, cat), two, scope);
            for (int i = 25; i < 50; i++) assertTrue(e1.isPresent(cat.items().indexOf("m" + i)), "unseen item m" + i);
            assertArrayEquals(e1.vectors().toArray(), e2.vectors().toArray());
        }
        assertThrows(IllegalArgumentException.class, () -> TextEmbedder.Options.defaults().withHashBits(31));
    }

    /** Real data: MovieLens titles and genres; movies sharing a genre are closer than movies sharing none. */
    @Test
    void movieLensGenresCloser() throws Exception {
        Path dir = TestData.dataset("movielens-100k");
        EmbedTestSupport.MovieLens ml = EmbedTestSupport.movieLens100k(dir);
        try (MemoryScope scope = MemoryScope.root("test"); Backend be = EmbedTestSupport.bestCpu(2)) {
            ItemEmbeddings e = new TextEmbedder().embed(EmbeddingInput.of(ml.catalog()), be, scope);
            int n = e.numItems();
            assertEquals(n, e.presentCount());
            double shared = 0, none = 0;
            long ns = 0, nn = 0;
            int[] mask = ml.genreMask();
            for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) {
                double d = e.dot(i, j);
                if ((mask[i] & mask[j]) == 0) {
                    none += d;
                    nn++;
                } else {
                    shared += d;
                    ns++;
                }
            }
            shared /= ns;
            none /= nn;
            System.out.printf("movielens-100k text: mean cosine sharing a genre %.4f, none %.4f%n", shared, none);
            assertTrue(shared > none + 0.1, "sharing " + shared + " vs none " + none);
        }
    }

    private static String randomTitle(Random rnd) {
        StringBuilder sb = new StringBuilder();
        int words = 1 + rnd.nextInt(4);
        for (int w = 0; w < words; w++) {
            String word = WORDS[rnd.nextInt(WORDS.length)];
            if (rnd.nextBoolean()) word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
            sb.append(w == 0 ? "" : rnd.nextBoolean() ? " " : ", ").append(word);
        }
        if (rnd.nextInt(3) == 0) sb.append(" (").append(1950 + rnd.nextInt(70)).append(')');
        return sb.toString();
    }

    private static List<String> randomCats(Random rnd) {
        List<String> c = new ArrayList<>();
        for (String s : CATS) if (rnd.nextInt(4) == 0) c.add(s);
        return c;
    }
}
