// SMEN cross-view interest prediction (org.lurm.smen.ops.InterestPrediction, SmenConfig.predictionWeight),
// forward and backward:
//   q[u]      = sum_m W_m z_m[u]                        (h; W_m is h x d')
//   logit[u,c] = (V[k_c] . q[u]) / sqrt(h)               over the C candidate interests k_c (ascending)
//   L         = mean over users with targets of  - sum_c y[u,c] log softmax_c(logit[u,.])
// and, with a gradient, scale * dL into the candidates' rows of gradV, into gradW and into dz (accumulated).
//
// Floor (count first; B users, C candidates, h, M anchors, d'). Flops: forward 2BCh (logits) + 2BMhd' (q);
// backward 4BCh (dV and dq) + 4BMhd' (dz, dW). Bytes: the targets y (4BC, read twice), the logits (4BC written,
// read three times by the softmax pass, overwritten in place by their gradient g and read twice more), the
// gathered candidate rows (4Ch, copied once into a contiguous block and read by two products), dq's split-K
// partials (4 B h ceil(C/256), written and read once). At B 256, C 8192, h 64 (K <= 8192 takes all K): 0.8 GFLOP
// and about 60 MB per direction, 15 to 20 us on an H200 at its fp32 and DRAM peaks: both products and passes are
// near the machine balance; the three C-sized products run on lurm_smen_gemm's plain 64 x 64 tile, which is the
// expected gap to that floor. There are two directions per training step (A predicts B and B predicts A).
//
// Determinism: no atomics. Per-user sums (target mass, max, sum of exponentials, the cross-entropy) are block
// reductions with a fixed tree; the mean over users runs in user order on one thread; the products sum k in
// ascending order (lurm_smen_gemm); dq sums fixed chunks of PRED_CHUNK candidates whose partials are added in chunk
// order (lurm_smen_colsum); candidates are distinct, so scattering their dV rows needs no reduction.
//
// Mirrors InterestPrediction's arithmetic where it matters for agreement: the softmax statistics and the per-user
// loss in double, g = (float)(exp(logit - logZ) - y) * (scale / scored) with the exponential in double.
#include "smen_common.cuh"

