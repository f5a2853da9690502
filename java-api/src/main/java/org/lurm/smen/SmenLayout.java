package org.lurm.smen;

import org.lurm.SmenConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each SMEN parameter lives in one flat float array (and the same layout for its gradient and Adam
 * moments). Row-major; names and shapes (MODEL.md, Stage 2):
 * <pre>
 *   V     K x h              interest table (row k is interest k; with a volume sink K = the BoI's K + 1, the
 *                            last row being the sink, see {@link SmenConfig.VolumeSink})
 *   A     M x h              anchors
 *   W     M x h x d'         per-anchor projections: o_m[j] = sum_i r_m[i] W[m][i][j] + b[m][j]
 *   b     M x d'
 *   q     S x M x d'         time queries
 *   beta  S x R              recency bias
 *   g     M x d'             scale-gate vectors
 *   P1    (M*d') x H1        head: hid[j] = relu(sum_i z[i] P1[i][j] + c1[j])
 *   c1    H1
 *   P2    H1 x H2            head: y[j] = sum_i hid[i] P2[i][j] + c2[j];  p = y / |y|
 *   c2    H2
 * </pre>
 * V comes first so that the dense parameters form one contiguous tail ({@link #denseOffset()}).
 * Immutable and thread-safe.
 */
public final class SmenLayout {
    /** One named tensor: offset into the flat array and shape. */
    public record Tensor(String name, long offset, int[] shape) {
        public long size() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }
    }

    private final SmenConfig config;
    private final int numInterests;
    private final int boiInterests;
    private final int scales;
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final long total;

    /**
     * @param boiInterests K of the BoI rows the model reads; V has one more row when the config has a
     *                     {@link SmenConfig.VolumeSink volume sink}
     */
    public SmenLayout(SmenConfig c, int boiInterests, int scales) {
        if (boiInterests < 1) throw new IllegalArgumentException("numInterests must be >= 1");
        if (scales < 1) throw new IllegalArgumentException("scales must be >= 1");
        this.config = c;
        this.boiInterests = boiInterests;
        int numInterests = boiInterests + (c.volumeSink() == SmenConfig.VolumeSink.NONE ? 0 : 1);
        this.numInterests = numInterests;
        this.scales = scales;
        long off = 0;
        off = add("V", off, numInterests, c.h());
        off = add("A", off, c.anchors(), c.h());
        off = add("W", off, c.anchors(), c.h(), c.anchorDim());
        off = add("b", off, c.anchors(), c.anchorDim());
        off = add("q", off, scales, c.anchors(), c.anchorDim());
        off = add("beta", off, scales, c.recencyBuckets());
        off = add("g", off, c.anchors(), c.anchorDim());
        off = add("P1", off, c.outputWidth(), c.headHidden());
        off = add("c1", off, c.headHidden());
        off = add("P2", off, c.headHidden(), c.headOut());
        off = add("c2", off, c.headOut());
        total = off;
    }

    private long add(String name, long off, int... shape) {
        Tensor t = new Tensor(name, off, shape.clone());
        tensors.put(name, t);
        return off + t.size();
    }

    public SmenConfig config() {
        return config;
    }

    /** Rows of V: the BoI's K, plus the sink's row when there is one. The ops index V with this. */
    public int numInterests() {
        return numInterests;
    }

    /**
     * Interests at or above this are no targets of the interest prediction: K with a calibrated sink (the sink is
     * not an interest), all of V's rows otherwise.
     */
    public int predictionTargetLimit() {
        return config.volumeSink() == SmenConfig.VolumeSink.CALIBRATED ? boiInterests : numInterests;
    }

    /** K of the BoI rows the model reads (stage 1's interests). */
    public int boiInterests() {
        return boiInterests;
    }

    /** V's row of the volume sink, or -1 without one. */
    public int sinkInterest() {
        return numInterests > boiInterests ? boiInterests : -1;
    }

    public int scales() {
        return scales;
    }

    /** Total floats of all parameters. */
    public long total() {
        return total;
    }

    /** Offset of the first dense (non-V) parameter; everything from here to {@link #total()} is dense. */
    public long denseOffset() {
        return tensor("A").offset();
    }

    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("no SMEN tensor '" + name + "'; have " + tensors.keySet());
        return t;
    }

    /** Offset of a tensor, as an int (the flat array is a Java array). */
    public int offset(String name) {
        return Math.toIntExact(tensor(name).offset());
    }

    public List<Tensor> tensors() {
        return Collections.unmodifiableList(new ArrayList<>(tensors.values()));
    }
}
