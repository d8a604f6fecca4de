// Network::validate, boundary_mask, to_dense, cyclic_permutation, and input checks of kernels.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "network_fixtures.hpp"
#include "nnworld/core/error.hpp"
#include "nnworld/network/network.hpp"

namespace nnworld::network {
namespace {

using testing::Layout;

Network good_network(Layout layout) {
  std::mt19937_64 rng(8);
  Network net = testing::random_network(layout, 5, ActivationKind::tanh, rng);
  net.inputs = {0, 1};
  net.outputs = {4};
  return net;
}

// Expects validate() to throw an Error whose where/what/expected contain the given fragments.
void expect_invalid(const Network& net, const std::string& where, const std::string& what,
                    const std::string& expected) {
  try {
    net.validate();
    ADD_FAILURE() << "validate() accepted a bad network (" << what << ")";
  } catch (const Error& e) {
    EXPECT_NE(e.where.find(where), std::string::npos) << e.message();
    EXPECT_NE(e.what_.find(what), std::string::npos) << e.message();
    EXPECT_NE(e.expected.find(expected), std::string::npos) << e.message();
    EXPECT_EQ(e.exit_code, 2);
  }
}

TEST(Validate, AcceptsWellFormedNetworks) {
  for (const auto l : {Layout::dense, Layout::sparse, Layout::permutation}) {
    EXPECT_NO_THROW(good_network(l).validate());
  }
}

TEST(Validate, RejectsShapeErrors) {
  Network net = good_network(Layout::dense);
  net.b = Vector::Zero(0);
  expect_invalid(net, "network", "no neurons", "N >= 1");
  net = good_network(Layout::dense);
  net.b = Vector::Zero(6);
  expect_invalid(net, "network.w", "5x5", "N x N");
  net = good_network(Layout::sparse);
  net.w = SparseWeights(5, 4);
  expect_invalid(net, "network.w", "5x4", "N x N");
  net = good_network(Layout::permutation);
  std::get<PermutationWeights>(net.w).value = Vector::Ones(4);
  expect_invalid(net, "network.w", "shape", "N x N");
}

TEST(Validate, RejectsBadIndicesAndValues) {
  Network net = good_network(Layout::sparse);
  std::get<SparseWeights>(net.w).innerIndexPtr()[3] = 7;
  expect_invalid(net, "network.w", "column index 7", "[0, 5)");

  net = good_network(Layout::permutation);
  auto& p = std::get<PermutationWeights>(net.w);
  p.source[2] = p.source[3];
  expect_invalid(net, "network.w", "appears twice", "permutation");
  p.source[2] = -1;
  expect_invalid(net, "network.w", "source[2] = -1", "[0, 5)");

  const double nan = std::numeric_limits<double>::quiet_NaN();
  net = good_network(Layout::dense);
  std::get<DenseWeights>(net.w)(1, 2) = nan;
  expect_invalid(net, "network.w", "w(1, 2)", "finite");
  net = good_network(Layout::dense);
  net.b[3] = std::numeric_limits<double>::infinity();
  expect_invalid(net, "network.b", "b[3]", "finite");
  net = good_network(Layout::dense);
  net.mass = nan;
  expect_invalid(net, "network.mass", "mass", "finite");

  net = good_network(Layout::dense);
  net.inputs = {0, 9};
  expect_invalid(net, "network.inputs[1]", "out of range", "[0, 5)");
  net.inputs = {0, 0};
  expect_invalid(net, "network.inputs[1]", "twice", "distinct");
  net.inputs = {0, 4};
  expect_invalid(net, "network.outputs[0]", "both an input and an output", "disjoint");
}

TEST(Validate, KernelsRejectWrongStateSizes) {
  const Network net = good_network(Layout::dense);
  EXPECT_THROW(state_map(net, Vector::Zero(4)), Error);
  EXPECT_THROW(state_map_batch(net, Matrix::Zero(6, 2)), Error);
  EXPECT_THROW(bulk_loss(net, Vector::Zero(3)), Error);
  EXPECT_THROW(loss_gradient(net, Vector::Zero(3), LossKind::boundary), Error);
  Network bad = net;
  bad.b = Vector::Zero(3);
  EXPECT_THROW(state_map(bad, Vector::Zero(3)), Error);
  Vector x = Vector::Zero(5);
  EXPECT_THROW(state_map(net, x, x), Error);
}

TEST(Network, BoundaryMaskAndToDense) {
  const Network net = good_network(Layout::sparse);
  Vector expected(5);
  expected << 1, 1, 0, 0, 1;
  EXPECT_EQ(net.boundary_mask(), expected);
  const DenseWeights d = to_dense(net.w);
  const auto& s = std::get<SparseWeights>(net.w);
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 5; ++j) EXPECT_EQ(d(i, j), s.coeff(i, j));
  }
}

// Spec T2.1: π_ij = 1 iff i − 1 ≡ j (mod N).
TEST(Network, CyclicPermutationEntries) {
  const DenseWeights d = to_dense(cyclic_permutation(6, 0.5));
  for (int i = 0; i < 6; ++i) {
    for (int j = 0; j < 6; ++j) EXPECT_EQ(d(i, j), (i - 1 + 6) % 6 == j ? 0.5 : 0.0);
  }
  EXPECT_THROW(cyclic_permutation(0), Error);
  const Vector v = Vector::LinSpaced(6, 1.0, 6.0);
  const Vector wt = transpose_times(cyclic_permutation(6, 0.5), v);
  EXPECT_EQ(wt, Vector(d.transpose() * v));
}

TEST(Network, TransposeTimesAgreesAcrossLayouts) {
  std::mt19937_64 rng(12);
  for (const auto l : {Layout::dense, Layout::sparse, Layout::permutation}) {
    const Weights w = testing::random_weights(l, 90, rng);
    const Vector v = testing::random_vector(90, rng);
    const Vector ref = Matrix(to_dense(w)).transpose() * v;
    // Sums of ≤ 90 O(1) products in different orders: ≤ 2γ_90 Σ|w||v| ≈ 2e−14·O(1).
    EXPECT_LE((transpose_times(w, v) - ref).cwiseAbs().maxCoeff(), 1e-13);
  }
}

}  // namespace
}  // namespace nnworld::network
