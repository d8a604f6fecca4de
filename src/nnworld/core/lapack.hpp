#pragma once
// The few BLAS/LAPACK routines nnworld takes from OpenBLAS (Debian's libopenblas0-pthread),
// where its kernels beat Eigen's own: the Cholesky factorisation of large matrices, and the
// GEMM micro-kernel of large dense tiles.
#include <cstdint>

namespace nnworld::core {

// Tile size of the blocked Cholesky below.
inline constexpr std::int64_t kCholeskyTile = 256;

// Factorises the symmetric positive-definite n×n column-major matrix `a` (leading dimension
// n) in place as A = L Lᵀ (lower triangle; the strict upper triangle is overwritten with
// scratch) by a tiled right-looking algorithm on `threads` OpenMP threads, each tile one serial
// OpenBLAS call: bit-identical for any thread count. Returns false when A is not positive
// definite.
bool cholesky_lower_in_place(double* a, std::int64_t n, int threads);

// C = α op(A) op(B) + β C (column-major, BLAS dgemm; op = transpose when trans_* is true) on
// ONE OpenBLAS thread, so that it can be called concurrently from OpenMP threads, each on its
// own tile: the caller owns the threading, and a tile's arithmetic does not depend on the thread
// count. m×n result, inner dimension k.
void gemm_serial(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
                 double alpha, const double* a, std::int64_t lda, const double* b, std::int64_t ldb,
                 double beta, double* c, std::int64_t ldc);

// Puts OpenBLAS on one thread (for gemm_serial); call once before a parallel region.
void blas_single_thread();

}  // namespace nnworld::core
