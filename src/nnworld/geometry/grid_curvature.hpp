#pragma once
// Curvature of a metric field sampled on a periodic grid (paper Section 9, Eqs. (89)–(96)).
//
//   const core::Grid grid = geometry::make_periodic_grid({64, 64, 64}, {6.0, 6.0, 6.0});
//   const auto g = geometry::sample_metric(geometry::Metric::user(…), grid);  // n = 4, d = 3
//   const core::Fft fft(grid);
//   const auto c = geometry::grid_curvature(g, fft);
//   c.ricci_scalar[i];  c.kretschmann[i];  c.einstein_component(0, 0)[i];
//   c.integrals.sqrt_g_r;  c.integrals.sqrt_g_l_gamma_gamma;  c.integrals.sqrt_g_l_onsager_printed;
//
// Geometry. The metric g_ab(x) has dimension n = 2..6 and any signature (densities use √|g|).
// It is sampled on a periodic core::Grid over its first d = grid.dims ≤ n coordinates
// (d = 1..3); the remaining n − d coordinates are ignorable (∂ = 0 along them: static or
// homogeneous directions), so a static 4-D metric lives on a 3-D spatial grid. Axis c of the
// grid has period P_c = 2 L_c (core::Grid covers [−L_c, L_c)); the coordinate of grid index i
// is x_c = q_c + L_c ∈ [0, P_c) (for P = 2π this is torus.hpp's torus_point).
//
// Derivatives are spectral (core::Fft); see GridRoute for how R is formed and what the 2/3
// de-aliasing option does. Pointwise quantities come from the point engines: onsager_point
// (onsager.hpp: √|g|, R, L_ΓΓ, L_(91)) and curvature(MetricJet) (curvature.hpp: Ricci,
// Einstein, Kretschmann, R_μν R^μν), fed with the spectral jet of each grid point. Points are
// independent and the FFTs are deterministic, so results are bit-identical for any OpenMP
// thread count.
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "nnworld/core/fft.hpp"
#include "nnworld/core/grid.hpp"
#include "nnworld/geometry/metric.hpp"
#include "nnworld/geometry/torus.hpp"

namespace nnworld::geometry {

// A symmetric n×n metric field on a periodic grid over the first grid.dims coordinates.
// components[component_index(n, a, b)] holds g_ab at every grid point (flat index order),
// n(n+1)/2 arrays, a ≤ b packed row-major (torus.hpp's component_index with this n).
struct GridMetric {
  core::Grid grid;
  int n = 0;  // metric dimension, 2..6, n ≥ grid.dims
  std::vector<std::vector<double>> components;

