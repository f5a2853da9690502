// The two views of a training batch built on the device from BoI rows kept there for the whole run
// (SmenInputs.views, MODEL.md's disjoint event split): data goes up once, and each step uploads only its user
// list. The split of every entry is the same pure function of (seed, user, scale, period, interest) as
// SmenInputs.shareA / entrySeed (SplitMix64), so the device builds exactly the rows, interests and buckets the host
// would, and weights w = (float) log1p(share) * idf_k computed in double as the host does.
//
// Three calls per step: count (per batch user: rows and non-zeros each view keeps, then offsets), write (the CSR
// of one view, its groups, and its non-zeros sorted by interest for the deterministic attention backward), union
// (the sorted distinct interests of both views: the V rows Adam updates). The host reads the totals between
// count and write, and the segment counts after write, because launch sizes depend on them.
//
// Floor: per view the batch's raw non-zeros are read twice (count, write: 8 bytes each plus the row columns) and
// the kept ones written once (8 bytes), then sorted (cub radix sort, about 16 bytes per non-zero per 8-bit pass);
// for 256 users with 2.5e5 non-zeros about 20 MB in all, a few microseconds at an H200's bandwidth. So these
// kernels are latency-bound: about a dozen launches and two round trips of a few ints per step.
#include <cub/cub.cuh>

#include "smen_common.cuh"

namespace {

constexpr int WARPS = 4;  // batch users per block of the per-user kernels (one warp each)
constexpr int HISTORY_FLAG = 1 << 16;  // BoiSet's rowScale column marks history rows with bit 16
constexpr long long HISTORY_PERIOD = (long long)0x8000000000000000ULL;  // Long.MIN_VALUE: history rows' period in the split seed
constexpr int THREADS = 256;

__device__ __forceinline__ unsigned long long mix64(unsigned long long z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// SmenInputs.entrySeed
__device__ __forceinline__ unsigned long long entrySeed(unsigned long long seed, int user, int scale, long long period, int interest) {
  unsigned long long h = seed;
  h = mix64(h ^ ((unsigned long long)(long long)user * 0x9E3779B97F4A7C15ULL));
  h = mix64(h ^ ((unsigned long long)(long long)scale * 0xC2B2AE3D27D4EB4FULL));
  h = mix64(h ^ (unsigned long long)period);
  return mix64(h ^ ((unsigned long long)(long long)interest * 0x165667B19E3779F9ULL));
}

// SmenInputs.shareA: Binomial(floor(x), 1/2) units plus the fractional part with probability 1/2.
__device__ __forceinline__ float shareA(float x, unsigned long long seed) {
  long long n = (long long)floorf(x);
  float frac = x - (float)n;
  long long a = 0;
  unsigned long long state = seed;
  while (n >= 64) {
    state += 0x9E3779B97F4A7C15ULL;
    a += __popcll(mix64(state));
    n -= 64;
  }
  if (n > 0) {
    state += 0x9E3779B97F4A7C15ULL;
    a += __popcll(mix64(state) & ((1ULL << n) - 1));
  }
  float share = (float)a;
  if (frac > 0.f && (mix64(state + 0x632BE59BD9B4E019ULL) & 1ULL) != 0) share += frac;
  return share;
}

// The view's share of entry j of row r (view 0: A, 1: B, the complement).
__device__ __forceinline__ float viewShare(const int *rowScale, const long long *rowPeriod, const int *cols, const float *vals,
                                           unsigned long long seed, int user, long long r, long long j, int view) {
  int code = rowScale[r];
  long long period = (code & HISTORY_FLAG) ? HISTORY_PERIOD : rowPeriod[r];
  float x = vals[j];
  float a = shareA(x, entrySeed(seed, user, code & ~HISTORY_FLAG, period, cols[j]));
  return view == 0 ? a : x - a;
}

__device__ __forceinline__ int warpSumI(int x) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(smen::FULL, x, o);
  return x;
}

__device__ __forceinline__ unsigned warpOr(unsigned x) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x |= __shfl_xor_sync(smen::FULL, x, o);
  return x;
}

