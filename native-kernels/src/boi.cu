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
// Floor (n events, m kept, D cells, nnz entries, S scales): the inputs are read once (24 B/event:
// user, item, type, weight 4 B each, time 8 B) plus one gather of itemInterest; each scale re-reads the
// kept events' time and sorts m (key, index) pairs (two stable radix passes, ~8 passes of 8-12 B over m);
// the output is 8 B/entry + 24 B/row. So the floor is about 24 n + S * (~100 m) bytes: sort-bound, not
// FLOP-bound (no arithmetic to speak of).
#include <cuda_runtime.h>
#include <cub/cub.cuh>
#include <thrust/iterator/counting_iterator.h>
#include <stdint.h>
#include <new>
#include <vector>
#include "lurm_internal.cuh"
#include "lurm_kernels.h"

namespace {

using lurm::DevArr;
using lurm::blocks_for;

constexpr int HISTORY_FLAG = 1 << 16;  // BoiSet.HISTORY_FLAG
constexpr int TPB = 256;

enum Status : int { STATUS_OK = 0, STATUS_INPUT = 1, STATUS_KEY_RANGE = 2 };

// Pass 1: interest look-up, weight, validity; records the first offending event in *bad.
__global__ void gather_kernel(long long n, const int *user, const int *item, const int *type, const float *weight,
                              const int *itemInterest, int numItems, const float *typeWeights, int numTypeWeights,
                              int numUsers, int K, int lenient, const long long *time, long long origin, int *ek, float *ew,
                              unsigned char *keep, unsigned long long *skipped, unsigned long long *bad) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    int u = user[i], it = item[i], ty = type[i];
    bool ok = u >= 0 && u < numUsers && it >= 0 && it < numItems && ty >= 0;
    int k = ok ? itemInterest[it] : -1;
    keep[i] = 0;
    ek[i] = k;
    ew[i] = 0.f;
    if (!ok) { atomicMin(bad, (unsigned long long)i); continue; }
    if (k < 0) {
      if (lenient) atomicAdd(skipped, 1ULL);
      else atomicMin(bad, (unsigned long long)i);
      continue;
    }
    if (k >= K) { atomicMin(bad, (unsigned long long)i); continue; }
    // The CPU checks t - origin for every event with an interest, zero-weight ones included.
    long long t = time[i], d = (long long)((unsigned long long)t - (unsigned long long)origin);
    if (((t ^ origin) & (t ^ d)) < 0) { atomicMin(bad, (unsigned long long)i); continue; }
    float tw = ty < numTypeWeights ? typeWeights[ty] : 1.f;
    float w = __fmul_rn(weight[i], tw);
    ew[i] = w;
    keep[i] = w != 0.f;
  }
}

__device__ __forceinline__ long long floor_div(long long a, long long b) {
  long long q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
  return q;
}

// Period of every kept event (j indexes the kept list sel); overflow of t - origin flags the event.
__global__ void period_kernel(long long m, const long long *sel, const long long *time, long long origin, long long len,
                              long long *per, unsigned long long *bad) {
  for (long long j = blockIdx.x * (long long)blockDim.x + threadIdx.x; j < m; j += (long long)gridDim.x * blockDim.x) {
    long long i = sel[j];
    long long t = time[i];
    long long d = (long long)((unsigned long long)t - (unsigned long long)origin);
    if (((t ^ origin) & (t ^ d)) < 0) { atomicMin(bad, (unsigned long long)i); per[j] = 0; continue; }
    per[j] = floor_div(d, len);
  }
}

__global__ void key1_kernel(long long m, const long long *sel, const long long *per, long long pMin, int kBits, const int *ek,
                            unsigned long long *key, long long *idx) {
  for (long long j = blockIdx.x * (long long)blockDim.x + threadIdx.x; j < m; j += (long long)gridDim.x * blockDim.x) {
    key[j] = ((unsigned long long)(per[j] - pMin) << kBits) | (unsigned long long)ek[sel[j]];
    idx[j] = j;
  }
}

__global__ void key2_kernel(long long m, const long long *sel, const long long *order, const int *user, unsigned int *key) {
  for (long long x = blockIdx.x * (long long)blockDim.x + threadIdx.x; x < m; x += (long long)gridDim.x * blockDim.x)
    key[x] = (unsigned int)user[sel[order[x]]];
}

// Cell boundaries in the (user, period, interest)-sorted order.
__global__ void cell_flag_kernel(long long m, const long long *sel, const long long *order, const int *user, const long long *per,
                                 const int *ek, int *cellStart) {
  for (long long x = blockIdx.x * (long long)blockDim.x + threadIdx.x; x < m; x += (long long)gridDim.x * blockDim.x) {
    long long j = order[x];
    int f = 1;
    if (x > 0) {
      long long jp = order[x - 1];
      f = user[sel[j]] != user[sel[jp]] || per[j] != per[jp] || ek[sel[j]] != ek[sel[jp]];
    }
    cellStart[x] = f;
  }
}