  [[nodiscard]] int dim() const { return n; }
  [[nodiscard]] int grid_dims() const { return grid.dims; }
  [[nodiscard]] const std::vector<double>& component(int a, int b) const;
  [[nodiscard]] std::vector<double>& component(int a, int b);
};

// Periodic grid with points[c] points and period periods[c] on axis c (d = points.size() in
// 1..3; points ≥ 4, periods > 0, else nnworld::Error).
[[nodiscard]] core::Grid make_periodic_grid(std::span<const std::int64_t> points,
                                            std::span<const double> periods);
[[nodiscard]] inline core::Grid make_periodic_grid(std::initializer_list<std::int64_t> points,
                                                   std::initializer_list<double> periods) {
  return make_periodic_grid(std::span<const std::int64_t>(points.begin(), points.size()),
                            std::span<const double>(periods.begin(), periods.size()));
}

// Coordinates x_c = q_c + L_c ∈ [0, P_c) of flat grid index i (entries ≥ grid.dims are 0).
[[nodiscard]] core::Point grid_coordinates(const core::Grid& grid, std::int64_t i);

// Constant metric g = diag(diagonal) on the grid (n = diagonal.size(), e.g. {−1, 1, 1, 1}).
[[nodiscard]] GridMetric constant_grid_metric(const core::Grid& grid,
                                              std::span<const double> diagonal);

// g_ab of `metric` evaluated (checked: finite, symmetric, non-singular) at every grid point, with
// the grid coordinates as the first grid.dims coordinates and `ignorable` (n − grid.dims values,
// default all 0) as the rest. Sequential (expression metrics are not thread-safe). Throws
// nnworld::Error if grid.dims > n, or `ignorable` has the wrong size, or g fails its checks.
[[nodiscard]] GridMetric sample_metric(const Metric& metric, const core::Grid& grid,
                                       std::span<const double> ignorable = {});

// The same field as a GridMetric (n = d = 2 or 3).
[[nodiscard]] GridMetric grid_metric(const TorusMetric& metric);

// How R and the curvature tensors are formed from the sampled metric.
enum class GridRoute {
  // ∂_c g_ab and ∂_c∂_d g_ab by FFT (exact up to round-off for a band-limited metric, since
  // only the sampled g is differentiated), then every quantity pointwise from that 2-jet.
  metric_jet,
  // spec.md §12 item 6: Γ^a_{bc} = g^{ae}Γ_{ebc} pointwise from the FFT ∂g, ∂_dΓ^a_{bc} by FFT
  // (a pointwise product, so aliased: see `dealias`), then the 2-jet fed to the point engines
  // carries the second derivatives implied by ∂Γ:
  //   ddg[a][b][c][d] ≡ ∂_d(g_{ab,c}) = ∂_dΓ_{abc} + ∂_dΓ_{bac},
  //   ∂_dΓ_{ebc} = g_{ea,d}Γ^a_{bc} + g_{ea}∂_dΓ^a_{bc}
  // (0 when c or d is ignorable). It is not symmetrised in (c, d): both point engines rebuild
  // ∂_dΓ_{ebc} = ½(ddg[e][b][c][d] + ddg[e][c][b][d] − ddg[b][c][e][d]) from it, which returns
  // the FFT ∂Γ above (up to rounding), so R is (96) with spectral ∂Γ.
  christoffel,
};

struct GridCurvatureOptions {
  GridRoute route = GridRoute::metric_jet;
  // 2/3 rule (christoffel route only): before the FFT derivative of each Γ^a_{bc} zero every
  // mode with |m_c| > N_c/3 on some axis c. Ignored by the metric_jet route, which
  // differentiates only the sampled metric (no products).
  bool dealias = false;
  // false: skip the tensors (ricci, einstein, kretschmann, ricci_squared stay empty) and form
  // only √|g|, R, L_ΓΓ, L_(91) and the integrals (about half the cost).
  bool tensors = true;
};

// The integrals over the grid's d-volume Π_c [0, P_c) (trapezoid rule: spectrally accurate
// for periodic fields; the ignorable coordinates are not integrated):
//   ∫√|g| R,  ∫√|g| L_ΓΓ,  ∫√|g| L_(91),  ∫√|g|.
// (92) corrected: ∫√|g| R = ∫√|g| L_ΓΓ (the divergence ∂_μ(√|g| w^μ) integrates to zero on the
// periodic grid); the printed (91) integral differs at O(1) (spec §8).
struct GridIntegrals {
  double sqrt_g_r = 0.0;
  double sqrt_g_l_gamma_gamma = 0.0;
  double sqrt_g_l_onsager_printed = 0.0;
  double volume = 0.0;
};

// Per-point fields (flat grid index order) and their integrals.
struct GridCurvature {
  core::Grid grid;
  int n = 0;
  std::vector<double> sqrt_g;        // √|det g|
  std::vector<double> ricci_scalar;  // R = g^{μν}R_μν, (96)
  std::vector<double> l_gamma_gamma;  // L_ΓΓ = g^{μν}(Γ^α_{μβ}Γ^β_{να} − Γ^α_{μν}Γ^β_{αβ})
  std::vector<double> l_onsager_printed;  // L_(91) = ¼(2I₄ − I₁ − I₂), paper (91)
  // With options.tensors only (else empty):
  std::vector<double> kretschmann;            // R_{αβγδ}R^{αβγδ}
  std::vector<double> ricci_squared;          // R_μν R^μν
  std::vector<std::vector<double>> ricci;     // R_ab, [component_index(n, a, b)][point]
  std::vector<std::vector<double>> einstein;  // G_ab = R_ab − ½R g_ab, same packing
  GridIntegrals integrals;

  [[nodiscard]] const std::vector<double>& ricci_component(int a, int b) const;
  [[nodiscard]] const std::vector<double>& einstein_component(int a, int b) const;
};

// Everything above for `metric` on fft.grid() (which must equal metric.grid). R is
// curvature(jet).scalar with options.tensors and onsager_point(jet).ricci_scalar without (the
// two agree to round-off). Threads: OpenMP over grid points. Throws nnworld::Error for a
// malformed metric (n outside 2..6, grid.dims > n, wrong component count or sizes, grid
// mismatch) or a singular g at some point; nnworld::Divergence if a result is not finite.
[[nodiscard]] GridCurvature grid_curvature(const GridMetric& metric, const core::Fft& fft,
                                           const GridCurvatureOptions& options = {});

// The integrals only, from the per-point fields.
[[nodiscard]] GridIntegrals grid_integrals(const GridCurvature& fields);

}  // namespace nnworld::geometry
