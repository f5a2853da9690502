// Bag-of-Interests aggregation (MODEL.md, Stage 1) on the device, with the item-to-interest look-up fused
// into the first pass. Same semantics as the CPU org.lurm.boi.BoiAggregator, row for row and bit for bit:
//   - event i of user u: k = itemInterest[item], w = weight * typeWeight[type] (float product); k < 0 skips
//     and counts the event when lenient; zero-weight events add nothing;
//   - per scale: period p = floorDiv(t - origin, L); cells (u, p, k) sum their weights in double, in event
//     (table) order; the oldest max(0, P_u - T_max) periods of a user fold into one history row (per interest,
//     the cell sums added in period order) labelled with the newest folded period;
//   - rows user-major, then scale, then history row, then periods ascending; columns ascending; df[k] = users
//     with any entry on k.
// Any input the CPU would reject (user/item/type outside its dictionary, interest missing when not lenient or
// >= K, timestamp overflow) or a period span that does not fit the packed sort key sets *status and returns
// no result: the caller then runs the CPU aggregator, which raises the exact CPU error (or computes the
// result), so there is never a different answer.
//
// Every pass is a lambda run by `each` over an index range: as a grid-stride CUDA kernel, or, in the host
// emulation (lurm_boi_aggregate_host), as a plain loop; sorts, scans and selections have a cub version and a
// sequential host version with the same (stable) semantics. So the whole pipeline, index arithmetic
// included, is checked against the CPU aggregator in CI on machines without a GPU.
//
// Floor (n events, m kept, D cells, nnz entries, S scales): the inputs are read once (24 B/event:
// user, item, type, weight 4 B each, time 8 B) plus one gather of itemInterest; each scale re-reads the
// kept events' time and sorts m (key, index) pairs (two stable radix passes, ~8 passes of 8-12 B over m);
// the output is 8 B/entry + 24 B/row. So the floor is about 24 n + S * (~100 m) bytes: sort-bound, not
// FLOP-bound (no arithmetic to speak of).
#include <cuda_runtime.h>
#include <cub/cub.cuh>
#include <thrust/iterator/counting_iterator.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <algorithm>
#include <new>
#include <utility>
#include <vector>
#include "lurm_internal.cuh"
#include "lurm_kernels.h"

namespace {

constexpr int HISTORY_FLAG = 1 << 16;  // BoiSet.HISTORY_FLAG
constexpr int TPB = 256;

enum Status : int { STATUS_OK = 0, STATUS_INPUT = 1, STATUS_KEY_RANGE = 2 };

// Where the pipeline runs: the device (on a stream) or the host (sequential emulation).
struct Exec {
  bool host;
  cudaStream_t st;
};

template <typename F>
__global__ void each_kernel(long long n, F f) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) f(i);
}

template <typename F>
cudaError_t each(const Exec &ex, long long n, F f) {
  if (n <= 0) return cudaSuccess;
  if (ex.host) {
    for (long long i = 0; i < n; i++) f(i);
    return cudaSuccess;
  }
  each_kernel<<<lurm::blocks_for(n, TPB), TPB, 0, ex.st>>>(n, f);
  return cudaGetLastError();
}

// Atomics that are plain updates in the (sequential) host emulation.
__host__ __device__ inline void at_min(unsigned long long *a, unsigned long long v) {
#ifdef __CUDA_ARCH__
  atomicMin(a, v);
#else
  if (v < *a) *a = v;
#endif
}
__host__ __device__ inline void at_add(unsigned long long *a, unsigned long long v) {
#ifdef __CUDA_ARCH__
  atomicAdd(a, v);
#else
  *a += v;
#endif
}
__host__ __device__ inline void at_add(int *a, int v) {
#ifdef __CUDA_ARCH__
  atomicAdd(a, v);
#else
  *a += v;
#endif
}

// An array in device memory, or in host memory for the emulation; freed on scope exit.
template <typename T>
struct Arr {
  T *p = nullptr;
  size_t n = 0;
  bool host = false;
  Arr() = default;
  Arr(const Arr &) = delete;
  Arr &operator=(const Arr &) = delete;
  Arr(Arr &&o) noexcept : p(o.p), n(o.n), host(o.host) { o.p = nullptr; o.n = 0; }
  Arr &operator=(Arr &&o) noexcept {
    if (this != &o) { reset(); p = o.p; n = o.n; host = o.host; o.p = nullptr; o.n = 0; }
    return *this;
  }
  ~Arr() { reset(); }
  void reset() {
    if (p) { if (host) free(p); else cudaFree(p); }
    p = nullptr;
    n = 0;
  }
  cudaError_t alloc(const Exec &ex, size_t count) {
    reset();
    host = ex.host;
    n = count;
    if (count == 0) return cudaSuccess;
    if (host) {
      p = (T *)malloc(count * sizeof(T));
      return p ? cudaSuccess : cudaErrorMemoryAllocation;
    }
    return cudaMalloc((void **)&p, count * sizeof(T));
  }
  cudaError_t zero(const Exec &ex) {
    if (n == 0) return cudaSuccess;
    if (host) { memset(p, 0, n * sizeof(T)); return cudaSuccess; }
    return cudaMemsetAsync(p, 0, n * sizeof(T), ex.st);
  }
  cudaError_t upload(const Exec &ex, const T *h, size_t count) {
    cudaError_t e = alloc(ex, count);
    if (e != cudaSuccess || count == 0) return e;
    if (host) { memcpy(p, h, count * sizeof(T)); return cudaSuccess; }
    return cudaMemcpyAsync(p, h, count * sizeof(T), cudaMemcpyHostToDevice, ex.st);
  }
};

