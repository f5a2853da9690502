/**
 * The evaluation harness of EVALUATION.md: how good frozen user vectors are for simple models trained per task.
 *
 * <ul>
 * <li>Tasks: {@link org.lurm.eval.LabelTable} (binary, multi-class, multi-label), read from a delimited file by
 * {@link org.lurm.eval.LabelsReader} or built from MovieLens user attributes by
 * {@link org.lurm.eval.MovieLensLabels}; the preference task from the events alone by
 * {@link org.lurm.eval.PreferenceTask}.</li>
 * <li>Vectors: {@link org.lurm.eval.Features} (dense, or sparse CSR for the raw BoI); the baselines in
 * {@link org.lurm.eval.Baselines}.</li>
 * <li>Protocol: {@link org.lurm.eval.ProbeEvaluator} (stratified k-fold with {@link org.lurm.eval.StratifiedFolds},
 * standardisation on the training fold, {@link org.lurm.eval.LogisticRegression} with λ chosen on an inner split,
 * {@link org.lurm.eval.MlpProbe}), scored by {@link org.lurm.eval.Metrics}.</li>
 * <li>Runs: {@link org.lurm.eval.Benchmark} (fit Stage 1 and SMEN, compute every method, probe every task, the
 * inductive check), producing an {@link org.lurm.eval.EvaluationReport}; {@link org.lurm.eval.ResultsTable}
 * formats it and {@link org.lurm.eval.Claims} decides the two claims.</li>
 * </ul>
 *
 * <p>Labels are only ever read here; SMEN never sees them. Every public class states its thread-safety; in short,
 * everything is stateless or immutable, and a {@code Benchmark} run owns (and closes) all its off-heap memory.
 */
package org.lurm.eval;
