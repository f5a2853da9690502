// SMEN per-anchor projection, time attention, scale gate, projection head, InfoNCE and anchor diversity
// (MODEL.md, Stage 2), forward and backward.
//
// Floors: these ops move O(T M d') floats (projection: T M (h + d') in, time: T M d', gate: B S M d') and do a few
// flops per float, far below the anchor attention (O(nnz M h)) that feeds them; the products go through
// lurm_smen_gemm. Parameter gradients that sum over users or rows are written as per-user (per-chunk) partials and
// added in a fixed order by lurm_smen_colsum: no atomics, the same bits on every run.
#include "smen_common.cuh"

namespace {

constexpr int WARPS = 4;
constexpr int PROJ_CHUNK = 256;  // rows per dW partial of the projection backward

__global__ void addBiasRows(float *__restrict__ out, long long rows, int width, const float *__restrict__ bias,
                            int relu) {
  long long n = rows * width;
  for (long long x = blockIdx.x * (long long)blockDim.x + threadIdx.x; x < n; x += (long long)gridDim.x * blockDim.x) {
    float v = out[x] + bias[x % width];
    out[x] = relu ? fmaxf(v, 0.f) : v;
  }
}

int gridFor(long long n) { return smen::gridClamp(n, 256, 4096); }

// ---- time attention: one warp per (user, scale, anchor) ----

__global__ void timeForwardKernel(const float *__restrict__ q, const float *__restrict__ beta, int M, int dp, int S,
                                  int R, int groups, const int *__restrict__ groupStart,
                                  const int *__restrict__ rowBucket, const float *__restrict__ o, float *__restrict__ u,
                                  float *w, float inv) {
  const int gw = blockIdx.x * WARPS + (threadIdx.x >> 5), lane = threadIdx.x & 31;
  if (gw >= groups * M) return;
  const int m = gw % M, bs = gw / M, s = bs % S;
  const int t0 = groupStart[bs], t1 = groupStart[bs + 1];
  float *ub = u + ((long long)bs * M + m) * dp;
  if (t0 == t1) {
    if (lane < dp) ub[lane] = 0.f;
    return;
  }
  const float qv = lane < dp ? q[((long long)s * M + m) * dp + lane] : 0.f;
  float mx = -INFINITY;
  for (int t = t0; t < t1; t++) {
    float ov = lane < dp ? o[((long long)t * M + m) * dp + lane] : 0.f;
    float e = smen::warpSum(qv * ov) * inv + beta[s * R + rowBucket[t]];
    if (lane == 0) w[(long long)t * M + m] = e;
    mx = fmaxf(mx, e);
  }
  __syncwarp();
  float sum = 0.f;
  for (int t = t0 + lane; t < t1; t += 32) {
    float x = expf(w[(long long)t * M + m] - mx);
    w[(long long)t * M + m] = x;
    sum += x;
  }
  const float is = 1.f / smen::warpSum(sum);
  __syncwarp();
  for (int t = t0 + lane; t < t1; t += 32) w[(long long)t * M + m] *= is;
  __syncwarp();
  float acc = 0.f;
  for (int t = t0; t < t1; t++) {
    float a = w[(long long)t * M + m];
    if (lane < dp) acc = fmaf(a, o[((long long)t * M + m) * dp + lane], acc);
  }
  if (lane < dp) ub[lane] = acc;
}

__global__ void timeBackwardKernel(const float *__restrict__ q, int M, int dp, int S, int R, int groups,
                                   const int *__restrict__ groupStart, const int *__restrict__ rowBucket,
                                   const float *__restrict__ o, const float *__restrict__ w,
                                   const float *__restrict__ du, float *__restrict__ dO, float *__restrict__ dqPart,
                                   float *__restrict__ dbPart, float inv) {
  const int gw = blockIdx.x * WARPS + (threadIdx.x >> 5), lane = threadIdx.x & 31;
  if (gw >= groups * M) return;
  const int m = gw % M, bs = gw / M, s = bs % S, b = bs / S;
  const int t0 = groupStart[bs], t1 = groupStart[bs + 1];
  // Partials of this (b, s, m): dq at [b][s][m][j], dbeta at [b][m][s][r] (summed over b and m by colsum).
  float *dq = dqPart + ((long long)bs * M + m) * dp;
  float *db = dbPart + (((long long)b * M + m) * S + s) * R;
  for (int r = lane; r < R; r += 32) db[r] = 0.f;
  const float duv = lane < dp ? du[((long long)bs * M + m) * dp + lane] : 0.f;
  const float qv = lane < dp ? q[((long long)s * M + m) * dp + lane] : 0.f;
  float mean = 0.f;
  for (int t = t0; t < t1; t++) {
    float ov = lane < dp ? o[((long long)t * M + m) * dp + lane] : 0.f;
    mean += w[(long long)t * M + m] * smen::warpSum(duv * ov);
  }
  float dqAcc = 0.f;
  __syncwarp();
  for (int t = t0; t < t1; t++) {
    long long ob = ((long long)t * M + m) * dp;
    float ov = lane < dp ? o[ob + lane] : 0.f;
    float a = w[(long long)t * M + m];
    float de = a * (smen::warpSum(duv * ov) - mean);
    float ds = de * inv;
    if (lane < dp) {
      dO[ob + lane] += a * duv + ds * qv;
      dqAcc = fmaf(ds, ov, dqAcc);
    }
    if (lane == 0) db[rowBucket[t]] += de;
    __syncwarp();
  }
  if (lane < dp) dq[lane] = dqAcc;
}

// ---- scale gate: one warp per (user, anchor) ----

__global__ void gateForwardKernel(const float *__restrict__ g, int M, int dp, int S, int users,
                                  const int *__restrict__ groupStart, const float *__restrict__ u,
                                  float *__restrict__ z, float *__restrict__ gate, int *__restrict__ noRows,
                                  float inv) {
  const int gw = blockIdx.x * WARPS + (threadIdx.x >> 5), lane = threadIdx.x & 31;
  if (gw >= users * M) return;
  const int m = gw % M, b = gw / M;
  const float gv = lane < dp ? g[(long long)m * dp + lane] : 0.f;
  float *gt = gate + ((long long)b * M + m) * S;
  float mx = -INFINITY;
  bool any = false;
  for (int s = 0; s < S; s++) {
    bool present = groupStart[b * S + s] < groupStart[b * S + s + 1];
    float l = 0.f;
    if (present) {
      float uv = lane < dp ? u[(((long long)b * S + s) * M + m) * dp + lane] : 0.f;
      l = smen::warpSum(gv * uv) * inv;
      mx = any ? fmaxf(mx, l) : l;
      any = true;
    }
    if (lane == 0) gt[s] = l;
  }
  __syncwarp();
  float zacc = 0.f;
  if (any) {
    float sum = 0.f;
    for (int s = 0; s < S; s++)
      if (groupStart[b * S + s] < groupStart[b * S + s + 1]) sum += expf(gt[s] - mx);
    float is = 1.f / sum;
    for (int s = 0; s < S; s++) {
      float c = 0.f;
      if (groupStart[b * S + s] < groupStart[b * S + s + 1]) {
        c = expf(gt[s] - mx) * is;
        if (lane < dp) zacc = fmaf(c, u[(((long long)b * S + s) * M + m) * dp + lane], zacc);
      }
      __syncwarp();
      if (lane == 0) gt[s] = c;
    }
  } else {
    __syncwarp();
    if (lane < S) gt[lane] = 0.f;
    for (int s = 32 + lane; s < S; s += 32) gt[s] = 0.f;
  }
  if (lane < dp) z[((long long)b * M + m) * dp + lane] = zacc;
  if (m == 0 && lane == 0 && noRows != nullptr) noRows[b] = groupStart[b * S] == groupStart[b * S + S] ? 1 : 0;
}

__global__ void gateBackwardKernel(const float *__restrict__ g, int M, int dp, int S, int users,
                                   const int *__restrict__ groupStart, const float *__restrict__ u,
                                   const float *__restrict__ gate, const float *__restrict__ dz,
                                   float *__restrict__ du, float *__restrict__ dgPart, float inv) {
  const int gw = blockIdx.x * WARPS + (threadIdx.x >> 5), lane = threadIdx.x & 31;
  if (gw >= users * M) return;
  const int m = gw % M, b = gw / M;
  const float gv = lane < dp ? g[(long long)m * dp + lane] : 0.f;
  const float dzv = lane < dp ? dz[((long long)b * M + m) * dp + lane] : 0.f;
  const float *gt = gate + ((long long)b * M + m) * S;
  float mean = 0.f;
  for (int s = 0; s < S; s++) {
    if (groupStart[b * S + s] < groupStart[b * S + s + 1]) {
      float uv = lane < dp ? u[(((long long)b * S + s) * M + m) * dp + lane] : 0.f;
      mean += gt[s] * smen::warpSum(dzv * uv);
    }
  }
  float dg = 0.f;
  for (int s = 0; s < S; s++) {
    if (!(groupStart[b * S + s] < groupStart[b * S + s + 1])) continue;
    long long ub = (((long long)b * S + s) * M + m) * dp;
    float uv = lane < dp ? u[ub + lane] : 0.f;
    float c = gt[s];
    float de = c * (smen::warpSum(dzv * uv) - mean) * inv;
    if (lane < dp) {
      du[ub + lane] += c * dzv + de * gv;
      dg = fmaf(de, uv, dg);
    }
  }
  if (lane < dp) dgPart[((long long)b * M + m) * dp + lane] = dg;
}

// ---- projection head ----

__global__ void normalizeRows(const float *__restrict__ y, int users, int w, float eps, float *__restrict__ norm,
                              float *__restrict__ p) {
  const int r = blockIdx.x * WARPS + (threadIdx.x >> 5), lane = threadIdx.x & 31;
  if (r >= users) return;
  const float *yr = y + (long long)r * w;
  float ss = 0.f;
  for (int j = lane; j < w; j += 32) ss = fmaf(yr[j], yr[j], ss);
  float n = sqrtf(smen::warpSum(ss));
  if (lane == 0) norm[r] = n;
  float inv = 1.f / fmaxf(n, eps);
  for (int j = lane; j < w; j += 32) p[(long long)r * w + j] = yr[j] * inv;
}

__global__ void normalizeBackward(const float *__restrict__ p, const float *__restrict__ norm,
                                  const float *__restrict__ dp, int users, int w, float eps, float *__restrict__ dy) {
  const int r = blockIdx.x * WARPS + (threadIdx.x >> 5), lane = threadIdx.x & 31;
  if (r >= users) return;
  const long long base = (long long)r * w;
  const float n = norm[r];
  if (n > eps) {
    // d(y/|y|) = (I - p p^T) / |y|
    float pd = 0.f;
    for (int j = lane; j < w; j += 32) pd = fmaf(p[base + j], dp[base + j], pd);
    pd = smen::warpSum(pd);
    float inv = 1.f / n;
    for (int j = lane; j < w; j += 32) dy[base + j] = (dp[base + j] - p[base + j] * pd) * inv;
  } else {
    float inv = 1.f / eps;
    for (int j = lane; j < w; j += 32) dy[base + j] = dp[base + j] * inv;
  }
}

__global__ void reluMask(const float *__restrict__ hidden, float *__restrict__ dh, long long n) {
  for (long long x = blockIdx.x * (long long)blockDim.x + threadIdx.x; x < n; x += (long long)gridDim.x * blockDim.x)
    if (!(hidden[x] > 0.f)) dh[x] = 0.f;
}

// ---- InfoNCE ----

struct NceStats {
  double *rowMax, *colMax, *rowSum, *colSum, *rowTerm, *colTerm;
};

NceStats nceStats(float *scratch, int users) {
  // After S and dS (2 B^B floats), 8-byte aligned.
  long long off = 2LL * users * users;
  off += off & 1;
  double *d = reinterpret_cast<double *>(scratch + off);
  return NceStats{d, d + users, d + 2 * users, d + 3 * users, d + 4 * users, d + 5 * users};
}

// One warp per row (colMajor = 0) or column (1) of S / tau: max, sum of exp(x - max) (double), and
// max + log(sum) - S_ii / tau, the row's (column's) cross-entropy term.
__global__ void nceLse(const float *__restrict__ S, int B, float invTau, int colMajor, double *maxOut,
                       double *sumOut, double *termOut) {
  const int i = blockIdx.x * WARPS + (threadIdx.x >> 5), lane = threadIdx.x & 31;
  if (i >= B) return;
  const long long st = colMajor ? B : 1, base = colMajor ? i : (long long)i * B;
  float mx = -INFINITY;
  for (int j = lane; j < B; j += 32) mx = fmaxf(mx, S[base + j * st] * invTau);
  mx = smen::warpMax(mx);
  double sum = 0;
  for (int j = lane; j < B; j += 32) sum += (double)expf(S[base + j * st] * invTau - mx);
  sum = smen::warpSumD(sum);
  if (lane == 0) {
    maxOut[i] = mx;
    sumOut[i] = sum;
    termOut[i] = (double)mx + log(sum) - (double)(S[(long long)i * B + i] * invTau);
  }
}

__global__ void nceLoss(const double *rowTerm, const double *colTerm, int B, double *loss) {
  const int lane = threadIdx.x;
  double s = 0;
  for (int i = lane; i < B; i += 32) s += rowTerm[i] + colTerm[i];
  s = smen::warpSumD(s);
  if (lane == 0) *loss = s / (2.0 * B);
}

// dS_ij = k [softmax_j(S_i./tau) + softmax_i(S_.j/tau) - 2 delta_ij], k = scale / (2 B tau); the diagonal as
// -k (sum of the other terms) / sum in double, so a dominant positive does not cancel its digits away.
__global__ void nceGrad(const float *__restrict__ S, int B, float invTau, float k, const double *rowMax,
                        const double *rowSum, const double *colMax, const double *colSum, float *__restrict__ dS) {
  long long n = (long long)B * B;
  for (long long x = blockIdx.x * (long long)blockDim.x + threadIdx.x; x < n; x += (long long)gridDim.x * blockDim.x) {
    int i = (int)(x / B), j = (int)(x - (long long)i * B);
    float v = S[x] * invTau;
    float er = expf(v - (float)rowMax[i]), ec = expf(v - (float)colMax[j]);
    if (i != j) {
      dS[x] = k * (er * (float)(1.0 / rowSum[i]) + ec * (float)(1.0 / colSum[j]));
    } else {
      double offRow = rowSum[i] - er, offCol = colSum[i] - ec;
      dS[x] = (float)(-k * (offRow / rowSum[i] + offCol / colSum[i]));
    }
  }
}

// ---- anchor diversity: one block, double ----

__global__ void diversityKernel(const float *__restrict__ A, int M, int h, double eps, float scale, double *loss,
                                float *gradA) {
  extern __shared__ double dsm[];
  double *ahat = dsm;             // M*h
  double *norm = ahat + M * h;    // M
  double *diff = norm + M;        // M*M
  const int tid = threadIdx.x;
  for (int a = tid; a < M; a += blockDim.x) {
    double ss = 0;
    for (int i = 0; i < h; i++) {
      double v = A[a * h + i];
      ss += v * v;
    }
    norm[a] = sqrt(ss);
    double inv = 1.0 / fmax(norm[a], eps);
    for (int i = 0; i < h; i++) ahat[a * h + i] = A[a * h + i] * inv;
  }
  __syncthreads();
  for (int x = tid; x < M * M; x += blockDim.x) {
    int a = x / M, c = x - a * M;
    double g = 0;
    for (int i = 0; i < h; i++) g += ahat[a * h + i] * ahat[c * h + i];
    diff[x] = g - (a == c ? 1.0 : 0.0);
  }
  __syncthreads();
  const double mm = (double)M * M;
  if (tid == 0) {
    double l = 0;
    for (int a = 0; a < M; a++)
      for (int c = a; c < M; c++) l += (a == c ? 1 : 2) * diff[a * M + c] * diff[a * M + c];
    *loss = l / mm;
  }
  if (gradA == nullptr) return;
  // dL/dAhat_a = 4/M^2 sum_c (G - I)_ac Ahat_c; then through the normalisation.
  for (int a = tid; a < M; a += blockDim.x) {
    double pd = 0;
    for (int i = 0; i < h; i++) {
      double d = 0;
      for (int c = 0; c < M; c++) d += 4.0 * diff[a * M + c] / mm * ahat[c * h + i];
      pd += ahat[a * h + i] * d;
    }
    for (int i = 0; i < h; i++) {
      double d = 0;
      for (int c = 0; c < M; c++) d += 4.0 * diff[a * M + c] / mm * ahat[c * h + i];
      double gi = norm[a] > eps ? (d - ahat[a * h + i] * pd) / norm[a] : d / eps;
      gradA[a * h + i] += (float)(scale * gi);
    }
  }
}

}  // namespace

