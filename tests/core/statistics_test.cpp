// core/statistics.hpp against closed forms: the mean and its standard error, the delete-one
// jackknife of the mean (which equals s/√n exactly), and the integrated autocorrelation time of
// AR(1) series, τ = (1 + φ)/(1 − φ).
#include "nnworld/core/statistics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "nnworld/core/rng.hpp"

namespace nnworld::core {
namespace {

TEST(Statistics, MeanErrorSkipsNonFiniteValues) {
  const std::vector<double> x{1.0, 2.0, std::nan(""), 3.0, 6.0};
  const MeanError m = mean_error(x);
  EXPECT_EQ(m.n, 4);
  EXPECT_DOUBLE_EQ(m.mean, 3.0);
  // s² = ((−2)² + (−1)² + 0² + 3²)/3 = 14/3.
  EXPECT_NEAR(m.se, std::sqrt(14.0 / 3.0 / 4.0), 1e-15);
}

TEST(Statistics, DeleteOneJackknifeOfTheMeanIsTheStandardError) {
  // For the mean, θ_g − θ̄ = −(x_g − x̄)/(n − 1), so the jackknife gives s/√n exactly.
  const RngStream rng(3, StreamTag::user, 0);
  std::vector<double> x(200);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = rng.normal(0, i) * 2.0 + 1.0;
  const auto n = static_cast<std::int64_t>(x.size());
  const double se = jackknife_se(n, [&](std::int64_t g) {
    double s = 0.0;
    for (std::int64_t i = 0; i < n; ++i) s += i == g ? 0.0 : x[static_cast<std::size_t>(i)];
    return s / static_cast<double>(n - 1);
  });
  EXPECT_NEAR(se, mean_error(x).se, 1e-13);
  EXPECT_TRUE(std::isnan(jackknife_se(1, [](std::int64_t) { return 0.0; })));
}

TEST(Statistics, AutocorrelationTimeOfAnAr1Series) {
  // x_{t+1} = φ x_t + √(1 − φ²) ξ_t from the stationary law: τ = (1 + φ)/(1 − φ) = 9 for
  // φ = 0.8. Sokal's window W ≥ 5τ truncates Σ_{k>W} ρ(k) = φ^{W+1}/(1 − φ) ≤ 0.8⁴⁶·5 ≈ 2e-4;
  // the remaining difference is statistical, judged against the jackknife error (5 se).
  const double phi = 0.8;
  const std::int64_t m = 400, t = 1000;
  std::vector<double> s(static_cast<std::size_t>(m * t));
  const RngStream rng(5, StreamTag::user, 1);
  for (std::int64_t r = 0; r < m; ++r) {
    double x = rng.normal(static_cast<std::uint64_t>(r), 0);
    for (std::int64_t k = 0; k < t; ++k) {
      s[static_cast<std::size_t>(r * t + k)] = x;
      x = phi * x + std::sqrt(1.0 - phi * phi) * rng.normal(static_cast<std::uint64_t>(r),
                                                            static_cast<std::uint64_t>(k + 1));
    }
  }
  const AutocorrelationTime a = integrated_autocorrelation_time(s, m, t, 16);
  EXPECT_TRUE(a.converged);
  EXPECT_GE(static_cast<double>(a.window), 5.0 * a.tau);
  EXPECT_GT(a.se, 0.0);
  EXPECT_LT(a.se, 0.5);
  EXPECT_NEAR(a.tau, 9.0, 5.0 * a.se + 2e-4) << "se " << a.se;
  EXPECT_NEAR(a.rho[1], phi, 0.02);
  // White noise: τ = 1.
  for (std::int64_t r = 0; r < m; ++r)
    for (std::int64_t k = 0; k < t; ++k)
      s[static_cast<std::size_t>(r * t + k)] =
          rng.normal(1000 + static_cast<std::uint64_t>(r), static_cast<std::uint64_t>(k));
  const AutocorrelationTime w = integrated_autocorrelation_time(s, m, t, 16);
  EXPECT_NEAR(w.tau, 1.0, 5.0 * w.se + 1e-3);
}

}  // namespace
}  // namespace nnworld::core
