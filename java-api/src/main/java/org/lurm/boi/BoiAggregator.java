package org.lurm.boi;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.lurm.backend.cpu.BackendChecks;
import org.lurm.backend.cpu.Parallel;
import org.lurm.events.EventTable;
import org.lurm.events.UserGrouping;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.memory.MemoryScope;

/**
 * The CPU Bag-of-Interests aggregation (MODEL.md, Stage 1).
 *
 * <p>Algorithm: a stable counting sort of event positions by user (skipped when the table is already
 * grouped by user); then, in parallel over user ranges balanced by event count, for each user and scale the
 * distinct (period, interest) cells in order, their weights summed in double in event order: for a user with
 * at least 24 events whose periods at the scale span at most 2 x events + 64, an LSD radix sort of the user's
 * events by interest (once per user) and a stable counting sort by period (per scale), no comparison sort; else
 * one primitive sort of packed (period, interest, event) keys (per period when the events are in time order),
 * or an open-addressing hash when those keys do not fit 63 bits. Periods beyond T_max are folded into the history
 * row; each chunk writes its non-zeros straight into the off-heap result at the start of its bound (events x
 * scales), and one sequential pass closes the gaps. Document frequencies come from a last pass with one marker
 * array per thread. Nothing is ever densified to K: per-user work is O(events log events) at most.
 *
 * <p>Entries whose summed weight is exactly 0 (zero-weight events) are not stored, so a period with only
 * zero-weight events has no row.
 *
 * <p>Thread-safe (stateless).
 */
public final class BoiAggregator {
    private static final boolean TRACE = Boolean.getBoolean("lurm.boi.trace");

    private BoiAggregator() {
    }

    /** Single-threaded convenience. */
    public static BoiSet aggregate(EventTable events, I32Array itemInterest, int numInterests, BoiConfig config, MemoryScope scope) {
        try (Parallel p = new Parallel(1)) {
            return aggregate(events, itemInterest, numInterests, config, scope, p);
        }
    }

