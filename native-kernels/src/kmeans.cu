// k-means on the device (MODEL.md, Stage 1 interests; org.lurm.backend.Backend#assignNearest).
//
// Assignment: for each of n points (n x dim) the centroid (k x dim) with the largest dot product, ties to the
// lower index like the CPU. It is a GEMM (n x dim times dim x k) fused with a running argmax, so the n x k score
// matrix never reaches memory. Floor: 2 n k dim FLOPs against (n dim + k dim) * 4 bytes read and 8 n written:
// compute-bound once k >= ~64 (arithmetic intensity ~ k/2 FLOP per byte of points).
// Update: centroid_c = (normalised) sum of its points: n dim * 4 bytes read, n dim FLOPs: bandwidth-bound.
// Two-level: coarse assignment (as above, k = kc) then, per point, the fine centroids of its coarse cluster:
// about (kc + K/kc) dim * 2 FLOPs and (dim + (K/kc) dim) * 4 bytes per point (fine rows mostly from L2).
#include <cuda_runtime.h>
#include <cub/cub.cuh>
#include <math.h>
#include "lurm_internal.cuh"
#include "lurm_kernels.h"

namespace {

using lurm::DevArr;
using lurm::blocks_for;

constexpr int BP = 64, BC = 64, BD = 16, TP = 4, TC = 4;  // 256 threads: 16 (points) x 16 (centroids), 4 x 4 each

__device__ __forceinline__ bool better(float s, int i, float bs, int bi) { return s > bs || (s == bs && i < bi) || bi < 0; }

__global__ void __launch_bounds__(256) assign_kernel(const float *__restrict__ P, int n, const float *__restrict__ Cn, int k, int dim,
                                                     int *__restrict__ outIndex, float *__restrict__ outScore) {
  __shared__ float Ps[BD][BP + 4];
  __shared__ float Cs[BD][BC + 4];
  __shared__ float redS[BP][BC / TC + 1];
  __shared__ int redI[BP][BC / TC + 1];
  const int tid = threadIdx.x;
  const int tx = tid % (BC / TC), ty = tid / (BC / TC);
  const int p0 = blockIdx.x * BP;
  float bestS[TP];
  int bestI[TP];
#pragma unroll
  for (int a = 0; a < TP; a++) { bestS[a] = -INFINITY; bestI[a] = -1; }

  for (int c0 = 0; c0 < k; c0 += BC) {
    float acc[TP][TC];
#pragma unroll
    for (int a = 0; a < TP; a++)
#pragma unroll
      for (int b = 0; b < TC; b++) acc[a][b] = 0.f;
    for (int d0 = 0; d0 < dim; d0 += BD) {
#pragma unroll
      for (int q = 0; q < 4; q++) {
        int e = tid + q * 256;
        int dd = e % BD, rr = e / BD;
        int gp = p0 + rr, gc = c0 + rr, gd = d0 + dd;
        Ps[dd][rr] = (gp < n && gd < dim) ? P[(long long)gp * dim + gd] : 0.f;
        Cs[dd][rr] = (gc < k && gd < dim) ? Cn[(long long)gc * dim + gd] : 0.f;
      }
      __syncthreads();
#pragma unroll
      for (int dd = 0; dd < BD; dd++) {
        float pv[TP], cv[TC];
#pragma unroll
        for (int a = 0; a < TP; a++) pv[a] = Ps[dd][ty + a * (BP / TP)];
#pragma unroll
        for (int b = 0; b < TC; b++) cv[b] = Cs[dd][tx + b * (BC / TC)];
#pragma unroll
        for (int a = 0; a < TP; a++)
#pragma unroll
          for (int b = 0; b < TC; b++) acc[a][b] = fmaf(pv[a], cv[b], acc[a][b]);
      }
      __syncthreads();
    }
#pragma unroll
    for (int a = 0; a < TP; a++)
#pragma unroll
      for (int b = 0; b < TC; b++) {
        int gc = c0 + tx + b * (BC / TC);
        if (gc < k && better(acc[a][b], gc, bestS[a], bestI[a])) { bestS[a] = acc[a][b]; bestI[a] = gc; }
      }
  }
#pragma unroll
  for (int a = 0; a < TP; a++) {
    redS[ty + a * (BP / TP)][tx] = bestS[a];
    redI[ty + a * (BP / TP)][tx] = bestI[a];
  }
  __syncthreads();
  if (tid < BP) {
    int gp = p0 + tid;
    float bs = -INFINITY;
    int bi = -1;
    for (int t = 0; t < BC / TC; t++) {
      int i = redI[tid][t];
      if (i >= 0 && better(redS[tid][t], i, bs, bi)) { bs = redS[tid][t]; bi = i; }
    }
    if (gp < n) {
      outIndex[gp] = bi < 0 ? 0 : bi;  // NaN scores everywhere: index 0, like a scan that never improves
      outScore[gp] = bi < 0 ? redS[tid][0] : bs;
    }
  }
}

// Fine step of the two-level search: one warp per point over the fine centroids of its coarse cluster.
__global__ void fine_kernel(const float *__restrict__ P, int n, int dim, const float *__restrict__ fine, const int *__restrict__ fineOffsets,
                            const int *__restrict__ coarseIdx, int *__restrict__ outIndex, float *__restrict__ outScore) {
  long long warp = (blockIdx.x * (long long)blockDim.x + threadIdx.x) >> 5;
  int lane = threadIdx.x & 31;
  long long warps = ((long long)gridDim.x * blockDim.x) >> 5;
  for (long long i = warp; i < n; i += warps) {
    int cj = coarseIdx[i];
    int f0 = fineOffsets[cj], f1 = fineOffsets[cj + 1];
    const float *p = P + i * (long long)dim;
    float bs = -INFINITY;
    int bi = -1;
    for (int f = f0; f < f1; f++) {
      const float *c = fine + (long long)f * dim;
      float s = 0.f;
      for (int d = lane; d < dim; d += 32) s = fmaf(p[d], c[d], s);
#pragma unroll
      for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
      if (better(s, f, bs, bi)) { bs = s; bi = f; }
    }
    if (lane == 0) {
      outIndex[i] = bi < 0 ? f0 : bi;
      outScore[i] = bs;
    }
  }
}

__global__ void count_kernel(int n, const int *assign, int k, int *counts, int *bad) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    int c = assign[i];
    if (c < 0 || c >= k) { atomicExch(bad, 1); continue; }
    atomicAdd(&counts[c], 1);
  }
}