extern "C" int lurm_smen_projection_forward(const float *W, const float *b, int h, int anchors, int anchorDim,
                                            int rows, const float *r, float *o, void *stream) {
  SMEN_REQUIRE(smen::sizesOk(h, anchors, anchorDim) && rows >= 0);
  if (rows == 0) return 0;
  const int M = anchors, dp = anchorDim;
  int rc = lurm_smen_gemm(0, 0, rows, dp, h, 1.f, r, M * h, h, W, dp, (long long)h * dp, 0.f, o, M * dp, dp, M, stream);
  if (rc != 0) return rc;
  addBiasRows<<<gridFor((long long)rows * M * dp), 256, 0, SMEN_STREAM(stream)>>>(o, rows, M * dp, b, 0);
  SMEN_LAUNCHED();
}

extern "C" int lurm_smen_projection_backward_scratch(int h, int anchors, int anchorDim, int rows, long long *floats) {
  SMEN_REQUIRE(floats != nullptr && rows >= 0);
  *floats = (long long)smen::ceilDiv(rows, PROJ_CHUNK) * anchors * h * anchorDim;
  return 0;
}

extern "C" int lurm_smen_projection_backward(const float *W, int h, int anchors, int anchorDim, int rows,
                                             const float *r, const float *dout, float *dr, float *gradW,
                                             float *gradB, float *scratch, void *stream) {
  SMEN_REQUIRE(smen::sizesOk(h, anchors, anchorDim) && rows >= 0);
  if (rows == 0) return 0;
  const int M = anchors, dp = anchorDim;
  // dr_m += dout_m W_m^T
  int rc = lurm_smen_gemm(0, 1, rows, h, dp, 1.f, dout, M * dp, dp, W, dp, (long long)h * dp, 1.f, dr, M * h, h, M,
                          stream);
  if (rc != 0) return rc;
  // gradW_m += r_m^T dout_m, split into fixed chunks of PROJ_CHUNK rows (partial p at scratch + p*M*h*dp), the
  // partials then added in chunk order.
  const int full = rows / PROJ_CHUNK, rest = rows - full * PROJ_CHUNK, chunks = full + (rest > 0);
  const long long part = (long long)M * h * dp;
  for (int m = 0; m < M; m++) {
    if (full > 0) {
      rc = lurm_smen_gemm(1, 0, h, dp, PROJ_CHUNK, 1.f, r + m * h, M * h, (long long)PROJ_CHUNK * M * h, dout + m * dp,
                          M * dp, (long long)PROJ_CHUNK * M * dp, 0.f, scratch + (long long)m * h * dp, dp, part, full,
                          stream);
      if (rc != 0) return rc;
    }
    if (rest > 0) {
      long long r0 = (long long)full * PROJ_CHUNK;
      rc = lurm_smen_gemm(1, 0, h, dp, rest, 1.f, r + r0 * M * h + m * h, M * h, 0, dout + r0 * M * dp + m * dp, M * dp,
                          0, 0.f, scratch + full * part + (long long)m * h * dp, dp, 0, 1, stream);
      if (rc != 0) return rc;
    }
  }
  rc = lurm_smen_colsum(scratch, chunks, (int)part, (int)part, 1.f, gradW, stream);
  if (rc != 0) return rc;
  return lurm_smen_colsum(dout, rows, M * dp, M * dp, 1.f, gradB, stream);
}

