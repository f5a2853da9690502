package org.lurm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.lurm.progress.Progress;
import org.junit.jupiter.api.Test;

class ProgressBarsTest {
    private static final long SEC = 1_000_000_000L;

    @Test
    void plainLinesCarryCountRateAndEtaAtMostOncePerInterval() {
        StringWriter sw = new StringWriter();
        AtomicLong now = new AtomicLong(0);
        try (ProgressBars p = new ProgressBars(new PrintWriter(sw), ProgressBars.Mode.PLAIN, now::get, 5 * SEC, false)) {
            try (Progress.Task t = p.start("train SMEN", 200, "steps")) {
                for (int s = 1; s <= 200; s++) {
                    now.addAndGet(SEC / 10); // 10 steps per second
                    t.advance(1);
                    t.status("loss 0.5");
                }
            }
        }
        String out = sw.toString();
        String[] lines = out.split("\n");
        // start line, one line per 5 s of the 20 s run (4, the last may coincide with the end), done line
        assertTrue(lines[0].contains("train SMEN ...") && lines[0].contains("200 steps"), out);
        long progressLines = java.util.Arrays.stream(lines).filter(l -> l.contains("ETA")).count();
        assertTrue(progressLines >= 3 && progressLines <= 4, out);
        String first = java.util.Arrays.stream(lines).filter(l -> l.contains("ETA")).findFirst().orElseThrow();
        // at t = 5 s: 50 of 200 steps, 10 steps/s, 15 s left
        assertTrue(first.contains("50/200 steps (25%)"), first);
        assertTrue(first.contains("10.0 steps/s"), first);
        assertTrue(first.contains("ETA 15 s"), first);
        assertTrue(first.contains("loss 0.5"), first);
        String last = lines[lines.length - 1];
        assertTrue(last.contains("done, 200 steps in 20.00 s (10.0 steps/s)"), last);
        assertFalse(out.contains("\r"), "plain mode never redraws in place");
    }

    @Test
    void barModeRedrawsOneLineAndLeavesADoneLine() {
        StringWriter sw = new StringWriter();
        AtomicLong now = new AtomicLong(0);
        try (ProgressBars p = new ProgressBars(new PrintWriter(sw), ProgressBars.Mode.BAR, now::get, SEC / 5, false)) {
            try (Progress.Task t = p.start("encode users", 1000, "users")) {
                for (int i = 0; i < 10; i++) {
                    now.addAndGet(SEC / 2);
                    t.advance(100);
                }
            }
        }
        String out = sw.toString();
        assertTrue(out.contains("\r  encode users [############............]  50% 500/1,000 users  200 users/s  ETA 3 s"), out);
        assertTrue(out.endsWith("  encode users: done, 1,000 users in 5.00 s (200 users/s)\n"), out);
    }

    @Test
    void unknownTotalsShowElapsedTimeAndNoneModePrintsNothing() {
        StringWriter sw = new StringWriter();
        AtomicLong now = new AtomicLong(0);
        try (ProgressBars p = new ProgressBars(new PrintWriter(sw), ProgressBars.Mode.PLAIN, now::get, SEC, false)) {
            try (Progress.Task t = p.start("cluster", 0, "")) {
                now.addAndGet(3 * SEC);
                t.advance(0);
            }
        }
        assertTrue(sw.toString().contains("cluster: 3 s elapsed"), sw.toString());
        assertTrue(sw.toString().contains("cluster: done in 3.00 s"), sw.toString());
        StringWriter none = new StringWriter();
        try (ProgressBars p = new ProgressBars(new PrintWriter(none), ProgressBars.Mode.NONE, now::get, SEC, false); Progress.Task t = p.start("x", 10, "u")) {
            t.advance(10);
        }
        assertEquals("", none.toString());
    }

    @Test
    void nestedStepsInPlainModeLogTheirOwnLinesAndTheEnclosingStepWaitsForItsInterval() {
        StringWriter sw = new StringWriter();
        AtomicLong now = new AtomicLong(0);
        try (ProgressBars p = new ProgressBars(new PrintWriter(sw), ProgressBars.Mode.PLAIN, now::get, 5 * SEC, false)) {
            try (Progress.Task outer = p.start("embed items", 0, "")) {
                try (Progress.Task inner = p.start("embed: count pairs", 100, "items")) {
                    now.addAndGet(2 * SEC);
                    inner.advance(100);
                }
                outer.advance(0); // within the interval of the inner step's last line: nothing drawn
                now.addAndGet(6 * SEC);
                outer.advance(0);
            }
        }
        String out = sw.toString();
        assertEquals(String.join("\n", "[lurm] embed items ...", "[lurm] embed: count pairs ... (100 items)",
                "[lurm] embed: count pairs: done, 100 items in 2.00 s (50.0 items/s)", "[lurm] embed items: 8 s elapsed",
                "[lurm] embed items: done in 8.00 s", ""), out);
    }

    @Test
    void advancesFromManyThreadsAreAllCounted() throws Exception {
        StringWriter sw = new StringWriter();
        try (ProgressBars p = new ProgressBars(new PrintWriter(sw), ProgressBars.Mode.PLAIN, System::nanoTime, SEC, false)) {
            Progress.Task t = p.start("work", 8 * 10_000, "units");
            Thread[] th = new Thread[8];
            for (int i = 0; i < th.length; i++) {
                th[i] = new Thread(() -> {
                    for (int k = 0; k < 10_000; k++) t.advance(1);
                });
                th[i].start();
            }
            for (Thread x : th) x.join();
            t.close();
            t.close(); // idempotent
        }
        String out = sw.toString();
        assertTrue(out.contains("work: done, 80,000 units in"), out);
        assertEquals(1, out.split("done", -1).length - 1, out);
    }

    @Test
    void nestedStepsReturnToTheOuterOne() {
        StringWriter sw = new StringWriter();
        AtomicLong now = new AtomicLong(0);
        try (ProgressBars p = new ProgressBars(new PrintWriter(sw), ProgressBars.Mode.BAR, now::get, 1, false)) {
            Progress.Task outer = p.start("evaluate", 2, "tasks");
            try (Progress.Task inner = p.start("probe", 5, "folds")) {
                now.addAndGet(SEC);
                inner.advance(5);
            }
            now.addAndGet(SEC);
            outer.advance(1);
            outer.close();
        }
        String out = sw.toString();
        int innerDone = out.indexOf("probe: done");
        assertTrue(innerDone > 0 && out.indexOf("\r  evaluate [", innerDone) > innerDone, out);
    }
}
