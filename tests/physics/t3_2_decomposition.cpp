// Spec T3.2: decomposition (12). For a diagonal Ĝ = diag(λ), λ = (0.3, 1.7, 2.5), β = 2, m = 0,
// the mixed derivative ∂β∂λ_i(βF) is 0 for the Laplace form and ½(1 + βλ_i)⁻² for the printed
// (7). Here it is taken by a central difference in β (h = 1e−4) of ∂(βF)/∂λ_i, whose own
// correctness is checked by a central difference in λ of βF (h = 1e−5). Error budget: h² ·
// (third derivative ≲ 1) ≈ 1e−8 for (7); the Laplace gradient does not depend on β, so its
// difference is 0 up to rounding (tolerance 1e−9, spec).
#include <gtest/gtest.h>

#include "nnworld/thermo/partition.hpp"
#include "thermo_networks.hpp"

namespace nnworld::thermo {
namespace {

Vector lambda3() {
  Vector l(3);
  l << 0.3, 1.7, 2.5;
  return l;
}

TEST(T3_2_Decomposition, GradientsMatchDifferencesOfBetaF) {
  const Vector lam = lambda3();
  const double beta = 2.0;
  const double h = 1e-5;
  const Vector gl = beta_free_energy_gradient_laplace(beta, lam);
  const Vector g7 = beta_free_energy_gradient_eq7(beta, lam);
  for (int i = 0; i < 3; ++i) {
    Vector p = lam;
    Vector m = lam;
    p[i] += h;
    m[i] -= h;
    EXPECT_NEAR((beta_free_energy_laplace(beta, p) - beta_free_energy_laplace(beta, m)) / (2 * h),
                gl[i], 1e-8);
    EXPECT_NEAR((beta_free_energy_eq7(beta, p) - beta_free_energy_eq7(beta, m)) / (2 * h), g7[i],
                1e-8);
  }
}

TEST(T3_2_Decomposition, MixedDerivative) {
  const Vector lam = lambda3();
  const double beta = 2.0;
  const double h = 1e-4;
  const Vector mix_l = (beta_free_energy_gradient_laplace(beta + h, lam) -
                        beta_free_energy_gradient_laplace(beta - h, lam)) /
                       (2 * h);
  const Vector mix_7 = (beta_free_energy_gradient_eq7(beta + h, lam) -
                        beta_free_energy_gradient_eq7(beta - h, lam)) /
                       (2 * h);
  for (int i = 0; i < 3; ++i) {
    const double expected_7 = 0.5 / ((1.0 + beta * lam[i]) * (1.0 + beta * lam[i]));
    EXPECT_NEAR(mix_l[i], 0.0, 1e-9);
    EXPECT_NEAR(mix_7[i], expected_7, 1e-8);
    EXPECT_GT(mix_7[i], 0.01);  // (7) violates (11)–(12) by a finite amount
    EXPECT_NEAR(mixed_derivative_laplace(beta, lam)[i], 0.0, 0.0);
    EXPECT_NEAR(mixed_derivative_eq7(beta, lam)[i], expected_7, 1e-15);
  }
}

TEST(T3_2_Decomposition, LaplaceFormMatchesTheNetworkResult) {
  // T2.4's network: x* = 0, H(x*) = 0, so βF_L depends on Ĝ only through its eigenvalues.
  const auto net = testing::w2_network(network::ActivationKind::tanh);
  Matrix g(2, 2);
  g << 0.74, -0.12, -0.12, 0.80;
  const double tr = g.trace();
  const double disc = std::sqrt(tr * tr / 4 - g.determinant());
  Vector lam(2);
  lam << tr / 2 - disc, tr / 2 + disc;
  for (double beta : {0.5, 5.0, 50.0}) {
    EXPECT_NEAR(beta * laplace(net, beta).free_energy, beta_free_energy_laplace(beta, lam), 1e-13);
    EXPECT_NEAR(beta * paper_eq7(net, beta).free_energy, beta_free_energy_eq7(beta, lam), 1e-13);
  }
}

}  // namespace
}  // namespace nnworld::thermo