extern "C" int lurm_smen_time_forward(const float *q, const float *beta, int anchors, int anchorDim, int scales,
                                      int buckets, int users, const int *groupStart, const int *rowBucket,
                                      const float *o, float *u, float *weights, void *stream) {
  SMEN_REQUIRE(smen::sizesOk(1, anchors, anchorDim) && scales >= 1 && buckets >= 1 && users >= 0);
  long long warps = (long long)users * scales * anchors;
  if (warps == 0) return 0;
  timeForwardKernel<<<smen::ceilDiv(warps, WARPS), WARPS * 32, 0, SMEN_STREAM(stream)>>>(
      q, beta, anchors, anchorDim, scales, buckets, users * scales, groupStart, rowBucket, o, u, weights,
      1.f / sqrtf((float)anchorDim));
  SMEN_LAUNCHED();
}

extern "C" int lurm_smen_time_backward(const float *q, int anchors, int anchorDim, int scales, int buckets,
                                       int users, const int *groupStart, const int *rowBucket, const float *o,
                                       const float *weights, const float *du, float *dO, float *scratch,
                                       float *gradQ, float *gradBeta, void *stream) {
  SMEN_REQUIRE(smen::sizesOk(1, anchors, anchorDim) && scales >= 1 && buckets >= 1 && users >= 0);
  long long warps = (long long)users * scales * anchors;
  if (warps == 0) return 0;
  float *dqPart = scratch;
  float *dbPart = scratch + (long long)users * scales * anchors * anchorDim;
  timeBackwardKernel<<<smen::ceilDiv(warps, WARPS), WARPS * 32, 0, SMEN_STREAM(stream)>>>(
      q, anchors, anchorDim, scales, buckets, users * scales, groupStart, rowBucket, o, weights, du, dO, dqPart,
      dbPart, 1.f / sqrtf((float)anchorDim));
  int rc = (int)cudaGetLastError();
  if (rc != 0) return rc;
  int qw = scales * anchors * anchorDim;
  rc = lurm_smen_colsum(dqPart, users, qw, qw, 1.f, gradQ, stream);
  if (rc != 0) return rc;
  return lurm_smen_colsum(dbPart, users * anchors, scales * buckets, scales * buckets, 1.f, gradBeta, stream);
}

