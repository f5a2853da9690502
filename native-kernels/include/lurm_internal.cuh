// Internal helpers shared by the kernel files (not part of the C ABI): RAII device arrays, error
// propagation and launch geometry. Every function that uses CK returns int (a cudaError_t).
#ifndef LURM_INTERNAL_CUH
#define LURM_INTERNAL_CUH

#include <cuda_runtime.h>
#include <stddef.h>

#define LURM_CK(expr)                                  \
  do {                                                 \
    cudaError_t lurm_e_ = (cudaError_t)(expr);         \
    if (lurm_e_ != cudaSuccess) return (int)lurm_e_;   \
  } while (0)

#define LURM_CHECK_ARG(cond)                                  \
  do {                                                        \
    if (!(cond)) return (int)cudaErrorInvalidValue;           \
  } while (0)

// Launch error of the kernel just launched (cudaGetLastError right after <<<>>>).
#define LURM_LAUNCHED() LURM_CK(cudaGetLastError())

namespace lurm {

// Device array freed on scope exit; alloc() with 0 elements keeps a null pointer.
template <typename T>
struct DevArr {
  T *p = nullptr;
  size_t n = 0;
  DevArr() = default;
  DevArr(const DevArr &) = delete;
  DevArr &operator=(const DevArr &) = delete;
  DevArr(DevArr &&o) noexcept : p(o.p), n(o.n) { o.p = nullptr; o.n = 0; }
  DevArr &operator=(DevArr &&o) noexcept {
    if (this != &o) { reset(); p = o.p; n = o.n; o.p = nullptr; o.n = 0; }
    return *this;
  }
  ~DevArr() { reset(); }
  void reset() {
    if (p) cudaFree(p);
    p = nullptr;
    n = 0;
  }
  cudaError_t alloc(size_t count) {
    reset();
    n = count;
    if (count == 0) return cudaSuccess;
    return cudaMalloc((void **)&p, count * sizeof(T));
  }
  cudaError_t zero(cudaStream_t s = 0) { return n ? cudaMemsetAsync(p, 0, n * sizeof(T), s) : cudaSuccess; }
  cudaError_t upload(const T *h, size_t count, cudaStream_t s = 0) {
    cudaError_t e = alloc(count);
    if (e != cudaSuccess || count == 0) return e;
    return cudaMemcpyAsync(p, h, count * sizeof(T), cudaMemcpyHostToDevice, s);
  }
};

inline unsigned blocks_for(long long n, int threads) {
  long long b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  if (b > 2147483647LL) b = 2147483647LL;
  return (unsigned)b;
}

}  // namespace lurm

#endif
