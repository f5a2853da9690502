// A small native test of the C ABI for the GPU machine (perf-tests/gpu/run.sh builds and runs it before the
// Java tests): BoI aggregation on a hand-worked case (history fold, negative times, lenient skip, zero weight,
// two scales), SGEMM in all transposes, k-means assignment, CSR x dense and dot against naive host loops, and the
// synthetic user generator of the SMEN benchmarks on more rows than its clamped grid has threads.
// Build: nvcc -std=c++17 -Iinclude test/kernels_test.cu -Lout -llurm_kernels -Xlinker -rpath=out -o kernels_test
#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <vector>
#include "lurm_kernels.h"
#include "lurm_smen.h"

static int failures = 0;
#define CHECK(cond, ...)                          \
  do {                                            \
    if (!(cond)) {                                \
      failures++;                                 \
      printf("FAIL %s:%d: ", __FILE__, __LINE__); \
      printf(__VA_ARGS__);                        \
      printf("\n");                               \
    }                                             \
  } while (0)
#define RC(expr)                                                                                 \
  do {                                                                                           \
    int rc_ = (expr);                                                                            \
    if (rc_ != 0) {                                                                              \
      printf("FAIL %s:%d: %s returned %d (%s)\n", __FILE__, __LINE__, #expr, rc_, lurm_error_string(rc_)); \
      exit(2);                                                                                   \
    }                                                                                            \
  } while (0)

template <typename T>
static T *dev(const std::vector<T> &h) {
  void *p = nullptr;
  RC(lurm_malloc(&p, (long long)(h.size() * sizeof(T)) + 16));
  if (!h.empty()) RC(lurm_memcpy_h2d(p, h.data(), (long long)(h.size() * sizeof(T))));
  return (T *)p;
}
template <typename T>
static std::vector<T> host(const T *d, size_t n) {
  std::vector<T> h(n);
  if (n) RC(lurm_memcpy_d2h(h.data(), d, (long long)(n * sizeof(T))));
  return h;
}

static int boi(bool host, long long n, const int *u, const int *it, const int *ty, const float *w, const long long *t, int nu, int ni,
               const int *ii, int K, int ns, const long long *per, const int *tmax, int lenient, void **res, int *status) {
  if (host) return lurm_boi_aggregate_host(n, u, it, ty, w, t, nu, ni, ii, K, nullptr, 0, ns, per, tmax, 0, lenient, res, status);
  return lurm_boi_aggregate(n, u, it, ty, w, t, nu, ni, ii, K, nullptr, 0, ns, per, tmax, 0, lenient, nullptr, res, status);
}

static void test_boi(bool host) {
  std::vector<int> user = {1, 0, 0, 0, 0, 0, 0, 1}, item = {0, 1, 3, 1, 2, 3, 1, 3}, type(8, 0);
  std::vector<float> weight = {1, 2, 1, 0.5f, 1, 4, 1, 0};
  std::vector<long long> time = {5, 25, 3, 7, 15, 14, -5, 5};
  std::vector<int> interest = {2, 0, -1, 1};
  long long periods[2] = {10, 100};
  int tMax[2] = {2, 1};
  void *res = nullptr;
  int status = -1;
  RC(boi(host, 8, user.data(), item.data(), type.data(), weight.data(), time.data(), 2, 4, interest.data(), 3, 2, periods, tMax, 1, &res, &status));
  CHECK(status == 0 && res != nullptr, "boi status %d", status);
  if (!res) return;
  long long rows, nnz, skipped;
  RC(lurm_boi_result_sizes(res, &rows, &nnz, &skipped));
  CHECK(rows == 7 && nnz == 9 && skipped == 1, "boi sizes rows %lld nnz %lld skipped %lld", rows, nnz, skipped);
  if (rows != 7 || nnz != 9) { lurm_boi_result_free(res); return; }
  std::vector<long long> rowPtr(8), rowPeriod(7), userRowPtr(3);
  std::vector<int> cols(9), rowUser(7), rowScale(7), df(3);
  std::vector<float> vals(9);
  RC(lurm_boi_result_copy(res, rowPtr.data(), cols.data(), vals.data(), rowUser.data(), rowScale.data(), rowPeriod.data(), userRowPtr.data(), df.data()));
  RC(lurm_boi_result_free(res));
  const int H = 1 << 16;
  long long eRowPtr[] = {0, 2, 3, 4, 5, 7, 8, 9}, eRowPeriod[] = {0, 1, 2, -1, 0, 0, 0}, eUserRowPtr[] = {0, 5, 7};
  int eCols[] = {0, 1, 1, 0, 0, 0, 1, 2, 2}, eRowUser[] = {0, 0, 0, 0, 0, 1, 1}, eRowScale[] = {0 | H, 0, 0, 1 | H, 1, 0, 1}, eDf[] = {1, 1, 1};
  float eVals[] = {1.5f, 1, 4, 2, 1, 2.5f, 5, 1, 1};
  for (int i = 0; i < 8; i++) CHECK(rowPtr[i] == eRowPtr[i], "rowPtr[%d] %lld want %lld", i, rowPtr[i], eRowPtr[i]);
  for (int i = 0; i < 7; i++) {
    CHECK(rowPeriod[i] == eRowPeriod[i], "rowPeriod[%d] %lld want %lld", i, rowPeriod[i], eRowPeriod[i]);
    CHECK(rowUser[i] == eRowUser[i], "rowUser[%d] %d want %d", i, rowUser[i], eRowUser[i]);
    CHECK(rowScale[i] == eRowScale[i], "rowScale[%d] %d want %d", i, rowScale[i], eRowScale[i]);
  }
  for (int i = 0; i < 9; i++) CHECK(cols[i] == eCols[i] && vals[i] == eVals[i], "entry %d: %d=%g want %d=%g", i, cols[i], vals[i], eCols[i], eVals[i]);
  for (int i = 0; i < 3; i++) CHECK(userRowPtr[i] == eUserRowPtr[i], "userRowPtr[%d] %lld", i, userRowPtr[i]);
  for (int i = 0; i < 3; i++) CHECK(df[i] == eDf[i], "df[%d] %d", i, df[i]);
  // Not lenient: item 2 has no interest, so the CPU must decide (status 1).
  res = nullptr;
  RC(boi(host, 8, user.data(), item.data(), type.data(), weight.data(), time.data(), 2, 4, interest.data(), 3, 2, periods, tMax, 0, &res, &status));
  CHECK(status == 1 && res == nullptr, "strict boi status %d", status);
  printf("boi (%s): done\n", host ? "host emulation" : "device");
}

static float frand() { return (float)rand() / RAND_MAX * 2 - 1; }

static void test_gemm() {
  int m = 70, n = 33, k = 129;
  for (int t = 0; t < 4; t++) {
    int ta = t & 1, tb = (t >> 1) & 1;
    std::vector<float> A(m * k), B(k * n), C(m * n);
    for (auto &x : A) x = frand();
    for (auto &x : B) x = frand();
    for (auto &x : C) x = frand();
    float *dA = dev(A), *dB = dev(B), *dC = dev(C);
    RC(lurm_sgemm(ta, tb, m, n, k, 0.7f, dA, dB, -1.5f, dC, nullptr));
    RC(lurm_device_synchronize());
    std::vector<float> got = host(dC, C.size());
    double num = 0, den = 0;
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) {
        double acc = 0;
        for (int p = 0; p < k; p++) acc += (double)(ta ? A[p * m + i] : A[i * k + p]) * (tb ? B[j * k + p] : B[p * n + j]);
        double want = 0.7 * acc - 1.5 * C[i * n + j];
        num += (want - got[i * n + j]) * (want - got[i * n + j]);
        den += want * want;
      }
    CHECK(num / den < 1e-10, "sgemm ta=%d tb=%d nmse %g", ta, tb, num / den);
    lurm_free(dA), lurm_free(dB), lurm_free(dC);
  }
  printf("gemm: done\n");
}

