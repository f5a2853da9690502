package org.lurm.embed;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.lurm.backend.Backend;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.Scale;
import org.lurm.events.EventTable;
import org.lurm.events.UserGrouping;
import org.lurm.linalg.CsrMatrix;
import org.lurm.linalg.CsrOperator;
import org.lurm.linalg.LinearOperator;
import org.lurm.linalg.RandomizedSvd;
import org.lurm.linalg.SvdResult;
import org.lurm.linalg.Workers;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.memory.MemoryScope;
import org.lurm.progress.Progress;

/**
 * The default item embedder (MODEL.md, "Item embedding module", co-occurrence): items that users touch in the
 * same period are embedded close together.
 *
 * <ol>
 *   <li><b>Baskets.</b> One basket per (user, period) of the finest scale, period = floorDiv(t - origin, L): the
 *       distinct items the user touched in it. An event of weight 0 is not a touch (as in the BoI, where it
 *       leaves no entry); such events are counted in {@code zeroWeightEvents}.</li>
 *   <li><b>Basket cap.</b> A basket of more than {@code maxBasketSize} distinct items would cost a quadratic
 *       number of pairs; it is cut to a sample of exactly {@code maxBasketSize} of its items: those with the
 *       smallest 64-bit hash of (seed, user index, period, item index). The sample is uniform, the same on every
 *       run and thread count, and independent of event order. Cut baskets and dropped touches are counted
 *       ({@code truncatedBaskets}, {@code droppedTouches}).</li>
 *   <li><b>Counts.</b> Each unordered pair of distinct items in a basket adds 1 to c(i,j) and c(j,i). With B the
 *       baskets x items incidence matrix, C = B^T·B without its diagonal, computed row by row (Gustavson's
 *       sparse product): a worker owns whole rows of C and one int accumulator of numItems entries, so no
 *       items x items array and no per-thread pair table ever exists; rows come out as CSR with ascending
 *       columns. Cost Σ_b |b|² increments into a cache-resident array (measured about 4x faster on
 *       MovieLens-100k than a primitive open-addressing pair hash, whose per-thread copies also multiplied
 *       memory by the thread count).</li>
 *   <li><b>Pair cap.</b> The distinct pairs grow with the events (4.7·10^8 at 10^8 generator events over 2·10^5
 *       items: 7.6 GB per copy of the matrix). The matrix keeps at most {@code maxNonZeros} entries (default
 *       2^27): an item with more than k = maxNonZeros / items partners keeps, among its partners of positive PMI
 *       (the only ones the PPMI keeps), the k it co-occurs with most often (ties to the lowest column), or all of
 *       them when there are fewer. The totals c(i) = Σ over i's baskets of (size - 1) are known before any pair
 *       is counted, so each row is cut as it is made, the full matrix never exists, and the PMI of a kept pair is
 *       the one the whole matrix gives it. Cut rows are no longer symmetric, so the SVD then uses the stored
 *       transpose. Items with at most k partners are untouched, so data with fewer than about 11,500 items
 *       (k >= items at the default) is never cut. Measured on MovieLens with a cap forced to the fraction kept
 *       at 10^8 events: docs/RESULTS.md, "the pair cap".</li>
 *   <li><b>PPMI.</b> PMI(i,j) = log( c(i,j) · Σ_j' c(j')^α / (c(i) · c(j)^α) ), with c(i) = Σ_j c(i,j) and the
 *       context smoothing exponent α ({@code contextSmoothing}, default 0.75, as in word2vec: dampens the pull
 *       of very popular items); only positive values are kept, still CSR.</li>
 *   <li><b>Factorisation.</b> Randomized truncated SVD of the PPMI matrix into e dimensions, embedding
 *       U·S^p ({@code singularValuePower} p, default 0.5: U·sqrt(S)), rows L2-normalised.</li>
 * </ol>
 *
 * Items in no basket with another item, or with no positive PMI, get a zero row and are absent.
 *
 * <p><b>Ownership.</b> The result is allocated in the scope given to {@link #embed}; counts, PPMI and SVD
 * factors live in a child scope closed before it returns. Peak memory: 8 bytes per kept basket touch (B and
 * its transpose, on-heap), 8 bytes per item per worker thread, then 8 bytes per kept non-zero for the count and
 * PPMI matrices each (and the PPMI transpose when α != 1 or pairs were cut), plus the SVD's (2·items)·(e + 10)·12
 * bytes; with the default cap at most about 1 GiB per matrix.
 *
 * <p><b>Thread-safety.</b> Immutable; {@link #embed} may run concurrently.
 */
public final class CooccurrenceEmbedder implements ItemEmbedder {
    /** Users or item rows between two progress reports of one worker. */
    private static final int PROGRESS_EVERY = 4096;

