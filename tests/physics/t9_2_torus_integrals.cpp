// Spec T9.2: integrals of (89)–(92) over random smooth metrics on T³ (48³, see below) and T² (64²),
// with spectral derivatives, and the conformal closed forms (checks/s9_torus_numeric.py).
//   * g = δ + ε h, h_ab = ½ Σ_{i=1}^4 c_i cos(k_i·x + φ_i), |k_i,a| ≤ 2, ε = 0.25 (min eigenvalue
//     > 0.05): ∫√gR − ∫√gL_ΓΓ relative to max(|∫√gL_ΓΓ|, 1) ≤ 1e-8 (the spec's tolerance, set by
//     aliasing of products of band-limited fields; the max(·, 1) is the script's normalisation,
//     needed in 2-D where both integrals vanish). The 4-term form of L_ΓΓ agrees pointwise to
//     rounding: 1e-10.
//   * 2-D Gauss–Bonnet: ∫√gR = 0 on T² for every metric; tolerance 1e-8 (as the script).
//   * Conformal g = e^{2φ}δ, J = ∫e^{(n−2)φ}|∇φ|²: n = 2, ∫√gL_(91) = −4J; n = 3, ∫√gR = 2J and
//     ∫√gL_(91) = −10J; relative tolerance 1e-9 (the spec's; φ is band-limited, so ∇φ is exact
//     and the only error is the trapezoid rule on an analytic periodic integrand).
//   * Claim: the printed (91) integral differs from ∫√gR at O(1) (spec: −31.57 vs −9.39 on T³).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "nnworld/core/fft.hpp"
#include "nnworld/geometry/torus.hpp"

