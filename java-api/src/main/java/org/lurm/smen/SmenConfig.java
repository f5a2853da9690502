package org.lurm.smen;

/**
 * Sizes and training options of SMEN (MODEL.md, Stage 2). Defaults are MODEL.md's; the options MODEL.md leaves
 * open are named here and documented in docs/DESIGN.md.
 *
 * @param h                interest embedding width inside SMEN (64)
 * @param anchors          M, number of anchors (8)
 * @param anchorDim        d', output width per anchor (16); a user is M * d' floats
 * @param recencyBuckets   R, log-spaced recency buckets of the time attention (16); history rows use the last
 * @param headHidden       width of the projection head's hidden layer (256)
 * @param headOut          width of the projection head's output (128)
 * @param tau              contrastive temperature (0.1)
 * @param diversityWeight  weight of the anchor-diversity term L_div (0.1)
 * @param learningRate     Adam learning rate (1e-3)
 * @param beta1            Adam beta1 (0.9)
 * @param beta2            Adam beta2 (0.999)
 * @param eps              Adam epsilon (1e-8)
 * @param warmupSteps      linear warm-up steps before cosine decay (100)
 * @param maxSteps         training steps (0: derived from maxEpochs)
 * @param maxEpochs        passes over the training users when maxSteps is 0 (20)
 * @param clipNorm         global gradient-norm clip (5)
 * @param batchUsers       users per batch B (256)
 * @param heldOutFraction  share of users held out for early stopping on the contrastive loss (0.05)
 * @param patience         evaluations without improvement before stopping early (5)
 * @param evalEvery        steps between held-out evaluations (50)
 * @param periodCrop       fraction of a user's periods kept by the optional period-crop augmentation (1: off)
 * @param seed             seed of initialisation, batching and view splits (42)
 */
public record SmenConfig(int h, int anchors, int anchorDim, int recencyBuckets, int headHidden, int headOut,
                         float tau, float diversityWeight,
                         float learningRate, float beta1, float beta2, float eps, int warmupSteps, int maxSteps, int maxEpochs,
                         float clipNorm, int batchUsers, double heldOutFraction, int patience, int evalEvery, double periodCrop,
                         long seed) {
    public SmenConfig {
        pos("h", h);
        pos("anchors", anchors);
        pos("anchorDim", anchorDim);
        if (recencyBuckets < 2) throw new IllegalArgumentException("SmenConfig.recencyBuckets must be >= 2, got " + recencyBuckets);
        pos("headHidden", headHidden);
        pos("headOut", headOut);
        if (!(tau > 0)) throw new IllegalArgumentException("SmenConfig.tau must be > 0, got " + tau);
        if (!(diversityWeight >= 0)) throw new IllegalArgumentException("SmenConfig.diversityWeight must be >= 0, got " + diversityWeight);
        if (!(learningRate > 0)) throw new IllegalArgumentException("SmenConfig.learningRate must be > 0, got " + learningRate);
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("SmenConfig: Adam betas must be in [0, 1)");
        if (!(eps > 0)) throw new IllegalArgumentException("SmenConfig.eps must be > 0");
        if (warmupSteps < 0 || maxSteps < 0 || maxEpochs < 0) throw new IllegalArgumentException("SmenConfig: step and epoch counts must be >= 0");
        if (!(clipNorm > 0)) throw new IllegalArgumentException("SmenConfig.clipNorm must be > 0");
        if (batchUsers < 2) throw new IllegalArgumentException("SmenConfig.batchUsers must be >= 2 (the contrastive loss needs negatives), got " + batchUsers);
        if (!(heldOutFraction >= 0 && heldOutFraction < 1)) throw new IllegalArgumentException("SmenConfig.heldOutFraction must be in [0, 1)");
        if (patience < 1 || evalEvery < 1) throw new IllegalArgumentException("SmenConfig: patience and evalEvery must be >= 1");
        if (!(periodCrop > 0 && periodCrop <= 1)) throw new IllegalArgumentException("SmenConfig.periodCrop must be in (0, 1]");
    }

    private static void pos(String n, int v) {
        if (v < 1) throw new IllegalArgumentException("SmenConfig." + n + " must be >= 1, got " + v);
    }

    public static SmenConfig defaults() {
        return new SmenConfig(64, 8, 16, 16, 256, 128, 0.1f, 0.1f, 1e-3f, 0.9f, 0.999f, 1e-8f, 100, 0, 20, 5f, 256, 0.05, 5, 50, 1.0, 42L);
    }

    /** Width of a user's representation: M * d'. */
    public int outputWidth() {
        return anchors * anchorDim;
    }
}
