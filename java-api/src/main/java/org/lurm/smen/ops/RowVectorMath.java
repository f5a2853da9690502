package org.lurm.smen.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * A reproducible vector exp. {@code lanewise(EXP)} is computed by a native math library once C2 compiles it
 * and by StrictMath before, so the same call can give different bits early and late in a run (and a saved
 * model could encode differently from the one in memory). This version uses only lane-wise multiply, add,
 * fused multiply-add and integer conversions, which are exact in both modes.
 *
 * <p>exp(x) = 2^n * p(r), n = round(x / ln 2), r = x - n ln 2 (Cody-Waite split), p a degree-6 Taylor
 * polynomial: relative error below 3e-7 on [-87, 88]; inputs below -87 give about 1e-38 instead of 0
 * (harmless in a softmax, where the largest term is 1). Loaded only with the Vector API.
 */
final class RowVectorMath {
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693145751953125f;
    private static final float LN2_LO = 1.42860682030941723212e-6f;

    private RowVectorMath() {
    }

    static FloatVector exp(FloatVector x) {
        x = x.max(-87.3f).min(88.3f);
        FloatVector t = x.mul(LOG2E);
        // round to nearest: add +-0.5 then truncate towards zero
        FloatVector half = FloatVector.broadcast(x.species(), 0.5f).blend(-0.5f, t.compare(VectorOperators.LT, 0f));
        IntVector n = (IntVector) t.add(half).convert(VectorOperators.F2I, 0);
        FloatVector nf = (FloatVector) n.convert(VectorOperators.I2F, 0);
        FloatVector r = nf.fma(FloatVector.broadcast(x.species(), -LN2_HI), x);
        r = nf.fma(FloatVector.broadcast(x.species(), -LN2_LO), r);
        var sp = x.species();
        FloatVector p = FloatVector.broadcast(sp, 1f / 720f);
        p = p.fma(r, FloatVector.broadcast(sp, 1f / 120f));
        p = p.fma(r, FloatVector.broadcast(sp, 1f / 24f));
        p = p.fma(r, FloatVector.broadcast(sp, 1f / 6f));
        p = p.fma(r, FloatVector.broadcast(sp, 0.5f));
        p = p.fma(r, FloatVector.broadcast(sp, 1f));
        p = p.fma(r, FloatVector.broadcast(sp, 1f));
        FloatVector scale = n.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale);
    }
}
