package org.lurm.smen;

/**
 * The contrastive objective of SMEN on two views of a batch: L = L_nce + w_div * L_div (MODEL.md).
 * Implementations are thread-safe for concurrent calls with distinct gradient arrays.
 */
public interface SmenObjective {
    /** The loss and its parts: total = nce + w_div · div + w_pred · pred. */
    record Loss(double total, double nce, double div, double pred) {
        /** Without the prediction term. */
        public Loss(double total, double nce, double div) {
            this(total, nce, div, 0);
        }

        public boolean isFinite() {
            return Double.isFinite(total) && Double.isFinite(nce) && Double.isFinite(div) && Double.isFinite(pred);
        }
    }

    /** The loss; accumulates dL/dparams into {@code grad} (same layout) and records the V rows it touched. */
    Loss lossAndGradient(float[] params, SmenBatch viewA, SmenBatch viewB, float[] grad, TouchedRows touched);

    /** The loss only (held-out evaluation). */
    Loss loss(float[] params, SmenBatch viewA, SmenBatch viewB);
}
