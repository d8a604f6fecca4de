#pragma once
// The "classical" experiment: the Hamilton–Jacobi (far-from-equilibrium, D → 0) limit of the
// trainable variables (paper Section 6, spec §5). A cloud of characteristics of (38) without
// the ∇²F term — corrected q̇ = 2γ∇F (spec §0 correction 5) and/or the printed q̇ = γ∇F — from
// an initial packet, with the principal function F and the energy H = V + γ|P|² along them;
// and (38) with the (γ/μ)∇²F term solved backward from F(T) on a grid by Cole–Hopf. Checks:
// the T6.2 closed forms in the harmonic case, energy conservation, Newton's law, and the
// claim of (40)–(42) that q̇ = γ∇F obeys q̈ = −γ∇V.
#include "nnworld/lab/experiment.hpp"

namespace nnworld::lab {

ExperimentKind classical_experiment();

}  // namespace nnworld::lab
