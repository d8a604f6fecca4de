#pragma once
// The "emergent_metric" experiment (paper Section 9, spec §8 and follow-up claims 1, 3, 4): a
// gas of neurons whose inter-subsystem weights are a planted metric g(X), evolved by the
// geodesic Hamiltonian flow plus an exact Ornstein–Uhlenbeck thermostat; the metric estimated
// per cell from velocity correlations (ĝ = T·Cov(v)⁻¹) against the planted one; its Fourier
// coarse-grained field g_μν(X) and curvature; and the centroid of a ring-coupled cluster of
// neurons against the geodesics of the estimated and planted metrics.
#include "nnworld/lab/experiment.hpp"

namespace nnworld::lab {

ExperimentKind emergent_metric_experiment();

}  // namespace nnworld::lab