    @SuppressWarnings("exports") // internal: for lurm's own modules (docs/API.md)
    public static BoiSet aggregate(EventTable events, I32Array itemInterest, int numInterests, BoiConfig config, MemoryScope scope, Parallel par) {
        BackendChecks.checkAggregate(events, itemInterest, numInterests);
        long T0 = System.nanoTime();
        // 1. Group event positions by user (stable), unless the table already is; 2. user ranges balanced by events.
        UserGrouping grouping = UserGrouping.of(events);
        int nEvents = (int) events.size(); // UserGrouping checked the range
        int nUsers = events.numUsers();
        int[] userStart = grouping.userStart();
        int[] chunkUser = grouping.balancedChunks(par.threads() * 8);
        int nChunks = chunkUser.length - 1;
        ChunkOut[] outs = new ChunkOut[nChunks];
        int[] userRows = new int[nUsers];
        final int[] permF = grouping.perm();
        int nScales = config.scales().size();
        // Every event adds at most one cell per scale (folding only merges): events x scales bounds a chunk's
        // non-zeros. Each chunk writes its non-zeros straight into the result at the start of its bound, then one
        // sequential pass closes the gaps. Large allocations are mapped (MemoryScope), so the bound's untouched
        // pages cost nothing, and the non-zeros are never copied from the heap.
        long[] nnzBound = new long[nChunks + 1];
        for (int c = 0; c < nChunks; c++) {
            nnzBound[c + 1] = nnzBound[c] + (long) (userStart[chunkUser[c + 1]] - userStart[chunkUser[c]]) * nScales;
        }
        I32Array colsAll = scope.allocateI32(nnzBound[nChunks]);
        F32Array valsAll = scope.allocateF32(nnzBound[nChunks]);
        par.forRange(nChunks, nChunks, 1, (chunk, lo, hi) -> {
            for (long c = lo; c < hi; c++) {
                int u0 = chunkUser[(int) c], u1 = chunkUser[(int) c + 1];
                ChunkOut out = new ChunkOut(colsAll, valsAll, nnzBound[(int) c], nnzBound[(int) c + 1] - nnzBound[(int) c]);
                new UserWorker(events, itemInterest, numInterests, config, permF, userStart, out, userRows).run(u0, u1);
                outs[(int) c] = out;
            }
        });

        long T1 = System.nanoTime();
        // 3. Close the gaps between chunks (in order: a chunk only moves down, never onto a later chunk's data) and
        //    copy the rows into off-heap CSR, every chunk's rows by its own task.
        long rows = 0, nnz = 0, skipped = 0;
        long[] rowOff = new long[nChunks + 1], nnzOff = new long[nChunks + 1];
        for (int c = 0; c < nChunks; c++) {
            ChunkOut o = outs[c];
            if (nnz != nnzBound[c] && o.nnz > 0) {
                MemorySegment.copy(colsAll.segment(), nnzBound[c] * 4, colsAll.segment(), nnz * 4, o.nnz * 4L);
                MemorySegment.copy(valsAll.segment(), nnzBound[c] * 4, valsAll.segment(), nnz * 4, o.nnz * 4L);
            }
            rows += o.rows;
            nnz += o.nnz;
            skipped += o.skipped;
            rowOff[c + 1] = rows;
            nnzOff[c + 1] = nnz;
        }
        I32Array cols = colsAll.slice(0, nnz);
        F32Array vals = valsAll.slice(0, nnz);
        I64Array rowPtr = scope.allocateI64(rows + 1);
        I32Array rowUser = scope.allocateI32(rows);
        I32Array rowScale = scope.allocateI32(rows);
        I64Array rowPeriod = scope.allocateI64(rows);
        I64Array userRowPtr = scope.allocateI64(nUsers + 1L);
        par.forRange(nChunks, nChunks, 1, (chunk, lo, hi) -> {
            for (long cc = lo; cc < hi; cc++) {
                int c = (int) cc;
                ChunkOut o = outs[c];
                long r0 = rowOff[c], n0 = nnzOff[c];
                for (int r = 0; r < o.rows; r++) rowPtr.set(r0 + r, n0 + o.rowStart[r]);
                rowUser.copyFrom(o.rowUser, 0, r0, o.rows);
                rowScale.copyFrom(o.rowScale, 0, r0, o.rows);
                rowPeriod.copyFrom(o.rowPeriod, 0, r0, o.rows);
                outs[c] = null; // the heap copy can go as soon as it is off the heap
            }
        });
        rowPtr.set(rows, nnz);
        long acc = 0;
        for (int u = 0; u < nUsers; u++) {
            userRowPtr.set(u, acc);
            acc += userRows[u];
        }
        userRowPtr.set(nUsers, acc);
        long T2 = System.nanoTime();
        I32Array df = scope.allocateI32(numInterests);
        documentFrequencies(rowPtr, cols, userRowPtr, nUsers, numInterests, df, par);
        long T3 = System.nanoTime();
        if (TRACE) System.err.printf("[boi] users %.0f ms, concat %.0f ms, df %.0f ms%n", (T1 - T0) / 1e6, (T2 - T1) / 1e6, (T3 - T2) / 1e6);
        return new BoiSet(config, numInterests, nUsers, rowPtr, cols, vals, rowUser, rowScale, rowPeriod, userRowPtr, df,
                nEvents - skipped, skipped);
    }

    /** df[k] = number of users with any non-zero on interest k (one marker array per chunk, then summed). */
    static void documentFrequencies(I64Array rowPtr, I32Array cols, I64Array userRowPtr, int nUsers, int numInterests, I32Array df, Parallel par) {
        int chunks = Math.max(1, Math.min(par.threads(), nUsers));
        int[][] partial = new int[chunks][];
        par.forRange(nUsers, chunks, 1, (chunk, lo, hi) -> {
            int[] d = new int[numInterests];
            int[] mark = new int[numInterests];
            Arrays.fill(mark, -1);
            for (long u = lo; u < hi; u++) {
                for (long r = userRowPtr.get(u), re = userRowPtr.get(u + 1); r < re; r++) {
                    for (long j = rowPtr.get(r), je = rowPtr.get(r + 1); j < je; j++) {
                        int k = cols.get(j);
                        if (mark[k] != (int) u) {
                            mark[k] = (int) u;
                            d[k]++;
                        }
                    }
                }
            }
            partial[chunk] = d;
        });
        for (int k = 0; k < numInterests; k++) {
            int s = 0;
            for (int[] p : partial) if (p != null) s += p[k];
            df.set(k, s);
        }
    }

