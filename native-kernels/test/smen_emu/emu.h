// Host emulation of the CUDA subset the SMEN kernels use, so their real source runs on a CPU in CI (no GPU):
// every thread of a block is a std::thread, blocks run one after another (so shared memory is one static buffer),
// __syncthreads and __syncwarp are barriers, warp shuffles exchange through a per-warp buffer between two barriers.
// Slow and only for small test sizes; device pointers are host pointers. Not part of the library.
#pragma once
#include <algorithm>
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

using std::max;
using std::min;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(x)
#define __restrict__ __restrict
#define __align__(n) alignas(n)
#define __shared__ static

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  dim3() {}
  dim3(unsigned a, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
struct alignas(16) float4 {
  float x, y, z, w;
};
typedef int cudaError_t;
typedef void *cudaStream_t;
enum { cudaSuccess = 0, cudaErrorInvalidValue = 1 };
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
template <class F>
inline int cudaFuncSetAttribute(F, cudaFuncAttribute, int) { return 0; }
inline int cudaGetLastError() { return 0; }
inline const char *cudaGetErrorString(int) { return "emulated"; }

namespace emu {
struct Warp {
  std::barrier<> bar{32};
  uint64_t buf[32];
};
struct Block {
  explicit Block(int threads) : bar(threads), warps((threads + 31) / 32) {}
  std::barrier<> bar;
  std::vector<Warp> warps;
};
inline thread_local dim3 tIdx, bIdx, bDim, gDim;
inline thread_local Block *block = nullptr;
alignas(16) inline unsigned char shared[227 * 1024];
}  // namespace emu

#define threadIdx emu::tIdx
#define blockIdx emu::bIdx
#define blockDim emu::bDim
#define gridDim emu::gDim
// Dynamic shared memory: one static buffer (blocks run one at a time).
#define sm reinterpret_cast<float *>(emu::shared)
#define dsm reinterpret_cast<double *>(emu::shared)

inline void __syncthreads() { emu::block->bar.arrive_and_wait(); }
inline void __syncwarp(unsigned = 0xffffffffu) { emu::block->warps[emu::tIdx.x / 32].bar.arrive_and_wait(); }

template <class T>
T emuShfl(T v, int src) {
  static_assert(sizeof(T) <= 8, "shuffle of at most 8 bytes");
  emu::Warp &w = emu::block->warps[emu::tIdx.x / 32];
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  w.buf[emu::tIdx.x % 32] = bits;
  w.bar.arrive_and_wait();
  uint64_t r = w.buf[src & 31];
  w.bar.arrive_and_wait();
  T out;
  std::memcpy(&out, &r, sizeof(T));
  return out;
}
template <class T>
T __shfl_xor_sync(unsigned, T v, int o) { return emuShfl(v, (int)(emu::tIdx.x % 32) ^ o); }
template <class T>
T __shfl_sync(unsigned, T v, int src) { return emuShfl(v, src); }

namespace emu {
template <class K, class... A>
void launch(K kernel, dim3 grid, dim3 blk, size_t, cudaStream_t, A... args) {
  int threads = blk.x * blk.y * blk.z;
  for (unsigned bz = 0; bz < grid.z; bz++)
    for (unsigned by = 0; by < grid.y; by++)
      for (unsigned bx = 0; bx < grid.x; bx++) {
        Block b(threads);
        std::vector<std::thread> ts;
        ts.reserve(threads);
        for (int t = 0; t < threads; t++) {
          ts.emplace_back([&, t] {
            tIdx = dim3(t % blk.x, (t / blk.x) % blk.y, t / (blk.x * blk.y));
            bIdx = dim3(bx, by, bz);
            bDim = blk;
            gDim = grid;
            block = &b;
            kernel(args...);
          });
        }
        for (auto &t : ts) t.join();
      }
}
}  // namespace emu
