#pragma once
// Loop kernels of the state map (1): out = f(w x + b) for the three weight layouts, for one
// state or a batch (columns), templated on the activation evaluator E (Linear gives the
// preactivation w x + b). Callers dispatch on layout and activation once per call.
//
// Threads: omp_get_max_threads(). The work is cut into chunks whose sizes depend only on the
// problem (never on the thread count), and every output element is computed inside one chunk by
// a fixed sequence of operations, so results are bit-identical for any number of threads.
//   dense, one state:   GEMV on row chunks of 64 rows, then + b and f on the chunk;
//   dense, a batch:     GEMM on tiles (rows depend on N only) × 256 columns, then f on the tile
//                       (Eigen's kernel below N = 256, OpenBLAS dgemm on one thread above);
//   sparse (CSR):       row blocks; row dot product (four partial sums), then + b, then f;
//   sparse, a batch:    16 columns at a time through a row-major copy (contiguous gathers);
//   permutation:        out_i = value_i x_{source_i} + b_i on blocks of 512 rows (gathers
//                       prefetched ahead), then f on the block.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "nnworld/core/lapack.hpp"
#include "nnworld/network/network.hpp"

namespace nnworld::network::kernels {

inline constexpr std::int64_t gemv_rows = 64;        // dense rows per chunk (one state)
inline constexpr std::int64_t gemm_cols = 256;       // dense columns per tile (batch)
inline constexpr std::int64_t block_rows = 1024;     // rows per chunk (sparse)
inline constexpr std::int64_t perm_rows = 512;       // rows per chunk (permutation)
inline constexpr std::int64_t perm_prefetch = 128;   // gather prefetch distance (rows)
inline constexpr std::int64_t spmm_width = 16;       // batch columns per sparse pass
inline constexpr double min_parallel_work = 131072;  // multiply–adds below which one thread runs
inline constexpr std::int64_t blas_gemm_from = 256;  // N from which batch tiles use OpenBLAS

inline int threads_for(double work) {
  return work < min_parallel_work ? 1 : omp_get_max_threads();
}

// Rows per dense GEMM tile: a function of N only (about N/8, in [128, 1024], multiple of 64).
inline std::int64_t gemm_rows(std::int64_t n) {
  return std::clamp<std::int64_t>((n / 8 + 63) / 64 * 64, 128, 1024);
}

inline std::int64_t chunks(std::int64_t n, std::int64_t size) {
  return (n + size - 1) / size;
}

// Raw CSR view (compressed or not).
struct Csr {
  explicit Csr(const SparseWeights& w)
      : outer(w.outerIndexPtr()),
        nnz(w.innerNonZeroPtr()),
        inner(w.innerIndexPtr()),
        value(w.valuePtr()) {}
  [[nodiscard]] std::int64_t begin(std::int64_t i) const { return outer[i]; }
  [[nodiscard]] std::int64_t end(std::int64_t i) const {
    return nnz != nullptr ? outer[i] + nnz[i] : outer[i + 1];
  }
  const std::int32_t* outer;
  const std::int32_t* nnz;
  const std::int32_t* inner;
  const double* value;
};

template <class E>
inline void apply_f(double* y, std::int64_t n) {
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) y[i] = E::f(y[i]);
}

// ---- one state ----------------------------------------------------------------------------

template <class E>
void map_single(const DenseWeights& w, const Vector& b, const double* x, double* out) {
  const std::int64_t n = b.size();
  const Eigen::Map<const Vector> xv(x, n);
  const std::int64_t tasks = chunks(n, gemv_rows);
  const int nt = threads_for(static_cast<double>(n) * static_cast<double>(n));
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (std::int64_t t = 0; t < tasks; ++t) {
    const std::int64_t r0 = t * gemv_rows;
    const std::int64_t len = std::min(gemv_rows, n - r0);
    Eigen::Map<Vector> o(out + r0, len);
    o = b.segment(r0, len);
    o.noalias() += w.middleRows(r0, len) * xv;
    apply_f<E>(out + r0, len);
  }
}

