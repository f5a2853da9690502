/*
 * lurm SMEN kernels (MODEL.md, Stage 2): the C ABI of the SMEN half of the CUDA backend.
 *
 * Conventions (the same as lurm_kernels.h):
 *  - every function returns a cudaError_t as int (0 = success): the launch error of its kernels (size queries
 *    write their answer through a host pointer and touch no device); errors that
 *    happen while a kernel runs surface at the next synchronisation of the stream (the Java side syncs and checks);
 *  - every pointer argument is a DEVICE address unless its name ends in _host; `stream` is a cudaStream_t
 *    (NULL: the legacy default stream); nothing here synchronises, allocates or frees;
 *  - layouts are those of org.lurm.smen.SmenOps / SmenLayout (row-major float32): r [t][m][i], attention [j][m],
 *    o [t][m][j'], u [b][s][m][j'], time weights [t][m], z [b][m][j'], gate [b][m][s]; a CSR batch is
 *    rowPtr (rows+1), cols / vals (nnz), rowBucket (rows), groupStart (users*scales+1);
 *  - backward functions ACCUMULATE (+=) into gradients, as SmenOps does;
 *  - every reduction over users, rows or non-zeros runs in a fixed order (per-block partials summed in block
 *    order, per-interest segments summed in row order), so results are bit-identical run to run;
 *  - versioning: LURM_ABI_VERSION of lurm_kernels.h covers this header too (the same library);
 *  - limits: h <= 128, anchors <= 32, anchorDim <= 32 (LURM_SMEN_MAX_*); a call outside them returns
 *    cudaErrorInvalidValue (1) before launching anything.
 */
#ifndef LURM_SMEN_H
#define LURM_SMEN_H

#define LURM_SMEN_MAX_H 128
#define LURM_SMEN_MAX_ANCHORS 32
#define LURM_SMEN_MAX_ANCHOR_DIM 32