    /**
     * Per-chunk output: rows in growable heap arrays, non-zeros straight into an off-heap region whose bound is known
     * in advance (the aggregator: events x scales; the merge: the two sets' non-zeros).
     */
    static final class ChunkOut {
        int rows, nnz;
        long skipped;
        int[] rowStart = new int[64];
        int[] rowUser = new int[64];
        int[] rowScale = new int[64];
        long[] rowPeriod = new long[64];
        private final I32Array colsOut;
        private final F32Array valsOut;
        private final long outBase;
        private final long outCap;

        /** Non-zeros into {@code cols} / {@code vals} at [base, base + cap); more than cap is a bug (the bound is exact). */
        ChunkOut(I32Array cols, F32Array vals, long base, long cap) {
            this.colsOut = cols;
            this.valsOut = vals;
            this.outBase = base;
            this.outCap = Math.min(cap, Integer.MAX_VALUE - 16);
        }

        void beginRow(int user, int scaleCode, long period) {
            if (rows == rowStart.length) {
                int cap = rows * 2;
                rowStart = Arrays.copyOf(rowStart, cap);
                rowUser = Arrays.copyOf(rowUser, cap);
                rowScale = Arrays.copyOf(rowScale, cap);
                rowPeriod = Arrays.copyOf(rowPeriod, cap);
            }
            rowStart[rows] = nnz;
            rowUser[rows] = user;
            rowScale[rows] = scaleCode;
            rowPeriod[rows] = period;
            rows++;
        }

        void add(int col, float val) {
            if (nnz == outCap) {
                throw new IllegalStateException("more than " + outCap + " non-zeros in one aggregation chunk"
                        + (outCap >= Integer.MAX_VALUE - 16 ? ": aggregate in parts and merge" : " (its bound): a bug"));
            }
            colsOut.set(outBase + nnz, col);
            valsOut.set(outBase + nnz, val);
            nnz++;
        }
    }

    /** Aggregates a range of users into one {@link ChunkOut}; holds reusable scratch space. */
    private static final class UserWorker {
        private final EventTable ev;
        private final I32Array itemInterest;
        private final int numInterests;
        private final BoiConfig cfg;
        private final int[] perm;
        private final int[] userStart;
        private final ChunkOut out;
        private final int[] userRows;
        private final int kBits;
        private final long kMask;
        private final LongDoubleHash hash = new LongDoubleHash();
        private int[] interest = new int[64];
        private float[] weight = new float[64];
        private long[] time = new long[64];
        private long[] period = new long[64];
        private long[] sortKeys = new long[64];
        private long[] keys = new long[64];
        private double[] sums = new double[64];
        // The radix path (cellsByRadix): the user's events in interest order, scratch for the passes, counters.
        private int[] byInterest = new int[64];
        private int[] radixTmp = new int[64];
        private final int[] digitCount = new int[1 << RADIX_BITS];
        private int[] periodCount = new int[64];
        private boolean byInterestReady;

        UserWorker(EventTable ev, I32Array itemInterest, int numInterests, BoiConfig cfg, int[] perm, int[] userStart, ChunkOut out, int[] userRows) {
            this.ev = ev;
            this.itemInterest = itemInterest;
            this.numInterests = numInterests;
            this.cfg = cfg;
            this.perm = perm;
            this.userStart = userStart;
            this.out = out;
            this.userRows = userRows;
            this.kBits = Math.max(1, 32 - Integer.numberOfLeadingZeros(numInterests - 1));
            this.kMask = (1L << kBits) - 1;
        }

        void run(int uLo, int uHi) {
            for (int u = uLo; u < uHi; u++) user(u);
        }

