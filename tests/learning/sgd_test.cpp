// Tests of train_sgd / dataset_loss: the update rule
//   q ← q − η (g + λ q) + √(2ηT) ξ,  g = (1/B) Σ_k ∂H/∂q(x_{s_k}),
// against an independent hand computation, descent on a teacher dataset, exact weight decay,
// bit-identical results for 1 and 2 threads, divergence detection and option validation.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "nnworld/core/error.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/network/learning.hpp"
#include "reference.hpp"

namespace nnworld::test {
namespace {

using network::Dataset;
using network::SgdOptions;
using network::TrainingResult;

std::string layout_name(Layout l) {
  switch (l) {
    case Layout::dense:
      return "dense";
    case Layout::sparse:
      return "csr";
    case Layout::permutation:
      break;
  }
  return "permutation";
}

Network make_network(Layout layout, int n, ActivationKind activation, double weight_scale,
                     std::uint64_t seed, std::vector<std::int32_t> inputs,
                     std::vector<std::int32_t> outputs) {
  std::mt19937_64 gen(seed);
  Network net;
  net.w = random_weights(layout, n, weight_scale, gen);
  net.b = random_vector(n, 0.3, gen);
  net.activation = activation;
  net.inputs = std::move(inputs);
  net.outputs = std::move(outputs);
  return net;
}

Dataset random_dataset(int rows, int cols, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Dataset d;
  d.rows.resize(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) d.rows(i, j) = u(gen);
  d.source = "test";
  return d;
}

// ---- The update rule against a hand computation ------------------------------------------

class HandComputed : public ::testing::TestWithParam<std::tuple<Layout, LossKind>> {};

// Linear network, several SGD steps with weight decay and Langevin noise. The reference
// redraws the batch rows with RngStream(seed, minibatch).below(t, k, S) and the noise with
// RngStream(seed, langevin).normal(t, p) (the documented parameter order), evaluates the
// loss and gradients with its own dense formulas, and applies
//   q ← q − η (mean gradient + λ q) + √(2ηT) ξ.
// Every quantity is O(1) and the two computations differ only in the order of a few dozen
// roundings per step, so they agree to 1e-14 (≈ 50 ulp) over 4 steps.
TEST_P(HandComputed, UpdateRuleMatchesReference) {
  const auto [layout, kind] = GetParam();
  const int n = 5;
  Network net = make_network(layout, n, ActivationKind::linear, 0.5, 11, {0, 1}, {4});
  net.mass = 0.3;
  const Dataset data = random_dataset(6, 3, 12);
  SgdOptions o;
  o.step = 0.05;
  o.batch = 5;
  o.steps = 4;
  o.temperature = 0.02;
  o.weight_decay = 0.1;
  o.relax_steps = 3;
  o.loss = kind;
  o.seed = 7;

  Reference ref(net);
  const core::RngStream batch_rng(o.seed, core::StreamTag::minibatch);
  const core::RngStream noise_rng(o.seed, core::StreamTag::langevin);
  std::vector<double> ref_loss;
  for (int t = 0; t < o.steps; ++t) {
    Eigen::VectorXd mean = Eigen::VectorXd::Zero(ref.params());
    double loss = 0.0;
    for (int k = 0; k < o.batch; ++k) {
      const int row = static_cast<int>(batch_rng.below(t, k, 6));
      Eigen::VectorXd g;
      loss += ref.loss_and_gradient(ref.state(data.rows, row, o.relax_steps), kind, g);
      mean += g;
    }
    mean /= static_cast<double>(o.batch);
    ref_loss.push_back(loss / static_cast<double>(o.batch));
    Reference next = ref;
    for (int p = 0; p < ref.params(); ++p) {
      const double q = ref.param(p);
      next.param_ref(p) = q - o.step * (mean[p] + o.weight_decay * q) +
                          std::sqrt(2.0 * o.step * o.temperature) * noise_rng.normal(t, p);
    }
    ref = next;
  }

  const TrainingResult result = network::train_sgd(net, data, o);
  ASSERT_EQ(result.step.size(), 4u);
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(result.step[t], t);
    EXPECT_NEAR(result.loss[t], ref_loss[t], 1e-14 * std::max(1.0, std::abs(ref_loss[t])));
  }
  const Reference trained(net);
  ASSERT_EQ(trained.params(), ref.params());
  for (int p = 0; p < ref.params(); ++p) {
    EXPECT_NEAR(trained.param(p), ref.param(p), 1e-14) << "parameter " << p;
  }
  // Untrained (not stored) weights stay zero.
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      if (ref.w(i, j) == 0.0) {
        EXPECT_EQ(trained.w(i, j), 0.0);
      }
    }
  }
  const double ref_final = ref.dataset_loss(data.rows, o.relax_steps, kind);
  EXPECT_NEAR(result.final_loss, ref_final, 1e-14 * std::max(1.0, std::abs(ref_final)));
  EXPECT_NEAR(network::dataset_loss(net, data, o), ref_final,
              1e-14 * std::max(1.0, std::abs(ref_final)));
}

