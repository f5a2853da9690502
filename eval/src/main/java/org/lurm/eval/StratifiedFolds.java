package org.lurm.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Stratified k-fold assignment with a fixed seed: the users of each stratum (class) are shuffled with the seed
 * and dealt round-robin into the folds, the dealing continuing from stratum to stratum, so every fold gets
 * floor or ceil of each class's share and fold sizes differ by at most one. The strata are taken in the order
 * of their first position (not of their values), so the assignment depends only on the seed and the
 * <em>partition</em> of the positions the strata define: renaming or renumbering classes (another reader,
 * other class names, another sort order) gives the same folds, and every method under evaluation sees the
 * same folds.
 *
 * <p>For multi-label tasks the stratum of a user is its number of labels, capped (an approximation of
 * iterative stratification that keeps the label-count distribution per fold).
 *
 * <p><b>Thread-safety.</b> Immutable.
 */
public final class StratifiedFolds {
    private final int k;
    private final int[] fold; // fold of each position

    private StratifiedFolds(int k, int[] fold) {
        this.k = k;
        this.fold = fold;
    }

    /**
     * Assigns positions 0..strata.length-1 to k folds, stratified by {@code strata} (any non-negative ints).
     */
    public static StratifiedFolds of(int[] strata, int k, long seed) {
        if (k < 2) throw new IllegalArgumentException("need at least 2 folds, got " + k);
        if (strata.length < k) throw new IllegalArgumentException("cannot split " + strata.length + " users into " + k + " folds");
        // strata in the order of their first position: the folds are a function of the partition, not of the values
        Map<Integer, List<Integer>> byValue = new LinkedHashMap<>();
        for (int i = 0; i < strata.length; i++) {
            if (strata[i] < 0) throw new IllegalArgumentException("stratum must be >= 0, got " + strata[i]);
            byValue.computeIfAbsent(strata[i], x -> new ArrayList<>()).add(i);
        }
        List<List<Integer>> byStratum = new ArrayList<>(byValue.values());
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] fold = new int[strata.length];
        int next = 0;
        for (List<Integer> members : byStratum) {
            int[] m = members.stream().mapToInt(Integer::intValue).toArray();
            for (int i = m.length - 1; i > 0; i--) { // Fisher-Yates
                int j = rnd.nextInt(i + 1);
                int t = m[i];
                m[i] = m[j];
                m[j] = t;
            }
            for (int idx : m) {
                fold[idx] = next;
                next = (next + 1) % k;
            }
        }
        return new StratifiedFolds(k, fold);
    }

    /**
     * Strata for a label table over the given users: the class (single-label) or the capped label count
     * (multi-label). Only the partition they define matters to {@link #of}.
     */
    public static int[] strata(LabelTable labels, int[] users) {
        int[] s = new int[users.length];
        for (int i = 0; i < users.length; i++) {
            int u = users[i];
            if (labels.kind() == LabelTable.Kind.MULTI_LABEL) s[i] = Math.min(labels.classesOf(u).length, 8);
            else s[i] = labels.classOf(u);
        }
        return s;
    }

    public int k() {
        return k;
    }

    public int size() {
        return fold.length;
    }

    /** Fold of position i. */
    public int foldOf(int i) {
        return fold[i];
    }

    /** Positions in fold f, ascending. */
    public int[] test(int f) {
        return Arrays.stream(range()).filter(i -> fold[i] == f).toArray();
    }

    /** Positions not in fold f, ascending. */
    public int[] train(int f) {
        return Arrays.stream(range()).filter(i -> fold[i] != f).toArray();
    }

    private int[] range() {
        int[] r = new int[fold.length];
        for (int i = 0; i < r.length; i++) r[i] = i;
        return r;
    }

    /** A copy of the fold of every position. */
    public int[] assignment() {
        return fold.clone();
    }
}
