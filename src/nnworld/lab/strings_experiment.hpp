#pragma once
// The "strings" experiment: hidden-variable strings of paper Sections 7–8 (spec §6–§7). D
// subsystems of M replica states on a permutation network (one or several cycles, or a random
// permutation), each started from a Gaussian bump on the longest cycle, evolved by the real
// network map for w = π (right-mover) and w = πᵀ (left-mover), discrete (x(t+1) = f(wx)) or
// continuous (RK4 of ∂_τx = α(f(wx) − x)). Measured on the fields x̄^(μ)(τ, σ), μ = 0..D: the
// lattice wave identity, d'Alembert, the damped lattice wave, chirality, dispersion, the null
// constraints (55)/(75), the corrected Polyakov action (76), the string energy, the
// linearisation drift (49)–(52) and the paper's (78) sign. Oracles T7.1–T7.4, T8.1–T8.3;
// claims of the paper as measured.
#include "nnworld/lab/experiment.hpp"

namespace nnworld::lab {

ExperimentKind strings_experiment();

}  // namespace nnworld::lab