cudaError_t to_host(const Exec &ex, void *dst, const void *src, size_t bytes) {
  if (bytes == 0) return cudaSuccess;
  if (ex.host) { memcpy(dst, src, bytes); return cudaSuccess; }
  cudaError_t e = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, ex.st);
  if (e != cudaSuccess) return e;
  return cudaStreamSynchronize(ex.st);
}

cudaError_t from_host(const Exec &ex, void *dst, const void *src, size_t bytes) {
  if (bytes == 0) return cudaSuccess;
  if (ex.host) { memcpy(dst, src, bytes); return cudaSuccess; }
  cudaError_t e = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, ex.st);
  if (e != cudaSuccess) return e;
  return cudaStreamSynchronize(ex.st);  // src may be a stack value
}

int bits_for(unsigned long long v) {  // bits needed to hold values 0..v
  int b = 0;
  while (b < 64 && (v >> b) != 0) b++;
  return b;
}

// Scratch for cub: grows as needed (cudaFree synchronises, so growing never frees memory in use).
struct Temp {
  Arr<unsigned char> buf;
  cudaError_t need(const Exec &ex, size_t bytes) { return bytes <= buf.n ? cudaSuccess : buf.alloc(ex, bytes); }
};

// Stable sort of (keys, vals) by the low endBit bits of the keys.
template <typename K, typename V>
cudaError_t stable_sort(const Exec &ex, Temp &tmp, Arr<K> &keys, Arr<V> &vals, long long n, int endBit) {
  if (n <= 1) return cudaSuccess;
  if (endBit < 1) endBit = 1;
  if (ex.host) {
    std::vector<std::pair<K, V>> kv((size_t)n);
    K mask = endBit >= (int)(8 * sizeof(K)) ? (K)~(K)0 : (K)(((K)1 << endBit) - 1);
    for (long long i = 0; i < n; i++) kv[i] = std::make_pair((K)(keys.p[i] & mask), vals.p[i]);
    std::stable_sort(kv.begin(), kv.end(), [](const std::pair<K, V> &a, const std::pair<K, V> &b) { return a.first < b.first; });
    for (long long i = 0; i < n; i++) { keys.p[i] = kv[i].first; vals.p[i] = kv[i].second; }
    return cudaSuccess;
  }
  Arr<K> k2;
  Arr<V> v2;
  cudaError_t e;
  if ((e = k2.alloc(ex, n)) != cudaSuccess) return e;
  if ((e = v2.alloc(ex, n)) != cudaSuccess) return e;
  size_t bytes = 0;
  if ((e = cub::DeviceRadixSort::SortPairs(nullptr, bytes, keys.p, k2.p, vals.p, v2.p, n, 0, endBit, ex.st)) != cudaSuccess) return e;
  if ((e = tmp.need(ex, bytes)) != cudaSuccess) return e;
  if ((e = cub::DeviceRadixSort::SortPairs(tmp.buf.p, bytes, keys.p, k2.p, vals.p, v2.p, n, 0, endBit, ex.st)) != cudaSuccess) return e;
  keys = std::move(k2);
  vals = std::move(v2);
  return cudaSuccess;
}

template <typename T>
cudaError_t scan_sum(const Exec &ex, Temp &tmp, const T *in, T *out, long long n, bool inclusive) {
  if (n == 0) return cudaSuccess;
  if (ex.host) {
    T acc = 0;
    for (long long i = 0; i < n; i++) {
      T v = in[i];
      if (inclusive) { acc += v; out[i] = acc; } else { out[i] = acc; acc += v; }
    }
    return cudaSuccess;
  }
  size_t bytes = 0;
  cudaError_t e = inclusive ? cub::DeviceScan::InclusiveSum(nullptr, bytes, in, out, n, ex.st) : cub::DeviceScan::ExclusiveSum(nullptr, bytes, in, out, n, ex.st);
  if (e != cudaSuccess) return e;
  if ((e = tmp.need(ex, bytes)) != cudaSuccess) return e;
  return inclusive ? cub::DeviceScan::InclusiveSum(tmp.buf.p, bytes, in, out, n, ex.st) : cub::DeviceScan::ExclusiveSum(tmp.buf.p, bytes, in, out, n, ex.st);
}

