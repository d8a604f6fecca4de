#pragma once
// The "quantum" experiment: the quantum limit of the trainable variables (paper Section 5,
// spec §4). A Gaussian packet of p with momentum ∇F evolved by the Schrödinger equation with
// the corrected constants (ħ = √(4D/(γμ)), M = 1/(2γ)) or the printed ones (μ dropped), with
// or without the boxed terms of (32)–(33) (then ħ′² = 4D/(γμ) − 1/μ²); the ground state by
// imaginary time; and, in the Euclidean regime of the full system, the Cole–Hopf two-point
// problem. Observables: norm, energy, moments, S_q and its production (formula 2γ⟨∇²F⟩_p and a
// numerical derivative), |Ψ|² and the phase (K = 1). Oracles: norm and energy conservation,
// the T5.3 / T5.4 closed forms where the config declares them.
#include "nnworld/lab/experiment.hpp"

namespace nnworld::lab {

ExperimentKind quantum_experiment();

}  // namespace nnworld::lab
