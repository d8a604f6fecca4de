// Unit tests of geometry/torus: flat metric, exact spectral derivatives of a band-limited metric,
// the packed component layout, input errors, and bit-identical results for 1 and 2 threads.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <numbers>

#include "nnworld/core/error.hpp"
#include "nnworld/core/fft.hpp"
#include "nnworld/geometry/torus.hpp"

namespace nnworld::geometry {
namespace {

TEST(Torus, ComponentIndexIsPackedUpperTriangle) {
  EXPECT_EQ(component_index(3, 0, 0), 0);
  EXPECT_EQ(component_index(3, 0, 2), 2);
  EXPECT_EQ(component_index(3, 1, 1), 3);
  EXPECT_EQ(component_index(3, 2, 1), 4);
  EXPECT_EQ(component_index(3, 2, 2), 5);
  EXPECT_EQ(component_index(2, 1, 1), 2);
}

TEST(Torus, FlatMetricGivesZeroEverywhere) {
  for (int n : {2, 3}) {
    const core::Grid grid = make_torus_grid(n, 16);
    const core::Fft fft(grid);
    const TorusMetric g = flat_metric(grid);
    for (RicciRoute route : {RicciRoute::metric_jet, RicciRoute::christoffel}) {
      const TorusFields f = torus_fields(g, fft, {route, false});
      for (std::size_t i = 0; i < f.sqrt_g.size(); ++i) {
        ASSERT_EQ(f.sqrt_g[i], 1.0);
        ASSERT_EQ(f.ricci_scalar[i], 0.0);
        ASSERT_EQ(f.l_gamma_gamma[i], 0.0);
        ASSERT_EQ(f.l_onsager_printed[i], 0.0);
      }
      const TorusActions a = torus_actions(f, grid);
      EXPECT_NEAR(a.volume, std::pow(2.0 * std::numbers::pi, n), 1e-12);
    }
  }
}

// g_00 = 1 + 0.1 cos(2x + y − z), g_01 = 0.05 sin(x − 2z), g_11 = 1 + 0.1 cos(y) sin(x), others
// flat: band-limited (|k| ≤ 2 < N/2), so FFT derivatives are exact up to rounding (1e-13).
TEST(Torus, SpectralDerivativesOfBandLimitedMetricAreExact) {
  const core::Grid grid = make_torus_grid(3, 16);
  const core::Fft fft(grid);
  TorusMetric g = flat_metric(grid);
  for (std::int64_t i = 0; i < grid.size(); ++i) {
    const core::Point x = torus_point(grid, i);
    const auto u = static_cast<std::size_t>(i);
    g.component(0, 0)[u] = 1.0 + 0.1 * std::cos(2 * x[0] + x[1] - x[2]);
    g.component(0, 1)[u] = 0.05 * std::sin(x[0] - 2 * x[2]);
    g.component(1, 1)[u] = 1.0 + 0.1 * std::cos(x[1]) * std::sin(x[0]);
  }
  const TorusMetricDerivatives d = metric_derivatives(g, fft, true);
  const auto c00 = static_cast<std::size_t>(component_index(3, 0, 0));
  const auto c01 = static_cast<std::size_t>(component_index(3, 0, 1));
  const auto c11 = static_cast<std::size_t>(component_index(3, 1, 1));
  double err = 0.0;
  for (std::int64_t i = 0; i < grid.size(); ++i) {
    const core::Point x = torus_point(grid, i);
    const auto u = static_cast<std::size_t>(i);
    const double s00 = std::sin(2 * x[0] + x[1] - x[2]), c00v = std::cos(2 * x[0] + x[1] - x[2]);
    const double k00[3] = {2, 1, -1};
    for (int a = 0; a < 3; ++a) {
      err = std::max(err, std::fabs(d.first[c00][a][u] + 0.1 * k00[a] * s00));
      for (int b = 0; b < 3; ++b)
        err = std::max(err, std::fabs(d.second[c00][a][b][u] + 0.1 * k00[a] * k00[b] * c00v));
    }
    const double k01[3] = {1, 0, -2};
    const double c01v = std::cos(x[0] - 2 * x[2]), s01 = std::sin(x[0] - 2 * x[2]);
    for (int a = 0; a < 3; ++a) {
      err = std::max(err, std::fabs(d.first[c01][a][u] - 0.05 * k01[a] * c01v));
      for (int b = 0; b < 3; ++b)
        err = std::max(err, std::fabs(d.second[c01][a][b][u] + 0.05 * k01[a] * k01[b] * s01));
    }
    err = std::max(err, std::fabs(d.first[c11][0][u] - 0.1 * std::cos(x[1]) * std::cos(x[0])));
    err = std::max(err, std::fabs(d.first[c11][1][u] + 0.1 * std::sin(x[1]) * std::sin(x[0])));
    err = std::max(err, std::fabs(d.first[c11][2][u]));
    err = std::max(err, std::fabs(d.second[c11][0][1][u] + 0.1 * std::sin(x[1]) * std::cos(x[0])));
  }
  EXPECT_LE(err, 1e-13);
}

TEST(Torus, RandomMetricIsSymmetricPositiveAndReproducible) {
  const core::Grid grid = make_torus_grid(2, 32);
  const TorusMetric a = random_cosine_metric(grid, 0.25, 3);
  const TorusMetric b = random_cosine_metric(grid, 0.25, 3);
  EXPECT_EQ(a.components, b.components);
  EXPECT_GT(min_metric_eigenvalue(a), 0.05);
  EXPECT_THROW((void)random_cosine_metric(grid, 50.0, 3), Error);  // not positive definite
}

TEST(Torus, RejectsBadInput) {
  EXPECT_THROW((void)make_torus_grid(4, 16), Error);
  EXPECT_THROW((void)make_torus_grid(2, 2), Error);
  const core::Grid grid = make_torus_grid(2, 8);
  EXPECT_THROW((void)conformal_metric(grid, std::vector<double>(5, 0.0)), Error);
}

TEST(Torus, BitIdenticalForOneAndTwoThreads) {
  // 32³ = 32768 points: above the FFT's threading threshold, so both the transforms and the
  // pointwise loops run threaded with 2 threads (metric-jet route). The Christoffel route with
  // the 2/3 rule on 16³ checks its pointwise loops and the filtered derivative.
  const int saved = omp_get_max_threads();
  for (int points : {32, 16}) {
    const core::Grid grid = make_torus_grid(3, points);
    const core::Fft fft(grid);
    const TorusMetric g = random_cosine_metric(grid, 0.25, 8);
    const TorusOptions opt =
        points == 32 ? TorusOptions{} : TorusOptions{RicciRoute::christoffel, true};
    omp_set_num_threads(1);
    const TorusFields one = torus_fields(g, fft, opt);
    omp_set_num_threads(2);
    const TorusFields two = torus_fields(g, fft, opt);
    EXPECT_EQ(one.ricci_scalar, two.ricci_scalar);
    EXPECT_EQ(one.l_gamma_gamma, two.l_gamma_gamma);
    EXPECT_EQ(one.l_onsager_printed, two.l_onsager_printed);
    EXPECT_EQ(one.sqrt_g, two.sqrt_g);
  }
  omp_set_num_threads(saved);
}

}  // namespace
}  // namespace nnworld::geometry