// Positions x in [0, n) where flag[x] != 0, ascending, into out; their number into *count.
template <typename F>
cudaError_t select_positions(const Exec &ex, Temp &tmp, const F *flag, long long n, Arr<long long> &out, long long *count) {
  cudaError_t e;
  *count = 0;
  if (n == 0) return out.alloc(ex, 0);
  if ((e = out.alloc(ex, n)) != cudaSuccess) return e;
  if (ex.host) {
    long long c = 0;
    for (long long i = 0; i < n; i++) if (flag[i]) out.p[c++] = i;
    *count = c;
    return cudaSuccess;
  }
  Arr<long long> num;
  if ((e = num.alloc(ex, 1)) != cudaSuccess) return e;
  thrust::counting_iterator<long long> it(0);
  size_t bytes = 0;
  if ((e = cub::DeviceSelect::Flagged(nullptr, bytes, it, flag, out.p, num.p, n, ex.st)) != cudaSuccess) return e;
  if ((e = tmp.need(ex, bytes)) != cudaSuccess) return e;
  if ((e = cub::DeviceSelect::Flagged(tmp.buf.p, bytes, it, flag, out.p, num.p, n, ex.st)) != cudaSuccess) return e;
  return to_host(ex, count, num.p, sizeof(long long));
}

// min and max of in[0, n) (n >= 1) into out[0], out[1] on the host.
cudaError_t min_max(const Exec &ex, Temp &tmp, const long long *in, long long n, long long out[2]) {
  if (ex.host) {
    out[0] = in[0];
    out[1] = in[0];
    for (long long i = 1; i < n; i++) { out[0] = std::min(out[0], in[i]); out[1] = std::max(out[1], in[i]); }
    return cudaSuccess;
  }
  Arr<long long> mm;
  cudaError_t e;
  if ((e = mm.alloc(ex, 2)) != cudaSuccess) return e;
  size_t bytes = 0;
  if ((e = cub::DeviceReduce::Min(nullptr, bytes, in, mm.p, n, ex.st)) != cudaSuccess) return e;
  if ((e = tmp.need(ex, bytes)) != cudaSuccess) return e;
  if ((e = cub::DeviceReduce::Min(tmp.buf.p, bytes, in, mm.p, n, ex.st)) != cudaSuccess) return e;
  bytes = 0;
  if ((e = cub::DeviceReduce::Max(nullptr, bytes, in, mm.p + 1, n, ex.st)) != cudaSuccess) return e;
  if ((e = tmp.need(ex, bytes)) != cudaSuccess) return e;
  if ((e = cub::DeviceReduce::Max(tmp.buf.p, bytes, in, mm.p + 1, n, ex.st)) != cudaSuccess) return e;
  return to_host(ex, out, mm.p, 2 * sizeof(long long));
}

__host__ __device__ inline float mul_rn(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fmul_rn(a, b);  // never contracted into an FMA: one rounding, as Java's float product
#else
  return a * b;
#endif
}

__host__ __device__ inline long long floor_div(long long a, long long b) {
  long long q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
  return q;
}

__host__ __device__ inline bool sub_overflows(long long t, long long origin, long long *d) {
  *d = (long long)((unsigned long long)t - (unsigned long long)origin);
  return ((t ^ origin) & (t ^ *d)) < 0;
}

// Everything one scale produced, kept until the final assembly.
struct ScaleOut {
  long long D = 0, H = 0;
  Arr<int> cU, cK, newPeriod, periodId, hU, hK, userFirstPeriod, userPeriods, fold, histCount, keptCells;
  Arr<long long> cP, userFirstCell, histPeriod, histFirst;
  Arr<double> cS, hS;
  Arr<unsigned char> folded;
};

// Inputs of the whole aggregation, after the first pass.
struct Events {
  long long n = 0, m = 0;
  Arr<int> user, ek;
  Arr<float> ew;
  Arr<long long> time, sel;  // sel: kept events (interest, weight != 0) in table order
};

