#pragma once
// The canonical ensemble of the hidden variables with the boundary clamped to data (paper
// Sections 3–4 as the lab reads them for learning; INTERPRETATION, see docs/physics.md): the
// neurons in `clamped` hold given values — a data row's inputs and targets — and the others,
// x_h, fluctuate:
//   Z_∂(β) = ∫ d^{N_h}x_h e^{−βH(x)},   F_∂ = −β⁻¹ log Z_∂,   H the bulk loss (3).
// Laplace's method (spec §0 item 1) about the minimum x_h* of H over x_h:
//   F_∂ ≈ H(x*) + (N_h/2β) log(β/2π) + (1/2β) log det ∇²_hh H(x*),
// with x_h* by Newton on ∇_h H (the exact Hessian block, network::hessian) from the relaxed
// state of (1) with the boundary held. As β → ∞, F_∂ → H(x*): the loss of the relaxed state,
// which SGD lowers, so learning is q̇ = γ∇F_∂ with γ < 0 (spec §3b: (19) with γ > 0 ascends).
// Sampled (samples > 0): importance sampling from the Laplace Gaussian N(x*, (β∇²_hh H)⁻¹),
//   F_∂ = F_L − β⁻¹ log ⟨e^{−β(H − H₂)}⟩,  H₂ = H(x*) + ½ δᵀ∇²_hh H δ,
// with the delta-method standard error se = sd(w)/(β w̄ √n), w the importance weights; draws
// from RngStream(seed, start, stream) at counter (i, ·).
#include <cstdint>
#include <span>
#include <string>

#include "nnworld/network/network.hpp"

namespace nnworld::thermo {

struct ClampedOptions {
  int relax_steps = 30;        // state-map iterations with the boundary held (Newton's start)
  int newton_iterations = 50;  // Newton steps on ∇_h H
  double tolerance =
      1e-9;  // on max |∂H/∂x_h| (times 1 + max|x|): H is then within ~1e-18 of its minimum
  std::int64_t samples = 0;  // > 0: importance-sampling correction with that many draws
  std::uint64_t seed = 1;
  std::uint64_t stream = 0;  // stream index of the draws (e.g. the data row)
};

struct ClampedEstimate {
  std::string status = "ok";  // "ok" | "no_minimum" (Newton failed or ∇²_hh H not ≻ 0)
  double free_energy = 0.0;   // F_∂ (Laplace, or sampled when samples > 0)
  double laplace = 0.0;       // the Laplace value
  double stderr_ = 0.0;       // sampled: its standard error (0 for Laplace)
  double loss = 0.0;          // H(x*)
  network::Vector x;          // x* (all N neurons)
};

// `state` holds the clamped neurons' values (the others are ignored); `clamped` lists them.
[[nodiscard]] ClampedEstimate clamped_free_energy(const network::Network& net,
                                                  std::span<const std::int32_t> clamped,
                                                  const network::Vector& state, double beta,
                                                  const ClampedOptions& options = {});

}  // namespace nnworld::thermo
