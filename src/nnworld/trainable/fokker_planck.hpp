#pragma once
// The Fokker–Planck equation of the trainable variables (paper Section 4, spec §3):
//
//   (18)–(20)  ∂_t p = ∂_k(D ∂_k p − γ (∂_k F) p),   q̇_k = γ ∂_k F,
//   (21)       S_q = −∫ d^K q p log p,
//   (22)       dS_q/dt = −∫ log p ∂_t p = ∫[D|∇p|²/p − γ∇p·∇F] = ∫[4D|∇√p|² + γ p ∇²F],
//
// on a core::Grid (K = 1, 2, 3) for a time-independent F(q), D = Constants::diffusion,
// γ = Constants::gamma. The zero-flux stationary state is p_eq ∝ exp(γF/D).
//
//   auto f = trainable::free_energy_from_function(grid, [](const core::Point& q) {
//     return -q[0] * q[0];
//   });
//   trainable::FokkerPlanck fp(grid, std::move(f), {.diffusion = 0.3, .gamma = 0.7},
//                              trainable::FpScheme::finite_volume);
//   std::vector<double> p = ...;                 // normalised: Σ p_i h^K = 1
//   const double dt = 0.5 * fp.stability_limit();
//   for (int n = 0; n < 1000; ++n) fp.step(p, dt);  // classical RK4
//   const auto sigma = fp.entropy_production(p);     // the forms of (22)
//
// Schemes:
//  - spectral: periodic grids only; ∂_t p̂ = −D|k|² p̂ − γ Σ_a i k_a (∂_aF p)^ with FFT
//    derivatives (core::Fft; the Nyquist wavenumber is dropped from first derivatives). Mass is
//    conserved because the k = 0 mode of ∂_t p vanishes identically. Not positivity-preserving:
//    round-off leaves |p| ~ 1e-16 max p in the tails, of either sign.
//  - finite_volume: conservative flux form on cells centred at the grid points, with the
//    Scharfetter–Gummel (exponential-fitting) flux through the face between cells j and j+1,
//      J = (D/h)[B(−Δ) p_j − B(Δ) p_{j+1}],  Δ = γ(F_{j+1} − F_j)/D,  B(x) = x/(eˣ − 1),
//    (D = 0: the upwind flux J = v⁺p_j − v⁻p_{j+1}, v = γ(F_{j+1} − F_j)/h). Periodic grids wrap
//    the last face; box grids have no flux through the walls. The semi-discrete system is the
//    generator of a reversible Markov chain with stationary p_j ∝ exp(γF_j/D): mass is conserved
//    (each flux leaves one cell and enters the next), the discrete p_eq is exact (to rounding),
//    the eigenvalues are real and ≤ 0, and p ≥ 0 is kept by RK4 for dt ≤ positivity_limit().
// Both are second order or better in space: spectral accuracy for the spectral scheme, O(h²)
// for finite_volume (the Scharfetter–Gummel flux is a second-order central flux plus an O(h²Δ²)
// artificial diffusion).
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "nnworld/core/grid.hpp"
#include "nnworld/trainable/parameters.hpp"

namespace nnworld::core {
class Fft;
}