namespace nnworld::geometry {
namespace {

double scaled(double diff, double ref) {
  return std::fabs(diff) / std::max(std::fabs(ref), 1.0);
}

void check_random(int n, std::int64_t points, std::uint64_t seed) {
  constexpr double tolerance = 1e-8;
  const core::Grid grid = make_torus_grid(n, points);
  const core::Fft fft(grid);
  const TorusMetric g = random_cosine_metric(grid, 0.25, seed);
  const TorusActions a = torus_actions(g, fft);
  // The Christoffel route (FFT of Γ) is evaluated in 2-D only (see the note above RandomMetricT3).
  const TorusActions c =
      n == 2 ? torus_actions(g, fft, {RicciRoute::christoffel, false}) : TorusActions{};
  const double e_jet = scaled(a.sqrt_g_r - a.sqrt_g_l_gamma_gamma, a.sqrt_g_l_gamma_gamma);
  const double e_chr = scaled(c.sqrt_g_r - c.sqrt_g_l_gamma_gamma, c.sqrt_g_l_gamma_gamma);
  std::printf(
      "T9.2 n=%d %lld^%d seed %llu: min eig %.4f  int sqrt(g)R = %+.12f  int sqrt(g)L_GG = "
      "%+.12f  int sqrt(g)L_91 = %+.12f  (91)-R = %+.6f\n"
      "     |R-GG|/max(|GG|,1) = %.2e (metric-jet route)",
      n, static_cast<long long>(points), n, static_cast<unsigned long long>(seed),
      min_metric_eigenvalue(g), a.sqrt_g_r, a.sqrt_g_l_gamma_gamma, a.sqrt_g_l_onsager_printed,
      a.sqrt_g_l_onsager_printed - a.sqrt_g_r, e_jet);
  if (n == 2) {
    std::printf(", %.2e (Christoffel route); Gauss-Bonnet int sqrt(g)R = %.2e, %.2e", e_chr,
                a.sqrt_g_r, c.sqrt_g_r);
  }
  std::printf("\n");
  EXPECT_LE(e_jet, tolerance);
  if (n == 2) {
    EXPECT_LE(e_chr, tolerance);
  }
  EXPECT_LE(
      scaled(a.sqrt_g_l_gamma_gamma - a.sqrt_g_l_gamma_gamma_invariants, a.sqrt_g_l_gamma_gamma),
      1e-10);
  if (n == 2) {
    EXPECT_LE(std::fabs(a.sqrt_g_r), 1e-8) << "Gauss-Bonnet";
    EXPECT_LE(std::fabs(c.sqrt_g_r), 1e-8) << "Gauss-Bonnet (Christoffel route)";
  }
  // Claim (paper (92) with (91)): the printed form would integrate to ∫√gR. It does not: the
  // difference is O(1) (at least 10 % of max(|∫√gR|, 1)).
  EXPECT_GT(scaled(a.sqrt_g_l_onsager_printed - a.sqrt_g_r, a.sqrt_g_r), 0.1);
}

// The identity error is a quadrature (resolution) error that falls exponentially with the grid:
// measured |∫√gR − ∫√gL_ΓΓ|/|∫√gL_ΓΓ| on 24³/32³/48³/64³ is 3.7e-7/2.6e-9/8.5e-13/7.5e-15
// (seed 1), 7.3e-7/1.7e-9/2.6e-12/7.1e-15 (seed 2), 2.2e-6/1.3e-8/1.2e-12/4.0e-15 (seed 8) and
// 7.1e-5/2.1e-5/1.0e-7/3.2e-10 (seed 14, minimum eigenvalue 0.064). The spec's 32³ therefore does
// not resolve every admissible draw at 1e-8 (seed 3: 4.2e-8 at 32³, 1.1e-11 at 48³), so the
// spec's tolerance is held at 48³ on the first draws, unselected (seeds 1, 2, 3).
TEST(T9_2_TorusIntegrals, RandomMetricT3) {
  for (const std::uint64_t seed : {1, 2, 3}) check_random(3, 48, seed);
}

TEST(T9_2_TorusIntegrals, RandomMetricT2GaussBonnet) {
  check_random(2, 64, 7);
  check_random(2, 64, 8);
}

// J = ∫ e^{(n−2)φ} |∇φ|² with the spectral gradient of the band-limited φ.
double conformal_j(const core::Fft& fft, const std::vector<double>& phi) {
  const core::Grid& grid = fft.grid();
  const auto grad = core::spectral_gradient(fft, phi);
  std::vector<double> f(phi.size());
  for (std::size_t i = 0; i < phi.size(); ++i) {
    double s = 0.0;
    for (const auto& ga : grad) s += ga[i] * ga[i];
    f[i] = std::exp((grid.dims - 2) * phi[i]) * s;
  }
  return core::integrate(grid, f);
}

TEST(T9_2_TorusIntegrals, ConformalClosedFormT2) {
  const core::Grid grid = make_torus_grid(2, 64);
  const core::Fft fft(grid);
  std::vector<double> phi(static_cast<std::size_t>(grid.size()));
  for (std::int64_t i = 0; i < grid.size(); ++i) {
    const core::Point x = torus_point(grid, i);
    phi[static_cast<std::size_t>(i)] =
        0.3 * std::sin(x[0]) * std::cos(2 * x[1]) + 0.2 * std::cos(x[0] + x[1]);
  }
  const TorusActions a = torus_actions(conformal_metric(grid, phi), fft);
  const double j = conformal_j(fft, phi);
  std::printf("T9.2 conformal n=2: int sqrt(g)R = %+.3e, int L_91 = %+.12f, -4J = %+.12f\n",
              a.sqrt_g_r, a.sqrt_g_l_onsager_printed, -4.0 * j);
  std::printf("     rel. error of int L_91 vs -4J: %.2e\n",
              std::fabs(a.sqrt_g_l_onsager_printed / (-4.0 * j) - 1.0));
  EXPECT_LE(std::fabs(a.sqrt_g_l_onsager_printed / (-4.0 * j) - 1.0), 1e-9);
  EXPECT_LE(std::fabs(a.sqrt_g_r), 1e-9 * j);  // (n−1)(n−2) = 0
}

TEST(T9_2_TorusIntegrals, ConformalClosedFormT3) {
  const core::Grid grid = make_torus_grid(3, 32);
  const core::Fft fft(grid);
  std::vector<double> phi(static_cast<std::size_t>(grid.size()));
  for (std::int64_t i = 0; i < grid.size(); ++i) {
    const core::Point x = torus_point(grid, i);
    phi[static_cast<std::size_t>(i)] =
        0.3 * std::sin(x[0]) * std::cos(x[1]) + 0.2 * std::cos(x[2] - x[0]);
  }
  const TorusActions a = torus_actions(conformal_metric(grid, phi), fft);
  const double j = conformal_j(fft, phi);
  std::printf(
      "T9.2 conformal n=3: int sqrt(g)R = %+.12f (2J = %+.12f), int L_91 = %+.12f (-10J = "
      "%+.12f)\n",
      a.sqrt_g_r, 2.0 * j, a.sqrt_g_l_onsager_printed, -10.0 * j);
  std::printf("     rel. errors: R vs 2J %.2e, L_91 vs -10J %.2e\n",
              std::fabs(a.sqrt_g_r / (2.0 * j) - 1.0),
              std::fabs(a.sqrt_g_l_onsager_printed / (-10.0 * j) - 1.0));
  EXPECT_LE(std::fabs(a.sqrt_g_r / (2.0 * j) - 1.0), 1e-9);
  EXPECT_LE(std::fabs(a.sqrt_g_l_onsager_printed / (-10.0 * j) - 1.0), 1e-9);
}

}  // namespace
}  // namespace nnworld::geometry
