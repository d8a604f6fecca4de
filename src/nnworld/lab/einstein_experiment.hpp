#pragma once
// The "einstein" experiment (paper Section 9, Eq. (95); spec §8 (83)–(85), T9.4; §10 claim 5):
// the residual E_μν = G_μν + Λg_μν − κT_μν of a [metric] at configured points, for vacuum or a
// perfect fluid in the paper's normalisation (T = ½T_std, κ = 16πG), an optional least-squares
// fit of κ and Λ, and for flat FLRW the Friedmann equation 3(ȧ/a)² = κρ + Λ with H = ȧ/a from
// the scale-factor expression.
#include "nnworld/lab/experiment.hpp"

namespace nnworld::lab {

ExperimentKind einstein_experiment();

}  // namespace nnworld::lab