// One thread per cell: the double sum of its weights in event order, and the cell's coordinates.
__global__ void cell_sum_kernel(long long D, long long m, const long long *cellOff, const long long *sel, const long long *order,
                                const int *user, const long long *per, const int *ek, const float *ew, int *cU, long long *cP,
                                int *cK, double *cS) {
  for (long long c = blockIdx.x * (long long)blockDim.x + threadIdx.x; c < D; c += (long long)gridDim.x * blockDim.x) {
    long long a = cellOff[c], b = c + 1 < D ? cellOff[c + 1] : m;
    double s = 0.0;
    for (long long x = a; x < b; x++) s += (double)ew[sel[order[x]]];
    long long j = order[a];
    cU[c] = user[sel[j]];
    cP[c] = per[j];
    cK[c] = ek[sel[j]];
    cS[c] = s;
  }
}

__global__ void period_flag_kernel(long long D, const int *cU, const long long *cP, int *newPeriod) {
  for (long long c = blockIdx.x * (long long)blockDim.x + threadIdx.x; c < D; c += (long long)gridDim.x * blockDim.x)
    newPeriod[c] = c == 0 || cU[c] != cU[c - 1] || cP[c] != cP[c - 1];
}

// Per user: first cell, first and last period id (periodId = inclusive scan of newPeriod, so the cells of one
// (user, period) share it and a user's periods are firstPeriod .. lastPeriod).
__global__ void user_span_kernel(long long D, const int *cU, const int *periodId, long long *userFirstCell, int *userFirstPeriod,
                                 int *userPeriods) {
  for (long long c = blockIdx.x * (long long)blockDim.x + threadIdx.x; c < D; c += (long long)gridDim.x * blockDim.x) {
    int u = cU[c];
    if (c == 0 || cU[c - 1] != u) {
      userFirstCell[u] = c;
      userFirstPeriod[u] = periodId[c];
    }
    if (c == D - 1 || cU[c + 1] != u) userPeriods[u] = periodId[c] + 1;  // made relative in user_fold_kernel
  }
}

__global__ void user_fold_kernel(int numUsers, const int *userFirstPeriod, int *userPeriods, int tMax, int *fold) {
  for (int u = blockIdx.x * blockDim.x + threadIdx.x; u < numUsers; u += gridDim.x * blockDim.x) {
    int P = userPeriods[u] > 0 ? userPeriods[u] - userFirstPeriod[u] : 0;
    userPeriods[u] = P;
    fold[u] = P > tMax ? P - tMax : 0;
  }
}

// Folded flag per cell, the newest folded period per user, and per-user counts of folded / kept cells.
__global__ void cell_fold_kernel(long long D, const int *cU, const long long *cP, const int *periodId, const int *userFirstPeriod,
                                 const int *fold, unsigned char *folded, long long *histPeriod, int *keptCells) {
  for (long long c = blockIdx.x * (long long)blockDim.x + threadIdx.x; c < D; c += (long long)gridDim.x * blockDim.x) {
    int u = cU[c];
    int rank = periodId[c] - userFirstPeriod[u];
    bool f = rank < fold[u];
    folded[c] = f;
    if (f) {
      if (rank == fold[u] - 1) histPeriod[u] = cP[c];
    } else {
      atomicAdd(&keptCells[u], 1);
    }
  }
}

__global__ void hist_key_kernel(long long F, const long long *fc, const int *cK, const int *cU, int which, unsigned int *key) {
  for (long long x = blockIdx.x * (long long)blockDim.x + threadIdx.x; x < F; x += (long long)gridDim.x * blockDim.x)
    key[x] = (unsigned int)(which == 0 ? cK[fc[x]] : cU[fc[x]]);
}

__global__ void hist_flag_kernel(long long F, const long long *fc, const int *cU, const int *cK, int *start) {
  for (long long x = blockIdx.x * (long long)blockDim.x + threadIdx.x; x < F; x += (long long)gridDim.x * blockDim.x)
    start[x] = x == 0 || cU[fc[x]] != cU[fc[x - 1]] || cK[fc[x]] != cK[fc[x - 1]];
}

// One thread per (user, interest) of the history: the cell sums in period order.
__global__ void hist_sum_kernel(long long H, long long F, const long long *hOff, const long long *fc, const int *cU, const int *cK,
                                const double *cS, int *hU, int *hK, double *hS, int *histCount) {
  for (long long h = blockIdx.x * (long long)blockDim.x + threadIdx.x; h < H; h += (long long)gridDim.x * blockDim.x) {
    long long a = hOff[h], b = h + 1 < H ? hOff[h + 1] : F;
    double s = 0.0;
    for (long long x = a; x < b; x++) s += cS[fc[x]];
    int u = cU[fc[a]];
    hU[h] = u;
    hK[h] = cK[fc[a]];
    hS[h] = s;
    atomicAdd(&histCount[u], 1);
  }
}

