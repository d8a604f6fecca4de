// Spec T2.2: contraction. tanh, w = W₂ = [[0.3, −0.4], [0.5, 0.2]] (‖W₂‖₂ = 0.585492),
// b = (0.1, −0.2), x(0) = (3, −2). The map (1) converges to
// x* = (0.207025459131, −0.119884902511); ‖x(t) − x*‖ ≤ ‖W₂‖₂^t ‖x(0) − x*‖ for every t (since
// |tanh′| ≤ 1); the residual is below 1e−14 after 200 iterations.
#include <gtest/gtest.h>

#include <Eigen/SVD>
#include <cmath>

#include "nnworld/network/network.hpp"

namespace nnworld::network {
namespace {

Network w2_network() {
  DenseWeights w(2, 2);
  w << 0.3, -0.4, 0.5, 0.2;
  Network net;
  net.w = w;
  net.b = Vector(2);
  net.b << 0.1, -0.2;
  net.activation = ActivationKind::tanh;
  net.validate();
  return net;
}

Vector spec_fixed_point() {
  Vector x(2);
  x << 0.207025459131, -0.119884902511;  // 12 digits: each component within 5e−13
  return x;
}

double w2_norm() {
  const Matrix w = Matrix(to_dense(w2_network().w));
  return Eigen::JacobiSVD<Matrix>(w).singularValues()[0];
}

TEST(T2_2_Contraction, OperatorNormOfW2) {
  EXPECT_NEAR(w2_norm(), 0.585492, 5e-7);  // the spec gives 6 decimals
}

TEST(T2_2_Contraction, ConvergesToTheFixedPointWithinTheContractionBound) {
  const Network net = w2_network();
  Vector x0(2);
  x0 << 3.0, -2.0;
  // Numerical fixed point: 400 steps (0.5855^400 ≈ 1e−93) leave only rounding.
  const Vector xs = iterate(net, x0, 400);
  // The 12-digit reference of the spec: components within 5e−13 of the true x*.
  EXPECT_LE((xs - spec_fixed_point()).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_LE(residual(net, xs).cwiseAbs().maxCoeff(), 1e-15);

  // The bound, every t. Rounding adds δ ≤ a few ulp (~1e−16) per step, which the contraction
  // sums to ≤ δ/(1 − ‖W₂‖) ≈ 2.4δ; the slack 1e−15 covers that and the error of xs itself.
  const double lip = w2_norm();
  const double d0 = (x0 - xs).norm();
  Vector x = x0;
  for (int t = 1; t <= 200; ++t) {
    x = state_map(net, x);
    ASSERT_LE((x - xs).norm(), std::pow(lip, t) * d0 + 1e-15) << "t = " << t;
  }
  // Converged after 200 iterations: x = tanh(W₂x + b) to below 1e−14.
  EXPECT_LT(residual(net, x).cwiseAbs().maxCoeff(), 1e-14);
  EXPECT_LE((x - spec_fixed_point()).cwiseAbs().maxCoeff(), 1e-12);
}

TEST(T2_2_Contraction, NewtonFindsOnlyTheStableFixedPoint) {
  const Network net = w2_network();
  NewtonOptions opt;
  opt.starts = 32;
  opt.start_scale = 5.0;
  const auto fps = fixed_points(net, opt);
  // A contraction has exactly one fixed point.
  ASSERT_EQ(fps.size(), 1u);
  EXPECT_LE((fps[0].x - spec_fixed_point()).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_LE(fps[0].residual, 1e-15);
  EXPECT_NEAR(fps[0].loss, 0.0, 1e-30);
  // ρ(Ĵ) ≤ ‖diag(tanh′) W₂‖₂ ≤ ‖W₂‖₂ < 1: linearly stable.
  EXPECT_LT(fps[0].spectral_radius, w2_norm());
  EXPECT_GT(fps[0].spectral_radius, 0.0);
}

}  // namespace
}  // namespace nnworld::network
