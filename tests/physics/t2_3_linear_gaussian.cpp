// Spec T2.3: linear activation, exact Gaussian. For f(y) = y, b = 0 the loss is exactly
// H = ½ xᵀ(Ĝ − mI)x, so log Z = (N/2) log 2π − ½ log det[β(Ĝ − mI)] and Laplace's method is
// exact: the only error is rounding (tolerance 1e−12). The printed (7) values are regression
// values for `paper_eq7`, not truth. N = 2: quadrature against the closed form.
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <cmath>
#include <numbers>

#include "nnworld/thermo/partition.hpp"
#include "thermo_networks.hpp"

namespace nnworld::thermo {
namespace {

using network::ActivationKind;
using testing::dense_network;

TEST(T2_3_LinearGaussian, N4SpectrumOfG) {
  const auto net = dense_network(testing::w4(), Vector::Zero(4), ActivationKind::linear, 0.0);
  const Matrix g = network::g_matrix(net, Vector::Zero(4));
  const Vector ev = Eigen::SelfAdjointEigenSolver<Matrix>(g).eigenvalues();
  // The spec prints 8 digits: rounding ≤ 5e−9.
  EXPECT_NEAR(ev[0], 0.30021141, 1e-8);
  EXPECT_NEAR(ev[1], 0.83357272, 1e-8);
  EXPECT_NEAR(ev[2], 1.01847667, 1e-8);
  EXPECT_NEAR(ev[3], 1.6277392, 1e-7);
}

TEST(T2_3_LinearGaussian, N4LaplaceIsExactAndEq7Regression) {
  const auto net = dense_network(testing::w4(), Vector::Zero(4), ActivationKind::linear, 0.0);
  const auto lap = laplace(net, 3.0);
  ASSERT_EQ(lap.status, "ok");
  ASSERT_EQ(lap.minima.size(), 1u);
  EXPECT_NEAR(lap.log_z, 1.9184308409118, 1e-12);
  // Gaussian: U = N/(2β) exactly, C_β = N/2.
  EXPECT_NEAR(lap.mean_loss, 4.0 / 6.0, 1e-15);
  EXPECT_NEAR(lap.heat_capacity, 2.0, 1e-15);
  const auto p7 = paper_eq7(net, 3.0);
  EXPECT_EQ(p7.method, "paper_eq7");
  EXPECT_NEAR(p7.log_z, 1.1420959711174, 1e-12);
}

TEST(T2_3_LinearGaussian, N3WithMassLaplaceIsExactAndEq7Regression) {
  const auto net = dense_network(testing::w3(), Vector::Zero(3), ActivationKind::linear, 0.1);
  const auto lap = laplace(net, 2.0);
  ASSERT_EQ(lap.status, "ok");
  EXPECT_NEAR(lap.log_z, 2.047971413844, 1e-12);  // 12 decimals: rounding ≤ 5e−13
  EXPECT_NEAR(paper_eq7(net, 2.0).log_z, 1.165278993540, 1e-12);
  // 3-D cubature at a looser tolerance (1e−10 relative per integral) keeps it fast (~0.2 s).
  QuadratureOptions opt;
  opt.rel_tolerance = 1e-10;
  opt.abs_tolerance = 1e-12;
  EXPECT_NEAR(quadrature(net, 2.0, opt).log_z, 2.047971413844, 1e-9);
}

TEST(T2_3_LinearGaussian, N2QuadratureAgreesWithTheClosedForm) {
  const auto net = testing::w2_network(ActivationKind::linear);
  const Matrix a = Matrix::Identity(2, 2) - testing::w2();
  const Matrix g = a.transpose() * a;  // Ĝ, independent of the library
  for (double beta : {1.0, 10.0}) {
    const double exact =
        std::log(2.0 * std::numbers::pi) - 0.5 * std::log((beta * g).determinant());
    const auto q = quadrature(net, beta);
    // scipy dblquad agrees to 3e−16; the cubature tolerance is 1e−13 relative.
    EXPECT_NEAR(q.log_z, exact, 1e-11) << "beta = " << beta;
    EXPECT_NEAR(q.mean_loss, 1.0 / beta, 1e-11 / beta);  // U = N/(2β)
    EXPECT_NEAR(q.heat_capacity, 1.0, 1e-9);             // C_β = N/2
    EXPECT_NEAR(laplace(net, beta).log_z, exact, 1e-13);
  }
}

}  // namespace
}  // namespace nnworld::thermo