int aggregate_scale(const Exec &ex, Temp &tmp, const Events &ev, int numUsers, int kBits, long long origin, long long len, int tMax,
                    Arr<unsigned long long> &bad, ScaleOut &so, int *status) {
  const long long m = ev.m;
  LURM_CK(so.userFirstPeriod.alloc(ex, numUsers));
  LURM_CK(so.userPeriods.alloc(ex, numUsers));
  LURM_CK(so.fold.alloc(ex, numUsers));
  LURM_CK(so.histCount.alloc(ex, numUsers));
  LURM_CK(so.keptCells.alloc(ex, numUsers));
  LURM_CK(so.userFirstCell.alloc(ex, numUsers));
  LURM_CK(so.histPeriod.alloc(ex, numUsers));
  LURM_CK(so.histFirst.alloc(ex, numUsers));
  LURM_CK(so.userFirstPeriod.zero(ex));
  LURM_CK(so.userPeriods.zero(ex));
  LURM_CK(so.fold.zero(ex));
  LURM_CK(so.histCount.zero(ex));
  LURM_CK(so.keptCells.zero(ex));
  LURM_CK(so.userFirstCell.zero(ex));
  LURM_CK(so.histPeriod.zero(ex));
  LURM_CK(so.histFirst.zero(ex));
  if (m == 0) return 0;
  const long long *sel = ev.sel.p, *time = ev.time.p;
  const int *user = ev.user.p, *ek = ev.ek.p;
  const float *ew = ev.ew.p;

  // Period of every kept event.
  Arr<long long> perA;
  LURM_CK(perA.alloc(ex, m));
  long long *per = perA.p;
  unsigned long long *badp = bad.p;
  LURM_CK(each(ex, m, [=] __host__ __device__(long long j) {
    long long i = sel[j], d;
    if (sub_overflows(time[i], origin, &d)) { at_min(badp, (unsigned long long)i); per[j] = 0; return; }
    per[j] = floor_div(d, len);
  }));
  unsigned long long firstBad = 0;
  LURM_CK(to_host(ex, &firstBad, bad.p, sizeof(firstBad)));
  if (firstBad != ~0ULL) { *status = STATUS_INPUT; return 0; }

  // Period range of this scale, for the packed key.
  long long pr[2];
  LURM_CK(min_max(ex, tmp, per, m, pr));
  const long long pMin = pr[0];
  int pBits = bits_for((unsigned long long)pr[1] - (unsigned long long)pr[0]);
  if (pr[1] < pr[0] || pBits + kBits > 63) { *status = STATUS_KEY_RANGE; return 0; }

  // Stable sort by (period, interest), then stable by user: (user, period, interest, event order).
  Arr<unsigned long long> key1;
  Arr<long long> orderA;
  LURM_CK(key1.alloc(ex, m));
  LURM_CK(orderA.alloc(ex, m));
  {
    unsigned long long *k1 = key1.p;
    long long *ord = orderA.p;
    LURM_CK(each(ex, m, [=] __host__ __device__(long long j) {
      k1[j] = ((unsigned long long)(per[j] - pMin) << kBits) | (unsigned long long)ek[sel[j]];
      ord[j] = j;
    }));
  }
  LURM_CK(stable_sort(ex, tmp, key1, orderA, m, pBits + kBits));
  key1.reset();
  Arr<unsigned int> key2;
  LURM_CK(key2.alloc(ex, m));
  {
    unsigned int *k2 = key2.p;
    const long long *ord = orderA.p;
    LURM_CK(each(ex, m, [=] __host__ __device__(long long x) { k2[x] = (unsigned int)user[sel[ord[x]]]; }));
  }
  LURM_CK(stable_sort(ex, tmp, key2, orderA, m, bits_for((unsigned long long)numUsers)));
  key2.reset();
  const long long *order = orderA.p;

  // Cells: boundaries in the sorted order, then one double sum per cell in event order.
  Arr<int> cellStartA;
  LURM_CK(cellStartA.alloc(ex, m));
  {
    int *cellStart = cellStartA.p;
    LURM_CK(each(ex, m, [=] __host__ __device__(long long x) {
      long long j = order[x];
      int f = 1;
      if (x > 0) {
        long long jp = order[x - 1];
        f = user[sel[j]] != user[sel[jp]] || per[j] != per[jp] || ek[sel[j]] != ek[sel[jp]];
      }
      cellStart[x] = f;
    }));
  }
  Arr<long long> cellOffA;
  long long D = 0;
  LURM_CK(select_positions(ex, tmp, cellStartA.p, m, cellOffA, &D));
  cellStartA.reset();
  so.D = D;
  LURM_CK(so.cU.alloc(ex, D));
  LURM_CK(so.cP.alloc(ex, D));
  LURM_CK(so.cK.alloc(ex, D));
  LURM_CK(so.cS.alloc(ex, D));
  int *cU = so.cU.p, *cK = so.cK.p;
  long long *cP = so.cP.p;
  double *cS = so.cS.p;
  {
    const long long *cellOff = cellOffA.p;
    LURM_CK(each(ex, D, [=] __host__ __device__(long long c) {
      long long a = cellOff[c], b = c + 1 < D ? cellOff[c + 1] : m;
      double s = 0.0;
      for (long long x = a; x < b; x++) s += (double)ew[sel[order[x]]];
      long long j = order[a];
      cU[c] = user[sel[j]];
      cP[c] = per[j];
      cK[c] = ek[sel[j]];
      cS[c] = s;
    }));
  }
  cellOffA.reset();
  orderA.reset();
  perA.reset();

  // Periods per user and the fold. periodId: inclusive running count of periods, so the cells of one
  // (user, period) share it and a user's periods are numbered firstPeriod .. lastPeriod.
  LURM_CK(so.newPeriod.alloc(ex, D));
  LURM_CK(so.periodId.alloc(ex, D));
  int *newPeriod = so.newPeriod.p, *periodId = so.periodId.p;
  LURM_CK(each(ex, D, [=] __host__ __device__(long long c) { newPeriod[c] = c == 0 || cU[c] != cU[c - 1] || cP[c] != cP[c - 1]; }));
  LURM_CK(scan_sum(ex, tmp, newPeriod, periodId, D, true));
  long long *userFirstCell = so.userFirstCell.p, *histPeriod = so.histPeriod.p;
  int *userFirstPeriod = so.userFirstPeriod.p, *userPeriods = so.userPeriods.p, *fold = so.fold.p, *keptCells = so.keptCells.p;
  LURM_CK(each(ex, D, [=] __host__ __device__(long long c) {
    int u = cU[c];
    if (c == 0 || cU[c - 1] != u) {
      userFirstCell[u] = c;
      userFirstPeriod[u] = periodId[c];
    }
    if (c == D - 1 || cU[c + 1] != u) userPeriods[u] = periodId[c] + 1;  // made a count below
  }));
  LURM_CK(each(ex, numUsers, [=] __host__ __device__(long long u) {
    int P = userPeriods[u] > 0 ? userPeriods[u] - userFirstPeriod[u] : 0;
    userPeriods[u] = P;
    fold[u] = P > tMax ? P - tMax : 0;
  }));
  LURM_CK(so.folded.alloc(ex, D));
  unsigned char *folded = so.folded.p;
  LURM_CK(each(ex, D, [=] __host__ __device__(long long c) {
    int u = cU[c];
    int rank = periodId[c] - userFirstPeriod[u];
    bool f = rank < fold[u];
    folded[c] = f;
    if (f) {
      if (rank == fold[u] - 1) histPeriod[u] = cP[c];  // the newest folded period
    } else {
      at_add(&keptCells[u], 1);
    }
  }));
  // userFirstCell[u] := the user's first kept cell (folded cells are a prefix of the user's cells).
  LURM_CK(each(ex, D, [=] __host__ __device__(long long c) {
    if (folded[c]) return;
    if (c == 0 || cU[c - 1] != cU[c] || folded[c - 1]) userFirstCell[cU[c]] = c;
  }));

  // History: folded cells regrouped by (user, interest); the stable sorts keep period order.
  Arr<long long> fcA;
  long long F = 0;
  LURM_CK(select_positions(ex, tmp, folded, D, fcA, &F));
  if (F > 0) {
    Arr<unsigned int> hk;
    LURM_CK(hk.alloc(ex, F));
    {
      unsigned int *k = hk.p;
      const long long *fc = fcA.p;
      LURM_CK(each(ex, F, [=] __host__ __device__(long long x) { k[x] = (unsigned int)cK[fc[x]]; }));
    }
    LURM_CK(stable_sort(ex, tmp, hk, fcA, F, kBits));
    LURM_CK(hk.alloc(ex, F));
    {
      unsigned int *k = hk.p;
      const long long *fc = fcA.p;
      LURM_CK(each(ex, F, [=] __host__ __device__(long long x) { k[x] = (unsigned int)cU[fc[x]]; }));
    }
    LURM_CK(stable_sort(ex, tmp, hk, fcA, F, bits_for((unsigned long long)numUsers)));
    hk.reset();
    const long long *fc = fcA.p;
    Arr<int> hStartA;
    LURM_CK(hStartA.alloc(ex, F));
    int *hStart = hStartA.p;
    LURM_CK(each(ex, F, [=] __host__ __device__(long long x) {
      hStart[x] = x == 0 || cU[fc[x]] != cU[fc[x - 1]] || cK[fc[x]] != cK[fc[x - 1]];
    }));
    Arr<long long> hOffA;
    long long H = 0;
    LURM_CK(select_positions(ex, tmp, hStart, F, hOffA, &H));
    so.H = H;
    LURM_CK(so.hU.alloc(ex, H));
    LURM_CK(so.hK.alloc(ex, H));
    LURM_CK(so.hS.alloc(ex, H));
    int *hU = so.hU.p, *hK = so.hK.p, *histCount = so.histCount.p;
    double *hS = so.hS.p;
    const long long *hOff = hOffA.p;
    LURM_CK(each(ex, H, [=] __host__ __device__(long long h) {
      long long a = hOff[h], b = h + 1 < H ? hOff[h + 1] : F;
      double s = 0.0;
      for (long long x = a; x < b; x++) s += cS[fc[x]];
      int u = cU[fc[a]];
      hU[h] = u;
      hK[h] = cK[fc[a]];
      hS[h] = s;
      at_add(&histCount[u], 1);
    }));
    // histFirst[u]: index of u's first history entry (entries are sorted by user).
    Arr<long long> wideA;
    LURM_CK(wideA.alloc(ex, numUsers));
    long long *wide = wideA.p;
    LURM_CK(each(ex, numUsers, [=] __host__ __device__(long long u) { wide[u] = histCount[u]; }));
    LURM_CK(scan_sum(ex, tmp, (const long long *)wide, so.histFirst.p, numUsers, false));
  }
  return 0;
}

}  // namespace

