// Dense products of the SMEN ops: a batched, strided, tiled SGEMM of our own (per-anchor projection, projection
// head, InfoNCE similarities) and deterministic column sums (bias gradients).
//
// Floor: 2*m*n*k flops per problem over (m*k + k*n + 2*m*n)*4 bytes; the SMEN shapes (k = h, d', M*d', 256) are
// small, so these products are bandwidth- or latency-bound and a plain 64x64 shared-memory tile is enough. Every
// C element is summed over k in ascending order by one thread: the same bits on every run.
#include "smen_common.cuh"

namespace {

constexpr int TM = 64, TN = 64, TK = 16;

__global__ void __launch_bounds__(256) gemmKernel(int transA, int transB, int m, int n, int k, float alpha,
                                                  const float *__restrict__ A, int lda, long long sA,
                                                  const float *__restrict__ B, int ldb, long long sB, float beta,
                                                  float *__restrict__ C, int ldc, long long sC) {
  __shared__ float As[TK][TM + 4];
  __shared__ float Bs[TK][TN + 4];
  const int p = blockIdx.z;
  A += sA * p;
  B += sB * p;
  C += sC * p;
  const int row0 = blockIdx.x * TM, col0 = blockIdx.y * TN;  // rows on x: up to 2^31 - 1 tiles
  const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
  float acc[4][4] = {};
  for (int k0 = 0; k0 < k; k0 += TK) {
    // 1024 elements of each tile, 4 per thread; the fastest-varying index follows memory order for coalescing.
#pragma unroll
    for (int e = 0; e < 4; e++) {
      int idx = threadIdx.x + e * 256;
      int mm, kk;
      if (transA) { mm = idx & 63; kk = idx >> 6; } else { kk = idx & 15; mm = idx >> 4; }
      int gr = row0 + mm, gk = k0 + kk;
      float a = 0.f;
      if (gr < m && gk < k) a = transA ? A[(long long)gk * lda + gr] : A[(long long)gr * lda + gk];
      As[kk][mm] = a;
      int nn, kb;
      if (transB) { kb = idx & 15; nn = idx >> 4; } else { nn = idx & 63; kb = idx >> 6; }
      int gc = col0 + nn, gkb = k0 + kb;
      float bv = 0.f;
      if (gc < n && gkb < k) bv = transB ? B[(long long)gc * ldb + gkb] : B[(long long)gkb * ldb + gc];
      Bs[kb][nn] = bv;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < TK; kk++) {
      float a[4], bb[4];
#pragma unroll
      for (int i = 0; i < 4; i++) a[i] = As[kk][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < 4; j++) bb[j] = Bs[kk][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = fmaf(a[i], bb[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; i++) {
    int r = row0 + ty + 16 * i;
    if (r >= m) continue;
#pragma unroll
    for (int j = 0; j < 4; j++) {
      int c = col0 + tx + 16 * j;
      if (c >= n) continue;
      float *dst = C + (long long)r * ldc + c;
      *dst = beta == 0.f ? alpha * acc[i][j] : fmaf(beta, *dst, alpha * acc[i][j]);
    }
  }
}

// Columns per block x row phases: thread (x, y) sums rows y, y + 16, ... of column x in order, then the 16 phases
// are added in order: a fixed summation order (deterministic) with enough threads for long columns.
constexpr int CS_COLS = 32, CS_PHASES = 16;

__global__ void __launch_bounds__(CS_COLS * CS_PHASES) colsumKernel(const float *__restrict__ in, int rows, int cols,
                                                                    int ld, float scale, float *__restrict__ out) {
  __shared__ float part[CS_PHASES][CS_COLS];
  const int c = blockIdx.x * CS_COLS + threadIdx.x;
  float s = 0.f;
  if (c < cols)
    for (int r = threadIdx.y; r < rows; r += CS_PHASES) s += in[(long long)r * ld + c];
  part[threadIdx.y][threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.y == 0 && c < cols) {
    float t = 0.f;
    for (int y = 0; y < CS_PHASES; y++) t += part[y][threadIdx.x];
    out[c] += scale * t;
  }
}

}  // namespace

extern "C" int lurm_smen_gemm(int transA, int transB, int m, int n, int k, float alpha, const float *A, int lda,
                              long long sA, const float *B, int ldb, long long sB, float beta, float *C, int ldc,
                              long long sC, int batch, void *stream) {
  SMEN_REQUIRE(m >= 0 && n >= 0 && k >= 0 && batch >= 0 && batch <= 65535);
  if (m == 0 || n == 0 || batch == 0) return 0;
  dim3 grid(smen::ceilDiv(m, TM), smen::ceilDiv(n, TN), batch);
  SMEN_REQUIRE(grid.y <= 65535);
  gemmKernel<<<grid, 256, 0, SMEN_STREAM(stream)>>>(transA, transB, m, n, k, alpha, A, lda, sA, B, ldb, sB, beta, C,
                                                    ldc, sC);
  SMEN_LAUNCHED();
}

extern "C" int lurm_smen_colsum(const float *in, int rows, int cols, int ld, float scale, float *out, void *stream) {
  SMEN_REQUIRE(rows >= 0 && cols >= 0);
  if (cols == 0) return 0;
  colsumKernel<<<smen::ceilDiv(cols, CS_COLS), dim3(CS_COLS, CS_PHASES), 0, SMEN_STREAM(stream)>>>(in, rows, cols, ld,
                                                                                                scale, out);
  SMEN_LAUNCHED();
}
