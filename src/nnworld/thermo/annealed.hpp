#pragma once
// Sampling estimate of the partition function (5) Z = ∫ d^N x e^{−βH(x)} by annealed importance
// sampling (AIS, Neal 2001), and from it F = −β⁻¹ log Z (6), U = ⟨H⟩ (10), S_x = β(U − F) (13).
//
// Base density q₀: the Laplace Gaussian N(x*, A⁻¹), A = β(Ĝ(x*) − mI) (spec §1a, the corrected
// (7)), x* the lowest fixed point from network::fixed_points (N ≤ 2000). Its normaliser is
// exact, so log Z is unbiased up to the Monte Carlo error. If A is not positive definite (a
// zero mode), if no fixed point is found, or for N > 2000, q₀ is a wide isotropic Gaussian
// N(c, σ²I) instead (result.base says which). Path of densities (geometric)
//   π_t(x) ∝ q₀(x)^{1−t} e^{−tβH(x)},  0 = t₀ < t₁ < … < t_K = 1,  t_k = (k/K)^p,
// with HMC transitions leaving each π_{t_k} invariant; every particle has its own counter-based
// stream core::RngStream(seed, StreamTag::start, particle), so results are bit-identical for
// any number of OpenMP threads.
#include <cstdint>
#include <string>

#include "nnworld/network/network.hpp"
#include "nnworld/thermo/sampler.hpp"

namespace nnworld::thermo {

enum class AisBase { automatic, laplace, isotropic };

struct AisOptions {
  double beta = 1.0;            // inverse temperature β > 0
  int particles = 512;          // independent AIS particles ≥ 2
  int temperatures = 100;       // K ≥ 1 annealing steps
  double schedule_power = 1.0;  // t_k = (k/K)^p, p > 0
  int transitions = 1;          // HMC trajectories per temperature ≥ 1
  int leapfrog_steps = 5;       // L ≥ 1
  double step_scale = 0.5;  // ε_k = step_scale / √κ_k, κ_k a curvature bound of −log π_{t_k}
  AisBase base = AisBase::automatic;  // automatic: Laplace if A ≻ 0, else isotropic
  double isotropic_variance = 0.0;    // σ² of the isotropic base; 0: max(1, 1/(β λ_min⁺))
  std::int64_t max_laplace_n = 2000;  // above this N: isotropic base at 0, no fixed-point search
  network::NewtonOptions newton{};
  std::uint64_t seed = 1;

  void validate() const;  // throws nnworld::Error
};

struct AisResult {
  double beta = 0.0;
  double log_z = 0.0;         // log Z (5)
  double log_z_stderr = 0.0;  // delta method: sd(w/w̄)/√n
  double free_energy = 0.0;   // F = −log Z / β (6)
  double free_energy_stderr = 0.0;
  double mean_h = 0.0;  // U = ⟨H⟩ (10), self-normalised weights
  double mean_h_stderr = 0.0;
  double entropy = 0.0;  // S_x = β(U − F) = βU + log Z (13)
  double entropy_stderr = 0.0;
  double weight_ess = 0.0;     // (Σw)² / Σw² of the final weights
  double acceptance = 0.0;     // mean HMC acceptance over particles and temperatures
  std::string base;            // "laplace" or "isotropic"
  std::string base_note;       // why the isotropic base was used (empty for laplace)
  Vector base_mean;            // x* (or the isotropic centre)
  double laplace_log_z = 0.0;  // −βH(x*) + (N/2)log 2π − ½ log det A (laplace base only)
  std::vector<double> log_weights;  // per particle
};

// Eqs. (5), (6), (10), (13) by AIS on the bulk loss (3).
AisResult ais_log_z(const network::Network& net, const AisOptions& options);

}  // namespace nnworld::thermo
