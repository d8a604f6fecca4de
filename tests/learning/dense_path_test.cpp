// The dense SGD path at sizes where its tiling matters: N > 64 (several row tiles of the weight
// products), batches of more than 256 samples (several column tiles, several chunks of the
// sums, repeated rows merged), batched relaxation and the fused final ⟨H⟩ (relax_steps = 0,
// T = 0, N > 2 S). Checked: identical bits for 1, 2 and 3 threads, and agreement with the
// per-sample reference of reference.hpp.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "nnworld/core/rng.hpp"
#include "nnworld/network/learning.hpp"
#include "reference.hpp"

namespace nnworld::test {
namespace {

using network::Dataset;
using network::SgdOptions;
using network::TrainingResult;

struct Case {
  int n;
  int samples;
  SgdOptions options;
};

Network dense_network(int n, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  Network net;
  net.w = random_dense(n, 1.0 / std::sqrt(n), gen);
  net.b = random_vector(n, 0.1, gen);
  net.activation = ActivationKind::tanh;
  net.mass = 0.05;
  for (int i = 0; i < n / 2; ++i) net.inputs.push_back(i);
  for (int i = n - 10; i < n; ++i) net.outputs.push_back(i);
  return net;
}

Dataset dense_data(const Network& net, int samples, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Dataset d;
  d.rows.resize(samples, static_cast<int>(net.inputs.size() + net.outputs.size()));
  for (int r = 0; r < d.rows.rows(); ++r)
    for (int c = 0; c < d.rows.cols(); ++c) d.rows(r, c) = u(gen);
  d.source = "test";
  return d;
}

std::vector<double> parameters(const Network& net) {
  const Reference r(net);
  std::vector<double> v;
  for (int p = 0; p < r.params(); ++p) v.push_back(r.param(p));
  return v;
}

// The rule of learning.hpp with the reference's per-sample loss and gradient.
Reference reference_training(const Network& start, const Dataset& data, const SgdOptions& o,
                             std::vector<double>& batch_loss) {
  Reference ref(start);
  const core::RngStream batch_rng(o.seed, core::StreamTag::minibatch);
  const core::RngStream noise_rng(o.seed, core::StreamTag::langevin);
  const auto rows = static_cast<std::uint64_t>(data.rows.rows());
  for (std::int64_t t = 0; t < o.steps; ++t) {
    Eigen::VectorXd mean = Eigen::VectorXd::Zero(ref.params());
    double loss = 0.0;
    for (std::int64_t k = 0; k < o.batch; ++k) {
      const int row = static_cast<int>(batch_rng.below(t, k, rows));
      Eigen::VectorXd g;
      loss += ref.loss_and_gradient(ref.state(data.rows, row, o.relax_steps), o.loss, g);
      mean += g;
    }
    mean /= static_cast<double>(o.batch);
    batch_loss.push_back(loss / static_cast<double>(o.batch));
    Reference next = ref;
    for (int p = 0; p < ref.params(); ++p) {
      const double q = ref.param(p);
      next.param_ref(p) = q - o.step * (mean[p] + o.weight_decay * q) +
                          std::sqrt(2.0 * o.step * o.temperature) * noise_rng.normal(t, p);
    }
    ref = next;
  }
  return ref;
}

class DensePath : public ::testing::TestWithParam<int> {};

// Tolerances: every quantity is O(1) (w x = O(1), |x| ≤ 1, η ≤ 0.05); the library and the
// reference differ only in the order of the roundings of sums over at most B = 600 samples and
// N = 160 neurons, about (B + N) ε ≈ 2·10⁻¹³ relative per step on sums of O(1) terms, so 10⁻¹¹
// bounds 2 steps with a wide margin while an error in any term (a wrong sample, a missing
// chunk or tile, a wrong count of a repeated row) would be O(η/B) ≥ 10⁻⁵ or larger.
TEST_P(DensePath, BitIdenticalAcrossThreadsAndMatchesReference) {
  Case c;
  SgdOptions& o = c.options;
  o.step = 0.05;
  o.steps = 2;
  o.seed = 5;
  if (GetParam() == 0) {
    // Batched relaxation, noise, weight decay, boundary loss: N = 160 (3 row tiles), B = 600
    // drawn from S = 1000 (about 450 distinct rows: 2 column tiles, 75 chunks).
    c.n = 160;
    c.samples = 1000;
    o.batch = 600;
    o.relax_steps = 2;
    o.temperature = 1e-4;
    o.weight_decay = 1e-2;
    o.loss = LossKind::boundary;
  } else {
    // The fused final ⟨H⟩: relax_steps = 0, T = 0, N = 160 > 2 S = 140; B = 300 > 256 rows
    // drawn from S = 70 (many repeats), bulk loss, weight decay.
    c.n = 160;
    c.samples = 70;
    o.batch = 300;
    o.relax_steps = 0;
    o.weight_decay = 1e-2;
    o.loss = LossKind::bulk;
  }
  const Network start = dense_network(c.n, 17);
  const Dataset data = dense_data(start, c.samples, 23);

  std::vector<TrainingResult> results;
  std::vector<std::vector<double>> params;
  const int saved = omp_get_max_threads();
  for (const int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    Network net = start;
    o.threads = threads;
    results.push_back(network::train_sgd(net, data, o));
    params.push_back(parameters(net));
  }
  omp_set_num_threads(saved);
  for (std::size_t r = 1; r < results.size(); ++r) {
    EXPECT_EQ(results[r].loss, results[0].loss) << "threads " << r + 1;
    EXPECT_EQ(results[r].final_loss, results[0].final_loss) << "threads " << r + 1;
    EXPECT_TRUE(params[r] == params[0]) << "threads " << r + 1;
  }

  std::vector<double> ref_loss;
  const Reference ref = reference_training(start, data, o, ref_loss);
  ASSERT_EQ(results[0].loss.size(), ref_loss.size());
  for (std::size_t t = 0; t < ref_loss.size(); ++t)
    EXPECT_NEAR(results[0].loss[t], ref_loss[t], 1e-11 * std::max(1.0, std::abs(ref_loss[t])));
  double worst = 0.0;
  for (int p = 0; p < ref.params(); ++p)
    worst = std::max(worst, std::abs(params[0][static_cast<std::size_t>(p)] - ref.param(p)));
  EXPECT_LT(worst, 1e-11);
  EXPECT_NE(params[0], parameters(start));  // something was trained
  const double ref_final = ref.dataset_loss(data.rows, o.relax_steps, o.loss);
  EXPECT_NEAR(results[0].final_loss, ref_final, 1e-11 * std::max(1.0, std::abs(ref_final)));
}

INSTANTIATE_TEST_SUITE_P(Cases, DensePath, ::testing::Values(0, 1), [](const auto& info) {
  return info.param == 0 ? std::string("relaxed_noisy_boundary") : std::string("fused_final_loss");
});

}  // namespace
}  // namespace nnworld::test
