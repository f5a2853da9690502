package org.lurm.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.spark.examples.LurmSparkJob;

/** The example job end to end on generated data: trains on a user sample, writes BoI rows and embeddings. */
class LurmSparkJobTest {
    @AfterEach
    void release() {
        ExecutorModels.closeAll();
    }

    @Test
    void exampleJobWritesBoiAndEmbeddings(@TempDir Path dir) throws Exception {
        var spark = SparkTestSupport.spark();
        Path model = dir.resolve("model.lurm");
        Map<String, Object> s = LurmSparkJob.run(spark, new String[] {"--synthetic-users", "300", "--out", dir.resolve("out").toString(),
                "--model-out", model.toString(), "--train-fraction", "0.5", "--train-steps", "6", "--partitions", "3", "--lenient"});
        assertTrue(Files.isRegularFile(model));
        long users = (Long) s.get("encodedUsers");
        assertEquals(300, users, s.toString());
        Row r = spark.read().parquet(dir.resolve("out/embeddings").toString()).first();
        assertEquals(SparkEncoder.SCHEMA.fieldNames().length, r.size());
        assertTrue(r.getList(1).size() > 0);
        assertEquals(spark.read().parquet(dir.resolve("out/boi").toString()).schema().fieldNames().length, BoiRows.SCHEMA.fieldNames().length);
        // Items missing from the training sample have no interest: with --lenient they are skipped and counted.
        long agg = (Long) s.get("aggregatedEvents"), skipped = (Long) s.get("skippedUnknownItem");
        assertTrue(agg > 0 && agg > 10 * skipped, s.toString());
        assertEquals(0L, s.get("skippedMalformed"));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LurmSparkJob.run(spark, new String[] {"--out", dir.toString()}));
        assertTrue(e.getMessage().contains("--events"), e.getMessage());
    }
}
