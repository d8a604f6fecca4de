#pragma once
// The Euclidean regime of the full system (32)–(33) (γ/μ > 4D or γ/μ < 0, ħ′² < 0): the
// forward initial-value problem is ill-posed (growth rates k²√(a(a − 4D)), a = γ/μ), so it is
// solved as a two-point (Schrödinger-bridge) problem through the Cole–Hopf pair.
//
// Generalisation of spec §5 (D = 0) to D ≥ 0, verified with sympy and by the residual tests:
// with F̃ = F − log p/(2μ) and ħ_E² = −ħ′² = 1/μ² − 4D/(γμ) > 0,
//   φ  = √p e^{+F̃/ħ_E}   obeys  ∂_tφ  = −γħ_E ∇²φ  − (V/ħ_E) φ    (backward heat equation),
//   φ̂ = √p e^{−F̃/ħ_E}   obeys  ∂_tφ̂ = +γħ_E ∇²φ̂ + (V/ħ_E) φ̂   (forward heat equation),
//   p = φφ̂,  F = (ħ_E/2) log(φ/φ̂) + log(φφ̂)/(2μ).
// For D = 0, ħ_E = 1/μ and φ = e^{μF}, φ̂ = p e^{−μF}: spec §5. The sign of ħ_E is chosen so
// that κ = γħ_E > 0: then φ̂ is given at t = 0 and φ at t = T, and both heat equations run
// forward in their own time (s = t for φ̂, s = T − t for φ):
//   ∂_s f = κ∇²f + (V/ħ_E) f.
//
//   auto b = trainable::solve_bridge(grid, constants, V, phi_hat0, phi_T, T, 1e-3, 100);
//   auto f = trainable::bridge_fields(constants, b.phi[j], b.phi_hat[j]);  // p, F at b.times[j]
#include <cstdint>
#include <span>
#include <vector>

#include "nnworld/core/fft.hpp"
#include "nnworld/core/grid.hpp"
#include "nnworld/trainable/parameters.hpp"

namespace nnworld::trainable {

struct EuclideanConstants {
  double hbar_e = 0.0;  // ħ_E = sign(γ)·√(1/μ² − 4D/(γμ))
  double kappa = 0.0;   // κ = γħ_E > 0: the diffusion constant of both heat equations
};

// Throws nnworld::Error (where = "euclidean_constants") unless the regime is Euclidean.
[[nodiscard]] EuclideanConstants euclidean_constants(const Constants& c);

// ∂_s f = κ∇²f + (V/ħ_E) f on a periodic grid, Strang-split (half growth e^{V ds/2ħ_E}, exact
// heat kernel e^{−κk² ds} in Fourier space, half growth): exact for V = 0. The step operator
// is symmetric, so Σ φ(t) φ̂(t) is conserved to rounding by a forward–backward pair.
class HeatFlow {
 public:
  HeatFlow(const core::Grid& g, const EuclideanConstants& e, std::vector<double> potential);
  [[nodiscard]] const core::Grid& grid() const { return fft_.grid(); }
  // `steps` steps of size ds; throws nnworld::Divergence at a non-finite value.
  void advance(std::span<double> f, double ds, std::int64_t steps) const;

 private:
  core::Fft fft_;
  EuclideanConstants e_;
  std::vector<double> v_;
};

struct Bridge {
  EuclideanConstants constants;
  std::vector<double> times;                 // t_j = jT/frames, j = 0..frames
  std::vector<std::vector<double>> phi;      // φ(t_j)
  std::vector<std::vector<double>> phi_hat;  // φ̂(t_j)
};

// The two-point problem: φ̂(0) = phi_hat0 evolved forward to T, φ(T) = phi_T evolved backward
// to 0, both with steps of about dt (T/frames split into whole steps), recorded at `frames`+1
// equally spaced times. Both inputs must be ≥ 0 (p = φφ̂ is a density).
[[nodiscard]] Bridge solve_bridge(const core::Grid& g, const Constants& c,
                                  std::vector<double> potential, std::vector<double> phi_hat0,
                                  std::vector<double> phi_T, double T, double dt,
                                  std::int64_t frames);

// (p, F) from (φ, φ̂): p = φφ̂, F = (ħ_E/2) log(φ/φ̂) + log p/(2μ) (NaN where p = 0).
struct BridgeFields {
  std::vector<double> p;
  std::vector<double> F;
};
[[nodiscard]] BridgeFields bridge_fields(const Constants& c, std::span<const double> phi,
                                         std::span<const double> phi_hat);

}  // namespace nnworld::trainable
