#pragma once
// The "partition" experiment: the canonical ensemble of the hidden variables (paper Sections
// 2–3) for one network — Z (5), F (6), U (10), S_x (13), the heat capacity, the complexity C
// and S₀ of (12)–(14) — by Laplace's method, the printed Eq. (7), cubature (N ≤ 3) and
// annealed importance sampling, with the oracles of spec T2.4 and T3.1 and the decomposition
// claim (12) of spec §2b.
#include "nnworld/lab/experiment.hpp"

namespace nnworld::lab {

ExperimentKind partition_experiment();

}  // namespace nnworld::lab
