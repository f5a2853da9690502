package org.lurm.example;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.lurm.BagOfInterests;
import org.lurm.LurmModel;
import org.lurm.arrow.ArrowEmbeddings;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiSet;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.events.io.DelimitedEventReader;
import org.lurm.events.io.DelimitedFormat;
import org.lurm.events.io.ReadReport;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.smen.Smen;
import org.lurm.SmenConfig;

/**
 * A program that uses lurm as a library, built against the installed artifacts: fits a model on a small CSV of
 * events (user_id,item_id,ts; the bundled events.csv, or the file given as the first argument), saves and loads
 * it, encodes every user into an off-heap buffer, prints a few, and hands the representations to Arrow.
 */
public final class ConsumerExample {
    private ConsumerExample() {
    }

    public static void main(String[] args) throws IOException {
        int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        try (MemoryScope scope = MemoryScope.root("example");
             Backend backend = Backends.create();
             Parallel par = new Parallel(threads)) {
            // 1. Events from a CSV into an off-heap, dictionary-encoded table.
            EventTableBuilder builder = new EventTableBuilder();
            DelimitedEventReader reader = DelimitedEventReader.builder().format(DelimitedFormat.csv())
                    .user("user_id").item("item_id").timestamp("ts").build();
            ReadReport report;
            if (args.length > 0) {
                report = reader.read(Path.of(args[0]), builder);
            } else {
                try (InputStream in = ConsumerExample.class.getResourceAsStream("/events.csv")) {
                    if (in == null) throw new IOException("events.csv is not on the class path");
                    report = reader.read(in, "events.csv", builder);
                }
            }
            EventTable events = builder.build(scope);
            System.out.println("read    " + report.toString().lines().findFirst().orElse("") + " -> " + events);
            System.out.println("backend " + backend.name() + ", " + threads + " threads");

            // 2. Fit: interests (Stage 1), then SMEN on the users' multi-scale BoI rows (Stage 2). Small sizes for
            //    a small file; the defaults suit real data.
            BagOfInterests.Config cfg = BagOfInterests.Config.defaults().withDim(32).withInterests(12);
            cfg = cfg.withBoi(cfg.boi().withLenient(true));
            BagOfInterests boi = BagOfInterests.fit(events, null, cfg, backend, scope, null);
            BoiSet rows = boi.aggregate(events, backend, scope);
            SmenConfig smenConfig = SmenConfig.builder().anchors(4).anchorDim(8).headHidden(64).headOut(32)
                    .batchUsers(32).maxSteps(60).warmupSteps(6).build();
            Smen smen = Smen.train(rows, boi.interests().centroids(), boi.embeddings().dim(), smenConfig, par, null, null, 0);
            Path modelFile = Files.createTempFile("lurm-example", ".lurm");
            try {
                LurmModel.of(boi, events.items(), smen).save(modelFile);
                System.out.printf(Locale.ROOT, "fitted  %d interests, SMEN %d anchors x %d floats, %d steps; model file %d bytes%n",
                        boi.numInterests(), smenConfig.anchors(), smenConfig.anchorDim(), smen.training().steps(), Files.size(modelFile));

                // 3. Encode: the saved model turns events into one vector per user, in off-heap memory owned by scope.
                LurmModel model = LurmModel.load(modelFile, scope);
                F32Array z = model.encodeEvents(events, true, backend, par, scope);
                int width = model.smen().width();
                System.out.printf(Locale.ROOT, "encoded %d users x %d floats, off-heap: %s (%d bytes)%n",
                        events.numUsers(), width, z.segment().isNative(), z.segment().byteSize());
                for (int u = 0; u < Math.min(3, events.numUsers()); u++) {
                    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-6s", events.users().id(u)));
                    for (int j = 0; j < Math.min(6, width); j++) line.append(String.format(Locale.ROOT, " %+.4f", z.get((long) u * width + j)));
                    System.out.println(line.append(" ..."));
                }

                // 4. The same vectors as an Arrow batch (user_id, FixedSizeList<Float32>) for Spark, Flink, DuckDB, ...
                try (BufferAllocator allocator = new RootAllocator();
                     VectorSchemaRoot batch = ArrowEmbeddings.toArrow(z, width, events.users(), allocator)) {
                    System.out.println("arrow   " + batch.getRowCount() + " rows, schema " + batch.getSchema());
                }
            } finally {
                Files.deleteIfExists(modelFile);
            }
        }
    }
}
