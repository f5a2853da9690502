// SMEN optimiser on the device (MODEL.md: Adam for the dense parameters, lazy row Adam for V, clipping by the
// global gradient norm), matching org.lurm.smen.SmenOptimizer.
//
// Floor: Adam reads params, grad, m, v and writes params, grad (zeroed), m, v: 32 bytes per parameter (dense tail
// plus touched V rows), plus 4 bytes per parameter for the norm pass: bandwidth-bound, one pass each. The norm is
// summed in double with a fixed assignment of elements to threads and a fixed reduction tree (deterministic); the
// clip scale stays on the device so a step needs no host round trip.
#include "smen_common.cuh"

namespace {

constexpr int THREADS = 256;

// Element q of the update set: the dense tail [from, to) first, then the listed V rows.
__device__ __forceinline__ long long element(long long q, long long dense, long long from, const int *rows, int h,
                                             long long vOffset) {
  if (q < dense) return from + q;
  q -= dense;
  return vOffset + (long long)rows[q / h] * h + q % h;
}

__global__ void __launch_bounds__(THREADS) normPartial(const float *__restrict__ grad, long long from,
                                                       long long dense, const int *__restrict__ rows, long long n,
                                                       int h, long long vOffset, double *__restrict__ part) {
  __shared__ double red[THREADS];
  double s = 0;
  for (long long q = blockIdx.x * (long long)THREADS + threadIdx.x; q < n; q += (long long)gridDim.x * THREADS) {
    double g = grad[element(q, dense, from, rows, h, vOffset)];
    s += g * g;
  }
  red[threadIdx.x] = s;
  __syncthreads();
  for (int w = THREADS / 2; w > 0; w >>= 1) {
    if (threadIdx.x < w) red[threadIdx.x] += red[threadIdx.x + w];
    __syncthreads();
  }
  if (threadIdx.x == 0) part[blockIdx.x] = red[0];
}

__global__ void normFinish(const double *__restrict__ part, int blocks, float clipNorm, double *state) {
  if (threadIdx.x != 0) return;
  double s = 0;
  for (int b = 0; b < blocks; b++) s += part[b];
  double norm = sqrt(s);
  state[0] = norm;
  state[1] = norm > clipNorm ? clipNorm / norm : 1.0;
}

__global__ void adamKernel(float *__restrict__ p, float *__restrict__ g, float *__restrict__ m,
                           float *__restrict__ v, long long from, long long dense, const int *__restrict__ rows,
                           long long n, int h, long long vOffset, const double *__restrict__ state, float b1, float b2,
                           float eps, float stepSize, float c2s) {
  if (!isfinite(state[0])) return;  // the caller reports the divergence; parameters stay as they were
  const float scale = (float)state[1];
  for (long long q = blockIdx.x * (long long)blockDim.x + threadIdx.x; q < n; q += (long long)gridDim.x * blockDim.x) {
    long long i = element(q, dense, from, rows, h, vOffset);
    float gi = g[i] * scale;
    float mi = b1 * m[i] + (1 - b1) * gi;
    float vi = b2 * v[i] + (1 - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= stepSize * mi / (sqrtf(vi) / c2s + eps);
    g[i] = 0.f;
  }
}

}  // namespace

extern "C" int lurm_smen_grad_norm(const float *grad, long long denseFrom, long long total, const int *rows, int n,
                                   int h, long long vOffset, float clipNorm, double *scratch, double *state,
                                   void *stream) {
  SMEN_REQUIRE(denseFrom >= 0 && total >= denseFrom && n >= 0 && h >= 1 && (n == 0 || rows != nullptr));
  cudaStream_t st = SMEN_STREAM(stream);
  long long dense = total - denseFrom, items = dense + (long long)n * h;
  normPartial<<<LURM_SMEN_NORM_BLOCKS, THREADS, 0, st>>>(grad, denseFrom, dense, rows, items, h, vOffset, scratch);
  normFinish<<<1, 32, 0, st>>>(scratch, LURM_SMEN_NORM_BLOCKS, clipNorm, state);
  SMEN_LAUNCHED();
}

extern "C" int lurm_smen_adam(float *params, float *grad, float *m, float *v, long long from, long long to,
                              const int *rows, int n, int h, long long vOffset, const double *state, float beta1,
                              float beta2, float eps, float stepSize, float c2s, void *stream) {
  SMEN_REQUIRE(from >= 0 && to >= from && n >= 0 && h >= 1 && (n == 0 || rows != nullptr));
  long long dense = to - from, items = dense + (long long)n * h;
  if (items == 0) return 0;
  int grid = smen::gridClamp(items, THREADS, 8192);
  adamKernel<<<grid, THREADS, 0, SMEN_STREAM(stream)>>>(params, grad, m, v, from, dense, rows, items, h, vOffset, state,
                                                        beta1, beta2, eps, stepSize, c2s);
  SMEN_LAUNCHED();
}
