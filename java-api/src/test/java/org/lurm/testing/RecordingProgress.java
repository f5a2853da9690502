package org.lurm.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.lurm.progress.Progress;

/** A {@link Progress} that records every step it is given, what each step advanced, and whether it was closed. */
public final class RecordingProgress implements Progress {
    /** One started step. */
    public record Step(String name, long total, String unit, AtomicLong done, AtomicBoolean closed) {
    }

    private final List<Step> steps = new ArrayList<>();

    @Override
    public synchronized Task start(String name, long total, String unit) {
        Step s = new Step(name, total, unit, new AtomicLong(), new AtomicBoolean());
        steps.add(s);
        return new Task() {
            @Override
            public void advance(long units) {
                if (s.closed().get()) throw new IllegalStateException("step '" + name + "' advanced after it was closed");
                s.done().addAndGet(units);
            }

            @Override
            public void close() {
                s.closed().set(true);
            }
        };
    }

    /** The steps in the order they started. */
    public synchronized List<Step> steps() {
        return List.copyOf(steps);
    }

    /** The one step called {@code name}; fails when there is none or more than one. */
    public synchronized Step step(String name) {
        List<Step> s = steps.stream().filter(x -> x.name().equals(name)).toList();
        if (s.size() != 1) throw new AssertionError(s.size() + " steps named '" + name + "' among " + names());
        return s.getFirst();
    }

    public synchronized List<String> names() {
        return steps.stream().map(Step::name).toList();
    }
}
