// SMEN multi-anchor attention (MODEL.md, Stage 2), forward and backward, fused.
//
// Floor of the forward (count first). Per non-zero: the gathered V row (4h bytes, from L2 or DRAM), its interest
// and weight (8 bytes), optionally its attention out (4M bytes); per row: r out (4Mh bytes; 4Md' with the fused
// projection) and rowPtr (4 bytes). Flops: 2Mh for the M scores plus 2Mh for the weighted sum per non-zero
// (+ 2Mhd' per row when projecting), about M/2 flop per gathered byte: memory-bound on H100/H200 (about 20 flop/B
// of fp32 balance), so the floor is bytes / copy bandwidth; the benchmark (SmenAttentionBench) measures both.
//
// Forward: one warp per batch row, one pass over the row's non-zeros in tiles of 32 with an online softmax per
// anchor. In a tile each lane scores one non-zero against all M anchors (A in shared memory, broadcast), so the
// scores need no shuffles; the tile's exp(s - max) go to shared memory and then the lanes, now spread over h,
// read the 32 V rows coalesced (the second read hits L1) and accumulate all M weighted sums in registers. No
// nnz x M score matrix exists unless the caller asks for the attention.
//
// Backward, deterministic without atomics: (1) rows pass, one warp per row, fixed chunks of rows per block:
// score gradients ds[j,m] = a (dr_m . V_kj - dr_m . r_m), each non-zero's contribution to its V row
// c_j = sum_m a dr_m + ds A_m / sqrt(h) written to scratch, and dA summed per block (warps in order) into
// partials; (2) the partials summed in block order into gradA; (3) one warp per distinct interest sums the c of
// its non-zeros in ascending position (the caller's stable sort by interest) into its gradV row. So every sum
// has a fixed order and the results are bit-identical from run to run, whatever the scheduling.
#include "smen_common.cuh"