INSTANTIATE_TEST_SUITE_P(Layouts, HandComputed,
                         ::testing::Combine(::testing::Values(Layout::dense, Layout::sparse,
                                                              Layout::permutation),
                                            ::testing::Values(LossKind::bulk, LossKind::boundary)),
                         [](const auto& info) {
                           return layout_name(std::get<0>(info.param)) +
                                  (std::get<1>(info.param) == LossKind::bulk ? "_bulk"
                                                                             : "_boundary");
                         });

// Unsupervised data (only input columns): the outputs are relaxed, not set. A one-row dataset
// makes every batch that row, so the plain-SGD step (T = 0, λ = 0) is q − η ∂H/∂q exactly as
// the reference computes it (tolerance as above).
TEST(TrainSgd, UnsupervisedSingleRowPlainStep) {
  Network net = make_network(Layout::dense, 4, ActivationKind::tanh, 0.8, 3, {0}, {3});
  Dataset data;
  data.rows.resize(1, 1);
  data.rows(0, 0) = 0.7;
  SgdOptions o;
  o.step = 0.1;
  o.batch = 3;
  o.steps = 1;
  o.relax_steps = 4;
  Reference ref(net);
  Eigen::VectorXd g;
  const double h = ref.loss_and_gradient(ref.state(data.rows, 0, 4), LossKind::bulk, g);
  const TrainingResult result = network::train_sgd(net, data, o);
  EXPECT_NEAR(result.loss[0], h, 1e-14);
  const Reference trained(net);
  for (int p = 0; p < ref.params(); ++p)
    EXPECT_NEAR(trained.param(p), ref.param(p) - 0.1 * g[p], 1e-14) << "parameter " << p;
}

// ---- Descent on a teacher dataset ---------------------------------------------------------

// With relax_steps = 0 the state x of a sample (inputs and targets clamped, other neurons 0)
// does not depend on q, so ⟨H⟩(q) is one fixed smooth function and SGD is stochastic gradient
// descent on it: for a step η well below 2/L (L ≈ largest curvature ≈ ⟨|(1, x)|²⟩ ≈ 3 here,
// η = 0.05) the expected change per step is −η|∇⟨H⟩|² + O(η²), so ⟨H⟩ falls until the
// gradient is small. The student starts far from the teacher (weights 3× larger, other
// draws), so its initial ⟨H⟩ is dominated by saturated residuals that descent removes; the
// criterion "final < ½ initial" needs only that a fraction of that excess is learnt.
TEST(TrainSgd, DecreasesLossOnTeacherData) {
  const Network shape =
      make_network(Layout::dense, 8, ActivationKind::tanh, 1.0, 5, {0, 1, 2}, {6, 7});
  const Dataset data = network::synthetic_dataset("teacher", shape, 200, 9, 5);
  Network student = make_network(Layout::dense, 8, ActivationKind::tanh, 3.0, 6, {0, 1, 2}, {6, 7});
  SgdOptions o;
  o.step = 0.05;
  o.batch = 16;
  o.steps = 400;
  o.relax_steps = 0;
  o.record_every = 50;
  const double initial = network::dataset_loss(student, data, o);
  const TrainingResult result = network::train_sgd(student, data, o);
  EXPECT_LT(result.final_loss, 0.5 * initial) << "initial " << initial;
  EXPECT_DOUBLE_EQ(result.final_loss, network::dataset_loss(student, data, o));
}

// ---- Weight decay -------------------------------------------------------------------------

class WeightDecay : public ::testing::TestWithParam<Layout> {};

