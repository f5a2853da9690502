package org.lurm.smen.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.lurm.testing.TestData;

class RowVectorMathTest {
    @Test
    void expIsAccurateAndGivesTheSameBitsInterpretedAndCompiled() {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(), "needs --add-modules jdk.incubator.vector");
        SplittableRandom r = new SplittableRandom(TestData.seed("vexp"));
        var sp = FloatVector.SPECIES_PREFERRED;
        int l = sp.length();
        float[] x = new float[l * 4096];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 175 - 87);
        x[0] = 0f;
        x[1] = -87f;
        x[2] = 88f;
        float[] first = new float[x.length];
        for (int i = 0; i < x.length; i += l) RowVectorMath.exp(FloatVector.fromArray(sp, x, i)).intoArray(first, i);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double e = StrictMath.exp(x[i]);
            worst = Math.max(worst, Math.abs(first[i] - e) / e);
        }
        assertTrue(worst < 3e-7, "relative error " + worst);
        assertEquals(1f, first[0]);
        float[] later = new float[x.length];
        for (int rep = 0; rep < 200; rep++) {
            for (int i = 0; i < x.length; i += l) RowVectorMath.exp(FloatVector.fromArray(sp, x, i)).intoArray(later, i);
        }
        for (int i = 0; i < x.length; i++) assertEquals(Float.floatToIntBits(first[i]), Float.floatToIntBits(later[i]), "x = " + x[i]);
    }
}
