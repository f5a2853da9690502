package org.lurm.backend.cpu;

import org.lurm.backend.Backend;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.I64Array;
import org.lurm.testing.TestData;

/** The shared Backend argument checks and the CSR transpose against a naive (entry-list) transpose. */
class BackendChecksTest {
    @Test
    void transposeMatchesEntryListTranspose() {
        SplittableRandom r = new SplittableRandom(TestData.seed("backend-checks-transpose"));
        for (int round = 0; round < 20; round++) {
            int nRows = r.nextInt(0, 30), nCols = r.nextInt(1, 30);
            List<long[]> entries = new ArrayList<>(); // row, col, index into vals (entry order)
            long[] rowPtr = new long[nRows + 1];
            List<Integer> cols = new ArrayList<>();
            List<Float> vals = new ArrayList<>();
            for (int i = 0; i < nRows; i++) {
                int n = r.nextInt(0, 6);
                for (int q = 0; q < n; q++) {
                    entries.add(new long[] {i, r.nextInt(nCols), cols.size()});
                    cols.add((int) entries.getLast()[1]);
                    vals.add((float) r.nextGaussian());
                }
                rowPtr[i + 1] = cols.size();
            }
            int[] c = cols.stream().mapToInt(Integer::intValue).toArray();
            float[] v = new float[vals.size()];
            for (int i = 0; i < v.length; i++) v[i] = vals.get(i);
            long nnz = BackendChecks.csrNonZeros(I64Array.wrap(rowPtr), I32Array.wrap(c), F32Array.wrap(v), nRows);
            assertEquals(c.length, nnz);
            BackendChecks.CsrTranspose t = BackendChecks.transposeCsr(I64Array.wrap(rowPtr), I32Array.wrap(c), F32Array.wrap(v), nRows, nCols, nnz);
            // Reference: per column, the entries in row order (a stable sort keeps the original entry order).
            List<long[]> sorted = new ArrayList<>(entries);
            sorted.sort((a, b) -> Long.compare(a[1], b[1]));
            assertEquals(nCols + 1, t.rowPtr().length());
            for (int col = 0; col < nCols; col++) {
                final int cc = col;
                List<long[]> inCol = sorted.stream().filter(e -> e[1] == cc).toList();
                long lo = t.rowPtr().get(col), hi = t.rowPtr().get(col + 1);
                assertEquals(inCol.size(), hi - lo, "column " + col);
                for (int j = 0; j < inCol.size(); j++) {
                    assertEquals((int) inCol.get(j)[0], t.cols().get(lo + j));
                    assertEquals(v[(int) inCol.get(j)[2]], t.vals().get(lo + j));
                }
            }
        }
    }

    @Test
    void badInputIsRejectedWithItsReason() {
        I64Array ptr = I64Array.wrap(new long[] {0, 2, 3});
        I32Array cols = I32Array.wrap(new int[] {0, 4, 1});
        F32Array vals = F32Array.wrap(new float[] {1, 2, 3});
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BackendChecks.csrNonZeros(ptr, cols, vals, 3)).getMessage().contains("nRows+1 = 4"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BackendChecks.csrNonZeros(ptr, I32Array.wrap(new int[] {0, 1}), vals, 2))
                .getMessage().contains("rowPtr[nRows] = 3"));
        assertThrows(IndexOutOfBoundsException.class, () -> BackendChecks.transposeCsr(ptr, cols, vals, 2, 3, 3));
        assertArrayEquals(new long[] {0, 1, 2, 2, 2, 3}, BackendChecks.transposeCsr(ptr, cols, vals, 2, 5, 3).rowPtr().toArray());
        assertTrue(assertThrows(IndexOutOfBoundsException.class, () -> BackendChecks.checkRange("A", 5, 2, 4)).getMessage().contains("A: [2, 6)"));
        BackendChecks.checkRange("A", 6, 2, 4);
        assertThrows(IndexOutOfBoundsException.class, () -> BackendChecks.checkRange("A", 6, -1, 1));
        F32Array pts = F32Array.wrap(new float[6]);
        I32Array idx = I32Array.wrap(new int[3]);
        F32Array sc = F32Array.wrap(new float[3]);
        BackendChecks.checkAssignNearest(pts, 3, pts, 3, 2, idx, sc);
        assertThrows(IllegalArgumentException.class, () -> BackendChecks.checkAssignNearest(pts, 3, pts, 0, 2, idx, sc));
        assertThrows(IndexOutOfBoundsException.class, () -> BackendChecks.checkAssignNearest(pts, 4, pts, 1, 2, idx, sc));
        assertThrows(IllegalArgumentException.class, () -> BackendChecks.checkAssignNearest(pts, 3, pts, 1, 2, I32Array.wrap(new int[2]), sc));
    }
}