static void test_assign_csr_dot() {
  int n = 300, k = 77, dim = 40;
  std::vector<float> P(n * dim), C(k * dim);
  for (auto &x : P) x = frand();
  for (auto &x : C) x = frand();
  for (int q = 0; q < dim; q++) C[(k - 1) * dim + q] = C[3 * dim + q];  // duplicate of centroid 3
  float *dP = dev(P), *dC = dev(C), *dS = dev(std::vector<float>(n));
  int *dI = dev(std::vector<int>(n));
  RC(lurm_kmeans_assign(dP, n, dC, k, dim, dI, dS, nullptr));
  RC(lurm_device_synchronize());
  std::vector<int> gi = host(dI, n);
  std::vector<float> gs = host(dS, n);
  for (int i = 0; i < n; i++) {
    double best = -1e30;
    for (int c = 0; c < k; c++) {
      double d = 0;
      for (int q = 0; q < dim; q++) d += (double)P[i * dim + q] * C[c * dim + q];
      if (d > best) best = d;
    }
    CHECK(fabs(best - gs[i]) < 1e-4, "assign score %d: %g want %g", i, gs[i], best);
    CHECK(gi[i] != k - 1, "point %d took the duplicate centroid", i);
  }
  // CSR: rows of 0..5 entries.
  int rows = 50, cols = 20, r = 37;
  std::vector<long long> ptr(rows + 1, 0);
  std::vector<int> ci;
  std::vector<float> cv;
  for (int i = 0; i < rows; i++) {
    for (int e = 0; e < i % 6; e++) ci.push_back(rand() % cols), cv.push_back(frand());
    ptr[i + 1] = (long long)ci.size();
  }
  std::vector<float> D(cols * r);
  for (auto &x : D) x = frand();
  long long *dp = dev(ptr);
  int *dc = dev(ci), *bad = dev(std::vector<int>{-1});
  float *dv = dev(cv), *dd = dev(D), *dout = dev(std::vector<float>(rows * r, 42.f));
  RC(lurm_csr_spmm(rows, cols, dp, dc, dv, dd, r, dout, bad, nullptr));
  RC(lurm_device_synchronize());
  std::vector<float> out = host(dout, rows * r);
  CHECK(host(bad, 1)[0] == -1, "csr bad flag set");
  for (int i = 0; i < rows; i++)
    for (int q = 0; q < r; q++) {
      double want = 0;
      for (long long e = ptr[i]; e < ptr[i + 1]; e++) want += (double)cv[e] * D[ci[e] * r + q];
      CHECK(fabs(want - out[i * r + q]) < 1e-5, "csr (%d,%d) %g want %g", i, q, out[i * r + q], want);
    }
  // dot
  long long scratchBytes;
  RC(lurm_dot_scratch_bytes(&scratchBytes));
  void *scratch;
  RC(lurm_malloc(&scratch, scratchBytes));
  float *res = dev(std::vector<float>(1));
  RC(lurm_dot(dP, dP + 1, n * dim - 1, scratch, res, nullptr));
  RC(lurm_device_synchronize());
  double want = 0;
  for (int i = 0; i + 1 < n * dim; i++) want += (double)P[i] * P[i + 1];
  CHECK(fabs(host(res, 1)[0] - want) < 1e-4, "dot %g want %g", host(res, 1)[0], want);
  printf("assign/csr/dot: done\n");
}