// Rows and entries of user u at scale s, into the flattened (user, scale) count arrays.
__global__ void counts_kernel(int numUsers, int S, int s, const int *userPeriods, const int *fold, const int *histCount,
                              const int *keptCells, long long *rowCount, long long *nnzCount) {
  for (int u = blockIdx.x * blockDim.x + threadIdx.x; u < numUsers; u += gridDim.x * blockDim.x) {
    long long q = (long long)u * S + s;
    rowCount[q] = (fold[u] > 0 ? 1 : 0) + (userPeriods[u] - fold[u]);
    nnzCount[q] = histCount[u] + keptCells[u];
  }
}

__global__ void scatter_hist_rows_kernel(int numUsers, int S, int s, const int *fold, const long long *histPeriod,
                                         const long long *rowStart, const long long *nnzStart, long long *rowPtr, int *rowUser,
                                         int *rowScale, long long *rowPeriod) {
  for (int u = blockIdx.x * blockDim.x + threadIdx.x; u < numUsers; u += gridDim.x * blockDim.x) {
    if (fold[u] == 0) continue;
    long long q = (long long)u * S + s, r = rowStart[q];
    rowPtr[r] = nnzStart[q];
    rowUser[r] = u;
    rowScale[r] = s | HISTORY_FLAG;
    rowPeriod[r] = histPeriod[u];
  }
}

__global__ void scatter_hist_entries_kernel(long long H, int S, int s, const int *hU, const int *hK, const double *hS,
                                            const long long *histFirst, const long long *nnzStart, int *cols, float *vals, int *entryUser) {
  for (long long h = blockIdx.x * (long long)blockDim.x + threadIdx.x; h < H; h += (long long)gridDim.x * blockDim.x) {
    int u = hU[h];
    long long e = nnzStart[(long long)u * S + s] + (h - histFirst[u]);
    cols[e] = hK[h];
    vals[e] = (float)hS[h];
    entryUser[e] = u;
  }
}

// Kept cells: folded cells are a prefix of each user's cells, so a kept cell's rank among the user's kept
// entries is c - firstKept[u]; its row is the rank of its period among the kept periods.
__global__ void scatter_cells_kernel(long long D, int S, int s, const int *cU, const long long *cP, const int *cK, const double *cS,
                                     const unsigned char *folded, const int *newPeriod, const int *periodId, const int *userFirstPeriod,
                                     const int *fold, const long long *firstKept, const int *histCount, const long long *rowStart,
                                     const long long *nnzStart, long long *rowPtr, int *rowUser, int *rowScale, long long *rowPeriod,
                                     int *cols, float *vals, int *entryUser) {
  for (long long c = blockIdx.x * (long long)blockDim.x + threadIdx.x; c < D; c += (long long)gridDim.x * blockDim.x) {
    if (folded[c]) continue;
    int u = cU[c];
    long long q = (long long)u * S + s;
    int f = fold[u];
    long long e = nnzStart[q] + histCount[u] + (c - firstKept[u]);
    long long r = rowStart[q] + (f > 0 ? 1 : 0) + (periodId[c] - userFirstPeriod[u] - f);
    if (newPeriod[c]) {  // first cell of a kept period
      rowPtr[r] = e;
      rowUser[r] = u;
      rowScale[r] = s;
      rowPeriod[r] = cP[c];
    }
    cols[e] = cK[c];
    vals[e] = (float)cS[c];
    entryUser[e] = u;
  }
}

__global__ void widen_kernel(int n, const int *in, long long *out) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) out[i] = in[i];
}

// userFirstCell[u] := first kept cell of u (the cell where the kept periods start), for scatter_cells_kernel.
__global__ void first_kept_kernel(long long D, const int *cU, const unsigned char *folded, long long *userFirstCell) {
  for (long long c = blockIdx.x * (long long)blockDim.x + threadIdx.x; c < D; c += (long long)gridDim.x * blockDim.x) {
    if (folded[c]) continue;
    if (c == 0 || cU[c - 1] != cU[c] || folded[c - 1]) userFirstCell[cU[c]] = c;
  }
}

__global__ void user_row_ptr_kernel(int numUsers, int S, const long long *rowStart, long long totalRows, long long *userRowPtr) {
  for (int u = blockIdx.x * blockDim.x + threadIdx.x; u <= numUsers; u += gridDim.x * blockDim.x)
    userRowPtr[u] = u < numUsers ? rowStart[(long long)u * S] : totalRows;
}

__global__ void df_key_kernel(long long nnz, const int *entryUser, const int *cols, int kBits, unsigned long long *key) {
  for (long long e = blockIdx.x * (long long)blockDim.x + threadIdx.x; e < nnz; e += (long long)gridDim.x * blockDim.x)
    key[e] = ((unsigned long long)(unsigned)entryUser[e] << kBits) | (unsigned)cols[e];
}

__global__ void df_count_kernel(long long nnz, const unsigned long long *key, unsigned long long kMask, int *df) {
  for (long long e = blockIdx.x * (long long)blockDim.x + threadIdx.x; e < nnz; e += (long long)gridDim.x * blockDim.x)
    if (e == 0 || key[e] != key[e - 1]) atomicAdd(&df[key[e] & kMask], 1);
}


