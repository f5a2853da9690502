package org.lurm.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MemoryScopeTest {
    @Test
    void childrenCloseWithParentAndAccessAfterCloseThrows() {
        long before = MemoryScope.liveBytes();
        MemoryScope root = MemoryScope.root("root");
        MemoryScope child = root.child("child");
        F32Array a = child.allocateF32(100);
        a.set(99, 3f);
        assertEquals(3f, a.get(99));
        assertEquals(before + 400, MemoryScope.liveBytes());
        assertTrue(MemoryScope.openScopes().containsKey("root/child"));
        root.close();
        assertFalse(child.isOpen());
        assertThrows(IllegalStateException.class, () -> a.get(0), "freed memory is never read");
        assertThrows(IllegalStateException.class, () -> root.allocateF32(1));
        root.close(); // idempotent
        assertEquals(before, MemoryScope.liveBytes());
        assertFalse(MemoryScope.openScopes().containsKey("root"));
    }

    /**
     * Allocations from 4 MiB up take the mapped, huge-page path where it is on (Linux with native access, as the
     * tests run): zero-filled without a zeroing pass, 2 MiB aligned, counted, unmapped on close, and any access after
     * close throws. Below the threshold and with the path off the arena serves them; both must read the same.
     */
    @Test
    void largeAllocationsAreZeroFilledAlignedCountedAndUnmappedOnClose() {
        boolean linux = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux");
        if (linux && MemoryScope.class.getModule().isNativeAccessEnabled()) {
            assertEquals("on", MemoryScope.largePages(), "Linux with native access: large allocations are mapped");
        }
        long before = MemoryScope.liveBytes();
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(System.nanoTime());
        long n = (LargePages.THRESHOLD / 4) + 1 + rnd.nextInt(1 << 20); // just over the threshold, odd sizes included
        MemoryScope root = MemoryScope.root("large");
        I32Array a = root.allocateI32(n);
        F32Array small = root.allocateF32(1000);
        if (MemoryScope.largePages().equals("on")) {
            assertEquals(0, a.segment().address() % (2L << 20), "2 MiB aligned, so the kernel can use huge pages");
        }
        assertEquals(0, a.segment().address() % 64);
        assertEquals(n * 4, a.segment().byteSize());
        assertEquals(before + n * 4 + 4000, MemoryScope.liveBytes());
        long nonZero = 0;
        for (long i = 0; i < n; i += 1 + rnd.nextInt(97)) if (a.get(i) != 0) nonZero++;
        assertEquals(0, a.get(n - 1));
        assertEquals(0, nonZero, "fresh memory reads as zero");
        for (long i = 0; i < n; i++) a.set(i, (int) (i * 31));
        long sum = 0;
        for (long i = 0; i < n; i++) sum += a.get(i);
        long expect = 0;
        for (long i = 0; i < n; i++) expect += (int) (i * 31);
        assertEquals(expect, sum);
        assertThrows(IndexOutOfBoundsException.class, () -> a.get(n));
        root.close();
        assertThrows(IllegalStateException.class, () -> a.get(0), "an unmapped region is never read");
        assertThrows(IllegalStateException.class, () -> small.get(0));
        assertEquals(before, MemoryScope.liveBytes());
    }

    @Test
    void childClosedEarlyFreesOnlyItsMemory() {
        try (MemoryScope root = MemoryScope.root("r")) {
            I64Array keep = root.allocateI64(4);
            try (MemoryScope tmp = root.child("tmp")) {
                tmp.allocateI32(1000);
            }
            keep.set(3, 7L);
            assertEquals(7L, keep.get(3));
            assertEquals(32, root.allocatedBytes());
        }
    }

    @Test
    void arraysCheckBoundsAndRoundTrip() {
        try (MemoryScope s = MemoryScope.root("r")) {
            I32Array a = s.copyOf(new int[] {1, 2, 3});
            assertThrows(IndexOutOfBoundsException.class, () -> a.get(3));
            assertThrows(IllegalArgumentException.class, () -> s.allocateF32(-1));
            assertEquals(2, a.slice(1, 2).get(0));
            assertEquals(3, a.toArray().length);
            F32Array w = F32Array.wrap(new float[] {1f, 2f});
            assertEquals(2f, w.get(1));
            assertEquals(0, s.allocateF32(0).length());
        }
    }

    @Test
    void mappedFilesLiveAsLongAsTheScope() throws Exception {
        java.nio.file.Path f = java.nio.file.Files.createTempFile("lurm-map", ".bin");
        try {
            java.nio.file.Files.write(f, new byte[] {1, 0, 0, 0, 2, 0, 0, 0});
            MemoryScope s = MemoryScope.root("map");
            java.lang.foreign.MemorySegment seg;
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f)) {
                seg = s.map(ch, java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, 8);
            }
            assertEquals(2, I32Array.view(seg).get(1));
            s.close();
            assertThrows(IllegalStateException.class, () -> I32Array.view(seg).get(0));
        } finally {
            java.nio.file.Files.delete(f);
        }
    }

    @Test
    void registeredResourcesCloseNewestFirstBeforeTheMemoryAndReleaseDropsThem() {
        java.util.List<String> order = new java.util.ArrayList<>();
        MemoryScope root = MemoryScope.root("res");
        MemoryScope child = root.child("c");
        child.register(() -> order.add("child-resource"));
        root.register(() -> order.add("first"));
        AutoCloseable dropped = () -> order.add("dropped");
        root.register(dropped);
        root.register(() -> order.add("second"));
        root.release(dropped);
        root.register(() -> {
            throw new IllegalStateException("boom");
        });
        IllegalStateException e = assertThrows(IllegalStateException.class, root::close);
        assertEquals("boom", e.getMessage());
        assertEquals(java.util.List.of("child-resource", "second", "first"), order);
        assertFalse(root.isOpen());
        assertThrows(IllegalStateException.class, () -> root.register(() -> { }));
        root.close(); // idempotent, nothing runs twice
        assertEquals(3, order.size());
    }

    /**
     * After a sticky CUDA error every cudaFree throws: closing a parent must still close every child, every
     * resource and every arena, then throw the first failure with the others suppressed (the old close stopped
     * at the first child that threw, leaving its siblings, the parent's resources and memory open).
     */
    @Test
    void everyChildAndResourceClosesWhenSomeThrow() {
        long before = MemoryScope.liveBytes();
        java.util.List<String> closed = new java.util.ArrayList<>();
        MemoryScope root = MemoryScope.root("failing");
        MemoryScope a = root.child("a"), b = root.child("b"), c = root.child("c");
        a.allocateF32(10);
        b.allocateF32(10);
        c.allocateF32(10);
        root.allocateF32(10);
        a.register(() -> closed.add("a"));
        b.register(() -> {
            closed.add("b");
            throw new IllegalStateException("free b");
        });
        c.register(() -> {
            closed.add("c");
            throw new IllegalStateException("free c");
        });
        root.register(() -> closed.add("root-1"));
        root.register(() -> {
            closed.add("root-2");
            throw new java.io.IOException("free root-2");
        });
        IllegalStateException e = assertThrows(IllegalStateException.class, root::close);
        assertEquals("free c", e.getMessage(), "the first failure (children close newest first)");
        java.util.List<String> suppressed = java.util.Arrays.stream(e.getSuppressed())
                .map(t -> t.getCause() != null ? t.getCause().getMessage() : t.getMessage()).toList();
        assertEquals(java.util.List.of("free b", "free root-2"), suppressed);
        assertEquals(java.util.List.of("c", "b", "a", "root-2", "root-1"), closed);
        for (MemoryScope s : new MemoryScope[] {root, a, b, c}) assertFalse(s.isOpen(), s.name());
        assertEquals(before, MemoryScope.liveBytes(), "every arena was freed");
        assertFalse(MemoryScope.openScopes().keySet().stream().anyMatch(n -> n.startsWith("failing")), "no scope left open");
        root.close(); // idempotent
        assertEquals(5, closed.size());
    }
}
