// The device memory-bandwidth floor that the benchmarks divide by: a streaming copy (read + write) and a
// streaming read (sum, so the loads cannot be optimised away), 16-byte vector accesses, grid-stride.
// Bytes moved: copy 2 * bytes, read 1 * bytes; no arithmetic to speak of.
#include <cuda_runtime.h>
#include "lurm_internal.cuh"
#include "lurm_kernels.h"

namespace {

__global__ void copy_kernel(const float4 *__restrict__ src, float4 *__restrict__ dst, long long n4) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n4; i += (long long)gridDim.x * blockDim.x) dst[i] = src[i];
}

__global__ void read_kernel(const float4 *__restrict__ src, long long n4, float *sink) {
  float s = 0.f;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n4; i += (long long)gridDim.x * blockDim.x) {
    float4 v = src[i];
    s += v.x + v.y + v.z + v.w;
  }
  if (s == 1.2345e-30f) *sink = s;  // practically never true; keeps the loads
}

unsigned grid_for(long long n4) {
  int dev = 0, sms = 132;
  if (cudaGetDevice(&dev) == cudaSuccess) cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
  long long want = (n4 + 255) / 256, cap = (long long)sms * 8;
  return (unsigned)(want < cap ? (want < 1 ? 1 : want) : cap);
}

}  // namespace

// Copies `bytes` (a multiple of 16) from d_src to d_dst with the copy kernel.
extern "C" int lurm_bandwidth_copy(const void *d_src, void *d_dst, long long bytes, lurm_stream_t stream) {
  LURM_CHECK_ARG(bytes >= 0 && bytes % 16 == 0);
  if (bytes == 0) return 0;
  LURM_CHECK_ARG(d_src && d_dst);
  long long n4 = bytes / 16;
  copy_kernel<<<grid_for(n4), 256, 0, (cudaStream_t)stream>>>((const float4 *)d_src, (float4 *)d_dst, n4);
  LURM_LAUNCHED();
  return 0;
}

// Reads `bytes` (a multiple of 16) at d_src; d_sink is one device float (written practically never).
extern "C" int lurm_bandwidth_read(const void *d_src, long long bytes, float *d_sink, lurm_stream_t stream) {
  LURM_CHECK_ARG(bytes >= 0 && bytes % 16 == 0 && d_sink);
  if (bytes == 0) return 0;
  LURM_CHECK_ARG(d_src);
  long long n4 = bytes / 16;
  read_kernel<<<grid_for(n4), 256, 0, (cudaStream_t)stream>>>((const float4 *)d_src, n4, d_sink);
  LURM_LAUNCHED();
  return 0;
}
