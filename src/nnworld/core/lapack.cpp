#include "nnworld/core/lapack.hpp"

#include <algorithm>
#include <climits>
#include <mutex>
#include <stdexcept>
#include <string>

extern "C" {
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info);
void dtrsm_(const char* side, const char* uplo, const char* transa, const char* diag, const int* m,
            const int* n, const double* alpha, const double* a, const int* lda, double* b,
            const int* ldb);
void openblas_set_num_threads(int num_threads);
void dgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
            const double* alpha, const double* a, const int* lda, const double* b, const int* ldb,
            const double* beta, double* c, const int* ldc);
}

namespace nnworld::core {

namespace {

// OpenBLAS keeps one global thread count; every change goes through this lock.
std::mutex& blas_mutex() {
  static std::mutex m;
  return m;
}
int blas_threads = -1;  // the last count set (−1: OpenBLAS's own default)

void set_threads_locked(int threads) {
  threads = threads < 1 ? 1 : threads;
  if (threads != blas_threads) {
    openblas_set_num_threads(threads);
    blas_threads = threads;
  }
}

int as_int(std::int64_t v, const char* what) {
  if (v < 0 || v > INT_MAX)
    throw std::length_error(std::string(what) + ": size exceeds BLAS's int");
  return static_cast<int>(v);
}

}  // namespace

void blas_single_thread() {
  const std::lock_guard<std::mutex> lock(blas_mutex());
  set_threads_locked(1);
}

void gemm_serial(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
                 double alpha, const double* a, std::int64_t lda, const double* b, std::int64_t ldb,
                 double beta, double* c, std::int64_t ldc) {
  if (m == 0 || n == 0) return;
  const char ta = trans_a ? 'T' : 'N';
  const char tb = trans_b ? 'T' : 'N';
  const int mi = as_int(m, "gemm"), ni = as_int(n, "gemm"), ki = as_int(k, "gemm");
  const int la = as_int(lda, "gemm"), lb = as_int(ldb, "gemm"), lc = as_int(ldc, "gemm");
  dgemm_(&ta, &tb, &mi, &ni, &ki, &alpha, a, &la, b, &lb, &beta, c, &lc);
}

// Right-looking blocked Cholesky on tiles of kCholeskyTile: for each block column k,
//   L_kk = chol(A_kk)                       (dpotrf, serial),
//   L_ik = A_ik L_kkᵀ⁻¹          for i > k  (dtrsm, one tile per task),
//   A_ij −= L_ik L_jkᵀ           for k < j ≤ i (dgemm, one tile per task).
// The tiles depend on n only and each is one serial BLAS call, so the result is bit-identical
// for any thread count (OpenBLAS's own parallel dpotrf is not: its partition follows the
// thread count). The upper triangle is left with partial sums; only L is meaningful.
bool cholesky_lower_in_place(double* a, std::int64_t n, int threads) {
  if (n <= 0) return true;
  if (n > INT_MAX) throw std::length_error("cholesky_lower_in_place: n exceeds LAPACK's int");
  constexpr std::int64_t tile = kCholeskyTile;
  const int ld = static_cast<int>(n);
  auto at = [&](std::int64_t r, std::int64_t c) { return a + r + c * n; };
  blas_single_thread();
  for (std::int64_t k0 = 0; k0 < n; k0 += tile) {
    const int kb = static_cast<int>(std::min(tile, n - k0));
    int info = 0;
    const char lower = 'L';
    dpotrf_(&lower, &kb, at(k0, k0), &ld, &info);
    if (info < 0) throw std::logic_error("dpotrf: invalid argument");
    if (info > 0) return false;
    const std::int64_t rest = n - k0 - kb;
    if (rest == 0) break;
    const std::int64_t tiles = (rest + tile - 1) / tile;
#pragma omp parallel num_threads(threads) if (threads > 1 && tiles > 1)
    {
#pragma omp for schedule(static)
      for (std::int64_t t = 0; t < tiles; ++t) {
        const std::int64_t i0 = k0 + kb + t * tile;
        const int ib = static_cast<int>(std::min(tile, n - i0));
        const char side = 'R', tr = 'T', diag = 'N';
        const double one = 1.0;
        dtrsm_(&side, &lower, &tr, &diag, &ib, &kb, &one, at(k0, k0), &ld, at(i0, k0), &ld);
      }
      // Lower-triangular tile pairs (ti ≥ tj) of the trailing matrix, in a fixed order.
      const std::int64_t pairs = tiles * (tiles + 1) / 2;
#pragma omp for schedule(dynamic, 1)
      for (std::int64_t p = 0; p < pairs; ++p) {
        std::int64_t ti = 0;
        while ((ti + 1) * (ti + 2) / 2 <= p) ++ti;
        const std::int64_t tj = p - ti * (ti + 1) / 2;
        const std::int64_t i0 = k0 + kb + ti * tile;
        const std::int64_t j0 = k0 + kb + tj * tile;
        const std::int64_t ib = std::min(tile, n - i0);
        const std::int64_t jb = std::min(tile, n - j0);
        gemm_serial(false, true, ib, jb, kb, -1.0, at(i0, k0), n, at(j0, k0), n, 1.0, at(i0, j0),
                    n);
      }
    }
  }
  return true;
}

}  // namespace nnworld::core