namespace {

constexpr int THREADS = 256;      // threads per block of the per-user kernels
constexpr int PRED_CHUNK = 256;   // candidates per dq partial (split-K of the B x h x C product)

// Reduction over a block of THREADS threads in a fixed order: a warp tree, then the warps in index order; every
// thread folds the same eight warp results itself, so all get the same value. `red` holds THREADS / 32 entries.
__device__ __forceinline__ double blockSumD(double v, double *red) {
  v = smen::warpSumD(v);
  __syncthreads();  // `red` may still be read by the previous reduction
  if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = v;
  __syncthreads();
  double s = red[0];
  for (int w = 1; w < THREADS / 32; w++) s += red[w];
  return s;
}

__device__ __forceinline__ float blockMax(float v, float *red) {
  v = smen::warpMax(v);
  __syncthreads();
  if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = v;
  __syncthreads();
  float s = red[0];
  for (int w = 1; w < THREADS / 32; w++) s = fmaxf(s, red[w]);
  return s;
}

// q[u][i] = sum_m (sum_j W[m][i][j] z[u][m][j]): one thread per (u, i), m and j ascending (InterestPrediction's
// order).
__global__ void predictQ(const float *__restrict__ W, const float *__restrict__ z, int users, int h, int M, int dp,
                         float *__restrict__ q) {
  const long long n = (long long)users * h;
  for (long long x = blockIdx.x * (long long)blockDim.x + threadIdx.x; x < n; x += (long long)gridDim.x * blockDim.x) {
    const int u = (int)(x / h), i = (int)(x - (long long)u * h);
    float acc = 0.f;
    for (int m = 0; m < M; m++) {
      const float *w = W + ((long long)m * h + i) * dp;
      const float *zz = z + ((long long)u * M + m) * dp;
      float s = 0.f;
      for (int j = 0; j < dp; j++) s = fmaf(w[j], zz[j], s);
      acc += s;
    }
    q[x] = acc;
  }
}

// Vc[c][x] = V[cand[c]][x]: the candidate rows, contiguous, for the three products.
__global__ void gatherRows(const float *__restrict__ V, const int *__restrict__ cand, int C, int h,
                           float *__restrict__ Vc) {
  const long long n = (long long)C * h;
  for (long long x = blockIdx.x * (long long)blockDim.x + threadIdx.x; x < n; x += (long long)gridDim.x * blockDim.x) {
    const int c = (int)(x / h), i = (int)(x - (long long)c * h);
    Vc[x] = V[(long long)cand[c] * h + i];
  }
}

// gradV[cand[c]][x] += dVc[c][x]. Candidates are distinct, so no two threads write the same element.
__global__ void scatterRows(const float *__restrict__ dVc, const int *__restrict__ cand, int C, int h,
                            float *__restrict__ gradV) {
  const long long n = (long long)C * h;
  for (long long x = blockIdx.x * (long long)blockDim.x + threadIdx.x; x < n; x += (long long)gridDim.x * blockDim.x) {
    const int c = (int)(x / h), i = (int)(x - (long long)c * h);
    gradV[(long long)cand[c] * h + i] += dVc[x];
  }
}

__global__ void zeroFloats(float *__restrict__ a, long long n) {
  for (long long x = blockIdx.x * (long long)blockDim.x + threadIdx.x; x < n; x += (long long)gridDim.x * blockDim.x)
    a[x] = 0.f;
}

// One block per user: target mass (whether the user is scored), max logit, log of the partition function and the
// user's cross-entropy -sum_c y (logit - logZ), the last three in double as InterestPrediction.
__global__ void __launch_bounds__(THREADS) ceRows(const float *__restrict__ logits, const float *__restrict__ y, int C,
                                                  double *__restrict__ lossPer, double *__restrict__ logZOut,
                                                  double *__restrict__ has) {
  __shared__ double redD[THREADS / 32];
  __shared__ float redF[THREADS / 32];
  const int u = blockIdx.x;
  const float *l = logits + (long long)u * C;
  const float *yu = y + (long long)u * C;
  double ys = 0;
  float mx = -INFINITY;
  for (int c = threadIdx.x; c < C; c += THREADS) {
    ys += yu[c];
    mx = fmaxf(mx, l[c]);
  }
  ys = blockSumD(ys, redD);
  if (!(ys > 0)) {  // no targets: not scored (uniform across the block, so no thread waits at a barrier alone)
    if (threadIdx.x == 0) {
      lossPer[u] = 0;
      logZOut[u] = 0;
      has[u] = 0;
    }
    return;
  }
  mx = blockMax(mx, redF);
  double se = 0;
  for (int c = threadIdx.x; c < C; c += THREADS) se += exp((double)(l[c] - mx));
  se = blockSumD(se, redD);
  const double logZ = (double)mx + log(se);
  double ce = 0;
  for (int c = threadIdx.x; c < C; c += THREADS) {
    const float yc = yu[c];
    if (yc != 0.f) ce -= (double)yc * ((double)l[c] - logZ);
  }
  ce = blockSumD(ce, redD);
  if (threadIdx.x == 0) {
    lossPer[u] = ce;
    logZOut[u] = logZ;
    has[u] = 1;
  }
}

// One thread: the mean over scored users in user order (as InterestPrediction), and the gradient's factor
// scale / scored (0 when nobody is scored: then there is no gradient at all).
__global__ void ceFinish(const double *__restrict__ lossPer, const double *__restrict__ has, int users, float scale,
                         double *loss, double *fin) {
  if (threadIdx.x != 0 || blockIdx.x != 0) return;
  int scored = 0;
  double s = 0;
  for (int u = 0; u < users; u++) {
    s += lossPer[u];
    if (has[u] != 0) scored++;
  }
  *loss = scored == 0 ? 0.0 : s / scored;
  fin[0] = scored;
  fin[1] = scored == 0 ? 0.0 : (double)(scale / (float)scored);
}

// g[u][c] = (float)(exp(logit - logZ) - y) * gScale for scored users, else 0; overwrites the logits.
__global__ void ceGrad(float *__restrict__ lg, const float *__restrict__ y, int users, int C,
                       const double *__restrict__ logZ, const double *__restrict__ has, const double *__restrict__ fin) {
  const float gScale = (float)fin[1];
  const long long n = (long long)users * C;
  for (long long x = blockIdx.x * (long long)blockDim.x + threadIdx.x; x < n; x += (long long)gridDim.x * blockDim.x) {
    const int u = (int)(x / C);
    lg[x] = has[u] != 0 ? (float)(exp((double)lg[x] - logZ[u]) - (double)y[x]) * gScale : 0.f;
  }
}

// Targets of one user (one block): its finest-scale rows' weights summed per candidate, rows and non-zeros in
// order on one thread (InterestPrediction.targets' float additions, bit for bit), then normalised to sum 1.
__global__ void __launch_bounds__(THREADS) targetsKernel(const int *__restrict__ rowPtr, const int *__restrict__ cols,
                                                         const float *__restrict__ vals,
                                                         const int *__restrict__ groupStart, int S,
                                                         const int *__restrict__ cand, int C, int limit,
                                                         float *__restrict__ y) {
  __shared__ double total;
  const int u = blockIdx.x;
  float *yu = y + (long long)u * C;
  for (int c = threadIdx.x; c < C; c += THREADS) yu[c] = 0.f;
  __syncthreads();
  if (threadIdx.x == 0) {
    double sum = 0;
    const int t0 = groupStart[u * S], t1 = groupStart[u * S + 1];
    for (int t = t0; t < t1; t++) {
      for (int j = rowPtr[t]; j < rowPtr[t + 1]; j++) {
        const int k = cols[j];
        if (k >= limit) continue;  // a calibrated sink: not a target
        int lo = 0, hi = C - 1, at = -1;
        while (lo <= hi) {
          const int mid = (lo + hi) >> 1;
          const int v = cand[mid];
          if (v < k) lo = mid + 1;
          else if (v > k) hi = mid - 1;
          else {
            at = mid;
            break;
          }
        }
        if (at < 0) continue;  // not a candidate: the caller's contract says this does not happen
        yu[at] += vals[j];
        sum += vals[j];
      }
    }
    total = sum;
  }
  __syncthreads();
  const double sum = total;
  if (sum > 0) {
    const float inv = (float)(1 / sum);
    for (int c = threadIdx.x; c < C; c += THREADS) yu[c] *= inv;
  }
}

int gridFor(long long n) { return smen::gridClamp(n, 256, 4096); }

struct Scratch {
  double *lossPer, *logZ, *has, *fin;
  float *Vc, *q, *g, *dVc, *dqPart, *dq;
};

int chunksOf(int C) { return smen::ceilDiv(C, PRED_CHUNK); }

// Doubles first (the scratch is at least 8-byte aligned), then the floats.
Scratch carve(float *scratch, int B, int C, int h) {
  Scratch s;
  double *d = reinterpret_cast<double *>(scratch);
  s.lossPer = d;
  s.logZ = d + B;
  s.has = d + 2 * (long long)B;
  s.fin = d + 3 * (long long)B;
  float *f = scratch + 2 * (3 * (long long)B + 2);
  s.Vc = f;
  s.q = s.Vc + (long long)C * h;
  s.g = s.q + (long long)B * h;
  s.dVc = s.g + (long long)B * C;
  s.dqPart = s.dVc + (long long)C * h;
  s.dq = s.dqPart + (long long)chunksOf(C) * B * h;
  return s;
}

long long scratchFloats(int B, int C, int h) {
  return 2 * (3 * (long long)B + 2) + 2LL * C * h + 2LL * B * h + (long long)B * C + (long long)chunksOf(C) * B * h;
}

}  // namespace

