// synthetic_dataset: the documented draws ("gaussian" columns N(0, 1); "teacher" inputs
// uniform in (−1, 1) and targets of a relaxed teacher network), reproducibility and errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "nnworld/core/error.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/network/learning.hpp"
#include "reference.hpp"

namespace nnworld::test {
namespace {

Network shape_network(Layout layout) {
  std::mt19937_64 gen(17);
  Network net;
  net.w = random_weights(layout, 7, 1.0, gen);
  net.b = Eigen::VectorXd::Zero(7);
  net.activation = ActivationKind::tanh;
  net.inputs = {0, 2, 3};
  net.outputs = {6, 1};
  return net;
}

// Column means and variances of 20000 N(0, 1) draws: the standard errors are 1/√n = 0.0071
// and √(2/n) = 0.01; 5 of them are allowed. The entries are the documented counters.
TEST(SyntheticDataset, GaussianColumns) {
  const std::int64_t n = 20000;
  const network::Dataset d =
      network::synthetic_dataset("gaussian", shape_network(Layout::dense), n, 3);
  ASSERT_EQ(d.rows.rows(), n);
  ASSERT_EQ(d.rows.cols(), 5);
  const core::RngStream rng(3, core::StreamTag::dataset);
  EXPECT_EQ(d.rows(0, 0), rng.normal(0, 0));
  EXPECT_EQ(d.rows(1234, 3), rng.normal(0, 1234 * 5 + 3));
  for (int c = 0; c < 5; ++c) {
    double sum = 0.0, sum_sq = 0.0;
    for (std::int64_t s = 0; s < n; ++s) sum += d.rows(s, c);
    const double mean = sum / static_cast<double>(n);
    for (std::int64_t s = 0; s < n; ++s) sum_sq += (d.rows(s, c) - mean) * (d.rows(s, c) - mean);
    const double var = sum_sq / static_cast<double>(n - 1);
    EXPECT_NEAR(mean, 0.0, 5.0 / std::sqrt(n)) << "column " << c;
    EXPECT_NEAR(var, 1.0, 5.0 * std::sqrt(2.0 / n)) << "column " << c;
  }
}

class Teacher : public ::testing::TestWithParam<Layout> {};

// The teacher is rebuilt here from its documented draws, b_i = normal(1, i)/2 and stored
// weight k = normal(1, N + k)/√(fan-in of its row), and relaxed by the test's own dense
// state map. Targets agree to 1e-14: tanh outputs are O(1) and the two computations differ
// only in the summation order of 7-term dot products over 6 iterations.
TEST_P(Teacher, TargetsAreTheRelaxedTeacherOutputs) {
  const Network shape = shape_network(GetParam());
  const std::uint64_t seed = 8;
  const int relax = 6;
  const network::Dataset d = network::synthetic_dataset("teacher", shape, 50, seed, relax);
  ASSERT_EQ(d.rows.rows(), 50);
  ASSERT_EQ(d.rows.cols(), 5);

  Reference teacher(shape);
  const core::RngStream rng(seed, core::StreamTag::dataset);
  const int n = teacher.n();
  for (int i = 0; i < n; ++i) teacher.b[i] = 0.5 * rng.normal(1, i);
  std::vector<int> fan(n, 0);
  for (const auto& e : teacher.stored) ++fan[e.first];
  for (std::size_t k = 0; k < teacher.stored.size(); ++k) {
    const auto [i, j] = teacher.stored[k];
    teacher.w(i, j) = rng.normal(1, n + k) / std::sqrt(static_cast<double>(fan[i]));
  }
  teacher.outputs.clear();  // relax only: the targets are what we compare
  for (int s = 0; s < 50; ++s) {
    for (int k = 0; k < 3; ++k) {
      EXPECT_EQ(d.rows(s, k), 2.0 * rng.uniform(0, s * 3 + k) - 1.0);
      EXPECT_GT(d.rows(s, k), -1.0);
      EXPECT_LT(d.rows(s, k), 1.0);
    }
    const Eigen::VectorXd x = teacher.state(d.rows, s, relax);
    EXPECT_NEAR(d.rows(s, 3), x[6], 1e-14) << "sample " << s;
    EXPECT_NEAR(d.rows(s, 4), x[1], 1e-14) << "sample " << s;
  }
  // Targets are not trivially zero (the teacher does something).
  double largest = 0.0;
  for (int s = 0; s < 50; ++s) largest = std::max(largest, std::abs(d.rows(s, 3)));
  EXPECT_GT(largest, 0.05);
}

INSTANTIATE_TEST_SUITE_P(Layouts, Teacher,
                         ::testing::Values(Layout::dense, Layout::sparse, Layout::permutation));

TEST(SyntheticDataset, ReproducibleAndSeedDependent) {
  const Network shape = shape_network(Layout::dense);
  const network::Dataset a = network::synthetic_dataset("teacher", shape, 20, 5);
  const network::Dataset b = network::synthetic_dataset("teacher", shape, 20, 5);
  const network::Dataset c = network::synthetic_dataset("teacher", shape, 20, 6);
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_NE(a.rows, c.rows);
}

TEST(SyntheticDataset, Errors) {
  const Network shape = shape_network(Layout::dense);
  try {
    network::synthetic_dataset("spiral", shape, 10, 1);
    ADD_FAILURE() << "no error for an unknown kind";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("'spiral'"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("teacher, gaussian"), std::string::npos) << e.message();
  }
  EXPECT_THROW(network::synthetic_dataset("gaussian", shape, 0, 1), Error);
  EXPECT_THROW(network::synthetic_dataset("teacher", shape, 10, 1, -1), Error);
  Network no_inputs = shape;
  no_inputs.inputs.clear();
  EXPECT_THROW(network::synthetic_dataset("teacher", no_inputs, 10, 1), Error);
}

}  // namespace
}  // namespace nnworld::test
