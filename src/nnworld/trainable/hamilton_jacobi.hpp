#pragma once
// The classical (far-from-equilibrium, D → 0) limit of the trainable variables: paper
// Section 6, spec §5 with the corrections of spec §0 (items 2, 5, 6, 7).
//
//   (38)  −∂_tF = V + γ|∇F|² + (γ/μ)∇²F        Hamilton–Jacobi with a ∇²F term
//   Cole–Hopf: φ = e^{μF} obeys ∂_tφ = −(γ/μ)∇²φ − μVφ (a backward heat equation), and
//              φ̂ = p e^{−μF} obeys ∂_tφ̂ = +(γ/μ)∇²φ̂ + μVφ̂, with p = φφ̂.
//   Characteristics of (38) without the ∇²F term (spec §0 correction 5):
//     H(q, P) = V + γ|P|², q̇ = 2γP = u, Ṗ = −∇V  ⇒  q̈ = −2γ∇V, i.e. Mq̈ = −∇V, M = 1/(2γ),
//     dF/dt = γ|P|² − V (the Lagrangian: F is Hamilton's principal function).
//   The printed (40)–(42) use q̇ = γ∇F with dF/dt = −V (41) and claim q̈ = −γ∇V; along
//   q̇ = γ∇F one has q̈ = −γ∇V − γ²(∇∇F)∇F instead (Form::paper, kept as the alternative).
//
//   auto v = trainable::harmonic_potential_fn(1.0, 0.5);      // V = ω²|q|²/(4γ)
//   std::vector<trainable::CharacteristicState> s0(1);
//   s0[0].q = {1.0, 0, 0}; s0[0].p = {0.3, 0, 0}; s0[0].hessian[0] = 0.3;
//   auto ch = trainable::integrate_characteristics(v, s0, 1, {0.0, 0.5, 2.0},
//                                                  {.form = Form::corrected, .dt = 1e-3});
//
//   core::Fft fft(grid);                                       // periodic grid, K = 1..3
//   auto sol = trainable::solve_hj_backward(fft, v_grid, f_terminal, constants,
//                                           {.t_end = 1.0, .dt = 1e-3});
//   // sol.free_energy[r] = F(sol.time[r], ·): (38) integrated from F(T) back to t = 0
#include <Eigen/Dense>
#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <vector>

#include "nnworld/core/expression.hpp"
#include "nnworld/core/fft.hpp"
#include "nnworld/core/grid.hpp"
#include "nnworld/trainable/parameters.hpp"
#include "nnworld/trainable/schrodinger.hpp"  // Form { corrected, paper }