        private void user(int u) {
            int s0 = userStart[u], n = userStart[u + 1] - s0;
            if (n == 0) return;
            if (interest.length < n) {
                int cap = Math.max(n, interest.length * 2);
                interest = new int[cap];
                weight = new float[cap];
                time = new long[cap];
            }
            // Gather this user's events once (interest, weighted value, time), in table order.
            int m = 0;
            for (int q = 0; q < n; q++) {
                int i = perm == null ? s0 + q : perm[s0 + q];
                int item = ev.item(i);
                int k = itemInterest.get(item);
                if (k < 0) {
                    if (cfg.lenient()) {
                        out.skipped++;
                        continue;
                    }
                    throw new IllegalArgumentException("event " + i + " (user '" + ev.users().id(u) + "'): item '" + ev.items().id(item)
                            + "' has no interest; assign it (e.g. from its text embedding) or aggregate with lenient=true to skip and count such events");
                }
                if (k >= numInterests) throw new IllegalArgumentException("item '" + ev.items().id(item) + "' maps to interest " + k + " but K = " + numInterests);
                float w = ev.weight(i) * cfg.typeWeight(ev.type(i));
                interest[m] = k;
                weight[m] = w;
                time[m] = ev.timestamp(i);
                m++;
            }
            int rowsBefore = out.rows;
            byInterestReady = false;
            for (int s = 0; s < cfg.scales().size(); s++) scale(u, s, m);
            userRows[u] = out.rows - rowsBefore;
        }

        private void scale(int u, int s, int m) {
            if (m == 0) return;
            Scale sc = cfg.scales().get(s);
            long origin = cfg.origin();
            long len = sc.periodSeconds();
            if (period.length < m) period = new long[Math.max(m, interest.length)];
            long pMin = Long.MAX_VALUE, pMax = Long.MIN_VALUE;
            // The division runs once per change of period: [dLo, dLo + len) is the current period's span.
            long p = 0, dLo = 1, dSpan = 0;
            for (int q = 0; q < m; q++) {
                long t = time[q];
                long d = t - origin;
                if (((t ^ origin) & (t ^ d)) < 0) throw spanError(u, sc, t, origin);
                if (d < dLo || Long.compareUnsigned(d - dLo, dSpan) >= 0) {
                    p = Math.floorDiv(d, len);
                    dLo = p * len; // no overflow: p * len lies in (d - len, d]
                    dSpan = len;
                }
                period[q] = p;
                if (p < pMin) pMin = p;
                if (p > pMax) pMax = p;
            }
            long span = pMax - pMin;
            if (span < 0 || span > (Long.MAX_VALUE >>> kBits)) throw spanError(u, sc, pMin, pMax);
            int pBits = 64 - Long.numberOfLeadingZeros(span);
            int iBits = Math.max(1, 32 - Integer.numberOfLeadingZeros(m - 1));
            int d;
            if (pBits + kBits + iBits > 63) d = cellsByHash(m, pMin);
            else if (m >= RADIX_MIN_EVENTS && span < 2L * m + 64) d = cellsByRadix(m, pMin, (int) span + 1, iBits);
            else d = cellsBySort(m, pMin, iBits);
            if (d == 0) return;
            emitRows(u, s, sc.tMax(), pMin, d);
        }

        /** Users with at least this many events take the radix path (below it the per-period sorts are cheaper). */
        private static final int RADIX_MIN_EVENTS = 24;
        private static final int RADIX_BITS = 8;

        /**
         * The same cells as {@link #cellsBySort}, in the same order and with the same sums, without a comparison
         * sort: the user's events are put in interest order once (an LSD radix sort over the interest's bits,
         * shared by every scale), then, per scale, a counting sort by period, which is stable, so each period's
         * events come out by interest and, within an interest, in event order (the order the sums run in).
         * The keys come out packed as {@link #cellsBySort} packs them, for the same summing pass; {@code periods} is
         * the scale's span + 1 (bounded by the caller).
         */
        private int cellsByRadix(int m, long pMin, int periods, int iBits) {
            if (!byInterestReady) {
                sortByInterest(m);
                byInterestReady = true;
            }
            if (periodCount.length < periods + 1) periodCount = new int[Math.max(periods + 1, periodCount.length * 2)];
            int[] pc = periodCount;
            Arrays.fill(pc, 0, periods + 1, 0);
            int n = 0;
            for (int q = 0; q < m; q++) {
                if (weight[q] == 0f) continue;
                pc[(int) (period[q] - pMin) + 1]++;
                n++;
            }
            if (n == 0) return 0;
            for (int x = 0; x < periods; x++) pc[x + 1] += pc[x];
            if (sortKeys.length < n) sortKeys = new long[Math.max(n, sortKeys.length * 2)];
            int shift = kBits + iBits;
            for (int x = 0; x < m; x++) {
                int q = byInterest[x];
                if (weight[q] == 0f) continue;
                long rel = period[q] - pMin;
                sortKeys[pc[(int) rel]++] = (rel << shift) | ((long) interest[q] << iBits) | q;
            }
            return sumCells(n, iBits);
        }

