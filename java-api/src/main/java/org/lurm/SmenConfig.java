package org.lurm;

import java.util.Objects;

/**
 * Sizes and training options of SMEN (MODEL.md, Stage 2). The sizes and optimiser settings named in MODEL.md
 * keep its names; where measurement led us away from MODEL.md's value, {@link #defaults()} says so and
 * docs/DESIGN.md gives the evidence. Build variants with {@link #toBuilder()} rather than the canonical
 * constructor.
 *
 * @param h                interest embedding width inside SMEN
 * @param anchors          M, number of anchors (8)
 * @param anchorDim        d', output width per anchor (16); a user is M * d' floats
 * @param recencyBuckets   R, log-spaced recency buckets of the time attention (16); history rows use the last
 * @param headHidden       width of the projection head's hidden layer (256)
 * @param headOut          width of the projection head's output (128)
 * @param tau              contrastive temperature (0.1)
 * @param diversityWeight  weight of the anchor-diversity term L_div (0.1)
 * @param learningRate     Adam learning rate
 * @param beta1            Adam beta1 (0.9)
 * @param beta2            Adam beta2 (0.999)
 * @param eps              Adam epsilon (1e-8)
 * @param warmupSteps      linear warm-up steps before cosine decay; capped at a tenth of the run's steps
 *                         (see {@link #effectiveWarmup(long)}), so short runs on small data still warm up and decay
 * @param maxSteps         training steps (0: derived from maxEpochs)
 * @param maxEpochs        passes over the training users when maxSteps is 0 (20)
 * @param clipNorm         global gradient-norm clip (5)
 * @param batchUsers       users per batch B (256)
 * @param heldOutFraction  share of users held out for early stopping on the contrastive loss (0.05; at most 4,096 users)
 * @param patience         evaluations without improvement before stopping early (5)
 * @param evalEvery        steps between held-out evaluations (50)
 * @param periodCrop       fraction of a user's periods kept by the optional period-crop augmentation (1: off)
 * @param seed             seed of initialisation, batching and view splits (42)
 * @param interestInit     how the interest table V starts ({@link InterestInit})
 * @param interestLrScale  V's learning rate as a multiple of {@code learningRate}
 * @param anchorLrScale    the anchors' (A) learning rate as a multiple of {@code learningRate}
 * @param predictionWeight weight of the cross-view interest prediction term L_pred
 *                         ({@link org.lurm.smen.ops.InterestPrediction}; 0: off)
 * @param volumeSink       attention sinks that let activity volume reach z ({@link VolumeSink})
 * @param lrReferenceSteps the run length {@code learningRate} is for; longer runs scale it down
 *                         ({@link #effectiveLearningRate}; 0: constant, MODEL.md)
 * @param anchorInitScale  how sharp the anchors start: 0 (MODEL.md) draws A from N(0, 0.1²), so every anchor
 *                         attends about like the frequency weights; S &gt; 0 starts anchor m at the m-th cluster of
 *                         V's initial rows (spherical k-means into M clusters), scaled so an interest's logit is
 *                         S x its cosine to the cluster x its norm relative to the RMS row
 *                         ({@link org.lurm.smen.SmenInit})
 * @param anchorInitClusters with anchorInitScale &gt; 0: how many anchors start at clusters (that many clusters of
 *                         V's rows); the others keep MODEL.md's small random start and so stay broad (0: all M)
 *
 * <p><b>Thread-safety.</b> Immutable.
 */
