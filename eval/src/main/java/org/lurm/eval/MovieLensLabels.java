package org.lurm.eval;

import java.util.ArrayList;
import java.util.List;
import org.lurm.events.IdDictionary;
import org.lurm.events.UserAttributes;
import org.lurm.events.io.MovieLens;

/**
 * The profiling tasks of EVALUATION.md from a MovieLens {@link MovieLens.Dataset}'s user attributes:
 * <ul>
 * <li>{@code gender}: binary, classes [F, M] (M is the positive class ROC-AUC scores; the AUC is the same
 * either way round);</li>
 * <li>{@code age}: multi-class over the ML-1M buckets "&lt;18", "18-24", "25-34", "35-44", "45-49", "50-55", "56+"
 * (100K ages in years are bucketed the same way by the reader);</li>
 * <li>{@code occupation}: multi-class (21 classes; ML-1M codes are named by {@link MovieLens#OCCUPATIONS_1M}).</li>
 * </ul>
 *
 * <p><b>Thread-safety.</b> Stateless.
 */
public final class MovieLensLabels {
    /** Display names of the ML-1M age bucket codes, in {@link MovieLens#AGE_BUCKETS} order. */
    public static final List<String> AGE_NAMES = List.of("<18", "18-24", "25-34", "35-44", "45-49", "50-55", "56+");

    private MovieLensLabels() {
    }

    /** gender, age and occupation, in that order. */
    public static List<LabelTable> of(MovieLens.Dataset data) {
        UserAttributes a = data.attributes();
        IdDictionary users = data.events().users();
        if (a.users() != users && a.users().size() != users.size()) throw new IllegalArgumentException("attributes are not over the events' users");
        List<LabelTable> out = new ArrayList<>();
        out.add(LabelTable.fromAttribute(a, "gender", "gender", LabelTable.Kind.BINARY, List.of("F", "M")));
        int n = users.size();
        int[] age = new int[n];
        for (int u = 0; u < n; u++) {
            String v = a.get(u, "age");
            age[u] = v == null ? -1 : MovieLens.AGE_BUCKETS.indexOf(v);
        }
        out.add(LabelTable.single("age", LabelTable.Kind.MULTI_CLASS, users, AGE_NAMES, age));
        // occupation: names (100K) or codes (1M, named here)
        List<String> classes = new ArrayList<>();
        int[] occ = new int[n];
        boolean codes = true;
        for (String v : a.counts("occupation").keySet()) codes &= v.matches("\\d+");
        if (codes) classes.addAll(MovieLens.OCCUPATIONS_1M);
        else {
            classes.addAll(a.counts("occupation").keySet());
            classes.sort(null);
        }
        for (int u = 0; u < n; u++) {
            String v = a.get(u, "occupation");
            occ[u] = v == null ? -1 : codes ? Integer.parseInt(v) : classes.indexOf(v);
        }
        out.add(LabelTable.single("occupation", LabelTable.Kind.MULTI_CLASS, users, classes, occ));
        return out;
    }
}