#ifdef __cplusplus
extern "C" {
#endif

/* ---- dense products (smen_gemm.cu) ---- */

/* For each of `batch` problems p: C_p = alpha * op(A_p) op(B_p) + beta * C_p, row-major with leading dimensions
 * lda/ldb/ldc and batch strides sA/sB/sC (elements). op(A) is m x k (stored k x m when transA), op(B) is k x n
 * (stored n x k when transB). Each C element sums k in ascending order: deterministic. */
int lurm_smen_gemm(int transA, int transB, int m, int n, int k, float alpha, const float *A, int lda, long long sA,
                   const float *B, int ldb, long long sB, float beta, float *C, int ldc, long long sC, int batch,
                   void *stream);

/* out[c] += scale * sum_{r < rows} in[r * ld + c] for c < cols, r ascending (column sums, deterministic). */
int lurm_smen_colsum(const float *in, int rows, int cols, int ld, float scale, float *out, void *stream);

/* ---- anchor attention (smen_attention.cu) ---- */

/* Fused forward, one warp per batch row: gather of V rows, M scores (A_m . V[k_j]) / sqrt(h) + log w_j, online
 * softmax and weighted sum in one pass over the row's non-zeros. With W == NULL writes r (rows x M x h); with W
 * and b given, projects in the same kernel and writes o = W_m^T r_m + b_m (rows x M x d') instead (encoding:
 * r never reaches memory). attn (nnz x M) may be NULL. scores (K x M) may be NULL; when given it holds
 * (A_m . V_k) / sqrt(h) for every interest (lurm_smen_interest_scores) and replaces the in-kernel dot products:
 * worth it when the batch has many more non-zeros than K (encoding). */
int lurm_smen_attention_forward(const float *V, const float *A, int h, int anchors, int rows, const int *rowPtr,
                                const int *cols, const float *vals, const float *scores, float *attn, const float *W,
                                const float *b, int anchorDim, float *out, void *stream);

/* scores[k][m] = (A_m . V_k) / sqrt(h) for all K interests (a K x M product of lurm_smen_gemm). */
int lurm_smen_interest_scores(const float *V, const float *A, int numInterests, int h, int anchors, float *scores,
                              void *stream);

/* Backward, three kernels. Rows pass (one warp per row, fixed chunks of rows per block): score gradients, a
 * per-non-zero contribution c[j] = sum_m a[j,m] dr[t,m] + ds[j,m] A_m / sqrt(h) (scratch_c, nnz x h), and
 * per-block dA partials (scratch_dA, at least lurm_smen_attention_backward_blocks(rows) x M x h) summed in block
 * order into gradA. Interest pass (one warp per distinct interest): gradV row k += the c of its non-zeros in
 * ascending position. The caller gives the non-zeros sorted by interest: perm (nnz: positions, stable), segStart
 * (segments+1) and segInterest (segments). scratch_da: nnz x M. */
int lurm_smen_attention_backward(const float *V, const float *A, int h, int anchors, int rows, const int *rowPtr,
                                 const int *cols, const float *attn, const float *dr, const int *perm,
                                 const int *segStart, const int *segInterest, int segments, float *scratch_da,
                                 float *scratch_c, float *scratch_dA, float *gradV, float *gradA, void *stream);

/* *blocks = the number of dA partials (blocks of the rows pass) lurm_smen_attention_backward uses for `rows` rows. */
int lurm_smen_attention_backward_blocks(int rows, int *blocks);

/* ---- per-anchor projection, time attention, scale gate (smen_ops.cu) ---- */

/* o[t,m] = W_m^T r[t,m] + b_m. */
int lurm_smen_projection_forward(const float *W, const float *b, int h, int anchors, int anchorDim, int rows,
                                 const float *r, float *o, void *stream);

/* dr += W_m dout[t,m]; gradW_m += r_m^T dout_m; gradB_m += column sums of dout_m. The sum over rows of gradW runs
 * in fixed chunks of rows (partials in scratch, lurm_smen_projection_backward_scratch floats) added in order. */
int lurm_smen_projection_backward(const float *W, int h, int anchors, int anchorDim, int rows, const float *r,
                                  const float *dout, float *dr, float *gradW, float *gradB, float *scratch,
                                  void *stream);
int lurm_smen_projection_backward_scratch(int h, int anchors, int anchorDim, int rows, long long *floats);

/* u (users x S x M x d', zero for empty groups) and weights (rows x M). */
int lurm_smen_time_forward(const float *q, const float *beta, int anchors, int anchorDim, int scales, int buckets,
                           int users, const int *groupStart, const int *rowBucket, const float *o, float *u,
                           float *weights, void *stream);

/* dO += ..., gradQ += ..., gradBeta += ...; scratch: users x S x M x (d' + R) floats. */
int lurm_smen_time_backward(const float *q, int anchors, int anchorDim, int scales, int buckets, int users,
                            const int *groupStart, const int *rowBucket, const float *o, const float *weights,
                            const float *du, float *dO, float *scratch, float *gradQ, float *gradBeta, void *stream);

/* z (users x M x d'), gate (users x M x S), noRows (users, 1 = no rows at all; may be NULL). */
int lurm_smen_gate_forward(const float *g, int anchors, int anchorDim, int scales, int users, const int *groupStart,
                           const float *u, float *z, float *gate, int *noRows, void *stream);

/* du += ..., gradG += ...; scratch: users x M x d' floats. */
int lurm_smen_gate_backward(const float *g, int anchors, int anchorDim, int scales, int users, const int *groupStart,
                            const float *u, const float *gate, const float *dz, float *du, float *scratch,
                            float *gradG, void *stream);

/* ---- projection head, InfoNCE, anchor diversity (smen_ops.cu) ---- */

/* hidden = relu(z P1 + c1) (users x H1), y = hidden P2 + c2, norm = |y|, p = y / max(|y|, normEps). */
int lurm_smen_head_forward(const float *P1, const float *c1, const float *P2, const float *c2, int in, int h1,
                           int h2, int users, float normEps, const float *z, float *hidden, float *y, float *norm,
                           float *p, void *stream);

/* dz += dL/dz; gradP1, gradC1, gradP2, gradC2 += ...; scratch_dy users x H2, scratch_dh users x H1. */
int lurm_smen_head_backward(const float *P1, const float *P2, int in, int h1, int h2, int users, float normEps,
                            const float *z, const float *hidden, const float *norm, const float *p, const float *dp,
                            float *dz, float *gradP1, float *gradC1, float *gradP2, float *gradC2, float *scratch_dy,
                            float *scratch_dh, void *stream);

/* Symmetric InfoNCE: loss (one double, overwritten) and, with dpA != NULL, scale * gradient added into dpA, dpB.
 * scratch: lurm_smen_infonce_scratch(users) floats (S, dS and per-row/column statistics in double). */
int lurm_smen_infonce_scratch(int users, long long *floats);
int lurm_smen_infonce(const float *pA, const float *pB, int users, int dim, float tau, float scale, double *loss,
                      float *dpA, float *dpB, float *scratch, void *stream);

/* L_div of the anchors into *loss (double, overwritten); with gradA != NULL, scale * gradient added into it.
 * Runs in double in one block. */
int lurm_smen_diversity(const float *A, int anchors, int h, float normEps, float scale, double *loss, float *gradA,
                        void *stream);

/* ---- cross-view interest prediction (smen_predict.cu; org.lurm.smen.ops.InterestPrediction) ---- */

/* *floats = the scratch lurm_smen_predict needs for `users` users and `numCandidates` candidates. */
int lurm_smen_predict_scratch(int users, int numCandidates, int h, long long *floats);

/* Targets of one view over the candidates (ascending, distinct; numCandidates of them): y (users x C, overwritten)
 * = per user, the weights of its finest-scale rows (scale 0) summed per interest and normalised to sum 1; all
 * zero for a user without such rows. Interests >= limit are not targets (a calibrated volume sink; pass
 * numInterests to keep all). Every other interest of those rows must be a candidate (one that is not is left
 * out). Bit for bit InterestPrediction.targets. */
int lurm_smen_predict_targets(const int *rowPtr, const int *cols, const float *vals, const int *groupStart,
                              int users, int scales, const int *candidates, int numCandidates, int limit, float *y,
                              void *stream);

/* q = sum_m W_m z_m, logits = V[candidates] q / sqrt(h), loss (one double, overwritten) = the mean over users with
 * targets (a non-zero row of y, users x C) of the cross-entropy of softmax(logits) against y (0 when no user has
 * targets). With dz, gradV and gradW given (all three or none): scale * the gradient added into the candidates'
 * rows of gradV (the V tensor, K x h), into gradW (M x h x d') and into dz (users x M x d'). V and W are the
 * parameter tensors; scratch: lurm_smen_predict_scratch floats, 8-byte aligned. numCandidates <= 65535 * 64. */
int lurm_smen_predict(const float *V, const float *W, int h, int anchors, int anchorDim, int users, const float *z,
                      const int *candidates, int numCandidates, const float *y, float scale, double *loss, float *dz,
                      float *gradV, float *gradW, float *scratch, void *stream);

/* ---- optimiser (smen_adam.cu) ---- */

/* Global gradient norm over grad[denseFrom, total) and the V rows listed in rows (n of them, each h wide at
 * vOffset + row * h); writes state[0] = norm and state[1] = clip scale (clipNorm / norm when norm > clipNorm, else
 * 1), as doubles. scratch: LURM_SMEN_NORM_BLOCKS doubles. */
#define LURM_SMEN_NORM_BLOCKS 256
int lurm_smen_grad_norm(const float *grad, long long denseFrom, long long total, const int *rows, int n, int h,
                        long long vOffset, float clipNorm, double *scratch, double *state, void *stream);

/* Adam on [from, to) and, when rows != NULL, on the n listed V rows (lazy Adam), with the gradient scaled by
 * state[1]; zeroes the gradient entries it read. Skips everything (parameters unchanged) when state[0] is not
 * finite. stepSize = lr / (1 - beta1^t), c2s = sqrt(1 - beta2^t), as SmenOptimizer. */
int lurm_smen_adam(float *params, float *grad, float *m, float *v, long long from, long long to, const int *rows,
                   int n, int h, long long vOffset, const double *state, float beta1, float beta2, float eps,
                   float stepSize, float c2s, void *stream);

/* ---- benchmark helpers (smen_bench.cu) ---- */

/* dst[i] = src[i] for n floats, float4-wide: the device-to-device bandwidth the kernels are compared with. */
int lurm_smen_copy(const float *src, float *dst, long long n, void *stream);

/* A synthetic encoding batch on the device: users x scales groups of `periods` rows each (oldest first, recency
 * bucket min(age, R-2)), every row `nnz` interests in [0, K) (hashed: repeats are possible) and weights in
 * (0.1, 2], from a counter-based hash of (seed, position), so the host can rebuild any user (SmenSynth.java).
 * rowPtr (rows+1), cols, vals (rows*nnz), rowBucket (rows), groupStart (users*scales+1); rows*nnz < 2^31. */
int lurm_smen_synth_batch(int users, int scales, int periods, int nnz, int K, int buckets, unsigned long long seed,
                          int *rowPtr, int *cols, float *vals, int *rowBucket, int *groupStart, void *stream);

/* The views of a training batch built on the device from BoI rows uploaded once (SmenInputs.views, MODEL.md's
 * disjoint split; smen_views.cu). The resident rows are BoiSet's columns as they are: userRow (users+1 row offsets),
 * rowEntry (rows+1 non-zero offsets), rowScale (scale index, bit 16 on history rows), rowPeriod, cols, vals (raw
 * counts); rowBucket (the recency bucket of every row) and idf (K) are the host's. users: the batch's user indices
 * (device). view: 0 = A, 1 = B (A's complement). sinkMode: 0 none, 1 a sink entry (interest numInterests-1,
 * weight 1) in every row, 2 also one sink-only row (weight 1) per (user, scale) group with rows (bucket
 * buckets-1). sinkWeights (lurm_smen_views_write only; device, one per scale, or NULL for 1): the weight of a
 * row's sink entry at that scale (SmenConfig.VolumeSink.CALIBRATED).
 * maxNnz bounds either view's non-zeros (the batch users' raw non-zeros plus one per row and group);
 * 2 * maxNnz < 2^31. scratch: lurm_smen_views_scratch bytes, 256-byte aligned, shared by the three calls of a
 * step (count both views, then write both, then the union). */
int lurm_smen_views_scratch(int batchUsers, long long maxNnz, long long *bytes);
/* totals (device ints): [0] the view's rows, [1] its non-zeros; the offsets stay in the scratch for the write. */
int lurm_smen_views_count(const long long *userRow, const long long *rowEntry, const int *rowScale, const long long *rowPeriod,
                          const int *cols, const float *vals, const int *users, int batchUsers, unsigned long long splitSeed,
                          int view, int sinkMode, long long maxNnz, void *scratch, int *totals, void *stream);
/* The view's rowPtr (rows+1), cols, vals (nnz), rowBucket (rows), groupStart (users*scales+1) and its non-zeros
 * sorted by interest: perm (maxNnz), segStart (maxNnz+1; segStart[segments] = nnz), segInterest (maxNnz), the
 * segment count into *segCount (device). numInterests counts the sink interest when there is one. */
int lurm_smen_views_write(const long long *userRow, const long long *rowEntry, const int *rowScale, const long long *rowPeriod,
                          const int *cols, const float *vals, const int *rowBucket, const float *idf, int scales, int buckets,
                          int numInterests, const int *users, int batchUsers, unsigned long long splitSeed, int view,
                          int sinkMode, const float *sinkWeights, long long maxNnz, void *scratch, int rows, int nnz,
                          int *outRowPtr, int *outCols, float *outVals, int *outBucket, int *groupStart, int *perm,
                          int *segStart, int *segInterest, int *segCount, void *stream);
/* The sorted distinct interests of both views (the V rows a step updates) into out (capacity nnzA + nnzB), their
 * number into *count (device). */
int lurm_smen_views_union(const int *colsA, int nnzA, const int *colsB, int nnzB, int numInterests, int batchUsers,
                          long long maxNnz, void *scratch, int *out, int *count, void *stream);

#ifdef __cplusplus
}
#endif

#endif
