#include "nnworld/core/lapack.hpp"

#include <climits>
#include <mutex>
#include <stdexcept>
#include <string>

extern "C" {
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info);
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

bool cholesky_lower_in_place(double* a, std::int64_t n, int threads) {
  if (n <= 0) return true;
  if (n > INT_MAX) throw std::length_error("cholesky_lower_in_place: n exceeds LAPACK's int");
  // Set the thread count and factorise under one lock, so that a concurrent caller cannot
  // change the count between the two calls; gemm_serial callers get one thread back below.
  const std::lock_guard<std::mutex> lock(blas_mutex());
  set_threads_locked(threads);
  const int ni = static_cast<int>(n);
  int info = 0;
  const char uplo = 'L';
  dpotrf_(&uplo, &ni, a, &ni, &info);
  set_threads_locked(1);
  if (info < 0) throw std::logic_error("dpotrf: invalid argument");
  return info == 0;
}

}  // namespace nnworld::core