// Rows and non-zeros a view keeps for each batch user (sink entries and rows included), into rowsOut/nnzOut[q].
__global__ void countKernel(const long long *userRow, const long long *rowEntry, const int *rowScale, const long long *rowPeriod,
                            const int *cols, const float *vals, const int *users, int batchUsers, unsigned long long seed, int view,
                            int sinkMode, int *rowsOut, int *nnzOut) {
  const int q = blockIdx.x * WARPS + threadIdx.x / 32, lane = threadIdx.x % 32;
  if (q >= batchUsers) return;  // the whole warp
  const int u = users[q];
  int outRows = 0, outNnz = 0, scale = -1;
  bool groupHas = false;
  for (long long r = userRow[u]; r < userRow[u + 1]; r++) {
    int s = rowScale[r] & ~HISTORY_FLAG;
    if (s != scale) {
      if (sinkMode == 2 && groupHas) { outRows++; outNnz++; }
      groupHas = false;
      scale = s;
    }
    int local = 0;
    for (long long j = rowEntry[r] + lane; j < rowEntry[r + 1]; j += 32)
      if (viewShare(rowScale, rowPeriod, cols, vals, seed, u, r, j, view) > 0.f) local++;
    int kept = warpSumI(local);
    if (kept > 0) {
      outRows++;
      outNnz += kept + (sinkMode > 0 ? 1 : 0);
      groupHas = true;
    }
  }
  if (sinkMode == 2 && groupHas) { outRows++; outNnz++; }
  if (lane == 0) {
    rowsOut[q] = outRows;
    nnzOut[q] = outNnz;
  }
}

// One view's CSR, buckets and groups, each batch user's rows at its offsets (SmenInputs.build's order).
__global__ void writeKernel(const long long *userRow, const long long *rowEntry, const int *rowScale, const long long *rowPeriod,
                            const int *cols, const float *vals, const int *rowBucket, const float *idf, int scales, int buckets,
                            int sinkInterest, const int *users, int batchUsers, unsigned long long seed, int view, int sinkMode,
                            const float *sinkWeights, const int *rowOff, const int *nnzOff, int *outRowPtr, int *outCols, float *outVals, int *outBucket,
                            int *groupStart) {
  const int q = blockIdx.x * WARPS + threadIdx.x / 32, lane = threadIdx.x % 32;
  if (q >= batchUsers) return;
  const int u = users[q];
  int row = rowOff[q], o = nnzOff[q];
  if (q == 0 && lane == 0) outRowPtr[0] = 0;
  long long r = userRow[u];
  const long long rEnd = userRow[u + 1];
  for (int s = 0; s < scales; s++) {
    if (lane == 0) groupStart[q * scales + s] = row;
    const int groupFirst = row;
    for (; r < rEnd && (rowScale[r] & ~HISTORY_FLAG) == s; r++) {
      const int rowFirst = o;
      for (long long base = rowEntry[r]; base < rowEntry[r + 1]; base += 32) {  // the same bounds for every lane
        long long j = base + lane;
        float share = j < rowEntry[r + 1] ? viewShare(rowScale, rowPeriod, cols, vals, seed, u, r, j, view) : 0.f;
        bool keep = share > 0.f;
        unsigned mask = warpOr(keep ? 1u << lane : 0u);
        if (keep) {
          int at = o + __popc(mask & ((1u << lane) - 1u));
          int k = cols[j];
          outCols[at] = k;
          outVals[at] = (float)log1p((double)share) * idf[k];
        }
        o += __popc(mask);
      }
      if (o > rowFirst) {
        if (sinkMode > 0) {
          if (lane == 0) {
            outCols[o] = sinkInterest;  // the largest index: the row stays sorted
            outVals[o] = sinkWeights != nullptr ? sinkWeights[s] : 1.f;
          }
          o++;
        }
        if (lane == 0) {
          outRowPtr[row + 1] = o;
          outBucket[row] = rowBucket[r];
        }
        row++;
      }
    }
    if (sinkMode == 2 && row > groupFirst) {
      if (lane == 0) {
        outCols[o] = sinkInterest;
        outVals[o] = 1.f;
        outRowPtr[row + 1] = o + 1;
        outBucket[row] = buckets - 1;
      }
      o++;
      row++;
    }
  }
  if (q == batchUsers - 1 && lane == 0) groupStart[batchUsers * scales] = row;
}

