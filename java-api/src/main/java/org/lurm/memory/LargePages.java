package org.lurm.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Locale;

/**
 * Large off-heap allocations straight from the kernel, in transparent huge pages where the system allows them.
 *
 * <p>Why: on the virtual machines lurm runs on, first touching fresh memory costs about 3 ms per MiB in 4 KiB page
 * faults, more than any pass over that memory (docs/PERFORMANCE.md, "Fresh memory"). {@code Arena.allocate} takes
 * its memory from malloc in 4 KiB pages and zeroes it, so the faults are taken at allocation. Here a large
 * allocation is an anonymous private {@code mmap} (the kernel hands it out zero-filled: no second zeroing pass),
 * aligned to 2 MiB and advised {@code MADV_HUGEPAGE}, so the kernel may back it with 2 MiB pages: one fault per
 * 2 MiB. The mapping is tied to the arena: closing the arena unmaps it, and any later access throws.
 *
 * <p>Used only on Linux, when this module has native access ({@code --enable-native-access}) and
 * {@code -Dlurm.memory.hugePages=false} is not set; otherwise (or when {@code mmap} fails) the caller falls back to
 * {@code Arena.allocate}. {@code madvise} is advice: when it fails (a kernel without transparent huge pages) the
 * mapping stays in normal pages. Thread-safe (stateless after class initialisation).
 */
final class LargePages {
    /** Allocations of at least this many bytes are mapped here. */
    static final long THRESHOLD = 4L << 20;
    private static final long HUGE = 2L << 20;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;

    private static final MethodHandle MMAP, MADVISE, MUNMAP, STRERROR;
    private static final StructLayout CAPTURE;
    private static final VarHandle ERRNO;
    /** Why the mapped path is off, or null when it is on. */
    private static final String OFF_REASON;

    static {
        MethodHandle mmap = null, madvise = null, munmap = null, strerror = null;
        StructLayout capture = null;
        VarHandle errno = null;
        String off = null;
        if (!Boolean.parseBoolean(System.getProperty("lurm.memory.hugePages", "true"))) {
            off = "disabled by -Dlurm.memory.hugePages=false";
        } else if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            off = "not Linux";
        } else if (!LargePages.class.getModule().isNativeAccessEnabled()) {
            off = "no native access for module " + LargePages.class.getModule() + " (--enable-native-access)";
        } else {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Linker.Option errnoOption = Linker.Option.captureCallState("errno");
                capture = Linker.Option.captureStateLayout();
                errno = capture.varHandle(MemoryLayout.PathElement.groupElement("errno"));
                mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG), errnoOption);
                madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
                munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG), errnoOption);
                strerror = linker.downcallHandle(libc.find("strerror").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            } catch (RuntimeException | LinkageError e) {
                off = "libc's mmap / madvise / munmap not found: " + e;
                mmap = null;
            }
        }
        MMAP = mmap;
        MADVISE = madvise;
        MUNMAP = munmap;
        STRERROR = strerror;
        CAPTURE = capture;
        ERRNO = errno;
        OFF_REASON = off;
    }

    private LargePages() {
    }

    /** Whether large allocations are mapped here (else: why not). */
    static String status() {
        return OFF_REASON == null ? "on" : "off: " + OFF_REASON;
    }

    /**
     * A zero-filled segment of {@code byteSize} bytes, 2 MiB aligned, unmapped when {@code arena} closes; null when
     * the mapped path is off or {@code mmap} fails (the caller then allocates from the arena, which reports the
     * failure if memory is really short).
     */
    static MemorySegment allocate(Arena arena, long byteSize) {
        if (OFF_REASON != null || byteSize < THRESHOLD) return null;
        long length = byteSize + HUGE; // room to align the start to 2 MiB
        if (length < 0) return null;
        MemorySegment base;
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment state = tmp.allocate(CAPTURE);
            base = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, length, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
            if (base.address() == -1L) return null; // MAP_FAILED: let the arena try (and report)
        } catch (Throwable t) {
            throw new IllegalStateException("mmap of " + length + " bytes failed: " + t, t);
        }
        long start = (base.address() + HUGE - 1) & -HUGE;
        MemorySegment seg = MemorySegment.ofAddress(start).reinterpret(byteSize);
        try {
            int ignored = (int) MADVISE.invokeExact(seg, alignUp(byteSize), MADV_HUGEPAGE); // advice only: normal pages otherwise
        } catch (Throwable t) {
            unmap(base.address(), length);
            throw new IllegalStateException("madvise failed: " + t, t);
        }
        long baseAddress = base.address();
        return seg.reinterpret(byteSize, arena, s -> unmap(baseAddress, length));
    }

    private static long alignUp(long n) {
        return (n + 4095) & -4096L;
    }

    private static void unmap(long address, long length) {
        int rc;
        int err = 0;
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment state = tmp.allocate(CAPTURE);
            rc = (int) MUNMAP.invokeExact(state, MemorySegment.ofAddress(address), length);
            if (rc != 0) err = (int) ERRNO.get(state, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException("munmap of " + length + " bytes at 0x" + Long.toHexString(address) + " failed: " + t, t);
        }
        if (rc != 0) {
            throw new IllegalStateException("munmap of " + length + " bytes at 0x" + Long.toHexString(address) + " failed: errno " + err + " ("
                    + strerror(err) + ")");
        }
    }

    private static String strerror(int err) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(err);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "strerror unavailable";
        }
    }
}
