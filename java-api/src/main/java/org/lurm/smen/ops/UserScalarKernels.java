package org.lurm.smen.ops;

/** Plain-Java {@link UserKernels}: the reference the Vector API version is tested against. Stateless. */
final class UserScalarKernels implements UserKernels {
    static final UserScalarKernels INSTANCE = new UserScalarKernels();

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void gemmNN(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int k, int m, int r0, int r1) {
        for (int r = r0; r < r1; r++) {
            int ar = aOff + r * k, cr = cOff + r * m;
            for (int i = 0; i < k; i++) {
                float av = a[ar + i];
                int bi = bOff + i * m;
                for (int j = 0; j < m; j++) c[cr + j] += av * b[bi + j];
            }
        }
    }

    @Override
    public void gemmTN(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int n, int k, int m, int i0, int i1) {
        for (int i = i0; i < i1; i++) {
            int ci = cOff + i * m;
            for (int r = 0; r < n; r++) {
                float av = a[aOff + r * k + i];
                int br = bOff + r * m;
                for (int j = 0; j < m; j++) c[ci + j] += av * b[br + j];
            }
        }
    }
}
