package org.lurm.smen;

/**
 * The SMEN op set (MODEL.md, Stage 2) as a backend implements it: every op with its forward and a backward
 * that ACCUMULATES (+=) into the gradient (laid out like the parameters, {@link SmenLayout}). The CPU backend
 * implements it with the Vector API kernels of {@code org.lurm.smen.ops} ({@link org.lurm.backend.Backend#smenOps});
 * the CUDA backend will implement the same interface. Arrays are heap float[] (batches are small and built per
 * step); layouts: r [t][m][i], attn [j][m], o [t][m][j], u [b][s][m][j], time weights [t][m], z [b][m][j],
 * gate [b][m][s].
 *
 * <p>Implementations are thread-safe; results depend only on the inputs (and the thread count, for backends
 * whose reductions do).
 */
public interface SmenOps {
    /** What the projection head's forward keeps for its backward. */
    interface HeadState {
        /** p, users x headOut, unit rows. */
        float[] p();
    }

    SmenLayout layout();

    void attentionForward(float[] params, SmenBatch batch, float[] r, float[] attn);

    /** @return the distinct interest rows that received a gradient, ascending */
    int[] attentionBackward(float[] params, SmenBatch batch, float[] attn, float[] dr, float[] grad);

    void projectionForward(float[] params, int rows, float[] r, float[] o);

    void projectionBackward(float[] params, int rows, float[] r, float[] dout, float[] dr, float[] grad);

    void timeForward(float[] params, SmenBatch batch, float[] o, float[] u, float[] weights);

    void timeBackward(float[] params, SmenBatch batch, float[] o, float[] weights, float[] du, float[] dO, float[] grad);

    /** @return the number of users without any rows (z = 0, flagged in noRows) */
    int gateForward(float[] params, SmenBatch batch, float[] u, float[] z, float[] gate, boolean[] noRows);

    void gateBackward(float[] params, SmenBatch batch, float[] u, float[] gate, float[] dz, float[] du, float[] grad);

    HeadState headForward(float[] params, float[] z, int users);

    void headBackward(float[] params, float[] z, HeadState state, float[] dp, float[] dz, float[] grad);

    /** Symmetric InfoNCE; with dpA/dpB not null, its gradient (times scale) is accumulated into them. */
    double infoNce(float[] pA, float[] pB, int users, float scale, float[] dpA, float[] dpB);

    /** L_div of the anchors; with grad not null, scale times its gradient is accumulated into it. */
    double diversity(float[] params, float scale, float[] grad);

    /**
     * Cross-view interest prediction ({@link org.lurm.smen.ops.InterestPrediction}): the loss of predicting the
     * targets {@code y} (users x C, over the ascending {@code candidates}) from the representations {@code z};
     * with dz/grad not null, scale times its gradient is accumulated into them (V's candidate rows and W into
     * grad, the z's into dz).
     */
    double interestPrediction(float[] params, float[] z, int users, int[] candidates, float[] y, float scale, float[] dz, float[] grad);
}
