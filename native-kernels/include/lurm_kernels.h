/*
 * lurm native kernels: the C ABI that bindings/ calls through Panama FFM.
 *
 * Versioning: LURM_ABI_VERSION changes whenever a signature or a struct changes; the Java side rejects a
 * library whose lurm_abi_version() differs from the one it was written for.
 * Error handling: every function returns a cudaError_t value as int (0 = success); lurm_error_string()
 * turns it into text. No function aborts or exits the process.
 */
#ifndef LURM_KERNELS_H
#define LURM_KERNELS_H

#define LURM_ABI_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this library was built with. */
int lurm_abi_version(void);

/* Number of CUDA devices in *count; returns the cudaError_t of cudaGetDeviceCount (35: no driver). */
int lurm_device_count(int *count);

/* Static text for a return code (cudaGetErrorString). */
const char *lurm_error_string(int code);

/* Name and memory of device `device` into name (NUL-terminated, at most name_len bytes) and *total_bytes. */
int lurm_device_info(int device, char *name, int name_len, long long *total_bytes, int *cc_major, int *cc_minor);

#ifdef __cplusplus
}
#endif

#endif
