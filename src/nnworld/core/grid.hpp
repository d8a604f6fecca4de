#pragma once
// Uniform grids in q-space (K = 1, 2, 3 axes) and the finite-difference derivatives on them.
//
//   core::Grid g = core::make_grid({256, 256}, {10.0, 10.0}, core::Boundary::periodic);
//   std::vector<double> f(g.size());            // row-major: the last axis runs fastest
//   g.for_each([&](std::int64_t i, const core::Point& q) { f[i] = std::exp(-q[0] * q[0]); });
//   auto lap = core::fd_laplacian(g, f, 4);      // 4th-order central differences
//
// Axis a covers [−L_a, L_a) with n_a points q_{a,i} = −L_a + i h_a, h_a = 2L_a / n_a. For
// periodic boundaries q_{a,n_a} ≡ q_{a,0}; for box boundaries the field is taken as zero
// outside the grid (Dirichlet walls at q = −L_a − h_a and q = L_a).
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace nnworld::core {

enum class Boundary { periodic, box };

[[nodiscard]] const char* boundary_name(Boundary b);

using Point = std::array<double, 3>;  // q1, q2, q3 (unused axes are 0)

struct Grid {
  int dims = 1;                                 // K
  std::array<std::int64_t, 3> points{1, 1, 1};  // n_a (1 for unused axes)
  std::array<double, 3> extent{1.0, 1.0, 1.0};  // L_a: axis a covers [−L_a, L_a)
  Boundary boundary = Boundary::periodic;

  [[nodiscard]] std::int64_t size() const { return points[0] * points[1] * points[2]; }
  [[nodiscard]] double spacing(int a) const {
    return 2.0 * extent[a] / static_cast<double>(points[a]);
  }
  [[nodiscard]] double coordinate(int a, std::int64_t i) const {
    return -extent[a] + static_cast<double>(i) * spacing(a);
  }
  // Volume element h_1 ⋯ h_K of the quadrature ∫ d^K q ≈ Σ_i (·) cell_volume().
  [[nodiscard]] double cell_volume() const;
  // Stride of axis a in the row-major layout (axis dims−1 has stride 1).
  [[nodiscard]] std::int64_t stride(int a) const;
  // Multi-index of flat index i.
  [[nodiscard]] std::array<std::int64_t, 3> unflatten(std::int64_t i) const;
  [[nodiscard]] Point point(std::int64_t i) const;
  // Calls fn(i, q) for every grid point in order.
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (std::int64_t i = 0; i < size(); ++i) fn(i, point(i));
  }
  // Angular wavenumbers of axis a in FFT order: k_m = π m / L_a, m = 0..n/2−1, −n/2..−1.
  [[nodiscard]] std::vector<double> wavenumbers(int a) const;
  // "256×256 on [−10, 10)², periodic"
  [[nodiscard]] std::string describe() const;
};

// Checks the shape (1 ≤ K ≤ 3, n_a ≥ 4, L_a > 0) and throws std::invalid_argument otherwise.
[[nodiscard]] Grid make_grid(std::span<const std::int64_t> points, std::span<const double> extent,
                             Boundary boundary);
[[nodiscard]] inline Grid make_grid(std::initializer_list<std::int64_t> points,
                                    std::initializer_list<double> extent, Boundary boundary) {
  return make_grid(std::span<const std::int64_t>(points.begin(), points.size()),
                   std::span<const double>(extent.begin(), extent.size()), boundary);
}

// ∫ f d^K q ≈ Σ f_i h_1⋯h_K (the trapezoid rule: spectrally accurate for smooth periodic f).
[[nodiscard]] double integrate(const Grid& g, std::span<const double> f);

// Central finite differences of order 2 or 4 (order 4 needs n_a ≥ 5):
// ∂f/∂q_a, and the Laplacian Σ_a ∂²f/∂q_a². Box boundaries use zero ghost values.
[[nodiscard]] std::vector<double> fd_derivative(const Grid& g, std::span<const double> f, int axis,
                                                int order = 2);
[[nodiscard]] std::vector<double> fd_laplacian(const Grid& g, std::span<const double> f,
                                               int order = 2);

}  // namespace nnworld::core
