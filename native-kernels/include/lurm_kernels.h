/*
 * lurm native kernels: the C ABI that bindings/ calls through Panama FFM.
 *
 * Versioning: LURM_ABI_VERSION changes whenever a signature or a struct changes or a function is added, in this
 * header or in lurm_smen.h (one library, one version); the Java side rejects a library whose lurm_abi_version()
 * differs from the one it was written for, so a stale build fails on load, not at its first missing symbol.
 * 3: lurm_smen_predict*, the SMEN cross-view interest prediction.
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

#define LURM_ABI_VERSION 5

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

/* 0 when this library's kernels can run on `device`; 209 (cudaErrorNoKernelImageForDevice) when it was built
 * for other architectures; other codes for a device that cannot be used. */
int lurm_check_kernel_image(int device);

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

/* ---- Bag-of-Interests aggregation (boi.cu) ----
 * Events (columns of org.lurm.events.EventTable, host memory, any order) to the BoI CSR of
 * org.lurm.boi.BoiAggregator, row for row. *status: 0 = *result holds the CSR (free it with
 * lurm_boi_result_free); 1 = an input the CPU aggregator rejects (it names the event); 2 = a period span or
 * id range that the packed sort keys cannot hold. For 1 and 2 *result is NULL and the caller runs the CPU
 * aggregator, which raises the exact error or computes the result. Synchronous with respect to `stream`. */
int lurm_boi_aggregate(long long n, const int *h_user, const int *h_item, const int *h_type, const float *h_weight,
                       const long long *h_time, int numUsers, int numItems, const int *h_itemInterest, int K,
                       const float *h_typeWeights, int numTypeWeights, int numScales, const long long *h_periodSeconds,
                       const int *h_tMax, long long origin, int lenient, lurm_stream_t stream, void **result, int *status);
/* The same pipeline run sequentially on the host (no device needed), for checking its logic against the CPU
 * aggregator on machines without a GPU; results are freed with lurm_boi_result_free as well. */
int lurm_boi_aggregate_host(long long n, const int *h_user, const int *h_item, const int *h_type, const float *h_weight,
                            const long long *h_time, int numUsers, int numItems, const int *h_itemInterest, int K,
                            const float *h_typeWeights, int numTypeWeights, int numScales, const long long *h_periodSeconds,
                            const int *h_tMax, long long origin, int lenient, void **result, int *status);
/* Row count, entry count and skipped (lenient, no interest) events of a result. */
int lurm_boi_result_sizes(void *result, long long *rows, long long *nnz, long long *skipped);
/* Copies a result to host arrays of rows+1, nnz, nnz, rows, rows, rows, numUsers+1 and K elements. */
int lurm_boi_result_copy(void *result, long long *h_rowPtr, int *h_cols, float *h_vals, int *h_rowUser, int *h_rowScale,
                         long long *h_rowPeriod, long long *h_userRowPtr, int *h_df);
int lurm_boi_result_free(void *result);

/* ---- dense products (gemm.cu) ----
 * C = alpha * op(A) * op(B) + beta * C, row-major as org.lurm.backend.Backend#gemm: op(A) is m x k (A stored
 * k x m when transA), op(B) is k x n (B stored n x k when transB); beta == 0 never reads C. Asynchronous. */
int lurm_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *d_A, const float *d_B, float beta,
               float *d_C, lurm_stream_t stream);
/* Bytes of device scratch that lurm_dot needs. */
int lurm_dot_scratch_bytes(long long *bytes);
/* *d_out = sum of d_a[i] * d_b[i] (accumulated in double, fixed order: the same bits on every call). Async. */
int lurm_dot(const float *d_a, const float *d_b, long long n, void *d_scratch, float *d_out, lurm_stream_t stream);

/* ---- sparse x dense (csr.cu) ----
 * d_out (nRows x r) = X * d_dense (nCols x r) for CSR X (rowPtr nRows+1 entries); *d_badEntry (device int, set
 * to -1 by the caller) receives the index of an entry whose column lies outside [0, nCols). Asynchronous. */
int lurm_csr_spmm(int nRows, int nCols, const long long *d_rowPtr, const int *d_cols, const float *d_vals, const float *d_dense,
                  int r, float *d_out, int *d_badEntry, lurm_stream_t stream);

/* ---- k-means (kmeans.cu) ---- */
/* Nearest centroid by dot product for each point, ties to the lower index. Asynchronous. */
int lurm_kmeans_assign(const float *d_points, int n, const float *d_centroids, int k, int dim, int *d_outIndex, float *d_outScore,
                       lurm_stream_t stream);
/* Two-level: nearest coarse centroid j, then the nearest fine centroid in [fineOffsets[j], fineOffsets[j+1]).
 * d_fineOffsets: kc + 1 device ints; d_scratch: n device ints. Asynchronous. */
int lurm_kmeans_assign_two_level(const float *d_points, int n, int dim, const float *d_coarse, int kc, const float *d_fine,
                                 const int *d_fineOffsets, int *d_scratch, int *d_outIndex, float *d_outScore, lurm_stream_t stream);
/* Centroid update from an assignment: row c = weighted sum of its points / weight sum, or L2-normalised when
 * normalize != 0; empty clusters unchanged; d_counts gets member counts; *badAssign (host int) = 1 when an
 * assignment lies outside [0, k). Synchronous. */
int lurm_kmeans_update(const float *d_points, int n, int dim, const int *d_assign, const float *d_weights, int k, int normalize,
                       float *d_centroids, int *d_counts, int *badAssign, lurm_stream_t stream);

/* ---- memory bandwidth floor (bandwidth.cu) ---- */
int lurm_bandwidth_copy(const void *d_src, void *d_dst, long long bytes, lurm_stream_t stream);
int lurm_bandwidth_read(const void *d_src, long long bytes, float *d_sink, lurm_stream_t stream);

#ifdef __cplusplus
}
#endif

#endif
