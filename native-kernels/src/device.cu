// Device discovery and error text: the first thing bindings/ calls, before anything else touches CUDA.
#include <cuda_runtime.h>
#include <string.h>
#include "lurm_kernels.h"

extern "C" int lurm_abi_version(void) { return LURM_ABI_VERSION; }

extern "C" int lurm_device_count(int *count) {
  if (count == nullptr) return (int)cudaErrorInvalidValue;
  *count = 0;
  cudaError_t e = cudaGetDeviceCount(count);
  if (e != cudaSuccess) *count = 0;
  return (int)e;
}

extern "C" const char *lurm_error_string(int code) { return cudaGetErrorString((cudaError_t)code); }

extern "C" int lurm_device_info(int device, char *name, int name_len, long long *total_bytes, int *cc_major, int *cc_minor) {
  if (name == nullptr || name_len <= 0 || total_bytes == nullptr || cc_major == nullptr || cc_minor == nullptr)
    return (int)cudaErrorInvalidValue;
  cudaDeviceProp p;
  cudaError_t e = cudaGetDeviceProperties(&p, device);
  if (e != cudaSuccess) return (int)e;
  strncpy(name, p.name, (size_t)name_len - 1);
  name[name_len - 1] = '\0';
  *total_bytes = (long long)p.totalGlobalMem;
  *cc_major = p.major;
  *cc_minor = p.minor;
  return 0;
}

namespace {
__global__ void probe_kernel(int *x) {
  if (x != nullptr) *x = 1;
}
}  // namespace

// Whether this library's kernels have an image (SASS or PTX the driver can JIT) for the current device:
// cudaFuncGetAttributes on a kernel compiled like all the others returns cudaErrorNoKernelImageForDevice
// (209) when they do not (e.g. a device older than the architectures build.sh targeted).
extern "C" int lurm_check_kernel_image(int device) {
  cudaError_t e = cudaSetDevice(device);
  if (e != cudaSuccess) return (int)e;
  cudaFuncAttributes a;
  return (int)cudaFuncGetAttributes(&a, probe_kernel);
}