namespace nnworld::trainable {

enum class FpScheme { spectral, finite_volume };

[[nodiscard]] const char* scheme_name(FpScheme s);

// The largest |z| on the negative real axis inside the stability region of classical RK4,
// |1 + z + z²/2 + z³/6 + z⁴/24| ≤ 1 (the real root of |P(−x)| = 1).
inline constexpr double kRk4RealStabilityLimit = 2.785293563405282;

// F on the grid with its derivatives (row-major, like the grid).
struct FreeEnergyJet {
  std::vector<double> value;                  // F(q_i)
  std::vector<std::vector<double>> gradient;  // gradient[a][i] = ∂F/∂q_a at q_i, a < K
  std::vector<double> laplacian;              // ∇²F(q_i)
  // max_i |∂F/∂q_a| per axis (0 for unused axes).
  [[nodiscard]] std::array<double, 3> max_gradient() const;
};

// F from its values alone. Derivatives: spectral (FFT; needs a periodic grid and a periodic,
// resolved F) or 4th-order central differences (core::fd_derivative; box walls use zero ghost
// values, so the derivatives next to a wall are only right if F is continued by zero).
enum class FreeEnergyDerivative { spectral, finite_difference };
[[nodiscard]] FreeEnergyJet free_energy_from_values(const core::Grid& grid,
                                                    std::vector<double> values,
                                                    FreeEnergyDerivative method);
// F from a function of q: ∂_aF by the 4th-order central difference with step `gradient_step`
// (error h⁴|F⁽⁵⁾|/30 + ~ε|F|/h), ∇²F by the 4th-order central second difference with step
// `laplacian_step` (error h⁴|F⁽⁶⁾|/90 + ~3ε|F|/h²). Pointwise, so F need not be periodic.
[[nodiscard]] FreeEnergyJet free_energy_from_function(
    const core::Grid& grid, const std::function<double(const core::Point&)>& f,
    double gradient_step = 1e-3, double laplacian_step = 5e-3);

// The explicit RK4 stability limit: the largest dt with every eigenvalue λ of the discrete
// operator inside the RK4 stability region, for max|∂F/∂q_a| = max_gradient[a].
//  - finite_volume: the eigenvalues are real (reversible chain) and lie in [−2 max_j|A_jj|, 0]
//    (column Gershgorin: the columns of A sum to 0), with |A_jj| ≤ Σ_a 2(D/h_a²) B(−P_a),
//    P_a = γ max|∂_aF| h_a/D the cell Péclet number. Hence
//      dt_max = 2.785293563405282 / Σ_a 4(D/h_a²) B(−P_a),   B(−P) = P/(1 − e^{−P})
//    (D = 0: Σ_a 4γ max|∂_aF|/h_a). Exact for F = const on an even periodic grid.
//  - spectral: frozen-coefficient Fourier analysis; an eigenvalue has |Re λ| ≤ λ_D =
//    D Σ_a k_{N,a}² (k_{N,a} = π⌊n_a/2⌋/L_a, the largest |k| of the Laplacian) and |Im λ| ≤
//    λ_A = γ Σ_a max|∂_aF| k′_a (k′_a = π(⌈n_a/2⌉ − 1)/L_a, the largest |k| of ∂_a). The triangle
//    |Re z| + |Im z| ≤ 2.785293563405282, Re z ≤ 0, lies inside the RK4 region, so
//      dt_max = 2.785293563405282 / (λ_D + λ_A).
//    Exact for F = const.
[[nodiscard]] double stability_limit(const core::Grid& grid, FpScheme scheme, double diffusion,
                                     double gamma, std::array<double, 3> max_gradient);
// The RK4 positivity limit of finite_volume: dt ≤ 1/max_j|A_jj| keeps P(dtA) ≥ 0 entrywise
// (A_jj ≤ 0 ≤ A_ij, and the derivatives of the RK4 polynomial P are ≥ 0 on [−1, 0]: threshold
// factor 1), bounded as 1 / Σ_a 2(D/h_a²) B(−P_a) = (2/2.785…) × stability_limit. For spectral
// there is no such limit (returns +∞).
[[nodiscard]] double positivity_limit(const core::Grid& grid, FpScheme scheme, double diffusion,
                                      double gamma, std::array<double, 3> max_gradient);

// The forms of the entropy production (22), integrated with the grid's quadrature.
struct EntropyProductionForms {
  double time_derivative = 0.0;  // −∫ log p ∂_t p, ∂_t p from the scheme (its exact dS/dt)
  double gradient = 0.0;         // ∫[D|∇p|²/p − γ∇p·∇F]
  double stochastic = 0.0;       // Σ_stoch = ∫ 4D|∇√p|² = D·I_Fisher ≥ 0
  double learning = 0.0;         // Σ_learn = ∫ γ p ∇²F
  [[nodiscard]] double fisher() const { return stochastic + learning; }  // last form of (22)
};

// Summary statistics of a density on the grid.
struct DensityMoments {
  double norm = 0.0;                 // ∫ p
  std::array<double, 3> mean{};      // ∫ q_a p / ∫ p
  std::array<double, 3> variance{};  // ∫ (q_a − mean_a)² p / ∫ p
  double min = 0.0;                  // min_i p_i
  double max = 0.0;                  // max_i p_i
};

[[nodiscard]] DensityMoments density_moments(const core::Grid& grid, std::span<const double> p);

// (21) S_q = −∫ p log p (points with p ≤ 0 contribute 0: 0 log 0 = 0, and negative values are
// round-off of the spectral scheme).
[[nodiscard]] double entropy(const core::Grid& grid, std::span<const double> p);

// log p_eq = γF/D − log ∫exp(γF/D), the normalised zero-flux stationary state of (20) (D > 0;
// the log is computed without forming exp(γF/D), so no under- or overflow).
[[nodiscard]] std::vector<double> log_equilibrium(const core::Grid& grid,
                                                  std::span<const double> free_energy,
                                                  const Constants& constants);

// Relative entropy (Kullback–Leibler) KL[p‖p_eq] = ∫ p (log p − log p_eq) ≥ 0 (points with
// p ≤ 0 contribute 0). For (20) it is non-increasing in time (H-theorem).
[[nodiscard]] double relative_entropy(const core::Grid& grid, std::span<const double> p,
                                      std::span<const double> log_p_eq);

// The solver of (20) for one grid, F, D, γ and scheme. Not thread-safe (scratch buffers);
// the loops inside use OpenMP.
class FokkerPlanck {
 public:
  // Throws std::invalid_argument for a spectral scheme on a box grid, fields of the wrong
  // size, D < 0 or non-finite constants.
  FokkerPlanck(const core::Grid& grid, FreeEnergyJet free_energy, const Constants& constants,
               FpScheme scheme);
  ~FokkerPlanck();
  FokkerPlanck(const FokkerPlanck&) = delete;
  FokkerPlanck& operator=(const FokkerPlanck&) = delete;

