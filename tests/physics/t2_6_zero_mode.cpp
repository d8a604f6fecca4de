// Spec T2.6: zero mode. N = 1, w = 1, b = 0, tanh: H = ½(x − tanh x)² ≈ x⁶/18 and Ĝ = 0.
// The true Z is finite (cubature against the spec's 9-digit values, relative tolerance 1e−7);
// Laplace's Gaussian diverges and must say so (zero_modes = 1, status "divergent_gaussian",
// log Z = +∞), and the printed (7) gives the β-independent √(2π).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "nnworld/thermo/partition.hpp"
#include "thermo_networks.hpp"

namespace nnworld::thermo {
namespace {

network::Network unit_loop() {
  Matrix w(1, 1);
  w << 1.0;
  return testing::dense_network(w, Vector::Zero(1), network::ActivationKind::tanh, 0.0);
}

TEST(T2_6_ZeroMode, QuadratureMatchesTheReference) {
  const auto net = unit_loop();
  const struct {
    double beta, z;
  } rows[] = {{10.0, 2.42062561}, {100.0, 1.50254130}, {1000.0, 0.98272334}};
  for (const auto& r : rows) {
    const auto q = quadrature(net, r.beta);
    EXPECT_NEAR(std::exp(q.log_z) / r.z - 1.0, 0.0, 1e-7) << "beta = " << r.beta;
    // Tends slowly to the x⁶ asymptote 2Γ(1/6)/6 (β/18)^{−1/6}: ratio 1.18 → 1.04, within 25 %.
    const double asym = 2.0 * std::tgamma(1.0 / 6.0) / 6.0 * std::pow(r.beta / 18.0, -1.0 / 6.0);
    EXPECT_NEAR(std::exp(q.log_z) / asym, 1.0, 0.25);
  }
}

TEST(T2_6_ZeroMode, LaplaceReportsTheZeroMode) {
  const auto l = laplace(unit_loop(), 100.0);
  EXPECT_EQ(l.status, "divergent_gaussian");
  EXPECT_EQ(l.zero_modes, 1);
  EXPECT_TRUE(std::isinf(l.log_z) && l.log_z > 0.0);
  EXPECT_FALSE(std::isnan(l.log_z));
}

TEST(T2_6_ZeroMode, Eq7IsBetaIndependent) {
  for (double beta : {10.0, 100.0, 1000.0}) {
    const auto p = paper_eq7(unit_loop(), beta);
    EXPECT_EQ(p.status, "ok");
    EXPECT_NEAR(p.log_z, 0.5 * std::log(2.0 * std::numbers::pi), 1e-15);
  }
}

}  // namespace
}  // namespace nnworld::thermo