namespace {

constexpr int WARPS = 4;              // warps (rows) per block
constexpr int BWD_ROWS_PER_BLOCK = 16;  // rows per block in the backward rows pass: fixed, so partials are too

template <int HPL, int MAXM, bool PROJ>
__global__ void __launch_bounds__(WARPS * 32)
attentionForward(const float *__restrict__ V, const float *__restrict__ A, int h, int M, int rows,
                 const int *__restrict__ rowPtr, const int *__restrict__ cols, const float *__restrict__ vals,
                 const float *__restrict__ scores, float *__restrict__ attn, const float *__restrict__ W,
                 const float *__restrict__ bias, int dp, float *__restrict__ out, float invSqrtH, int vec4) {
  extern __shared__ __align__(16) float sm[];
  float *As = sm;                                   // M*h
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  float *P = As + M * h + warp * (32 * M);          // 32 x M exp(s - max) of the current tile
  float *R = As + M * h + WARPS * 32 * M + warp * (M * h);  // r of the row, for the fused projection
  for (int x = threadIdx.x; x < M * h; x += blockDim.x) As[x] = A[x];
  __syncthreads();
  const int t = blockIdx.x * WARPS + warp;
  if (t >= rows) return;  // no block-wide barrier after this point
  const int p0 = rowPtr[t], p1 = rowPtr[t + 1];

  float acc[MAXM][HPL];
  float mx[MAXM], l[MAXM];
#pragma unroll
  for (int m = 0; m < MAXM; m++) {
    mx[m] = -INFINITY;
    l[m] = 0.f;
#pragma unroll
    for (int c = 0; c < HPL; c++) acc[m][c] = 0.f;
  }
  for (int base = p0; base < p1; base += 32) {
    const int j = base + lane;
    const bool valid = j < p1;
    const int k = valid ? cols[j] : 0;
    float s[MAXM];
#pragma unroll
    for (int m = 0; m < MAXM; m++) s[m] = 0.f;
    if (valid && scores != nullptr) {
      // Encoding: (A_m . V_k) / sqrt(h) precomputed once per model for every interest (K x M).
      const float *sk = scores + (long long)k * M;
#pragma unroll
      for (int m = 0; m < MAXM; m++)
        if (m < M) s[m] = sk[m];
    } else if (valid) {
      const float *vr = V + (long long)k * h;
      if (vec4) {
        for (int i = 0; i < h; i += 4) {
          float4 v = *reinterpret_cast<const float4 *>(vr + i);
#pragma unroll
          for (int m = 0; m < MAXM; m++) {
            if (m < M) {
              // h % 4 == 0 and a 16-byte aligned shared base: one 128-bit shared load (a broadcast) per 4 FMAs.
              const float4 a = *reinterpret_cast<const float4 *>(As + m * h + i);
              s[m] = fmaf(a.x, v.x, fmaf(a.y, v.y, fmaf(a.z, v.z, fmaf(a.w, v.w, s[m]))));
            }
          }
        }
      } else {
        for (int i = 0; i < h; i++) {
          float v = vr[i];
#pragma unroll
          for (int m = 0; m < MAXM; m++)
            if (m < M) s[m] = fmaf(As[m * h + i], v, s[m]);
        }
      }
    }
    if (valid) {
      const float lw = logf(vals[j]);
      const float sc = scores != nullptr ? 1.f : invSqrtH;
#pragma unroll
      for (int m = 0; m < MAXM; m++) {
        if (m < M) {
          s[m] = s[m] * sc + lw;
          if (attn != nullptr) attn[(long long)j * M + m] = s[m];  // raw score; normalised at the end of the row
        }
      }
    } else {
#pragma unroll
      for (int m = 0; m < MAXM; m++) s[m] = -INFINITY;
    }
    // Online softmax: rescale what was summed under the old maximum (exp(-inf) = 0 on the first tile).
#pragma unroll
    for (int m = 0; m < MAXM; m++) {
      if (m < M) {
        float nm = fmaxf(mx[m], smen::warpMax(s[m]));
        float sc = expf(mx[m] - nm);
        float e = valid ? expf(s[m] - nm) : 0.f;
        P[lane * M + m] = e;
        l[m] = l[m] * sc + smen::warpSum(e);
        mx[m] = nm;
#pragma unroll
        for (int c = 0; c < HPL; c++) acc[m][c] *= sc;
      }
    }
    __syncwarp();
    const int n = min(32, p1 - base);
    for (int jj = 0; jj < n; jj++) {
      const int kj = __shfl_sync(smen::FULL, k, jj);
      const float *vr = V + (long long)kj * h;
      float v[HPL];
#pragma unroll
      for (int c = 0; c < HPL; c++) {
        int i = lane + 32 * c;
        v[c] = i < h ? vr[i] : 0.f;
      }
#pragma unroll
      for (int m = 0; m < MAXM; m++) {
        if (m < M) {
          float pm = P[jj * M + m];
#pragma unroll
          for (int c = 0; c < HPL; c++) acc[m][c] = fmaf(pm, v[c], acc[m][c]);
        }
      }
    }
    __syncwarp();
  }
#pragma unroll
  for (int m = 0; m < MAXM; m++) {
    if (m < M) {
      float il = 1.f / l[m];
#pragma unroll
      for (int c = 0; c < HPL; c++) {
        int i = lane + 32 * c;
        if (i < h) {
          if (PROJ) R[m * h + i] = acc[m][c] * il;
          else out[((long long)t * M + m) * h + i] = acc[m][c] * il;
        }
      }
    }
  }
  if (PROJ) {
    __syncwarp();
    // o[m][jj] = b[m][jj] + sum_i r[m][i] W[m][i][jj]; W is small (M h d') and stays in L1/L2.
    for (int idx = lane; idx < M * dp; idx += 32) {
      int m = idx / dp, jj = idx - m * dp;
      const float *wm = W + (long long)m * h * dp + jj;
      const float *rm = R + m * h;
      float o = bias[idx];
      for (int i = 0; i < h; i++) o = fmaf(rm[i], wm[(long long)i * dp], o);
      out[(long long)t * M * dp + idx] = o;
    }
  }
  if (attn != nullptr) {
    __syncwarp();
    for (int j = p0 + lane; j < p1; j += 32) {
#pragma unroll
      for (int m = 0; m < MAXM; m++) {
        if (m < M) {
          float *a = attn + (long long)j * M + m;
          *a = expf(*a - mx[m]) / l[m];
        }
      }
    }
  }
}

template <int HPL, int MAXM>
__global__ void __launch_bounds__(WARPS * 32)
attentionBackwardRows(const float *__restrict__ V, const float *__restrict__ A, int h, int M, int rows,
                      const int *__restrict__ rowPtr, const int *__restrict__ cols, const float *__restrict__ attn,
                      const float *__restrict__ dr, float *da, float *__restrict__ cOut,
                      float *__restrict__ dAPart, float invSqrtH) {
  extern __shared__ float sm[];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  float *Dr = sm + warp * (M * h);  // dr of the warp's current row
  float *Red = sm;                  // reused for the block's dA reduction (WARPS x M*h) at the end
  float aReg[MAXM][HPL], dAacc[MAXM][HPL];
#pragma unroll
  for (int m = 0; m < MAXM; m++)
#pragma unroll
    for (int c = 0; c < HPL; c++) {
      int i = lane + 32 * c;
      aReg[m][c] = (m < M && i < h) ? A[m * h + i] : 0.f;
      dAacc[m][c] = 0.f;
    }
  const int r0 = blockIdx.x * BWD_ROWS_PER_BLOCK;
  const int r1 = min(rows, r0 + BWD_ROWS_PER_BLOCK);
  for (int t = r0 + warp; t < r1; t += WARPS) {
    const int p0 = rowPtr[t], p1 = rowPtr[t + 1];
    const float *drt = dr + (long long)t * M * h;
    for (int x = lane; x < M * h; x += 32) Dr[x] = drt[x];
    __syncwarp();
    // Pass 1, lanes over non-zeros: da[j,m] = dr_m . V_kj, and sum_j a da = dr_m . r_m (the softmax's mean).
    float rdot[MAXM];
#pragma unroll
    for (int m = 0; m < MAXM; m++) rdot[m] = 0.f;
    for (int j = p0 + lane; j < p1; j += 32) {
      const float *vr = V + (long long)cols[j] * h;
      float d[MAXM];
#pragma unroll
      for (int m = 0; m < MAXM; m++) d[m] = 0.f;
      for (int i = 0; i < h; i++) {
        float v = vr[i];
#pragma unroll
        for (int m = 0; m < MAXM; m++)
          if (m < M) d[m] = fmaf(Dr[m * h + i], v, d[m]);
      }
#pragma unroll
      for (int m = 0; m < MAXM; m++) {
        if (m < M) {
          da[(long long)j * M + m] = d[m];
          rdot[m] = fmaf(attn[(long long)j * M + m], d[m], rdot[m]);
        }
      }
    }
#pragma unroll
    for (int m = 0; m < MAXM; m++)
      if (m < M) rdot[m] = smen::warpSum(rdot[m]);
    float drr[MAXM][HPL];
#pragma unroll
    for (int m = 0; m < MAXM; m++)
#pragma unroll
      for (int c = 0; c < HPL; c++) {
        int i = lane + 32 * c;
        drr[m][c] = (m < M && i < h) ? Dr[m * h + i] : 0.f;
      }
    __syncwarp();  // da written by other lanes is read below; __syncwarp orders the warp's memory accesses
    // Pass 2, lanes over h: ds, the dA terms and each non-zero's contribution c_j to its V row.
    for (int j = p0; j < p1; j++) {
      const float *vr = V + (long long)cols[j] * h;
      float v[HPL], cc[HPL];
#pragma unroll
      for (int c = 0; c < HPL; c++) {
        int i = lane + 32 * c;
        v[c] = i < h ? vr[i] : 0.f;
        cc[c] = 0.f;
      }
#pragma unroll
      for (int m = 0; m < MAXM; m++) {
        if (m < M) {
          float a = attn[(long long)j * M + m];
          float gs = a * (da[(long long)j * M + m] - rdot[m]) * invSqrtH;
#pragma unroll
          for (int c = 0; c < HPL; c++) {
            dAacc[m][c] = fmaf(gs, v[c], dAacc[m][c]);
            cc[c] = fmaf(a, drr[m][c], fmaf(gs, aReg[m][c], cc[c]));
          }
        }
      }
#pragma unroll
      for (int c = 0; c < HPL; c++) {
        int i = lane + 32 * c;
        if (i < h) cOut[(long long)j * h + i] = cc[c];
      }
    }
    __syncwarp();  // Dr is overwritten by the next row
  }
  __syncthreads();
#pragma unroll
  for (int m = 0; m < MAXM; m++)
#pragma unroll
    for (int c = 0; c < HPL; c++) {
      int i = lane + 32 * c;
      if (m < M && i < h) Red[warp * M * h + m * h + i] = dAacc[m][c];
    }
  __syncthreads();
  for (int x = threadIdx.x; x < M * h; x += blockDim.x) {
    float s = 0.f;
    for (int w = 0; w < WARPS; w++) s += Red[w * M * h + x];
    dAPart[(long long)blockIdx.x * M * h + x] = s;
  }
}

__global__ void attentionBackwardInterests(int h, const int *__restrict__ perm, const int *__restrict__ segStart,
                                           const int *__restrict__ segInterest, int segments,
                                           const float *__restrict__ cIn, float *__restrict__ gradV) {
  const int seg = blockIdx.x * WARPS + (threadIdx.x >> 5), lane = threadIdx.x & 31;
  if (seg >= segments) return;
  const int q0 = segStart[seg], q1 = segStart[seg + 1];
  float g[LURM_SMEN_MAX_H / 32];
#pragma unroll
  for (int c = 0; c < LURM_SMEN_MAX_H / 32; c++) g[c] = 0.f;
  for (int q = q0; q < q1; q++) {
    const float *cj = cIn + (long long)perm[q] * h;
#pragma unroll
    for (int c = 0; c < LURM_SMEN_MAX_H / 32; c++) {
      int i = lane + 32 * c;
      if (i < h) g[c] += cj[i];
    }
  }
  float *gv = gradV + (long long)segInterest[seg] * h;
#pragma unroll
  for (int c = 0; c < LURM_SMEN_MAX_H / 32; c++) {
    int i = lane + 32 * c;
    if (i < h) gv[i] += g[c];
  }
}

template <int HPL, int MAXM>
int launchForward(const float *V, const float *A, int h, int M, int rows, const int *rowPtr, const int *cols,
                  const float *vals, const float *scores, float *attn, const float *W, const float *b, int dp,
                  float *out, cudaStream_t st) {
  size_t smem = sizeof(float) * ((size_t)M * h + WARPS * 32 * M + (W != nullptr ? (size_t)WARPS * M * h : 0));
  int vec4 = (h % 4 == 0) && (((unsigned long long)V & 15) == 0);
  float inv = 1.f / sqrtf((float)h);
  int grid = smen::ceilDiv(rows, WARPS);
  if (W != nullptr) {
    auto k = attentionForward<HPL, MAXM, true>;
    if (smem > 48 * 1024) cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
    k<<<grid, WARPS * 32, smem, st>>>(V, A, h, M, rows, rowPtr, cols, vals, scores, attn, W, b, dp, out, inv, vec4);
  } else {
    auto k = attentionForward<HPL, MAXM, false>;
    if (smem > 48 * 1024) cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
    k<<<grid, WARPS * 32, smem, st>>>(V, A, h, M, rows, rowPtr, cols, vals, scores, attn, W, b, dp, out, inv, vec4);
  }
  return (int)cudaGetLastError();
}

template <int HPL, int MAXM>
int launchBackwardRows(const float *V, const float *A, int h, int M, int rows, const int *rowPtr, const int *cols,
                       const float *attn, const float *dr, float *da, float *c, float *dAPart, cudaStream_t st) {
  size_t smem = sizeof(float) * (size_t)WARPS * M * h;
  auto k = attentionBackwardRows<HPL, MAXM>;
  if (smem > 48 * 1024) cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
  k<<<smen::ceilDiv(rows, BWD_ROWS_PER_BLOCK), WARPS * 32, smem, st>>>(V, A, h, M, rows, rowPtr, cols, attn, dr, da,
                                                                        c, dAPart, 1.f / sqrtf((float)h));
  return (int)cudaGetLastError();
}

// Explicit instantiations per (h per lane: 1, 2, 4) x (anchor bound: 8, 32), picked at run time below.
}  // namespace

