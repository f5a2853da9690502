package org.lurm.cuda.smen;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.lurm.backend.Availability;
import org.lurm.backend.Backend;
import org.lurm.backend.BackendProvider;
import org.lurm.backend.Backends;
import org.lurm.smen.SmenBatch;
import org.lurm.testing.SmenCase;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenLayout;
import org.lurm.smen.SmenOps;

/**
 * The SMEN backends the cross-backend tests run, how to make each one's ops, and why one cannot run here; plus
 * the shared error measure and random cases. Test support, thread-safe (stateless).
 */
final class SmenBackends {
    private SmenBackends() {
    }

    /** Backends in test order: the CPU ones through the Backend SPI, then CUDA. */
    static final List<String> NAMES = List.of("cpu", "cpu-scalar", "cuda");

    /** Null when the CUDA SMEN ops can run here, else why not (the cuda provider's reasons). */
    static String cudaUnavailable() {
        return unavailable("cuda");
    }

    /** Null when backend {@code name} can run here, else the reason to skip (its provider's words). */
    static String unavailable(String name) {
        BackendProvider p = Backends.providers().stream().filter(x -> x.name().equals(name)).findFirst().orElse(null);
        if (p == null) return name + ": no such provider";
        Availability a = p.availability();
        return a.available() ? null : name + ": " + String.join("; ", a.reasons());
    }

    /** A backend's SMEN ops with the resources to close after use. */
    record Ops(SmenOps ops, AutoCloseable owner) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            if (owner != null) owner.close();
        }
    }

    static Ops open(String name, SmenLayout layout) {
        BackendProvider p = Backends.providers().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
        Backend b = p.create(2);
        try {
            return new Ops(b.smenOps(layout), b);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
    }

    /** Normalised squared error: sum (got - ref)^2 / max(sum ref^2, 1e-30). */
    static double nmse(float[] ref, float[] got, int n) {
        double num = 0, den = 0;
        for (int i = 0; i < n; i++) {
            double d = (double) got[i] - ref[i];
            num += d * d;
            den += (double) ref[i] * ref[i];
        }
        return num / Math.max(den, 1e-30);
    }

    /** got - base, elementwise (what an accumulating op added). */
    static float[] delta(float[] got, float[] base) {
        float[] d = new float[got.length];
        for (int i = 0; i < d.length; i++) d[i] = got[i] - base[i];
        return d;
    }

    static float[] gaussian(SplittableRandom r, int n, double sd) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (sd * r.nextGaussian());
        return a;
    }

    /**
     * The random small case of SmenCase (edge cases planted), one with h = 40 and the interest prediction term on
     * (weight 0.5), and a wide one at the default sizes with long rows, without and with the term (weight 0.3).
     */
    static List<SmenCase> cases(SplittableRandom rnd) {
        List<SmenCase> c = new ArrayList<>();
        c.add(SmenCase.random(rnd));
        c.add(SmenCase.random(rnd, SmenCase.sized(40, 3, 5, 5, 24, 12, 0.2f, 0.3f), 50, 2, 7).withPredictionWeight(0.5f));
        c.add(wide(rnd));
        c.add(wide(rnd).withPredictionWeight(0.3f));
        return c;
    }

    /**
     * h 64, M 8, d' 16, head 256 x 128 (the defaults), S 3, 12 users, K 400, rows of 1..70 interests (several tiles of
     * 32 non-zeros), user 0 without rows and user 1 without rows at scale 0 in view A.
     */
    static SmenCase wide(SplittableRandom rnd) {
        SmenConfig cfg = SmenCase.sized(64, 8, 16, 16, 256, 128, 0.1f, 0.1f);
        int users = 12, scales = 3, k = 400;
        int[] ra = new int[users * scales], rb = new int[users * scales];
        for (int g = 0; g < ra.length; g++) {
            ra[g] = rnd.nextInt(1, 5);
            rb[g] = rnd.nextInt(1, 5);
        }
        Arrays.fill(ra, 0, scales, 0);
        ra[scales] = 0;
        SmenBatch a = SmenCase.randomView(rnd, cfg, k, scales, users, ra, 70);
        SmenBatch b = SmenCase.randomView(rnd, cfg, k, scales, users, rb, 70);
        SmenLayout layout = new SmenLayout(cfg, k, scales);
        float[] p = gaussian(rnd, Math.toIntExact(layout.total()), 0.5);
        int c1 = layout.offset("c1");
        for (int j = 0; j < cfg.headHidden(); j++) p[c1 + j] = (float) (0.1 + 0.4 * rnd.nextDouble());
        return new SmenCase(cfg, k, scales, p, a, b);
    }
}
