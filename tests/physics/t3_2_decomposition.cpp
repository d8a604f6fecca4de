// Spec T3.2: decomposition (12). For a diagonal Ĝ = diag(λ), λ = (0.3, 1.7, 2.5), β = 2, m = 0,
// the mixed derivative ∂β∂λ_i(βF) is 0 for the Laplace form and ½(1 + βλ_i)⁻² for the printed
// (7). Here it is taken from βF(β, λ) itself by the 4-point central difference in (β, λ_i)
// with h = k = 1e−3. Error budget: truncation h²/6·|∂³| ≲ 1e−6 for (7) (tolerance 1e−5); the
// Laplace form is A(β) + B(λ), for which the difference vanishes identically, so only rounding
// remains: 4 evaluations of |βF| ≲ 3 to a few ulp, over 4hk = 4e−6: ≲ 1e−9 (spec tolerance).
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
  const double h = 1e-3, k = 1e-3;
  for (int i = 0; i < 3; ++i) {
    auto mixed = [&](double (*bf)(double, const Vector&, double)) {
      Vector p = lam, m = lam;
      p[i] += k;
      m[i] -= k;
      return (bf(beta + h, p, 0.0) - bf(beta - h, p, 0.0) - bf(beta + h, m, 0.0) +
              bf(beta - h, m, 0.0)) /
             (4 * h * k);
    };
    const double expected_7 = 0.5 / ((1.0 + beta * lam[i]) * (1.0 + beta * lam[i]));
    EXPECT_NEAR(mixed(beta_free_energy_laplace), 0.0, 1e-9);
    EXPECT_NEAR(mixed(beta_free_energy_eq7), expected_7, 1e-5);
    EXPECT_GT(mixed(beta_free_energy_eq7), 0.01);  // (7) violates (11)–(12) by a finite amount
    EXPECT_NEAR(mixed_derivative_eq7(beta, lam)[i], expected_7, 1e-15);
  }
}

// (12) on T2.4's network through the library's difference in (β, q), ŵ → qŵ: x* = 0 for every
// q, so Ĝ(q) = (I − qW)ᵀ(I − qW); the Laplace form is separable (|D| within its rounding
// bound) and the printed (7) gives ½ tr[A⁻¹Ĝ′A⁻¹], A = I + βĜ, Ĝ′ = dĜ/dq, to O(h² + k²).
TEST(T3_2_Decomposition, NetworkMixedDerivativeByDifferences) {
  const auto net = testing::w2_network(network::ActivationKind::tanh);
  Matrix w(2, 2);
  w << 0.3, -0.4, 0.5, 0.2;
  const Matrix id = Matrix::Identity(2, 2);
  const Matrix g = (id - w).transpose() * (id - w);
  const Matrix dg = -w.transpose() * (id - w) - (id - w).transpose() * w;
  for (double beta : {1.0, 4.0}) {
    const auto lap =
        mixed_derivative(net, beta, 1e-3, 1e-3,
                         [](const network::Network& n, double b) { return laplace(n, b).log_z; });
    EXPECT_LE(std::abs(lap.value), lap.rounding) << beta;
    EXPECT_LT(lap.rounding, 1e-6);
    const auto eq7 =
        mixed_derivative(net, beta, 1e-3, 1e-3,
                         [](const network::Network& n, double b) { return paper_eq7(n, b).log_z; });
    const Matrix ainv = (id + beta * g).inverse();
    EXPECT_NEAR(eq7.value, 0.5 * (ainv * dg * ainv).trace(), 1e-5) << beta;
    EXPECT_GT(std::abs(eq7.value), 1e3 * lap.rounding);
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