// All-zero data, b = 0 and f(0) = 0 (tanh): the relaxed state is x = 0, so r = 0, H ≡ 0 and
// every gradient vanishes; the update is w ← w − ηλ w, hence w_t = (1 − ηλ)^t w_0. The code
// rounds about 3 times per step (λw, η(·), subtraction), so after t = 200 steps the relative
// error is ≲ 3·200·2⁻⁵³ ≈ 7e-14; tolerance 1e-12. The bias stays exactly 0 and every recorded
// loss is exactly 0.
TEST_P(WeightDecay, ShrinksByExactFactor) {
  Network net = make_network(GetParam(), 6, ActivationKind::tanh, 1.0, 21, {0, 1}, {5});
  net.b.setZero();
  const Reference before(net);
  Dataset data;
  data.rows = Eigen::MatrixXd::Zero(5, 3);
  SgdOptions o;
  o.step = 0.01;
  o.weight_decay = 0.5;
  o.steps = 200;
  o.batch = 4;
  o.relax_steps = 3;
  const TrainingResult result = network::train_sgd(net, data, o);
  const double factor = std::pow(1.0 - o.step * o.weight_decay, 200.0);
  const Reference after(net);
  for (int p = 0; p < before.params(); ++p) {
    EXPECT_NEAR(after.param(p), factor * before.param(p), 1e-12 * std::abs(before.param(p)))
        << "parameter " << p;
  }
  for (int i = 0; i < 6; ++i) EXPECT_EQ(after.b[i], 0.0);
  for (double l : result.loss) EXPECT_EQ(l, 0.0);
  EXPECT_EQ(result.final_loss, 0.0);
}

INSTANTIATE_TEST_SUITE_P(Layouts, WeightDecay,
                         ::testing::Values(Layout::dense, Layout::sparse, Layout::permutation),
                         [](const auto& info) { return layout_name(info.param); });

// ---- Determinism across thread counts -----------------------------------------------------

class ThreadCount : public ::testing::TestWithParam<Layout> {};

std::vector<double> all_parameters(const Network& net) {
  const Reference r(net);
  std::vector<double> v;
  for (int p = 0; p < r.params(); ++p) v.push_back(r.param(p));
  return v;
}

// The batch (B = 37: four full chunks of 8 and a partial one) is reduced in fixed chunks added
// in chunk order, and the noise is indexed by (step, parameter): 1 and 2 threads must give the
// same bits, compared with ==.
TEST_P(ThreadCount, BitIdenticalForOneAndTwoThreads) {
  const Network start =
      make_network(GetParam(), 12, ActivationKind::tanh, 1.2, 31, {0, 1, 2, 3}, {9, 10, 11});
  const Dataset data = network::synthetic_dataset("teacher", start, 100, 4, 4);
  SgdOptions o;
  o.step = 0.03;
  o.batch = 37;
  o.steps = 15;
  o.temperature = 1e-3;
  o.weight_decay = 1e-3;
  o.relax_steps = 4;
  o.record_every = 2;
  o.seed = 99;

  std::vector<TrainingResult> results;
  std::vector<std::vector<double>> params;
  const int saved = omp_get_max_threads();
  for (const auto& [omp_threads, option_threads] :
       {std::pair{1, 1}, std::pair{2, 2}, std::pair{2, 0}, std::pair{1, 2}}) {
    omp_set_num_threads(omp_threads);
    Network net = start;
    o.threads = option_threads;
    results.push_back(network::train_sgd(net, data, o));
    params.push_back(all_parameters(net));
  }
  omp_set_num_threads(saved);
  for (std::size_t r = 1; r < results.size(); ++r) {
    ASSERT_EQ(results[r].loss.size(), results[0].loss.size());
    EXPECT_EQ(results[r].step, results[0].step);
    for (std::size_t k = 0; k < results[0].loss.size(); ++k)
      EXPECT_EQ(results[r].loss[k], results[0].loss[k]) << "run " << r << " record " << k;
    EXPECT_EQ(results[r].final_loss, results[0].final_loss) << "run " << r;
    EXPECT_EQ(params[r], params[0]) << "run " << r;
  }
  // The run trained something (the comparison is not between untouched parameters).
  EXPECT_NE(params[0], all_parameters(start));
  EXPECT_EQ(results[0].step, (std::vector<std::int64_t>{0, 2, 4, 6, 8, 10, 12, 14}));
}

INSTANTIATE_TEST_SUITE_P(Layouts, ThreadCount,
                         ::testing::Values(Layout::dense, Layout::sparse, Layout::permutation),
                         [](const auto& info) { return layout_name(info.param); });

// ---- Divergence ---------------------------------------------------------------------------

// Linear N = 2 network, w = 0, b = 0, input x₀ = a, target x₁ = a, no relaxation: x = (a, a),
// r = x, H = a², ∂H/∂b_i = −a, ∂H/∂w_ij = −a². Step 0 sets every parameter to η a (a = 1) or
// η a² (weights): with η = 1e300 they stay finite, then at step 1 r ≈ −3e300 and
// H = ½|r|² overflows: Divergence(1, "loss"). With a = 2 and η = 1e308 the bias becomes
// 2e308 = inf at step 0: Divergence(0, "bias").
Network divergence_network() {
  Network net;
  net.w = network::DenseWeights::Zero(2, 2);
  net.b = Eigen::VectorXd::Zero(2);
  net.activation = ActivationKind::linear;
  net.inputs = {0};
  net.outputs = {1};
  return net;
}

