// Ĵ (9), Ĝ (8), the exact Hessian of (3), the spectral radius and the Newton fixed-point search.
#include <gtest/gtest.h>

#include <Eigen/LU>
#include <cmath>
#include <random>

#include "network_fixtures.hpp"
#include "nnworld/core/error.hpp"
#include "nnworld/network/network.hpp"

namespace nnworld::network {
namespace {

using testing::Layout;

constexpr ActivationKind kinds[] = {ActivationKind::tanh, ActivationKind::logistic,
                                    ActivationKind::relu, ActivationKind::linear};
constexpr Layout layouts[] = {Layout::dense, Layout::sparse, Layout::permutation};

// Central differences, h = 1e−5, of maps with O(1) first and second derivatives: truncation
// ≲ h²·O(1) = 1e−10, round-off ε/h ≈ 2e−11; tolerance 1e−6·max(1, |entry|).
constexpr double h = 1e-5;

Network smooth_point_network(Layout layout, ActivationKind act, std::uint64_t seed, Vector& x) {
  std::mt19937_64 rng(seed);
  for (;;) {
    Network net = testing::random_network(layout, 6, act, rng);
    net.mass = 0.25;
    x = testing::random_vector(6, rng);
    // relu: keep every preactivation ≥ 0.05 from the kink (h moves y by ≤ 6h).
    if (act != ActivationKind::relu || preactivation(net, x).cwiseAbs().minCoeff() > 0.05) {
      return net;
    }
  }
}

class LinearisationTest : public ::testing::TestWithParam<std::tuple<ActivationKind, Layout>> {};

TEST_P(LinearisationTest, JacobianGAndHessianMatchFiniteDifferences) {
  const auto [act, layout] = GetParam();
  Vector x;
  const Network net = smooth_point_network(layout, act, 40 + static_cast<int>(act), x);
  const std::int64_t n = net.n();
  const Matrix j = jacobian(net, x);
  const Matrix hs = hessian(net, x);
  Matrix j_fd(n, n);
  Matrix h_fd(n, n);
  for (std::int64_t c = 0; c < n; ++c) {
    Vector xp = x;
    Vector xm = x;
    xp[c] += h;
    xm[c] -= h;
    j_fd.col(c) = (state_map(net, xp) - state_map(net, xm)) / (2 * h);
    h_fd.col(c) =
        (loss_gradient(net, xp, LossKind::bulk).dx - loss_gradient(net, xm, LossKind::bulk).dx) /
        (2 * h);
  }
  for (std::int64_t a = 0; a < n; ++a) {
    for (std::int64_t b = 0; b < n; ++b) {
      EXPECT_NEAR(j(a, b), j_fd(a, b), 1e-6 * std::max(1.0, std::abs(j_fd(a, b))))
          << "J(" << a << "," << b << ")";
      EXPECT_NEAR(hs(a, b), h_fd(a, b), 1e-6 * std::max(1.0, std::abs(h_fd(a, b))))
          << "H(" << a << "," << b << ")";
    }
  }
  // (8) from the finite-difference Jacobian (independent of the code's Ĵ).
  const Matrix a = Matrix::Identity(n, n) - j_fd;
  EXPECT_LE((g_matrix(net, x) - a.transpose() * a).cwiseAbs().maxCoeff(), 1e-8);
  // The exact Hessian is symmetric up to rounding of O(1) sums.
  EXPECT_LE((hs - hs.transpose()).cwiseAbs().maxCoeff(), 1e-14);
}

INSTANTIATE_TEST_SUITE_P(AllCombinations, LinearisationTest,
                         ::testing::Combine(::testing::ValuesIn(kinds),
                                            ::testing::ValuesIn(layouts)),
                         [](const auto& info) {
                           return std::string(activation_name(std::get<0>(info.param))) + "_" +
                                  testing::layout_name(std::get<1>(info.param));
                         });

// At a fixed point r = 0, so ∇²H = Ĝ − m I exactly (spec §1a).
TEST(Linearisation, HessianIsGMinusMassAtFixedPoint) {
  for (const auto act : {ActivationKind::tanh, ActivationKind::logistic}) {
    std::mt19937_64 rng(9);
    Network net = testing::random_network(Layout::dense, 8, act, rng);
    // Scale to ‖w‖₂ = 0.5: (1) is a contraction (|f′| ≤ 1), iterate to the fixed point.
    DenseWeights w = std::get<DenseWeights>(net.w);
    w *= 0.5 / Eigen::JacobiSVD<Matrix>(Matrix(w)).singularValues()[0];
    net.w = w;
    net.mass = 0.2;
    const Vector xs = iterate(net, Vector::Zero(8), 200);  // 0.5^200: converged to rounding
    ASSERT_LE(residual(net, xs).cwiseAbs().maxCoeff(), 1e-15);
    const Matrix expected = g_matrix(net, xs) - net.mass * Matrix::Identity(8, 8);
    // The dropped term Σ r_i f″ w_i⊗w_i is ≤ 8·1e−15·|w|² ≲ 1e−14.
    EXPECT_LE((hessian(net, xs) - expected).cwiseAbs().maxCoeff(), 1e-14) << activation_name(act);
  }
}

TEST(Linearisation, SpectralRadius) {
  Matrix rot(2, 2);
  rot << 0.0, -0.7, 0.7, 0.0;  // eigenvalues ±0.7 i
  EXPECT_NEAR(spectral_radius(rot), 0.7, 1e-15);
  Matrix d = Vector::LinSpaced(5, -3.0, 1.0).asDiagonal();
  EXPECT_NEAR(spectral_radius(d), 3.0, 1e-15);
  EXPECT_THROW(spectral_radius(Matrix(2, 3)), Error);
}

// Linear f: the unique fixed point solves (I − w) x = b.
TEST(FixedPoints, LinearNetworkHasTheClosedFormPoint) {
  std::mt19937_64 rng(21);
  Network net = testing::random_network(Layout::dense, 10, ActivationKind::linear, rng, 0.2);
  const Matrix w = Matrix(to_dense(net.w));
  const Vector exact = (Matrix::Identity(10, 10) - w).fullPivLu().solve(net.b);
  const auto fps = fixed_points(net);
  ASSERT_EQ(fps.size(), 1u);
  // cond(I − w) ≈ 1 here: the solution is exact to a few ulp of O(1) entries.
  EXPECT_LE((fps[0].x - exact).cwiseAbs().maxCoeff(), 1e-14);
  EXPECT_LE(fps[0].residual, 1e-13);
  EXPECT_NEAR(fps[0].spectral_radius,
              Eigen::EigenSolver<Matrix>(w).eigenvalues().cwiseAbs().maxCoeff(), 1e-13);
}

// w = 2 I (N = 2), tanh, b = 0: each coordinate solves x = tanh 2x, so the fixed points are
// {−x₀, 0, x₀}², nine in all, with x₀ = 0.9575040240772688 (bisection below, std::tanh).
TEST(FixedPoints, FindsAllNineFixedPointsOfTanhTwoX) {
  double lo = 0.5;
  double hi = 1.0;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (mid - std::tanh(2.0 * mid) < 0.0 ? lo : hi) = mid;
  }
  const double x0 = 0.5 * (lo + hi);
  Network net;
  net.w = DenseWeights(2.0 * DenseWeights::Identity(2, 2));
  net.b = Vector::Zero(2);
  net.mass = 0.1;
  NewtonOptions opt;
  opt.starts = 64;
  opt.start_scale = 2.0;
  const auto fps = fixed_points(net, opt);
  ASSERT_EQ(fps.size(), 9u);
  int corners = 0;
  for (const auto& fp : fps) {
    for (int i = 0; i < 2; ++i) {
      const double a = std::abs(fp.x[i]);
      EXPECT_TRUE(a < 1e-14 || std::abs(a - x0) < 1e-14) << fp.x.transpose();
    }
    EXPECT_LE(fp.residual, opt.tolerance);
    EXPECT_NEAR(fp.loss, -0.05 * fp.x.squaredNorm(), 1e-15);
    // ρ(Ĵ) = max_i 2 tanh′(2 x_i): 2 at a zero coordinate, 2(1 − x₀²) at ±x₀.
    const bool has_zero = std::abs(fp.x[0]) < 0.5 || std::abs(fp.x[1]) < 0.5;
    EXPECT_NEAR(fp.spectral_radius, has_zero ? 2.0 : 2.0 * (1.0 - x0 * x0), 1e-13);
    if (!has_zero) ++corners;
  }
  EXPECT_EQ(corners, 4);
  for (std::size_t i = 1; i < fps.size(); ++i) EXPECT_LE(fps[i - 1].loss, fps[i].loss);
  EXPECT_EQ(fps.back().x.norm(), 0.0);  // the highest loss is x = 0
}

TEST(FixedPoints, RefusesLargeNetworks) {
  Network net;
  net.w = cyclic_permutation(2001, 0.5);
  net.b = Vector::Zero(2001);
  EXPECT_THROW(fixed_points(net), Error);
}

}  // namespace
}  // namespace nnworld::network