struct lurm_boi_result {
  bool host = false;
  long long rows = 0, nnz = 0, skipped = 0;
  int numUsers = 0, K = 0;
  Arr<long long> rowPtr, rowPeriod, userRowPtr;
  Arr<int> cols, rowUser, rowScale, df;
  Arr<float> vals;
};

static int aggregate(const Exec &ex, long long n, const int *h_user, const int *h_item, const int *h_type, const float *h_weight,
                     const long long *h_time, int numUsers, int numItems, const int *h_itemInterest, int K, const float *h_typeWeights,
                     int numTypeWeights, int numScales, const long long *h_periodSeconds, const int *h_tMax, long long origin, int lenient,
                     void **result, int *status) {
  LURM_CHECK_ARG(result != nullptr && status != nullptr);
  *result = nullptr;
  *status = STATUS_OK;
  LURM_CHECK_ARG(n >= 0 && numUsers >= 0 && numItems >= 0 && K >= 1 && numTypeWeights >= 0 && numScales >= 1 && numScales < 128);
  LURM_CHECK_ARG(n == 0 || (h_user && h_item && h_type && h_weight && h_time));
  LURM_CHECK_ARG((numItems == 0 || h_itemInterest) && (numTypeWeights == 0 || h_typeWeights) && h_periodSeconds && h_tMax);
  for (int s = 0; s < numScales; s++) LURM_CHECK_ARG(h_periodSeconds[s] > 0 && h_tMax[s] >= 1);
  int kBits = bits_for((unsigned long long)(K - 1));
  if (kBits < 1) kBits = 1;
  const int S = numScales;
  Temp tmp;

  // Pass 1: interest look-up, weight, validity (the first offending event into bad).
  Events ev;
  ev.n = n;
  Arr<int> item, type, itemInterest;
  Arr<float> weight, typeWeights;
  LURM_CK(ev.user.upload(ex, h_user, n));
  LURM_CK(item.upload(ex, h_item, n));
  LURM_CK(type.upload(ex, h_type, n));
  LURM_CK(weight.upload(ex, h_weight, n));
  LURM_CK(ev.time.upload(ex, h_time, n));
  LURM_CK(itemInterest.upload(ex, h_itemInterest, numItems));
  LURM_CK(typeWeights.upload(ex, h_typeWeights, numTypeWeights));
  LURM_CK(ev.ek.alloc(ex, n));
  LURM_CK(ev.ew.alloc(ex, n));
  Arr<unsigned char> keepA;
  LURM_CK(keepA.alloc(ex, n));
  Arr<unsigned long long> counters, bad;  // skipped; first bad event
  LURM_CK(counters.alloc(ex, 1));
  LURM_CK(counters.zero(ex));
  LURM_CK(bad.alloc(ex, 1));
  unsigned long long none = ~0ULL;
  LURM_CK(from_host(ex, bad.p, &none, sizeof(none)));
  {
    const int *user = ev.user.p, *itm = item.p, *typ = type.p, *ii = itemInterest.p;
    const float *wt = weight.p, *tw = typeWeights.p;
    const long long *time = ev.time.p;
    int *ek = ev.ek.p;
    float *ew = ev.ew.p;
    unsigned char *keep = keepA.p;
    unsigned long long *skipped = counters.p, *badp = bad.p;
    LURM_CK(each(ex, n, [=] __host__ __device__(long long i) {
      int u = user[i], it = itm[i], ty = typ[i];
      bool ok = u >= 0 && u < numUsers && it >= 0 && it < numItems && ty >= 0;
      int k = ok ? ii[it] : -1;
      keep[i] = 0;
      ek[i] = k;
      ew[i] = 0.f;
      if (!ok) { at_min(badp, (unsigned long long)i); return; }
      if (k < 0) {
        if (lenient) at_add(skipped, 1ULL);
        else at_min(badp, (unsigned long long)i);
        return;
      }
      if (k >= K) { at_min(badp, (unsigned long long)i); return; }
      // The CPU checks t - origin for every event with an interest, zero-weight ones included.
      long long d;
      if (sub_overflows(time[i], origin, &d)) { at_min(badp, (unsigned long long)i); return; }
      float w = mul_rn(wt[i], ty < numTypeWeights ? tw[ty] : 1.f);
      ew[i] = w;
      keep[i] = w != 0.f;
    }));
  }
  unsigned long long firstBad = 0, skipped = 0;
  LURM_CK(to_host(ex, &firstBad, bad.p, sizeof(firstBad)));
  LURM_CK(to_host(ex, &skipped, counters.p, sizeof(skipped)));
  if (firstBad != ~0ULL) { *status = STATUS_INPUT; return 0; }
  item.reset();
  type.reset();
  weight.reset();
  itemInterest.reset();
  LURM_CK(select_positions(ex, tmp, keepA.p, n, ev.sel, &ev.m));
  keepA.reset();

  std::vector<ScaleOut> outs((size_t)S);
  for (int s = 0; s < S; s++) {
    LURM_CK(aggregate_scale(ex, tmp, ev, numUsers, kBits, origin, h_periodSeconds[s], h_tMax[s], bad, outs[s], status));
    if (*status != STATUS_OK) return 0;
  }
  ev = Events();

  // Row and entry offsets of every (user, scale), user-major.
  const long long US = (long long)numUsers * S;
  Arr<long long> rowCountA, nnzCountA, rowStartA, nnzStartA;
  LURM_CK(rowCountA.alloc(ex, US + 1));
  LURM_CK(nnzCountA.alloc(ex, US + 1));
  LURM_CK(rowStartA.alloc(ex, US + 1));
  LURM_CK(nnzStartA.alloc(ex, US + 1));
  LURM_CK(rowCountA.zero(ex));
  LURM_CK(nnzCountA.zero(ex));
  for (int s = 0; s < S; s++) {
    long long *rowCount = rowCountA.p, *nnzCount = nnzCountA.p;
    const int *userPeriods = outs[s].userPeriods.p, *fold = outs[s].fold.p, *histCount = outs[s].histCount.p, *keptCells = outs[s].keptCells.p;
    LURM_CK(each(ex, numUsers, [=] __host__ __device__(long long u) {
      long long q = u * S + s;
      rowCount[q] = (fold[u] > 0 ? 1 : 0) + (userPeriods[u] - fold[u]);
      nnzCount[q] = histCount[u] + keptCells[u];
    }));
  }
  LURM_CK(scan_sum(ex, tmp, (const long long *)rowCountA.p, rowStartA.p, US + 1, false));
  LURM_CK(scan_sum(ex, tmp, (const long long *)nnzCountA.p, nnzStartA.p, US + 1, false));
  rowCountA.reset();
  nnzCountA.reset();
  lurm_boi_result *res = new (std::nothrow) lurm_boi_result();
  if (res == nullptr) return (int)cudaErrorMemoryAllocation;
  struct Guard {
    lurm_boi_result *r;
    ~Guard() { delete r; }
  } guard{res};
  res->host = ex.host;
  LURM_CK(to_host(ex, &res->rows, rowStartA.p + US, sizeof(long long)));
  LURM_CK(to_host(ex, &res->nnz, nnzStartA.p + US, sizeof(long long)));
  res->skipped = (long long)skipped;
  res->numUsers = numUsers;
  res->K = K;
  const long long R = res->rows, NNZ = res->nnz;
  LURM_CK(res->rowPtr.alloc(ex, R + 1));
  LURM_CK(res->rowPeriod.alloc(ex, R));
  LURM_CK(res->userRowPtr.alloc(ex, (long long)numUsers + 1));
  LURM_CK(res->cols.alloc(ex, NNZ));
  LURM_CK(res->vals.alloc(ex, NNZ));
  LURM_CK(res->rowUser.alloc(ex, R));
  LURM_CK(res->rowScale.alloc(ex, R));
  LURM_CK(res->df.alloc(ex, K));
  Arr<int> entryUserA;
  LURM_CK(entryUserA.alloc(ex, NNZ));
  long long *rowPtr = res->rowPtr.p, *rowPeriod = res->rowPeriod.p;
  int *cols = res->cols.p, *rowUser = res->rowUser.p, *rowScale = res->rowScale.p, *entryUser = entryUserA.p;
  float *vals = res->vals.p;
  const long long *rowStart = rowStartA.p, *nnzStart = nnzStartA.p;
  for (int s = 0; s < S; s++) {
    ScaleOut &so = outs[s];
    const int *fold = so.fold.p, *histCount = so.histCount.p, *userFirstPeriod = so.userFirstPeriod.p;
    const long long *histPeriod = so.histPeriod.p, *histFirst = so.histFirst.p, *firstKept = so.userFirstCell.p;
    // History rows.
    LURM_CK(each(ex, numUsers, [=] __host__ __device__(long long u) {
      if (fold[u] == 0) return;
      long long q = u * S + s, r = rowStart[q];
      rowPtr[r] = nnzStart[q];
      rowUser[r] = (int)u;
      rowScale[r] = s | HISTORY_FLAG;
      rowPeriod[r] = histPeriod[u];
    }));
    // History entries, sorted by (user, interest).
    {
      const int *hU = so.hU.p, *hK = so.hK.p;
      const double *hS = so.hS.p;
      LURM_CK(each(ex, so.H, [=] __host__ __device__(long long h) {
        int u = hU[h];
        long long e = nnzStart[(long long)u * S + s] + (h - histFirst[u]);
        cols[e] = hK[h];
        vals[e] = (float)hS[h];
        entryUser[e] = u;
      }));
    }
    // Kept cells: rank among the user's kept entries is c - firstKept[u]; the row is the rank of the period
    // among the kept periods.
    {
      const int *cU = so.cU.p, *cK = so.cK.p, *newPeriod = so.newPeriod.p, *periodId = so.periodId.p;
      const long long *cP = so.cP.p;
      const double *cS = so.cS.p;
      const unsigned char *folded = so.folded.p;
      LURM_CK(each(ex, so.D, [=] __host__ __device__(long long c) {
        if (folded[c]) return;
        int u = cU[c];
        long long q = (long long)u * S + s;
        int f = fold[u];
        long long e = nnzStart[q] + histCount[u] + (c - firstKept[u]);
        long long r = rowStart[q] + (f > 0 ? 1 : 0) + (periodId[c] - userFirstPeriod[u] - f);
        if (newPeriod[c]) {
          rowPtr[r] = e;
          rowUser[r] = u;
          rowScale[r] = s;
          rowPeriod[r] = cP[c];
        }
        cols[e] = cK[c];
        vals[e] = (float)cS[c];
        entryUser[e] = u;
      }));
    }
  }
  LURM_CK(from_host(ex, rowPtr + R, &res->nnz, sizeof(long long)));
  {
    long long *userRowPtr = res->userRowPtr.p;
    LURM_CK(each(ex, (long long)numUsers + 1, [=] __host__ __device__(long long u) {
      userRowPtr[u] = u < numUsers ? rowStart[u * S] : R;
    }));
  }
  outs.clear();

  // Document frequencies: distinct (user, interest) pairs, counted per interest.
  LURM_CK(res->df.zero(ex));
  if (NNZ > 0) {
    int uBits = bits_for((unsigned long long)numUsers);
    if (uBits + kBits > 64) { *status = STATUS_KEY_RANGE; return 0; }
    Arr<unsigned long long> key;
    Arr<long long> dummy;
    LURM_CK(key.alloc(ex, NNZ));
    LURM_CK(dummy.alloc(ex, NNZ));
    unsigned long long *k = key.p;
    long long *dm = dummy.p;
    LURM_CK(each(ex, NNZ, [=] __host__ __device__(long long e) {
      k[e] = ((unsigned long long)(unsigned)entryUser[e] << kBits) | (unsigned)cols[e];
      dm[e] = e;
    }));
    LURM_CK(stable_sort(ex, tmp, key, dummy, NNZ, uBits + kBits));
    const unsigned long long *sk = key.p, kMask = (1ULL << kBits) - 1;
    int *df = res->df.p;
    LURM_CK(each(ex, NNZ, [=] __host__ __device__(long long e) {
      if (e == 0 || sk[e] != sk[e - 1]) at_add(&df[sk[e] & kMask], 1);
    }));
  }
  if (!ex.host) LURM_CK(cudaStreamSynchronize(ex.st));
  *result = res;
  guard.r = nullptr;
  return 0;
}

