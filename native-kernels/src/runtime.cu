// The CUDA runtime layer under every kernel family: memory, copies, pinned staging, streams, events.
// Thin on purpose: each function is one runtime call plus argument checks, so the Java side sees CUDA's
// own error codes (and text through lurm_error_string) with the op name it called.
#include <cuda_runtime.h>
#include "lurm_kernels.h"

#define LURM_NEED(cond) do { if (!(cond)) return (int)cudaErrorInvalidValue; } while (0)

extern "C" int lurm_set_device(int device) { return (int)cudaSetDevice(device); }

extern "C" int lurm_mem_info(long long *free_bytes, long long *total_bytes) {
  LURM_NEED(free_bytes != nullptr && total_bytes != nullptr);
  size_t f = 0, t = 0;
  cudaError_t e = cudaMemGetInfo(&f, &t);
  *free_bytes = (long long)f;
  *total_bytes = (long long)t;
  return (int)e;
}

extern "C" int lurm_malloc(void **d_ptr, long long bytes) {
  LURM_NEED(d_ptr != nullptr && bytes >= 0);
  *d_ptr = nullptr;
  if (bytes == 0) return 0;
  return (int)cudaMalloc(d_ptr, (size_t)bytes);
}

extern "C" int lurm_free(void *d_ptr) { return d_ptr == nullptr ? 0 : (int)cudaFree(d_ptr); }

extern "C" int lurm_memset(void *d_ptr, int value, long long bytes) {
  LURM_NEED(bytes >= 0);
  if (bytes == 0) return 0;
  LURM_NEED(d_ptr != nullptr);
  return (int)cudaMemset(d_ptr, value, (size_t)bytes);
}

extern "C" int lurm_memset_async(void *d_ptr, int value, long long bytes, lurm_stream_t stream) {
  LURM_NEED(bytes >= 0);
  if (bytes == 0) return 0;
  LURM_NEED(d_ptr != nullptr);
  return (int)cudaMemsetAsync(d_ptr, value, (size_t)bytes, (cudaStream_t)stream);
}

static int copy(void *dst, const void *src, long long bytes, cudaMemcpyKind kind) {
  LURM_NEED(bytes >= 0);
  if (bytes == 0) return 0;
  LURM_NEED(dst != nullptr && src != nullptr);
  return (int)cudaMemcpy(dst, src, (size_t)bytes, kind);
}

static int copy_async(void *dst, const void *src, long long bytes, cudaMemcpyKind kind, lurm_stream_t stream) {
  LURM_NEED(bytes >= 0);
  if (bytes == 0) return 0;
  LURM_NEED(dst != nullptr && src != nullptr);
  return (int)cudaMemcpyAsync(dst, src, (size_t)bytes, kind, (cudaStream_t)stream);
}

extern "C" int lurm_memcpy_h2d(void *d_dst, const void *h_src, long long bytes) { return copy(d_dst, h_src, bytes, cudaMemcpyHostToDevice); }
extern "C" int lurm_memcpy_d2h(void *h_dst, const void *d_src, long long bytes) { return copy(h_dst, d_src, bytes, cudaMemcpyDeviceToHost); }
extern "C" int lurm_memcpy_d2d(void *d_dst, const void *d_src, long long bytes) { return copy(d_dst, d_src, bytes, cudaMemcpyDeviceToDevice); }

extern "C" int lurm_memcpy_h2d_async(void *d_dst, const void *h_src, long long bytes, lurm_stream_t stream) {
  return copy_async(d_dst, h_src, bytes, cudaMemcpyHostToDevice, stream);
}
extern "C" int lurm_memcpy_d2h_async(void *h_dst, const void *d_src, long long bytes, lurm_stream_t stream) {
  return copy_async(h_dst, d_src, bytes, cudaMemcpyDeviceToHost, stream);
}
extern "C" int lurm_memcpy_d2d_async(void *d_dst, const void *d_src, long long bytes, lurm_stream_t stream) {
  return copy_async(d_dst, d_src, bytes, cudaMemcpyDeviceToDevice, stream);
}

extern "C" int lurm_host_alloc(void **h_ptr, long long bytes) {
  LURM_NEED(h_ptr != nullptr && bytes >= 0);
  *h_ptr = nullptr;
  if (bytes == 0) return 0;
  return (int)cudaHostAlloc(h_ptr, (size_t)bytes, cudaHostAllocDefault);
}

extern "C" int lurm_host_free(void *h_ptr) { return h_ptr == nullptr ? 0 : (int)cudaFreeHost(h_ptr); }

extern "C" int lurm_stream_create(lurm_stream_t *stream) {
  LURM_NEED(stream != nullptr);
  cudaStream_t s = nullptr;
  cudaError_t e = cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
  *stream = (lurm_stream_t)s;
  return (int)e;
}

extern "C" int lurm_stream_destroy(lurm_stream_t stream) { return stream == nullptr ? 0 : (int)cudaStreamDestroy((cudaStream_t)stream); }
extern "C" int lurm_stream_synchronize(lurm_stream_t stream) { return (int)cudaStreamSynchronize((cudaStream_t)stream); }
extern "C" int lurm_device_synchronize(void) { return (int)cudaDeviceSynchronize(); }
extern "C" int lurm_last_error(void) { return (int)cudaGetLastError(); }
extern "C" int lurm_peek_last_error(void) { return (int)cudaPeekAtLastError(); }

extern "C" int lurm_event_create(void **event) {
  LURM_NEED(event != nullptr);
  cudaEvent_t ev = nullptr;
  cudaError_t e = cudaEventCreate(&ev);
  *event = (void *)ev;
  return (int)e;
}
extern "C" int lurm_event_destroy(void *event) { return event == nullptr ? 0 : (int)cudaEventDestroy((cudaEvent_t)event); }
extern "C" int lurm_event_record(void *event, lurm_stream_t stream) {
  LURM_NEED(event != nullptr);
  return (int)cudaEventRecord((cudaEvent_t)event, (cudaStream_t)stream);
}
extern "C" int lurm_event_elapsed_ms(float *ms, void *start, void *end) {
  LURM_NEED(ms != nullptr && start != nullptr && end != nullptr);
  return (int)cudaEventElapsedTime(ms, (cudaEvent_t)start, (cudaEvent_t)end);
}
