// lurm's emulated CUDA device: the subset of the CUDA runtime API and device built-ins that native-kernels/src
// uses, implemented on the host so that the same .cu sources, compiled by g++ (emu/build.sh), give a library with
// the same C ABI as liblurm_kernels.so that runs where there is no GPU (CI). See docs/GPU.md, "The emulated
// device", for what it checks and what only hardware can show.
//
// Execution model (emu/emu_runtime.cpp):
//  - device memory is host memory from a registry: every kernel pointer argument, copy and free is checked
//    against it (a host pointer handed to a kernel is an illegal address, as on hardware); fresh allocations are
//    filled with 0xFF bytes (NaN floats, -1 ints) so reads of memory nobody wrote show up;
//  - work on a stream created by the library (non-blocking) is queued and runs only when the host synchronises
//    (stream/event/device synchronize, cudaFree, stream destroy): a missing synchronisation reads stale data here
//    instead of usually-right data on hardware. The legacy default stream runs at once;
//  - a kernel launch runs its blocks one after another on the calling thread; every CUDA thread of a block is a
//    fiber (own stack), switched only at __syncthreads / __syncwarp / warp shuffles, so atomics are plain updates
//    and results are deterministic; LURM_EMU_ORDER=reverse runs the threads between two barriers in reverse
//    order, which exposes code that relies on thread order without a barrier.
#pragma once
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <tuple>
#include <type_traits>
#include <utility>

using std::max;
using std::min;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __align__(n) alignas(n)
#define __shared__ static  // one block runs at a time (under the runtime's lock)

// ---- types -------------------------------------------------------------------------------------------------
struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3() {}
  constexpr dim3(unsigned a, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
struct alignas(16) float4 {
  float x, y, z, w;
};
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInsufficientDriver = 35,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
  cudaErrorNoKernelImageForDevice = 209,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorNotReady = 600,
  cudaErrorIllegalAddress = 700,
  cudaErrorLaunchFailure = 719,
};
enum cudaMemcpyKind { cudaMemcpyHostToHost = 0, cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2, cudaMemcpyDeviceToDevice = 3, cudaMemcpyDefault = 4 };
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
enum cudaDeviceAttr { cudaDevAttrMaxThreadsPerBlock = 1, cudaDevAttrMultiProcessorCount = 16 };
constexpr unsigned cudaStreamDefault = 0, cudaStreamNonBlocking = 1;
constexpr unsigned cudaHostAllocDefault = 0;

namespace emu {
struct Stream;
struct Event;
}  // namespace emu
typedef emu::Stream *cudaStream_t;
typedef emu::Event *cudaEvent_t;

struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  size_t sharedMemPerBlock;
  int maxThreadsPerBlock;
  int multiProcessorCount;
  int major;
  int minor;
  int warpSize;
};
struct cudaFuncAttributes {
  size_t sharedSizeBytes;
  int maxThreadsPerBlock;
  int numRegs;
  int maxDynamicSharedSizeBytes;
};

// ---- runtime API (emu/emu_runtime.cpp) ------------------------------------------------------------------------
cudaError_t cudaGetDeviceCount(int *count);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDevice(int *device);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *prop, int device);
cudaError_t cudaDeviceGetAttribute(int *value, cudaDeviceAttr attr, int device);
cudaError_t cudaMemGetInfo(size_t *free, size_t *total);
cudaError_t cudaMalloc(void **ptr, size_t bytes);
cudaError_t cudaFree(void *ptr);
cudaError_t cudaHostAlloc(void **ptr, size_t bytes, unsigned flags);
cudaError_t cudaFreeHost(void *ptr);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream = nullptr);
cudaError_t cudaMemset(void *ptr, int value, size_t bytes);
cudaError_t cudaMemsetAsync(void *ptr, int value, size_t bytes, cudaStream_t stream = nullptr);
cudaError_t cudaStreamCreate(cudaStream_t *stream);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *stream, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaEventCreate(cudaEvent_t *event);
cudaError_t cudaEventDestroy(cudaEvent_t event);
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream = nullptr);
cudaError_t cudaEventSynchronize(cudaEvent_t event);
cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t start, cudaEvent_t end);
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
const char *cudaGetErrorString(cudaError_t error);
cudaError_t emuFuncGetAttributes(cudaFuncAttributes *attr, const void *func);
cudaError_t emuFuncSetAttribute(const void *func, cudaFuncAttribute attr, int value);
template <class F>
cudaError_t cudaFuncGetAttributes(cudaFuncAttributes *attr, F *func) { return emuFuncGetAttributes(attr, (const void *)func); }
template <class F>
cudaError_t cudaFuncSetAttribute(F *func, cudaFuncAttribute attr, int value) { return emuFuncSetAttribute((const void *)func, attr, value); }

