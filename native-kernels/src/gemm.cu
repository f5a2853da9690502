// Dense float32 products of our own (no cuBLAS needed): tiled SGEMM, row-major as org.lurm.backend.Backend#gemm,
// and a deterministic dot product.
//
// Floor, SGEMM m x n x k: 2 m n k FLOPs against (m k + k n + m n (1 + [beta != 0])) * 4 bytes; for the shapes
// LURM uses (k >= 64) it is compute-bound: an H100 SXM peaks near 67 TFLOP/s FP32 (no tensor cores here), so
// this simple 64 x 64 register-tiled kernel is measured against cuBLAS, not the bandwidth floor.
// Floor, dot of n: 8 n bytes read, 2 n FLOPs: bandwidth-bound.
#include <cuda_runtime.h>
#include "lurm_internal.cuh"
#include "lurm_kernels.h"

namespace {

constexpr int BM = 64, BN = 64, BK = 16, TM = 4, TN = 4;  // 256 threads, each a 4 x 4 block of C

// C = alpha * op(A) op(B) + beta * C. op(A)[i][p] = transA ? A[p*m + i] : A[i*k + p];
// op(B)[p][j] = transB ? B[j*k + p] : B[p*n + j]. beta == 0 never reads C (so NaN in C does not leak).
__global__ void __launch_bounds__(256) sgemm_kernel(int transA, int transB, int m, int n, int k, float alpha, const float *__restrict__ A,
                                                    const float *__restrict__ B, float beta, float *__restrict__ C) {
  __shared__ float As[BK][BM + 4];  // As[p][i]
  __shared__ float Bs[BK][BN + 4];  // Bs[p][j]
  const int tid = threadIdx.x;
  const int tx = tid % (BN / TN), ty = tid / (BN / TN);  // 16 x 16 threads
  const int i0 = blockIdx.y * BM, j0 = blockIdx.x * BN;
  float acc[TM][TN];
#pragma unroll
  for (int a = 0; a < TM; a++)
#pragma unroll
    for (int b = 0; b < TN; b++) acc[a][b] = 0.f;

  for (int p0 = 0; p0 < k; p0 += BK) {
    // 64 x 16 tile of op(A) and 16 x 64 tile of op(B): 1024 elements each, 4 per thread. The index order makes
    // consecutive threads read consecutive addresses for either layout.
#pragma unroll
    for (int q = 0; q < 4; q++) {
      int e = tid + q * 256;
      int ii, pp;
      if (transA) { ii = e % BM; pp = e / BM; } else { pp = e % BK; ii = e / BK; }
      int gi = i0 + ii, gp = p0 + pp;
      float v = 0.f;
      if (gi < m && gp < k) v = transA ? A[(long long)gp * m + gi] : A[(long long)gi * k + gp];
      As[pp][ii] = v;
      int jj, pb;
      if (transB) { pb = e % BK; jj = e / BK; } else { jj = e % BN; pb = e / BN; }
      int gj = j0 + jj, gpb = p0 + pb;
      float w = 0.f;
      if (gj < n && gpb < k) w = transB ? B[(long long)gj * k + gpb] : B[(long long)gpb * n + gj];
      Bs[pb][jj] = w;
    }
    __syncthreads();
#pragma unroll
    for (int pp = 0; pp < BK; pp++) {
      float av[TM], bv[TN];
#pragma unroll
      for (int a = 0; a < TM; a++) av[a] = As[pp][ty + a * (BM / TM)];
#pragma unroll
      for (int b = 0; b < TN; b++) bv[b] = Bs[pp][tx + b * (BN / TN)];
#pragma unroll
      for (int a = 0; a < TM; a++)
#pragma unroll
        for (int b = 0; b < TN; b++) acc[a][b] = fmaf(av[a], bv[b], acc[a][b]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int a = 0; a < TM; a++) {
    int gi = i0 + ty + a * (BM / TM);
    if (gi >= m) continue;
#pragma unroll
    for (int b = 0; b < TN; b++) {
      int gj = j0 + tx + b * (BN / TN);
      if (gj >= n) continue;
      long long idx = (long long)gi * n + gj;
      float v = alpha * acc[a][b];
      if (beta != 0.f) v += beta * C[idx];
      C[idx] = v;
    }
  }
}

__global__ void scale_kernel(long long len, float beta, float *C) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < len; i += (long long)gridDim.x * blockDim.x)
    C[i] = beta == 0.f ? 0.f : beta * C[i];
}

constexpr int DOT_BLOCKS = 264, DOT_THREADS = 256;  // fixed grid: the same summation order on every call

__global__ void dot_partial_kernel(long long n, const float *__restrict__ a, const float *__restrict__ b, double *partial) {
  __shared__ double sh[DOT_THREADS];
  double s = 0.0;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    s += (double)a[i] * (double)b[i];
  sh[threadIdx.x] = s;
  __syncthreads();
  for (int w = DOT_THREADS / 2; w > 0; w >>= 1) {
    if (threadIdx.x < w) sh[threadIdx.x] += sh[threadIdx.x + w];
    __syncthreads();
  }
  if (threadIdx.x == 0) partial[blockIdx.x] = sh[0];
}

__global__ void dot_final_kernel(const double *partial, float *out) {
  if (threadIdx.x == 0 && blockIdx.x == 0) {
    double s = 0.0;
    for (int i = 0; i < DOT_BLOCKS; i++) s += partial[i];
    *out = (float)s;
  }
}

}  // namespace

extern "C" int lurm_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *d_A, const float *d_B, float beta,
                          float *d_C, lurm_stream_t stream) {
  LURM_CHECK_ARG(m >= 0 && n >= 0 && k >= 0);
  if (m == 0 || n == 0) return 0;
  LURM_CHECK_ARG(d_C != nullptr);
  cudaStream_t st = (cudaStream_t)stream;
  if (k == 0 || alpha == 0.f) {  // C = beta * C
    scale_kernel<<<lurm::blocks_for((long long)m * n, 256), 256, 0, st>>>((long long)m * n, beta, d_C);
    LURM_LAUNCHED();
    return 0;
  }
  LURM_CHECK_ARG(d_A != nullptr && d_B != nullptr);
  dim3 grid((n + BN - 1) / BN, (m + BM - 1) / BM);
  LURM_CHECK_ARG(grid.y <= 65535);
  sgemm_kernel<<<grid, 256, 0, st>>>(transA, transB, m, n, k, alpha, d_A, d_B, beta, d_C);
  LURM_LAUNCHED();
  return 0;
}

extern "C" int lurm_dot_scratch_bytes(long long *bytes) {
  LURM_CHECK_ARG(bytes != nullptr);
  *bytes = (long long)sizeof(double) * DOT_BLOCKS;
  return 0;
}

extern "C" int lurm_dot(const float *d_a, const float *d_b, long long n, void *d_scratch, float *d_out, lurm_stream_t stream) {
  LURM_CHECK_ARG(n >= 0 && d_scratch != nullptr && d_out != nullptr && (n == 0 || (d_a && d_b)));
  cudaStream_t st = (cudaStream_t)stream;
  dot_partial_kernel<<<DOT_BLOCKS, DOT_THREADS, 0, st>>>(n, d_a, d_b, (double *)d_scratch);
  LURM_LAUNCHED();
  dot_final_kernel<<<1, 32, 0, st>>>((const double *)d_scratch, d_out);
  LURM_LAUNCHED();
  return 0;
}
