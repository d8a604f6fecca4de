#pragma once
// The "learning_ensemble" experiment: ensembles of learning networks (paper Sections 4–5,
// follow-up claims 1–2; spec §10; shared/physics/bridges.md). M replicas of one real network
// trained by mini-batch SGD, measured in a K = 1 or 2 dimensional subspace of their trainable
// variables: the two time scales (claim 1), p(t, q) and F(t, q), Kramers–Moyal D(q), γ(q), the
// residuals of the Fokker–Planck and Madelung descriptions with their jackknife errors, D/(γμ)
// under adaptive learning (η, B, the number of neurons), loop integrals ∮∇F·dq in units of
// 2πħ′, two-packet interference; the pipeline oracle (a linear output neuron: an exact
// Ornstein–Uhlenbeck walk) where the config declares it.
#include "nnworld/lab/experiment.hpp"

namespace nnworld::lab {

ExperimentKind learning_ensemble_experiment();
// The "learning_phase" experiment: ħ′² of such ensembles over a grid of (η, B, N) at a stated
// μ, the quantum / classical / Euclidean regions and their boundary.
ExperimentKind learning_phase_experiment();

}  // namespace nnworld::lab
