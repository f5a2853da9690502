package org.lurm.arrow;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.lurm.events.IdDictionary;
import org.lurm.memory.F32Array;

/**
 * User representations as an Arrow record batch: a {@code user_id} column (Utf8, the external id) and an
 * {@code embedding} column ({@code FixedSizeList<Float32>} of the representation's width), one row per user,
 * as {@code LurmModel.encodeEvents} and {@code Smen.encode} produce them (row u = user index u).
 *
 * <pre>{@code
 * F32Array z = model.encodeEvents(events, false, backend, par, scope);
 * try (VectorSchemaRoot out = ArrowEmbeddings.toArrow(z, model.smen().width(), events.users(), allocator)) {
 *     // hand `out` to an ArrowWriter, Arrow Flight, the C Data Interface, ...
 * }
 * }</pre>
 *
 * <p><b>Ownership.</b> The batch is allocated from the given allocator and belongs to the caller, who closes it;
 * the floats are copied into it in one bulk copy (Arrow must own the memory it hands out, and the scope that owns
 * {@code z} may close first), so {@code z} may be freed right after the call.
 *
 * <p>The copy goes through a view of the Arrow buffer's memory ({@link MemorySegment#reinterpret}), a
 * restricted method: run with {@code --enable-native-access=ALL-UNNAMED}.
 *
 * <p><b>Thread-safety.</b> Stateless; thread-safe. The returned batch is not.
 */
public final class ArrowEmbeddings {
    /** Name of the user id column. */
    public static final String USER_COLUMN = "user_id";
    /** Name of the embedding column. */
    public static final String EMBEDDING_COLUMN = "embedding";
    /** Name of the embedding list's element field (Arrow C++'s and pyarrow's default for list elements). */
    public static final String ELEMENT_FIELD = "item";

    private ArrowEmbeddings() {
    }

    /** The batch's schema for representations of {@code width} floats. */
    public static Schema schema(int width) {
        if (width < 1) throw new IllegalArgumentException("embedding width must be >= 1, got " + width);
        Field element = new Field(ELEMENT_FIELD, FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)), null);
        Field embedding = new Field(EMBEDDING_COLUMN, FieldType.notNullable(new ArrowType.FixedSizeList(width)), List.of(element));
        Field user = new Field(USER_COLUMN, FieldType.notNullable(ArrowType.Utf8.INSTANCE), null);
        return new Schema(List.of(user, embedding));
    }

    /**
     * Copies {@code users.size()} representations of {@code width} floats (row-major, row u for user index u)
     * into a new batch allocated from {@code allocator}.
     *
     * @throws IllegalArgumentException {@code z} does not hold {@code users.size() * width} floats, or there are
     *                                  more than {@code Integer.MAX_VALUE} floats (Arrow's limit per vector)
     */
    @SuppressWarnings("restricted")   // a view of the fresh Arrow buffer, used only inside this call
    public static VectorSchemaRoot toArrow(F32Array z, int width, IdDictionary users, BufferAllocator allocator) {
        Objects.requireNonNull(z, "z");
        Objects.requireNonNull(users, "users");
        Objects.requireNonNull(allocator, "allocator");
        Schema schema = schema(width);
        int n = users.size();
        if (z.length() != (long) n * width) {
            throw new IllegalArgumentException("representations of " + z.length() + " floats are not " + n + " users x " + width);
        }
        if ((long) n * width > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(n + " users x " + width + " floats exceed one Arrow vector: encode in batches of users");
        }
        int total = n * width;
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        try {
            VarCharVector ids = (VarCharVector) root.getVector(USER_COLUMN);
            ids.allocateNew(n);
            for (int u = 0; u < n; u++) ids.setSafe(u, users.id(u).getBytes(StandardCharsets.UTF_8));
            ids.setValueCount(n);

            FixedSizeListVector list = (FixedSizeListVector) root.getVector(EMBEDDING_COLUMN);
            list.setInitialCapacity(n);
            list.allocateNew();
            Float4Vector values = (Float4Vector) list.getDataVector();
            if (values.getValueCapacity() < total) values.allocateNew(total);
            long bytes = (long) total * F32Array.BYTES;
            if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
                MemorySegment dst = MemorySegment.ofAddress(values.getDataBuffer().memoryAddress()).reinterpret(bytes);
                // Byte copy: the source may be a heap array (F32Array.wrap); both sides are little-endian floats.
                MemorySegment.copy(z.segment(), 0, dst, 0, bytes);
            } else {
                for (int i = 0; i < total; i++) values.set(i, z.get(i));   // Arrow's buffers are in native order
            }
            setValid(values.getValidityBuffer(), total);
            setValid(list.getValidityBuffer(), n);
            list.setValueCount(n);
            values.setValueCount(total);
            root.setRowCount(n);
            return root;
        } catch (RuntimeException | Error e) {
            root.close();
            throw e;
        }
    }

    /** Sets the first {@code count} validity bits: whole bytes at once, the tail bit by bit. */
    private static void setValid(ArrowBuf validity, int count) {
        long full = count / 8;
        if (full > 0) validity.setOne(0L, full);
        for (int i = (int) full * 8; i < count; i++) BitVectorHelper.setBit(validity, i);
    }
}
