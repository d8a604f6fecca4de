// Google Benchmark rows of the curvature engines (paper Section 9, Eqs. (93)–(96)): Christoffel
// symbols, Riemann, Ricci, R, Kretschmann and R_μν R^μν at many points. The rows, sizes and
// fields are the same as in bench/peers/numpy_geometry.py (NumPy), so bench/run.py prints the
// two side by side; bench/RESULTS.md explains them.
//
//   curvature/schwarzschild/points:N       geometry::curvature_at_points on
//                                          Metric::schwarzschild(1) (closed form), 4th-order
//                                          central differences at h = 1e-3 (65 evaluations of
//                                          g per point), the invariants of N points
//   curvature/schwarzschild_expr/points:N  the same metric typed as a user expression metric
//                                          (muParser, 16 expressions per evaluation)
//   grid_curvature/static4d/n:64           geometry::grid_curvature (spectral 2-jet by FFT, then
//                                          the point engine) of a static 4-D metric sampled on a
//                                          64³ grid over (x, y, z) ∈ [0, 2π)³, t ignorable
//
// Points (both sides): point i of N has t = 0, r = 3 + 7(i + ½)/N, θ = 0.3 + 2.5·frac(0.618034 i),
// φ = 2π·frac(0.414214 i). Counters check_sum_R, check_sum_K, check_sum_Ric2 are Σ_i R, Σ_i K,
// Σ_i R_μν R^μν over all points (run.py compares them with the peer's). No byte or flop model
// (the rows are compute-bound and their flop counts depend on the formulation).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "nnworld/core/fft.hpp"
#include "nnworld/geometry/curvature.hpp"
#include "nnworld/geometry/grid_curvature.hpp"
#include "nnworld/geometry/metric.hpp"
#include "nnworld/geometry/torus.hpp"

void add_geometry_rows();

namespace {

namespace geo = nnworld::geometry;

constexpr std::int64_t curvature_points = 1'000'000;
constexpr std::int64_t grid_points = 64;

std::vector<double> schwarzschild_points(std::int64_t n) {
  std::vector<double> p(static_cast<std::size_t>(4 * n));
  for (std::int64_t i = 0; i < n; ++i) {
    const double di = static_cast<double>(i);
    double* x = p.data() + 4 * i;
    x[0] = 0.0;
    x[1] = 3.0 + 7.0 * (di + 0.5) / static_cast<double>(n);
    x[2] = 0.3 + 2.5 * (0.618034 * di - std::floor(0.618034 * di));
    x[3] = 2.0 * std::numbers::pi * (0.414214 * di - std::floor(0.414214 * di));
  }
  return p;
}

void set_counters(benchmark::State& state, double sum_r, double sum_k, double sum_ric2) {
  state.counters["bytes_model"] = 0.0;
  state.counters["flop_model"] = 0.0;
  state.counters["threads"] = omp_get_max_threads();
  state.counters["check_sum_R"] = sum_r;
  state.counters["check_sum_K"] = sum_k;
  state.counters["check_sum_Ric2"] = sum_ric2;
}

void point_row(benchmark::State& state, bool typed) {
  static const std::vector<double> points = schwarzschild_points(curvature_points);
  const geo::Metric g = typed ? geo::Metric::user({"t", "r", "theta", "phi"},
                                                  {{"-(1-2*M/r)", "0", "0", "0"},
                                                   {"0", "1/(1-2*M/r)", "0", "0"},
                                                   {"0", "0", "r^2", "0"},
                                                   {"0", "0", "0", "r^2*sin(theta)^2"}},
                                                  {{"M", 1.0}})
                              : geo::Metric::schwarzschild(1.0);
  geo::FiniteDifference fd;
  fd.method = geo::FiniteDifference::Method::central4;
  fd.step = 1e-3;
  std::vector<geo::CurvatureScalars> out;
  for (auto _ : state) {
    out = geo::curvature_at_points(g, points, fd, omp_get_max_threads());
    benchmark::DoNotOptimize(out.data());
  }
  double r = 0.0, k = 0.0, q = 0.0;
  for (const auto& s : out) {
    r += s.scalar;
    k += s.kretschmann;
    q += s.ricci_squared;
  }
  set_counters(state, r, k, q);
}

// The static 4-D field, coordinates (x, y, z, t), band-limited (|k| ≤ 2 on every axis):
//   g_xx = 1 + 0.1 sin z,  g_xy = 0.05 cos z,  g_xz = 0.03 sin 2y,  g_yy = 1 + 0.1 cos x,
//   g_zz = 1.2 + 0.1 sin(x + y),  g_tt = −(1 + 0.2 cos x cos y),  the rest 0.
geo::GridMetric static_field(std::int64_t n) {
  const double period = 2.0 * std::numbers::pi;
  geo::GridMetric m;
  m.grid = geo::make_periodic_grid({n, n, n}, {period, period, period});
  m.n = 4;
  m.components.assign(10, std::vector<double>(static_cast<std::size_t>(m.grid.size()), 0.0));
  for (std::int64_t i = 0; i < m.grid.size(); ++i) {
    const auto p = geo::grid_coordinates(m.grid, i);
    const double x = p[0], y = p[1], z = p[2];
    const auto u = static_cast<std::size_t>(i);
    m.component(0, 0)[u] = 1.0 + 0.1 * std::sin(z);
    m.component(0, 1)[u] = 0.05 * std::cos(z);
    m.component(0, 2)[u] = 0.03 * std::sin(2.0 * y);
    m.component(1, 1)[u] = 1.0 + 0.1 * std::cos(x);
    m.component(2, 2)[u] = 1.2 + 0.1 * std::sin(x + y);
    m.component(3, 3)[u] = -(1.0 + 0.2 * std::cos(x) * std::cos(y));
  }
  return m;
}

void grid_row(benchmark::State& state) {
  static const geo::GridMetric g = static_field(grid_points);
  static const auto fft = std::make_unique<nnworld::core::Fft>(g.grid);
  geo::GridCurvature c;
  for (auto _ : state) {
    c = geo::grid_curvature(g, *fft);
    benchmark::DoNotOptimize(c.ricci_scalar.data());
  }
  double r = 0.0, k = 0.0, q = 0.0;
  for (std::size_t i = 0; i < c.ricci_scalar.size(); ++i) {
    r += c.ricci_scalar[i];
    k += c.kretschmann[i];
    q += c.ricci_squared[i];
  }
  set_counters(state, r, k, q);
}

}  // namespace

void add_geometry_rows() {
  const std::string n = std::to_string(curvature_points);
  benchmark::RegisterBenchmark(("curvature/schwarzschild/points:" + n).c_str(),
                               [](benchmark::State& s) { point_row(s, false); })
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("curvature/schwarzschild_expr/points:" + n).c_str(),
                               [](benchmark::State& s) { point_row(s, true); })
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("grid_curvature/static4d/n:" + std::to_string(grid_points)).c_str(),
                               grid_row)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}
