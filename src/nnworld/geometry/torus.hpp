#pragma once
// Sec. 9, Eqs. (89)–(92) on a torus: a Riemannian metric sampled on a periodic grid, its
// spectral derivatives, and the integrals ∫√g R, ∫√g L_ΓΓ and ∫√g L_(91) (no boundary terms).
//
//   const core::Grid grid = geometry::make_torus_grid(3, 32);   // [0, 2π)³, 32³ points
//   const core::Fft fft(grid);
//   const auto g = geometry::random_cosine_metric(grid, 0.25, /*seed=*/7);
//   const auto a = geometry::torus_actions(g, fft);   // a.sqrt_g_r, a.sqrt_g_l_gamma_gamma, …
//
// Coordinates: core::Grid covers [−π, π)^n; the torus coordinate is x_a = q_a + π ∈ [0, 2π)
// (every formula here is translation invariant, the shift only fixes what "cos(k·x + φ)" means).
#include <cstdint>
#include <span>
#include <vector>

#include "nnworld/core/fft.hpp"
#include "nnworld/core/grid.hpp"

namespace nnworld::geometry {

// A symmetric metric field g_ab(x) on the n-torus (n = 2 or 3). Components are stored packed,
// one grid array per a ≤ b (component_index).
struct TorusMetric {
  core::Grid grid;
  std::vector<std::vector<double>> components;

  [[nodiscard]] int dim() const { return grid.dims; }
  [[nodiscard]] const std::vector<double>& component(int a, int b) const;
  [[nodiscard]] std::vector<double>& component(int a, int b);
};

// Packed index of (a, b) (order-independent): row-major upper triangle, n(n+1)/2 entries.
[[nodiscard]] int component_index(int n, int a, int b);

// Periodic grid with `points` points per axis on [0, 2π)^n (core::Grid on [−π, π)^n).
// Throws nnworld::Error unless n ∈ {2, 3} and points ≥ 4.
[[nodiscard]] core::Grid make_torus_grid(int n, std::int64_t points);

// The torus coordinate x_a = q_a + π ∈ [0, 2π) of flat index i.
[[nodiscard]] core::Point torus_point(const core::Grid& grid, std::int64_t i);

// Flat metric δ_ab.
[[nodiscard]] TorusMetric flat_metric(const core::Grid& grid);

// Spec T9.2: g_ab = δ_ab + ε h_ab with h_ab = ½ Σ_{i=1}^{modes} c_i cos(k_i·x + φ_i), c_i standard
// normal, k_i integer with components uniform in [−k_max, k_max], φ_i uniform in [0, 2π); one
// independent set per a ≤ b, drawn from core::RngStream(seed, user). Band-limited: |k_a| ≤ k_max.
// Throws nnworld::Error if the minimum eigenvalue of g over the grid is ≤ min_eigenvalue.
[[nodiscard]] TorusMetric random_cosine_metric(const core::Grid& grid, double epsilon,
                                               std::uint64_t seed, int modes = 4, int k_max = 2,
                                               double min_eigenvalue = 0.05);

// Conformally flat metric g_ab = e^{2φ} δ_ab from φ sampled on the grid.
[[nodiscard]] TorusMetric conformal_metric(const core::Grid& grid, std::span<const double> phi);

// Smallest eigenvalue of g_ab over all grid points (closed form for n = 2, Eigen for n = 3).
[[nodiscard]] double min_metric_eigenvalue(const TorusMetric& metric);

// How R is formed from the sampled metric.
enum class RicciRoute {
  // ∂_c g_ab and ∂_c∂_d g_ab by FFT, then R pointwise from the 2-jet (geometry::onsager_point).
  // Exact up to round-off for a band-limited metric.
  metric_jet,
  // Γ^a_{bc} pointwise from FFT ∂g, then ∂_dΓ^a_{bc} by FFT (spec.md §12 item 6), R from (96).
  christoffel,
};

struct TorusOptions {
  RicciRoute ricci_route = RicciRoute::metric_jet;
  // 2/3 rule: before each FFT derivative of a pointwise product (Γ, in the christoffel route)
  // zero every mode with |m_a| > N_a/3 on some axis. Ignored for the metric_jet route, which
  // differentiates only the sampled metric.
  bool dealias = false;
};

// ∂_c g_ab by FFT: first[component_index(n,a,b)][c]. second[component_index(n,a,b)][c][d] =
// ∂_c∂_d g_ab (filled only when `second_order`).
struct TorusMetricDerivatives {
  std::vector<std::vector<std::vector<double>>> first;
  std::vector<std::vector<std::vector<std::vector<double>>>> second;
};
[[nodiscard]] TorusMetricDerivatives metric_derivatives(const TorusMetric& metric,
                                                        const core::Fft& fft, bool second_order);

// Pointwise integrands (89)–(92) on the grid (flat index order).
struct TorusFields {
  std::vector<double> sqrt_g;        // √det g
  std::vector<double> ricci_scalar;  // R, (96)
  std::vector<double> l_gamma_gamma;  // g^{μν}(Γ^α_{μβ}Γ^β_{να} − Γ^α_{μν}Γ^β_{αβ})
  std::vector<double> l_gamma_gamma_invariants;  // ¼(2I₄ − I₁ + I₂ − 2I₃)
  std::vector<double> l_onsager_printed;         // ¼(2I₄ − I₁ − I₂), paper (91)
};
[[nodiscard]] TorusFields torus_fields(const TorusMetric& metric, const core::Fft& fft,
                                       const TorusOptions& options = {});

// The integrals (trapezoid rule, spectrally accurate on the torus):
//   ∫√g R,  ∫√g L_ΓΓ,  ∫√g ¼(2I₄ − I₁ + I₂ − 2I₃),  ∫√g L_(91),  ∫√g (volume).
// (92) corrected: ∫√g R = ∫√g L_ΓΓ on the torus; the printed (91) integral differs at O(1).
struct TorusActions {
  double sqrt_g_r = 0.0;
  double sqrt_g_l_gamma_gamma = 0.0;
  double sqrt_g_l_gamma_gamma_invariants = 0.0;
  double sqrt_g_l_onsager_printed = 0.0;
  double volume = 0.0;
};
[[nodiscard]] TorusActions torus_actions(const TorusFields& fields, const core::Grid& grid);
[[nodiscard]] TorusActions torus_actions(const TorusMetric& metric, const core::Fft& fft,
                                         const TorusOptions& options = {});

}  // namespace nnworld::geometry
