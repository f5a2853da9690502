package org.lurm.backend;

/**
 * A forced backend cannot run here, or no backend can; the message lists every reason. Immutable once thrown;
 * safe to pass between threads.
 */
public class BackendUnavailableException extends RuntimeException {
    public BackendUnavailableException(String message) {
        super(message);
    }
}