// Row dot product of CSR row i with x (explicit fma, so no compiler contraction choice can
// change the bits): four partial sums over k ≡ 0, 1, 2, 3 (mod 4) from the
// row start, the remainder into the first, combined as (s0 + s1) + (s2 + s3). The batch kernel
// repeats this sequence per column, so a batch column equals the single-state result bitwise.
inline double csr_row_dot(const Csr& c, std::int64_t i, const double* x) {
  double s0 = 0.0;
  double s1 = 0.0;
  double s2 = 0.0;
  double s3 = 0.0;
  std::int64_t k = c.begin(i);
  const std::int64_t k1 = c.end(i);
  for (; k + 4 <= k1; k += 4) {
    s0 = std::fma(c.value[k], x[c.inner[k]], s0);
    s1 = std::fma(c.value[k + 1], x[c.inner[k + 1]], s1);
    s2 = std::fma(c.value[k + 2], x[c.inner[k + 2]], s2);
    s3 = std::fma(c.value[k + 3], x[c.inner[k + 3]], s3);
  }
  for (; k < k1; ++k) s0 = std::fma(c.value[k], x[c.inner[k]], s0);
  return (s0 + s1) + (s2 + s3);
}

template <class E>
void map_single(const SparseWeights& w, const Vector& b, const double* x, double* out) {
  const std::int64_t n = b.size();
  const Csr c(w);
  const double* bp = b.data();
  const std::int64_t tasks = chunks(n, block_rows);
  const int nt = threads_for(static_cast<double>(w.nonZeros()) + static_cast<double>(n));
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (std::int64_t t = 0; t < tasks; ++t) {
    const std::int64_t r0 = t * block_rows;
    const std::int64_t r1 = std::min(n, r0 + block_rows);
    for (std::int64_t i = r0; i < r1; ++i) out[i] = csr_row_dot(c, i, x) + bp[i];
    apply_f<E>(out + r0, r1 - r0);
  }
}

// out_i = f(v_i x_{src_i} + b_i) for i in [r0, r1): the gathers first (with a prefetch of the
// gather target `perm_prefetch` rows ahead, which hides the latency of random permutations),
// then f over the block while it is in L1.
template <class E>
inline void permutation_block(const std::int32_t* src, const double* v, const double* bp,
                              const double* x, double* out, std::int64_t r0, std::int64_t r1,
                              std::int64_t n) {
  const std::int64_t pf_end = std::min(r1, n - perm_prefetch);
  std::int64_t i = r0;
  for (; i < pf_end; ++i) {
    __builtin_prefetch(x + src[i + perm_prefetch]);
    out[i] = std::fma(v[i], x[src[i]], bp[i]);
  }
  for (; i < r1; ++i) out[i] = std::fma(v[i], x[src[i]], bp[i]);
  apply_f<E>(out + r0, r1 - r0);
}

template <class E>
void map_single(const PermutationWeights& w, const Vector& b, const double* x, double* out) {
  const std::int64_t n = b.size();
  const std::int64_t tasks = chunks(n, perm_rows);
  const int nt = threads_for(4.0 * static_cast<double>(n));
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (std::int64_t t = 0; t < tasks; ++t) {
    const std::int64_t r0 = t * perm_rows;
    permutation_block<E>(w.source.data(), w.value.data(), b.data(), x, out, r0,
                         std::min(n, r0 + perm_rows), n);
  }
}

// ---- a batch of states (columns) ------------------------------------------------------------

template <class E>
void map_batch(const DenseWeights& w, const Vector& b, const Matrix& x, Matrix& out) {
  const std::int64_t n = b.size();
  const std::int64_t cols = x.cols();
  if (cols == 1) {
    map_single<E>(w, b, x.data(), out.data());
    return;
  }
  const std::int64_t rows = gemm_rows(n);
  const std::int64_t row_tiles = chunks(n, rows);
  const std::int64_t tasks = row_tiles * chunks(cols, gemm_cols);
  const int nt =
      threads_for(static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(cols));
  // From N = blas_gemm_from on, each tile's product runs in OpenBLAS's dgemm (one thread per
  // tile; 1.1–1.3× Eigen's kernel, bench/RESULTS.md), below it in Eigen's. Fixed by N alone.
  const bool blas = n >= blas_gemm_from;
  if (blas) core::blas_single_thread();
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (std::int64_t t = 0; t < tasks; ++t) {
    const std::int64_t r0 = (t % row_tiles) * rows;
    const std::int64_t c0 = (t / row_tiles) * gemm_cols;
    const std::int64_t rl = std::min(rows, n - r0);
    const std::int64_t cl = std::min(gemm_cols, cols - c0);
    auto dst = out.block(r0, c0, rl, cl);
    dst.colwise() = b.segment(r0, rl);
    if (blas) {
      // Row-major w rows r0.. are the column-major (N × rl) matrix wᵀ: op = transpose.
      core::gemm_serial(true, false, rl, cl, n, 1.0, w.data() + r0 * n, n, &x(0, c0), x.rows(), 1.0,
                        &out(r0, c0), out.rows());
    } else {
      dst.noalias() += w.middleRows(r0, rl) * x.middleCols(c0, cl);
    }
    for (std::int64_t j = 0; j < cl; ++j) apply_f<E>(&out(r0, c0 + j), rl);
  }
}