    /**
     * @param dim                embedding width e (default 64)
     * @param periodSeconds      basket period length L (default 30 days, the finest default scale)
     * @param origin             period origin in Unix seconds (default 0, the epoch)
     * @param maxBasketSize      basket cap (default 512; see the class comment for what happens above it)
     * @param contextSmoothing   exponent α on context counts (default 0.75; 1 = plain PMI)
     * @param singularValuePower p in U·S^p (default 0.5; 0 = U, 1 = U·S)
     * @param oversampling       randomized SVD oversampling (default 10)
     * @param powerIterations    randomized SVD power iterations (default 2)
     * @param seed               seeds the basket sample and the SVD
     * @param maxNonZeros        the most entries the pair-count matrix keeps (default 2^27, about 1 GiB per copy of
     *                           the matrix): an item with more than {@code maxNonZeros / items} partners keeps only
     *                           that many, its most frequent of positive PMI (see the class comment); 0: no cap
     */
    public record Options(int dim, long periodSeconds, long origin, int maxBasketSize, double contextSmoothing,
                          double singularValuePower, int oversampling, int powerIterations, long seed, long maxNonZeros) {
        public static final int DEFAULT_DIM = 64;
        public static final long DEFAULT_PERIOD_SECONDS = 30 * Scale.DAY;
        public static final int DEFAULT_MAX_BASKET_SIZE = 512;
        public static final double DEFAULT_CONTEXT_SMOOTHING = 0.75;
        public static final double DEFAULT_SINGULAR_VALUE_POWER = 0.5;
        public static final long DEFAULT_MAX_NON_ZEROS = 1L << 27;

        public Options {
            if (dim < 1) throw new IllegalArgumentException("embedding width must be >= 1, got " + dim);
            if (periodSeconds < 1) throw new IllegalArgumentException("period length must be >= 1 second, got " + periodSeconds);
            if (maxBasketSize < 2) throw new IllegalArgumentException("maxBasketSize must be >= 2 (a basket needs two items to make a pair), got " + maxBasketSize);
            if (!(contextSmoothing > 0 && contextSmoothing <= 1)) throw new IllegalArgumentException("contextSmoothing must be in (0, 1], got " + contextSmoothing);
            if (!(singularValuePower >= 0 && singularValuePower <= 1)) throw new IllegalArgumentException("singularValuePower must be in [0, 1], got " + singularValuePower);
            if (maxNonZeros < 0) throw new IllegalArgumentException("maxNonZeros must be >= 0 (0: no cap), got " + maxNonZeros);
            new RandomizedSvd.Options(oversampling, powerIterations, seed, RandomizedSvd.Options.DEFAULT_RANK_TOLERANCE, true, false);
        }

        public static Options defaults() {
            return new Options(DEFAULT_DIM, DEFAULT_PERIOD_SECONDS, 0L, DEFAULT_MAX_BASKET_SIZE, DEFAULT_CONTEXT_SMOOTHING,
                    DEFAULT_SINGULAR_VALUE_POWER, RandomizedSvd.Options.DEFAULT_OVERSAMPLING, RandomizedSvd.Options.DEFAULT_POWER_ITERATIONS,
                    RandomizedSvd.Options.DEFAULT_SEED, DEFAULT_MAX_NON_ZEROS);
        }

        /** Defaults with the basket period and origin of the finest scale of a BoI configuration. */
        public static Options forBoi(BoiConfig boi) {
            return defaults().withPeriod(boi.scales().get(0).periodSeconds(), boi.origin());
        }

        public Options withDim(int d) {
            return new Options(d, periodSeconds, origin, maxBasketSize, contextSmoothing, singularValuePower, oversampling, powerIterations, seed, maxNonZeros);
        }

        public Options withPeriod(long seconds, long newOrigin) {
            return new Options(dim, seconds, newOrigin, maxBasketSize, contextSmoothing, singularValuePower, oversampling, powerIterations, seed, maxNonZeros);
        }

        public Options withMaxBasketSize(int cap) {
            return new Options(dim, periodSeconds, origin, cap, contextSmoothing, singularValuePower, oversampling, powerIterations, seed, maxNonZeros);
        }

        public Options withContextSmoothing(double a) {
            return new Options(dim, periodSeconds, origin, maxBasketSize, a, singularValuePower, oversampling, powerIterations, seed, maxNonZeros);
        }

        public Options withSingularValuePower(double p) {
            return new Options(dim, periodSeconds, origin, maxBasketSize, contextSmoothing, p, oversampling, powerIterations, seed, maxNonZeros);
        }

        public Options withSvd(int newOversampling, int newPowerIterations) {
            return new Options(dim, periodSeconds, origin, maxBasketSize, contextSmoothing, singularValuePower, newOversampling, newPowerIterations, seed, maxNonZeros);
        }

        public Options withSeed(long s) {
            return new Options(dim, periodSeconds, origin, maxBasketSize, contextSmoothing, singularValuePower, oversampling, powerIterations, s, maxNonZeros);
        }

        /** The same options with another cap on the pair-count matrix's entries (0: no cap). */
        public Options withMaxNonZeros(long cap) {
            return new Options(dim, periodSeconds, origin, maxBasketSize, contextSmoothing, singularValuePower, oversampling, powerIterations, seed, cap);
        }

        /** The most partners an item keeps among {@code numItems}: all of them without a cap, else at least 1. */
        int maxPartners(int numItems) {
            if (maxNonZeros == 0 || numItems == 0) return Integer.MAX_VALUE;
            return (int) Math.max(1, Math.min(Integer.MAX_VALUE, maxNonZeros / numItems));
        }

        RandomizedSvd.Options svdOptions() {
            return RandomizedSvd.Options.defaults().withOversampling(oversampling).withPowerIterations(powerIterations).withSeed(seed).withComputeV(false);
        }
    }

