package org.lurm;

/**
 * Training produced a non-finite loss or gradient; the last checkpoint written is left intact. Lower the learning
 * rate ({@link SmenConfig#learningRate()}) and fit again.
 *
 * <p>Immutable once thrown; safe to pass between threads.
 */
public final class TrainingDivergedException extends RuntimeException {
    public TrainingDivergedException(String message) {
        super(message);
    }
}
