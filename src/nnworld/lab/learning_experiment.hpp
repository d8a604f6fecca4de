#pragma once
// The "learning" experiment: thermodynamics of learning (paper Section 3). A network is trained
// by SGD in segments; after each segment the ensemble of its states x at a fixed β gives
// S_x, S₀, C, U, F (Laplace form, and sampled by AIS with standard errors). Measured: the
// second law (15) dS_x/dt ≤ 0 (spec T3.3 monitor, bootstrap CI of the mean slope), the
// decomposition (13) S_x = S₀ + C, and the first law (16)–(17) dU = T dS_x between equilibria
// at two nearby temperatures with the trained network fixed.
#include "nnworld/lab/experiment.hpp"

namespace nnworld::lab {

ExperimentKind learning_experiment();

}  // namespace nnworld::lab