// lurm_smen_synth_batch with 3.3e6 rows (more than the 132 x 64 x 256 threads of its clamped grid): every row's
// rowPtr and bucket and every group start is written (the encoding bench has 3e7 rows).
static void test_synth_batch() {
  const int users = 1100000, scales = 3, periods = 1, nnz = 1, K = 97, buckets = 3;
  const long long rows = (long long)users * scales * periods, n = rows * nnz, groups = (long long)users * scales;
  std::vector<int> fill(rows + 1, -1);
  int *rowPtr = dev(fill), *cols = dev(std::vector<int>(n, -1)), *bucket = dev(std::vector<int>(rows, -1)), *gs = dev(fill);
  float *vals = dev(std::vector<float>(n, -1.f));
  RC(lurm_smen_synth_batch(users, scales, periods, nnz, K, buckets, 7ULL, rowPtr, cols, vals, bucket, gs, nullptr));
  RC(lurm_device_synchronize());
  std::vector<int> hp = host(rowPtr, rows + 1), hc = host(cols, n), hb = host(bucket, rows), hg = host(gs, groups + 1);
  std::vector<float> hv = host(vals, n);
  long long bad = 0, first = -1;
  for (long long r = 0; r <= rows; r++) {
    int age = r < rows ? periods - 1 - (int)(r % periods) : 0;
    bool ok = hp[r] == (int)(r * nnz) && (r == rows || hb[r] == (age < buckets - 1 ? age : buckets - 2));
    if (!ok && first < 0) first = r;
    bad += !ok;
  }
  for (long long x = 0; x < n; x++) bad += hc[x] < 0 || hc[x] >= K || !(hv[x] > 0.1f && hv[x] <= 2.0001f);
  for (long long g = 0; g <= groups; g++) bad += hg[g] != (int)(g * periods);
  CHECK(bad == 0, "synth batch: %lld bad entries of %lld rows (first bad row %lld)", bad, rows, first);
  for (void *p : {(void *)rowPtr, (void *)cols, (void *)bucket, (void *)gs, (void *)vals}) RC(lurm_free(p));
  printf("synth batch: done\n");
}

int main() {
  test_boi(true);
  int count = 0;
  int rc = lurm_device_count(&count);
  if (rc != 0 || count == 0) {
    printf("kernels_test: no CUDA device (%d: %s): device tests not run; host emulation %s\n", rc, lurm_error_string(rc),
           failures == 0 ? "PASS" : "FAILED");
    return failures == 0 ? 3 : 1;
  }
  RC(lurm_check_kernel_image(0));
  test_boi(false);
  test_gemm();
  test_assign_csr_dot();
  test_synth_batch();
  printf(failures == 0 ? "kernels_test: PASS\n" : "kernels_test: %d FAILURES\n", failures);
  return failures == 0 ? 0 : 1;
}
