package org.lurm.eval;

import java.util.Objects;

/**
 * One cell of the results table: a method's metric on a task with one probe, as mean and standard deviation
 * over the cross-validation folds (EVALUATION.md).
 *
 * @param dataset  data set name ("movielens-100k")
 * @param task     task name ("gender", "age", "occupation", "preference")
 * @param method   representation ("LURM", "raw BoI", "BoI + RSVD", ...)
 * @param probe    probe ("logistic", "mlp")
 * @param metric   metric ("roc_auc", "accuracy", "macro_f1", "mean_roc_auc")
 * @param mean     mean over folds
 * @param std      standard deviation over folds
 * @param perFold  the value of every fold, in fold order
 */
public record ResultRow(String dataset, String task, String method, String probe, String metric, double mean, double std, double[] perFold) {
    public ResultRow {
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(probe, "probe");
        Objects.requireNonNull(metric, "metric");
        perFold = perFold == null ? new double[0] : perFold.clone();
    }

    @Override
    public double[] perFold() {
        return perFold.clone();
    }
}