namespace nnworld::trainable {

// ---- The potential V(q) ------------------------------------------------------------------------

// V, ∇V and ∇∇V at one point (entries of unused axes are 0; the Hessian is row-major 3×3).
struct PotentialJet {
  double value = 0.0;
  core::Point gradient{0.0, 0.0, 0.0};
  std::array<double, 9> hessian{};
};
// V at q with derivatives up to `order` (0: value, 1: + gradient, 2: + Hessian).
using PotentialFn = std::function<PotentialJet(const core::Point& q, int order)>;

// V = ω²|q|²/(4γ) = ½Mω²|q|² with M = 1/(2γ), exact derivatives (any K: unused axes hold 0).
[[nodiscard]] PotentialFn harmonic_potential_fn(double omega, double gamma);
// V from a user formula in q1..qK (`v.variables()` must be those K names, in order). Gradient
// by the 4th-order central difference of core::Expression::derivative (step h_gradient), the
// Hessian by 4th-order central differences (step h_hessian): exact for polynomials of degree
// ≤ 4 up to rounding. Not thread-safe (one muParser instance).
[[nodiscard]] PotentialFn expression_potential_fn(const core::Expression& v, int dims,
                                                  double h_gradient = 1e-3,
                                                  double h_hessian = 5e-3);

// ---- Characteristics (spec §5 "corrected classical equations") -------------------------------

// One trajectory's state: the position q, P = ∇F(t, q(t)), A = ∇∇F(t, q(t)) (row-major, the
// leading K×K block of a 3×3) and S = F(t, q(t)), the principal function along the path.
struct CharacteristicState {
  core::Point q{0.0, 0.0, 0.0};
  core::Point p{0.0, 0.0, 0.0};
  std::array<double, 9> hessian{};
  double free_energy = 0.0;
};

struct CharacteristicsOptions {
  Form form = Form::corrected;
  double dt = 1e-3;               // RK4 step (the step used is t_end / round(t_end / dt))
  double t_end = 1.0;             // integrate over [0, t_end]
  std::int64_t record_every = 1;  // store every n-th step (t = 0 and t_end always)
};

struct Characteristics {
  Form form = Form::corrected;
  int dims = 1;  // K
  std::int64_t particles = 0;
  std::int64_t steps = 0;
  double dt = 0.0;           // the step used
  std::vector<double> time;  // the recorded times (t = 0 first, t_end last)
  // Row-major [record][particle][axis] (K entries per particle), P = ∇F at q(t).
  std::vector<double> position, momentum;
  std::vector<double> hessian;      // [record][particle][K·K]: A = ∇∇F at q(t)
  std::vector<double> free_energy;  // [record][particle]: S = F(t, q(t))
  std::vector<double> energy;       // [record][particle]: H(q, P) = V + γ|P|²
  // Newton's law along the computed paths, from second differences of q at every step:
  // max over steps, particles and axes of |(q_{n+1} − 2q_n + q_{n−1})/dt² + κ∇V(q_n)|.
  double newton_residual_corrected = 0.0;  // κ = 2γ (spec §0 correction 5)
  double newton_residual_paper = 0.0;      // κ = γ (the printed (42))
  // Corrected form only: ∇∇F obeys the Riccati equation dA/dt = −∇∇V − 2γA², which blows up
  // where characteristics cross (a caustic). From there on a particle's A is NaN (q, P, S are
  // unaffected). The earliest such time, NaN if none.
  double caustic_time = std::numeric_limits<double>::quiet_NaN();

