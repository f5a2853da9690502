package org.lurm.embed;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.lurm.backend.Backend;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.Scale;
import org.lurm.events.EventTable;
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
 *   <li><b>Counts.</b> Each unordered pair of distinct items in a basket adds 1 to c(i,j) and c(j,i), in a
 *       primitive open-addressing hash per worker thread (never a dense items x items array), merged and turned
 *       into CSR with ascending columns.</li>
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
 * factors live in a child scope closed before it returns. Peak memory: about 24 bytes per distinct pair per
 * worker thread for counting, then 2 x 8 bytes per non-zero for the count and PPMI matrices (and the PPMI
 * transpose when α != 1).
 *
 * <p><b>Thread-safety.</b> Immutable; {@link #embed} may run concurrently.
 */
public final class CooccurrenceEmbedder implements ItemEmbedder {
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
     */
    public record Options(int dim, long periodSeconds, long origin, int maxBasketSize, double contextSmoothing,
                          double singularValuePower, int oversampling, int powerIterations, long seed) {
        public static final int DEFAULT_DIM = 64;
        public static final long DEFAULT_PERIOD_SECONDS = 30 * Scale.DAY;
        public static final int DEFAULT_MAX_BASKET_SIZE = 512;
        public static final double DEFAULT_CONTEXT_SMOOTHING = 0.75;
        public static final double DEFAULT_SINGULAR_VALUE_POWER = 0.5;

        public Options {
            if (dim < 1) throw new IllegalArgumentException("embedding width must be >= 1, got " + dim);
            if (periodSeconds < 1) throw new IllegalArgumentException("period length must be >= 1 second, got " + periodSeconds);
            if (maxBasketSize < 2) throw new IllegalArgumentException("maxBasketSize must be >= 2 (a basket needs two items to make a pair), got " + maxBasketSize);
            if (!(contextSmoothing > 0 && contextSmoothing <= 1)) throw new IllegalArgumentException("contextSmoothing must be in (0, 1], got " + contextSmoothing);
            if (!(singularValuePower >= 0 && singularValuePower <= 1)) throw new IllegalArgumentException("singularValuePower must be in [0, 1], got " + singularValuePower);
            new RandomizedSvd.Options(oversampling, powerIterations, seed, RandomizedSvd.Options.DEFAULT_RANK_TOLERANCE, true, false);
        }

        public static Options defaults() {
            return new Options(DEFAULT_DIM, DEFAULT_PERIOD_SECONDS, 0L, DEFAULT_MAX_BASKET_SIZE, DEFAULT_CONTEXT_SMOOTHING,
                    DEFAULT_SINGULAR_VALUE_POWER, RandomizedSvd.Options.DEFAULT_OVERSAMPLING, RandomizedSvd.Options.DEFAULT_POWER_ITERATIONS,
                    RandomizedSvd.Options.DEFAULT_SEED);
        }

        /** Defaults with the basket period and origin of the finest scale of a BoI configuration. */
        public static Options forBoi(BoiConfig boi) {
            return defaults().withPeriod(boi.scales().get(0).periodSeconds(), boi.origin());
        }

        public Options withDim(int d) {
            return new Options(d, periodSeconds, origin, maxBasketSize, contextSmoothing, singularValuePower, oversampling, powerIterations, seed);
        }

        public Options withPeriod(long seconds, long newOrigin) {
            return new Options(dim, seconds, newOrigin, maxBasketSize, contextSmoothing, singularValuePower, oversampling, powerIterations, seed);
        }

        public Options withMaxBasketSize(int cap) {
            return new Options(dim, periodSeconds, origin, cap, contextSmoothing, singularValuePower, oversampling, powerIterations, seed);
        }

        public Options withContextSmoothing(double a) {
            return new Options(dim, periodSeconds, origin, maxBasketSize, a, singularValuePower, oversampling, powerIterations, seed);
        }

        public Options withSingularValuePower(double p) {
            return new Options(dim, periodSeconds, origin, maxBasketSize, contextSmoothing, p, oversampling, powerIterations, seed);
        }

        public Options withSvd(int newOversampling, int newPowerIterations) {
            return new Options(dim, periodSeconds, origin, maxBasketSize, contextSmoothing, singularValuePower, newOversampling, newPowerIterations, seed);
        }

        public Options withSeed(long s) {
            return new Options(dim, periodSeconds, origin, maxBasketSize, contextSmoothing, singularValuePower, oversampling, powerIterations, s);
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
     */
    public record BasketStats(long events, long zeroWeightEvents, long baskets, long truncatedBaskets, long droppedTouches, long distinctPairs) {
    }

    /** The symmetric pair-count matrix (numItems x numItems, float32 counts, ascending columns) and its stats. */
    public record Counts(CsrMatrix matrix, BasketStats stats) {
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
        EventTable events = input.requireEvents(name());
        int n = input.numItems();
        int dim = options.dim();
        F32Array out = scope.allocateF32((long) n * dim);
        Map<String, Long> counters = new LinkedHashMap<>();
        try (MemoryScope tmp = scope.child("cooccurrence"); Workers workers = Workers.of(backend)) {
            Parallel par = workers.parallel();
            Counts counts = countPairs(events, n, options, par, tmp);
            BasketStats st = counts.stats();
            counters.put("events", st.events());
            counters.put("zeroWeightEvents", st.zeroWeightEvents());
            counters.put("baskets", st.baskets());
            counters.put("truncatedBaskets", st.truncatedBaskets());
            counters.put("droppedTouches", st.droppedTouches());
            counters.put("distinctPairs", st.distinctPairs());
            CsrMatrix ppmi = ppmi(counts.matrix(), options.contextSmoothing(), par, tmp);
            counters.put("ppmiNonZeros", ppmi.nnz());
            if (ppmi.nnz() > 0) {
                // With α = 1 the PPMI of symmetric counts is symmetric: no transpose needed.
                LinearOperator op = options.contextSmoothing() == 1.0
                        ? CsrOperator.symmetric(backend, ppmi)
                        : CsrOperator.withTranspose(backend, ppmi, tmp);
                SvdResult svd = new RandomizedSvd(backend, options.svdOptions()).compute(op, dim, tmp);
                counters.put("svdRank", (long) svd.rank());
                foldSingularValues(svd, n, dim, options.singularValuePower(), out, par);
            } else {
                counters.put("svdRank", 0L);
            }
        }
        return ItemEmbeddings.normalizeInPlace(out, n, dim, name(), counters);
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
     * column order as the counts; entries with PMI <= 0 are not stored.
     */
    public static CsrMatrix ppmi(CsrMatrix counts, double contextSmoothing, Backend backend, MemoryScope scope) {
        try (Workers w = Workers.of(backend)) {
            return ppmi(counts, contextSmoothing, w.parallel(), scope);
        }
    }

    // ---------------------------------------------------------------------------------------------- counting

    static Counts countPairs(EventTable events, int numItems, Options o, Parallel par, MemoryScope scope) {
        long e64 = events.size();
        if (e64 > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("at most 2^31-9 events per co-occurrence count, got " + e64);
        int nEvents = (int) e64;
        int nUsers = events.numUsers();
        I32Array userCol = events.userColumn();

        // Group event positions by user (stable counting sort), as the BoI aggregation does.
        int[] userStart = new int[nUsers + 1];
        boolean grouped = true;
        int prev = -1;
        for (int i = 0; i < nEvents; i++) {
            int u = userCol.get(i);
            if (u < 0 || u >= nUsers) throw new IllegalArgumentException("event " + i + ": user index " + u + " outside the user dictionary of " + nUsers);
            userStart[u + 1]++;
            if (u < prev) grouped = false;
            prev = u;
        }
        for (int u = 0; u < nUsers; u++) userStart[u + 1] += userStart[u];
        int[] perm = null;
        if (!grouped) {
            perm = new int[nEvents];
            int[] fill = Arrays.copyOf(userStart, nUsers);
            for (int i = 0; i < nEvents; i++) perm[fill[userCol.get(i)]++] = i;
        }

        // One chunk (and one counter) per thread, balanced by events.
        int nChunks = Math.max(1, Math.min(nUsers, par.threads()));
        int[] chunkUser = new int[nChunks + 1];
        for (int c = 1; c < nChunks; c++) {
            long target = (long) nEvents * c / nChunks;
            int lo = chunkUser[c - 1], hi = nUsers;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (userStart[mid] < target) lo = mid + 1;
                else hi = mid;
            }
            chunkUser[c] = lo;
        }
        chunkUser[nChunks] = nUsers;

        LongIntCounter[] counters = new LongIntCounter[nChunks];
        long[][] stats = new long[nChunks][4]; // zeroWeight, baskets, truncated, dropped
        final int[] permF = perm;
        par.forRange(nChunks, nChunks, 1, (chunk, lo, hi) -> {
            for (int c = (int) lo; c < hi; c++) {
                BasketCounter bc = new BasketCounter(events, numItems, o, permF);
                for (int u = chunkUser[c]; u < chunkUser[c + 1]; u++) bc.user(u, userStart[u], userStart[u + 1]);
                counters[c] = bc.pairs;
                stats[c][0] = bc.zeroWeight;
                stats[c][1] = bc.baskets;
                stats[c][2] = bc.truncated;
                stats[c][3] = bc.dropped;
            }
        });
        // Merge into the largest counter; the sums do not depend on the order.
        int big = 0;
        for (int c = 1; c < nChunks; c++) if (counters[c].size() > counters[big].size()) big = c;
        LongIntCounter all = counters[big];
        for (int c = 0; c < nChunks; c++) if (c != big) all.addAll(counters[c]);
        long[] tot = new long[4];
        for (long[] s : stats) for (int j = 0; j < 4; j++) tot[j] += s[j];
        BasketStats bs = new BasketStats(nEvents, tot[0], tot[1], tot[2], tot[3], all.size());
        return new Counts(toSymmetricCsr(all, numItems, par, scope), bs);
    }

    /** Per-thread basket walker: reusable primitive buffers, one pair counter. */
    private static final class BasketCounter {
        final EventTable events;
        final int numItems;
        final Options o;
        final int[] perm;
        final LongIntCounter pairs = new LongIntCounter(1 << 12);
        long zeroWeight, baskets, truncated, dropped;
        long[] periods = new long[64];
        int[] items = new int[64];
        long[] keys = new long[64];
        long[] distinctPeriods = new long[64];
        int[] basket = new int[64];
        long[] hashes = new long[64];

        BasketCounter(EventTable events, int numItems, Options o, int[] perm) {
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
                items = new int[cap];
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
                items[n] = item;
                n++;
            }
            if (n == 0) return;
            // Period ranks make (period, item) one sortable long whatever the span of periods.
            System.arraycopy(periods, 0, distinctPeriods, 0, n);
            Arrays.sort(distinctPeriods, 0, n);
            int m = 1;
            for (int i = 1; i < n; i++) if (distinctPeriods[i] != distinctPeriods[m - 1]) distinctPeriods[m++] = distinctPeriods[i];
            for (int i = 0; i < n; i++) keys[i] = ((long) Arrays.binarySearch(distinctPeriods, 0, m, periods[i]) << 32) | items[i];
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

        /** Counts the pairs of basket[0..s), cut to the cap first. Items arrive ascending and distinct. */
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
            for (int a = 0; a < s - 1; a++) {
                long hi = (long) basket[a] << 32;
                for (int b = a + 1; b < s; b++) pairs.add(hi | basket[b], 1);
            }
        }
    }

    /** Both directions of every unordered pair, rows with ascending columns, float32 counts. */
    private static CsrMatrix toSymmetricCsr(LongIntCounter pairs, int n, Parallel par, MemoryScope scope) {
        long nnz = 2L * pairs.size();
        if (nnz > Integer.MAX_VALUE - 8) throw new IllegalStateException(pairs.size() + " distinct item pairs is more than one CSR matrix holds: lower maxBasketSize");
        long[] ptr = new long[n + 1];
        long[] keys = pairs.keys();
        int[] vals = pairs.values();
        for (long k : keys) {
            if (k < 0) continue;
            ptr[(int) (k >>> 32) + 1]++;
            ptr[(int) k + 1]++;
        }
        for (int i = 0; i < n; i++) ptr[i + 1] += ptr[i];
        long[] packed = new long[(int) nnz]; // (column << 32) | count: sorting by column sorts the pair along
        long[] pos = Arrays.copyOf(ptr, n);
        for (int s = 0; s < keys.length; s++) {
            long k = keys[s];
            if (k < 0) continue;
            int i = (int) (k >>> 32), j = (int) k;
            long c = vals[s] & 0xFFFFFFFFL;
            packed[(int) pos[i]++] = ((long) j << 32) | c;
            packed[(int) pos[j]++] = ((long) i << 32) | c;
        }
        I64Array rowPtr = scope.allocateI64(n + 1L);
        I32Array col = scope.allocateI32(nnz);
        F32Array val = scope.allocateF32(nnz);
        rowPtr.copyFrom(ptr, 0, 0, n + 1);
        par.forRange(n, 256, (chunk, lo, hi) -> {
            for (int i = (int) lo; i < hi; i++) {
                int a = (int) ptr[i], b = (int) ptr[i + 1];
                Arrays.sort(packed, a, b);
                for (int p = a; p < b; p++) {
                    col.set(p, (int) (packed[p] >>> 32));
                    val.set(p, (float) (packed[p] & 0xFFFFFFFFL));
                }
            }
        });
        return new CsrMatrix(n, n, rowPtr, col, val);
    }

    // ---------------------------------------------------------------------------------------------- PPMI

    static CsrMatrix ppmi(CsrMatrix counts, double alpha, Parallel par, MemoryScope scope) {
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

        // Two passes over rows (count, then fill) so that every row is written by one thread into its own range.
        long[] outPtr = new long[n + 1];
        par.forRange(n, 256, (chunk, lo, hi) -> {
            for (int i = (int) lo; i < hi; i++) {
                long kept = 0;
                for (long p = ptr.get(i), e = ptr.get(i + 1); p < e; p++) {
                    float c = val.get(p);
                    if (c > 0 && Math.log(c) - logRow[i] - logCtx[col.get(p)] + logZ > 0) kept++;
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
                    float c = val.get(p);
                    if (!(c > 0)) continue;
                    int j = col.get(p);
                    double pmi = Math.log(c) - logRow[i] - logCtx[j] + logZ;
                    if (pmi > 0) {
                        oc.set(q, j);
                        ov.set(q, (float) pmi);
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
