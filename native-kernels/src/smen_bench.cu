// Helpers of the GPU SMEN benchmarks: the copy kernel whose bandwidth is the floor the kernels are compared
// with, and a synthetic encoding batch generated on the device (10^6 users x 30 periods x 50 non-zeros is 12 GB
// of CSR: generating it there avoids a 12 GB host heap and a PCIe transfer the encoding aim does not count).
#include "smen_common.cuh"

namespace {

__global__ void copyKernel(const float4 *__restrict__ src, float4 *__restrict__ dst, long long n4) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n4; i += (long long)gridDim.x * blockDim.x)
    dst[i] = src[i];
}

__global__ void copyTail(const float *__restrict__ src, float *__restrict__ dst, long long from, long long n) {
  long long i = from + threadIdx.x;
  if (i < n) dst[i] = src[i];
}

// splitmix64 finaliser; cols[x] = mix(seed ^ mix(x)) % K: the same function as SmenSynth on the Java side.
__host__ __device__ __forceinline__ unsigned long long mix(unsigned long long x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Every row and every non-zero is written by a grid-stride loop over its own range, so any grid (the launch
// clamps it to a few million threads; the encoding bench has 3e7 rows and 1.5e9 non-zeros) initialises all of
// them; each value depends on its index alone, so the batch is the same whatever the grid.
__global__ void synthRows(int rowsTotal, int periods, int nnz, int K, int buckets, unsigned long long seed,
                          int *rowPtr, int *cols, float *vals, int *rowBucket) {
  const long long first = blockIdx.x * (long long)blockDim.x + threadIdx.x, stride = (long long)gridDim.x * blockDim.x;
  if (first == 0) rowPtr[0] = 0;
  for (long long x = first; x < rowsTotal; x += stride) {
    int age = periods - 1 - (int)(x % periods);  // rows of a group oldest first
    rowBucket[x] = age < buckets - 1 ? age : buckets - 2;
    rowPtr[x + 1] = (int)((x + 1) * nnz);
  }
  const long long n = (long long)rowsTotal * nnz;
  for (long long x = first; x < n; x += stride) {
    unsigned long long hsh = mix(seed ^ mix((unsigned long long)x));
    cols[x] = (int)(hsh % (unsigned long long)K);
    vals[x] = 0.1f + 1.9f * (float)((hsh >> 40) & 0xFFFFFF) / 16777216.f + 1e-6f;
  }
}

__global__ void synthGroups(int groups, int periods, int *groupStart) {
  const long long stride = (long long)gridDim.x * blockDim.x;
  for (long long g = blockIdx.x * (long long)blockDim.x + threadIdx.x; g <= groups; g += stride) groupStart[g] = (int)(g * periods);
}

}  // namespace

extern "C" int lurm_smen_copy(const float *src, float *dst, long long n, void *stream) {
  SMEN_REQUIRE(n >= 0 && (((unsigned long long)src | (unsigned long long)dst) & 15) == 0);
  cudaStream_t st = SMEN_STREAM(stream);
  long long n4 = n / 4;
  if (n4 > 0)
    copyKernel<<<smen::gridClamp(n4, 256, 132 * 32), 256, 0, st>>>(
        reinterpret_cast<const float4 *>(src), reinterpret_cast<float4 *>(dst), n4);
  if (n > n4 * 4) copyTail<<<1, 4, 0, st>>>(src, dst, n4 * 4, n);
  SMEN_LAUNCHED();
}

extern "C" int lurm_smen_synth_batch(int users, int scales, int periods, int nnz, int K, int buckets,
                                     unsigned long long seed, int *rowPtr, int *cols, float *vals, int *rowBucket,
                                     int *groupStart, void *stream) {
  SMEN_REQUIRE(users >= 1 && scales >= 1 && periods >= 1 && nnz >= 1 && K >= 1 && buckets >= 2);
  long long rows = (long long)users * scales * periods;
  SMEN_REQUIRE(rows * nnz < 2147483647LL);
  cudaStream_t st = SMEN_STREAM(stream);
  synthRows<<<smen::gridClamp(rows * nnz, 256, 132 * 64), 256, 0, st>>>((int)rows, periods, nnz, K,
                                                                                     buckets, seed, rowPtr, cols,
                                                                                     vals, rowBucket);
  long long groups = (long long)users * scales;
  synthGroups<<<smen::gridClamp(groups + 1, 256, 132 * 64), 256, 0, st>>>((int)groups, periods, groupStart);
  SMEN_LAUNCHED();
}