__global__ void gather_idx_kernel(int n, const int *assign, int k, unsigned int *key, int *idx) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    int c = assign[i];
    key[i] = (c < 0 || c >= k) ? (unsigned)k : (unsigned)c;  // invalid ones sort last and are never read
    idx[i] = i;
  }
}

// One block per centroid: the (weighted) sum of its points in point order, in double; then / count or / norm.
__global__ void update_kernel(const float *__restrict__ P, int dim, const float *__restrict__ weights, const int *__restrict__ order,
                              const int *__restrict__ offsets, const int *__restrict__ counts, int normalize, float *__restrict__ C) {
  int c = blockIdx.x;
  int a = offsets[c], cnt = counts[c];
  if (cnt == 0) return;  // empty cluster: the row is left as it was
  extern __shared__ double sh[];
  double *sq = sh;  // blockDim.x partial squared norms
  double wsum = 0.0;
  if (weights != nullptr) for (int q = 0; q < cnt; q++) wsum += (double)weights[order[a + q]];
  else wsum = cnt;
  double local = 0.0;
  for (int d = threadIdx.x; d < dim; d += blockDim.x) {
    double s = 0.0;
    for (int q = 0; q < cnt; q++) {
      int i = order[a + q];
      double w = weights != nullptr ? (double)weights[i] : 1.0;
      s += w * (double)P[(long long)i * dim + d];
    }
    C[(long long)c * dim + d] = (float)s;  // provisional, rescaled below
    local += s * s;
  }
  sq[threadIdx.x] = local;
  __syncthreads();
  for (int w = blockDim.x / 2; w > 0; w >>= 1) {
    if (threadIdx.x < w) sq[threadIdx.x] += sq[threadIdx.x + w];
    __syncthreads();
  }
  double scale = normalize ? (sq[0] > 0 ? 1.0 / sqrt(sq[0]) : 0.0) : (wsum != 0 ? 1.0 / wsum : 0.0);
  for (int d = threadIdx.x; d < dim; d += blockDim.x) {
    // Recompute the sum rather than rounding twice (float provisional value), so the result is sum * scale
    // rounded once.
    double s = 0.0;
    for (int q = 0; q < cnt; q++) {
      int i = order[a + q];
      double w = weights != nullptr ? (double)weights[i] : 1.0;
      s += w * (double)P[(long long)i * dim + d];
    }
    C[(long long)c * dim + d] = (float)(s * scale);
  }
}

}  // namespace

extern "C" int lurm_kmeans_assign(const float *d_points, int n, const float *d_centroids, int k, int dim, int *d_outIndex, float *d_outScore,
                                  lurm_stream_t stream) {
  LURM_CHECK_ARG(n >= 0 && k >= 1 && dim >= 1);
  if (n == 0) return 0;
  LURM_CHECK_ARG(d_points && d_centroids && d_outIndex && d_outScore);
  assign_kernel<<<blocks_for(n, BP), 256, 0, (cudaStream_t)stream>>>(d_points, n, d_centroids, k, dim, d_outIndex, d_outScore);
  LURM_LAUNCHED();
  return 0;
}

