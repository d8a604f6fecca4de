#pragma once
// The "fokker_planck" experiment: the density p(t, q) of the trainable variables under (20),
// ∂_t p = ∂_k(D ∂_k p − γ(∂_k F)p), for a time-independent F(q) given as a formula, on a grid
// of K = 1..3 axes (spectral or finite-volume scheme, classical RK4), from a Gaussian p(0)
// (paper Section 4, spec §3). Records the moments, the entropy (21), the forms of the entropy
// production (22) and its numerical time derivative, the relative entropy to p_eq ∝ exp(γF/D),
// and p(t, q1). Checks: mass conservation, positivity (finite volume), the identity of the
// forms of (22), dS/dt, the H-theorem, and the Ornstein–Uhlenbeck closed forms of spec T4.2
// when F = −(k/2)|q|² is declared (checks.ornstein_uhlenbeck = k).
#include "nnworld/lab/experiment.hpp"

namespace nnworld::lab {

ExperimentKind fokker_planck_experiment();

}  // namespace nnworld::lab
