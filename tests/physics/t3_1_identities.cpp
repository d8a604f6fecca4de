// Spec T3.1: thermodynamic identities (10), (13) on the exact ensemble of T2.4's network
// (tanh, W₂, b = 0, m = 0) at β = 5, by cubature. Reference F, U, S_x: scipy dblquad, 10
// decimals (tolerance 1e−9). Central differences with h = 1e−3 have error ~h² ≈ 1e−6 relative
// (observed 1e−8), so the identities are checked to 1e−5. Laplace values (spec §2a):
// U = N/(2β) = 0.2, S₀ = (N/2)(1 + log(2π/β)), C = −½ log det Ĝ, C_β = N/2.
#include <gtest/gtest.h>

#include <cmath>

#include "nnworld/thermo/partition.hpp"
#include "thermo_networks.hpp"

namespace nnworld::thermo {
namespace {

TEST(T3_1_Identities, ExactEnsembleAtBeta5) {
  const auto net = testing::w2_network(network::ActivationKind::tanh);
  const double beta = 5.0;
  const double h = 1e-3;
  const auto q = quadrature(net, beta);
  EXPECT_NEAR(q.free_energy, -0.1009420805, 1e-9);
  EXPECT_NEAR(q.mean_loss, 0.2000251049, 1e-9);
  EXPECT_NEAR(q.entropy, 1.5048359268, 1e-9);

  const auto qp = quadrature(net, beta + h);
  const auto qm = quadrature(net, beta - h);
  // (10): U = ⟨H⟩ = −∂_β log Z.
  const double u_fd = -(qp.log_z - qm.log_z) / (2.0 * h);
  EXPECT_NEAR(u_fd / q.mean_loss - 1.0, 0.0, 1e-5);
  // (13): S_x = β(U − F) = β² ∂_β F.
  const double s_fd = beta * beta * (qp.free_energy - qm.free_energy) / (2.0 * h);
  EXPECT_NEAR(q.entropy - s_fd, 0.0, 1e-5);
  // Heat capacity C_β = β² Var H = −β² ∂_β U (same O(h²) difference error).
  const double c_fd = -beta * beta * (qp.mean_loss - qm.mean_loss) / (2.0 * h);
  EXPECT_NEAR(q.heat_capacity / c_fd - 1.0, 0.0, 1e-5);
}

TEST(T3_1_Identities, LaplaceDecomposition) {
  const auto net = testing::w2_network(network::ActivationKind::tanh);
  const auto l = laplace(net, 5.0);
  ASSERT_EQ(l.status, "ok");
  EXPECT_NEAR(l.mean_loss, 0.2, 1e-15);
  EXPECT_NEAR(l.entropy_s0, 1.2284391540, 1e-10);
  EXPECT_NEAR(l.complexity, 0.2744368457, 1e-10);
  EXPECT_NEAR(l.entropy, 1.5028759997, 1e-10);  // S₀ + C (14)
  EXPECT_NEAR(l.heat_capacity, 1.0, 1e-15);     // N/2
  EXPECT_NEAR(l.entropy, 5.0 * (l.mean_loss - l.free_energy), 1e-14);
}

}  // namespace
}  // namespace nnworld::thermo
