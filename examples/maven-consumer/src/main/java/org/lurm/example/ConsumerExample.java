package org.lurm.example;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.lurm.Lurm;
import org.lurm.LurmConfig;
import org.lurm.LurmModel;
import org.lurm.SmenConfig;
import org.lurm.arrow.ArrowEmbeddings;
import org.lurm.boi.BoiSet;
import org.lurm.events.EventTable;
import org.lurm.events.EventTableBuilder;
import org.lurm.events.io.DelimitedEventReader;
import org.lurm.events.io.DelimitedFormat;
import org.lurm.events.io.ReadReport;
import org.lurm.memory.F32Array;
import org.lurm.memory.MemoryScope;

/**
 * A program that uses lurm as a library, built against the installed artifacts: fits a model on a small CSV of
 * events (user_id,item_id,ts; the bundled events.csv, or the file given as the first argument), saves and loads
 * it, encodes every user into an off-heap buffer, prints a few, explains one, and hands the representations to
 * Arrow. It uses only the API of docs/API.md.
 */
public final class ConsumerExample {
    private ConsumerExample() {
    }

    public static void main(String[] args) throws IOException {
        int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        try (Lurm lurm = Lurm.builder().threads(threads).build();
             MemoryScope scope = MemoryScope.root("example")) {
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
            System.out.println("backend " + lurm.backendName() + ", " + lurm.threads() + " threads");

            // 2. Fit: interests (Stage 1), then SMEN on the users' multi-scale BoI rows (Stage 2). Small sizes for
            //    a small file; the defaults suit real data.
            SmenConfig smen = SmenConfig.builder().anchors(4).anchorDim(8).headHidden(64).headOut(32)
                    .batchUsers(32).maxSteps(60).warmupSteps(6).build();
            LurmConfig config = LurmConfig.builder().itemDim(32).interests(12).smen(smen).build();
            LurmModel fitted = lurm.fit(events, config, scope);
            Path modelFile = Files.createTempFile("lurm-example", ".lurm");
            try {
                fitted.save(modelFile);
                System.out.printf(Locale.ROOT, "fitted  %d interests, %d floats per user; model file %d bytes%n",
                        fitted.numInterests(), fitted.width(), Files.size(modelFile));

                // 3. Encode: the saved model turns events into one vector per user, in off-heap memory owned by scope.
                LurmModel model = LurmModel.load(modelFile, scope);
                F32Array z = lurm.encode(model, events, scope);
                int width = model.width();
                System.out.printf(Locale.ROOT, "encoded %d users x %d floats, off-heap: %s (%d bytes)%n",
                        events.numUsers(), width, z.segment().isNative(), z.segment().byteSize());
                for (int u = 0; u < Math.min(3, events.numUsers()); u++) {
                    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-6s", events.users().id(u)));
                    for (int j = 0; j < Math.min(6, width); j++) line.append(String.format(Locale.ROOT, " %+.4f", z.get((long) u * width + j)));
                    System.out.println(line.append(" ..."));
                }

                // 4. Explain: the interests behind the first user's vector, and a few items of the top one.
                BoiSet rows = lurm.aggregate(model, events, true, scope);
                for (Lurm.AnchorPick pick : lurm.explain(model, rows, 0, 3)) {
                    int[] interests = pick.interests();
                    if (interests.length == 0) continue;
                    System.out.printf(Locale.ROOT, "anchor  %d of user %s: interests %s, e.g. items %s%n", pick.anchor(), events.users().id(0),
                            java.util.Arrays.toString(interests), model.interestItems(interests[0], 3));
                }

                // 5. The same vectors as an Arrow batch (user_id, FixedSizeList<Float32>) for Spark, Flink, DuckDB, ...
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
