#pragma once
// The two-packet interference test on the replica ensemble (spec §10, claim 2, test 3).
// Replicas start in two Gaussian packets (tags 0 and 1) at c₁ and c₂ in a field F whose
// gradient gives them opposite velocities γ∇F (towards each other); they move by em_step. With
// the packet momenta P_j = ∂F/∂q(c_j) (P = ∇F, spec §11) a Schrödinger wave with ħ′ (spec §0
// item 4) would show fringes of wavenumber k_f = |P₁ − P₂|/ħ′ (spacing 2πħ′/|P₁ − P₂|) where the
// packets overlap. We measure, along the axis, the empirical characteristic function
//   φ̂(k) = (1/M) Σ_r e^{i k q_r}   (the Fourier transform of the sampled density)
// at k_f and compare it with the no-fringe envelope: the two-Gaussian model of the tagged
// packets with their measured means m_j and variances v_j,
//   φ_env(k) = ½ Σ_j exp(i k m_j − k² v_j / 2),
// exact for packets that stay Gaussian (Ornstein–Uhlenbeck). Under "no fringes" φ̂ − φ_env is
// sampling noise with E|φ̂ − φ|² = (1 − |φ|²)/M, so
//   noise = √((1 − |φ_env|²)/M),   z = |φ̂(k_f) − φ_env(k_f)| / noise,
// z² ≈ Exp(1) (P(z > 3) ≈ e⁻⁹). A wave ½(|ψ₁|² + |ψ₂|²) + √(p₁p₂)cos(k_f q + φ) adds ≈ B/2 to
// |φ̂(k_f)|, with B = ∫√(p₁p₂) the Bhattacharyya overlap (two Gaussians:
// B = √(2σ₁σ₂/(v₁+v₂)) exp(−(m₁−m₂)²/(4(v₁+v₂)))); it is recorded as `quantum_amplitude`.
// A scan of z over k ∈ (0, scan_factor·k_f] gives the largest excess anywhere in the spectrum.
#include <complex>
#include <cstdint>
#include <vector>

#include "nnworld/trainable/ensemble.hpp"
#include "nnworld/trainable/parameters.hpp"

namespace nnworld::trainable {

// φ̂(k) = (1/M) Σ_r e^{i k q_{r,axis}} (optionally only the replicas with tag == which ≥ 0).
[[nodiscard]] std::complex<double> characteristic_function(const Ensemble& ensemble, int axis,
                                                           double k, std::int32_t which = -1);

struct InterferenceOptions {
  Point centre1{}, centre2{};  // packet centres c₁, c₂
  Point sd{0.3, 0.3, 0.3};     // packet widths
  std::int64_t replicas = 100000;
  int axis = 0;           // the axis along which fringes are sought
  Constants constants{};  // D, γ (Langevin) and μ (with D, γ: ħ′)
  double dt = 5e-3;
  std::int64_t steps = 800;
  std::int64_t record_every = 20;
  std::uint64_t seed = 1;
  Interpolation interpolation = Interpolation::cubic;
  int scan_points = 64;  // k_j = j · scan_factor · k_f / scan_points, j = 1..scan_points
  double scan_factor = 2.0;
};

struct InterferenceResult {
  double hbar_prime = 0.0;         // ħ′ = √(4D/(γμ) − 1/μ²)
  double delta_p = 0.0;            // P₁ − P₂ (∂F/∂q_axis at c₁ and c₂)
  double fringe_wavenumber = 0.0;  // k_f = |ΔP|/ħ′
  double fringe_spacing = 0.0;     // 2πħ′/|ΔP|
  // One entry per record (t = 0 and every record_every steps):
  std::vector<double> time;
  std::vector<double> separation;         // |m₁ − m₂| along the axis
  std::vector<double> overlap;            // B (two-Gaussian Bhattacharyya coefficient)
  std::vector<double> amplitude;          // |φ̂(k_f)|
  std::vector<double> envelope;           // |φ_env(k_f)|
  std::vector<double> noise;              // √((1 − |φ_env|²)/M)
  std::vector<double> z;                  // |φ̂ − φ_env| / noise at k_f
  std::vector<double> quantum_amplitude;  // B/2
  std::vector<double> scan_max_z;         // max_j z(k_j)
  std::vector<double> scan_k_at_max;      // its k_j
  std::size_t best_overlap = 0;           // record index of the largest overlap B
};

// The measurements above on one ensemble of two tagged packets (tags 0 and 1), at k_f and on the
// scan k_j = j · scan_factor · k_f / scan_points (any ensemble: Langevin particles or networks).
struct FringeRecord {
  double time = 0.0, separation = 0.0, overlap = 0.0, amplitude = 0.0, envelope = 0.0;
  double noise = 0.0, z = 0.0, quantum_amplitude = 0.0, scan_max_z = 0.0, scan_k_at_max = 0.0;
};
[[nodiscard]] FringeRecord measure_fringes(const Ensemble& ensemble, int axis,
                                           double fringe_wavenumber, int scan_points = 64,
                                           double scan_factor = 2.0);
// Appends a record to the result's series.
void append(InterferenceResult& result, const FringeRecord& record);

// Runs the ensemble and records the measurements above. Throws nnworld::Error if ħ′² ≤ 0 (no
// fringe wavenumber: classical or Euclidean regime) or if ΔP = 0.
[[nodiscard]] InterferenceResult two_packet_interference(const FreeEnergyField& field,
                                                         const InterferenceOptions& options);

}  // namespace nnworld::trainable