__global__ void iotaKernel(int *out, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) out[i] = i;
}

__global__ void concatKernel(const int *a, int na, const int *b, int nb, int *out) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < na + nb; i += gridDim.x * blockDim.x) out[i] = i < na ? a[i] : b[i - na];
}

// flags[i] = 1 where a run of equal sorted keys starts
__global__ void runStartKernel(const int *sorted, int n, int *flags) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) flags[i] = i == 0 || sorted[i] != sorted[i - 1];
}

__global__ void closeSegmentsKernel(int *segStart, const int *count, int n) { segStart[*count] = n; }

inline int grid(long long n) { return smen::gridClamp(n, THREADS, 4096); }

// The scratch (lurm_smen_views_scratch): per view the per-user rows and non-zeros and their offsets (b + 1 ints
// each), then four int arrays of 2 * maxNnz (keys, sorted keys, positions, sorted positions), the run flags, the
// segment count, and cub's temporary storage. 256-byte aligned pieces.
struct Scratch {
  int *rows[2], *nnz[2], *rowOff[2], *nnzOff[2];
  int *keys, *sorted, *pos, *sortedPos, *flags, *count;
  void *cubTemp;
  size_t cubBytes;
};

inline size_t align256(size_t x) { return (x + 255) / 256 * 256; }

cudaError_t cubBytes(int batchUsers, long long maxNnz, size_t *out) {
  size_t need = 0, b = 0;
  const long long n2 = 2 * maxNnz;
  cudaError_t e;
  if ((e = cub::DeviceScan::ExclusiveSum(nullptr, b, (int *)nullptr, (int *)nullptr, batchUsers + 1)) != cudaSuccess) return e;
  need = b > need ? b : need;
  if ((e = cub::DeviceRadixSort::SortPairs(nullptr, b, (int *)nullptr, (int *)nullptr, (int *)nullptr, (int *)nullptr, (int)n2)) != cudaSuccess) return e;
  need = b > need ? b : need;
  if ((e = cub::DeviceSelect::Flagged(nullptr, b, (int *)nullptr, (int *)nullptr, (int *)nullptr, (int *)nullptr, (int)n2)) != cudaSuccess) return e;
  need = b > need ? b : need;
  *out = need;
  return cudaSuccess;
}

Scratch carve(void *base, int batchUsers, long long maxNnz, size_t cubTemp) {
  char *p = (char *)base;
  Scratch s;
  const size_t per = align256(sizeof(int) * (size_t)(batchUsers + 1));
  const size_t big = align256(sizeof(int) * (size_t)(2 * maxNnz));
  for (int v = 0; v < 2; v++) {
    s.rows[v] = (int *)p; p += per;
    s.nnz[v] = (int *)p; p += per;
    s.rowOff[v] = (int *)p; p += per;
    s.nnzOff[v] = (int *)p; p += per;
  }
  s.keys = (int *)p; p += big;
  s.sorted = (int *)p; p += big;
  s.pos = (int *)p; p += big;
  s.sortedPos = (int *)p; p += big;
  s.flags = (int *)p; p += big;
  s.count = (int *)p; p += 256;
  s.cubTemp = p;
  s.cubBytes = cubTemp;
  return s;
}

size_t carveBytes(int batchUsers, long long maxNnz, size_t cubTemp) {
  const size_t per = align256(sizeof(int) * (size_t)(batchUsers + 1));
  const size_t big = align256(sizeof(int) * (size_t)(2 * maxNnz));
  return 8 * per + 5 * big + 256 + align256(cubTemp);
}