    /**
     * What counting saw.
     *
     * @param events           events read
     * @param zeroWeightEvents events of weight 0 (not touches)
     * @param baskets          non-empty (user, period) baskets
     * @param truncatedBaskets baskets cut to maxBasketSize
     * @param droppedTouches   distinct (basket, item) touches left out by the cut
     * @param distinctPairs    distinct unordered item pairs with a count
     * @param prunedEntries    entries of the pair-count matrix left out by {@link Options#maxNonZeros} (0 when
     *                         every item kept all its partners)
     * @param maxPartners      the most partners an item kept ({@link Integer#MAX_VALUE}: no cap)
     */
    public record BasketStats(long events, long zeroWeightEvents, long baskets, long truncatedBaskets, long droppedTouches, long distinctPairs,
                              long prunedEntries, int maxPartners) {
    }

    /**
     * The pair-count matrix (numItems x numItems, float32 counts, ascending columns; symmetric unless entries were
     * pruned) with each item's total count over all its pairs, pruned or not, and the stats.
     */
    public record Counts(CsrMatrix matrix, double[] itemTotals, BasketStats stats) {
    }

    private final Options options;

    public CooccurrenceEmbedder() {
        this(Options.defaults());
    }

    public CooccurrenceEmbedder(Options options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    public Options options() {
        return options;
    }

    @Override
    public String name() {
        return "cooccurrence";
    }

    @Override
    public int dimension() {
        return options.dim();
    }

    @Override
    public ItemEmbeddings embed(EmbeddingInput input, Backend backend, MemoryScope scope) {
        return embed(input, backend, scope, Progress.NONE);
    }

    /**
     * Reports four steps: grouping each user's events into baskets (users), counting item pairs (items, one row
     * each), PPMI (items), and the randomized SVD (passes of the PPMI operator over its non-zeros: one, two per
     * power iteration, one for the zero-column test and one for the final projection).
     */
    @Override
    public ItemEmbeddings embed(EmbeddingInput input, Backend backend, MemoryScope scope, Progress progress) {
        Progress pr = Progress.orNone(progress);
        EventTable events = input.requireEvents(name());
        int n = input.numItems();
        int dim = options.dim();
        F32Array out = scope.allocateF32((long) n * dim);
        Map<String, Long> counters = new LinkedHashMap<>();
        try (MemoryScope tmp = scope.child("cooccurrence"); Workers workers = Workers.of(backend)) {
            Parallel par = workers.parallel();
            Counts counts = countPairs(events, n, options, par, tmp, pr);
            BasketStats st = counts.stats();
            counters.put("events", st.events());
            counters.put("zeroWeightEvents", st.zeroWeightEvents());
            counters.put("baskets", st.baskets());
            counters.put("truncatedBaskets", st.truncatedBaskets());
            counters.put("droppedTouches", st.droppedTouches());
            counters.put("distinctPairs", st.distinctPairs());
            counters.put("prunedEntries", st.prunedEntries());
            CsrMatrix ppmi;
            try (Progress.Task t = pr.start("embed: PPMI", n, "items")) {
                ppmi = ppmi(counts.matrix(), counts.itemTotals(), options.contextSmoothing(), par, tmp);
                t.advance(n);
                t.status(String.format(Locale.ROOT, "%,d positive of %,d pairs", ppmi.nnz(), counts.matrix().nnz()));
            }
            counters.put("ppmiNonZeros", ppmi.nnz());
            // Items with pairs but no positive PMI (they co-occur only as often as chance) end up absent too.
            counters.put("itemsWithPairs", nonEmptyRows(counts.matrix()));
            counters.put("itemsWithPositivePmi", nonEmptyRows(ppmi));
            if (ppmi.nnz() > 0) {
                // With α = 1 the PPMI of symmetric counts is symmetric: no transpose needed (pruned counts are not).
                LinearOperator op = options.contextSmoothing() == 1.0 && st.prunedEntries() == 0
                        ? CsrOperator.symmetric(backend, ppmi)
                        : CsrOperator.withTranspose(backend, ppmi, tmp);
                SvdResult svd;
                int passes = 2 * options.svdOptions().powerIterations() + 3;
                try (Progress.Task t = pr.start("embed: randomized SVD", passes, "passes")) {
                    t.status(String.format(Locale.ROOT, "rank %d of %,d x %,d, %,d non-zeros", dim, n, n, ppmi.nnz()));
                    svd = new RandomizedSvd(backend, options.svdOptions()).compute(countingPasses(op, t), dim, tmp);
                }
                counters.put("svdRank", (long) svd.rank());
                foldSingularValues(svd, n, dim, options.singularValuePower(), out, par);
            } else {
                counters.put("svdRank", 0L);
            }
        }
        return ItemEmbeddings.normalizeInPlace(out, n, dim, name(), counters);
    }

    /** {@code op}, advancing {@code task} by one for every product with it or its transpose. */
    private static LinearOperator countingPasses(LinearOperator op, Progress.Task task) {
        return new LinearOperator() {
            @Override
            public int rows() {
                return op.rows();
            }

            @Override
            public int cols() {
                return op.cols();
            }

            @Override
            public void multiply(F32Array x, int r, F32Array out) {
                op.multiply(x, r, out);
                task.advance(1);
            }

            @Override
            public void multiplyTranspose(F32Array x, int r, F32Array out) {
                op.multiplyTranspose(x, r, out);
                task.advance(1);
            }
        };
    }

    private static long nonEmptyRows(CsrMatrix m) {
        long r = 0;
        for (int i = 0; i < m.rows(); i++) if (m.rowPtr().get(i + 1) > m.rowPtr().get(i)) r++;
        return r;
    }

    /** out[i][c] = U[i][c] · s_c^p. */
    static void foldSingularValues(SvdResult svd, int n, int dim, double power, F32Array out, Parallel par) {
        double[] w = new double[dim];
        for (int c = 0; c < dim; c++) w[c] = svd.singularValue(c) == 0 ? 0 : Math.pow(svd.singularValue(c), power);
        F32Array u = svd.u();
        par.forRange(n, 1024, (chunk, lo, hi) -> {
            float[] row = new float[dim];
            for (long i = lo; i < hi; i++) {
                u.copyTo(i * dim, row, 0, dim);
                for (int c = 0; c < dim; c++) row[c] = (float) (row[c] * w[c]);
                out.copyFrom(row, 0, i * dim, dim);
            }
        });
    }

    /** Pair counts of the baskets of {@code events} (see the class comment), allocated in {@code scope}. */
    public static Counts countPairs(EventTable events, int numItems, Options options, Backend backend, MemoryScope scope) {
        try (Workers w = Workers.of(backend)) {
            return countPairs(events, numItems, options, w.parallel(), scope);
        }
    }

    /**
     * Positive PMI of a square count matrix (see the class comment) as a new CSR matrix in {@code scope}, same
     * column order as the counts; entries with PMI at or below 0 are not stored.
     */
    public static CsrMatrix ppmi(CsrMatrix counts, double contextSmoothing, Backend backend, MemoryScope scope) {
        try (Workers w = Workers.of(backend)) {
            return ppmi(counts, null, contextSmoothing, w.parallel(), scope);
        }
    }

    // ---------------------------------------------------------------------------------------------- counting

    static Counts countPairs(EventTable events, int numItems, Options o, Parallel par, MemoryScope scope) {
        return countPairs(events, numItems, o, par, scope, Progress.NONE);
    }

    static Counts countPairs(EventTable events, int numItems, Options o, Parallel par, MemoryScope scope, Progress progress) {
        // Group event positions by user, as the BoI aggregation does; baskets of user ranges balanced by
        // events, collected per chunk and joined in chunk (= user) order.
        UserGrouping grouping = UserGrouping.of(events);
        int[] userStart = grouping.userStart();
        int[] chunkUser = grouping.balancedChunks(par.threads() * 4);
        int nChunks = chunkUser.length - 1;
        int[] perm = grouping.perm();
        BasketCollector[] collectors = new BasketCollector[nChunks];
        final int[] permF = perm;
        try (Progress.Task task = progress.start("embed: baskets", userStart.length - 1, "users")) {
            par.forRange(nChunks, nChunks, 1, (chunk, lo, hi) -> {
                for (int c = (int) lo; c < hi; c++) {
                    BasketCollector bc = new BasketCollector(events, numItems, o, permF);
                    int reported = chunkUser[c];
                    for (int u = chunkUser[c]; u < chunkUser[c + 1]; u++) {
                        bc.user(u, userStart[u], userStart[u + 1]);
                        if (u + 1 - reported >= PROGRESS_EVERY) {
                            task.advance(u + 1 - reported);
                            reported = u + 1;
                        }
                    }
                    task.advance(chunkUser[c + 1] - reported);
                    collectors[c] = bc;
                }
            });
        }
        long zeroWeight = 0, truncated = 0, dropped = 0, totalBaskets = 0, touches = 0;
        for (BasketCollector bc : collectors) {
            zeroWeight += bc.zeroWeight;
            truncated += bc.truncated;
            dropped += bc.dropped;
            totalBaskets += bc.baskets;
            touches += bc.itemCount;
        }
        // Only baskets of two or more items make pairs; they form B (baskets x items, CSR).
        int pairBaskets = 0;
        for (BasketCollector bc : collectors) pairBaskets += bc.pairBaskets;
        long[] bPtr = new long[pairBaskets + 1];
        int[] bItem = new int[Math.toIntExact(touches)];
        int b = 0;
        long fill = 0;
        for (BasketCollector bc : collectors) {
            for (int k = 0; k < bc.pairBaskets; k++) {
                int len = bc.len[k];
                System.arraycopy(bc.items, bc.start[k], bItem, (int) fill, len);
                fill += len;
                bPtr[++b] = fill;
            }
        }
        collectorsRelease(collectors);
        PairCounts pc;
        int maxPartners = o.maxPartners(numItems);
        try (Progress.Task task = progress.start("embed: count pairs", numItems, "items")) {
            task.status(String.format(Locale.ROOT, "%,d baskets, %,d item touches", pairBaskets, bItem.length));
            pc = pairCounts(bPtr, bItem, pairBaskets, numItems, maxPartners, o.contextSmoothing(), par, scope, task);
            long distinct = pc.fullEntries / 2;
            task.status(pc.pruned == 0 ? String.format(Locale.ROOT, "%,d distinct pairs", distinct)
                    : String.format(Locale.ROOT, "%,d distinct pairs; an item keeps at most its %,d most frequent partners of positive PMI: %,d of %,d entries kept",
                    distinct, maxPartners, pc.matrix.nnz(), pc.fullEntries));
        }
        BasketStats bs = new BasketStats(events.size(), zeroWeight, totalBaskets, truncated, dropped, pc.fullEntries / 2, pc.pruned,
                pc.pruned == 0 ? Integer.MAX_VALUE : maxPartners);
        return new Counts(pc.matrix, pc.totals, bs);
    }

    private static void collectorsRelease(BasketCollector[] collectors) {
        java.util.Arrays.fill(collectors, null); // their buffers are copied into B; let them go before counting
    }

    /** Per-chunk basket walker: reusable primitive buffers; keeps the baskets of two or more items. */
    private static final class BasketCollector {
        final EventTable events;
        final int numItems;
        final Options o;
        final int[] perm;
        long zeroWeight, baskets, truncated, dropped;
        // Kept baskets: items[start[k] .. start[k] + len[k]), ascending.
        int[] items = new int[256];
        int itemCount;
        int[] start = new int[16];
        int[] len = new int[16];
        int pairBaskets;
        // Scratch for one user.
        long[] periods = new long[64];
        int[] userItems = new int[64];
        long[] keys = new long[64];
        long[] distinctPeriods = new long[64];
        int[] basket = new int[64];
        long[] hashes = new long[64];

        BasketCollector(EventTable events, int numItems, Options o, int[] perm) {
            this.events = events;
            this.numItems = numItems;
            this.o = o;
            this.perm = perm;
        }

        void user(int u, int from, int to) {
            int n = 0;
            int need = to - from;
            if (periods.length < need) {
                int cap = Math.max(need, periods.length * 2);
                periods = new long[cap];
                userItems = new int[cap];
                keys = new long[cap];
                distinctPeriods = new long[cap];
            }
            for (int p = from; p < to; p++) {
                int e = perm == null ? p : perm[p];
                float w = events.weight(e);
                if (!(w > 0)) {
                    zeroWeight++;
                    continue;
                }
                int item = events.item(e);
                if (item < 0 || item >= numItems) throw new IllegalArgumentException("event " + e + ": item index " + item + " outside the " + numItems + " items being embedded");
                periods[n] = Math.floorDiv(events.timestamp(e) - o.origin(), o.periodSeconds());
                userItems[n] = item;
                n++;
            }
            if (n == 0) return;
            // Period ranks make (period, item) one sortable long whatever the span of periods.
            System.arraycopy(periods, 0, distinctPeriods, 0, n);
            Arrays.sort(distinctPeriods, 0, n);
            int m = 1;
            for (int i = 1; i < n; i++) if (distinctPeriods[i] != distinctPeriods[m - 1]) distinctPeriods[m++] = distinctPeriods[i];
            for (int i = 0; i < n; i++) keys[i] = ((long) Arrays.binarySearch(distinctPeriods, 0, m, periods[i]) << 32) | userItems[i];
            Arrays.sort(keys, 0, n);
            int i = 0;
            while (i < n) {
                int rank = (int) (keys[i] >>> 32);
                int s = 0;
                int last = -1;
                for (; i < n && (int) (keys[i] >>> 32) == rank; i++) {
                    int item = (int) keys[i];
                    if (item != last) {
                        if (s == basket.length) basket = Arrays.copyOf(basket, s * 2);
                        basket[s++] = item;
                        last = item;
                    }
                }
                basket(u, distinctPeriods[rank], s);
            }
        }

        /** Keeps basket[0..s) (ascending, distinct), cut to the cap first. */
        void basket(int user, long period, int s) {
            baskets++;
            int cap = o.maxBasketSize();
            if (s > cap) {
                truncated++;
                dropped += s - cap;
                if (hashes.length < s) hashes = new long[Math.max(s, hashes.length * 2)];
                long base = mix64(mix64(o.seed() ^ mix64(user)) + period);
                // High 32 bits: the item's hash; low 32: its position, which breaks ties deterministically.
                for (int t = 0; t < s; t++) hashes[t] = (mix64(base + basket[t]) & 0xFFFFFFFF00000000L) | t;
                Arrays.sort(hashes, 0, s);
                int[] kept = new int[cap];
                for (int t = 0; t < cap; t++) kept[t] = basket[(int) hashes[t]];
                Arrays.sort(kept);
                System.arraycopy(kept, 0, basket, 0, cap);
                s = cap;
            }
            if (s < 2) return;
            if (itemCount > items.length - s) {
                long want = Math.max((long) items.length * 2, (long) itemCount + s);
                if (want > Integer.MAX_VALUE - 8) throw new IllegalStateException("more than 2^31 basket touches in one chunk of users");
                items = Arrays.copyOf(items, (int) want);
            }
            if (pairBaskets == start.length) {
                start = Arrays.copyOf(start, start.length * 2);
                len = Arrays.copyOf(len, len.length * 2);
            }
            System.arraycopy(basket, 0, items, itemCount, s);
            start[pairBaskets] = itemCount;
            len[pairBaskets] = s;
            pairBaskets++;
            itemCount += s;
        }
    }

    /**
     * C = B^T·B without its diagonal, B the baskets x items incidence matrix: row i of C sums, over the baskets
     * that hold i, the items of those baskets (Gustavson's row-by-row sparse product). Each worker owns whole
     * rows and one dense int accumulator of numItems entries that stays in cache, so there is no per-thread
     * copy of the pair table to merge and no random access into a large hash: the cost is Σ_b |b|² increments.
     */
    /** The kept counts, every item's total over all its pairs, the entries before pruning and those pruned. */
    private record PairCounts(CsrMatrix matrix, double[] totals, long fullEntries, long pruned) {
    }

    private static PairCounts pairCounts(long[] bPtr, int[] bItem, int nBaskets, int n, int maxPartners, double alpha, Parallel par,
                                         MemoryScope scope, Progress.Task task) {
        // Transpose B: for each item, its baskets (ascending).
        long[] iPtr = new long[n + 1];
        for (int it : bItem) iPtr[it + 1]++;
        for (int i = 0; i < n; i++) iPtr[i + 1] += iPtr[i];
        int[] iBasket = new int[bItem.length];
        long[] pos = Arrays.copyOf(iPtr, n);
        for (int bk = 0; bk < nBaskets; bk++) for (long p = bPtr[bk]; p < bPtr[bk + 1]; p++) iBasket[(int) pos[bItem[(int) p]]++] = bk;
        // Rows in chunks balanced by work (Σ of basket sizes over the row's baskets).
        long[] workPrefix = new long[n + 1];
        for (int i = 0; i < n; i++) {
            long w = 1;
            for (long p = iPtr[i]; p < iPtr[i + 1]; p++) w += bPtr[iBasket[(int) p] + 1] - bPtr[iBasket[(int) p]];
            workPrefix[i + 1] = workPrefix[i] + w;
        }
        int nChunks = Math.max(1, Math.min(n, par.threads() * 8));
        int[] chunkRow = new int[nChunks + 1];
        for (int c = 1; c < nChunks; c++) {
            long target = workPrefix[n] / nChunks * c;
            int lo = chunkRow[c - 1], hi = n;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (workPrefix[mid] < target) lo = mid + 1;
                else hi = mid;
            }
            chunkRow[c] = lo;
        }
        chunkRow[nChunks] = n;
        int[][] chunkCols = new int[nChunks][];
        int[][] chunkCounts = new int[nChunks][];
        long[] rowNnz = new long[n];
        long[] rowFull = new long[n];
        // c(i), the total of row i over all its pairs, is the sum over i's baskets of (basket size - 1): known
        // before any pair is counted, so a row can be cut by PMI as it is made.
        double[] totals = new double[n];
        for (int i = 0; i < n; i++) totals[i] = (workPrefix[i + 1] - workPrefix[i]) - 1 - (iPtr[i + 1] - iPtr[i]);
        // PMI(i, j) > 0 iff c(i,j) * c(j)^-alpha > c(i) / Z with Z = sum_j c(j)^alpha; for a fixed row the PMI
        // ranks partners as the score c(i,j) * c(j)^-alpha does.
        double[] ctxWeight = maxPartners < n ? new double[n] : null;
        double zSum = 0;
        if (ctxWeight != null) {
            for (int j = 0; j < n; j++) {
                if (totals[j] > 0) {
                    ctxWeight[j] = Math.pow(totals[j], -alpha);
                    zSum += Math.pow(totals[j], alpha);
                }
            }
        }
        final double z = zSum;
        par.forRange(nChunks, par.threads(), 1, (unused, lo, hi) -> {
            int[] acc = new int[n];
            int[] touched = new int[n];
            double[] scores = maxPartners < n ? new double[n] : null;
            for (int c = (int) lo; c < hi; c++) {
                int[] cols = new int[64];
                int[] cnts = new int[64];
                int size = 0;
                int reported = chunkRow[c];
                for (int i = chunkRow[c]; i < chunkRow[c + 1]; i++) {
                    if (i - reported >= PROGRESS_EVERY) {
                        task.advance(i - reported);
                        reported = i;
                    }
                    int t = 0;
                    for (long p = iPtr[i]; p < iPtr[i + 1]; p++) {
                        int bk = iBasket[(int) p];
                        for (long q = bPtr[bk], e = bPtr[bk + 1]; q < e; q++) {
                            int j = bItem[(int) q];
                            if (j == i) continue;
                            if (acc[j]++ == 0) touched[t++] = j;
                        }
                    }
                    if (size > cols.length - t) {
                        long want = Math.max((long) cols.length * 2, (long) size + t);
                        if (want > Integer.MAX_VALUE - 8) throw new IllegalStateException("more than 2^31 item pairs in one chunk of rows: lower maxBasketSize");
                        cols = Arrays.copyOf(cols, (int) want);
                        cnts = Arrays.copyOf(cnts, (int) want);
                    }
                    rowFull[i] = t;
                    // A row of more than maxPartners entries keeps the entries with a score above thr and the first
                    // `ties` (ascending column) with a score equal to it: its maxPartners highest PMIs, or all its
                    // positive ones when it has fewer. Other rows keep every entry.
                    boolean cutRow = t > maxPartners;
                    double positive = cutRow ? totals[i] / z : 0;
                    int thr = 0, ties = 0;
                    if (cutRow) {
                        int m = 0;
                        for (int k = 0; k < t; k++) {
                            int j = touched[k];
                            if (acc[j] * ctxWeight[j] > positive) scores[m++] = acc[j];
                        }
                        if (m > maxPartners) {
                            thr = (int) kthLargest(scores, m, maxPartners);
                            int greater = 0;
                            for (int k = 0; k < m; k++) if (scores[k] > thr) greater++;
                            ties = maxPartners - greater;
                        }
                    }
                    int w = 0;
                    if (t > (n >>> 4)) {
                        // Dense row: a scan of the accumulator is cheaper than sorting the touched list.
                        for (int j = 0, k = 0; k < t; j++) {
                            int cj = acc[j];
                            if (cj == 0) continue;
                            acc[j] = 0;
                            k++;
                            if (!cutRow || (cj * ctxWeight[j] > positive && (cj > thr || (cj == thr && ties-- > 0)))) {
                                cols[size + w] = j;
                                cnts[size + w] = cj;
                                w++;
                            }
                        }
                    } else {
                        Arrays.sort(touched, 0, t);
                        for (int k = 0; k < t; k++) {
                            int j = touched[k];
                            int cj = acc[j];
                            acc[j] = 0;
                            if (!cutRow || (cj * ctxWeight[j] > positive && (cj > thr || (cj == thr && ties-- > 0)))) {
                                cols[size + w] = j;
                                cnts[size + w] = cj;
                                w++;
                            }
                        }
                    }
                    size += w;
                    rowNnz[i] = w;
                }
                task.advance(chunkRow[c + 1] - reported);
                chunkCols[c] = Arrays.copyOf(cols, size);
                chunkCounts[c] = Arrays.copyOf(cnts, size);
            }
        });
        I64Array rowPtr = scope.allocateI64(n + 1L);
        long nnz = 0;
        for (int i = 0; i < n; i++) {
            rowPtr.set(i, nnz);
            nnz += rowNnz[i];
        }
        rowPtr.set(n, nnz);
        I32Array col = scope.allocateI32(nnz);
        F32Array val = scope.allocateF32(nnz);
        long off = 0;
        float[] fbuf = new float[0];
        for (int c = 0; c < nChunks; c++) {
            int[] cc = chunkCols[c], cn = chunkCounts[c];
            col.copyFrom(cc, 0, off, cc.length);
            if (fbuf.length < cn.length) fbuf = new float[cn.length];
            for (int k = 0; k < cn.length; k++) fbuf[k] = cn[k];
            val.copyFrom(fbuf, 0, off, cn.length);
            off += cc.length;
            chunkCols[c] = null;
            chunkCounts[c] = null;
        }
        long full = 0;
        for (long f : rowFull) full += f;
        return new PairCounts(new CsrMatrix(n, n, rowPtr, col, val), totals, full, full - nnz);
    }

