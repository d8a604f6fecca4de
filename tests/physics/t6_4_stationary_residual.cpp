// Spec T6.4: the residual γ|∇F|² + (γ/μ)∇²F of (43) for F of (44) with K = 3, β = 1.3,
// m = 0.2, μ = 2β, C_k = 2(1 − βm), C₀ = −(3/2β) log 4π and γ = 0.7, by central differences
// (h = 1e-4) at 20 random points of [0.1, 2]³. Spec: max residual 3.7e-8; tolerance 1e-6 (the
// O(h²) truncation plus rounding of order ε/h² ≈ 1e-8).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "nnworld/trainable/hamilton_jacobi.hpp"

namespace nnworld::trainable {
namespace {

TEST(T6_4, StationaryResidual) {
  const double beta = 1.3, m = 0.2, gamma = 0.7;
  const StationaryConstants s = stationary_constants_for_gaussian(beta, m, 3);
  ASSERT_DOUBLE_EQ(s.mu, 2.0 * beta);
  ASSERT_DOUBLE_EQ(s.ck[0], 2.0 * (1.0 - beta * m));
  ASSERT_DOUBLE_EQ(s.c0, -3.0 / (2.0 * beta) * std::log(4.0 * std::numbers::pi));
  const Constants c{0.0, gamma, s.mu};
  const ScalarFn f = [&](std::span<const double> q) {
    return stationary_free_energy(q, s.c0, s.ck, s.mu);
  };
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.1, 2.0);
  double worst = 0.0;
  for (int n = 0; n < 20; ++n) {
    const std::vector<double> q = {u(rng), u(rng), u(rng)};
    worst = std::max(worst, std::abs(stationary_residual(f, q, c, 1e-4)));
  }
  EXPECT_LT(worst, 1e-6);
  RecordProperty("max_residual", std::to_string(worst));
}

}  // namespace
}  // namespace nnworld::trainable
