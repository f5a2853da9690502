package org.lurm.spark;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serial;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.lurm.BagOfInterests;
import org.lurm.LurmModel;
import org.lurm.events.IdDictionary;
import org.lurm.memory.I32Array;
import org.lurm.memory.MemoryScope;

/**
 * The item-to-interest mapping (MODEL.md, Stage 1) as a plain, serialisable table keyed by item id: what
 * {@link SparkBoi} broadcasts to executors. Items that are not listed (or listed with interest -1) have no
 * interest: their events fail the aggregation, or are skipped and counted in lenient mode, as in the local
 * library.
 *
 * <p>Made on the driver from a fitted {@link BagOfInterests} (see {@link SparkSampling} for fitting it on a
 * sample of the events), from a {@link LurmModel} file, or from plain arrays.
 *
 * <p><b>Serialisation.</b> Java-serialisable: two arrays (ids, interests); the lookup map is rebuilt lazily after
 * deserialisation, once per executor JVM when broadcast. About 60 bytes per item in a broadcast.
 * <b>Thread-safety.</b> Immutable; {@link #interestOf} may be called from several threads.
 */
public final class ItemInterests implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    private final String[] ids;
    private final int[] interests;
    private final int numInterests;
    private transient volatile Map<String, Integer> index;

    public ItemInterests(String[] ids, int[] interests, int numInterests) {
        Objects.requireNonNull(ids, "ids");
        Objects.requireNonNull(interests, "interests");
        if (ids.length != interests.length) throw new IllegalArgumentException("one interest per item id is needed: " + ids.length + " ids, " + interests.length + " interests");
        if (numInterests < 1) throw new IllegalArgumentException("numInterests must be >= 1, got " + numInterests);
        for (int i = 0; i < interests.length; i++) {
            if (interests[i] < -1 || interests[i] >= numInterests) {
                throw new IllegalArgumentException("item '" + ids[i] + "' maps to interest " + interests[i] + " outside [-1, " + numInterests + ")");
            }
        }
        this.ids = ids.clone();
        this.interests = interests.clone();
        this.numInterests = numInterests;
        buildIndex();
    }

    /** The mapping of a local item dictionary and its item-to-interest table (-1: none). */
    public static ItemInterests of(IdDictionary items, I32Array itemInterest, int numInterests) {
        if (itemInterest.length() < items.size()) throw new IllegalArgumentException("item-to-interest table shorter than the item dictionary");
        String[] ids = new String[items.size()];
        int[] k = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = items.id(i);
            k[i] = itemInterest.get(i);
        }
        return new ItemInterests(ids, k, numInterests);
    }

    /** The interests of a Stage 1 fitted with the local library over the item dictionary {@code items}. */
    public static ItemInterests of(BagOfInterests stage1, IdDictionary items) {
        var m = stage1.interests();
        int n = Math.min(items.size(), m.numItems());
        String[] ids = new String[n];
        int[] k = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = items.id(i);
            k[i] = m.interestOf(i);
        }
        return new ItemInterests(ids, k, m.numInterests());
    }

    /** The interests stored in a model file (its item ids and their interests). */
    public static ItemInterests fromModel(Path modelFile) {
        try (MemoryScope scope = MemoryScope.root("item-interests")) {
            return fromModel(LurmModel.load(modelFile, scope));
        }
    }

    /** The interests of a loaded model (copied: the result does not depend on the model's scope). */
    public static ItemInterests fromModel(LurmModel model) {
        int k = model.smen().layout().boiInterests(); // interests items can have (not the volume sink)
        IdDictionary items = model.items();
        return of(items, model.itemInterest(), k);
    }

    /** Interest of an item id, or -1 when the item has none. */
    public int interestOf(String itemId) {
        Map<String, Integer> m = index;
        if (m == null) m = buildIndex();
        Integer k = m.get(itemId);
        return k == null ? -1 : k;
    }

    public int numInterests() {
        return numInterests;
    }

    public int numItems() {
        return ids.length;
    }

    private synchronized Map<String, Integer> buildIndex() {
        if (index == null) {
            Map<String, Integer> m = new HashMap<>(ids.length * 2);
            for (int i = 0; i < ids.length; i++) {
                if (m.put(ids[i], interests[i]) != null) throw new IllegalArgumentException("item id '" + ids[i] + "' is listed twice");
            }
            index = m;
        }
        return index;
    }

    @Serial
    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        if (ids == null || interests == null || ids.length != interests.length) throw new java.io.InvalidObjectException("corrupt ItemInterests");
    }

    @Override
    public String toString() {
        return "ItemInterests[" + ids.length + " items, K = " + numInterests + "]";
    }
}
