#pragma once
// The "holography" experiment (paper Section 10, spec §9; follow-up claim 6): a bulk network of
// chains of neurons between boundary neurons, its boundary weight matrix ŵ_∂(ε) (99) computed
// by a Schur complement onto the boundary (holography/chains.hpp), the chain lengths (100)
// recovered from boundary data alone, and stochastic reconnection of chains
// (holography/reconnection.hpp) with the entropy of the bulk (chain lengths) and of the boundary
// (entries of ŵ_∂) over time and the correlation of their productions. Oracles: T10.1–T10.3, the
// sparse map against the dense inverse, the transfer in closed form, the lengths recovered, and
// the equilibrium variance of chain lengths. Claims: (100) as printed on cyclic networks, and
// the correlation of the bulk and boundary entropy productions (the duality of (101)).
#include "nnworld/lab/experiment.hpp"

namespace nnworld::lab {

ExperimentKind holography_experiment();

}  // namespace nnworld::lab
