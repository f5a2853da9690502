package org.lurm.embed;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.lurm.backend.Backend;
import org.lurm.backend.cpu.Parallel;
import org.lurm.events.ItemCatalog;
import org.lurm.linalg.CsrMatrix;
import org.lurm.linalg.CsrOperator;
import org.lurm.linalg.RandomizedSvd;
import org.lurm.linalg.SvdResult;
import org.lurm.linalg.Workers;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.memory.MemoryScope;

/**
 * Text item embedder (MODEL.md, "Item embedding module", text): hashed TF-IDF of each item's catalogue text,
 * reduced by randomized SVD. It needs no behaviour, so it serves items never seen in events (cold start).
 *
 * <ol>
 *   <li><b>Tokens.</b> The title is lower-cased (root locale) and split into maximal runs of letters and digits;
 *       runs shorter than {@code minTokenLength} are dropped. Each category is one token of its own, whole and
 *       lower-cased, in a separate namespace ("Sci-Fi" as a category never equals the title word "sci").</li>
 *   <li><b>Hashing.</b> A token's 64-bit hash picks one of 2^{@code hashBits} buckets and a sign (signed feature
 *       hashing: colliding tokens cancel on average instead of adding up). No vocabulary is kept.</li>
 *   <li><b>TF-IDF.</b> tf = signed count per bucket, 1 + ln|count| when {@code sublinearTf} (default); idf =
 *       ln((1 + N) / (1 + df)) + 1 over the N items with text (the same form as the BoI weighting); each item's
 *       vector is L2-normalised. Only buckets that occur become matrix columns, so the SVD's work does not grow
 *       with 2^hashBits.</li>
 *   <li><b>Reduction.</b> Randomized SVD of the items x buckets CSR matrix; embedding U·S^p
 *       ({@code singularValuePower}, default 1: U·S is the projection of each TF-IDF vector on the top singular
 *       directions, as in latent semantic analysis), rows L2-normalised.</li>
 * </ol>
 *
 * Items without a catalogue entry or without tokens get a zero row and are absent; they are counted
 * ({@code itemsWithoutText}).
 *
 * <p><b>Ownership.</b> The result is allocated in the scope given to {@link #embed}; the TF-IDF matrix and the
 * SVD factors live in a child scope closed before it returns. Thread-safety: immutable; may run concurrently.
 */
public final class TextEmbedder implements ItemEmbedder {
    /** Namespace prefix of category tokens: a title token never contains ':' (only letters and digits). */
    private static final String CATEGORY_PREFIX = "category:";

    /**
     * @param dim                embedding width e (default 64)
     * @param hashBits           log2 of the number of hash buckets (default 20)
     * @param minTokenLength     shortest title token kept (default 2)
     * @param sublinearTf        1 + ln(tf) instead of raw tf (default true)
     * @param singularValuePower p in U·S^p (default 1)
     * @param oversampling       randomized SVD oversampling (default 10)
     * @param powerIterations    randomized SVD power iterations (default 2)
     * @param seed               seeds the token hash and the SVD
     */
    public record Options(int dim, int hashBits, int minTokenLength, boolean sublinearTf, double singularValuePower,
                          int oversampling, int powerIterations, long seed) {
        public static final int DEFAULT_DIM = 64;
        public static final int DEFAULT_HASH_BITS = 20;
        public static final int DEFAULT_MIN_TOKEN_LENGTH = 2;
        public static final double DEFAULT_SINGULAR_VALUE_POWER = 1.0;

        public Options {
            if (dim < 1) throw new IllegalArgumentException("embedding width must be >= 1, got " + dim);
            if (hashBits < 1 || hashBits > 30) throw new IllegalArgumentException("hashBits must be in [1, 30], got " + hashBits);
            if (minTokenLength < 1) throw new IllegalArgumentException("minTokenLength must be >= 1, got " + minTokenLength);
            if (!(singularValuePower >= 0 && singularValuePower <= 1)) throw new IllegalArgumentException("singularValuePower must be in [0, 1], got " + singularValuePower);
            new RandomizedSvd.Options(oversampling, powerIterations, seed, RandomizedSvd.Options.DEFAULT_RANK_TOLERANCE, true, false);
        }

        public static Options defaults() {
            return new Options(DEFAULT_DIM, DEFAULT_HASH_BITS, DEFAULT_MIN_TOKEN_LENGTH, true, DEFAULT_SINGULAR_VALUE_POWER,
                    RandomizedSvd.Options.DEFAULT_OVERSAMPLING, RandomizedSvd.Options.DEFAULT_POWER_ITERATIONS, RandomizedSvd.Options.DEFAULT_SEED);
        }

        public Options withDim(int d) {
            return new Options(d, hashBits, minTokenLength, sublinearTf, singularValuePower, oversampling, powerIterations, seed);
        }

        public Options withHashBits(int b) {
            return new Options(dim, b, minTokenLength, sublinearTf, singularValuePower, oversampling, powerIterations, seed);
        }

        public Options withMinTokenLength(int len) {
            return new Options(dim, hashBits, len, sublinearTf, singularValuePower, oversampling, powerIterations, seed);
        }

        public Options withSublinearTf(boolean b) {
            return new Options(dim, hashBits, minTokenLength, b, singularValuePower, oversampling, powerIterations, seed);
        }

        public Options withSingularValuePower(double p) {
            return new Options(dim, hashBits, minTokenLength, sublinearTf, p, oversampling, powerIterations, seed);
        }

        public Options withSeed(long s) {
            return new Options(dim, hashBits, minTokenLength, sublinearTf, singularValuePower, oversampling, powerIterations, s);
        }

        RandomizedSvd.Options svdOptions() {
            return RandomizedSvd.Options.defaults().withOversampling(oversampling).withPowerIterations(powerIterations).withSeed(seed).withComputeV(false);
        }
    }

