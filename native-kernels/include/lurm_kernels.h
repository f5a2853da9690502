/*
 * lurm native kernels: the C ABI that bindings/ calls through Panama FFM.
 *
 * Versioning: LURM_ABI_VERSION changes whenever a signature or a struct changes; the Java side rejects a
 * library whose lurm_abi_version() differs from the one it was written for.
 * Error handling: every function returns a cudaError_t value as int (0 = success); lurm_error_string()
 * turns it into text. No function aborts or exits the process. Kernel launches return the launch error
 * (cudaGetLastError right after the launch); errors that happen while a kernel runs surface at the next
 * synchronising call (lurm_stream_synchronize, a synchronous copy).
 *
 * Conventions: sizes and offsets in bytes or elements are 64-bit (long long); pointers named d_* are device
 * memory, h_* host memory (pinned where the name says so); `stream` is a cudaStream_t (NULL: the legacy
 * default stream). Matrices are row-major float32, as in org.lurm.backend.Backend.
 */
#ifndef LURM_KERNELS_H
#define LURM_KERNELS_H

#define LURM_ABI_VERSION 2

#ifdef __cplusplus
extern "C" {
#endif

typedef void *lurm_stream_t;

/* ---- device discovery (device.cu) ---- */

/* The ABI version this library was built with. */
int lurm_abi_version(void);

/* Number of CUDA devices in *count; returns the cudaError_t of cudaGetDeviceCount (35: no driver). */
int lurm_device_count(int *count);

/* Static text for a return code (cudaGetErrorString). */
const char *lurm_error_string(int code);

/* Name and memory of device `device` into name (NUL-terminated, at most name_len bytes) and *total_bytes. */
int lurm_device_info(int device, char *name, int name_len, long long *total_bytes, int *cc_major, int *cc_minor);

/* ---- runtime (runtime.cu) ---- */

/* Makes `device` current for the calling host thread (cudaSetDevice). */
int lurm_set_device(int device);

/* Free and total device memory of the current device, in bytes. */
int lurm_mem_info(long long *free_bytes, long long *total_bytes);

/* Device memory: *d_ptr = cudaMalloc(bytes) (bytes == 0 gives NULL and success); free(NULL) is a no-op. */
int lurm_malloc(void **d_ptr, long long bytes);
int lurm_free(void *d_ptr);

/* Sets `bytes` bytes at d_ptr to the byte `value`. */
int lurm_memset(void *d_ptr, int value, long long bytes);
int lurm_memset_async(void *d_ptr, int value, long long bytes, lurm_stream_t stream);

/* Copies; the synchronous ones return when the copy is done (and report earlier asynchronous errors). */
int lurm_memcpy_h2d(void *d_dst, const void *h_src, long long bytes);
int lurm_memcpy_d2h(void *h_dst, const void *d_src, long long bytes);
int lurm_memcpy_d2d(void *d_dst, const void *d_src, long long bytes);
/* Asynchronous on `stream`; host memory must be pinned (lurm_host_alloc) to overlap with other work. */
int lurm_memcpy_h2d_async(void *d_dst, const void *h_src, long long bytes, lurm_stream_t stream);
int lurm_memcpy_d2h_async(void *h_dst, const void *d_src, long long bytes, lurm_stream_t stream);
int lurm_memcpy_d2d_async(void *d_dst, const void *d_src, long long bytes, lurm_stream_t stream);

/* Pinned (page-locked) host memory for staging: cudaHostAlloc / cudaFreeHost. */
int lurm_host_alloc(void **h_ptr, long long bytes);
int lurm_host_free(void *h_ptr);

/* Streams: non-blocking with respect to the legacy default stream. */
int lurm_stream_create(lurm_stream_t *stream);
int lurm_stream_destroy(lurm_stream_t stream);
int lurm_stream_synchronize(lurm_stream_t stream);
int lurm_device_synchronize(void);

/* cudaGetLastError (returns and clears the sticky-free last error) and cudaPeekAtLastError (does not clear). */
int lurm_last_error(void);
int lurm_peek_last_error(void);

/* Events for timing on a stream: elapsed milliseconds between two recorded events. */
int lurm_event_create(void **event);
int lurm_event_destroy(void *event);
int lurm_event_record(void *event, lurm_stream_t stream);
int lurm_event_elapsed_ms(float *ms, void *start, void *end);

#ifdef __cplusplus
}
#endif

#endif
