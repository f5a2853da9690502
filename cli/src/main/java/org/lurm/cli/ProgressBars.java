package org.lurm.cli;

import java.io.PrintWriter;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.lurm.progress.Progress;

/**
 * Renders {@link Progress} on stderr. On a terminal ({@link Mode#BAR}) the innermost open step is one line
 * redrawn in place: a bar, done/total, rate and ETA (or elapsed time when the total is unknown), and the
 * step's status. Elsewhere ({@link Mode#PLAIN}) a plain line is printed at most every few seconds, so logs stay
 * readable. Each finished step leaves one line with its count, time and rate in both modes. Nothing is ever
 * written to stdout, so data written there (CSV embeddings) stays clean.
 *
 * <p>A daemon ticker redraws while a step runs without advancing (clustering, for instance); {@link #close()}
 * stops it. <b>Thread-safety.</b> {@link Progress.Task#advance} may be called from several threads; drawing is
 * serialised on this object.
 */
final class ProgressBars implements Progress, AutoCloseable {
    enum Mode { BAR, PLAIN, NONE }

    private static final int BAR_WIDTH = 24;

    private final PrintWriter err;
    private final Mode mode;
    private final LongSupplier clock;
    private final long intervalNanos;
    private final Deque<Bar> open = new ArrayDeque<>();
    private final Thread ticker;
    private volatile boolean closed;
    private long lastDraw = Long.MIN_VALUE / 2;
    private int drawnWidth;
    private final int width;

    ProgressBars(PrintWriter err, Mode mode) {
        this(err, mode, System::nanoTime, mode == Mode.BAR ? 200_000_000L : 5_000_000_000L, true);
    }

    /** @param ticking whether a daemon thread redraws steps that do not advance (off in tests, which drive the clock) */
    ProgressBars(PrintWriter err, Mode mode, LongSupplier clock, long intervalNanos, boolean ticking) {
        this.err = err;
        this.mode = mode;
        this.clock = clock;
        this.intervalNanos = intervalNanos;
        int w = 100;
        try {
            String cols = System.getenv("COLUMNS");
            if (cols != null) w = Math.max(40, Integer.parseInt(cols.trim()));
        } catch (NumberFormatException ignored) {
            // keep the default width
        }
        this.width = w;
        if (ticking && mode != Mode.NONE) {
            ticker = Thread.ofPlatform().daemon().name("lurm-progress").unstarted(this::tick);
            ticker.start();
        } else {
            ticker = null;
        }
    }

