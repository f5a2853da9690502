package org.lurm.linalg;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.lurm.backend.Backend;
import org.lurm.backend.BackendProvider;
import org.lurm.backend.Backends;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.memory.MemoryScope;

/** Shared helpers of the linalg tests: backends and matrix builders. */
final class LinalgTestSupport {
    private LinalgTestSupport() {
    }

    /** Every available CPU backend ("cpu" when the Vector API is readable, and "cpu-scalar"). */
    static List<String> cpuBackends() {
        List<String> names = new ArrayList<>();
        for (BackendProvider p : Backends.providers()) {
            if (p.name().startsWith("cpu") && p.availability().available()) names.add(p.name());
        }
        return names;
    }

    static Backend backend(String name, int threads) {
        return Backends.select(name).create(threads);
    }

    /** A random sparse m x n matrix (each entry non-zero with probability density), as dense double. */
    static double[][] randomSparse(Random rnd, int m, int n, double density) {
        double[][] a = new double[m][n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) if (rnd.nextDouble() < density) a[i][j] = (float) rnd.nextGaussian();
        return a;
    }

    /** The non-zeros of a dense matrix as CSR in {@code scope}. */
    static CsrMatrix toCsr(double[][] a, int n, MemoryScope scope) {
        int m = a.length;
        long nnz = 0;
        for (double[] row : a) for (double x : row) if (x != 0) nnz++;
        I64Array ptr = scope.allocateI64(m + 1L);
        I32Array col = scope.allocateI32(nnz);
        F32Array val = scope.allocateF32(nnz);
        long p = 0;
        for (int i = 0; i < m; i++) {
            ptr.set(i, p);
            for (int j = 0; j < n; j++) if (a[i][j] != 0) {
                col.set(p, j);
                val.set(p, (float) a[i][j]);
                p++;
            }
        }
        ptr.set(m, p);
        return new CsrMatrix(m, n, ptr, col, val);
    }
}