extern "C" int lurm_smen_attention_forward(const float *V, const float *A, int h, int anchors, int rows,
                                           const int *rowPtr, const int *cols, const float *vals,
                                           const float *scores, float *attn, const float *W, const float *b,
                                           int anchorDim, float *out, void *stream) {
  SMEN_REQUIRE(smen::sizesOk(h, anchors, W != nullptr ? anchorDim : 1) && rows >= 0);
  SMEN_REQUIRE(W == nullptr || b != nullptr);
  if (rows == 0) return 0;
  cudaStream_t st = SMEN_STREAM(stream);
#define SMEN_FWD(HPL, MAXM) launchForward<HPL, MAXM>(V, A, h, anchors, rows, rowPtr, cols, vals, scores, attn, W, b, anchorDim, out, st)
  int hpl = (h + 31) / 32;
  if (anchors <= 8) {
    if (hpl == 1) return SMEN_FWD(1, 8);
    if (hpl == 2) return SMEN_FWD(2, 8);
    return SMEN_FWD(4, 8);
  }
  if (hpl == 1) return SMEN_FWD(1, 32);
  if (hpl == 2) return SMEN_FWD(2, 32);
  return SMEN_FWD(4, 32);
#undef SMEN_FWD
}

static int backwardBlocks(int rows) { return rows <= 0 ? 0 : smen::ceilDiv(rows, BWD_ROWS_PER_BLOCK); }