extern "C" int lurm_boi_aggregate(long long n, const int *h_user, const int *h_item, const int *h_type, const float *h_weight,
                                  const long long *h_time, int numUsers, int numItems, const int *h_itemInterest, int K,
                                  const float *h_typeWeights, int numTypeWeights, int numScales, const long long *h_periodSeconds,
                                  const int *h_tMax, long long origin, int lenient, lurm_stream_t stream, void **result, int *status) {
  Exec ex{false, (cudaStream_t)stream};
  return aggregate(ex, n, h_user, h_item, h_type, h_weight, h_time, numUsers, numItems, h_itemInterest, K, h_typeWeights, numTypeWeights,
                   numScales, h_periodSeconds, h_tMax, origin, lenient, result, status);
}

extern "C" int lurm_boi_aggregate_host(long long n, const int *h_user, const int *h_item, const int *h_type, const float *h_weight,
                                       const long long *h_time, int numUsers, int numItems, const int *h_itemInterest, int K,
                                       const float *h_typeWeights, int numTypeWeights, int numScales, const long long *h_periodSeconds,
                                       const int *h_tMax, long long origin, int lenient, void **result, int *status) {
  Exec ex{true, nullptr};
  return aggregate(ex, n, h_user, h_item, h_type, h_weight, h_time, numUsers, numItems, h_itemInterest, K, h_typeWeights, numTypeWeights,
                   numScales, h_periodSeconds, h_tMax, origin, lenient, result, status);
}

