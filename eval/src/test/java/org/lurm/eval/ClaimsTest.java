package org.lurm.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The claim verdicts and their one-line form, on hand-made result rows whose verdicts are worked out by hand. */
class ClaimsTest {
    static void add(List<ResultRow> to, String method, String probe, String task, String metric, double mean) {
        to.add(new ResultRow("toy", task, method, probe, metric, mean, 0, new double[] {mean}));
    }

    /** gender: AUC (accuracy is no claim metric when the task has an AUC); age: accuracy and macro-F1. */
    static List<ResultRow> table(double lurmAuc, double rawAuc) {
        List<ResultRow> r = new ArrayList<>();
        add(r, Baselines.LURM, "logistic", "gender", "roc_auc", lurmAuc);
        add(r, Baselines.LURM, "logistic", "gender", "accuracy", 0.10);
        add(r, Baselines.LURM, "logistic", "age", "accuracy", 0.40);
        add(r, Baselines.LURM, "logistic", "age", "macro_f1", 0.30);
        add(r, Baselines.RAW_BOI, "logistic", "gender", "roc_auc", rawAuc);
        add(r, Baselines.RAW_BOI, "logistic", "gender", "accuracy", 0.90);
        add(r, Baselines.RAW_BOI, "logistic", "age", "accuracy", 0.41);
        add(r, Baselines.RAW_BOI, "logistic", "age", "macro_f1", 0.30);
        add(r, Baselines.BOI_RSVD, "logistic", "gender", "roc_auc", 0.60);
        add(r, Baselines.BOI_RSVD, "logistic", "age", "accuracy", 0.50);
        add(r, Baselines.BOI_RSVD, "logistic", "age", "macro_f1", 0.40);
        add(r, Baselines.RANDOM_PROJECTION, "logistic", "gender", "roc_auc", 0.50);
        add(r, Baselines.RANDOM_PROJECTION, "logistic", "age", "accuracy", 0.20);
        add(r, Baselines.RANDOM_PROJECTION, "logistic", "age", "macro_f1", 0.20);
        return r;
    }

    @Test
    void linesSayTheVerdictAndTheNumbers() {
        // LURM 0.70 vs raw 0.75 on gender AUC: ratio 0.9333 < 0.97; age 0.40 vs 0.41 (0.9756) and 0.30 vs 0.30 hold
        List<Claims.Claim> c = Claims.evaluate(table(0.70, 0.75), "toy", "logistic");
        assertEquals("fails", Claims.verdict(c.get(0)));
        assertEquals("claim almost-lossless (logistic): fails: LURM >= 0.97 x raw BoI on 2 of 3 task metrics (gender roc_auc 0.7000 vs 0.7500, ratio 0.933 < 0.97; "
                + "age accuracy 0.4000 vs 0.4100, ratio 0.976; age macro_f1 0.3000 vs 0.3000, ratio 1.000)", Claims.line(c.get(0), "logistic"));
        // means over the three claim metrics: LURM (0.70 + 0.40 + 0.30) / 3 = 0.4667; BoI + RSVD 0.5000; random projection 0.3000
        assertEquals("fails", Claims.verdict(c.get(1)));
        assertEquals("claim better-than-peers (logistic): fails: LURM mean 0.4667; BoI + RSVD 0.5000 (higher); random projection 0.3000",
                Claims.line(c.get(1), "logistic"));

        List<Claims.Claim> ok = Claims.evaluate(table(0.75, 0.75), "toy", "logistic");
        assertTrue(ok.get(0).holds());
        assertTrue(Claims.line(ok.get(0), "logistic").startsWith("claim almost-lossless (logistic): holds: LURM >= 0.97 x raw BoI on 3 of 3 task metrics ("));
        // LURM mean (0.75 + 0.40 + 0.30) / 3 = 0.4833 < 0.5: still below BoI + RSVD
        assertEquals("claim better-than-peers (logistic): fails: LURM mean 0.4833; BoI + RSVD 0.5000 (higher); random projection 0.3000",
                Claims.line(ok.get(1), "logistic"));
        List<Claims.Claim> best = Claims.evaluate(table(0.95, 0.75), "toy", "logistic");
        assertEquals("claim better-than-peers (logistic): holds: LURM mean 0.5500; BoI + RSVD 0.5000; random projection 0.3000", Claims.line(best.get(1), "logistic"));
    }

    @Test
    void missingMethodsLeaveTheClaimsUndecided() {
        List<ResultRow> onlyLurm = new ArrayList<>();
        add(onlyLurm, Baselines.LURM, "mlp", "gender", "roc_auc", 0.7);
        List<Claims.Claim> c = Claims.evaluate(onlyLurm, "toy", "mlp");
        for (Claims.Claim x : c) {
            assertFalse(x.holds());
            assertEquals("undecided", Claims.verdict(x));
        }
        assertEquals("claim almost-lossless (mlp): undecided: no raw BoI rows", Claims.line(c.get(0), "mlp"));
        assertEquals("claim better-than-peers (mlp): undecided: no width-matched baseline rows (BoI + RSVD, item TF-IDF + RSVD, mean item embedding, "
                + "random projection)", Claims.line(c.get(1), "mlp"));
        List<Claims.Claim> none = Claims.evaluate(onlyLurm, "other dataset", "mlp");
        assertEquals("claim almost-lossless (mlp): undecided: no LURM rows", Claims.line(none.get(0), "mlp"));
        assertEquals("claim better-than-peers (mlp): undecided: no LURM rows", Claims.line(none.get(1), "mlp"));
    }
}
