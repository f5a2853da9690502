package org.lurm.cuda;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.lurm.memory.MemoryScope;

/**
 * Device memory of a fixed size ({@code cudaMalloc}), owned by a {@link MemoryScope}: closing the scope frees
 * it, and it may be closed earlier by its user ({@link #close()} is idempotent). The device pointer is exposed
 * as a zero-length {@link MemorySegment} for passing to kernels; it must never be dereferenced on the host.
 *
 * <p>Copies to and from host memory take any native {@link MemorySegment} (pinned memory from
 * {@link PinnedBuffer} for asynchronous copies that really overlap; pageable memory makes CUDA stage them).
 * Heap segments are rejected: the native side cannot see the Java heap. The synchronous copies and
 * {@link #fill(int)} run on the legacy default stream, which does not wait for work on a {@link CudaStream}
 * (those are non-blocking): synchronise the stream first when it may still use the buffer.
 *
 * <p><b>Thread-safety.</b> Copies and kernels may use a buffer from several threads; closing it while another
 * thread still uses it is a caller error that surfaces as a {@link CudaException} or a wrong result in that
 * thread, never as a JVM crash on the host side.
 */
public final class DeviceBuffer implements AutoCloseable {
    private static final AtomicLong LIVE_BYTES = new AtomicLong();
    private static final AtomicLong LIVE_COUNT = new AtomicLong();

    private final MemoryScope owner;
    private final long byteSize;
    private final MemorySegment pointer;
    private final AtomicBoolean closed = new AtomicBoolean();

    private DeviceBuffer(MemoryScope owner, long byteSize, MemorySegment pointer) {
        this.owner = owner;
        this.byteSize = byteSize;
        this.pointer = pointer;
    }

    /** Allocates {@code byteSize} bytes of device memory (not initialised) owned by {@code scope}. */
    public static DeviceBuffer allocate(MemoryScope scope, long byteSize) {
        if (byteSize < 0) throw new IllegalArgumentException("negative device allocation size " + byteSize);
        if (!scope.isOpen()) throw new IllegalStateException("memory scope '" + scope.name() + "' is closed");
        MemorySegment p = Cuda.callForPointer(Cuda.MALLOC, byteSize);
        DeviceBuffer b = new DeviceBuffer(scope, byteSize, p);
        LIVE_BYTES.addAndGet(byteSize);
        LIVE_COUNT.incrementAndGet();
        try {
            scope.register(b);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    /** Allocates room for {@code count} floats (or ints). */
    public static DeviceBuffer allocateFloats(MemoryScope scope, long count) {
        return allocate(scope, Math.multiplyExact(count, 4L));
    }

    public long byteSize() {
        return byteSize;
    }

    public boolean isOpen() {
        return !closed.get();
    }

    /** The device pointer as a zero-length segment; throws when closed. */
    public MemorySegment pointer() {
        ensureOpen();
        return pointer;
    }

    /** The device pointer {@code byteOffset} bytes in; the range [byteOffset, byteOffset + len) must lie inside. */
    public MemorySegment pointer(long byteOffset, long len) {
        checkRange(byteOffset, len);
        return MemorySegment.ofAddress(pointer.address() + byteOffset);
    }

    /** Sets every byte to {@code value}; returns when done (synchronises the device). */
    public void fill(int value) {
        Cuda.MEMSET.call(pointer(), value, byteSize);
        Cuda.deviceSynchronize();
    }

    /** Sets every byte to {@code value}, asynchronously on {@code stream}. */
    public void fill(int value, CudaStream stream) {
        Cuda.MEMSET_ASYNC.call(pointer(), value, byteSize, stream.handle());
    }

    /** Copies {@code src} (native host memory, all of it) to this buffer at {@code byteOffset}; synchronous. */
    public void copyFromHost(MemorySegment src, long byteOffset) {
        long n = src.byteSize();
        checkHost(src);
        Cuda.MEMCPY_H2D.call(pointer(byteOffset, n), src, n);
    }

    /** Copies from this buffer at {@code byteOffset} into {@code dst} (native host memory, all of it); synchronous. */
    public void copyToHost(long byteOffset, MemorySegment dst) {
        long n = dst.byteSize();
        checkHost(dst);
        Cuda.MEMCPY_D2H.call(dst, pointer(byteOffset, n), n);
    }

    /** Asynchronous host-to-device copy on {@code stream}; {@code src} must stay alive until the stream passes it. */
    public void copyFromHostAsync(MemorySegment src, long byteOffset, CudaStream stream) {
        long n = src.byteSize();
        checkHost(src);
        Cuda.MEMCPY_H2D_ASYNC.call(pointer(byteOffset, n), src, n, stream.handle());
    }

    /** Asynchronous device-to-host copy on {@code stream}; read {@code dst} only after synchronising it. */
    public void copyToHostAsync(long byteOffset, MemorySegment dst, CudaStream stream) {
        long n = dst.byteSize();
        checkHost(dst);
        Cuda.MEMCPY_D2H_ASYNC.call(dst, pointer(byteOffset, n), n, stream.handle());
    }

    /** Copies {@code bytes} bytes from {@code src} at {@code srcOffset} to this buffer at {@code dstOffset}. */
    public void copyFrom(DeviceBuffer src, long srcOffset, long dstOffset, long bytes) {
        Cuda.MEMCPY_D2D.call(pointer(dstOffset, bytes), src.pointer(srcOffset, bytes), bytes);
    }

    /** Asynchronous device-to-device copy on {@code stream}. */
    public void copyFromAsync(DeviceBuffer src, long srcOffset, long dstOffset, long bytes, CudaStream stream) {
        Cuda.MEMCPY_D2D_ASYNC.call(pointer(dstOffset, bytes), src.pointer(srcOffset, bytes), bytes, stream.handle());
    }

    private void checkRange(long off, long len) {
        ensureOpen();
        if (off < 0 || len < 0 || off + len > byteSize) {
            throw new IndexOutOfBoundsException("device range [" + off + ", " + (off + len) + ") outside buffer of " + byteSize + " bytes");
        }
    }

    static void checkHost(MemorySegment s) {
        if (!s.isNative()) throw new IllegalArgumentException("host memory for a CUDA copy must be native (off-heap), not a heap array");
    }

    private void ensureOpen() {
        if (closed.get()) throw new IllegalStateException("device buffer of " + byteSize + " bytes is closed");
    }

    /** Frees the device memory; idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        LIVE_BYTES.addAndGet(-byteSize);
        LIVE_COUNT.decrementAndGet();
        owner.release(this);
        Cuda.FREE.call(pointer);
    }

    /** Device bytes held by open buffers in this JVM (leak accounting). */
    public static long liveBytes() {
        return LIVE_BYTES.get();
    }

    /** Open buffers in this JVM. */
    public static long liveCount() {
        return LIVE_COUNT.get();
    }

    @Override
    public String toString() {
        return "DeviceBuffer[" + byteSize + " bytes" + (closed.get() ? ", closed" : "") + "]";
    }
}
