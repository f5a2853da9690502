package org.lurm.arrow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.junit.jupiter.api.Test;
import org.lurm.events.IdDictionary;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;

/** Representations out: the right schema, values and ids, every validity bit set, readable through Arrow IPC. */
class ArrowEmbeddingsTest {
    private static IdDictionary users(int n) {
        IdDictionary d = new IdDictionary();
        for (int u = 0; u < n; u++) d.add("user é" + u);   // not ASCII: UTF-8 out
        return d;
    }

    /** Rows from either memory: a heap array and scope (off-heap) memory. */
    @Test
    void copiesRepresentationsIntoAnArrowBatchThatSurvivesIpc() throws Exception {
        int n = 5, width = 3;   // 15 floats: validity bits past a whole byte
        float[] z = new float[n * width];
        for (int i = 0; i < z.length; i++) z[i] = i * 0.25f - 1f;
        try (BufferAllocator alloc = new RootAllocator(); MemoryScope scope = MemoryScope.root("emb")) {
            for (F32Array zs : new F32Array[] {F32Array.wrap(z), scope.copyOf(z)}) {
                byte[] ipc;
                try (VectorSchemaRoot out = ArrowEmbeddings.toArrow(zs, width, users(n), alloc)) {
                    assertEquals(ArrowEmbeddings.schema(width), out.getSchema());
                    check(out, z, n, width);
                    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                    try (ArrowStreamWriter w = new ArrowStreamWriter(out, null, bytes)) {
                        w.start();
                        w.writeBatch();
                        w.end();
                    }
                    ipc = bytes.toByteArray();
                }
                try (ArrowStreamReader r = new ArrowStreamReader(new ByteArrayInputStream(ipc), alloc)) {
                    assertTrue(r.loadNextBatch());
                    check(r.getVectorSchemaRoot(), z, n, width);
                }
            }
        }
    }

    private static void check(VectorSchemaRoot out, float[] z, int n, int width) {
        assertEquals(n, out.getRowCount());
        VarCharVector ids = (VarCharVector) out.getVector(ArrowEmbeddings.USER_COLUMN);
        FixedSizeListVector emb = (FixedSizeListVector) out.getVector(ArrowEmbeddings.EMBEDDING_COLUMN);
        Float4Vector values = (Float4Vector) emb.getDataVector();
        assertEquals(width, emb.getListSize());
        assertEquals(n * width, values.getValueCount());
        for (int u = 0; u < n; u++) {
            assertEquals("user é" + u, new String(ids.get(u), StandardCharsets.UTF_8));
            assertTrue(!emb.isNull(u), "row " + u + " null");
            for (int j = 0; j < width; j++) {
                assertTrue(!values.isNull(u * width + j), "value " + (u * width + j) + " null");
                assertEquals(z[u * width + j], values.get(u * width + j));
            }
        }
    }

    @Test
    void noUsersGiveAnEmptyBatchAndWrongSizesAnError() {
        try (BufferAllocator alloc = new RootAllocator()) {
            try (VectorSchemaRoot out = ArrowEmbeddings.toArrow(F32Array.wrap(new float[0]), 4, users(0), alloc)) {
                assertEquals(0, out.getRowCount());
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ArrowEmbeddings.toArrow(F32Array.wrap(new float[7]), 4, users(2), alloc));
            assertTrue(e.getMessage().contains("7 floats are not 2 users x 4"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ArrowEmbeddings.toArrow(F32Array.wrap(new float[0]), 0, users(0), alloc));
            assertEquals(0, alloc.getAllocatedMemory());
        }
    }
}