    private final Options options;

    public TextEmbedder() {
        this(Options.defaults());
    }

    public TextEmbedder(Options options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    public Options options() {
        return options;
    }

    @Override
    public String name() {
        return "text";
    }

    @Override
    public int dimension() {
        return options.dim();
    }

    @Override
    public ItemEmbeddings embed(EmbeddingInput input, Backend backend, MemoryScope scope) {
        ItemCatalog catalog = input.requireCatalog(name());
        int n = input.numItems();
        int dim = options.dim();
        F32Array out = scope.allocateF32((long) n * dim);
        Map<String, Long> counters = new LinkedHashMap<>();
        try (MemoryScope tmp = scope.child("text"); Workers workers = Workers.of(backend)) {
            Parallel par = workers.parallel();
            CsrMatrix tfidf = tfidf(catalog, n, options, par, tmp, counters);
            if (tfidf.nnz() > 0) {
                SvdResult svd = new RandomizedSvd(backend, options.svdOptions()).compute(CsrOperator.withTranspose(backend, tfidf, tmp), dim, tmp);
                counters.put("svdRank", (long) svd.rank());
                CooccurrenceEmbedder.foldSingularValues(svd, n, dim, options.singularValuePower(), out, par);
            } else {
                counters.put("svdRank", 0L);
            }
        }
        return ItemEmbeddings.normalizeInPlace(out, n, dim, name(), counters);
    }

    /**
     * The L2-normalised hashed TF-IDF matrix (numItems x used buckets, see the class comment) in {@code scope}.
     * Column j is the j-th used bucket in bucket order.
     */
    public static CsrMatrix tfidf(ItemCatalog catalog, int numItems, Options options, Backend backend, MemoryScope scope) {
        try (Workers w = Workers.of(backend)) {
            return tfidf(catalog, numItems, options, w.parallel(), scope, new LinkedHashMap<>());
        }
    }

    static CsrMatrix tfidf(ItemCatalog catalog, int n, Options o, Parallel par, MemoryScope scope, Map<String, Long> counters) {
        // Per item: (bucket << 1 | signBit) sorted, then merged into signed counts per bucket.
        int[][] buckets = new int[n][];
        float[][] tf = new float[n][];
        long[] tokensPerChunk = new long[Math.max(1, par.threads() * 4)];
        par.forRange(n, par.threads() * 4, 64, (chunk, lo, hi) -> {
            long[] keys = new long[64];
            for (int i = (int) lo; i < hi; i++) {
                int t = 0;
                if (catalog.has(i)) {
                    List<String> tokens = tokens(catalog.title(i), catalog.categories(i), o.minTokenLength());
                    if (keys.length < tokens.size()) keys = new long[tokens.size() * 2];
                    for (String tok : tokens) {
                        long h = hash(tok, o.seed());
                        int bucket = (int) (h >>> (64 - o.hashBits()));
                        keys[t++] = ((long) bucket << 1) | (h & 1);
                    }
                }
                tokensPerChunk[chunk] += t;
                Arrays.sort(keys, 0, t);
                int[] b = new int[t];
                float[] v = new float[t];
                int m = 0;
                for (int p = 0; p < t; ) {
                    int bucket = (int) (keys[p] >>> 1);
                    int count = 0;
                    for (; p < t && (int) (keys[p] >>> 1) == bucket; p++) count += (keys[p] & 1) == 0 ? 1 : -1;
                    if (count == 0) continue; // colliding tokens of opposite sign cancelled out
                    b[m] = bucket;
                    double mag = o.sublinearTf() ? 1 + Math.log(Math.abs(count)) : Math.abs(count);
                    v[m] = (float) (count > 0 ? mag : -mag);
                    m++;
                }
                buckets[i] = Arrays.copyOf(b, m);
                tf[i] = Arrays.copyOf(v, m);
            }
        });
        // Used buckets and document frequencies from one sort of all (item, bucket) entries: memory follows the
        // number of entries, never 2^hashBits. Buckets within an item are distinct, so a run's length is its df.
        long docs = 0, nnz = 0;
        for (int i = 0; i < n; i++) {
            if (buckets[i].length > 0) docs++;
            nnz += buckets[i].length;
        }
        if (nnz > Integer.MAX_VALUE - 8) throw new IllegalStateException(nnz + " item-token entries is more than one TF-IDF matrix holds");
        int[] all = new int[(int) nnz];
        int fill = 0;
        for (int[] b : buckets) {
            System.arraycopy(b, 0, all, fill, b.length);
            fill += b.length;
        }
        Arrays.sort(all);
        int used = 0;
        for (int p = 0; p < all.length; p++) if (p == 0 || all[p] != all[p - 1]) used++;
        int[] usedBucket = new int[used];
        double[] idf = new double[used];
        for (int p = 0, c = -1; p < all.length; ) {
            int q = p;
            while (q < all.length && all[q] == all[p]) q++;
            usedBucket[++c] = all[p];
            idf[c] = Math.log((1.0 + docs) / (1.0 + (q - p))) + 1;
            p = q;
        }
        all = null; // let the sort buffer go before the matrix is built
        long tokens = 0;
        for (long t : tokensPerChunk) tokens += t;
        counters.put("itemsWithText", docs);
        counters.put("itemsWithoutText", n - docs);
        counters.put("tokens", tokens);
        counters.put("usedBuckets", (long) used);

        long[] ptr = new long[n + 1];
        for (int i = 0; i < n; i++) ptr[i + 1] = ptr[i] + buckets[i].length;
        I64Array rp = scope.allocateI64(n + 1L);
        rp.copyFrom(ptr, 0, 0, n + 1);
        I32Array cols = scope.allocateI32(nnz);
        F32Array vals = scope.allocateF32(nnz);
        par.forRange(n, 256, (chunk, lo, hi) -> {
            for (int i = (int) lo; i < hi; i++) {
                int[] b = buckets[i];
                double ss = 0;
                double[] w = new double[b.length];
                int[] c = new int[b.length];
                for (int p = 0; p < b.length; p++) {
                    c[p] = Arrays.binarySearch(usedBucket, b[p]);
                    w[p] = tf[i][p] * idf[c[p]];
                    ss += w[p] * w[p];
                }
                double inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
                for (int p = 0; p < b.length; p++) {
                    cols.set(ptr[i] + p, c[p]); // bucket order is column order: rows stay sorted
                    vals.set(ptr[i] + p, (float) (w[p] * inv));
                }
            }
        });
        return new CsrMatrix(n, used, rp, cols, vals);
    }

    /** Title words (letters and digits, lower-cased, at least minLength chars) and whole categories. */
    static List<String> tokens(String title, List<String> categories, int minLength) {
        List<String> out = new java.util.ArrayList<>();
        String t = title == null ? "" : title.toLowerCase(Locale.ROOT);
        int i = 0, len = t.length();
        while (i < len) {
            int cp = t.codePointAt(i);
            if (!Character.isLetterOrDigit(cp)) {
                i += Character.charCount(cp);
                continue;
            }
            int start = i;
            while (i < len && Character.isLetterOrDigit(t.codePointAt(i))) i += Character.charCount(t.codePointAt(i));
            if (t.codePointCount(start, i) >= minLength) out.add(t.substring(start, i));
        }
        if (categories != null) {
            for (String c : categories) {
                if (c == null) continue;
                String s = c.strip().toLowerCase(Locale.ROOT);
                if (!s.isEmpty()) out.add(CATEGORY_PREFIX + s);
            }
        }
        return out;
    }

    /** FNV-1a over the UTF-16 units, seeded, then a strong finaliser: a stable hash across JVMs and runs. */
    static long hash(String token, long seed) {
        long h = 0xCBF29CE484222325L ^ seed;
        for (int i = 0; i < token.length(); i++) {
            h ^= token.charAt(i);
            h *= 0x100000001B3L;
        }
        return CooccurrenceEmbedder.mix64(h);
    }
}
