#pragma once
// The few LAPACK routines nnworld takes from OpenBLAS (Debian's libopenblas0-pthread), where
// its blocked, AVX-512 kernels beat Eigen's own: the Cholesky factorisation of large matrices.
#include <cstdint>

namespace nnworld::core {

// Factorises the symmetric positive-definite n×n column-major matrix `a` (leading dimension
// n) in place as A = L Lᵀ, lower triangle, with OpenBLAS dpotrf on `threads` threads.
// Returns false when A is not positive definite (LAPACK info > 0).
bool cholesky_lower_in_place(double* a, std::int64_t n, int threads);

}  // namespace nnworld::core
