#pragma once
// The [network] section shared by the experiments that build one network of paper Section 2:
// N, the activation f of the state map (1), the weights ŵ (explicit or generated), the bias b,
// the mass m of the bulk loss (3) and the input/output neurons.
#include <cstdint>
#include <optional>
#include <string>

#include "nnworld/io/config.hpp"
#include "nnworld/lab/experiment.hpp"
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

}  // namespace nnworld::lab
