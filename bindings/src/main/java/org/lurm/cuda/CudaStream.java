package org.lurm.cuda;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;
import org.lurm.memory.MemoryScope;

/**
 * A CUDA stream (non-blocking with respect to the legacy default stream), owned by a {@link MemoryScope};
 * {@link #close()} is idempotent and waits for the stream's work before destroying it.
 *
 * <p><b>Thread-safety.</b> Work may be enqueued from several threads (CUDA orders it by call order);
 * closing while another thread still enqueues is a caller error reported as a {@link CudaException}.
 */
public final class CudaStream implements AutoCloseable {
    private final MemoryScope owner;
    private final MemorySegment handle;
    private final AtomicBoolean closed = new AtomicBoolean();

    private CudaStream(MemoryScope owner, MemorySegment handle) {
        this.owner = owner;
        this.handle = handle;
    }

    /** Creates a stream owned by {@code scope}. */
    public static CudaStream create(MemoryScope scope) {
        if (!scope.isOpen()) throw new IllegalStateException("memory scope '" + scope.name() + "' is closed");
        CudaStream s = new CudaStream(scope, Cuda.callForPointer(Cuda.STREAM_CREATE));
        try {
            scope.register(s);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** The cudaStream_t as a zero-length segment, for kernel launches; throws when closed. */
    public MemorySegment handle() {
        if (closed.get()) throw new IllegalStateException("CUDA stream is closed");
        return handle;
    }

    /** Blocks until all work enqueued so far is done; reports errors of that work as {@link CudaException}. */
    public void synchronize() {
        Cuda.STREAM_SYNCHRONIZE.call(handle());
    }

    public boolean isOpen() {
        return !closed.get();
    }

    /** Synchronises, then destroys the stream; idempotent. A failure of pending work is still thrown. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        owner.release(this);
        int rc = Cuda.STREAM_SYNCHRONIZE.callRaw(NativeLibrary.get(), handle);
        Cuda.STREAM_DESTROY.call(handle);
        NativeLibrary.get().check(rc, "lurm_stream_synchronize");
    }

    @Override
    public String toString() {
        return "CudaStream[" + handle.address() + (closed.get() ? ", closed" : "") + "]";
    }
}