extern "C" int lurm_smen_predict_scratch(int users, int numCandidates, int h, long long *floats) {
  SMEN_REQUIRE(floats != nullptr && users >= 0 && numCandidates >= 1 && h >= 1);
  *floats = scratchFloats(users, numCandidates, h);
  return 0;
}

extern "C" int lurm_smen_predict_targets(const int *rowPtr, const int *cols, const float *vals, const int *groupStart,
                                         int users, int scales, const int *candidates, int numCandidates, int limit,
                                         float *y, void *stream) {
  SMEN_REQUIRE(users >= 0 && scales >= 1 && numCandidates >= 1 && limit >= 0);
  if (users == 0) return 0;
  targetsKernel<<<users, THREADS, 0, SMEN_STREAM(stream)>>>(rowPtr, cols, vals, groupStart, scales, candidates,
                                                            numCandidates, limit, y);
  SMEN_LAUNCHED();
}

extern "C" int lurm_smen_predict(const float *V, const float *W, int h, int anchors, int anchorDim, int users,
                                 const float *z, const int *candidates, int numCandidates, const float *y,
                                 float scale, double *loss, float *dz, float *gradV, float *gradW, float *scratch,
                                 void *stream) {
  SMEN_REQUIRE(smen::sizesOk(h, anchors, anchorDim) && users >= 0 && numCandidates >= 1 && loss != nullptr &&
               scratch != nullptr && (dz == nullptr) == (gradV == nullptr) && (dz == nullptr) == (gradW == nullptr));
  // The logits product tiles the candidates on the grid's y (at most 65535 tiles of 64).
  SMEN_REQUIRE(numCandidates <= 65535LL * 64);
  cudaStream_t st = SMEN_STREAM(stream);
  const int B = users, C = numCandidates, M = anchors, dp = anchorDim;
  const float invSqrtH = 1.f / sqrtf((float)h);
  Scratch s = carve(scratch, B, C, h);
  int rc;
  if (B == 0) {  // nothing scored: the loss is 0 and there is no gradient
    ceFinish<<<1, 32, 0, st>>>(s.lossPer, s.has, 0, scale, loss, s.fin);
    SMEN_LAUNCHED();
  }
  predictQ<<<gridFor((long long)B * h), 256, 0, st>>>(W, z, B, h, M, dp, s.q);
  gatherRows<<<gridFor((long long)C * h), 256, 0, st>>>(V, candidates, C, h, s.Vc);
  if ((rc = (int)cudaGetLastError()) != 0) return rc;
  // logits = q Vc^T / sqrt(h)
  if ((rc = lurm_smen_gemm(0, 1, B, C, h, invSqrtH, s.q, h, 0, s.Vc, h, 0, 0.f, s.g, C, 0, 1, stream)) != 0) return rc;
  ceRows<<<B, THREADS, 0, st>>>(s.g, y, C, s.lossPer, s.logZ, s.has);
  ceFinish<<<1, 32, 0, st>>>(s.lossPer, s.has, B, scale, loss, s.fin);
  if ((rc = (int)cudaGetLastError()) != 0) return rc;
  if (dz == nullptr) return 0;
  ceGrad<<<gridFor((long long)B * C), 256, 0, st>>>(s.g, y, B, C, s.logZ, s.has, s.fin);
  if ((rc = (int)cudaGetLastError()) != 0) return rc;
  // dq = g Vc / sqrt(h): k = C is long and B x h small, so split into chunks of PRED_CHUNK candidates (one product
  // each, a batch of them) whose partials are then added in chunk order.
  const int full = C / PRED_CHUNK, rest = C - full * PRED_CHUNK, chunks = full + (rest > 0);
  const long long part = (long long)B * h;
  if (full > 0 &&
      (rc = lurm_smen_gemm(0, 0, B, h, PRED_CHUNK, invSqrtH, s.g, C, PRED_CHUNK, s.Vc, h, (long long)PRED_CHUNK * h,
                           0.f, s.dqPart, h, part, full, stream)) != 0)
    return rc;
  if (rest > 0 &&
      (rc = lurm_smen_gemm(0, 0, B, h, rest, invSqrtH, s.g + (long long)full * PRED_CHUNK, C, 0,
                           s.Vc + (long long)full * PRED_CHUNK * h, h, 0, 0.f, s.dqPart + full * part, h, 0, 1,
                           stream)) != 0)
    return rc;
  zeroFloats<<<gridFor(part), 256, 0, st>>>(s.dq, part);
  if ((rc = (int)cudaGetLastError()) != 0) return rc;
  if ((rc = lurm_smen_colsum(s.dqPart, chunks, (int)part, (int)part, 1.f, s.dq, stream)) != 0) return rc;
  // dVc = g^T q / sqrt(h) (users summed in order), scattered into the candidates' rows of gradV.
  if ((rc = lurm_smen_gemm(1, 0, C, h, B, invSqrtH, s.g, C, 0, s.q, h, 0, 0.f, s.dVc, h, 0, 1, stream)) != 0) return rc;
  scatterRows<<<gridFor((long long)C * h), 256, 0, st>>>(s.dVc, candidates, C, h, gradV);
  if ((rc = (int)cudaGetLastError()) != 0) return rc;
  // dz_m += dq W_m (B x d'), and gradW_m += dq^T z_m (h x d'), a batch over the anchors each.
  if ((rc = lurm_smen_gemm(0, 0, B, dp, h, 1.f, s.dq, h, 0, W, dp, (long long)h * dp, 1.f, dz, M * dp, dp, M,
                           stream)) != 0)
    return rc;
  return lurm_smen_gemm(1, 0, h, dp, B, 1.f, s.dq, h, 0, z, M * dp, dp, 1.f, gradW, dp, (long long)h * dp, M, stream);
}