extern "C" int lurm_smen_gate_forward(const float *g, int anchors, int anchorDim, int scales, int users,
                                      const int *groupStart, const float *u, float *z, float *gate, int *noRows,
                                      void *stream) {
  SMEN_REQUIRE(smen::sizesOk(1, anchors, anchorDim) && scales >= 1 && users >= 0);
  long long warps = (long long)users * anchors;
  if (warps == 0) return 0;
  gateForwardKernel<<<smen::ceilDiv(warps, WARPS), WARPS * 32, 0, SMEN_STREAM(stream)>>>(
      g, anchors, anchorDim, scales, users, groupStart, u, z, gate, noRows, 1.f / sqrtf((float)anchorDim));
  SMEN_LAUNCHED();
}

extern "C" int lurm_smen_gate_backward(const float *g, int anchors, int anchorDim, int scales, int users,
                                       const int *groupStart, const float *u, const float *gate, const float *dz,
                                       float *du, float *scratch, float *gradG, void *stream) {
  SMEN_REQUIRE(smen::sizesOk(1, anchors, anchorDim) && scales >= 1 && users >= 0);
  long long warps = (long long)users * anchors;
  if (warps == 0) return 0;
  gateBackwardKernel<<<smen::ceilDiv(warps, WARPS), WARPS * 32, 0, SMEN_STREAM(stream)>>>(
      g, anchors, anchorDim, scales, users, groupStart, u, gate, dz, du, scratch, 1.f / sqrtf((float)anchorDim));
  int rc = (int)cudaGetLastError();
  if (rc != 0) return rc;
  return lurm_smen_colsum(scratch, users, anchors * anchorDim, anchors * anchorDim, 1.f, gradG, stream);
}

