package org.lurm.progress;

/**
 * Where long-running library steps (embedding, clustering, aggregation, training, encoding, evaluation)
 * report how far they are. The command line renders it as progress bars with rate and ETA; library users may
 * log it or ignore it ({@link #NONE}).
 *
 * <p><b>Thread-safety.</b> Implementations must accept {@link Task#advance} from several threads at once.
 */
public interface Progress {
    /** Ignores everything. */
    Progress NONE = (name, total, unit) -> Task.NONE;

    /**
     * Starts a step.
     *
     * @param name  what is being done ("cluster", "train SMEN", "probe gender")
     * @param total units of work in the step, or {@code <= 0} when unknown
     * @param unit  what one unit is ("events", "users", "steps")
     */
    Task start(String name, long total, String unit);

    /** A started step; close it when the step ends (idempotent). */
    interface Task extends AutoCloseable {
        Task NONE = new Task() {
            @Override
            public void advance(long units) {
            }

            @Override
            public void close() {
            }
        };

        /** Adds units of finished work. */
        void advance(long units);

        /** A short status line for the step (for instance the current loss); may be ignored. */
        default void status(String text) {
        }

        @Override
        void close();
    }

    /** {@code progress} itself, or {@link #NONE} for null. */
    static Progress orNone(Progress progress) {
        return progress == null ? NONE : progress;
    }
}