  [[nodiscard]] const core::Grid& grid() const { return grid_; }
  [[nodiscard]] const FreeEnergyJet& free_energy() const { return f_; }
  [[nodiscard]] const Constants& constants() const { return c_; }
  [[nodiscard]] FpScheme scheme() const { return scheme_; }

  // (20): out = ∂_t p for the scheme.
  void rhs(std::span<const double> p, std::span<double> out) const;
  [[nodiscard]] std::vector<double> rhs(std::span<const double> p) const;

  // One classical RK4 step of size dt (any sign: a negative dt steps backwards, as in the
  // central difference of spec T4.1): p ← p + dt(k₁ + 2k₂ + 2k₃ + k₄)/6.
  void step(std::vector<double>& p, double dt);

  // The stability limit of this problem (see stability_limit above). finite_volume uses the
  // assembled coefficients: 2.785293563405282 / (2 max_j|A_jj|) (tighter than the bound from
  // max|∇F|); spectral uses max|∂_aF| of the given gradient.
  [[nodiscard]] double stability_limit() const;
  // finite_volume: 1 / max_j|A_jj|; spectral: +∞.
  [[nodiscard]] double positivity_limit() const;

  // The forms of (22) at p. Derivatives: spectral (spectral scheme) or 4th-order central
  // differences (finite_volume; box walls: zero ghost values, right when p vanishes at the
  // walls, which is also what (22) assumes). D|∇p|²/p is summed where p > 1e-14 max p (below,
  // the exact contribution is < 1e-14 max p/ℓ² per point and the computed one is round-off);
  // √p is √max(p, 0); log p is summed where p > 0.
  [[nodiscard]] EntropyProductionForms entropy_production(std::span<const double> p) const;

  // ∂_a f by the derivative operator used in entropy_production.
  [[nodiscard]] std::vector<double> derivative(std::span<const double> f, int axis) const;

  // The normalised stationary state p_eq ∝ exp(γF/D) (D > 0). For finite_volume it is the exact
  // zero of rhs() (to rounding).
  [[nodiscard]] std::vector<double> equilibrium() const;

 private:
  void rhs_spectral(std::span<const double> p, std::span<double> out) const;
  void rhs_finite_volume(std::span<const double> p, std::span<double> out) const;

  core::Grid grid_;
  FreeEnergyJet f_;
  Constants c_;
  FpScheme scheme_;
  std::unique_ptr<core::Fft> fft_;  // spectral scheme and spectral derivatives
  // finite_volume: per axis a, the flux through the face between cell j and its + neighbour
  // along a is J = plus[a][j] p_j − minus[a][j] p_{j+}, already divided by h_a (so that
  // ∂_t p_j gets −J and ∂_t p_{j+} gets +J); 0 at box walls.
  std::array<std::vector<double>, 3> plus_, minus_;
  double max_diagonal_ = 0.0;  // max_j |A_jj| (finite_volume)
  // RK4 scratch.
  std::vector<double> k1_, k2_, k3_, k4_, tmp_;
};

}  // namespace nnworld::trainable
