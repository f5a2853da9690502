package org.lurm.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.MemoryScope;

/**
 * Pinned (page-locked) host memory ({@code cudaHostAlloc}) for staging copies to and from the device, exposed
 * as a {@link MemorySegment} of exactly {@link #byteSize()} bytes. Owned by a {@link MemoryScope}; closing it
 * (idempotent) first invalidates the segment, so that later host accesses throw {@link IllegalStateException}
 * instead of touching freed memory, then frees the pinned memory.
 *
 * <p><b>Thread-safety.</b> The segment may be read and written from any thread, like {@link F32Array}; close
 * must not race with an asynchronous copy still in flight (synchronise the stream first).
 */
public final class PinnedBuffer implements AutoCloseable {
    private final MemoryScope owner;
    private final long byteSize;
    private final MemorySegment raw;
    private final Arena arena;
    private final MemorySegment segment;
    private final AtomicBoolean closed = new AtomicBoolean();

    private PinnedBuffer(MemoryScope owner, long byteSize, MemorySegment raw) {
        this.owner = owner;
        this.byteSize = byteSize;
        this.raw = raw;
        this.arena = Arena.ofShared();
        this.segment = byteSize == 0 ? arena.allocate(0) : raw.reinterpret(byteSize, arena, null);
    }

    /** Allocates {@code byteSize} bytes of pinned host memory (not initialised) owned by {@code scope}. */
    public static PinnedBuffer allocate(MemoryScope scope, long byteSize) {
        if (byteSize < 0) throw new IllegalArgumentException("negative pinned allocation size " + byteSize);
        if (!scope.isOpen()) throw new IllegalStateException("memory scope '" + scope.name() + "' is closed");
        MemorySegment p = Cuda.callForPointer(Cuda.HOST_ALLOC, byteSize);
        PinnedBuffer b = new PinnedBuffer(scope, byteSize, p);
        try {
            scope.register(b);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    public long byteSize() {
        return byteSize;
    }

    public boolean isOpen() {
        return !closed.get();
    }

    /** The pinned memory; valid until {@link #close()}. */
    public MemorySegment segment() {
        return segment;
    }

    /** The memory as floats (little-endian, as F32Array everywhere). */
    public F32Array asF32() {
        return F32Array.view(segment.asSlice(0, byteSize & ~3L));
    }

    /** The memory as ints. */
    public I32Array asI32() {
        return I32Array.view(segment.asSlice(0, byteSize & ~3L));
    }

    /** Invalidates the segment, then frees the pinned memory; idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        owner.release(this);
        arena.close();
        Cuda.HOST_FREE.call(raw);
    }

    @Override
    public String toString() {
        return "PinnedBuffer[" + byteSize + " bytes" + (closed.get() ? ", closed" : "") + "]";
    }
}
