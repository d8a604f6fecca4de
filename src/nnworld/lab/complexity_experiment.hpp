#pragma once
// The "complexity" experiment: does learning drive the weight matrix towards low complexity,
// e.g. a permutation matrix (paper Sections 1, 8, 11, "second law of learning")? A network is
// trained with the bulk loss (3) by SGD in segments; after each segment the distance of ŵ to
// the (generalised) permutation matrices, the row entropies, the cycle structure of the nearest
// permutation and the complexity C = −log|det(I − f̂′ŵ)| of spec §2 at the fixed points are
// recorded. The paper's statement is reported as measured ("claim"), never forced.
#include "nnworld/lab/experiment.hpp"

namespace nnworld::lab {

ExperimentKind complexity_experiment();

}  // namespace nnworld::lab
