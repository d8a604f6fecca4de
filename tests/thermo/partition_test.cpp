// Input checks and the m ≠ 0 expansion points of the partition-function methods.
#include <gtest/gtest.h>
#include <omp.h>

#include <Eigen/Eigenvalues>

#include <cmath>
#include <limits>
#include <string>

#include "nnworld/core/error.hpp"
#include "nnworld/thermo/partition.hpp"

namespace nnworld::thermo {
namespace {

using network::ActivationKind;

network::Network w2_net(ActivationKind f, double m, double b0 = 0.0, double b1 = 0.0) {
  network::Network net;
  Matrix w(2, 2);
  w << 0.3, -0.4, 0.5, 0.2;
  net.w = network::DenseWeights(w);
  net.b = Vector(2);
  net.b << b0, b1;
  net.activation = f;
  net.mass = m;
  return net;
}

template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.message();
  }
  return "no error";
}

TEST(ThermoInput, NonPositiveBetaIsAnError) {
  const auto net = w2_net(ActivationKind::tanh, 0.0);
  for (double beta : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(),
                      std::numeric_limits<double>::infinity()}) {
    EXPECT_NE(error_of([&] { laplace(net, beta); }).find("beta"), std::string::npos);
    EXPECT_NE(error_of([&] { paper_eq7(net, beta); }).find("beta > 0"), std::string::npos);
    EXPECT_NE(error_of([&] { quadrature(net, beta); }).find("beta > 0"), std::string::npos);
  }
}

TEST(ThermoInput, QuadratureNeedsAtMostThreeNeurons) {
  network::Network net;
  net.w = network::cyclic_permutation(4, 0.5);
  net.b = Vector::Zero(4);
  const std::string msg = error_of([&] { quadrature(net, 1.0); });
  EXPECT_NE(msg.find("quadrature needs N <= 3"), std::string::npos) << msg;
}

TEST(ThermoInput, BoundedActivationWithMassAtLeastOneDiverges) {
  for (auto f : {ActivationKind::tanh, ActivationKind::logistic}) {
    for (double m : {1.0, 1.5}) {
      const auto net = w2_net(f, m);
      for (const std::string& msg :
           {error_of([&] { laplace(net, 2.0); }), error_of([&] { quadrature(net, 2.0); }),
            error_of([&] { paper_eq7(net, 2.0); })}) {
        EXPECT_NE(msg.find("Z diverges: m >= 1 with a bounded activation"), std::string::npos)
            << msg;
        EXPECT_NE(msg.find("(expected m < 1)"), std::string::npos) << msg;
      }
    }
  }
}

TEST(ThermoInput, LinearWithIndefiniteQuadraticFormDiverges) {
  // eig Ĝ(W₂) ≈ {0.650, 0.890}: m = 0.7 makes Ĝ − mI indefinite.
  const auto net = w2_net(ActivationKind::linear, 0.7);
  EXPECT_NE(error_of([&] { laplace(net, 2.0); }).find("negative eigenvalue"), std::string::npos);
  EXPECT_NE(error_of([&] { quadrature(net, 2.0); }).find("negative eigenvalue"), std::string::npos);
}

TEST(ThermoInput, LinearZeroModeIsReportedOrRejected) {
  // Permutation weights with linear f: Ĝ = (I − π)ᵀ(I − π) has the zero mode (1, 1, 1).
  network::Network net;
  net.w = network::cyclic_permutation(3, 1.0);
  net.b = Vector::Zero(3);
  net.activation = ActivationKind::linear;
  const auto l = laplace(net, 2.0);
  EXPECT_EQ(l.status, "divergent_gaussian");
  EXPECT_EQ(l.zero_modes, 1);
  EXPECT_TRUE(std::isinf(l.log_z));
  EXPECT_NE(error_of([&] { quadrature(net, 2.0); }).find("zero mode"), std::string::npos);
  // The printed (7) stays finite: (N/2) log 2π − ½ Σ log(1 + βλ_i), λ = {0, 3, 3}.
  const auto p = paper_eq7(net, 2.0);
  EXPECT_EQ(p.status, "ok");
  EXPECT_NEAR(p.log_z, 1.5 * std::log(2 * 3.14159265358979323846) - std::log(7.0), 1e-13);
}

