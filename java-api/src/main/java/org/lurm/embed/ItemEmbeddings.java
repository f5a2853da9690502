package org.lurm.embed;

import java.util.BitSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;

/**
 * The item embeddings of one {@link ItemEmbedder} run (MODEL.md, "Item embedding module"): a numItems x dim
 * row-major float32 matrix whose row i belongs to item index i of the item dictionary the embedder was given.
 *
 * <p><b>Invariant.</b> Every row is either L2-normalised (an item that has an embedding, {@link #isPresent}) or
 * all zeros (an item with no data: never seen in behaviours, no text, not in the file, ...). Downstream code can
 * therefore use dot products as cosines and skip absent items by {@link #isPresent} without testing norms.
 *
 * <p><b>Ownership.</b> {@link #vectors()} normally lives in the {@link MemoryScope} passed to the embedder (or to
 * {@link #normalizeInPlace}); the one exception is the zero-copy path of {@link PrecomputedEmbedder} and
 * {@link EmbeddingFile}, where it is a read-only view of a memory-mapped file, documented there. Presence flags
 * and counters are on-heap copies.
 *
 * <p><b>Counters.</b> What the run counted, by name (events read, baskets truncated, ids skipped, ...), so that
 * nothing an embedder leaves out goes unreported.
 *
 * <p><b>Thread-safety.</b> Immutable after construction (as long as nobody writes {@link #vectors()}); safe for
 * concurrent reads.
 */
public final class ItemEmbeddings {
    /**
     * Rows whose norm is at or below this fraction of the largest row norm are treated as having no data:
     * normalising them would blow float32 rounding noise up to a unit vector.
     */
    public static final double DEFAULT_RELATIVE_NORM_FLOOR = 1e-6;

    private final int numItems;
    private final int dim;
    private final F32Array vectors;
    private final BitSet present;
    private final int presentCount;
    private final String source;
    private final Map<String, Long> counters;

    ItemEmbeddings(int numItems, int dim, F32Array vectors, BitSet present, String source, Map<String, Long> counters) {
        if (numItems < 0) throw new IllegalArgumentException("numItems must be >= 0, got " + numItems);
        if (dim < 1) throw new IllegalArgumentException("embedding width must be >= 1, got " + dim);
        if (vectors.length() != (long) numItems * dim) {
            throw new IllegalArgumentException("embedding matrix has " + vectors.length() + " floats, expected " + numItems + " x " + dim);
        }
        this.numItems = numItems;
        this.dim = dim;
        this.vectors = vectors;
        this.present = (BitSet) present.clone();
        this.presentCount = this.present.cardinality();
        this.source = Objects.requireNonNull(source);
        this.counters = Collections.unmodifiableMap(new LinkedHashMap<>(counters));
    }

    /**
     * Normalises the rows of {@code vectors} (numItems x dim, row-major) in place and wraps it (no copy): rows
     * whose norm is 0, or at or below {@link #DEFAULT_RELATIVE_NORM_FLOOR} of the largest row norm, are set to
     * zero and marked absent; all other rows are scaled to unit length. The array stays owned by whoever
     * allocated it.
     *
     * @throws IllegalArgumentException naming the item index if a value is NaN or infinite
     */
    public static ItemEmbeddings normalizeInPlace(F32Array vectors, int numItems, int dim, String source, Map<String, Long> counters) {
        if (dim < 1) throw new IllegalArgumentException("embedding width must be >= 1, got " + dim);
        if (vectors.length() != (long) numItems * dim) {
            throw new IllegalArgumentException("embedding matrix has " + vectors.length() + " floats, expected " + numItems + " x " + dim);
        }
        float[] row = new float[dim];
        double[] norm = new double[numItems];
        double max = 0;
        for (int i = 0; i < numItems; i++) {
            vectors.copyTo((long) i * dim, row, 0, dim);
            double ss = 0;
            for (int j = 0; j < dim; j++) {
                float x = row[j];
                if (!Float.isFinite(x)) throw new IllegalArgumentException(source + ": embedding of item " + i + " has a non-finite value " + x + " at position " + j);
                ss += (double) x * x;
            }
            norm[i] = Math.sqrt(ss);
            max = Math.max(max, norm[i]);
        }
        double floor = max * DEFAULT_RELATIVE_NORM_FLOOR;
        BitSet present = new BitSet(numItems);
        Map<String, Long> c = new LinkedHashMap<>(counters);
        long belowFloor = 0;
        for (int i = 0; i < numItems; i++) {
            long off = (long) i * dim;
            if (norm[i] == 0) continue;
            if (norm[i] <= floor) {
                vectors.slice(off, dim).segment().fill((byte) 0);
                belowFloor++;
                continue;
            }
            vectors.copyTo(off, row, 0, dim);
            double inv = 1.0 / norm[i];
            for (int j = 0; j < dim; j++) row[j] = (float) (row[j] * inv);
            vectors.copyFrom(row, 0, off, dim);
            present.set(i);
        }
        if (belowFloor > 0) c.merge("rowsBelowNormFloor", belowFloor, Long::sum);
        return new ItemEmbeddings(numItems, dim, vectors, present, source, c);
    }

    /** Wraps rows that the caller has checked to be unit-norm or zero (zero-copy paths). */
    static ItemEmbeddings ofCheckedRows(int numItems, int dim, F32Array vectors, BitSet present, String source, Map<String, Long> counters) {
        return new ItemEmbeddings(numItems, dim, vectors, present, source, counters);
    }

    public int numItems() {
        return numItems;
    }

    /** Embedding width e. */
    public int dim() {
        return dim;
    }

    /** numItems x dim, row-major: unit rows for present items, zero rows for absent ones. */
    public F32Array vectors() {
        return vectors;
    }

    /** Whether item i has an embedding (a unit row); false for items with no data. */
    public boolean isPresent(int item) {
        if (item < 0 || item >= numItems) throw new IndexOutOfBoundsException("item " + item + " outside [0, " + numItems + ")");
        return present.get(item);
    }

    public int presentCount() {
        return presentCount;
    }

    /** A copy of the presence flags. */
    public BitSet presence() {
        return (BitSet) present.clone();
    }

    /** Which embedder made these ("cooccurrence", "text", "precomputed:...", "concat(...)"). */
    public String source() {
        return source;
    }

    /** What the run counted, by name, in the order counted. */
    public Map<String, Long> counters() {
        return counters;
    }

    /** A counter's value, 0 when never counted. */
    public long counter(String name) {
        return counters.getOrDefault(name, 0L);
    }

    /** A copy of item i's vector. */
    public float[] vector(int item) {
        float[] v = new float[dim];
        copyVector(item, v, 0);
        return v;
    }

    public void copyVector(int item, float[] dst, int dstOff) {
        if (item < 0 || item >= numItems) throw new IndexOutOfBoundsException("item " + item + " outside [0, " + numItems + ")");
        vectors.copyTo((long) item * dim, dst, dstOff, dim);
    }

    /** Dot product of two items' vectors: their cosine when both are present, 0 when either is absent. */
    public double dot(int a, int b) {
        if (a < 0 || a >= numItems || b < 0 || b >= numItems) throw new IndexOutOfBoundsException("items " + a + ", " + b + " outside [0, " + numItems + ")");
        double s = 0;
        long oa = (long) a * dim, ob = (long) b * dim;
        for (int j = 0; j < dim; j++) s += (double) vectors.get(oa + j) * vectors.get(ob + j);
        return s;
    }

    @Override
    public String toString() {
        return "ItemEmbeddings[" + source + ", " + numItems + " items (" + presentCount + " present) x " + dim + "]";
    }
}
