// Spec T2.5: non-zero bias. tanh, W₂, b = (0.1, −0.2), m = 0; the expansion point is the fixed
// point x* of T2.2. Exact log Z by cubature against the spec (10 decimals, tolerance 1e−8);
// the Laplace error log Z − log Z_L is 7.15e−4 and 8.30e−5 (3 digits: tolerance 3 %), i.e. ∝ 1/β.
#include <gtest/gtest.h>

#include <cmath>

#include "nnworld/thermo/partition.hpp"
#include "thermo_networks.hpp"

namespace nnworld::thermo {
namespace {

TEST(T2_5_Bias, ExactAndLaplaceDifference) {
  const auto net = testing::w2_network(network::ActivationKind::tanh, 0.1, -0.2);
  const struct {
    double beta, exact, difference;
  } rows[] = {{20.0, -0.8840343637, 7.15e-4}, {200.0, -3.1872514284, 8.30e-5}};
  for (const auto& r : rows) {
    const auto q = quadrature(net, r.beta);
    const auto l = laplace(net, r.beta);
    ASSERT_EQ(l.minima.size(), 1u);
    EXPECT_NEAR(l.minima[0].x[0], 0.207025459131, 1e-11);
    EXPECT_NEAR(l.minima[0].x[1], -0.119884902511, 1e-11);
    EXPECT_NEAR(q.log_z, r.exact, 1e-8) << "beta = " << r.beta;
    EXPECT_NEAR(q.log_z - l.log_z, r.difference, 0.03 * r.difference) << "beta = " << r.beta;
  }
}

}  // namespace
}  // namespace nnworld::thermo