bool sizesOk(int batchUsers, long long maxNnz) { return batchUsers >= 1 && maxNnz >= 1 && 2 * maxNnz < (1LL << 31); }

// keys[0, n) sorted stably by value into `sorted`, their positions into `perm`; the starts of the runs of equal keys into
// segStart (with segStart[count] = n when segStart is given) and the keys of the runs into segKeys; the count into *count.
cudaError_t segments(Scratch &s, const int *keys, int n, int endBit, int *perm, int *segStart, int *segKeys, int *count, cudaStream_t st) {
  if (n == 0) return cudaMemsetAsync(count, 0, sizeof(int), st);
  iotaKernel<<<grid(n), THREADS, 0, st>>>(s.pos, n);
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) return e;
  size_t b = s.cubBytes;
  if ((e = cub::DeviceRadixSort::SortPairs(s.cubTemp, b, keys, s.sorted, s.pos, perm, n, 0, endBit, st)) != cudaSuccess) return e;
  runStartKernel<<<grid(n), THREADS, 0, st>>>(s.sorted, n, s.flags);
  if ((e = cudaGetLastError()) != cudaSuccess) return e;
  b = s.cubBytes;
  if (segStart != nullptr) {
    if ((e = cub::DeviceSelect::Flagged(s.cubTemp, b, s.pos, s.flags, segStart, count, n, st)) != cudaSuccess) return e;
    b = s.cubBytes;
  }
  if ((e = cub::DeviceSelect::Flagged(s.cubTemp, b, s.sorted, s.flags, segKeys, count, n, st)) != cudaSuccess) return e;
  if (segStart != nullptr) {
    closeSegmentsKernel<<<1, 1, 0, st>>>(segStart, count, n);
    return cudaGetLastError();
  }
  return cudaSuccess;
}

int endBitFor(int numInterests) {
  int bits = 1;
  while (bits < 31 && (1LL << bits) < (long long)numInterests) bits++;
  return bits;
}

}  // namespace

extern "C" int lurm_smen_views_scratch(int batchUsers, long long maxNnz, long long *bytes) {
  SMEN_REQUIRE(bytes != nullptr && sizesOk(batchUsers, maxNnz));
  size_t cub = 0;
  cudaError_t e = cubBytes(batchUsers, maxNnz, &cub);
  if (e != cudaSuccess) return (int)e;
  *bytes = (long long)carveBytes(batchUsers, maxNnz, cub);
  return 0;
}

extern "C" int lurm_smen_views_count(const long long *userRow, const long long *rowEntry, const int *rowScale, const long long *rowPeriod,
                                     const int *cols, const float *vals, const int *users, int batchUsers,
                                     unsigned long long splitSeed, int view, int sinkMode, long long maxNnz, void *scratch,
                                     int *totals, void *stream) {
  SMEN_REQUIRE(sizesOk(batchUsers, maxNnz) && (view == 0 || view == 1) && sinkMode >= 0 && sinkMode <= 2 && scratch != nullptr &&
               totals != nullptr);
  cudaStream_t st = SMEN_STREAM(stream);
  size_t cub = 0;
  cudaError_t e = cubBytes(batchUsers, maxNnz, &cub);
  if (e != cudaSuccess) return (int)e;
  Scratch s = carve(scratch, batchUsers, maxNnz, cub);
  // the (b + 1)-th entries are 0, so the exclusive sums end with the totals
  if ((e = cudaMemsetAsync(s.rows[view] + batchUsers, 0, sizeof(int), st)) != cudaSuccess) return (int)e;
  if ((e = cudaMemsetAsync(s.nnz[view] + batchUsers, 0, sizeof(int), st)) != cudaSuccess) return (int)e;
  countKernel<<<smen::ceilDiv(batchUsers, WARPS), WARPS * 32, 0, st>>>(userRow, rowEntry, rowScale, rowPeriod, cols, vals, users,
                                                                      batchUsers, splitSeed, view, sinkMode, s.rows[view], s.nnz[view]);
  if ((e = cudaGetLastError()) != cudaSuccess) return (int)e;
  size_t b = s.cubBytes;
  if ((e = cub::DeviceScan::ExclusiveSum(s.cubTemp, b, s.rows[view], s.rowOff[view], batchUsers + 1, st)) != cudaSuccess) return (int)e;
  b = s.cubBytes;
  if ((e = cub::DeviceScan::ExclusiveSum(s.cubTemp, b, s.nnz[view], s.nnzOff[view], batchUsers + 1, st)) != cudaSuccess) return (int)e;
  if ((e = cudaMemcpyAsync(totals, s.rowOff[view] + batchUsers, sizeof(int), cudaMemcpyDeviceToDevice, st)) != cudaSuccess) return (int)e;
  return (int)cudaMemcpyAsync(totals + 1, s.nnzOff[view] + batchUsers, sizeof(int), cudaMemcpyDeviceToDevice, st);
}