template <class E>
void map_batch(const SparseWeights& w, const Vector& b, const Matrix& x, Matrix& out) {
  const std::int64_t n = b.size();
  const std::int64_t cols = x.cols();
  if (cols == 1) {
    map_single<E>(w, b, x.data(), out.data());
    return;
  }
  constexpr std::int64_t width = spmm_width;
  const Csr c(w);
  const double* bp = b.data();
  // Row-major copy of `width` columns: the gather of row j of x is one contiguous read.
  Eigen::Matrix<double, Eigen::Dynamic, width, Eigen::RowMajor> xt(n, width);
  double* xtp = xt.data();
  const std::int64_t tasks = chunks(n, block_rows);
  const int nt = threads_for(static_cast<double>(w.nonZeros()) * static_cast<double>(cols));
  for (std::int64_t c0 = 0; c0 < cols; c0 += width) {
    const std::int64_t cw = std::min(width, cols - c0);
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
#pragma omp for schedule(static)
      for (std::int64_t t = 0; t < tasks; ++t) {
        const std::int64_t r1 = std::min(n, (t + 1) * block_rows);
        for (std::int64_t j = 0; j < cw; ++j) {
          const double* xc = &x(0, c0 + j);
          for (std::int64_t i = t * block_rows; i < r1; ++i) xtp[i * width + j] = xc[i];
        }
        for (std::int64_t j = cw; j < width; ++j) {  // unused lanes of the last pass
          for (std::int64_t i = t * block_rows; i < r1; ++i) xtp[i * width + j] = 0.0;
        }
      }
#pragma omp for schedule(static)
      for (std::int64_t t = 0; t < tasks; ++t) {
        const std::int64_t r0 = t * block_rows;
        const std::int64_t r1 = std::min(n, r0 + block_rows);
        for (std::int64_t i = r0; i < r1; ++i) {
          // The sequence of csr_row_dot, one lane per column.
          double s0[width] = {};
          double s1[width] = {};
          double s2[width] = {};
          double s3[width] = {};
          std::int64_t k = c.begin(i);
          const std::int64_t k1 = c.end(i);
          const auto row = [&](std::int64_t kk) {
            return xtp + static_cast<std::int64_t>(c.inner[kk]) * width;
          };
          for (; k + 4 <= k1; k += 4) {
            const double v0 = c.value[k];
            const double v1 = c.value[k + 1];
            const double v2 = c.value[k + 2];
            const double v3 = c.value[k + 3];
            const double* x0 = row(k);
            const double* x1 = row(k + 1);
            const double* x2 = row(k + 2);
            const double* x3 = row(k + 3);
#pragma omp simd
            for (std::int64_t j = 0; j < width; ++j) {
              s0[j] = std::fma(v0, x0[j], s0[j]);
              s1[j] = std::fma(v1, x1[j], s1[j]);
              s2[j] = std::fma(v2, x2[j], s2[j]);
              s3[j] = std::fma(v3, x3[j], s3[j]);
            }
          }
          for (; k < k1; ++k) {
            const double v0 = c.value[k];
            const double* x0 = row(k);
#pragma omp simd
            for (std::int64_t j = 0; j < width; ++j) s0[j] = std::fma(v0, x0[j], s0[j]);
          }
          for (std::int64_t j = 0; j < cw; ++j) {
            out(i, c0 + j) = ((s0[j] + s1[j]) + (s2[j] + s3[j])) + bp[i];
          }
        }
        for (std::int64_t j = 0; j < cw; ++j) apply_f<E>(&out(r0, c0 + j), r1 - r0);
      }
    }
  }
}

