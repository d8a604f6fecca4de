#pragma once
// The quantum limit of the trainable variables (paper Section 5, spec §4): the Schrödinger
// equation on a periodic q-grid (K = 1..3), its split-step solver in real and imaginary time,
// and the observables of Ψ.
//
//   const trainable::QuantumMap m = trainable::quantum_map(constants, Form::corrected, false);
//   trainable::Schrodinger s(grid, m.hbar, m.mass, potential);   // V on the grid
//   auto psi = trainable::gaussian_packet(grid, m, {0.0}, {1.0}, {0.7});
//   s.evolve(psi, 0.01, 400);                                    // Strang split-step
//   trainable::PsiObservables o = s.measure(psi);                // norm, ⟨Ĥ⟩, ⟨q⟩, S_q, ...
//
// Units (spec §0 correction 3): ħ = √(4D/(γμ)), M = 1/(2γ), Ψ = √p e^{iF/ħ}, and
//   iħ ∂_tΨ = −(ħ²/2M)∇²Ψ + VΨ      ⇔   −i√(4Dμ/γ) ∂_tΨ = (4D∇² − μV)Ψ.
// The printed (34)–(36) drop μ: ħ_paper = √(4D/γ), Ψ = √p e^{i√(γ/(4D))F} (Form::paper; the
// same M). With the boxed terms of (32)–(33) kept (spec §0 correction 4) the system is
// Schrödinger for Ψ′ = √p e^{iF̃/ħ′}, F̃ = F − log p/(2μ), ħ′² = 4D/(γμ) − 1/μ².
#include <array>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "nnworld/core/fft.hpp"
#include "nnworld/core/grid.hpp"
#include "nnworld/trainable/parameters.hpp"

namespace nnworld::trainable {

using core::Complex;

// Which map from (p, F) to Ψ: the corrected one (spec §0 correction 3) or the paper's printed
// (34)–(36), which drops μ and is right only for μ = 1.
enum class Form { corrected, paper };
[[nodiscard]] const char* form_name(Form f);

// The constants of one Schrödinger evolution and how F is read off Ψ:
//   F = hbar · arg Ψ + osmotic · log |Ψ|².
struct QuantumMap {
  Form form = Form::corrected;
  bool boxed = false;               // the full (32)–(33) through ħ′ (spec §0 correction 4)
  double hbar = 1.0;                // ħ, ħ_paper or ħ′
  double mass = 1.0;                // M = 1/(2γ) (also for the printed form: 4D = ħ_paper²/(2M))
  double osmotic = 0.0;             // 1/(2μ) with the boxed terms (F = F̃ + log p/(2μ)), else 0
  Regime regime = Regime::quantum;  // of the full system (32)–(33)
};

// The map for the given constants. Throws nnworld::Error (where = "quantum_map") when no
// unitary evolution exists: D ≤ 0 or γμ ≤ 0 (corrected form, spec §4 existence condition),
// γ ≤ 0 (printed form, ħ_paper = √(4D/γ)), a regime other than quantum when boxed (ħ′² ≤ 0:
// classical or Euclidean, see euclidean.hpp), or boxed with the printed form (the paper has
// no such map).
[[nodiscard]] QuantumMap quantum_map(const Constants& c, Form form, bool boxed);

// (35): Ψ(q) = √p e^{i(F − osmotic·log p)/ħ} for a Gaussian p of centre `centre` and standard
// deviation `width` per axis (normalised, ∫|Ψ|² = 1) and F̃ = F − osmotic·log p = P·q with
// P = `momentum` (so ∇F̃ = P: the packet moves with velocity u = 2γP = P/M). Sizes: K each.
[[nodiscard]] std::vector<Complex> gaussian_packet(const core::Grid& g, const QuantumMap& m,
                                                   std::span<const double> centre,
                                                   std::span<const double> width,
                                                   std::span<const double> momentum);

// What measure() reports about Ψ (per-axis entries beyond K are 0).
struct PsiObservables {
  double norm = 0.0;       // ∫|Ψ|² d^Kq
  double energy = 0.0;     // ⟨Ψ|Ĥ|Ψ⟩/⟨Ψ|Ψ⟩, kinetic part in Fourier space
  double kinetic = 0.0;    // ⟨(ħ²k²/2M)⟩ (normalised)
  double potential = 0.0;  // ⟨V⟩ (normalised)
  std::array<double, 3> mean{0.0, 0.0, 0.0};      // ⟨q_a⟩_p
  std::array<double, 3> variance{0.0, 0.0, 0.0};  // ⟨(q_a − ⟨q_a⟩)²⟩_p
  double entropy = 0.0;  // S_q = −∫p log p, p = |Ψ|² (as stored, not renormalised)
  // dS_q/dt = −∫log p ∂_tp = 2γ⟨∇²F̃⟩_p = −(1/M)∫∇p·∇F̃ with ∇F̃ = ħ Im(Ψ*∇Ψ)/|Ψ|²
  // (spec §4; F̃ = F without the boxed terms; with them it is the production of the full (32)).
  double entropy_production = 0.0;
};

// The Schrödinger equation iħ∂_tΨ = −(ħ²/2M)∇²Ψ + VΨ on a periodic grid.
class Schrodinger {
 public:
  // Throws std::invalid_argument for box boundaries, a potential of the wrong size, ħ ≤ 0,
  // M = 0 or non-finite values.
  Schrodinger(const core::Grid& grid, double hbar, double mass, std::vector<double> potential);