// Two-level search: coarse (kc x dim) then the fine centroids [fineOffsets[j], fineOffsets[j+1]) of the nearest
// coarse centroid j (fineOffsets: kc + 1 device ints, non-decreasing, within the fine table). d_scratch holds n
// ints (the coarse assignment); d_outScore doubles as the coarse scores.
extern "C" int lurm_kmeans_assign_two_level(const float *d_points, int n, int dim, const float *d_coarse, int kc, const float *d_fine,
                                            const int *d_fineOffsets, int *d_scratch, int *d_outIndex, float *d_outScore,
                                            lurm_stream_t stream) {
  LURM_CHECK_ARG(n >= 0 && kc >= 1 && dim >= 1);
  if (n == 0) return 0;
  LURM_CHECK_ARG(d_points && d_coarse && d_fine && d_fineOffsets && d_scratch && d_outIndex && d_outScore);
  cudaStream_t st = (cudaStream_t)stream;
  assign_kernel<<<blocks_for(n, BP), 256, 0, st>>>(d_points, n, d_coarse, kc, dim, d_scratch, d_outScore);
  LURM_LAUNCHED();
  fine_kernel<<<blocks_for((long long)n * 32, 256), 256, 0, st>>>(d_points, n, dim, d_fine, d_fineOffsets, d_scratch, d_outIndex, d_outScore);
  LURM_LAUNCHED();
  return 0;
}

// Centroid update: for each c with members, centroid row c = sum of its points (weighted when d_weights is not
// NULL) divided by the weight sum, or L2-normalised when normalize != 0 (spherical k-means); rows of empty
// clusters are left unchanged. d_counts (k ints) receives the member counts. Synchronous; *badAssign = 1 when
// an assignment lies outside [0, k) (those points are ignored).
extern "C" int lurm_kmeans_update(const float *d_points, int n, int dim, const int *d_assign, const float *d_weights, int k, int normalize,
                                  float *d_centroids, int *d_counts, int *badAssign, lurm_stream_t stream) {
  LURM_CHECK_ARG(n >= 0 && k >= 1 && dim >= 1 && d_centroids && d_counts && badAssign);
  cudaStream_t st = (cudaStream_t)stream;
  *badAssign = 0;
  LURM_CK(cudaMemsetAsync(d_counts, 0, sizeof(int) * k, st));
  if (n == 0) return (int)cudaStreamSynchronize(st);
  LURM_CHECK_ARG(d_points && d_assign);
  DevArr<int> bad, idx, idx2, offsets;
  DevArr<unsigned int> key, key2;
  LURM_CK(bad.alloc(1));
  LURM_CK(bad.zero(st));
  count_kernel<<<blocks_for(n, 256), 256, 0, st>>>(n, d_assign, k, d_counts, bad.p);
  LURM_LAUNCHED();
  LURM_CK(key.alloc(n));
  LURM_CK(key2.alloc(n));
  LURM_CK(idx.alloc(n));
  LURM_CK(idx2.alloc(n));
  LURM_CK(offsets.alloc(k));
  gather_idx_kernel<<<blocks_for(n, 256), 256, 0, st>>>(n, d_assign, k, key.p, idx.p);
  LURM_LAUNCHED();
  int endBit = 1;
  while (endBit < 32 && ((unsigned long long)k >> endBit) != 0) endBit++;
  DevArr<unsigned char> tmp;
  size_t bytes = 0, b2 = 0;
  LURM_CK(cub::DeviceRadixSort::SortPairs(nullptr, bytes, key.p, key2.p, idx.p, idx2.p, n, 0, endBit, st));
  LURM_CK(cub::DeviceScan::ExclusiveSum(nullptr, b2, d_counts, offsets.p, k, st));
  LURM_CK(tmp.alloc(bytes > b2 ? bytes : b2));
  LURM_CK(cub::DeviceRadixSort::SortPairs(tmp.p, bytes, key.p, key2.p, idx.p, idx2.p, n, 0, endBit, st));
  LURM_CK(cub::DeviceScan::ExclusiveSum(tmp.p, b2, d_counts, offsets.p, k, st));
  update_kernel<<<k, 128, 128 * sizeof(double), st>>>(d_points, dim, d_weights, idx2.p, offsets.p, d_counts, normalize, d_centroids);
  LURM_LAUNCHED();
  LURM_CK(cudaMemcpyAsync(badAssign, bad.p, sizeof(int), cudaMemcpyDeviceToHost, st));
  return (int)cudaStreamSynchronize(st);
}