// ---- device built-ins --------------------------------------------------------------------------------------
namespace emu {
inline dim3 tIdx, bIdx, bDim, gDim;  // of the running thread (one at a time, under the runtime's lock)
// Dynamic shared memory of the running block (227 KiB, the opt-in maximum of sm_90).
constexpr size_t MAX_DYNAMIC_SHARED = 227 * 1024;
unsigned char *dynamicShared();
void syncBlock();
void syncWarp();
uint64_t shuffle(uint64_t bits, int srcLane);
// Queues host work standing for device work (copies, cub algorithms) on a stream, after checking that
// [ptr, ptr + bytes) of each range lies in device memory; the error is returned (and made sticky) otherwise.
struct Range {
  const void *ptr;
  size_t bytes;
};
cudaError_t enqueue(cudaStream_t stream, std::function<void()> work, std::initializer_list<Range> deviceRanges);
// The kernel body of one launch; runs every block and thread (emu_runtime.cpp).
cudaError_t launchBody(const void *kernel, dim3 grid, dim3 block, size_t shared, cudaStream_t stream, std::function<void()> body,
                       const void *const *pointers, int numPointers);
}  // namespace emu

#define threadIdx emu::tIdx
#define blockIdx emu::bIdx
#define blockDim emu::bDim
#define gridDim emu::gDim
constexpr int warpSize = 32;

inline void __syncthreads() { emu::syncBlock(); }
inline void __syncwarp(unsigned = 0xffffffffu) { emu::syncWarp(); }

template <class T>
T emuShfl(T v, int src) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>, "shuffle of at most 8 bytes");
  uint64_t bits = 0;
  memcpy(&bits, &v, sizeof(T));
  uint64_t r = emu::shuffle(bits, src);
  T out;
  memcpy(&out, &r, sizeof(T));
  return out;
}
template <class T>
T __shfl_xor_sync(unsigned, T v, int laneMask) { return emuShfl(v, (int)(threadIdx.x % 32) ^ laneMask); }
template <class T>
T __shfl_sync(unsigned, T v, int src) { return emuShfl(v, src); }
template <class T>
T __shfl_down_sync(unsigned, T v, unsigned d) {
  int lane = (int)(threadIdx.x % 32);
  T other = emuShfl(v, lane + (int)d < 32 ? lane + (int)d : lane);
  return other;
}

// Fibers switch only at barriers, so every read-modify-write below is atomic.
template <class T>
T atomicAdd(T *a, T v) { T old = *a; *a = old + v; return old; }
template <class T>
T atomicMin(T *a, T v) { T old = *a; if (v < old) *a = v; return old; }
template <class T>
T atomicMax(T *a, T v) { T old = *a; if (v > old) *a = v; return old; }
template <class T>
T atomicExch(T *a, T v) { T old = *a; *a = v; return old; }
template <class T>
T atomicCAS(T *a, T cmp, T v) { T old = *a; if (old == cmp) *a = v; return old; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }

namespace emu {
template <class A>
inline void collectPointer(const void **out, int &n, const A &a) {
  if constexpr (std::is_pointer_v<std::remove_cv_t<A>>) out[n++] = (const void *)a;
}
// kernel<<<grid, block, shared, stream>>>(args...), rewritten by emu/convert.py into
// launch(id, grid, block, shared, stream, [](auto... a) { kernel(a...); }, args...): id is the kernel's address
// (null for a function template deduced from the arguments), for its cudaFuncSetAttribute limits. Pointer
// arguments are checked against device memory; the arguments are copied (by value, as CUDA does) into the body.
template <class F>
const void *kernelId(F *f) { return (const void *)f; }
template <class Call, class... A>
void launch(const void *id, dim3 grid, dim3 block, size_t shared, cudaStream_t stream, Call call, A &&...args) {
  const void *ptrs[sizeof...(A) + 1];
  int np = 0;
  std::tuple<std::decay_t<A>...> params(std::forward<A>(args)...);
  std::apply([&](const auto &...p) { (collectPointer(ptrs, np, p), ...); }, params);
  launchBody(id, grid, block, shared, stream, [call, params]() { std::apply(call, params); }, ptrs, np);
}
}  // namespace emu