extern "C" int lurm_smen_head_forward(const float *P1, const float *c1, const float *P2, const float *c2, int in,
                                      int h1, int h2, int users, float normEps, const float *z, float *hidden,
                                      float *y, float *norm, float *p, void *stream) {
  SMEN_REQUIRE(in >= 1 && h1 >= 1 && h2 >= 1 && users >= 0 && normEps > 0.f);
  if (users == 0) return 0;
  cudaStream_t st = SMEN_STREAM(stream);
  int rc = lurm_smen_gemm(0, 0, users, h1, in, 1.f, z, in, 0, P1, h1, 0, 0.f, hidden, h1, 0, 1, stream);
  if (rc != 0) return rc;
  addBiasRows<<<gridFor((long long)users * h1), 256, 0, st>>>(hidden, users, h1, c1, 1);
  rc = lurm_smen_gemm(0, 0, users, h2, h1, 1.f, hidden, h1, 0, P2, h2, 0, 0.f, y, h2, 0, 1, stream);
  if (rc != 0) return rc;
  addBiasRows<<<gridFor((long long)users * h2), 256, 0, st>>>(y, users, h2, c2, 0);
  normalizeRows<<<smen::ceilDiv(users, WARPS), WARPS * 32, 0, st>>>(y, users, h2, normEps, norm, p);
  SMEN_LAUNCHED();
}

