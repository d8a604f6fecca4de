#pragma once
// The [network] section shared by the experiments that build one network of paper Section 2:
// N, the activation f of the state map (1), the weights ŵ (explicit or generated), the bias b,
// the mass m of the bulk loss (3) and the input/output neurons.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "nnworld/io/config.hpp"
#include "nnworld/lab/experiment.hpp"
#include "nnworld/network/learning.hpp"
#include "nnworld/network/network.hpp"

namespace nnworld::lab {

// Above this N the O(N³) analyses (fixed points, Ĝ, Hessian, ‖ŵ‖₂) are skipped or refused.
inline constexpr std::int64_t kAnalysisLimit = 2000;
// Dense weights above this N would need more than 3 GB.
inline constexpr std::int64_t kDenseLimit = 20000;

struct BuiltNetwork {
  network::Network net;
  std::string init;  // "explicit", "random", "cyclic permutation", "sparse_random", "zero", …
};

// Reads and checks every network.* key and builds the network (weights from the init stream of
// options.seed). Throws nnworld::Error on bad input.
BuiltNetwork build_network(io::Config& c, const RunOptions& options);

// The weights as a permutation layout, if every row holds exactly one non-zero entry and the
// columns of those entries are distinct.
std::optional<network::PermutationWeights> as_permutation(const network::Weights& w);

// The layered network of the learning experiments: inputs 0..n_inputs−1, then the hidden
// neurons, then the outputs (the last n_outputs); dense w_ij ~ N(0, scale²/N) (entry (i, j) is
// draw (step i, index j) of the init stream of options.seed), b = 0. Keys network.{n_inputs,
// n_hidden, n_outputs, activation, scale}; N above `limit` is refused, `why` saying what the
// limit protects.
struct LayeredDefaults {
  std::int64_t n_inputs = 0;
  std::int64_t n_hidden = 0;
  std::int64_t n_outputs = 0;
};
network::Network build_layered_network(io::Config& c, const RunOptions& options,
                                       const LayeredDefaults& defaults, std::int64_t limit,
                                       const std::string& why);

// A CSV dataset (plain or gzip) for a network with n_in inputs and n_out outputs: n_in + n_out
// columns (inputs, then targets), n_in columns (inputs only) or, with n_out > 1, n_in + 1 columns
// (inputs and an integer class label k ∈ [0, n_out) → the one-hot target e_k). The input columns
// are multiplied by `scale`. Errors name data.source (`sources` lists what it accepts).
network::Dataset read_csv_dataset(io::Config& c, const std::filesystem::path& path,
                                  std::int64_t n_in, std::int64_t n_out, double scale,
                                  const std::string& sources);

// training.{step, batch, temperature, weight_decay, relax_steps, loss}; threads from options.
network::SgdOptions read_sgd_options(io::Config& c, const RunOptions& options,
                                     double default_temperature);

// The same for SGD in segments of
// `segment_steps` updates (one mini-batch loss recorded per segment).
network::SgdOptions read_segment_sgd(io::Config& c, const RunOptions& options,
                                     std::int64_t segment_steps, double default_temperature);

}  // namespace nnworld::lab