TEST(ThermoMinima, MassShiftsTheMinimumAwayFromTheFixedPoint) {
  // m = 0.3, b ≠ 0: at a fixed point ∇H = −m x ≠ 0, so the minimum of H lies elsewhere.
  const auto net = w2_net(ActivationKind::tanh, 0.3, 0.1, -0.2);
  const auto mins = loss_minima(net);
  ASSERT_GE(mins.size(), 1u);
  const auto& m = mins.front();
  const auto grad = network::loss_gradient(net, m.x, network::LossKind::bulk);
  EXPECT_LT(grad.dx.lpNorm<Eigen::Infinity>(), 1e-11);
  EXPECT_GT(m.hessian_eigenvalues.minCoeff(), 0.0);
  EXPECT_GT(network::residual(net, m.x).norm(), 1e-3);  // not a fixed point
  // Laplace converges to the exact Z as 1/β: β·(log Z − log Z_L) roughly constant.
  double c[2];
  int k = 0;
  for (double beta : {100.0, 400.0}) {
    const auto q = quadrature(net, beta);
    const auto l = laplace(net, beta);
    ASSERT_EQ(l.minima.size(), 1u);
    c[k++] = beta * (q.log_z - l.log_z);
  }
  EXPECT_LT(std::abs(c[1] - c[0]), 0.2 * std::abs(c[1]) + 1e-3) << c[0] << " " << c[1];
}

}  // namespace
}  // namespace nnworld::thermo

// log det of an SPD matrix on both paths (Eigen LLT below 192, OpenBLAS dpotrf above) against
// the sum of the logs of its eigenvalues (self-adjoint QR: an independent algorithm).
TEST(LogDetSpd, BothPathsMatchTheEigenvalues) {
  for (const Eigen::Index n : {50, 400}) {
    Eigen::MatrixXd r = Eigen::MatrixXd::Random(n, n) * std::sqrt(3.0 / static_cast<double>(n));
    const Eigen::MatrixXd a = 0.5 * (r + r.transpose()) + 2.0 * Eigen::MatrixXd::Identity(n, n);
    const Eigen::VectorXd ev = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(a).eigenvalues();
    const double expected = ev.array().log().sum();
    // Both are backward stable: |error| ≲ n ε κ-independent for a log det sum of n terms.
    EXPECT_NEAR(nnworld::thermo::log_det_spd(a), expected, 1e-10 * static_cast<double>(n)) << n;
  }
}

TEST(LogDetSpd, SameResultForOneAndTwoThreads) {
  const Eigen::Index n = 600;
  Eigen::MatrixXd r = Eigen::MatrixXd::Random(n, n) * std::sqrt(3.0 / static_cast<double>(n));
  const Eigen::MatrixXd a = 0.5 * (r + r.transpose()) + 2.0 * Eigen::MatrixXd::Identity(n, n);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const double one = nnworld::thermo::log_det_spd(a);
  omp_set_num_threads(2);
  const double two = nnworld::thermo::log_det_spd(a);
  omp_set_num_threads(saved);
  EXPECT_EQ(one, two);
}

TEST(LogDetSpd, IndefiniteFallsBackToEigenvalues) {
  const Eigen::Index n = 300;
  Eigen::MatrixXd a = Eigen::MatrixXd::Identity(n, n);
  a(0, 0) = -1.0;  // not SPD: dpotrf refuses; the eigenvalue path meets log(−1)
  EXPECT_TRUE(std::isnan(nnworld::thermo::log_det_spd(a)));
}
