// Emulated device (emu/include/cuda_runtime.h): the cub device-wide algorithms src/ uses, with cub's two-call
// protocol (a null temp pointer asks for the size; the second call must pass at least that much device memory),
// run as queued work on the stream like a kernel, with the same (stable) results. Keys sort on bits
// [beginBit, endBit) only, as cub's radix sort does.
#pragma once
#include <cuda_runtime.h>
#include <iterator>
#include <numeric>
#include <vector>

namespace cub {
namespace detail {
constexpr size_t TEMP_BYTES = 256;
inline bool sizeQuery(void *tmp, size_t &bytes) {
  if (tmp == nullptr) { bytes = TEMP_BYTES; return true; }
  return false;
}
template <class T>
emu::Range range(const T *p, long long n) { return emu::Range{(const void *)p, (size_t)(n < 0 ? 0 : n) * sizeof(T)}; }
}  // namespace detail

struct DeviceRadixSort {
  template <class K, class V, class N>
  static cudaError_t SortPairs(void *tmp, size_t &bytes, const K *kin, K *kout, const V *vin, V *vout, N n, int beginBit = 0,
                               int endBit = (int)sizeof(K) * 8, cudaStream_t st = nullptr) {
    if (detail::sizeQuery(tmp, bytes)) return cudaSuccess;
    if (bytes < detail::TEMP_BYTES || beginBit < 0 || endBit > (int)sizeof(K) * 8 || beginBit > endBit) return cudaErrorInvalidValue;
    long long m = (long long)n;
    return emu::enqueue(st, [=] {
      using U = std::make_unsigned_t<K>;
      int bits = endBit - beginBit;
      U mask = bits >= (int)sizeof(K) * 8 ? (U)~(U)0 : (U)(((U)1 << bits) - 1);
      std::vector<long long> idx(m);
      std::iota(idx.begin(), idx.end(), 0LL);
      std::stable_sort(idx.begin(), idx.end(), [&](long long a, long long b) {
        return (((U)kin[a] >> beginBit) & mask) < (((U)kin[b] >> beginBit) & mask);
      });
      std::vector<K> ks(m);
      std::vector<V> vs(m);
      for (long long i = 0; i < m; i++) { ks[i] = kin[idx[i]]; vs[i] = vin[idx[i]]; }
      std::copy(ks.begin(), ks.end(), kout);
      std::copy(vs.begin(), vs.end(), vout);
    }, {detail::range((const char *)tmp, (long long)bytes), detail::range(kin, m), detail::range(kout, m), detail::range(vin, m), detail::range(vout, m)});
  }
};

struct DeviceScan {
  template <class In, class Out, class N>
  static cudaError_t InclusiveSum(void *tmp, size_t &bytes, In in, Out out, N n, cudaStream_t st = nullptr) { return sum(tmp, bytes, in, out, (long long)n, st, true); }
  template <class In, class Out, class N>
  static cudaError_t ExclusiveSum(void *tmp, size_t &bytes, In in, Out out, N n, cudaStream_t st = nullptr) { return sum(tmp, bytes, in, out, (long long)n, st, false); }

 private:
  template <class In, class Out>
  static cudaError_t sum(void *tmp, size_t &bytes, In in, Out out, long long n, cudaStream_t st, bool inclusive) {
    if (detail::sizeQuery(tmp, bytes)) return cudaSuccess;
    if (bytes < detail::TEMP_BYTES) return cudaErrorInvalidValue;
    return emu::enqueue(st, [=] {
      using T = std::remove_cv_t<std::remove_reference_t<decltype(in[0])>>;  // cub accumulates in the input type
      T acc = T();
      for (long long i = 0; i < n; i++) {
        T v = in[i];
        if (inclusive) { acc = acc + v; out[i] = acc; } else { out[i] = acc; acc = acc + v; }
      }
    }, {detail::range((const char *)tmp, (long long)bytes), detail::range(in, n), detail::range(out, n)});
  }
};

struct DeviceSelect {
  template <class In, class F, class Out, class Num, class N>
  static cudaError_t Flagged(void *tmp, size_t &bytes, In in, const F *flags, Out *out, Num *numSelected, N n, cudaStream_t st = nullptr) {
    if (detail::sizeQuery(tmp, bytes)) return cudaSuccess;
    if (bytes < detail::TEMP_BYTES) return cudaErrorInvalidValue;
    long long m = (long long)n;
    return emu::enqueue(st, [=] {
      long long c = 0;
      for (long long i = 0; i < m; i++) if (flags[i]) out[c++] = (Out)in[i];
      *numSelected = (Num)c;
    }, {detail::range((const char *)tmp, (long long)bytes), detail::range(flags, m), detail::range(out, m), detail::range(numSelected, 1)});
  }
};

struct DeviceReduce {
  template <class T, class N>
  static cudaError_t Min(void *tmp, size_t &bytes, const T *in, T *out, N n, cudaStream_t st = nullptr) { return reduce(tmp, bytes, in, out, (long long)n, st, true); }
  template <class T, class N>
  static cudaError_t Max(void *tmp, size_t &bytes, const T *in, T *out, N n, cudaStream_t st = nullptr) { return reduce(tmp, bytes, in, out, (long long)n, st, false); }

 private:
  template <class T>
  static cudaError_t reduce(void *tmp, size_t &bytes, const T *in, T *out, long long n, cudaStream_t st, bool isMin) {
    if (detail::sizeQuery(tmp, bytes)) return cudaSuccess;
    if (bytes < detail::TEMP_BYTES) return cudaErrorInvalidValue;
    return emu::enqueue(st, [=] {
      T r = isMin ? std::numeric_limits<T>::max() : std::numeric_limits<T>::lowest();
      for (long long i = 0; i < n; i++) r = isMin ? std::min(r, in[i]) : std::max(r, in[i]);
      *out = r;
    }, {detail::range((const char *)tmp, (long long)bytes), detail::range(in, n), detail::range(out, 1)});
  }
};
}  // namespace cub