  [[nodiscard]] std::size_t records() const { return time.size(); }
  [[nodiscard]] double q(std::size_t r, std::int64_t i, int a) const {
    return position[(r * static_cast<std::size_t>(particles) + static_cast<std::size_t>(i)) *
                        static_cast<std::size_t>(dims) +
                    static_cast<std::size_t>(a)];
  }
  [[nodiscard]] double p(std::size_t r, std::int64_t i, int a) const {
    return momentum[(r * static_cast<std::size_t>(particles) + static_cast<std::size_t>(i)) *
                        static_cast<std::size_t>(dims) +
                    static_cast<std::size_t>(a)];
  }
  [[nodiscard]] double s(std::size_t r, std::int64_t i) const {
    return free_energy[r * static_cast<std::size_t>(particles) + static_cast<std::size_t>(i)];
  }
  [[nodiscard]] double h(std::size_t r, std::int64_t i) const {
    return energy[r * static_cast<std::size_t>(particles) + static_cast<std::size_t>(i)];
  }
  [[nodiscard]] double a(std::size_t r, std::int64_t i, int row, int col) const {
    return hessian[(r * static_cast<std::size_t>(particles) + static_cast<std::size_t>(i)) *
                       static_cast<std::size_t>(dims * dims) +
                   static_cast<std::size_t>(row * dims + col)];
  }
};

// RK4 integration of the characteristics of (38) for many particles (K = 1..3; only the
// leading K entries of the states are used). With P = ∇F, A = ∇∇F, S = F at q(t):
//   Form::corrected (spec §0 correction 5; (38) without (γ/μ)∇²F):
//     q̇ = 2γP,  Ṗ = −∇V,  Ȧ = −∇∇V − 2γA²,  Ṡ = γ|P|² − V (the Lagrangian);
//     exact for any V: along q̇ = 2γ∇F the third derivatives of F cancel.
//   Form::paper (the printed (40)–(41)): q̇ = γ∇F(t, q) in the same field F:
//     q̇ = γP,  Ṗ = −∇V − γAP,  Ȧ = −∇∇V − 2γA²,  Ṡ = −V (41);
//     exact when F stays quadratic (V of degree ≤ 2, F(0) quadratic); otherwise the term
//     −γ(P·∇)A of dA/dt (third derivatives of F) is neglected.
// H(q, P) = V + γ|P|² is recorded for both (conserved only by the corrected form).
// Throws nnworld::Divergence for a non-finite q, P or S (paper form: also A) and
// std::invalid_argument for K ∉ [1, 3], dt ≤ 0, t_end ≤ 0 or γ ≤ 0.
[[nodiscard]] Characteristics integrate_characteristics(const PotentialFn& v,
                                                        std::span<const CharacteristicState> start,
                                                        int dims, const Constants& c,
                                                        const CharacteristicsOptions& options);

// ---- Closed forms in the harmonic potential V = ω²|q|²/(4γ) (spec T6.2) -------------------------

// Riccati equation of F = a(t)|q|²/2 (from (38) without ∇²F): a′ = −2γa² − ω²/(2γ), so
// a(t) = −(ω/2γ) tan(ωt + c) with tan c = −2γa(0)/ω (c ∈ (−π/2, π/2)). Blows up at
// ωt + c = π/2.
[[nodiscard]] double riccati_curvature(double a0, double omega, double gamma, double t);
// The characteristic from (q0, P0, S0): q(t) = q0 cos ωt + (2γP0/ω) sin ωt,
// P(t) = P0 cos ωt − (ω q0/(2γ)) sin ωt, S(t) = S0 + ½(q·P − q0·P0) (∫L dt = ½M[q·q̇]).
[[nodiscard]] CharacteristicState harmonic_characteristic(const CharacteristicState& start,
                                                          int dims, double omega, double gamma,
                                                          double t);
// The printed form's path in the field F = a(t)|q|²/2 + const: q̇ = γa(t)q gives
// q(t) = q0 [cos(ωt + c)/cos c]^{1/2} (it does not solve q̈ = −γ∇V).
[[nodiscard]] double paper_harmonic_position(double q0, double a0, double omega, double gamma,
                                             double t);
// (38) with the (γ/μ)∇²F term for F = a(t)|q|²/2 + c(t) in K dimensions, integrated backward
// from F(T) = a_T|q|²/2 + c_T: a(t) = −(ω/2γ) tan(ωt + c_a) with a(T) = a_T, and
// c(t) = c_T − (K/(2μ)) log[cos(ωt + c_a)/cos(ωT + c_a)] (from c′ = −(γK/μ)a). For ω = 0:
// a(t) = a_T/(1 + 2γa_T(t − T)), c(t) = c_T − (K/(2μ)) log(1 + 2γa_T(t − T)).
struct QuadraticFreeEnergy {
  double curvature = 0.0;  // a(t)
  double offset = 0.0;     // c(t)
};
[[nodiscard]] QuadraticFreeEnergy harmonic_backward_free_energy(double a_terminal,
                                                                double c_terminal, double t_end,
                                                                double omega, int dims,
                                                                const Constants& c, double t);

// ---- (38) on a periodic grid and its Cole–Hopf form (spectral derivatives) -------------------

// (38): ∂_tF = −V − γ|∇F|² − (γ/μ)∇²F.
[[nodiscard]] std::vector<double> hj_time_derivative(const core::Fft& fft,
                                                     std::span<const double> f,
                                                     std::span<const double> v, const Constants& c);
// (32) with D = 0: ∂_tp = −∇·(2γ p∇F) + (γ/μ)∇²p.
[[nodiscard]] std::vector<double> hj_density_time_derivative(const core::Fft& fft,
                                                             std::span<const double> p,
                                                             std::span<const double> f,
                                                             const Constants& c);
// φ = e^{μF} and φ̂ = p e^{−μF} (so p = φφ̂).
[[nodiscard]] std::vector<double> cole_hopf_phi(std::span<const double> f, double mu);
[[nodiscard]] std::vector<double> cole_hopf_phi_hat(std::span<const double> p,
                                                    std::span<const double> f, double mu);
// ∂_tφ = −(γ/μ)∇²φ − μVφ (backward heat equation for γ/μ > 0).
[[nodiscard]] std::vector<double> cole_hopf_phi_time_derivative(const core::Fft& fft,
                                                                std::span<const double> phi,
                                                                std::span<const double> v,
                                                                const Constants& c);
// ∂_tφ̂ = +(γ/μ)∇²φ̂ + μVφ̂ (forward heat equation).
[[nodiscard]] std::vector<double> cole_hopf_phi_hat_time_derivative(const core::Fft& fft,
                                                                    std::span<const double> phi_hat,
                                                                    std::span<const double> v,
                                                                    const Constants& c);

struct ColeHopfOptions {
  double t_end = 1.0;             // terminal time T; the solve runs from T back to 0
  double dt = 1e-3;               // step (the step used is T / round(T / dt))
  std::int64_t record_every = 1;  // keep F every n-th step (t = 0 and T always)
};

struct ColeHopfSolution {
  std::vector<double> time;  // ascending: 0 … T
  // F(time[r], ·) on the grid. Where φ/max φ is below ~1e-12 F carries the rounding of φ; below
  // 1e-16 it is floored at max F + log(1e-16)/μ.
  std::vector<std::vector<double>> free_energy;
  std::vector<std::vector<double>> phi_relative;  // φ / max φ ∈ (−ε, 1] at time[r]
  std::int64_t steps = 0;
  double dt = 0.0;
};

// (38) backward in time by Cole–Hopf: φ(T) = e^{μF(T)}; with s = T − t, ∂_sφ = (γ/μ)∇²φ + μVφ,
// integrated by Strang splitting φ ← e^{μV ds/2} F⁻¹ e^{−(γ/μ)|k|² ds} F e^{μV ds/2} φ (the heat
// factor exact in Fourier space: for V = 0 the solve is exact), φ rescaled to max φ = 1 after
// each step with the scale kept in log form; F = log φ / μ, floored where φ < 1e-16 max φ (there
// φ is rounding, possibly ≤ 0). Conditioning: rounding at q grows like e^{μ(V(q) − V_min)(T − t)}
// relative to the solution, so keep μ(V_max − V_min)T ≲ 20–30 (cole_hopf_amplification).
// Throws std::invalid_argument for mismatched sizes, μ ≤ 0, γ/μ < 0, T ≤ 0 or dt ≤ 0, and
// nnworld::Divergence if φ becomes non-finite.
[[nodiscard]] ColeHopfSolution solve_hj_backward(const core::Fft& fft,
                                                 std::span<const double> potential,
                                                 std::span<const double> terminal_free_energy,
                                                 const Constants& c,
                                                 const ColeHopfOptions& options);
// μ(max V − min V)T: log of the worst growth of rounding relative to φ in solve_hj_backward.
[[nodiscard]] double cole_hopf_amplification(std::span<const double> potential, double mu,
                                             double t_end);

// ---- Stationary solutions with V = 0: (43), (44), (45) ----------------------------------------

// (44): F = C₀ + μ⁻¹ Σ_k log(C_k + μq_k) (needs C_k + μq_k > 0; NaN otherwise). It solves
// (43) γ|∇F|² + (γ/μ)∇²F = 0 (φ = e^{μF} = e^{μC₀} Π_k (C_k + μq_k) is harmonic).
[[nodiscard]] double stationary_free_energy(std::span<const double> q, double c0,
                                            std::span<const double> ck, double mu);
// The constants that make (44) equal to (45): μ = 2β, C_k = 2(1 − βm), C₀ = −(N/2β) log 4π
// (q_k = λ_k).
struct StationaryConstants {
  double mu = 0.0;
  double c0 = 0.0;
  std::vector<double> ck;
};
[[nodiscard]] StationaryConstants stationary_constants_for_gaussian(double beta, double m,
                                                                    std::size_t n);
// (45): F = (1/2β) Σ_i log((1 − βm) + βλ_i) − (N/2β) log 2π (NaN if an argument is ≤ 0).
[[nodiscard]] double gaussian_free_energy(double beta, double m, std::span<const double> lambda);

// Central differences at a point of a function of K variables (step h, error O(h²) + ε/h²).
using ScalarFn = std::function<double(std::span<const double>)>;
[[nodiscard]] std::vector<double> central_gradient(const ScalarFn& f, std::span<const double> q,
                                                   double h);
[[nodiscard]] double central_laplacian(const ScalarFn& f, std::span<const double> q, double h);
// The residual of (43) at q: γ|∇F|² + (γ/μ)∇²F by central differences (0 for a stationary F).
[[nodiscard]] double stationary_residual(const ScalarFn& f, std::span<const double> q,
                                         const Constants& c, double h);

// ---- The virial (46) and (47)–(48) -------------------------------------------------------------

// For F of (45) with D = (1 − βm) + βλ_i (spec §0 correction 7):
//   U = ∂_β(βF) = ½ Σ (λ_i − m)/D_i,   Σ λ_i ∂F/∂λ_i = ½ Σ λ_i/D_i,   m ∂F/∂m = −(m/2) Σ 1/D_i,
//   so U = Σ λ_i ∂F/∂λ_i + m ∂F/∂m, and the printed (46) U = Σ λ_i ∂F/∂λ_i (m = 0) misses
//   defect = U − Σ λ_i ∂F/∂λ_i = −(m/2) Σ 1/D_i.
struct VirialTerms {
  double mean_loss = 0.0;      // U = ∂_β(βF)
  double lambda_forces = 0.0;  // Σ λ_i ∂F/∂λ_i (the right side of (46))
  double mass_term = 0.0;      // m ∂F/∂m
  double defect = 0.0;         // U − Σ λ_i ∂F/∂λ_i (= mass_term)
};
[[nodiscard]] VirialTerms virial(double beta, double m, std::span<const double> lambda);

// (47) for F(λ(q)) of (45), J_ik = ∂λ_i/∂q_k (invertible), with D_i = (1 − βm) + βλ_i:
//   first_line  = (γ/μ) Σ_{i,j,k} ∂²F/∂λ_i∂λ_j J_ik J_jk
//   second_line = −(γβ/2μ) Σ_{i,k} D_i⁻² J_ik²
//   last_line   = −(2γβ/μ) Σ_{m,n} ∂F/∂q_m K_mn ∂F/∂q_n,  K_mn = Σ_{i,k} (J⁻¹)_mi J_ik² (J⁻¹)_ni
//   missing     = (γ/μ) Σ_i ∂F/∂λ_i ∇²_q λ_i  (spec §0 correction 6: dropped by (47))
//   exact       = first_line + missing = (γ/μ)∇²_q F; (47) equals it only for affine λ(q).
struct Eq47Terms {
  double first_line = 0.0;
  double second_line = 0.0;
  double last_line = 0.0;
  double missing = 0.0;
  double exact = 0.0;
};
[[nodiscard]] Eq47Terms eq47_laplacian(const Constants& c, double beta, double m,
                                       const Eigen::VectorXd& lambda,
                                       const Eigen::MatrixXd& jacobian,
                                       const Eigen::VectorXd& lambda_laplacian);
// (48): H = V + γ ∂F/∂q_m T_mn ∂F/∂q_n with T = I − (2β/μ)K (K of eq47_laplacian): the
// kinetic matrix of the Hamiltonian in first derivatives only (affine λ(q)).
[[nodiscard]] Eigen::MatrixXd eq48_kinetic_matrix(double beta, double mu,
                                                  const Eigen::MatrixXd& jacobian);

}  // namespace nnworld::trainable