int bits_for(unsigned long long v) {  // bits needed to hold values 0..v
  int b = 0;
  while (b < 64 && (v >> b) != 0) b++;
  return b;
}

// Scratch for cub: grows as needed.
struct Temp {
  DevArr<unsigned char> buf;
  cudaError_t need(size_t bytes) { return bytes <= buf.n ? cudaSuccess : buf.alloc(bytes); }
};

template <typename K, typename V>
cudaError_t stable_sort(Temp &tmp, DevArr<K> &keys, DevArr<V> &vals, long long n, int endBit, cudaStream_t st) {
  if (n <= 1) return cudaSuccess;
  DevArr<K> k2;
  DevArr<V> v2;
  cudaError_t e;
  if ((e = k2.alloc(n)) != cudaSuccess) return e;
  if ((e = v2.alloc(n)) != cudaSuccess) return e;
  if (endBit < 1) endBit = 1;
  size_t bytes = 0;
  if ((e = cub::DeviceRadixSort::SortPairs(nullptr, bytes, keys.p, k2.p, vals.p, v2.p, n, 0, endBit, st)) != cudaSuccess) return e;
  if ((e = tmp.need(bytes)) != cudaSuccess) return e;
  if ((e = cub::DeviceRadixSort::SortPairs(tmp.buf.p, bytes, keys.p, k2.p, vals.p, v2.p, n, 0, endBit, st)) != cudaSuccess) return e;
  keys = std::move(k2);
  vals = std::move(v2);
  return cudaSuccess;
}

template <typename T>
cudaError_t exclusive_sum(Temp &tmp, const T *in, T *out, long long n, cudaStream_t st) {
  if (n == 0) return cudaSuccess;
  size_t bytes = 0;
  cudaError_t e = cub::DeviceScan::ExclusiveSum(nullptr, bytes, in, out, n, st);
  if (e != cudaSuccess) return e;
  if ((e = tmp.need(bytes)) != cudaSuccess) return e;
  return cub::DeviceScan::ExclusiveSum(tmp.buf.p, bytes, in, out, n, st);
}

template <typename T>
cudaError_t inclusive_sum(Temp &tmp, const T *in, T *out, long long n, cudaStream_t st) {
  if (n == 0) return cudaSuccess;
  size_t bytes = 0;
  cudaError_t e = cub::DeviceScan::InclusiveSum(nullptr, bytes, in, out, n, st);
  if (e != cudaSuccess) return e;
  if ((e = tmp.need(bytes)) != cudaSuccess) return e;
  return cub::DeviceScan::InclusiveSum(tmp.buf.p, bytes, in, out, n, st);
}

// Positions x in [0, n) where flag[x] != 0, ascending, into out; count into *count (host).
template <typename F>
cudaError_t select_positions(Temp &tmp, const F *flag, long long n, DevArr<long long> &out, long long *count, cudaStream_t st) {
  cudaError_t e;
  *count = 0;
  if (n == 0) return out.alloc(0);
  if ((e = out.alloc(n)) != cudaSuccess) return e;
  DevArr<long long> num;
  if ((e = num.alloc(1)) != cudaSuccess) return e;
  thrust::counting_iterator<long long> it(0);
  size_t bytes = 0;
  if ((e = cub::DeviceSelect::Flagged(nullptr, bytes, it, flag, out.p, num.p, n, st)) != cudaSuccess) return e;
  if ((e = tmp.need(bytes)) != cudaSuccess) return e;
  if ((e = cub::DeviceSelect::Flagged(tmp.buf.p, bytes, it, flag, out.p, num.p, n, st)) != cudaSuccess) return e;
  if ((e = cudaMemcpyAsync(count, num.p, sizeof(long long), cudaMemcpyDeviceToHost, st)) != cudaSuccess) return e;
  return cudaStreamSynchronize(st);
}

template <typename T>
cudaError_t get1(T *h, const T *d, cudaStream_t st) {
  cudaError_t e = cudaMemcpyAsync(h, d, sizeof(T), cudaMemcpyDeviceToHost, st);
  if (e != cudaSuccess) return e;
  return cudaStreamSynchronize(st);
}

// Everything one scale produced, kept until the final assembly.
struct ScaleOut {
  long long D = 0, H = 0;
  DevArr<int> cU, cK, newPeriod, periodId, hU, hK, userFirstPeriod, userPeriods, fold, histCount, keptCells;
  DevArr<long long> cP, userFirstCell, histPeriod, histFirst;
  DevArr<double> cS, hS;
  DevArr<unsigned char> folded;
};

}  // namespace

struct lurm_boi_result {
  long long rows = 0, nnz = 0, skipped = 0;
  int numUsers = 0, K = 0;
  DevArr<long long> rowPtr, rowPeriod, userRowPtr;
  DevArr<int> cols, rowUser, rowScale, df;
  DevArr<float> vals;
};

