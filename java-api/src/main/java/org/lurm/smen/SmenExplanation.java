package org.lurm.smen;

import org.lurm.SmenConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiSet;

/**
 * Why a user's representation looks as it does (MODEL.md: "a[m,j] is kept on request: it explains which
 * interests each anchor picked for a user"), and what each anchor stands for.
 *
 * <p>For user b and anchor m, the weight of interest k is the share of z_m that flows from V[k]:
 * {@code sum over scales s of c[m,s] * sum over rows t of (b, s) of alpha[m,t] * a[m,j]} over the non-zeros j of
 * row t on interest k, where a is the anchor attention, alpha the time attention and c the scale gate. The
 * weights of an anchor sum to 1 for a user with rows. Immutable results; the methods are thread-safe.
 */
public final class SmenExplanation {
    /** The interests one anchor picked for a user, heaviest first. */
    public record AnchorPick(int anchor, int[] interests, float[] weights) {
    }

    private SmenExplanation() {
    }

    /** Per anchor, the {@code top} interests with the largest weight in the user's z_m (empty: no rows). */
    public static List<AnchorPick> explain(Smen smen, BoiSet boi, int user, int top, Parallel par) {
        SmenConfig cfg = smen.config();
        int mCount = cfg.anchors(), sCount = smen.layout().scales();
        SmenBatch batch = smen.inputs(boi).full(new int[] {user});
        SmenModel.Forward f = new SmenModel(smen.layout(), par).encode(smen.parametersShared(), batch, true);
        List<AnchorPick> out = new ArrayList<>();
        for (int m = 0; m < mCount; m++) {
            Map<Integer, Double> w = new HashMap<>();
            for (int s = 0; s < sCount; s++) {
                double c = f.gateWeights()[(m) * sCount + s];
                if (c == 0) continue;
                for (int t = batch.groupFrom(0, s); t < batch.groupTo(0, s); t++) {
                    double alpha = f.timeWeights()[t * mCount + m];
                    for (int j = batch.rowPtr()[t]; j < batch.rowPtr()[t + 1]; j++) {
                        w.merge(batch.cols()[j], c * alpha * f.anchorAttention()[j * mCount + m], Double::sum);
                    }
                }
            }
            out.add(pick(m, w, top));
        }
        return out;
    }

    /** Per anchor, the {@code top} interests whose row of V is closest (cosine) to the anchor A_m. */
    public static List<AnchorPick> anchorSummaries(Smen smen, int top) {
        SmenLayout l = smen.layout();
        int h = l.config().h();
        float[] p = smen.parametersShared();
        int vOff = l.offset("V"), aOff = l.offset("A");
        List<AnchorPick> out = new ArrayList<>();
        for (int m = 0; m < l.config().anchors(); m++) {
            Map<Integer, Double> w = new HashMap<>();
            double na = 0;
            for (int i = 0; i < h; i++) na += p[aOff + m * h + i] * (double) p[aOff + m * h + i];
            for (int k = 0; k < l.boiInterests(); k++) { // not the volume sink's row
                double d = 0, nv = 0;
                for (int i = 0; i < h; i++) {
                    double v = p[vOff + k * h + i];
                    d += v * p[aOff + m * h + i];
                    nv += v * v;
                }
                w.put(k, d / Math.max(1e-12, Math.sqrt(na * nv)));
            }
            out.add(pick(m, w, top));
        }
        return out;
    }

    private static AnchorPick pick(int m, Map<Integer, Double> w, int top) {
        Integer[] ks = w.keySet().toArray(new Integer[0]);
        Arrays.sort(ks, (a, b) -> {
            int c = Double.compare(w.get(b), w.get(a));
            return c != 0 ? c : Integer.compare(a, b);
        });
        int n = Math.min(top, ks.length);
        int[] k = new int[n];
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            k[i] = ks[i];
            v[i] = (float) (double) w.get(ks[i]);
        }
        return new AnchorPick(m, k, v);
    }
}
