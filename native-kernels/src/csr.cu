// CSR x dense (org.lurm.backend.Backend#csrMultiply, the non-transposed product; the transposed one is the
// same kernel on the transposed CSR). One warp per sparse row, the lanes across the r dense columns, each
// output element summed in the row's entry order (deterministic, no atomics).
//
// Floor: nnz * (4 + 4) bytes of indices and values + nnz * r * 4 bytes of dense rows gathered (cached when
// rows repeat) + nRows * r * 4 bytes written; 2 nnz r FLOPs: bandwidth-bound (gather).
#include <cuda_runtime.h>
#include "lurm_internal.cuh"
#include "lurm_kernels.h"

namespace {

__global__ void csr_spmm_kernel(int nRows, int nCols, const long long *__restrict__ rowPtr, const int *__restrict__ cols,
                                const float *__restrict__ vals, const float *__restrict__ dense, int r, float *__restrict__ out,
                                int *badCol) {
  long long warp = (blockIdx.x * (long long)blockDim.x + threadIdx.x) >> 5;
  int lane = threadIdx.x & 31;
  long long warps = ((long long)gridDim.x * blockDim.x) >> 5;
  for (long long row = warp; row < nRows; row += warps) {
    long long a = rowPtr[row], b = rowPtr[row + 1];
    for (int c0 = 0; c0 < r; c0 += 32) {
      int c = c0 + lane;
      float acc = 0.f;
      for (long long j = a; j < b; j++) {
        int col = cols[j];
        if (col < 0 || col >= nCols) {
          if (lane == 0) atomicCAS(badCol, -1, (int)(j & 0x7fffffff));
          continue;
        }
        if (c < r) acc = fmaf(vals[j], dense[(long long)col * r + c], acc);
      }
      if (c < r) out[row * r + c] = acc;
    }
  }
}

}  // namespace

// out (nRows x r) = X * dense (nCols x r); *d_badEntry (device int, set to -1 by the caller) receives the
// index of an entry whose column is outside [0, nCols) (modulo 2^31), and that entry is ignored.
extern "C" int lurm_csr_spmm(int nRows, int nCols, const long long *d_rowPtr, const int *d_cols, const float *d_vals, const float *d_dense,
                             int r, float *d_out, int *d_badEntry, lurm_stream_t stream) {
  LURM_CHECK_ARG(nRows >= 0 && nCols >= 0 && r >= 0 && d_badEntry != nullptr);
  if (nRows == 0 || r == 0) return 0;
  LURM_CHECK_ARG(d_rowPtr && d_out);
  long long threads = (long long)nRows * 32;
  csr_spmm_kernel<<<lurm::blocks_for(threads, 256), 256, 0, (cudaStream_t)stream>>>(nRows, nCols, d_rowPtr, d_cols, d_vals, d_dense, r,
                                                                                     d_out, d_badEntry);
  LURM_LAUNCHED();
  return 0;
}