    /** Whether stderr is an interactive terminal (JDK 22+: a Console exists and is a terminal). */
    static boolean isTerminal() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal() && System.getenv("CI") == null;
    }

    Mode mode() {
        return mode;
    }

    @Override
    public Task start(String name, long total, String unit) {
        Bar b = new Bar(name, total, unit, clock.getAsLong());
        synchronized (this) {
            open.push(b);
            if (mode == Mode.PLAIN) {
                clearLine();
                err.println("[lurm] " + name + " ..." + (total > 0 ? " (" + amount(total, unit) + ")" : ""));
                err.flush();
                lastDraw = clock.getAsLong();
            } else {
                draw(true);
            }
        }
        return b;
    }

    private void tick() {
        while (!closed) {
            try {
                Thread.sleep(Math.max(50, intervalNanos / 1_000_000));
            } catch (InterruptedException e) {
                return;
            }
            synchronized (this) {
                if (!open.isEmpty()) draw(false);
            }
        }
    }

    /** Draws the innermost open step when the interval has passed (or always when forced). Holds the lock. */
    private void draw(boolean force) {
        if (mode == Mode.NONE || closed) return;
        long now = clock.getAsLong();
        if (!force && now - lastDraw < intervalNanos) return;
        Bar b = open.peek();
        if (b == null) return;
        lastDraw = now;
        if (mode == Mode.BAR) {
            String line = fit(b.barLine(now));
            err.print("\r" + line + " ".repeat(Math.max(0, drawnWidth - line.length())));
            drawnWidth = line.length();
        } else {
            err.println("[lurm] " + b.plainLine(now));
        }
        err.flush();
    }

    private String fit(String s) {
        return s.length() < width ? s : s.substring(0, width - 2) + "…";
    }

    private void clearLine() {
        if (mode == Mode.BAR && drawnWidth > 0) {
            err.print("\r" + " ".repeat(drawnWidth) + "\r");
            drawnWidth = 0;
        }
    }

    private void finished(Bar b) {
        synchronized (this) {
            open.remove(b);
            if (mode == Mode.NONE) return;
            clearLine();
            err.println((mode == Mode.PLAIN ? "[lurm] " : "  ") + b.doneLine(clock.getAsLong()));
            err.flush();
            if (mode == Mode.BAR) {
                // The enclosing step's bar comes back at once; a plain log gets its next line at the interval.
                lastDraw = Long.MIN_VALUE / 2;
                if (!open.isEmpty()) draw(true);
            } else {
                lastDraw = clock.getAsLong();
            }
        }
    }

    /** Stops the ticker and clears a half-drawn line; open steps are left as they are. */
    @Override
    public void close() {
        closed = true;
        if (ticker != null) ticker.interrupt();
        synchronized (this) {
            clearLine();
            err.flush();
        }
    }

    /** "1,234 users", or "12.3 MB" for bytes. */
    static String amount(long n, String unit) {
        if ("bytes".equals(unit)) return String.format(Locale.ROOT, "%.1f MB", n / 1e6);
        return String.format(Locale.ROOT, "%,d %s", n, unit);
    }

    static String rate(double perSecond, String unit) {
        if ("bytes".equals(unit)) return String.format(Locale.ROOT, "%.1f MB/s", perSecond / 1e6);
        if (perSecond >= 100) return String.format(Locale.ROOT, "%,.0f %s/s", perSecond, unit);
        return String.format(Locale.ROOT, "%.1f %s/s", perSecond, unit);
    }

    static String duration(double seconds) {
        if (!Double.isFinite(seconds)) return "?";
        long s = Math.round(seconds);
        if (s < 60) return s + " s";
        if (s < 3600) return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }

    private final class Bar implements Task {
        final String name;
        final long total;
        final String unit;
        final long start;
        final AtomicLong done = new AtomicLong();
        final AtomicBoolean ended = new AtomicBoolean();
        volatile String status = "";

        Bar(String name, long total, String unit, long start) {
            this.name = name;
            this.total = total;
            this.unit = unit == null ? "" : unit;
            this.start = start;
        }

        @Override
        public void advance(long units) {
            done.addAndGet(units);
            if (mode != Mode.NONE) {
                synchronized (ProgressBars.this) {
                    if (open.peek() == this) draw(false);
                }
            }
        }

        @Override
        public void status(String text) {
            status = text == null ? "" : text;
        }

        @Override
        public void close() {
            if (ended.compareAndSet(false, true)) finished(this);
        }

        double seconds(long now) {
            return Math.max(1e-9, (now - start) / 1e9);
        }

        String barLine(long now) {
            long d = done.get();
            double secs = seconds(now);
            StringBuilder sb = new StringBuilder("  ").append(name).append(' ');
            if (total > 0) {
                double f = Math.min(1, d / (double) total);
                int fill = (int) Math.round(f * BAR_WIDTH);
                sb.append('[').append("#".repeat(fill)).append(".".repeat(BAR_WIDTH - fill)).append(']');
                sb.append(String.format(Locale.ROOT, " %3.0f%% ", 100 * f)).append(countOfTotal(d));
                if (d > 0) sb.append("  ").append(rate(d / secs, unit)).append("  ETA ").append(duration((total - d) / (d / secs)));
            } else {
                int pos = (int) ((now - start) / 200_000_000L % (BAR_WIDTH - 3));
                sb.append('[').append(" ".repeat(pos)).append("<=>").append(" ".repeat(BAR_WIDTH - 3 - pos)).append(']');
                sb.append("  ").append(duration(secs));
                if (d > 0) sb.append("  ").append(amount(d, unit)).append("  ").append(rate(d / secs, unit));
            }
            if (!status.isEmpty()) sb.append("  ").append(status);
            return sb.toString();
        }

        String plainLine(long now) {
            long d = done.get();
            double secs = seconds(now);
            StringBuilder sb = new StringBuilder(name).append(": ");
            if (total > 0) {
                sb.append(countOfTotal(d)).append(String.format(Locale.ROOT, " (%.0f%%)", 100.0 * Math.min(1, d / (double) total)));
                if (d > 0) sb.append(", ").append(rate(d / secs, unit)).append(", ETA ").append(duration((total - d) / (d / secs)));
            } else {
                sb.append(duration(secs)).append(" elapsed");
                if (d > 0) sb.append(", ").append(amount(d, unit)).append(", ").append(rate(d / secs, unit));
            }
            if (!status.isEmpty()) sb.append(", ").append(status);
            return sb.toString();
        }

        String doneLine(long now) {
            long d = done.get();
            double secs = seconds(now);
            StringBuilder sb = new StringBuilder(name).append(": done");
            if (d > 0) sb.append(", ").append(amount(d, unit)).append(" in ").append(String.format(Locale.ROOT, "%.2f s", secs)).append(" (")
                    .append(rate(d / secs, unit)).append(')');
            else sb.append(" in ").append(String.format(Locale.ROOT, "%.2f s", secs));
            if (!status.isEmpty()) sb.append(", ").append(status);
            return sb.toString();
        }

        private String countOfTotal(long d) {
            if ("bytes".equals(unit)) return String.format(Locale.ROOT, "%.1f/%.1f MB", d / 1e6, total / 1e6);
            return String.format(Locale.ROOT, "%,d/%,d %s", d, total, unit);
        }
    }
}
