#pragma once
// Learning dynamics of the trainable variables (b, w): stochastic gradient descent on the
// dataset average ⟨H⟩ with optional Langevin noise and weight decay,
//   q ← q − η (∇_q⟨H⟩_batch + λ q) + √(2 η T) ξ,   ξ ~ N(0, 1)   (q = b and the stored w)
// For each sample the input neurons are clamped to the data, the other neurons are iterated by
// the state map (1) for `relax_steps` steps from x = 0 (inputs clamped), then the output
// neurons are set to the sample's targets and H (bulk (3) or boundary (4)) and its gradient are
// taken at that fixed x ("x fast, q slow").
//
// Determinism: mini-batches, noise and initial states come from counter-based streams keyed by
// (seed, step, index); the batch is split into fixed chunks whose partial sums are added in
// chunk order, so results are bit-identical for any thread count.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nnworld/network/network.hpp"

namespace nnworld::network {

// One sample per row: the first |inputs| columns are the input neurons' values, the next
// |outputs| columns the output neurons' targets (none for unsupervised data).
struct Dataset {
  Matrix rows;
  std::string source;  // file path or generator name, for the record
};

// CSV with a numeric table (plain or gzip, detected by magic bytes; '#' comments and one
// optional header line allowed). Errors name FILE:LINE.
Dataset load_csv(const std::string& path);

// Synthetic data. kind: "teacher" — inputs uniform in [−1, 1], targets = outputs of a random
// teacher network of the same shape relaxed like the student; "gaussian" — every column N(0, 1).
// relax_steps: state-map iterations of the teacher per sample (as SgdOptions::relax_steps).
Dataset synthetic_dataset(const std::string& kind, const Network& shape, std::int64_t samples,
                          std::uint64_t seed, int relax_steps = 10);

struct SgdOptions {
  double step = 0.05;         // η
  std::int64_t batch = 32;    // mini-batch size B
  std::int64_t steps = 1000;  // number of SGD updates
  double temperature = 0.0;   // T of the Langevin noise (0: plain SGD)
  double weight_decay = 0.0;  // λ
  int relax_steps = 10;       // state-map iterations per sample
  LossKind loss = LossKind::bulk;
  std::uint64_t seed = 1;
  int threads = 1;                // OpenMP threads (0: the OpenMP default)
  std::int64_t record_every = 1;  // loss recorded every this many steps
};

struct TrainingResult {
  std::vector<std::int64_t> step;  // steps at which `loss` was recorded
  std::vector<double> loss;        // mini-batch mean of H at those steps (before the update)
  double final_loss = 0.0;         // ⟨H⟩ over the whole dataset after training
};

// progress(step_done, steps_total) is called now and then from the calling thread.
// Throws nnworld::Divergence if a loss or parameter becomes non-finite.
TrainingResult train_sgd(Network& net, const Dataset& data, const SgdOptions& options,
                         const std::function<void(std::int64_t, std::int64_t)>& progress = {});

// ⟨H⟩ over the dataset at the current parameters (same relaxation as training).
double dataset_loss(const Network& net, const Dataset& data, const SgdOptions& options);

}  // namespace nnworld::network
