package org.lurm.testing;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.lurm.LurmModel;
import org.lurm.boi.BoiConfig;
import org.lurm.boi.Scale;
import org.lurm.events.IdDictionary;
import org.lurm.memory.F32Array;
import org.lurm.memory.I32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.smen.Smen;
import org.lurm.SmenConfig;
import org.lurm.smen.SmenLayout;

/**
 * A valid lurm model of a few kilobytes with random parameters (10 items, K = 5 interests, two scales, SMEN
 * with 2 anchors of 2 floats), written in milliseconds: the seed of the model-file fault and fuzz tests.
 * Stateless; thread-safe.
 */
public final class TinyModel {
    public static final int ITEMS = 10, K = 5, CENTROID_DIM = 3;

    private TinyModel() {
    }

    public static SmenConfig config() {
        SmenConfig d = SmenConfig.defaults();
        return new SmenConfig(4, 2, 2, 2, 4, 4, d.tau(), d.diversityWeight(), d.learningRate(), d.beta1(), d.beta2(), d.eps(), 0, 5, 1,
                d.clipNorm(), 2, d.heldOutFraction(), d.patience(), d.evalEvery(), d.periodCrop(), 7L);
    }

    /** The model, its arrays in {@code scope}. */
    public static LurmModel build(MemoryScope scope, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        IdDictionary items = new IdDictionary();
        for (int i = 0; i < ITEMS; i++) items.add("item-" + i);
        I32Array map = scope.allocateI32(ITEMS);
        for (int i = 0; i < ITEMS; i++) map.set(i, i == ITEMS - 1 ? -1 : i % K);
        F32Array centroids = scope.allocateF32((long) K * CENTROID_DIM);
        for (long i = 0; i < centroids.length(); i++) centroids.set(i, (float) r.nextGaussian());
        List<Scale> scales = List.of(new Scale("1d", Scale.DAY, 4), new Scale("7d", 7 * Scale.DAY, 2));
        SmenLayout layout = new SmenLayout(config(), K, scales.size());
        float[] params = new float[(int) layout.total()];
        for (int i = 0; i < params.length; i++) params[i] = (float) (r.nextGaussian() * 0.1);
        float[] idf = new float[K];
        for (int k = 0; k < K; k++) idf[k] = 1f + k;
        Smen smen = new Smen(layout, params, idf, new long[] {100, 14}, null);
        return new LurmModel(items, map, centroids, CENTROID_DIM, new BoiConfig(scales, 0, null, false), smen);
    }

    /** Writes the model to {@code path}. */
    public static void write(Path path, long seed) {
        try (MemoryScope scope = MemoryScope.root("tiny-model")) {
            build(scope, seed).save(path);
        }
    }
}