        /** byInterest[0..m) = the events 0..m-1 stably ordered by interest (LSD radix, RADIX_BITS per pass). */
        private void sortByInterest(int m) {
            if (byInterest.length < m) {
                byInterest = new int[Math.max(m, byInterest.length * 2)];
                radixTmp = new int[byInterest.length];
            }
            int[] src = byInterest, dst = radixTmp;
            for (int q = 0; q < m; q++) src[q] = q;
            int[] cnt = digitCount;
            int mask = (1 << RADIX_BITS) - 1;
            for (int shift = 0; shift < kBits; shift += RADIX_BITS) {
                Arrays.fill(cnt, 0);
                for (int x = 0; x < m; x++) cnt[(interest[src[x]] >>> shift) & mask]++;
                int sum = 0;
                for (int b = 0; b <= mask; b++) {
                    int c = cnt[b];
                    cnt[b] = sum;
                    sum += c;
                }
                for (int x = 0; x < m; x++) {
                    int q = src[x];
                    dst[cnt[(interest[q] >>> shift) & mask]++] = q;
                }
                int[] t = src;
                src = dst;
                dst = t;
            }
            byInterest = src;
            radixTmp = dst;
        }

        /**
         * Distinct (period, interest) cells into keys/sums, sorted, by one primitive sort of packed
         * (period, interest, event) keys: the event position rides in the low bits so the weights follow
         * without a second array sort, and sums run in event order (as a naive aggregation would).
         */
        private int cellsBySort(int m, long pMin, int iBits) {
            if (sortKeys.length < m) sortKeys = new long[Math.max(m, sortKeys.length * 2)];
            int shift = kBits + iBits;
            int n = 0;
            for (int q = 0; q < m; q++) {
                if (weight[q] == 0f) continue;
                sortKeys[n++] = ((period[q] - pMin) << shift) | ((long) interest[q] << iBits) | q;
            }
            if (n == 0) return 0;
            // Logs are usually time-ordered per user: then periods already ascend and only each period's
            // run needs sorting (by interest), which is much cheaper than sorting the whole user.
            long sh = shift;
            boolean periodsAscend = true;
            for (int x = 1; x < n && periodsAscend; x++) periodsAscend = (sortKeys[x] >>> sh) >= (sortKeys[x - 1] >>> sh);
            if (periodsAscend) {
                int from = 0;
                for (int x = 1; x <= n; x++) {
                    if (x == n || (sortKeys[x] >>> sh) != (sortKeys[from] >>> sh)) {
                        if (x - from > SMALL_RUN) Arrays.sort(sortKeys, from, x);
                        else if (x - from > 1) insertionSort(sortKeys, from, x);
                        from = x;
                    }
                }
            } else {
                Arrays.sort(sortKeys, 0, n);
            }
            return sumCells(n, iBits);
        }

        /**
         * sortKeys[0..n) hold packed (period, interest, event) keys in (period, interest) order, each cell's events
         * in event order: the distinct cells into keys, their weights summed in double in that order into sums.
         */
        private int sumCells(int n, int iBits) {
            ensureCells(n);
            long iMask = (1L << iBits) - 1;
            int d = 0;
            long cur = sortKeys[0] >>> iBits;
            double acc = 0;
            for (int x = 0; x < n; x++) {
                long k = sortKeys[x];
                long cell = k >>> iBits;
                if (cell != cur) {
                    keys[d] = cur;
                    sums[d++] = acc;
                    cur = cell;
                    acc = 0;
                }
                acc += weight[(int) (k & iMask)];
            }
            keys[d] = cur;
            sums[d++] = acc;
            return d;
        }

        /** Runs up to this length are sorted in place by insertion (most periods hold a few events). */
        private static final int SMALL_RUN = 16;

        private static void insertionSort(long[] a, int from, int to) {
            for (int i = from + 1; i < to; i++) {
                long v = a[i];
                int j = i - 1;
                while (j >= from && a[j] > v) {
                    a[j + 1] = a[j];
                    j--;
                }
                a[j + 1] = v;
            }
        }