extern "C" int lurm_smen_head_backward(const float *P1, const float *P2, int in, int h1, int h2, int users,
                                       float normEps, const float *z, const float *hidden, const float *norm,
                                       const float *p, const float *dp, float *dz, float *gradP1, float *gradC1,
                                       float *gradP2, float *gradC2, float *scratch_dy, float *scratch_dh,
                                       void *stream) {
  SMEN_REQUIRE(in >= 1 && h1 >= 1 && h2 >= 1 && users >= 0 && normEps > 0.f);
  if (users == 0) return 0;
  cudaStream_t st = SMEN_STREAM(stream);
  normalizeBackward<<<smen::ceilDiv(users, WARPS), WARPS * 32, 0, st>>>(p, norm, dp, users, h2, normEps, scratch_dy);
  int rc = (int)cudaGetLastError();
  if (rc != 0) return rc;
  // dh = dy P2^T masked by the relu (hidden > 0 exactly where the pre-activation was)
  rc = lurm_smen_gemm(0, 1, users, h1, h2, 1.f, scratch_dy, h2, 0, P2, h2, 0, 0.f, scratch_dh, h1, 0, 1, stream);
  if (rc != 0) return rc;
  reluMask<<<gridFor((long long)users * h1), 256, 0, st>>>(hidden, scratch_dh, (long long)users * h1);
  if ((rc = (int)cudaGetLastError()) != 0) return rc;
  if ((rc = lurm_smen_gemm(0, 1, users, in, h1, 1.f, scratch_dh, h1, 0, P1, h1, 0, 1.f, dz, in, 0, 1, stream)) != 0) return rc;
  if ((rc = lurm_smen_gemm(1, 0, h1, h2, users, 1.f, hidden, h1, 0, scratch_dy, h2, 0, 1.f, gradP2, h2, 0, 1, stream)) != 0) return rc;
  if ((rc = lurm_smen_gemm(1, 0, in, h1, users, 1.f, z, in, 0, scratch_dh, h1, 0, 1.f, gradP1, h1, 0, 1, stream)) != 0) return rc;
  if ((rc = lurm_smen_colsum(scratch_dh, users, h1, h1, 1.f, gradC1, stream)) != 0) return rc;
  return lurm_smen_colsum(scratch_dy, users, h2, h2, 1.f, gradC2, stream);
}

