package org.lurm.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BackendsTest {
    @AfterEach
    void clear() {
        System.clearProperty("lurm.backend");
    }

    @Test
    void providersAreFoundAndOrderedByScore() {
        var names = Backends.providers().stream().map(BackendProvider::name).toList();
        assertTrue(names.contains("cpu") && names.contains("cpu-scalar"), names.toString());
        assertTrue(names.indexOf("cpu") < names.indexOf("cpu-scalar"));
        assertTrue(Backends.describe().stream().anyMatch(l -> l.startsWith("cpu-scalar")));
    }

    @Test
    void automaticSelectionTakesTheVectorApiBackendWhenTheModuleIsPresent() {
        // The build runs tests with --add-modules jdk.incubator.vector.
        assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
        assertEquals("cpu", Backends.select(null).name());
        try (Backend b = Backends.create()) {
            assertTrue(b.capabilities().contains(Capability.SIMD));
        }
    }

    @Test
    void overrideForcesABackendAndFailsLoudlyForUnknownOrUnavailableOnes() {
        System.setProperty("lurm.backend", "cpu-scalar");
        assertEquals("cpu-scalar", Backends.select().name());
        System.setProperty("lurm.backend", "tpu");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, Backends::select);
        assertTrue(e.getMessage().contains("no such backend") && e.getMessage().contains("cpu-scalar"), e.getMessage());
        BackendProvider unavailable = new BackendProvider() {
            public String name() { return "x"; }
            public int score() { return 5; }
            public java.util.Set<Capability> capabilities() { return java.util.Set.of(); }
            public Availability availability() { return Availability.no("because"); }
            public Backend create(int t) { throw new AssertionError(); }
        };
        assertEquals(false, unavailable.availability().available());
        assertThrows(IllegalArgumentException.class, () -> new Availability(false, java.util.List.of()), "unavailable needs a reason");
    }
}