extern "C" int lurm_smen_views_write(const long long *userRow, const long long *rowEntry, const int *rowScale, const long long *rowPeriod,
                                     const int *cols, const float *vals, const int *rowBucket, const float *idf, int scales, int buckets,
                                     int numInterests, const int *users, int batchUsers, unsigned long long splitSeed, int view,
                                     int sinkMode, const float *sinkWeights, long long maxNnz, void *scratch, int rows, int nnz,
                                     int *outRowPtr, int *outCols, float *outVals, int *outBucket, int *groupStart, int *perm,
                                     int *segStart, int *segInterest, int *segCount, void *stream) {
  SMEN_REQUIRE(sizesOk(batchUsers, maxNnz) && (view == 0 || view == 1) && sinkMode >= 0 && sinkMode <= 2 && scratch != nullptr &&
               scales >= 1 && buckets >= 2 && numInterests >= 1 && rows >= 0 && nnz >= 0 && nnz <= maxNnz && segCount != nullptr);
  cudaStream_t st = SMEN_STREAM(stream);
  size_t cub = 0;
  cudaError_t e = cubBytes(batchUsers, maxNnz, &cub);
  if (e != cudaSuccess) return (int)e;
  Scratch s = carve(scratch, batchUsers, maxNnz, cub);
  writeKernel<<<smen::ceilDiv(batchUsers, WARPS), WARPS * 32, 0, st>>>(userRow, rowEntry, rowScale, rowPeriod, cols, vals, rowBucket, idf,
                                                                      scales, buckets, numInterests - 1, users, batchUsers, splitSeed,
                                                                      view, sinkMode, sinkWeights, s.rowOff[view], s.nnzOff[view], outRowPtr,
                                                                      outCols, outVals, outBucket, groupStart);
  if ((e = cudaGetLastError()) != cudaSuccess) return (int)e;
  return (int)segments(s, outCols, nnz, endBitFor(numInterests), perm, segStart, segInterest, segCount, st);
}

extern "C" int lurm_smen_views_union(const int *colsA, int nnzA, const int *colsB, int nnzB, int numInterests, int batchUsers,
                                     long long maxNnz, void *scratch, int *out, int *count, void *stream) {
  SMEN_REQUIRE(sizesOk(batchUsers, maxNnz) && nnzA >= 0 && nnzB >= 0 && nnzA <= maxNnz && nnzB <= maxNnz && numInterests >= 1 &&
               scratch != nullptr && out != nullptr && count != nullptr);
  cudaStream_t st = SMEN_STREAM(stream);
  size_t cub = 0;
  cudaError_t e = cubBytes(batchUsers, maxNnz, &cub);
  if (e != cudaSuccess) return (int)e;
  Scratch s = carve(scratch, batchUsers, maxNnz, cub);
  const int n = nnzA + nnzB;
  if (n > 0) {
    concatKernel<<<grid(n), THREADS, 0, st>>>(colsA, nnzA, colsB, nnzB, s.keys);
    if ((e = cudaGetLastError()) != cudaSuccess) return (int)e;
  }
  return (int)segments(s, s.keys, n, endBitFor(numInterests), s.sortedPos, nullptr, out, count, st);
}
