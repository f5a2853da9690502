package org.lurm.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.lurm.events.IdDictionary;
import org.lurm.events.UserAttributes;

/**
 * One downstream task's labels for every user of a user dictionary (the users of an event table): a binary or
 * multi-class label (one class per user) or a multi-label one (a set of classes per user). A user without a
 * label is left out of the task. Labels are only ever read by the evaluation, never by SMEN.
 *
 * <p>Classes are indexed in the order of {@link #classes()}. For {@link Kind#BINARY} there are exactly two
 * classes and class 1 is the positive one (the one ROC-AUC scores).
 *
 * <p><b>Thread-safety.</b> Immutable; safe to share.
 */
public final class LabelTable {
    /** What kind of task a label defines. */
    public enum Kind {
        /** Two classes; metric ROC-AUC of class 1. */
        BINARY,
        /** One of several classes; metrics accuracy and macro-F1 (one-vs-rest probes). */
        MULTI_CLASS,
        /** Any subset of the classes; metric the mean ROC-AUC over classes with enough positives. */
        MULTI_LABEL
    }

    private final String name;
    private final Kind kind;
    private final IdDictionary users;
    private final List<String> classes;
    private final int[] single;      // class per user, -1 = no label (BINARY, MULTI_CLASS)
    private final int[][] multi;     // sorted class indices per user, null = no label (MULTI_LABEL)

    private LabelTable(String name, Kind kind, IdDictionary users, List<String> classes, int[] single, int[][] multi) {
        this.name = Objects.requireNonNull(name, "name");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.users = Objects.requireNonNull(users, "users");
        this.classes = List.copyOf(classes);
        this.single = single;
        this.multi = multi;
        if (kind == Kind.BINARY && this.classes.size() != 2) {
            throw new IllegalArgumentException("binary label '" + name + "' needs exactly 2 classes, got " + this.classes);
        }
        if (kind != Kind.MULTI_LABEL && this.classes.size() < 2) {
            throw new IllegalArgumentException("label '" + name + "' needs at least 2 classes, got " + this.classes);
        }
    }

    /**
     * A single-label table (binary or multi-class).
     *
     * @param classOfUser class index per user index (length = users.size()), -1 where the user has no label
     */
    public static LabelTable single(String name, Kind kind, IdDictionary users, List<String> classes, int[] classOfUser) {
        if (kind == Kind.MULTI_LABEL) throw new IllegalArgumentException("use LabelTable.multi for a multi-label table");
        if (classOfUser.length != users.size()) {
            throw new IllegalArgumentException("need one class per user (" + users.size() + "), got " + classOfUser.length);
        }
        for (int c : classOfUser) {
            if (c < -1 || c >= classes.size()) throw new IllegalArgumentException("class index " + c + " outside [-1, " + classes.size() + ")");
        }
        return new LabelTable(name, kind, users, classes, classOfUser.clone(), null);
    }

    /**
     * A multi-label table.
     *
     * @param classesOfUser per user index the class indices it has (possibly empty), or null where the user has
     *                      no label
     */
    public static LabelTable multi(String name, IdDictionary users, List<String> classes, int[][] classesOfUser) {
        if (classesOfUser.length != users.size()) {
            throw new IllegalArgumentException("need one entry per user (" + users.size() + "), got " + classesOfUser.length);
        }
        int[][] copy = new int[classesOfUser.length][];
        for (int u = 0; u < copy.length; u++) {
            if (classesOfUser[u] == null) continue;
            int[] s = Arrays.stream(classesOfUser[u]).distinct().sorted().toArray();
            for (int c : s) {
                if (c < 0 || c >= classes.size()) throw new IllegalArgumentException("class index " + c + " outside [0, " + classes.size() + ")");
            }
            copy[u] = s;
        }
        return new LabelTable(name, Kind.MULTI_LABEL, users, classes, null, copy);
    }

    /**
     * A single-label table from a user attribute column (e.g. MovieLens gender). Classes are the distinct values
     * sorted (by {@code order} first when given: values listed there come first, in that order).
     */
    public static LabelTable fromAttribute(UserAttributes attributes, String column, String name, Kind kind, List<String> order) {
        IdDictionary users = attributes.users();
        List<String> classes = new ArrayList<>();
        if (order != null) classes.addAll(order);
        List<String> rest = new ArrayList<>();
        for (String v : attributes.counts(column).keySet()) if (!classes.contains(v)) rest.add(v);
        rest.sort(null);
        classes.addAll(rest);
        if (order != null) {
            // keep only classes that occur, in the given order
            Map<String, Integer> counts = attributes.counts(column);
            classes.removeIf(c -> !counts.containsKey(c));
        }
        int[] y = new int[users.size()];
        for (int u = 0; u < y.length; u++) {
            String v = attributes.get(u, column);
            y[u] = v == null ? -1 : classes.indexOf(v);
        }
        return single(name, kind, users, classes, y);
    }