        /** The same cells through a hash, for users whose packed keys would not fit in 63 bits. */
        private int cellsByHash(int m, long pMin) {
            hash.reset(m);
            for (int q = 0; q < m; q++) {
                if (weight[q] == 0f) continue;
                hash.add(((period[q] - pMin) << kBits) | interest[q], weight[q]);
            }
            int d = hash.size();
            ensureCells(d);
            hash.keys(keys);
            Arrays.sort(keys, 0, d);
            for (int q = 0; q < d; q++) sums[q] = hash.get(keys[q]);
            return d;
        }

        private void ensureCells(int n) {
            if (keys.length < n) {
                keys = new long[Math.max(n, keys.length * 2)];
                sums = new double[keys.length];
            }
        }

        /** Emits the history row (periods beyond the newest tMax, summed) and one row per kept period. */
        private void emitRows(int u, int s, int tMax, long pMin, int d) {
            int periods = 0;
            for (int q = 0; q < d; q++) if (q == 0 || (keys[q] >>> kBits) != (keys[q - 1] >>> kBits)) periods++;
            int fold = Math.max(0, periods - tMax);
            int q = 0;
            if (fold > 0) {
                int seen = 0;
                int end = 0;
                while (end < d) {
                    if (end == 0 || (keys[end] >>> kBits) != (keys[end - 1] >>> kBits)) {
                        if (seen == fold) break;
                        seen++;
                    }
                    end++;
                }
                long newestFolded = pMin + (keys[end - 1] >>> kBits);
                hash.reset(end);
                for (int x = 0; x < end; x++) hash.add(keys[x] & kMask, sums[x]);
                int hd = hash.size();
                long[] hk = new long[hd];
                hash.keys(hk);
                Arrays.sort(hk);
                out.beginRow(u, BoiSet.scaleCode(s, true), newestFolded);
                for (long k : hk) out.add((int) k, (float) hash.get(k));
                q = end;
            }
            while (q < d) {
                long rel = keys[q] >>> kBits;
                out.beginRow(u, BoiSet.scaleCode(s, false), pMin + rel);
                while (q < d && (keys[q] >>> kBits) == rel) {
                    out.add((int) (keys[q] & kMask), (float) sums[q]);
                    q++;
                }
            }
        }

        private IllegalArgumentException spanError(int u, Scale sc, long a, long b) {
            return new IllegalArgumentException("user '" + ev.users().id(u) + "': timestamps span more periods of scale '" + sc.name()
                    + "' than can be indexed (" + a + " .. " + b + "); check the timestamp unit (seconds expected)");
        }
    }

    /** Open-addressing hash from non-negative long keys to double sums; reset in O(used). */
    static final class LongDoubleHash {
        private long[] k = new long[64];
        private double[] v = new double[64];
        private int[] used = new int[64];
        private int size;
        private int mask = 63;

        LongDoubleHash() {
            Arrays.fill(k, -1);
        }

        /** Empties the table and makes room for {@code expected} keys at load factor <= 1/2. */
        void reset(int expected) {
            for (int i = 0; i < size; i++) k[used[i]] = -1;
            size = 0;
            int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
            if (cap > k.length) {
                k = new long[cap];
                v = new double[cap];
                used = new int[cap];
                mask = cap - 1;
                Arrays.fill(k, -1);
            }
        }

        private static int mix(long x) {
            x ^= x >>> 33;
            x *= 0xff51afd7ed558ccdL;
            x ^= x >>> 33;
            return (int) x;
        }

        void add(long key, double w) {
            int i = mix(key) & mask;
            while (true) {
                long kk = k[i];
                if (kk == key) {
                    v[i] += w;
                    return;
                }
                if (kk == -1) {
                    k[i] = key;
                    v[i] = w;
                    used[size++] = i;
                    return;
                }
                i = (i + 1) & mask;
            }
        }

        double get(long key) {
            int i = mix(key) & mask;
            while (true) {
                long kk = k[i];
                if (kk == key) return v[i];
                if (kk == -1) return 0;
                i = (i + 1) & mask;
            }
        }

        int size() {
            return size;
        }

        void keys(long[] dst) {
            for (int i = 0; i < size; i++) dst[i] = k[used[i]];
        }
    }
}
