package org.lurm.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.events.EventTable;
import org.lurm.events.UserAttributes;
import org.lurm.events.io.DelimitedFormat;
import org.lurm.events.io.MovieLens;
import org.lurm.memory.MemoryScope;
import org.lurm.testing.TestData;

/**
 * The MovieLens 100K labels read two ways, by {@link MovieLensLabels} (age classes in bucket order, gender
 * [F, M]) and by {@link LabelsReader} from a CSV written from the same attributes (classes sorted by name, so
 * "&lt;18" comes last), give the same folds and the same metrics for every task: the protocol depends on which
 * users share a class, not on how a reader ordered or named the classes.
 */
class LabelSourceInvarianceTest {
    @Test
    void movieLensLabelsAndACsvOfThemGiveTheSameFoldsAndMetrics(@TempDir Path dir) throws Exception {
        Path ml = TestData.dataset("movielens-100k");
        try (MemoryScope scope = MemoryScope.root("t"); Backend backend = Backends.create()) {
            MovieLens.Dataset data = MovieLens.read100k(ml, scope);
            EventTable events = data.events();
            List<LabelTable> native_ = MovieLensLabels.of(data);

            Path csv = dir.resolve("labels.csv");
            UserAttributes a = data.attributes();
            try (Writer w = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
                w.write("user_id,gender,age,occupation\n");
                for (int u = 0; u < events.numUsers(); u++) {
                    String age = MovieLensLabels.AGE_NAMES.get(MovieLens.AGE_BUCKETS.indexOf(a.get(u, "age")));
                    w.write(events.users().id(u) + "," + a.get(u, "gender") + "," + age + "," + a.get(u, "occupation") + "\n");
                }
            }
            Map<String, LabelTable.Kind> kinds = new LinkedHashMap<>();
            kinds.put("gender", LabelTable.Kind.BINARY);
            kinds.put("age", LabelTable.Kind.MULTI_CLASS);
            kinds.put("occupation", LabelTable.Kind.MULTI_CLASS);
            List<LabelTable> read = new LabelsReader(DelimitedFormat.csv().withHeader(true), "user_id", kinds, false).read(csv, events.users()).tables();
            assertNotEquals(native_.get(1).classes(), read.get(1).classes(), "the two sources order the age classes differently");

            Features x = Baselines.truncatedSvd("item tf-idf 16", Baselines.itemTfIdf(events), 16, 3, backend, scope);
            ProbeEvaluator.Options o = ProbeEvaluator.Options.defaults().withSeed(42).withMlp(false);
            for (int t = 0; t < 3; t++) {
                LabelTable p = native_.get(t), q = read.get(t);
                for (int u = 0; u < events.numUsers(); u++) {
                    assertEquals(p.classes().get(p.classOf(u)), q.classes().get(q.classOf(u)), "the same label of user " + u + " in " + p.name());
                }
                ProbeEvaluator.Task tp = ProbeEvaluator.prepare(p.name(), p, null, o), tq = ProbeEvaluator.prepare(q.name(), q, null, o);
                assertArrayEquals(tp.folds().assignment(), tq.folds().assignment(), "folds of " + p.name());
                var rp = ProbeEvaluator.evaluate(tp, x, o, backend, null).get(ProbeEvaluator.LOGISTIC);
                var rq = ProbeEvaluator.evaluate(tq, x, o, backend, null).get(ProbeEvaluator.LOGISTIC);
                for (String metric : tp.metrics()) assertArrayEquals(rp.get(metric), rq.get(metric), 0, p.name() + " " + metric);
                if (t == 0) assertTrue(Metrics.mean(rp.get("roc_auc")) > 0.6, "gender is learnable from ratings");
            }
        }
    }
}