    /**
     * The labels of {@code users} only, with the classes renumbered canonically: a function of the partition of
     * those users (which users share which class) and of the user indices, not of the class names or of the
     * order a reader put the classes in. Classes are ordered by their sorted member lists among {@code users},
     * compared lexicographically (for single-label tables: by their first member, i.e. by first appearance in
     * user-index order); classes without a member among {@code users} are dropped; users outside {@code users}
     * become unlabelled. Class names travel with their classes. For {@link Kind#BINARY} the positive class of
     * the result is the one whose first member comes later; ROC-AUC, accuracy and macro-F1 are symmetric in the
     * two classes, so the metrics do not depend on which class a file called positive.
     *
     * @throws IllegalArgumentException when fewer than two classes (single-label) have a member among the users
     */
    public LabelTable canonical(int[] users) {
        int n = numUsers();
        boolean[] keep = new boolean[n];
        for (int u : users) {
            if (u < 0 || u >= n) throw new IllegalArgumentException("user index " + u + " outside [0, " + n + ")");
            keep[u] = true;
        }
        // members of each class among the users, ascending by user index
        List<List<Integer>> members = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) members.add(new ArrayList<>());
        for (int u = 0; u < n; u++) {
            if (!keep[u] || !has(u)) continue;
            for (int c : classesOf(u)) members.get(c).add(u);
        }
        List<Integer> order = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) if (!members.get(c).isEmpty()) order.add(c);
        order.sort((a, b) -> {
            List<Integer> x = members.get(a), y = members.get(b);
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                int d = Integer.compare(x.get(i), y.get(i));
                if (d != 0) return d;
            }
            return Integer.compare(x.size(), y.size()); // a prefix first; equal lists are interchangeable
        });
        if (kind != Kind.MULTI_LABEL && order.size() < 2) {
            throw new IllegalArgumentException("label '" + name + "' has " + order.size() + " class(es) among the " + users.length + " users given: "
                    + order.stream().map(classes::get).toList());
        }
        int[] newIndex = new int[classes.size()];
        Arrays.fill(newIndex, -1);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            newIndex[order.get(i)] = i;
            names.add(classes.get(order.get(i)));
        }
        if (kind == Kind.MULTI_LABEL) {
            int[][] m = new int[n][];
            for (int u = 0; u < n; u++) {
                if (!keep[u] || multi[u] == null) continue;
                m[u] = Arrays.stream(multi[u]).map(c -> newIndex[c]).sorted().toArray();
            }
            return new LabelTable(name, kind, this.users, names, null, m);
        }
        int[] y = new int[n];
        for (int u = 0; u < n; u++) y[u] = keep[u] && single[u] >= 0 ? newIndex[single[u]] : -1;
        return new LabelTable(name, kind, this.users, names, y, null);
    }

    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    public IdDictionary users() {
        return users;
    }

    public List<String> classes() {
        return classes;
    }

    public int numClasses() {
        return classes.size();
    }

    public int numUsers() {
        return users.size();
    }

    /** Whether user u has a label. */
    public boolean has(int u) {
        return kind == Kind.MULTI_LABEL ? multi[u] != null : single[u] >= 0;
    }

    /** The class of user u (binary, multi-class), -1 when none. */
    public int classOf(int u) {
        if (kind == Kind.MULTI_LABEL) throw new IllegalStateException("'" + name + "' is multi-label: use classesOf");
        return single[u];
    }

    /** The classes of user u (a copy; sorted): one entry for single-label tables; null when the user has no label. */
    public int[] classesOf(int u) {
        if (kind != Kind.MULTI_LABEL) return single[u] < 0 ? null : new int[] {single[u]};
        return multi[u] == null ? null : multi[u].clone();
    }

    /** Whether user u has class c. */
    public boolean hasClass(int u, int c) {
        if (kind != Kind.MULTI_LABEL) return single[u] == c;
        return multi[u] != null && Arrays.binarySearch(multi[u], c) >= 0;
    }

    /** Users that have a label, ascending. */
    public int[] labelledUsers() {
        int n = 0;
        for (int u = 0; u < numUsers(); u++) if (has(u)) n++;
        int[] out = new int[n];
        for (int u = 0, i = 0; u < numUsers(); u++) if (has(u)) out[i++] = u;
        return out;
    }

    /** Number of labelled users that have each class. */
    public int[] classCounts() {
        int[] c = new int[classes.size()];
        for (int u = 0; u < numUsers(); u++) {
            if (!has(u)) continue;
            if (kind == Kind.MULTI_LABEL) for (int k : multi[u]) c[k]++;
            else c[single[u]]++;
        }
        return c;
    }

    /** Class counts by name, in class order. */
    public Map<String, Integer> counts() {
        int[] c = classCounts();
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int k = 0; k < c.length; k++) m.put(classes.get(k), c[k]);
        return m;
    }

    @Override
    public String toString() {
        return name + " (" + kind.name().toLowerCase().replace('_', '-') + ", " + labelledUsers().length + " of " + numUsers() + " users labelled, classes " + counts() + ")";
    }
}