  [[nodiscard]] const core::Grid& grid() const { return fft_.grid(); }
  [[nodiscard]] const core::Fft& fft() const { return fft_; }
  [[nodiscard]] double hbar() const { return hbar_; }
  [[nodiscard]] double mass() const { return mass_; }
  [[nodiscard]] const std::vector<double>& potential() const { return potential_; }

  // Paper (34) with the corrected constants: `steps` Strang steps of size dt (dt < 0 runs
  // backwards), Ψ ← e^{−iV dt/2ħ} F⁻¹ e^{−iħk² dt/2M} F e^{−iV dt/2ħ} Ψ. Unitary; the kinetic
  // factor is exact in Fourier space, so for V = 0 the evolution is exact.
  void evolve(std::span<Complex> psi, double dt, std::int64_t steps) const;

  struct GroundState {
    std::vector<Complex> psi;  // normalised
    double energy = 0.0;       // ⟨Ĥ⟩ of psi
    std::int64_t steps = 0;
    bool converged = false;
  };
  // Imaginary-time evolution (t = −iτ): Ψ ← e^{−V dτ/2ħ} F⁻¹ e^{−ħk² dτ/2M} F e^{−V dτ/2ħ} Ψ,
  // renormalised every step; stops when ⟨Ĥ⟩ changes by less than `tolerance` over `check_every`
  // steps (converged) or after `max_steps`. The fixed point is the ground state of the
  // modified Hamiltonian H + O(dτ²), so ⟨Ĥ⟩ there is E₀ + O(dτ⁴). Needs M > 0.
  [[nodiscard]] GroundState ground_state(std::vector<Complex> psi0, double dtau, double tolerance,
                                         std::int64_t max_steps,
                                         std::int64_t check_every = 10) const;

  // Norm, energy, moments, entropy and its production of Ψ (see PsiObservables).
  [[nodiscard]] PsiObservables measure(std::span<const Complex> psi) const;
  [[nodiscard]] double norm(std::span<const Complex> psi) const;
  [[nodiscard]] double energy(std::span<const Complex> psi) const;

  // The leading Strang error: Strang steps of size dt follow exactly (to O(dt⁴)) the modified
  // Hamiltonian H̃ = H − (dt²/ħ²) X, X = (1/12)[T,[T,V]] − (1/24)[V,[V,T]] (BCH). Returns
  // ⟨X⟩/⟨Ψ|Ψ⟩ = (1/12)(2 Re⟨T²Ψ|VΨ⟩ − 2⟨TΨ|V|TΨ⟩)/⟨Ψ|Ψ⟩ + (ħ²/24M)⟨|∇V|²⟩, so that the energy
  // drift of a run is E(t) − E(0) = (dt²/ħ²)(⟨X⟩(t) − ⟨X⟩(0)) + O(dt⁴).
  [[nodiscard]] double splitting_commutator(std::span<const Complex> psi) const;

 private:
  core::Fft fft_;
  double hbar_;
  double mass_;
  std::vector<double> potential_;
  std::vector<std::vector<double>> grad_v_;  // spectral ∇V (for splitting_commutator)
  // The phase factors of evolve for the last dt (rebuilt only when dt changes).
  struct Phases {
    double dt = 0.0;
    std::vector<Complex> half, full, kinetic;
  };
  mutable Phases phases_;
  mutable std::mutex phases_mutex_;
};

// |Ψ|² at every grid point.
[[nodiscard]] std::vector<double> density(std::span<const Complex> psi);

// ---- Two packets (the interference test of spec §10 claim 2, on Ψ) ------------------------

struct TwoPackets {
  std::vector<double> density;  // |Ψ(T, q)|² (1-D grid)
  double time = 0.0;            // T = separation/(2·u), u = P/M: the packets' centres meet
  double fringe_spacing = 0.0;  // the prediction 2πħ/|ΔP| = πħ/P
};
// Ψ(0) = (ψ₊ + ψ₋)/norm with ψ± Gaussians of standard deviation `width` (of p) centred at ∓d,
// d = separation/2, carrying momenta ±P (∇F̃ = ±P): they move towards each other, overlap at T,
// and |Ψ|² shows fringes of spacing 2πħ/|ΔP|. Evolved with the exact free propagator (V = 0)
// unless a potential is given. Needs a 1-D grid.
[[nodiscard]] TwoPackets schrodinger_two_packets(const core::Grid& g, const QuantumMap& m,
                                                 double separation, double width, double momentum,
                                                 std::vector<double> potential = {});

// The dominant spatial period of a 1-D density: the largest local maximum of |FFT(ρ)| at a
// non-zero wavenumber (the envelope's lobe at k = 0 decreases monotonically and is skipped),
// located between bins by a parabola through the logarithms of the three values there (exact
// for a Gaussian spectral line, which a Gaussian envelope times a cosine gives). Returns 2π/k.
[[nodiscard]] double dominant_period(const core::Grid& g, std::span<const double> rho);

}  // namespace nnworld::trainable
