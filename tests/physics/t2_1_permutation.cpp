// Spec T2.1: permutation dynamics. N = 256, π_ij = 1 iff i − 1 ≡ j (mod N), f = identity,
// b = 0. Then x(t) = π^t x(0), i.e. x_i(t) = x_{i−t}(0), and π^N = I. Tolerance 0: each step
// only copies numbers (one product 1·x per row, every other term an exact zero).
#include <gtest/gtest.h>

#include <random>

#include "nnworld/network/network.hpp"

namespace nnworld::network {
namespace {

constexpr std::int64_t n = 256;

Network shift_network(const Weights& w) {
  Network net;
  net.w = w;
  net.b = Vector::Zero(n);
  net.activation = ActivationKind::linear;
  net.validate();
  return net;
}

std::vector<Network> all_layouts() {
  const PermutationWeights p = cyclic_permutation(n);
  const DenseWeights d = to_dense(p);
  SparseWeights s = d.sparseView();
  s.makeCompressed();
  return {shift_network(p), shift_network(d), shift_network(s)};
}

Vector random_state(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g;
  Vector x(n);
  for (auto& v : x) v = g(rng);
  return x;
}

TEST(T2_1_Permutation, StateIsShiftedByOneEachStepExactly) {
  const char* names[] = {"permutation", "dense", "sparse"};
  const Vector x0 = random_state(1);
  int layout = 0;
  for (const auto& net : all_layouts()) {
    Vector x = x0;
    Vector next(n);
    for (std::int64_t t = 1; t <= n; ++t) {
      state_map(net, x, next);
      x.swap(next);
      for (std::int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(x[i], x0[((i - t) % n + n) % n]) << names[layout] << " t=" << t << " i=" << i;
      }
    }
    EXPECT_EQ(x, x0) << names[layout] << ": π^N = I";
    EXPECT_EQ(iterate(net, x0, n), x0) << names[layout];
    EXPECT_EQ(iterate(net, x0, 3 * n + 5), iterate(net, x0, 5)) << names[layout];
    ++layout;
  }
}

TEST(T2_1_Permutation, BatchOfStatesIsShiftedExactly) {
  Matrix x0(n, 5);
  for (int c = 0; c < 5; ++c) x0.col(c) = random_state(10 + c);
  for (const auto& net : all_layouts()) {
    Matrix x = x0;
    for (std::int64_t t = 1; t <= 7; ++t) x = state_map_batch(net, x);
    for (std::int64_t i = 0; i < n; ++i) {
      for (int c = 0; c < 5; ++c) ASSERT_EQ(x(i, c), x0(((i - 7) % n + n) % n, c));
    }
  }
}

// π^N = I as matrices: the N-th power of the dense π is exactly the identity.
TEST(T2_1_Permutation, NthPowerIsIdentity) {
  const Matrix p = Matrix(to_dense(cyclic_permutation(n)));
  Matrix acc = Matrix::Identity(n, n);
  for (std::int64_t t = 0; t < n; ++t) acc = p * acc;
  EXPECT_EQ(acc, Matrix::Identity(n, n));
}

}  // namespace
}  // namespace nnworld::network
