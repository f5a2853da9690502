// Shared helpers of the SMEN kernels (smen_*.cu): warp reductions, launch checks, limits.
#pragma once
#include <cuda_runtime.h>
#include <math.h>
#include "lurm_smen.h"

#define SMEN_STREAM(s) ((cudaStream_t)(s))
// Launch-time errors only (bad configuration); execution errors surface at the caller's stream sync.
#define SMEN_LAUNCHED() return (int)cudaGetLastError()
#define SMEN_REQUIRE(cond) \
  do {                     \
    if (!(cond)) return (int)cudaErrorInvalidValue; \
  } while (0)

namespace smen {

constexpr unsigned FULL = 0xffffffffu;

__device__ __forceinline__ float warpSum(float x) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(FULL, x, o);
  return x;
}

__device__ __forceinline__ float warpMax(float x) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x = fmaxf(x, __shfl_xor_sync(FULL, x, o));
  return x;
}

__device__ __forceinline__ double warpSumD(double x) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(FULL, x, o);
  return x;
}

inline int ceilDiv(long long a, long long b) { return (int)((a + b - 1) / b); }

inline bool sizesOk(int h, int anchors, int anchorDim) {
  return h >= 1 && h <= LURM_SMEN_MAX_H && anchors >= 1 && anchors <= LURM_SMEN_MAX_ANCHORS && anchorDim >= 1 &&
         anchorDim <= LURM_SMEN_MAX_ANCHOR_DIM;
}

}  // namespace smen

namespace smen {
// Host-side grid size: ceil(n / per) clamped to at most cap blocks (grid-stride loops cover the rest).
inline int gridClamp(long long n, int per, int cap) {
  long long g = (n + per - 1) / per;
  return (int)(g < 1 ? 1 : g > cap ? cap : g);
}
}  // namespace smen
