#pragma once
// The "onsager" experiment: the Onsager form of the entropy production on a torus (paper
// Section 9, Eqs. (89)–(92); spec §8, T9.2). A Riemannian metric on T² or T³ (random cosine
// perturbation of δ, or conformally flat e^{2φ}δ) is sampled on a periodic grid; spectral
// curvature (geometry::grid_curvature) gives the integrands √gR, √gL_ΓΓ and √gL_(91) and their
// integrals. Oracles: ∫√gR = ∫√gL_ΓΓ (the corrected (92)), Gauss–Bonnet in 2-D, the conformal
// closed forms. Claim: the printed (91) reproduces ∫√gR (it does not: spec §0 item 10).
#include "nnworld/lab/experiment.hpp"

namespace nnworld::lab {

ExperimentKind onsager_experiment();

}  // namespace nnworld::lab
