package org.lurm.perf.gpu;

import java.util.Locale;
import java.util.SplittableRandom;
import org.lurm.backend.Availability;
import org.lurm.backend.Backends;
import org.lurm.cuda.NativeLibrary;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenLayout;

/**
 * What the GPU SMEN benchmarks share: the device check (a benchmark without a GPU prints one skip row and exits 0,
 * so the run script's table says why), the card's name, random parameters, and the result rows. Every result is
 * one markdown table row starting with "| smen " (the run script collects them with {@code grep '^| smen '}):
 * {@code | what | measured | reference | ratio | aim | verdict |}. Static, thread-safe.
 */
final class SmenGpuBenchSupport {
    private SmenGpuBenchSupport() {
    }

    /** The card, or null after printing a skip row when the cuda backend cannot run here. */
    static String deviceOrSkip(String what) {
        Availability a = Backends.providers().stream().filter(p -> p.name().equals("cuda")).findFirst().map(p -> p.availability())
                .orElse(Availability.no("no cuda provider on the class path"));
        if (!a.available()) {
            row(what, "skipped", String.join("; ", a.reasons()), "-", "-", "not run");
            return null;
        }
        return NativeLibrary.load().deviceDescription(0);
    }

    static void row(String what, String measured, String reference, String ratio, String aim, String verdict) {
        System.out.println("| smen " + what + " | " + measured + " | " + reference + " | " + ratio + " | " + aim + " | " + verdict + " |");
    }

    static String f(String fmt, Object... args) {
        return String.format(Locale.ROOT, fmt, args);
    }

    /** Normal(0, sd) parameters of a layout, c1 in [0.1, 0.5] (live ReLUs), from a seed. */
    static float[] params(SmenLayout layout, double sd, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] p = new float[Math.toIntExact(layout.total())];
        for (int i = 0; i < p.length; i++) p[i] = (float) (sd * r.nextGaussian());
        int c1 = layout.offset("c1");
        for (int j = 0; j < layout.config().headHidden(); j++) p[c1 + j] = (float) (0.1 + 0.4 * r.nextDouble());
        return p;
    }

    static int intArg(String[] args, String name, int dflt) {
        for (int i = 0; i + 1 < args.length; i++) if (args[i].equals("--" + name)) return Integer.parseInt(args[i + 1]);
        return dflt;
    }

    static String strArg(String[] args, String name, String dflt) {
        for (int i = 0; i + 1 < args.length; i++) if (args[i].equals("--" + name)) return args[i + 1];
        return dflt;
    }

    static SmenLayout layout(int interests, int scales) {
        return new SmenLayout(SmenConfig.defaults(), interests, scales);
    }
}
