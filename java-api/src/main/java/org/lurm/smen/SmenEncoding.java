package org.lurm.smen;

/**
 * An encoder session on one backend: the parameters placed once (device memory for a device backend), then any
 * number of batches encoded. Obtained from {@link Smen#encoder}; {@link #close} (idempotent) frees what it placed.
 * <b>Not thread-safe</b>: one batch at a time (open one session per thread).
 */
public interface SmenEncoding extends AutoCloseable {
    /** z of the batch's users (heap array, users x width), the batch built by {@link SmenInputs#full}. */
    float[] encode(SmenBatch batch);

    /** Where it runs, for reports. */
    String device();

    @Override
    void close();
}
