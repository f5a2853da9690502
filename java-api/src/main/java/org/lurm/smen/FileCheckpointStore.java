package org.lurm.smen;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.lurm.memory.MemoryScope;
import org.lurm.model.Json;
import org.lurm.model.ModelFile;
import org.lurm.model.TensorSource;

/**
 * Keeps the latest training checkpoint in one file of the project's model container ({@code checkpoint.lurm} in
 * a folder), replaced atomically at each save (temporary file, fsync, rename): a crash mid-save leaves the
 * previous checkpoint intact. Not thread-safe: one trainer writes it.
 */
public final class FileCheckpointStore implements SmenTrainer.CheckpointStore {
    public static final String FILE = "checkpoint.lurm";
    private final Path file;

    public FileCheckpointStore(Path folder) {
        try {
            Files.createDirectories(folder);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create the checkpoint folder " + folder + ": " + e.getMessage(), e);
        }
        this.file = folder.resolve(FILE);
    }

    public Path file() {
        return file;
    }

    @Override
    public void save(SmenTrainer.Checkpoint c) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("format", "lurm-smen-checkpoint");
        h.put("version", 1);
        h.put("step", c.step());
        if (Double.isFinite(c.bestHeldOutLoss())) h.put("bestHeldOutLoss", c.bestHeldOutLoss());
        h.put("badEvaluations", c.badEvaluations());
        List<TensorSource> t = new ArrayList<>();
        t.add(TensorSource.of("params", c.params(), c.params().length));
        t.add(TensorSource.of("adamM", c.adamM(), c.adamM().length));
        t.add(TensorSource.of("adamV", c.adamV(), c.adamV().length));
        if (c.bestParams() != null) t.add(TensorSource.of("bestParams", c.bestParams(), c.bestParams().length));
        long[] curve = new long[c.lossCurve().length];
        for (int i = 0; i < curve.length; i++) curve[i] = Double.doubleToRawLongBits(c.lossCurve()[i]);
        t.add(TensorSource.of("lossCurve", curve, curve.length));
        ModelFile.write(file, Json.write(h), t);
    }

    @Override
    public Optional<SmenTrainer.Checkpoint> latest() {
        if (!Files.exists(file)) return Optional.empty();
        try (MemoryScope scope = MemoryScope.root("checkpoint")) {
            ModelFile f = ModelFile.open(file, scope);
            Map<String, Object> h = Json.parseObject(f.header());
            long[] bits = f.i64("lossCurve").toArray();
            double[] curve = new double[bits.length];
            for (int i = 0; i < bits.length; i++) curve[i] = Double.longBitsToDouble(bits[i]);
            double best = h.containsKey("bestHeldOutLoss") ? Json.asDouble(h.get("bestHeldOutLoss"), "bestHeldOutLoss") : Double.POSITIVE_INFINITY;
            return Optional.of(new SmenTrainer.Checkpoint(Json.asLong(h.get("step"), "step"), f.f32("params").toArray(), f.f32("adamM").toArray(),
                    f.f32("adamV").toArray(), f.contains("bestParams") ? f.f32("bestParams").toArray() : null, best,
                    Json.asInt(h.get("badEvaluations"), "badEvaluations"), curve));
        }
    }
}
