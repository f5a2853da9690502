package org.lurm.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels. Loaded reflectively by {@link CpuBackendProvider} only when the
 * {@code jdk.incubator.vector} module is readable.
 *
 * <p>Vectorise only when the length exceeds two vector widths (short loops lose to the scalar code on setup);
 * several independent accumulators hide FMA latency (we don't know how many FMAs the CPU can issue at once);
 * a scalar tail handles the rest.
 */
public final class SimdKernels implements VectorKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    @Override
    public String name() {
        return "vector-api-" + S.vectorBitSize() + "bit";
    }

    @Override
    public float dot(MemorySegment a, long aOff, MemorySegment b, long bOff, int n) {
        int i = 0;
        float res = 0f;
        if (n >= 2 * L) {
            FloatVector acc1 = FloatVector.zero(S), acc2 = FloatVector.zero(S), acc3 = FloatVector.zero(S), acc4 = FloatVector.zero(S);
            long ab = aOff * 4, bb = bOff * 4;
            int bound4 = n - n % (4 * L);
            for (; i < bound4; i += 4 * L) {
                long o = (long) i * 4;
                acc1 = FloatVector.fromMemorySegment(S, a, ab + o, LE).fma(FloatVector.fromMemorySegment(S, b, bb + o, LE), acc1);
                acc2 = FloatVector.fromMemorySegment(S, a, ab + o + 4L * L, LE).fma(FloatVector.fromMemorySegment(S, b, bb + o + 4L * L, LE), acc2);
                acc3 = FloatVector.fromMemorySegment(S, a, ab + o + 8L * L, LE).fma(FloatVector.fromMemorySegment(S, b, bb + o + 8L * L, LE), acc3);
                acc4 = FloatVector.fromMemorySegment(S, a, ab + o + 12L * L, LE).fma(FloatVector.fromMemorySegment(S, b, bb + o + 12L * L, LE), acc4);
            }
            int bound = n - n % L;
            for (; i < bound; i += L) {
                long o = (long) i * 4;
                acc1 = FloatVector.fromMemorySegment(S, a, ab + o, LE).fma(FloatVector.fromMemorySegment(S, b, bb + o, LE), acc1);
            }
            res = acc1.add(acc2).add(acc3.add(acc4)).reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) res += a.getAtIndex(org.lurm.memory.F32Array.LAYOUT, aOff + i) * b.getAtIndex(org.lurm.memory.F32Array.LAYOUT, bOff + i);
        return res;
    }

    @Override
    public void axpy(float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff, int n) {
        int i = 0;
        if (n >= 2 * L) {
            FloatVector va = FloatVector.broadcast(S, alpha);
            long xb = xOff * 4, yb = yOff * 4;
            int bound = n - n % L;
            for (; i < bound; i += L) {
                long o = (long) i * 4;
                FloatVector.fromMemorySegment(S, x, xb + o, LE).fma(va, FloatVector.fromMemorySegment(S, y, yb + o, LE)).intoMemorySegment(y, yb + o, LE);
            }
        }
        for (; i < n; i++) {
            long yi = yOff + i;
            y.setAtIndex(org.lurm.memory.F32Array.LAYOUT, yi, y.getAtIndex(org.lurm.memory.F32Array.LAYOUT, yi) + alpha * x.getAtIndex(org.lurm.memory.F32Array.LAYOUT, xOff + i));
        }
    }

    @Override
    public void dot4(MemorySegment x, long xOff, MemorySegment m, long o0, long o1, long o2, long o3, int n, float[] out) {
        int i = 0;
        float r0 = 0, r1 = 0, r2 = 0, r3 = 0;
        if (n >= 2 * L) {
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
            long xb = xOff * 4, b0 = o0 * 4, b1 = o1 * 4, b2 = o2 * 4, b3 = o3 * 4;
            int bound = n - n % L;
            for (; i < bound; i += L) {
                long o = (long) i * 4;
                FloatVector vx = FloatVector.fromMemorySegment(S, x, xb + o, LE);
                a0 = vx.fma(FloatVector.fromMemorySegment(S, m, b0 + o, LE), a0);
                a1 = vx.fma(FloatVector.fromMemorySegment(S, m, b1 + o, LE), a1);
                a2 = vx.fma(FloatVector.fromMemorySegment(S, m, b2 + o, LE), a2);
                a3 = vx.fma(FloatVector.fromMemorySegment(S, m, b3 + o, LE), a3);
            }
            r0 = a0.reduceLanes(VectorOperators.ADD);
            r1 = a1.reduceLanes(VectorOperators.ADD);
            r2 = a2.reduceLanes(VectorOperators.ADD);
            r3 = a3.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            float xv = x.getAtIndex(org.lurm.memory.F32Array.LAYOUT, xOff + i);
            r0 += xv * m.getAtIndex(org.lurm.memory.F32Array.LAYOUT, o0 + i);
            r1 += xv * m.getAtIndex(org.lurm.memory.F32Array.LAYOUT, o1 + i);
            r2 += xv * m.getAtIndex(org.lurm.memory.F32Array.LAYOUT, o2 + i);
            r3 += xv * m.getAtIndex(org.lurm.memory.F32Array.LAYOUT, o3 + i);
        }
        out[0] = r0;
        out[1] = r1;
        out[2] = r2;
        out[3] = r3;
    }
}
