// Losses (3), (4) and loss_gradient against an independent reference and central finite
// differences, for every activation, both losses and all three weight layouts.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "network_fixtures.hpp"
#include "nnworld/network/network.hpp"

namespace nnworld::network {
namespace {

using testing::Layout;

constexpr ActivationKind kinds[] = {ActivationKind::tanh, ActivationKind::logistic,
                                    ActivationKind::relu, ActivationKind::linear};
constexpr Layout layouts[] = {Layout::dense, Layout::sparse, Layout::permutation};
constexpr LossKind losses[] = {LossKind::bulk, LossKind::boundary};

// Literal (3)/(4) with dense matrices and std:: functions: P = diag(mask),
// H(P x, P b, P w P) = ½|P x − f(P w P P x + P b)|² − (m/2)|P x|².
double reference_loss(const Network& net, const Vector& x, LossKind kind) {
  const std::int64_t n = net.n();
  Matrix p = Matrix::Identity(n, n);
  if (kind == LossKind::boundary) p = net.boundary_mask().asDiagonal();
  const Matrix w = p * Matrix(to_dense(net.w)) * p;
  const Vector xs = p * x;
  const Vector y = w * xs + p * net.b;
  double h = 0.0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double r = xs[i] - testing::reference_f(net.activation, y[i]);
    h += 0.5 * r * r;
  }
  return h - 0.5 * net.mass * xs.squaredNorm();
}

// A network of N = 7 with mass, two inputs and one output; for relu the point is redrawn until
// every preactivation that enters the loss is at least 0.05 from the kink at 0.
struct Fixture {
  Network net;
  Vector x;
};

Fixture make_setup(Layout layout, ActivationKind act, LossKind kind, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Fixture s;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    s.net = testing::random_network(layout, 7, act, rng);
    s.net.mass = 0.3;
    s.net.inputs = {0, 2};
    s.net.outputs = {5};
    s.x = testing::random_vector(7, rng);
    const Vector p = kind == LossKind::boundary ? s.net.boundary_mask() : Vector::Ones(7);
    const Vector y = p.cwiseProduct(preactivation(s.net, p.cwiseProduct(s.x)));
    double closest = 1e300;
    for (std::int64_t i = 0; i < 7; ++i) {
      if (p[i] != 0.0) closest = std::min(closest, std::abs(y[i]));
    }
    if (act != ActivationKind::relu || closest > 0.05) return s;
  }
  ADD_FAILURE() << "no relu point away from kinks";
  return s;
}

// Central differences with h = 1e−5 on a loss of size O(1) with O(1) derivatives: truncation
// h²|H‴|/6 ≲ 1e−9, round-off ε|H|/h ≈ 2e−11 (for relu the step moves no preactivation across 0,
// since |Δy| ≤ h·max(|x|, |w|, 1)·7 < 0.05). A tolerance of 1e−6·max(1, |g|) is far above both
// and far below the size of any formula error (O(0.01) or more).
constexpr double h = 1e-5;
void expect_close(double fd, double an, const std::string& what) {
  EXPECT_NEAR(fd, an, 1e-6 * std::max(1.0, std::abs(an))) << what;
}

class GradientTest : public ::testing::TestWithParam<std::tuple<ActivationKind, LossKind, Layout>> {
};