static int aggregate_scale(Temp &tmp, cudaStream_t st, long long m, int numUsers, int kBits, const DevArr<long long> &sel,
                           const DevArr<int> &user, const DevArr<int> &ek, const DevArr<float> &ew, const DevArr<long long> &time,
                           long long origin, long long len, int tMax, DevArr<unsigned long long> &bad, ScaleOut &so, int *status) {
  unsigned gm = blocks_for(m, TPB);
  LURM_CK(so.userFirstPeriod.alloc(numUsers));
  LURM_CK(so.userPeriods.alloc(numUsers));
  LURM_CK(so.fold.alloc(numUsers));
  LURM_CK(so.histCount.alloc(numUsers));
  LURM_CK(so.keptCells.alloc(numUsers));
  LURM_CK(so.userFirstCell.alloc(numUsers));
  LURM_CK(so.histPeriod.alloc(numUsers));
  LURM_CK(so.histFirst.alloc(numUsers));
  LURM_CK(so.userFirstPeriod.zero(st));
  LURM_CK(so.userPeriods.zero(st));
  LURM_CK(so.fold.zero(st));
  LURM_CK(so.histCount.zero(st));
  LURM_CK(so.keptCells.zero(st));
  LURM_CK(so.userFirstCell.zero(st));
  LURM_CK(so.histPeriod.zero(st));
  LURM_CK(so.histFirst.zero(st));
  if (m == 0) return 0;

  DevArr<long long> per;
  LURM_CK(per.alloc(m));
  period_kernel<<<gm, TPB, 0, st>>>(m, sel.p, time.p, origin, len, per.p, bad.p);
  LURM_LAUNCHED();
  unsigned long long firstBad = ~0ULL;
  LURM_CK(get1(&firstBad, bad.p, st));
  if (firstBad != ~0ULL) { *status = STATUS_INPUT; return 0; }

  // Period range of this scale, for the packed key.
  DevArr<long long> mm;
  LURM_CK(mm.alloc(2));
  size_t bytes = 0;
  LURM_CK(cub::DeviceReduce::Min(nullptr, bytes, per.p, mm.p, m, st));
  LURM_CK(tmp.need(bytes));
  LURM_CK(cub::DeviceReduce::Min(tmp.buf.p, bytes, per.p, mm.p, m, st));
  bytes = 0;
  LURM_CK(cub::DeviceReduce::Max(nullptr, bytes, per.p, mm.p + 1, m, st));
  LURM_CK(tmp.need(bytes));
  LURM_CK(cub::DeviceReduce::Max(tmp.buf.p, bytes, per.p, mm.p + 1, m, st));
  long long hmm[2];
  LURM_CK(cudaMemcpyAsync(hmm, mm.p, sizeof(hmm), cudaMemcpyDeviceToHost, st));
  LURM_CK(cudaStreamSynchronize(st));
  unsigned long long span = (unsigned long long)hmm[1] - (unsigned long long)hmm[0];
  int pBits = bits_for(span);
  if (hmm[1] < hmm[0] || pBits + kBits > 63) { *status = STATUS_KEY_RANGE; return 0; }

  // Stable sort by (period, interest), then stable by user: (user, period, interest, event order).
  DevArr<unsigned long long> key1;
  DevArr<long long> order;
  LURM_CK(key1.alloc(m));
  LURM_CK(order.alloc(m));
  key1_kernel<<<gm, TPB, 0, st>>>(m, sel.p, per.p, hmm[0], kBits, ek.p, key1.p, order.p);
  LURM_LAUNCHED();
  LURM_CK(stable_sort(tmp, key1, order, m, pBits + kBits, st));
  key1.reset();
  DevArr<unsigned int> key2;
  LURM_CK(key2.alloc(m));
  key2_kernel<<<gm, TPB, 0, st>>>(m, sel.p, order.p, user.p, key2.p);
  LURM_LAUNCHED();
  LURM_CK(stable_sort(tmp, key2, order, m, bits_for((unsigned long long)numUsers), st));
  key2.reset();

  // Cells.
  DevArr<int> cellStart;
  LURM_CK(cellStart.alloc(m));
  cell_flag_kernel<<<gm, TPB, 0, st>>>(m, sel.p, order.p, user.p, per.p, ek.p, cellStart.p);
  LURM_LAUNCHED();
  DevArr<long long> cellOff;
  long long D = 0;
  LURM_CK(select_positions(tmp, cellStart.p, m, cellOff, &D, st));
  cellStart.reset();
  so.D = D;
  LURM_CK(so.cU.alloc(D));
  LURM_CK(so.cP.alloc(D));
  LURM_CK(so.cK.alloc(D));
  LURM_CK(so.cS.alloc(D));
  unsigned gd = blocks_for(D, TPB);
  cell_sum_kernel<<<gd, TPB, 0, st>>>(D, m, cellOff.p, sel.p, order.p, user.p, per.p, ek.p, ew.p, so.cU.p, so.cP.p, so.cK.p, so.cS.p);
  LURM_LAUNCHED();
  cellOff.reset();
  order.reset();
  per.reset();

  // Periods per user and the fold.
  LURM_CK(so.newPeriod.alloc(D));
  LURM_CK(so.periodId.alloc(D));
  period_flag_kernel<<<gd, TPB, 0, st>>>(D, so.cU.p, so.cP.p, so.newPeriod.p);
  LURM_LAUNCHED();
  // periodId: 1-based running count of periods (inclusive scan), equal for all cells of one (user, period).
  LURM_CK(inclusive_sum(tmp, so.newPeriod.p, so.periodId.p, D, st));
  user_span_kernel<<<gd, TPB, 0, st>>>(D, so.cU.p, so.periodId.p, so.userFirstCell.p, so.userFirstPeriod.p, so.userPeriods.p);
  LURM_LAUNCHED();
  unsigned gu = blocks_for(numUsers, TPB);
  user_fold_kernel<<<gu, TPB, 0, st>>>(numUsers, so.userFirstPeriod.p, so.userPeriods.p, tMax, so.fold.p);
  LURM_LAUNCHED();
  LURM_CK(so.folded.alloc(D));
  cell_fold_kernel<<<gd, TPB, 0, st>>>(D, so.cU.p, so.cP.p, so.periodId.p, so.userFirstPeriod.p, so.fold.p, so.folded.p,
                                       so.histPeriod.p, so.keptCells.p);
  LURM_LAUNCHED();
  first_kept_kernel<<<gd, TPB, 0, st>>>(D, so.cU.p, so.folded.p, so.userFirstCell.p);
  LURM_LAUNCHED();

  // History: folded cells regrouped by (user, interest), period order kept by the stable sorts.
  DevArr<long long> fc;
  long long F = 0;
  LURM_CK(select_positions(tmp, so.folded.p, D, fc, &F, st));
  if (F > 0) {
    unsigned gf = blocks_for(F, TPB);
    DevArr<unsigned int> hk;
    LURM_CK(hk.alloc(F));
    hist_key_kernel<<<gf, TPB, 0, st>>>(F, fc.p, so.cK.p, so.cU.p, 0, hk.p);
    LURM_LAUNCHED();
    LURM_CK(stable_sort(tmp, hk, fc, F, kBits, st));
    LURM_CK(hk.alloc(F));
    hist_key_kernel<<<gf, TPB, 0, st>>>(F, fc.p, so.cK.p, so.cU.p, 1, hk.p);
    LURM_LAUNCHED();
    LURM_CK(stable_sort(tmp, hk, fc, F, bits_for((unsigned long long)numUsers), st));
    hk.reset();
    DevArr<int> hStart;
    LURM_CK(hStart.alloc(F));
    hist_flag_kernel<<<gf, TPB, 0, st>>>(F, fc.p, so.cU.p, so.cK.p, hStart.p);
    LURM_LAUNCHED();
    DevArr<long long> hOff;
    long long H = 0;
    LURM_CK(select_positions(tmp, hStart.p, F, hOff, &H, st));
    so.H = H;
    LURM_CK(so.hU.alloc(H));
    LURM_CK(so.hK.alloc(H));
    LURM_CK(so.hS.alloc(H));
    hist_sum_kernel<<<blocks_for(H, TPB), TPB, 0, st>>>(H, F, hOff.p, fc.p, so.cU.p, so.cK.p, so.cS.p, so.hU.p, so.hK.p, so.hS.p,
                                                       so.histCount.p);
    LURM_LAUNCHED();
    // histFirst[u]: index of u's first history entry (entries are sorted by user).
    DevArr<long long> wide;
    LURM_CK(wide.alloc(numUsers));
    widen_kernel<<<gu, TPB, 0, st>>>(numUsers, so.histCount.p, wide.p);
    LURM_LAUNCHED();
    LURM_CK(exclusive_sum(tmp, wide.p, so.histFirst.p, numUsers, st));
  }
  return 0;
}