template <class E>
void map_batch(const PermutationWeights& w, const Vector& b, const Matrix& x, Matrix& out) {
  const std::int64_t n = b.size();
  const std::int64_t cols = x.cols();
  const std::int64_t blocks = chunks(n, perm_rows);
  const std::int64_t tasks = blocks * cols;
  const int nt = threads_for(4.0 * static_cast<double>(n) * static_cast<double>(cols));
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (std::int64_t t = 0; t < tasks; ++t) {
    const std::int64_t j = t / blocks;
    const std::int64_t r0 = (t % blocks) * perm_rows;
    permutation_block<E>(w.source.data(), w.value.data(), b.data(), &x(0, j), &out(0, j), r0,
                         std::min(n, r0 + perm_rows), n);
  }
}

// ---- a batch of states stored neuron-major (rows) ------------------------------------------

// out(i, ·) = f(v_i x(src_i, ·) + b_i) for rows i in [r0, r1) of width d: the row gathers (each
// prefetched `perm_prefetch` rows ahead, every cache line of it), then f over the block. The same
// fma and f per element as permutation_block, so the same bits as the column layout.
template <class E>
inline void permutation_rows_block(const std::int32_t* src, const double* v, const double* bp,
                                   const double* x, double* out, std::int64_t r0, std::int64_t r1,
                                   std::int64_t n, std::int64_t d) {
  const std::int64_t pf_end = std::min(r1, n - perm_prefetch);
  for (std::int64_t i = r0; i < r1; ++i) {
    if (i < pf_end) {
      const double* ahead = x + static_cast<std::int64_t>(src[i + perm_prefetch]) * d;
      for (std::int64_t k = 0; k < d; k += 8) __builtin_prefetch(ahead + k);
    }
    const double* xs = x + static_cast<std::int64_t>(src[i]) * d;
    double* o = out + i * d;
    const double vi = v[i];
    const double bi = bp[i];
#pragma omp simd
    for (std::int64_t j = 0; j < d; ++j) o[j] = std::fma(vi, xs[j], bi);
  }
  apply_f<E>(out + r0 * d, (r1 - r0) * d);
}

template <class E>
void map_rows(const PermutationWeights& w, const Vector& b, const RowMatrix& x, RowMatrix& out) {
  const std::int64_t n = b.size();
  const std::int64_t d = x.cols();
  const std::int64_t tasks = chunks(n, perm_rows);
  const int nt = threads_for(4.0 * static_cast<double>(n) * static_cast<double>(d));
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (std::int64_t t = 0; t < tasks; ++t) {
    const std::int64_t r0 = t * perm_rows;
    permutation_rows_block<E>(w.source.data(), w.value.data(), b.data(), x.data(), out.data(), r0,
                              std::min(n, r0 + perm_rows), n, d);
  }
}

// ---- wᵀ v -----------------------------------------------------------------------------------

inline void transpose_times(const DenseWeights& w, const double* v, double* out) {
  const std::int64_t rows = w.rows();
  const std::int64_t cols = w.cols();
  const Eigen::Map<const Vector> vv(v, rows);
  const std::int64_t tasks = chunks(cols, gemv_rows);
  const int nt = threads_for(static_cast<double>(rows) * static_cast<double>(cols));
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (std::int64_t t = 0; t < tasks; ++t) {
    const std::int64_t c0 = t * gemv_rows;
    const std::int64_t len = std::min(gemv_rows, cols - c0);
    Eigen::Map<Vector>(out + c0, len).noalias() = w.middleCols(c0, len).transpose() * vv;
  }
}

// Scatter in row order (serial: the sums into each out_j keep one order).
inline void transpose_times(const SparseWeights& w, const double* v, double* out) {
  const Csr c(w);
  std::fill(out, out + w.cols(), 0.0);
  for (std::int64_t i = 0; i < w.rows(); ++i) {
    const double vi = v[i];
    for (std::int64_t k = c.begin(i); k < c.end(i); ++k) out[c.inner[k]] += c.value[k] * vi;
  }
}

inline void transpose_times(const PermutationWeights& w, const double* v, double* out) {
  const std::int64_t n = w.size();
  const std::int32_t* src = w.source.data();
  const double* val = w.value.data();
  const int nt = threads_for(static_cast<double>(n));
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (std::int64_t i = 0; i < n; ++i) out[src[i]] = val[i] * v[i];
}

}  // namespace nnworld::network::kernels
