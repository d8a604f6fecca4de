#pragma once
// The "network" experiment: the microscopic network of paper Section 2 — its dynamics (1),
// fixed points, linearisation (8)–(9) and learning on a dataset — with the oracles of
// spec §1c (T2.1 permutation shift, T2.2 contraction) and the Hessian identity (8).
#include "nnworld/lab/experiment.hpp"

namespace nnworld::lab {

ExperimentKind network_experiment();

}  // namespace nnworld::lab
