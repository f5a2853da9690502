package org.lurm.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Owns off-heap memory. Every {@link F32Array}, {@link I32Array} and {@link I64Array} allocated from a scope
 * lives exactly as long as the scope: closing the scope frees all of them at once, and any later access
 * throws {@link IllegalStateException} (never a crash).
 *
 * <p>Scopes form a tree: {@link #child(String)} makes a sub-scope for temporaries that is closed before, and
 * independently of, its parent; closing a parent closes its open children first. Typical use:
 *
 * <pre>{@code
 * try (MemoryScope root = MemoryScope.root("fit")) {
 *     BoiSet boi = aggregator.aggregate(events, interests, root);     // result owned by root
 *     try (MemoryScope tmp = root.child("scratch")) {
 *         F32Array work = tmp.allocateF32(1 << 20);                   // freed when tmp closes
 *     }
 * }   // boi's buffers are freed here
 * }</pre>
 *
 * <p><b>Leak accounting.</b> Every open scope is registered with its name and creation site;
 * {@link #openScopes()} lists them and tests assert it is empty after each test.
 *
 * <p><b>Thread-safety.</b> Allocation and close are thread-safe; memory of a scope may be read and written
 * from any thread (shared arena). Closing a scope while another thread still uses its memory makes that
 * thread's accesses throw; it never crashes the JVM.
 */
public final class MemoryScope implements AutoCloseable {
    private static final Map<MemoryScope, Throwable> OPEN = new ConcurrentHashMap<>();
    private static final AtomicLong BYTES = new AtomicLong();
    private static final boolean TRACK_SITES = Boolean.parseBoolean(System.getProperty("lurm.leak.sites", "true"));

    private final String name;
    private final MemoryScope parent;
    private final Arena arena;
    private final List<MemoryScope> children = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private long bytes;
    private boolean closed;

    private MemoryScope(String name, MemoryScope parent) {
        this.name = name;
        this.parent = parent;
        this.arena = Arena.ofShared();
        OPEN.put(this, TRACK_SITES ? new Throwable("scope '" + name + "' opened here") : new Throwable(name));
    }

    /** A new root scope; the caller must close it. */
    public static MemoryScope root(String name) {
        return new MemoryScope(name, null);
    }

    /** A child scope, closed automatically (first) when this scope closes. */
    public synchronized MemoryScope child(String childName) {
        ensureOpen();
        MemoryScope c = new MemoryScope(name + "/" + childName, this);
        children.add(c);
        return c;
    }

    public String name() {
        return name;
    }

    public synchronized boolean isOpen() {
        return !closed;
    }

    /** Bytes allocated directly in this scope (children not included). */
    public synchronized long allocatedBytes() {
        return bytes;
    }

    /**
     * Zero-filled, 64-byte aligned native memory owned by this scope. Allocations of 4 MiB and more are mapped from
     * the kernel in transparent huge pages where the platform allows it (Linux, native access enabled; see
     * {@link #largePages()}), else taken from the arena.
     */
    public synchronized MemorySegment allocate(long byteSize) {
        ensureOpen();
        if (byteSize < 0) throw new IllegalArgumentException("negative allocation size " + byteSize + " in scope '" + name + "'");
        MemorySegment seg = LargePages.allocate(arena, byteSize);
        try {
            if (seg == null) seg = arena.allocate(Math.max(byteSize, 1), 64);
        } catch (OutOfMemoryError e) {
            throw new OutOfMemoryError("scope '" + name + "' could not allocate " + byteSize + " bytes off-heap: " + e.getMessage());
        }
        bytes += byteSize;
        BYTES.addAndGet(byteSize);
        return byteSize == 0 ? seg.asSlice(0, 0) : seg;
    }

    /**
     * Maps a region of a file into memory for the life of this scope (zero-copy): closing the scope unmaps it,
     * and any later access throws instead of crashing. The channel may be closed right after this call.
     */
    public synchronized MemorySegment map(java.nio.channels.FileChannel channel, java.nio.channels.FileChannel.MapMode mode, long offset, long size)
            throws java.io.IOException {
        ensureOpen();
        return channel.map(mode, offset, size, arena);
    }

    public F32Array allocateF32(long length) {
        return new F32Array(allocate(checkedBytes(length, 4)), length);
    }

    public I32Array allocateI32(long length) {
        return new I32Array(allocate(checkedBytes(length, 4)), length);
    }

    public I64Array allocateI64(long length) {
        return new I64Array(allocate(checkedBytes(length, 8)), length);
    }

    public F32Array copyOf(float[] values) {
        F32Array a = allocateF32(values.length);
        MemorySegment.copy(values, 0, a.segment(), F32Array.LAYOUT, 0, values.length);
        return a;
    }

    public I32Array copyOf(int[] values) {
        I32Array a = allocateI32(values.length);
        MemorySegment.copy(values, 0, a.segment(), I32Array.LAYOUT, 0, values.length);
        return a;
    }

    public I64Array copyOf(long[] values) {
        I64Array a = allocateI64(values.length);
        MemorySegment.copy(values, 0, a.segment(), I64Array.LAYOUT, 0, values.length);
        return a;
    }

    /**
     * Makes this scope own a native resource that is not memory of its arena (device memory, pinned host
     * memory, a CUDA stream): it is closed, in reverse order of registration, when this scope closes, before
     * the scope's own memory is freed. The resource's {@code close()} must be idempotent, so that it may also
     * be closed earlier by its user; an early close may call {@link #release(AutoCloseable)} to drop it here.
     *
     * @return {@code resource}
     * @throws IllegalStateException when this scope is already closed (the resource is then not registered)
     */
    public synchronized <T extends AutoCloseable> T register(T resource) {
        ensureOpen();
        resources.add(java.util.Objects.requireNonNull(resource, "resource"));
        return resource;
    }

    /** Forgets a resource registered with {@link #register}; no effect when it is not (or no longer) there. */
    public synchronized void release(AutoCloseable resource) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            if (resources.get(i) == resource) {
                resources.remove(i);
                return;
            }
        }
    }

    private long checkedBytes(long length, int elementSize) {
        if (length < 0) throw new IllegalArgumentException("negative array length " + length + " in scope '" + name + "'");
        return Math.multiplyExact(length, elementSize);
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("memory scope '" + name + "' is closed");
    }

    /**
     * Idempotent: closes open children first (newest first), then the registered resources (newest first), then
     * frees all memory of this scope. Everything is closed even when some closes throw (after a sticky CUDA error
     * every cudaFree does): the first failure is rethrown at the end with the others added as suppressed, a
     * resource's checked exception wrapped in an {@link IllegalStateException}.
     */
    @Override
    public void close() {
        List<MemoryScope> toClose;
        List<AutoCloseable> owned;
        synchronized (this) {
            if (closed) return;
            closed = true;
            toClose = new ArrayList<>(children);
            children.clear();
            owned = new ArrayList<>(resources);
            resources.clear();
        }
        Throwable failure = null;
        for (int i = toClose.size() - 1; i >= 0; i--) {
            try {
                toClose.get(i).close();
            } catch (RuntimeException | Error e) {
                failure = add(failure, e);
            }
        }
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (RuntimeException | Error e) {
                failure = add(failure, e);
            } catch (Exception e) {
                failure = add(failure, new IllegalStateException("closing " + owned.get(i) + " in scope '" + name + "' failed", e));
            }
        }
        try {
            arena.close();
            BYTES.addAndGet(-bytes);
            OPEN.remove(this); // a scope whose memory could not be freed stays listed as open (a leak)
        } catch (RuntimeException e) {
            failure = add(failure, e);
        }
        if (parent != null) parent.removeChild(this);
        if (failure instanceof RuntimeException r) throw r;
        if (failure instanceof Error e) throw e;
    }

    private static Throwable add(Throwable first, Throwable next) {
        if (first == null) return next;
        if (first != next) first.addSuppressed(next);
        return first;
    }

    private synchronized void removeChild(MemoryScope c) {
        children.remove(c);
    }

    /** Every scope in this JVM that is still open, with the stack trace of where it was opened. */
    public static Map<String, Throwable> openScopes() {
        Map<String, Throwable> m = new java.util.LinkedHashMap<>();
        OPEN.forEach((s, t) -> m.put(s.name, t));
        return m;
    }

    /**
     * "on" when allocations of 4 MiB and more are mapped in transparent huge pages (far fewer page faults on first
     * touch), else "off: " and the reason (not Linux, no {@code --enable-native-access} for this module,
     * {@code -Dlurm.memory.hugePages=false}).
     */
    public static String largePages() {
        return LargePages.status();
    }

    /** Off-heap bytes held by all open scopes in this JVM. */
    public static long liveBytes() {
        return BYTES.get();
    }

    @Override
    public String toString() {
        return "MemoryScope[" + name + (closed ? ", closed" : ", " + bytes + " bytes") + "]";
    }
}