    /**
     * The k-th largest of {@code a[0..n)} (1 <= k <= n), by quickselect: O(n) expected; reorders {@code a}. The
     * pivot is the middle element, so the result is the same on every run.
     */
    static double kthLargest(double[] a, int n, int k) {
        int lo = 0, hi = n - 1, target = k - 1; // index of the k-th largest in descending order
        while (lo < hi) {
            double pivot = a[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] > pivot) i++;
                while (a[j] < pivot) j--;
                if (i <= j) {
                    double x = a[i];
                    a[i] = a[j];
                    a[j] = x;
                    i++;
                    j--;
                }
            }
            if (target <= j) hi = j;
            else if (target >= i) lo = i;
            else return a[target];
        }
        return a[target];
    }

    // ---------------------------------------------------------------------------------------------- PPMI

    /**
     * @param totals every item's total count over all its pairs when the matrix holds only some of them (pruned
     *               rows): then c(i) and c(j) are these totals, so keeping fewer partners does not change the PMI
     *               of the ones kept; null: the sums of the matrix's own rows and columns
     */
    static CsrMatrix ppmi(CsrMatrix counts, double[] totals, double alpha, Parallel par, MemoryScope scope) {
        if (counts.rows() != counts.cols()) throw new IllegalArgumentException("a co-occurrence matrix must be square, got " + counts.rows() + " x " + counts.cols());
        if (!(alpha > 0 && alpha <= 1)) throw new IllegalArgumentException("contextSmoothing must be in (0, 1], got " + alpha);
        int n = counts.rows();
        I64Array ptr = counts.rowPtr();
        I32Array col = counts.colIndex();
        F32Array val = counts.values();
        double[] rowSum = new double[n];
        double[] colSum = new double[n];
        for (int i = 0; i < n; i++) {
            for (long p = ptr.get(i), e = ptr.get(i + 1); p < e; p++) {
                float c = val.get(p);
                if (!(c >= 0) || Float.isInfinite(c)) throw new IllegalArgumentException("co-occurrence count at row " + i + ", column " + col.get(p) + " must be finite and >= 0, got " + c);
                rowSum[i] += c;
                colSum[col.get(p)] += c;
            }
        }
        if (totals != null) {
            if (totals.length != n) throw new IllegalArgumentException("item totals: " + totals.length + " for " + n + " items");
            rowSum = totals;
            colSum = totals;
        }
        double z = 0;
        double[] logCtx = new double[n];
        for (int j = 0; j < n; j++) {
            if (colSum[j] > 0) {
                z += Math.pow(colSum[j], alpha);
                logCtx[j] = alpha * Math.log(colSum[j]);
            }
        }
        double logZ = Math.log(z);
        double[] logRow = new double[n];
        for (int i = 0; i < n; i++) logRow[i] = rowSum[i] > 0 ? Math.log(rowSum[i]) : 0;

        // Pass 1 computes every PMI once (kept in a float per entry) and counts the positive ones per row; pass 2
        // copies them. Each row is written by one thread into its own range.
        long nnz = counts.nnz();
        if (nnz > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("at most 2^31-9 co-occurrence entries, got " + nnz);
        float[] pmi = new float[(int) nnz];
        long[] outPtr = new long[n + 1];
        par.forRange(n, 256, (chunk, lo, hi) -> {
            for (int i = (int) lo; i < hi; i++) {
                long kept = 0;
                double li = logRow[i] - logZ;
                for (long p = ptr.get(i), e = ptr.get(i + 1); p < e; p++) {
                    float c = val.get(p);
                    double v = c > 0 ? Math.log(c) - li - logCtx[col.get(p)] : 0;
                    pmi[(int) p] = (float) v;
                    if (pmi[(int) p] > 0) kept++;
                }
                outPtr[i + 1] = kept;
            }
        });
        for (int i = 0; i < n; i++) outPtr[i + 1] += outPtr[i];
        I64Array rp = scope.allocateI64(n + 1L);
        rp.copyFrom(outPtr, 0, 0, n + 1);
        I32Array oc = scope.allocateI32(outPtr[n]);
        F32Array ov = scope.allocateF32(outPtr[n]);
        par.forRange(n, 256, (chunk, lo, hi) -> {
            for (int i = (int) lo; i < hi; i++) {
                long q = outPtr[i];
                for (long p = ptr.get(i), e = ptr.get(i + 1); p < e; p++) {
                    float v = pmi[(int) p];
                    if (v > 0) {
                        oc.set(q, col.get(p));
                        ov.set(q, v);
                        q++;
                    }
                }
            }
        });
        return new CsrMatrix(n, n, rp, oc, ov);
    }

    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
