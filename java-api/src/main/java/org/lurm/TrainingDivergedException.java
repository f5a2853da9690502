package org.lurm;

/** Training produced a non-finite loss or gradient; the last checkpoint written is left intact. */
public final class TrainingDivergedException extends RuntimeException {
    public TrainingDivergedException(String message) {
        super(message);
    }
}