TEST_P(GradientTest, LossMatchesReferenceAndGradientMatchesFiniteDifferences) {
  const auto [act, kind, layout] = GetParam();
  const Fixture s = make_setup(layout, act, kind, 100 + static_cast<int>(act));
  const Network& net = s.net;
  const Vector& x = s.x;
  net.validate();

  // Loss value: the kernels against the literal dense formula (the only difference is the
  // summation order and the activation kernel: a few ulp of O(1) values).
  const double ref = reference_loss(net, x, kind);
  EXPECT_NEAR(loss(net, x, kind), ref, 1e-14);
  const LossGradient g = loss_gradient(net, x, kind);
  EXPECT_NEAR(g.loss, ref, 1e-14);
  ASSERT_EQ(g.dw.index(), net.w.index()) << "dw must have the layout of w";

  const auto l = [&](const Network& n2, const Vector& x2) { return loss(n2, x2, kind); };
  for (std::int64_t j = 0; j < x.size(); ++j) {
    Vector xp = x;
    Vector xm = x;
    xp[j] += h;
    xm[j] -= h;
    expect_close((l(net, xp) - l(net, xm)) / (2 * h), g.dx[j], "dx[" + std::to_string(j) + "]");
  }
  for (std::int64_t j = 0; j < x.size(); ++j) {
    Network np = net;
    Network nm = net;
    np.b[j] += h;
    nm.b[j] -= h;
    expect_close((l(np, x) - l(nm, x)) / (2 * h), g.db[j], "db[" + std::to_string(j) + "]");
  }
  // Stored weights, one at a time, through the raw value arrays of each layout.
  const auto values = [](Weights& w) -> std::pair<double*, std::int64_t> {
    return std::visit(
        [](auto& m) -> std::pair<double*, std::int64_t> {
          using W = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<W, DenseWeights>) {
            return {m.data(), m.size()};
          } else if constexpr (std::is_same_v<W, SparseWeights>) {
            return {m.valuePtr(), m.nonZeros()};
          } else {
            return {m.value.data(), m.value.size()};
          }
        },
        w);
  };
  Weights dw = g.dw;
  const auto [dv, dcount] = values(dw);
  Network probe = net;
  const auto [pv, pcount] = values(probe.w);
  ASSERT_EQ(dcount, pcount);
  if (layout == Layout::sparse) {
    const auto& a = std::get<SparseWeights>(net.w);
    const auto& b = std::get<SparseWeights>(g.dw);
    ASSERT_TRUE(b.isCompressed());
    for (std::int64_t i = 0; i <= a.rows(); ++i)
      ASSERT_EQ(a.outerIndexPtr()[i], b.outerIndexPtr()[i]);
    for (std::int64_t k = 0; k < a.nonZeros(); ++k)
      ASSERT_EQ(a.innerIndexPtr()[k], b.innerIndexPtr()[k]);
  }
  if (layout == Layout::permutation) {
    EXPECT_EQ(std::get<PermutationWeights>(g.dw).source,
              std::get<PermutationWeights>(net.w).source);
  }
  for (std::int64_t k = 0; k < pcount; ++k) {
    const double w0 = pv[k];
    pv[k] = w0 + h;
    const double lp = l(probe, x);
    pv[k] = w0 - h;
    const double lm = l(probe, x);
    pv[k] = w0;
    expect_close((lp - lm) / (2 * h), dv[k], "dw value " + std::to_string(k));
  }
}

INSTANTIATE_TEST_SUITE_P(AllCombinations, GradientTest,
                         ::testing::Combine(::testing::ValuesIn(kinds), ::testing::ValuesIn(losses),
                                            ::testing::ValuesIn(layouts)),
                         [](const auto& info) {
                           return std::string(activation_name(std::get<0>(info.param))) + "_" +
                                  (std::get<1>(info.param) == LossKind::bulk ? "bulk"
                                                                             : "boundary") +
                                  "_" + testing::layout_name(std::get<2>(info.param));
                         });

// For the boundary loss the bulk neurons contribute the constant residual −f(0): with the
// logistic f(0) = ½, so H_∂ with no boundary neurons at all is N/8 whatever x, b, w are.
TEST(BoundaryLoss, BulkNeuronsContributeMinusFOfZero) {
  std::mt19937_64 rng(5);
  Network net = testing::random_network(Layout::dense, 6, ActivationKind::logistic, rng);
  net.mass = 0.7;
  const Vector x = testing::random_vector(6, rng);
  EXPECT_DOUBLE_EQ(boundary_loss(net, x), 6.0 / 8.0);
  const LossGradient g = loss_gradient(net, x, LossKind::boundary);
  EXPECT_EQ(g.dx.cwiseAbs().maxCoeff(), 0.0);
  EXPECT_EQ(g.db.cwiseAbs().maxCoeff(), 0.0);
  EXPECT_EQ(std::get<DenseWeights>(g.dw).cwiseAbs().maxCoeff(), 0.0);
  // With every neuron on the boundary, (4) is (3).
  for (std::int32_t i = 0; i < 3; ++i) net.inputs.push_back(i);
  for (std::int32_t i = 3; i < 6; ++i) net.outputs.push_back(i);
  EXPECT_EQ(boundary_loss(net, x), bulk_loss(net, x));
}

}  // namespace
}  // namespace nnworld::network