extern "C" int lurm_smen_infonce_scratch(int users, long long *floats) {
  SMEN_REQUIRE(floats != nullptr && users >= 0);
  *floats = 2LL * users * users + 2 + 12LL * users;
  return 0;
}

extern "C" int lurm_smen_infonce(const float *pA, const float *pB, int users, int dim, float tau, float scale,
                                 double *loss, float *dpA, float *dpB, float *scratch, void *stream) {
  SMEN_REQUIRE(users >= 2 && dim >= 1 && tau > 0.f && (dpA == nullptr) == (dpB == nullptr));
  cudaStream_t st = SMEN_STREAM(stream);
  const int B = users;
  float *S = scratch, *dS = scratch + (long long)B * B;
  NceStats ns = nceStats(scratch, B);
  const float invTau = 1.f / tau;
  int rc = lurm_smen_gemm(0, 1, B, B, dim, 1.f, pA, dim, 0, pB, dim, 0, 0.f, S, B, 0, 1, stream);
  if (rc != 0) return rc;
  nceLse<<<smen::ceilDiv(B, WARPS), WARPS * 32, 0, st>>>(S, B, invTau, 0, ns.rowMax, ns.rowSum, ns.rowTerm);
  nceLse<<<smen::ceilDiv(B, WARPS), WARPS * 32, 0, st>>>(S, B, invTau, 1, ns.colMax, ns.colSum, ns.colTerm);
  nceLoss<<<1, 32, 0, st>>>(ns.rowTerm, ns.colTerm, B, loss);
  if ((rc = (int)cudaGetLastError()) != 0) return rc;
  if (dpA == nullptr) return 0;
  float k = (float)(scale / (2.0 * B * tau));
  nceGrad<<<gridFor((long long)B * B), 256, 0, st>>>(S, B, invTau, k, ns.rowMax, ns.rowSum, ns.colMax, ns.colSum, dS);
  if ((rc = (int)cudaGetLastError()) != 0) return rc;
  // dL/dpA = dS pB, dL/dpB = dS^T pA
  if ((rc = lurm_smen_gemm(0, 0, B, dim, B, 1.f, dS, B, 0, pB, dim, 0, 1.f, dpA, dim, 0, 1, stream)) != 0) return rc;
  return lurm_smen_gemm(1, 0, B, dim, B, 1.f, dS, B, 0, pA, dim, 0, 1.f, dpB, dim, 0, 1, stream);
}

extern "C" int lurm_smen_diversity(const float *A, int anchors, int h, float normEps, float scale, double *loss,
                                   float *gradA, void *stream) {
  SMEN_REQUIRE(smen::sizesOk(h, anchors, 1) && normEps > 0.f);
  size_t smem = sizeof(double) * ((size_t)anchors * h + anchors + (size_t)anchors * anchors);
  if (smem > 48 * 1024) cudaFuncSetAttribute(diversityKernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
  diversityKernel<<<1, 256, smem, SMEN_STREAM(stream)>>>(A, anchors, h, (double)normEps, scale, loss, gradA);
  SMEN_LAUNCHED();
}