public record SmenConfig(int h, int anchors, int anchorDim, int recencyBuckets, int headHidden, int headOut,
                         float tau, float diversityWeight,
                         float learningRate, float beta1, float beta2, float eps, int warmupSteps, int maxSteps, int maxEpochs,
                         float clipNorm, int batchUsers, double heldOutFraction, int patience, int evalEvery, double periodCrop,
                         long seed, InterestInit interestInit, float interestLrScale, float anchorLrScale, float predictionWeight,
                         VolumeSink volumeSink, int lrReferenceSteps, float anchorInitScale, int anchorInitClusters) {

    /**
     * Attention sinks that let a user's activity volume reach z (MODEL.md's softmax poolings are volume-invariant).
     * The sink is one extra interest (index K, a learned row of V) present in every row with weight 1: in the
     * anchor softmax of a row it takes the share a row with little weight leaves, so a row's total weight moves
     * r_m. With {@link #ROWS_AND_PERIODS} every (user, scale) with rows also gets one extra row holding only the
     * sink, in the oldest recency bucket: in the time softmax it takes the share few active periods leave.
     * With the prediction term on, the sink is one more interest to predict (its share of the other view's
     * weight grows with that view's number of rows): the ops see the sink as any other interest.
     */
    public enum VolumeSink {
        /** MODEL.md: no sink, volume-invariant poolings. */
        NONE,
        /** A sink interest in every row's anchor attention. */
        ROWS,
        /** The row sink, and a sink row in every (user, scale)'s time attention. */
        ROWS_AND_PERIODS,
        /**
         * As {@link #ROWS_AND_PERIODS}, but a scale's row sink weighs that scale's median row mass in the training
         * data (a row's mass: the sum of its input weights log(1 + x) · idf_k) instead of 1, so the sink's share of
         * a row is c / (c + mass), about 1/2 for a typical row and monotone in log mass across the users, where a
         * unit sink takes about 1 / mass, close to 0 for all but the lightest rows. The weights are kept in the
         * model. The training views, which split every count in two, weigh their row sink with the median mass of a
         * view's row instead (about half), so the sink's share in training is what it is when a full row is encoded.
         * The sink is left out of the prediction term's targets.
         */
        CALIBRATED;

        /** Whether every (user, scale) with rows also gets a sink-only row in the time attention. */
        public boolean periodRows() {
            return this == ROWS_AND_PERIODS || this == CALIBRATED;
        }
    }

    /** How V starts. */
    public enum InterestInit {
        /** MODEL.md: the k-means centroids reduced to h dimensions by PCA (random columns fill up if e &lt; h). */
        CENTROID_PCA,
        /**
         * The top h right singular vectors of the users x interests matrix (lifetime log(1 + x) · idf at the finest
         * scale, L2-normalised rows) scaled to RMS 1: the untrained encoder is then a truncated-SVD projection of
         * the BoI, the strongest linear start, and training refines it.
         */
        BOI_SVD
    }

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
        Objects.requireNonNull(interestInit, "SmenConfig.interestInit");
        if (!(interestLrScale >= 0) || Float.isInfinite(interestLrScale)) throw new IllegalArgumentException("SmenConfig.interestLrScale must be finite and >= 0, got " + interestLrScale);
        if (!(anchorLrScale >= 0) || Float.isInfinite(anchorLrScale)) throw new IllegalArgumentException("SmenConfig.anchorLrScale must be finite and >= 0, got " + anchorLrScale);
        if (!(predictionWeight >= 0) || Float.isInfinite(predictionWeight)) throw new IllegalArgumentException("SmenConfig.predictionWeight must be finite and >= 0, got " + predictionWeight);
        Objects.requireNonNull(volumeSink, "SmenConfig.volumeSink");
        if (lrReferenceSteps < 0) throw new IllegalArgumentException("SmenConfig.lrReferenceSteps must be >= 0 (0: a constant base rate), got " + lrReferenceSteps);
        if (!(anchorInitScale >= 0) || Float.isInfinite(anchorInitScale)) throw new IllegalArgumentException("SmenConfig.anchorInitScale must be finite and >= 0 (0: MODEL.md's small random anchors), got " + anchorInitScale);
        if (anchorInitClusters < 0 || anchorInitClusters > anchors) throw new IllegalArgumentException("SmenConfig.anchorInitClusters must be in [0, anchors = " + anchors + "] (0: all), got " + anchorInitClusters);
    }

    /** How many anchors start at clusters of V's rows: 0 without {@code anchorInitScale}, else anchorInitClusters (0: all). */
    public int clusteredAnchors() {
        if (anchorInitScale <= 0) return 0;
        return anchorInitClusters == 0 ? anchors : anchorInitClusters;
    }

    /** All fields but {@code anchorInitScale} and {@code anchorInitClusters} (0: MODEL.md's small random anchors). */
    public SmenConfig(int h, int anchors, int anchorDim, int recencyBuckets, int headHidden, int headOut,
                      float tau, float diversityWeight,
                      float learningRate, float beta1, float beta2, float eps, int warmupSteps, int maxSteps, int maxEpochs,
                      float clipNorm, int batchUsers, double heldOutFraction, int patience, int evalEvery, double periodCrop,
                      long seed, InterestInit interestInit, float interestLrScale, float anchorLrScale, float predictionWeight,
                      VolumeSink volumeSink, int lrReferenceSteps) {
        this(h, anchors, anchorDim, recencyBuckets, headHidden, headOut, tau, diversityWeight, learningRate, beta1, beta2, eps, warmupSteps,
                maxSteps, maxEpochs, clipNorm, batchUsers, heldOutFraction, patience, evalEvery, periodCrop, seed,
                interestInit, interestLrScale, anchorLrScale, predictionWeight, volumeSink, lrReferenceSteps, 0f, 0);
    }

    /** All fields but {@code volumeSink} (its default) and {@code lrReferenceSteps} (0: MODEL.md's constant base rate). */
    public SmenConfig(int h, int anchors, int anchorDim, int recencyBuckets, int headHidden, int headOut,
                      float tau, float diversityWeight,
                      float learningRate, float beta1, float beta2, float eps, int warmupSteps, int maxSteps, int maxEpochs,
                      float clipNorm, int batchUsers, double heldOutFraction, int patience, int evalEvery, double periodCrop,
                      long seed, InterestInit interestInit, float interestLrScale, float anchorLrScale, float predictionWeight) {
        this(h, anchors, anchorDim, recencyBuckets, headHidden, headOut, tau, diversityWeight, learningRate, beta1, beta2, eps, warmupSteps,
                maxSteps, maxEpochs, clipNorm, batchUsers, heldOutFraction, patience, evalEvery, periodCrop, seed,
                interestInit, interestLrScale, anchorLrScale, predictionWeight, DEFAULT_VOLUME_SINK, 0);
    }

    /**
     * The MODEL.md fields only; the options added since take their {@link #defaults()} values, except
     * {@code lrReferenceSteps}, which is 0 (MODEL.md's constant base rate).
     */
    public SmenConfig(int h, int anchors, int anchorDim, int recencyBuckets, int headHidden, int headOut,
                      float tau, float diversityWeight,
                      float learningRate, float beta1, float beta2, float eps, int warmupSteps, int maxSteps, int maxEpochs,
                      float clipNorm, int batchUsers, double heldOutFraction, int patience, int evalEvery, double periodCrop,
                      long seed) {
        this(h, anchors, anchorDim, recencyBuckets, headHidden, headOut, tau, diversityWeight, learningRate, beta1, beta2, eps, warmupSteps,
                maxSteps, maxEpochs, clipNorm, batchUsers, heldOutFraction, patience, evalEvery, periodCrop, seed,
                DEFAULT_INTEREST_INIT, DEFAULT_INTEREST_LR_SCALE, DEFAULT_ANCHOR_LR_SCALE, DEFAULT_PREDICTION_WEIGHT, DEFAULT_VOLUME_SINK, 0);
    }

    static final InterestInit DEFAULT_INTEREST_INIT = InterestInit.CENTROID_PCA;
    static final float DEFAULT_INTEREST_LR_SCALE = 1f;
    static final float DEFAULT_ANCHOR_LR_SCALE = 1f;
    static final float DEFAULT_PREDICTION_WEIGHT = 0f;
    static final VolumeSink DEFAULT_VOLUME_SINK = VolumeSink.NONE;
    /** The run length the base learning rate is tuned for ({@link #effectiveLearningRate}). */
    public static final int DEFAULT_LR_REFERENCE_STEPS = 300;

    private static void pos(String n, int v) {
        if (v < 1) throw new IllegalArgumentException("SmenConfig." + n + " must be >= 1, got " + v);
    }

    /** MODEL.md's learning rate (1e-3), kept for reference: measured to leave SMEN near its initialisation. */
    public static final float MODEL_MD_LEARNING_RATE = 1e-3f;
    /** The default learning rate. */
    public static final float DEFAULT_LEARNING_RATE = 1e-2f;

    /**
     * The defaults: MODEL.md's sizes and optimiser except where docs/DESIGN.md records a measured departure:
     * learning rate 1e-2 for runs of up to 300 steps, scaled down for longer runs ({@link #effectiveLearningRate};
     * MODEL.md 1e-3, constant); a volume sink in rows and periods whose row weight is calibrated to each scale's
     * median row ({@link VolumeSink#CALIBRATED}, session 10; MODEL.md none) and the cross-view interest prediction
     * term with weight 1 (MODEL.md none, session 5): the sink and the prediction term gained on both MovieLens sets
     * over 3 seeds and tied on the generator (docs/RESULTS.md, "Session 5"); calibrating the sink gained on all
     * three data sets, every seed (docs/RESULTS.md, "Session 10").
     */
    public static SmenConfig defaults() {
        return new SmenConfig(64, 8, 16, 16, 256, 128, 0.1f, 0.1f, DEFAULT_LEARNING_RATE, 0.9f, 0.999f, 1e-8f, 100, 0, 20, 5f, 256, 0.05, 5, 50, 1.0, 42L)
                .toBuilder().lrReferenceSteps(DEFAULT_LR_REFERENCE_STEPS).volumeSink(VolumeSink.CALIBRATED).predictionWeight(1f).build();
    }

    /**
     * The base learning rate of a run of {@code totalSteps} steps: {@code learningRate} for runs of at most
     * {@code lrReferenceSteps} steps, scaled by lrReferenceSteps / totalSteps for longer ones, so the total update
     * (rate x steps) stops growing with the run; {@code lrReferenceSteps} 0 keeps the rate constant (MODEL.md).
     * Measured: at 10^5 generator users (2,000 steps) a constant 1e-2 costs against the untrained encoder while 1e-3
     * passes issue 10's targets; MovieLens' 300-step runs need 1e-2 (docs/RESULTS.md).
     */
    public float effectiveLearningRate(long totalSteps) {
        if (lrReferenceSteps <= 0 || totalSteps <= lrReferenceSteps) return learningRate;
        return (float) (learningRate * ((double) lrReferenceSteps / totalSteps));
    }

    /** Width of a user's representation: M * d'. */
    public int outputWidth() {
        return anchors * anchorDim;
    }

    /** Fewest and most training steps of the automatic rule ({@link #sizedFor}, when maxSteps is 0). */
    public static final int MIN_AUTO_STEPS = 300, MAX_AUTO_STEPS = 2000;

    /**
     * The one sizing rule for a run on {@code trainUsers} users, applied by the trainer for every caller (the API,
     * {@code lurm fit}, the evaluation harness), so small and large data get the same config: the batch is at most
     * a quarter of the users (at least 2), so an epoch has at least four steps; when maxSteps is 0 the run takes
     * maxEpochs epochs, but at least {@value #MIN_AUTO_STEPS} and at most {@value #MAX_AUTO_STEPS} steps (small
     * data needs more passes to move; large data is sampled by steps, not epochs); held-out evaluations come at
     * least eight times per run. Warm-up is {@link #effectiveWarmup}.
     */
    public SmenConfig sizedFor(int trainUsers) {
        int batch = Math.max(2, Math.min(batchUsers, trainUsers / 4));
        long steps = maxSteps;
        if (steps == 0) {
            long perEpoch = Math.max(1, (trainUsers + batch - 1) / batch);
            steps = Math.max(MIN_AUTO_STEPS, Math.min(MAX_AUTO_STEPS, perEpoch * Math.max(1, maxEpochs)));
        }
        int every = (int) Math.max(1, Math.min(evalEvery, Math.max(10, steps / 8)));
        return toBuilder().batchUsers(batch).maxSteps((int) steps).evalEvery(every).build();
    }

    /** Warm-up steps of a run of {@code totalSteps}: the configured count, at most a tenth of the run (at least 1). */
    public int effectiveWarmup(long totalSteps) {
        if (warmupSteps == 0) return 0;
        return (int) Math.max(1, Math.min(warmupSteps, totalSteps / 10));
    }

    public static Builder builder() {
        return defaults().toBuilder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Mutable builder over the record's fields (not thread-safe). */
    public static final class Builder {
        private int h, anchors, anchorDim, recencyBuckets, headHidden, headOut, warmupSteps, maxSteps, maxEpochs, batchUsers, patience, evalEvery;
        private float tau, diversityWeight, learningRate, beta1, beta2, eps, clipNorm, interestLrScale, anchorLrScale, predictionWeight;
        private double heldOutFraction, periodCrop;
        private long seed;
        private InterestInit interestInit;
        private VolumeSink volumeSink;
        private int lrReferenceSteps;
        private float anchorInitScale;
        private int anchorInitClusters;

        private Builder(SmenConfig c) {
            h = c.h; anchors = c.anchors; anchorDim = c.anchorDim; recencyBuckets = c.recencyBuckets; headHidden = c.headHidden; headOut = c.headOut;
            tau = c.tau; diversityWeight = c.diversityWeight; learningRate = c.learningRate; beta1 = c.beta1; beta2 = c.beta2; eps = c.eps;
            warmupSteps = c.warmupSteps; maxSteps = c.maxSteps; maxEpochs = c.maxEpochs; clipNorm = c.clipNorm; batchUsers = c.batchUsers;
            heldOutFraction = c.heldOutFraction; patience = c.patience; evalEvery = c.evalEvery; periodCrop = c.periodCrop; seed = c.seed;
            interestInit = c.interestInit; interestLrScale = c.interestLrScale; anchorLrScale = c.anchorLrScale;
            predictionWeight = c.predictionWeight;
            volumeSink = c.volumeSink;
            lrReferenceSteps = c.lrReferenceSteps;
            anchorInitScale = c.anchorInitScale;
            anchorInitClusters = c.anchorInitClusters;
        }

        public Builder h(int v) { h = v; return this; }
        public Builder anchors(int v) { anchors = v; return this; }
        public Builder anchorDim(int v) { anchorDim = v; return this; }
        public Builder recencyBuckets(int v) { recencyBuckets = v; return this; }
        public Builder headHidden(int v) { headHidden = v; return this; }
        public Builder headOut(int v) { headOut = v; return this; }
        public Builder tau(float v) { tau = v; return this; }
        public Builder diversityWeight(float v) { diversityWeight = v; return this; }
        public Builder learningRate(float v) { learningRate = v; return this; }
        public Builder beta1(float v) { beta1 = v; return this; }
        public Builder beta2(float v) { beta2 = v; return this; }
        public Builder eps(float v) { eps = v; return this; }
        public Builder warmupSteps(int v) { warmupSteps = v; return this; }
        public Builder maxSteps(int v) { maxSteps = v; return this; }
        public Builder maxEpochs(int v) { maxEpochs = v; return this; }
        public Builder clipNorm(float v) { clipNorm = v; return this; }
        public Builder batchUsers(int v) { batchUsers = v; return this; }
        public Builder heldOutFraction(double v) { heldOutFraction = v; return this; }
        public Builder patience(int v) { patience = v; return this; }
        public Builder evalEvery(int v) { evalEvery = v; return this; }
        public Builder periodCrop(double v) { periodCrop = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder interestInit(InterestInit v) { interestInit = v; return this; }
        public Builder interestLrScale(float v) { interestLrScale = v; return this; }
        public Builder anchorLrScale(float v) { anchorLrScale = v; return this; }
        public Builder predictionWeight(float v) { predictionWeight = v; return this; }
        public Builder volumeSink(VolumeSink v) { volumeSink = v; return this; }
        public Builder lrReferenceSteps(int v) { lrReferenceSteps = v; return this; }
        public Builder anchorInitScale(float v) { anchorInitScale = v; return this; }
        public Builder anchorInitClusters(int v) { anchorInitClusters = v; return this; }

        public SmenConfig build() {
            return new SmenConfig(h, anchors, anchorDim, recencyBuckets, headHidden, headOut, tau, diversityWeight, learningRate, beta1, beta2, eps,
                    warmupSteps, maxSteps, maxEpochs, clipNorm, batchUsers, heldOutFraction, patience, evalEvery, periodCrop, seed,
                    interestInit, interestLrScale, anchorLrScale, predictionWeight, volumeSink, lrReferenceSteps, anchorInitScale, anchorInitClusters);
        }
    }
}
