package org.lurm.arrow;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

/** Small builders of filled Arrow vectors for the tests; the caller closes what it gets. */
final class ArrowFixtures {
    private ArrowFixtures() {
    }

    static VarCharVector strings(String name, BufferAllocator a, List<String> values) {
        VarCharVector v = new VarCharVector(name, a);
        v.allocateNew(values.size());
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i) != null) v.setSafe(i, values.get(i).getBytes(StandardCharsets.UTF_8));
            else v.setNull(i);
        }
        v.setValueCount(values.size());
        return v;
    }

    static IntVector ints(String name, BufferAllocator a, int... values) {
        IntVector v = new IntVector(name, a);
        v.allocateNew(values.length);
        for (int i = 0; i < values.length; i++) v.set(i, values[i]);
        v.setValueCount(values.length);
        return v;
    }

    static BigIntVector longs(String name, BufferAllocator a, long... values) {
        BigIntVector v = new BigIntVector(name, a);
        v.allocateNew(values.length);
        for (int i = 0; i < values.length; i++) v.set(i, values[i]);
        v.setValueCount(values.length);
        return v;
    }

    static Float4Vector floats(String name, BufferAllocator a, float... values) {
        Float4Vector v = new Float4Vector(name, a);
        v.allocateNew(values.length);
        for (int i = 0; i < values.length; i++) v.set(i, values[i]);
        v.setValueCount(values.length);
        return v;
    }

    /** A dictionary-encoded column: Int32 indices whose field names dictionary {@code id}. */
    static IntVector encoded(String name, long id, BufferAllocator a, int... indices) {
        DictionaryEncoding enc = new DictionaryEncoding(id, false, new ArrowType.Int(32, true));
        IntVector v = new IntVector(new Field(name, new FieldType(false, new ArrowType.Int(32, true), enc), null), a);
        v.allocateNew(indices.length);
        for (int i = 0; i < indices.length; i++) v.set(i, indices[i]);
        v.setValueCount(indices.length);
        return v;
    }

    /** The dictionary {@code id} over {@code values} (which the caller closes). */
    static Dictionary dictionary(long id, VarCharVector values) {
        return new Dictionary(values, new DictionaryEncoding(id, false, new ArrowType.Int(32, true)));
    }
}