TEST(TrainSgd, DivergenceNamesStepAndQuantity) {
  Dataset data;
  data.rows = Eigen::MatrixXd::Constant(1, 2, 1.0);
  SgdOptions o;
  o.step = 1e300;
  o.batch = 1;
  o.steps = 10;
  o.relax_steps = 0;
  Network net = divergence_network();
  try {
    network::train_sgd(net, data, o);
    FAIL() << "no Divergence thrown";
  } catch (const Divergence& d) {
    EXPECT_EQ(d.step, 1);
    EXPECT_EQ(d.quantity, "loss");
    EXPECT_EQ(d.exit_code, 3);
  }

  data.rows.setConstant(2.0);
  o.step = 1e308;
  net = divergence_network();
  try {
    network::train_sgd(net, data, o);
    FAIL() << "no Divergence thrown";
  } catch (const Divergence& d) {
    EXPECT_EQ(d.step, 0);
    EXPECT_EQ(d.quantity, "bias");
  }
}

// ---- Recording and progress ---------------------------------------------------------------

TEST(TrainSgd, RecordsEveryKthStepAndReportsProgress) {
  Network net = make_network(Layout::dense, 4, ActivationKind::tanh, 1.0, 2, {0}, {3});
  const Dataset data = random_dataset(10, 2, 3);
  SgdOptions o;
  o.steps = 10;
  o.record_every = 3;
  o.batch = 2;
  std::vector<std::int64_t> done;
  const TrainingResult r =
      network::train_sgd(net, data, o, [&](std::int64_t d, std::int64_t total) {
        EXPECT_EQ(total, 10);
        done.push_back(d);
      });
  EXPECT_EQ(r.step, (std::vector<std::int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(r.loss.size(), 4u);
  ASSERT_FALSE(done.empty());
  EXPECT_EQ(done.back(), 10);
  for (std::size_t k = 1; k < done.size(); ++k) EXPECT_GT(done[k], done[k - 1]);

  // steps = 0: nothing recorded, parameters untouched, final loss = ⟨H⟩.
  const std::vector<double> before = all_parameters(net);
  o.steps = 0;
  const TrainingResult none = network::train_sgd(net, data, o);
  EXPECT_TRUE(none.loss.empty());
  EXPECT_EQ(all_parameters(net), before);
  EXPECT_EQ(none.final_loss, network::dataset_loss(net, data, o));
}

// ---- Validation ---------------------------------------------------------------------------

TEST(TrainSgd, RejectsInvalidOptionsAndData) {
  const Network start = make_network(Layout::dense, 4, ActivationKind::tanh, 1.0, 2, {0}, {3});
  const Dataset data = random_dataset(5, 2, 3);
  auto expect_error = [&](const SgdOptions& o, const Dataset& d, const Network& n0,
                          const std::string& key) {
    Network net = n0;
    try {
      network::train_sgd(net, d, o);
      ADD_FAILURE() << "no error for " << key;
    } catch (const Divergence&) {
      ADD_FAILURE() << "Divergence instead of input error for " << key;
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code, 2) << key;
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  };
  SgdOptions o;
  o.steps = 2;
  auto with = [&](auto change) {
    SgdOptions c = o;
    change(c);
    return c;
  };
  expect_error(with([](SgdOptions& c) { c.step = 0.0; }), data, start, "step");
  expect_error(with([](SgdOptions& c) { c.step = -1.0; }), data, start, "step");
  expect_error(with([](SgdOptions& c) { c.batch = 0; }), data, start, "batch");
  expect_error(with([](SgdOptions& c) { c.steps = -1; }), data, start, "steps");
  expect_error(with([](SgdOptions& c) { c.temperature = -0.1; }), data, start, "temperature");
  expect_error(with([](SgdOptions& c) { c.weight_decay = -0.1; }), data, start, "weight_decay");
  expect_error(with([](SgdOptions& c) { c.relax_steps = -1; }), data, start, "relax_steps");
  expect_error(with([](SgdOptions& c) { c.record_every = 0; }), data, start, "record_every");
  expect_error(with([](SgdOptions& c) { c.threads = -1; }), data, start, "threads");

  // Column count must be |inputs| + |outputs| = 2 or |inputs| = 1.
  expect_error(o, random_dataset(5, 3, 1), start, "3 columns");
  Dataset empty;
  empty.rows.resize(0, 2);
  expect_error(o, empty, start, "no rows");
  Network no_inputs = start;
  no_inputs.inputs.clear();
  expect_error(o, data, no_inputs, "no input neurons");
}

}  // namespace
}  // namespace nnworld::test
