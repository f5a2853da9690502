package org.lurm.eval;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything an evaluation produced, in a form the command line turns into a table and an HTML report.
 *
 * @param title        a one-line title
 * @param rows         the results table
 * @param trainingLoss SMEN's training curve (empty when no model was trained in this run)
 * @param projection   a 2-D projection of user vectors coloured by a label, or null
 * @param settings     what reproduces the run (command, seed, configuration, machine), in insertion order
 */
public record EvaluationReport(String title, List<ResultRow> rows, List<LossPoint> trainingLoss, UserProjection projection,
                               Map<String, String> settings) {
    public EvaluationReport {
        Objects.requireNonNull(title, "title");
        rows = List.copyOf(rows);
        trainingLoss = List.copyOf(trainingLoss);
        settings = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(settings));
    }

    /** One point of a training curve; heldOutLoss is NaN where no held-out evaluation ran at that step. */
    public record LossPoint(long step, double loss, double heldOutLoss) {
    }

    /**
     * Users projected to two dimensions (for instance by PCA of their vectors).
     *
     * @param method what was projected ("LURM")
     * @param label  the label used for colouring ("gender")
     * @param x      first coordinate per user
     * @param y      second coordinate per user
     * @param classes the label value of every user
     */
    public record UserProjection(String method, String label, float[] x, float[] y, String[] classes) {
        public UserProjection {
            if (x.length != y.length || x.length != classes.length) {
                throw new IllegalArgumentException("x, y and classes must have one entry per user: " + x.length + ", " + y.length + ", " + classes.length);
            }
        }
    }
}
