#include "nnworld/core/lapack.hpp"

#include <climits>
#include <mutex>
#include <stdexcept>

extern "C" {
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info);
void openblas_set_num_threads(int num_threads);
}

namespace nnworld::core {

bool cholesky_lower_in_place(double* a, std::int64_t n, int threads) {
  if (n <= 0) return true;
  if (n > INT_MAX) throw std::length_error("cholesky_lower_in_place: n exceeds LAPACK's int");
  // OpenBLAS keeps one global thread count: set it and factorise under one lock, so that
  // concurrent callers cannot change it between the two calls.
  static std::mutex mutex;
  const std::lock_guard<std::mutex> lock(mutex);
  openblas_set_num_threads(threads < 1 ? 1 : threads);
  const int ni = static_cast<int>(n);
  int info = 0;
  const char uplo = 'L';
  dpotrf_(&uplo, &ni, a, &ni, &info);
  if (info < 0) throw std::logic_error("dpotrf: invalid argument");
  return info == 0;
}

}  // namespace nnworld::core