extern "C" int lurm_smen_attention_backward_blocks(int rows, int *blocks) {
  SMEN_REQUIRE(blocks != nullptr);
  *blocks = backwardBlocks(rows);
  return 0;
}

extern "C" int lurm_smen_interest_scores(const float *V, const float *A, int numInterests, int h, int anchors,
                                         float *scores, void *stream) {
  SMEN_REQUIRE(smen::sizesOk(h, anchors, 1) && numInterests >= 0);
  // scores (K x M) = V (K x h) . A^T / sqrt(h): the same sum as the kernel's, scaled once.
  return lurm_smen_gemm(0, 1, numInterests, anchors, h, 1.f / sqrtf((float)h), V, h, 0, A, h, 0, 0.f, scores, anchors, 0,
                        1, stream);
}

extern "C" int lurm_smen_attention_backward(const float *V, const float *A, int h, int anchors, int rows,
                                            const int *rowPtr, const int *cols, const float *attn, const float *dr,
                                            const int *perm, const int *segStart, const int *segInterest,
                                            int segments, float *scratch_da, float *scratch_c, float *scratch_dA,
                                            float *gradV, float *gradA, void *stream) {
  SMEN_REQUIRE(smen::sizesOk(h, anchors, 1) && rows >= 0 && segments >= 0);
  if (rows == 0) return 0;
  cudaStream_t st = SMEN_STREAM(stream);
  int rc;
#define SMEN_BWD(HPL, MAXM) launchBackwardRows<HPL, MAXM>(V, A, h, anchors, rows, rowPtr, cols, attn, dr, scratch_da, scratch_c, scratch_dA, st)
  int hpl = (h + 31) / 32;
  if (anchors <= 8) rc = hpl == 1 ? SMEN_BWD(1, 8) : hpl == 2 ? SMEN_BWD(2, 8) : SMEN_BWD(4, 8);
  else rc = hpl == 1 ? SMEN_BWD(1, 32) : hpl == 2 ? SMEN_BWD(2, 32) : SMEN_BWD(4, 32);
#undef SMEN_BWD
  if (rc != 0) return rc;
  rc = lurm_smen_colsum(scratch_dA, backwardBlocks(rows), anchors * h, anchors * h, 1.f, gradA,
                        stream);
  if (rc != 0) return rc;
  if (segments == 0) return 0;
  attentionBackwardInterests<<<smen::ceilDiv(segments, WARPS), WARPS * 32, 0, st>>>(h, perm, segStart, segInterest,
                                                                                     segments, scratch_c, gradV);
  SMEN_LAUNCHED();
}