extern "C" int lurm_boi_aggregate(long long n, const int *h_user, const int *h_item, const int *h_type, const float *h_weight,
                                  const long long *h_time, int numUsers, int numItems, const int *h_itemInterest, int K,
                                  const float *h_typeWeights, int numTypeWeights, int numScales, const long long *h_periodSeconds,
                                  const int *h_tMax, long long origin, int lenient, lurm_stream_t stream, void **result, int *status) {
  LURM_CHECK_ARG(result != nullptr && status != nullptr);
  *result = nullptr;
  *status = STATUS_OK;
  LURM_CHECK_ARG(n >= 0 && numUsers >= 0 && numItems >= 0 && K >= 1 && numTypeWeights >= 0 && numScales >= 1 && numScales < 128);
  LURM_CHECK_ARG(n == 0 || (h_user && h_item && h_type && h_weight && h_time));
  LURM_CHECK_ARG((numItems == 0 || h_itemInterest) && (numTypeWeights == 0 || h_typeWeights) && h_periodSeconds && h_tMax);
  for (int s = 0; s < numScales; s++) LURM_CHECK_ARG(h_periodSeconds[s] > 0 && h_tMax[s] >= 1);
  cudaStream_t st = (cudaStream_t)stream;
  int kBits = bits_for((unsigned long long)(K - 1));
  if (kBits < 1) kBits = 1;
  const int S = numScales;
  Temp tmp;

  DevArr<int> user, item, type, itemInterest, ek;
  DevArr<float> weight, typeWeights, ew;
  DevArr<long long> time;
  LURM_CK(user.upload(h_user, n, st));
  LURM_CK(item.upload(h_item, n, st));
  LURM_CK(type.upload(h_type, n, st));
  LURM_CK(weight.upload(h_weight, n, st));
  LURM_CK(time.upload(h_time, n, st));
  LURM_CK(itemInterest.upload(h_itemInterest, numItems, st));
  LURM_CK(typeWeights.upload(h_typeWeights, numTypeWeights, st));
  LURM_CK(ek.alloc(n));
  LURM_CK(ew.alloc(n));
  DevArr<unsigned char> keep;
  LURM_CK(keep.alloc(n));
  DevArr<unsigned long long> counters, bad;  // skipped; first bad event
  LURM_CK(counters.alloc(1));
  LURM_CK(counters.zero(st));
  LURM_CK(bad.alloc(1));
  LURM_CK(cudaMemsetAsync(bad.p, 0xff, sizeof(unsigned long long), st));
  if (n > 0) {
    gather_kernel<<<blocks_for(n, TPB), TPB, 0, st>>>(n, user.p, item.p, type.p, weight.p, itemInterest.p, numItems, typeWeights.p,
                                                      numTypeWeights, numUsers, K, lenient, time.p, origin, ek.p, ew.p, keep.p,
                                                      counters.p, bad.p);
    LURM_LAUNCHED();
  }
  unsigned long long firstBad = 0, skipped = 0;
  LURM_CK(get1(&firstBad, bad.p, st));
  LURM_CK(get1(&skipped, counters.p, st));
  if (firstBad != ~0ULL) { *status = STATUS_INPUT; return 0; }
  item.reset();
  type.reset();
  weight.reset();
  itemInterest.reset();

  DevArr<long long> sel;  // kept events, in table order
  long long m = 0;
  LURM_CK(select_positions(tmp, keep.p, n, sel, &m, st));
  keep.reset();

  std::vector<ScaleOut> outs((size_t)S);
  for (int s = 0; s < S; s++) {
    LURM_CK(aggregate_scale(tmp, st, m, numUsers, kBits, sel, user, ek, ew, time, origin, h_periodSeconds[s], h_tMax[s], bad, outs[s], status));
    if (*status != STATUS_OK) return 0;
  }
  sel.reset();
  time.reset();

  // Row and entry offsets of every (user, scale), user-major.
  long long US = (long long)numUsers * S;
  DevArr<long long> rowCount, nnzCount, rowStart, nnzStart;
  LURM_CK(rowCount.alloc(US + 1));
  LURM_CK(nnzCount.alloc(US + 1));
  LURM_CK(rowStart.alloc(US + 1));
  LURM_CK(nnzStart.alloc(US + 1));
  LURM_CK(rowCount.zero(st));
  LURM_CK(nnzCount.zero(st));
  unsigned gu = blocks_for(numUsers, TPB);
  for (int s = 0; s < S; s++) {
    if (numUsers == 0) break;
    counts_kernel<<<gu, TPB, 0, st>>>(numUsers, S, s, outs[s].userPeriods.p, outs[s].fold.p, outs[s].histCount.p, outs[s].keptCells.p,
                                      rowCount.p, nnzCount.p);
    LURM_LAUNCHED();
  }
  LURM_CK(exclusive_sum(tmp, rowCount.p, rowStart.p, US + 1, st));
  LURM_CK(exclusive_sum(tmp, nnzCount.p, nnzStart.p, US + 1, st));
  rowCount.reset();
  nnzCount.reset();
  lurm_boi_result *res = new (std::nothrow) lurm_boi_result();
  if (res == nullptr) return (int)cudaErrorMemoryAllocation;
  struct Guard {
    lurm_boi_result *r;
    ~Guard() { delete r; }
  } guard{res};
  LURM_CK(get1(&res->rows, rowStart.p + US, st));
  LURM_CK(get1(&res->nnz, nnzStart.p + US, st));
  res->skipped = (long long)skipped;
  res->numUsers = numUsers;
  res->K = K;
  const long long R = res->rows, NNZ = res->nnz;
  LURM_CK(res->rowPtr.alloc(R + 1));
  LURM_CK(res->rowPeriod.alloc(R));
  LURM_CK(res->userRowPtr.alloc((long long)numUsers + 1));
  LURM_CK(res->cols.alloc(NNZ));
  LURM_CK(res->vals.alloc(NNZ));
  LURM_CK(res->rowUser.alloc(R));
  LURM_CK(res->rowScale.alloc(R));
  LURM_CK(res->df.alloc(K));
  DevArr<int> entryUser;
  LURM_CK(entryUser.alloc(NNZ));
  for (int s = 0; s < S; s++) {
    ScaleOut &so = outs[s];
    if (numUsers > 0) {
      scatter_hist_rows_kernel<<<gu, TPB, 0, st>>>(numUsers, S, s, so.fold.p, so.histPeriod.p, rowStart.p, nnzStart.p, res->rowPtr.p,
                                                   res->rowUser.p, res->rowScale.p, res->rowPeriod.p);
      LURM_LAUNCHED();
    }
    if (so.H > 0) {
      scatter_hist_entries_kernel<<<blocks_for(so.H, TPB), TPB, 0, st>>>(so.H, S, s, so.hU.p, so.hK.p, so.hS.p, so.histFirst.p, nnzStart.p,
                                                                          res->cols.p, res->vals.p, entryUser.p);
      LURM_LAUNCHED();
    }
    if (so.D > 0) {
      scatter_cells_kernel<<<blocks_for(so.D, TPB), TPB, 0, st>>>(so.D, S, s, so.cU.p, so.cP.p, so.cK.p, so.cS.p, so.folded.p, so.newPeriod.p,
                                                                   so.periodId.p, so.userFirstPeriod.p, so.fold.p, so.userFirstCell.p,
                                                                   so.histCount.p, rowStart.p, nnzStart.p, res->rowPtr.p, res->rowUser.p,
                                                                   res->rowScale.p, res->rowPeriod.p, res->cols.p, res->vals.p, entryUser.p);
      LURM_LAUNCHED();
    }
  }
  LURM_CK(cudaMemcpyAsync(res->rowPtr.p + R, &res->nnz, sizeof(long long), cudaMemcpyHostToDevice, st));
  user_row_ptr_kernel<<<blocks_for((long long)numUsers + 1, TPB), TPB, 0, st>>>(numUsers, S, rowStart.p, R, res->userRowPtr.p);
  LURM_LAUNCHED();
  for (int s = 0; s < S; s++) outs[s] = ScaleOut();

  // Document frequencies: distinct (user, interest) pairs counted per interest.
  LURM_CK(res->df.zero(st));
  if (NNZ > 0) {
    int uBits = bits_for((unsigned long long)numUsers);
    if (uBits + kBits > 64) { *status = STATUS_KEY_RANGE; return 0; }
    DevArr<unsigned long long> key, sorted;
    LURM_CK(key.alloc(NNZ));
    LURM_CK(sorted.alloc(NNZ));
    df_key_kernel<<<blocks_for(NNZ, TPB), TPB, 0, st>>>(NNZ, entryUser.p, res->cols.p, kBits, key.p);
    LURM_LAUNCHED();
    size_t bytes = 0;
    LURM_CK(cub::DeviceRadixSort::SortKeys(nullptr, bytes, key.p, sorted.p, NNZ, 0, uBits + kBits, st));
    LURM_CK(tmp.need(bytes));
    LURM_CK(cub::DeviceRadixSort::SortKeys(tmp.buf.p, bytes, key.p, sorted.p, NNZ, 0, uBits + kBits, st));
    df_count_kernel<<<blocks_for(NNZ, TPB), TPB, 0, st>>>(NNZ, sorted.p, (1ULL << kBits) - 1, res->df.p);
    LURM_LAUNCHED();
  }
  LURM_CK(cudaStreamSynchronize(st));
  *result = res;
  guard.r = nullptr;
  return 0;
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
  LURM_CK(cudaMemcpy(h_rowPtr, r->rowPtr.p, sizeof(long long) * (r->rows + 1), cudaMemcpyDeviceToHost));
  if (r->nnz > 0) {
    LURM_CK(cudaMemcpy(h_cols, r->cols.p, sizeof(int) * r->nnz, cudaMemcpyDeviceToHost));
    LURM_CK(cudaMemcpy(h_vals, r->vals.p, sizeof(float) * r->nnz, cudaMemcpyDeviceToHost));
  }
  if (r->rows > 0) {
    LURM_CK(cudaMemcpy(h_rowUser, r->rowUser.p, sizeof(int) * r->rows, cudaMemcpyDeviceToHost));
    LURM_CK(cudaMemcpy(h_rowScale, r->rowScale.p, sizeof(int) * r->rows, cudaMemcpyDeviceToHost));
    LURM_CK(cudaMemcpy(h_rowPeriod, r->rowPeriod.p, sizeof(long long) * r->rows, cudaMemcpyDeviceToHost));
  }
  LURM_CK(cudaMemcpy(h_userRowPtr, r->userRowPtr.p, sizeof(long long) * ((long long)r->numUsers + 1), cudaMemcpyDeviceToHost));
  LURM_CK(cudaMemcpy(h_df, r->df.p, sizeof(int) * r->K, cudaMemcpyDeviceToHost));
  return 0;
}

extern "C" int lurm_boi_result_free(void *result) {
  delete (lurm_boi_result *)result;
  return 0;
}
