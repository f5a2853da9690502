package org.lurm.embed;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.lurm.backend.Backend;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;

/**
 * Several embedders side by side (MODEL.md, "Item embedding module"): each part's row is L2-normalised (and
 * multiplied by the part's weight, default 1), the parts are concatenated, then the whole row is normalised.
 * With weights w_p the cosine of two items present in every part is Σ w_p² cos_p / Σ w_p²: equal weights give
 * every part an equal say whatever its width. An item is present when any part of weight > 0 has it; absent parts
 * contribute zeros, so such an item is compared on the parts it has.
 *
 * <p><b>Ownership.</b> Each part runs in a child scope of the given scope, freed once its rows are copied; the
 * result is allocated in the given scope. Thread-safety: immutable; may run concurrently.
 */
public final class ConcatEmbedder implements ItemEmbedder {
    private final List<ItemEmbedder> parts;
    private final double[] weights;

    public ConcatEmbedder(List<ItemEmbedder> parts) {
        this(parts, null);
    }

    /** @param weights one non-negative weight per part (null: all 1) */
    public ConcatEmbedder(List<ItemEmbedder> parts, double[] weights) {
        if (parts == null || parts.isEmpty()) throw new IllegalArgumentException("a concatenation needs at least one part");
        this.parts = List.copyOf(parts);
        this.weights = checkWeights(weights, parts.size());
    }

    private static double[] checkWeights(double[] weights, int n) {
        if (weights == null) {
            double[] w = new double[n];
            java.util.Arrays.fill(w, 1);
            return w;
        }
        if (weights.length != n) throw new IllegalArgumentException(n + " parts but " + weights.length + " weights");
        boolean any = false;
        for (int i = 0; i < n; i++) {
            if (!(weights[i] >= 0) || Double.isInfinite(weights[i])) throw new IllegalArgumentException("weight of part " + i + " must be finite and >= 0, got " + weights[i]);
            any |= weights[i] > 0;
        }
        if (!any) throw new IllegalArgumentException("at least one part weight must be > 0");
        return weights.clone();
    }

    @Override
    public String name() {
        StringBuilder sb = new StringBuilder("concat(");
        for (int i = 0; i < parts.size(); i++) sb.append(i == 0 ? "" : "+").append(parts.get(i).name());
        return sb.append(')').toString();
    }

    @Override
    public int dimension() {
        int d = 0;
        for (ItemEmbedder p : parts) d = Math.addExact(d, p.dimension());
        return d;
    }

    @Override
    public ItemEmbeddings embed(EmbeddingInput input, Backend backend, MemoryScope scope) {
        return embed(input, backend, scope, org.lurm.progress.Progress.NONE);
    }

    @Override
    public ItemEmbeddings embed(EmbeddingInput input, Backend backend, MemoryScope scope, org.lurm.progress.Progress progress) {
        int n = input.numItems();
        int dim = dimension();
        F32Array out = scope.allocateF32((long) n * dim);
        Map<String, Long> counters = new LinkedHashMap<>();
        int off = 0;
        for (int p = 0; p < parts.size(); p++) {
            ItemEmbedder part = parts.get(p);
            try (MemoryScope tmp = scope.child("concat-part-" + p)) {
                ItemEmbeddings e = part.embed(input, backend, tmp, progress);
                if (e.numItems() != n || e.dim() != part.dimension()) {
                    throw new IllegalStateException("part " + p + " (" + part.name() + ") returned " + e.numItems() + " x " + e.dim() + ", expected " + n + " x " + part.dimension());
                }
                place(e, weights[p], out, dim, off);
                String prefix = "part" + p + "." + part.name() + ".";
                e.counters().forEach((k, v) -> counters.put(prefix + k, v));
                counters.put(prefix + "present", (long) e.presentCount());
            }
            off += part.dimension();
        }
        return ItemEmbeddings.normalizeInPlace(out, n, dim, name(), counters);
    }

    /** Concatenates embeddings already computed (same items), into {@code scope}; weights as in the class comment. */
    public static ItemEmbeddings concatenate(List<ItemEmbeddings> parts, double[] weights, MemoryScope scope) {
        if (parts == null || parts.isEmpty()) throw new IllegalArgumentException("a concatenation needs at least one part");
        double[] w = checkWeights(weights, parts.size());
        int n = parts.get(0).numItems();
        int dim = 0;
        List<String> names = new ArrayList<>();
        for (ItemEmbeddings e : parts) {
            if (e.numItems() != n) throw new IllegalArgumentException("parts cover different numbers of items: " + n + " and " + e.numItems());
            dim = Math.addExact(dim, e.dim());
            names.add(e.source());
        }
        F32Array out = scope.allocateF32((long) n * dim);
        Map<String, Long> counters = new LinkedHashMap<>();
        int off = 0;
        for (int p = 0; p < parts.size(); p++) {
            place(parts.get(p), w[p], out, dim, off);
            counters.put("part" + p + ".present", (long) parts.get(p).presentCount());
            off += parts.get(p).dim();
        }
        return ItemEmbeddings.normalizeInPlace(out, n, dim, "concat(" + String.join("+", names) + ")", counters);
    }

    /** Writes each present row of e, normalised again and times w, into columns [off, off + e.dim()) of out. */
    private static void place(ItemEmbeddings e, double w, F32Array out, int width, int off) {
        int d = e.dim();
        float[] row = new float[d];
        for (int i = 0; i < e.numItems(); i++) {
            if (!e.isPresent(i) || w == 0) continue;
            e.copyVector(i, row, 0);
            double ss = 0;
            for (float x : row) ss += (double) x * x;
            if (ss == 0) continue;
            double s = w / Math.sqrt(ss); // parts are unit already; this re-normalises zero-copy rows within 1e-4 exactly
            for (int j = 0; j < d; j++) row[j] = (float) (row[j] * s);
            out.copyFrom(row, 0, (long) i * width + off, d);
        }
    }
}