extern "C" int lurm_boi_result_sizes(void *result, long long *rows, long long *nnz, long long *skipped) {
  LURM_CHECK_ARG(result != nullptr && rows != nullptr && nnz != nullptr && skipped != nullptr);
  lurm_boi_result *r = (lurm_boi_result *)result;
  *rows = r->rows;
  *nnz = r->nnz;
  *skipped = r->skipped;
  return 0;
}

extern "C" int lurm_boi_result_copy(void *result, long long *h_rowPtr, int *h_cols, float *h_vals, int *h_rowUser, int *h_rowScale,
                                    long long *h_rowPeriod, long long *h_userRowPtr, int *h_df) {
  LURM_CHECK_ARG(result != nullptr);
  lurm_boi_result *r = (lurm_boi_result *)result;
  LURM_CHECK_ARG(h_rowPtr && h_userRowPtr && h_df && (r->nnz == 0 || (h_cols && h_vals)) && (r->rows == 0 || (h_rowUser && h_rowScale && h_rowPeriod)));
  Exec ex{r->host, nullptr};
  LURM_CK(to_host(ex, h_rowPtr, r->rowPtr.p, sizeof(long long) * (r->rows + 1)));
  LURM_CK(to_host(ex, h_cols, r->cols.p, sizeof(int) * r->nnz));
  LURM_CK(to_host(ex, h_vals, r->vals.p, sizeof(float) * r->nnz));
  LURM_CK(to_host(ex, h_rowUser, r->rowUser.p, sizeof(int) * r->rows));
  LURM_CK(to_host(ex, h_rowScale, r->rowScale.p, sizeof(int) * r->rows));
  LURM_CK(to_host(ex, h_rowPeriod, r->rowPeriod.p, sizeof(long long) * r->rows));
  LURM_CK(to_host(ex, h_userRowPtr, r->userRowPtr.p, sizeof(long long) * ((long long)r->numUsers + 1)));
  LURM_CK(to_host(ex, h_df, r->df.p, sizeof(int) * r->K));
  return 0;
}

extern "C" int lurm_boi_result_free(void *result) {
  delete (lurm_boi_result *)result;
  return 0;
}
