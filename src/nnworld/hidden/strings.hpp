#pragma once
// Hidden-variable strings of paper Sections 7–8 (spec §6–§7): D subsystems of hidden states on
// a permutation network, their chiral ensembles {π, πᵀ}, and the relativistic-string
// measurements on the fields x̄^(μ)(τ, σ), μ = 0..D.
//
// Lattice conventions (spec §6a, permutation.hpp): along a cycle c = (c_0, …, c_{L−1}) in σ
// order, σ_k = k/α, τ = t/α, lattice spacing Δσ = Δτ = 1/α; (πx)_{c_k} = x_{c_{k−1}} (the
// right-mover, chirality "−", (61)/(69)), (πᵀx)_{c_k} = x_{c_{k+1}} (the left-mover, "+", (70)).
// Ĝ = Ĝ(π) = 2I − π − πᵀ (67) with unit weights, minus the lattice Laplacian.
// Signature η = diag(−1, 1, …, 1); x̄^(0) = Σ_d x̄^(d) (51).
// The subsystem bumps are all placed on the longest cycle of π (the first of the longest in the
// order of hidden::cycles); every other neuron starts at 0 (plus noise).
// Biases are zero: the linearisation (49)–(50) is about x = 0 for odd f (spec §6a).
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "nnworld/hidden/permutation.hpp"
#include "nnworld/network/activation.hpp"

namespace nnworld::hidden {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A (times × n) row-major field: row t is the state at output time t (τ = t/α).
struct Field {
  std::int64_t times = 0;
  std::int64_t n = 0;
  std::vector<double> v;
  Field() = default;
  Field(std::int64_t t, std::int64_t n_, double fill = 0.0)
      : times(t), n(n_), v(static_cast<std::size_t>(t * n_), fill) {}
  double& at(std::int64_t t, std::int64_t i) { return v[static_cast<std::size_t>(t * n + i)]; }
  [[nodiscard]] double at(std::int64_t t, std::int64_t i) const {
    return v[static_cast<std::size_t>(t * n + i)];
  }
  [[nodiscard]] const double* row(std::int64_t t) const {
    return v.data() + static_cast<std::size_t>(t * n);
  }
  double* row(std::int64_t t) { return v.data() + static_cast<std::size_t>(t * n); }
  [[nodiscard]] double max_abs() const;
};

// ½a + ½b element by element (the {π, πᵀ} ensemble (68)); same shape required.
Field half_sum(const Field& a, const Field& b);
// Σ_k fields[k] (x̄^(0) = Σ_d x̄^(d), (51)), summed in order d = 1..D.
Field field_sum(const std::vector<Field>& fields);
// The columns `neurons` of every row (e.g. a cycle in σ order): a (times × |neurons|) field.
Field restrict_to(const Field& f, const std::vector<std::int32_t>& neurons);

// ---- initial profile --------------------------------------------------------------------
// φ(σ) = A exp(−d²/(2s²)) for |d| < truncate·s, else 0, with d = σ − c wrapped into
// [−P/2, P/2) (periodic on a cycle of period P = L/α). truncate = +∞ means no truncation.
struct Bump {
  double amplitude = 1.0;
  double centre = 0.0;
  double width = 0.5;
  double truncate = 4.0;
};
double bump(const Bump& b, double sigma, double period);

// The first longest cycle of π, in σ order.
std::vector<std::int32_t> longest_cycle(const Permutation& p);
// The state with φ(σ_k − shift) at neuron c_k of the longest cycle (σ_k = k/α) and 0 elsewhere.
std::vector<double> bump_state(const Permutation& p, double alpha, const Bump& b,
                               double shift = 0.0);

// ---- dynamics ---------------------------------------------------------------------------
enum class TimeMode { discrete, continuous };

struct StringSetup {
  Permutation perm;  // π; the left-mover uses πᵀ
  double alpha = 16.0;
  network::ActivationKind activation = network::ActivationKind::linear;
  double weight_scale = 1.0;  // w = scale·π (and scale·πᵀ)
  std::vector<Bump> bumps;    // one per subsystem d = 1..D
  std::int64_t replicas = 1;  // M states per subsystem and chirality
  double noise = 0.0;         // x_m(0) = φ_d + noise·ξ, ξ ~ N(0, 1) keyed by (seed, d, m)
  std::uint64_t seed = 1;
  TimeMode mode = TimeMode::discrete;
  std::int64_t steps = 32;    // output times t = 0..steps, τ = t/α
  std::int64_t substeps = 8;  // continuous: RK4 steps per Δτ = 1/α
};

struct StringRun {
  // Per subsystem (index d − 1): replica means of the chiral ensembles, (steps + 1) × N.
  std::vector<Field> right, left;  // x̄^(d−) (w = π), x̄^(d+) (w = πᵀ)
  // ∂_τ x̄^(d∓) by (53): discrete α(x̄(t+1) − x̄(t)), rows t = 0..steps−1 (at t + ½);
  // continuous: the replica mean of the ODE right-hand side α(f(wx) − x), rows 0..steps.
  std::vector<Field> right_rate, left_rate;
  // continuous only: ∂²_τ x̄^(d∓), replica mean of α(f′(wx) ⊙ (w ∂_τx) − ∂_τx), rows 0..steps.
  std::vector<Field> right_accel, left_accel;
  // The linearisation (50)/(52) run beside: x̄_lin^(d∓), (steps + 1) × N.
  std::vector<Field> right_lin, left_lin;
  std::vector<double> drift;  // max_{d,i} |x̄^(d) − x̄_lin^(d)| per output time
  double linearisation_drift = 0.0;
  // Continuous, linear f: max over t, d, chirality of |RK4 − Poisson kernel| (else NaN).
  double rk4_vs_exact = kNaN;
  std::vector<std::int32_t> cycle;  // the longest cycle (where the bumps sit), σ order
};

// (49)–(53), (68)–(70): evolves D·M replicas per chirality with the real network map
//   discrete:   x(t+1) = f(w x(t)),  w = scale·π (right) or scale·πᵀ (left),
//   continuous: ∂_τ x = α(f(w x) − x) by RK4, `substeps` steps per Δτ = 1/α,
// starting from x_m^(d)(0) = φ_d + noise·ξ_m^(d); records the replica means, their τ-derivatives
// and the linearised means x̄_lin(t+1) = f̂′ ŵ x̄_lin(t), f̂′ = diag f′(ŵ x̄_lin) (discrete; in
// continuous mode ∂_τ x̄_lin = α(f̂′ŵ x̄_lin − x̄_lin)). `progress(t)` is called per output time.
// Throws nnworld::Error on bad input and nnworld::Divergence on a non-finite state.
StringRun simulate_strings(const StringSetup& s,
                           const std::function<void(std::int64_t)>& progress = {});

// (61)/(69)–(70) exact: expm(λ(s·π − I)) x0 = Σ_k e^{−λ}(λs)^k/k! π^k x0 (λ = ατ), summed until
// the Poisson tail bound q_{k+1}/(1 − λ|s|/(k+2)) is below 1e-17 of the total mass.
std::vector<double> poisson_kernel(const Permutation& p, double lambda, double scale,
                                   const std::vector<double>& x0);

// ---- measurements -----------------------------------------------------------------------
// (πx)_i = x_{source[i]}; Ĝx = 2x − πx − πᵀx (67).
std::vector<double> permute(const Permutation& p, const std::vector<double>& x);
std::vector<double> g_times(const Permutation& p, const Permutation& pt, const double* x,
                            std::int64_t n);

// Spec §7a discrete lattice wave identity: max_t |x̄(t+1) − 2x̄(t) + x̄(t−1) − (π + πᵀ − 2I)x̄(t)|
// / max|x̄| over t = 1..T−1.
double wave_residual(const Permutation& p, const Field& xbar);

// T8.1 d'Alembert: max_{t,i} |x̄(t) − ½[π^t x̄(0) + π^{−t} x̄(0)]| (φ(σ∓τ) as the initial profile
// shifted along each cycle by t sites, τ = t/α).
double dalembert_error(const Permutation& p, const Field& xbar);
// The same against the analytic bump: max |x̄(t) − ½[φ(σ−τ) + φ(σ+τ)]|, φ evaluated at the
// lattice points σ_{k∓t} = ((k ∓ t) mod L)/α (no rounding of σ − τ, so a site at the truncation
// edge cannot flip).
double dalembert_error_analytic(const Permutation& p, double alpha, const Bump& b,
                                const Field& xbar);
// T7.2 exact shift: max |x̄^−(t) − φ(σ − τ)| over t (analytic bump at the lattice points).
double shift_error_analytic(const Permutation& p, double alpha, const Bump& b, const Field& right);

// Spec §7a damped lattice wave with exact τ-derivatives (continuous mode), relative to
// max|∂²_τx̄|: corrected ∂²_τx̄ + αĜ∂_τx̄ + α²Ĝx̄; the paper's (78) sign ∂²_τx̄ − α²Ĝx̄; the
// undamped corrected form ∂²_τx̄ + α²Ĝx̄ (73).
struct DampedWave {
  double corrected = kNaN;
  double paper_sign = kNaN;
  double undamped = kNaN;
};
DampedWave damped_wave_residual(const Permutation& p, double alpha, const Field& xbar,
                                const Field& rate, const Field& accel);
// T8.2: x̄(τ) = ½[expm(α(π−I)τ) + expm(α(πᵀ−I)τ)]x0 by the Poisson kernel, 2nd-order central
// differences in τ with step h, residuals relative to max|x_ττ| (corrected and paper sign).
DampedWave damped_wave_fd(const Permutation& p, double alpha, const std::vector<double>& x0,
                          double tau, double h);

// T7.3: the semi-discrete (61) on one cycle of α·period sites, a bump of width s started at σ =
// start, at time τ: max error against pure advection φ(σ − start − τ) and against the
// advection–diffusion model (A s/√w²) exp(−d²/(2w²)), w² = s² + τ/α.
struct SemiDiscrete {
  double pure = kNaN;
  double diffusion = kNaN;
};
SemiDiscrete semi_discrete_errors(double alpha, double period, double width, double start,
                                  double tau);

// Chirality split (62), (69)–(72): per output time the right/left energies
// E_∓(t) = Σ_i (∂_∓x̄^(0)_i)² with ∂_∓x̄ = ½ ∂_τx̄^∓ (the chiral part of x̄ = ½x̄⁻ + ½x̄⁺), and
// the residuals of the lattice identities, relative to max|x̄^∓| (discrete) or max|∂_τx̄^∓|
// (continuous):
//   discrete:   x̄⁻(t+1) − x̄⁻(t) = x̄⁻_{i−1}(t) − x̄⁻_i(t),  x̄⁺(t+1) − x̄⁺(t) = x̄⁺_{i+1}(t) − x̄⁺_i(t);
//   continuous: ∂_τx̄⁻ = α(πx̄⁻ − x̄⁻),                     ∂_τx̄⁺ = α(πᵀx̄⁺ − x̄⁺).
struct Chirality {
  std::vector<double> energy_right, energy_left;
  double residual_right = 0.0, residual_left = 0.0;
};
Chirality chirality(const Permutation& p, double alpha, TimeMode mode,
                    const std::vector<Field>& right, const std::vector<Field>& left,
                    const std::vector<Field>& right_rate, const std::vector<Field>& left_rate);

// Dispersion on one cycle (x restricted to it, σ order): a_k(t) = Σ_j x_j(t) e^{−ikj},
// k = 2πn/L, n = 0..L/2. Lattice wave estimator
//   ω(k)² = α² Σ_t Re[a_k*(t)(2a_k(t) − a_k(t+1) − a_k(t−1))] / Σ_t |a_k(t)|²   (t = 1..T−1),
// ω = sign(ω²)√|ω²|, against 2α sin(k/2). A mode is significant if its rms amplitude is
// ≥ 1e-3 of the largest of the modes n ≥ 1; error = max over significant n ≥ 1 of
// |ω − 2α sin(k/2)|/α.
struct Dispersion {
  std::vector<double> k, power, omega, omega_theory;
  std::vector<int> significant;
  double error = kNaN;
};
Dispersion dispersion(const Field& on_cycle, double alpha);
// Continuous chiral modes: a_k^∓(τ) = exp(α(e^{∓ik} − 1)τ) a_k(0), i.e. frequency ±α sin k and
// damping α(1 − cos k). Measured rate r_k = α log(Σ_t a*(t)a(t+1) / Σ_t |a(t)|²) per Δτ = 1/α;
// omega = |Im r_k|, damping = −Re r_k; error = max over significant modes of |r_k − α(e^{∓ik} −
// 1)|/α (the RK4 truncation), error_rk4 = max |r_k − α·s·log R(z)|/α against the RK4
// amplification R(z) = 1 + z + z²/2 + z³/6 + z⁴/24, z = (e^{∓ik} − 1)/s (rounding only).
struct ChiralDispersion {
  std::vector<double> k, omega, damping, omega_theory, damping_theory;
  std::vector<int> significant;
  double error = kNaN, error_rk4 = kNaN;
};
ChiralDispersion chiral_dispersion(const Field& on_cycle, double alpha, bool right,
                                   std::int64_t substeps);

// T7.1 / T8.3: eigenvalues of Ĝ(π) = (I − π)ᵀ(I − π) by a dense symmetric eigen-decomposition of
// network::g_matrix (linear f, w = π, b = 0), ascending; and the closed form: the union over
// cycles of length L of 4 sin²(πn/L), n = 0..L−1, ascending.
std::vector<double> g_eigenvalues(const Permutation& p);
std::vector<double> g_spectrum_closed_form(const Permutation& p);

// Paper's (78) sign control: Störmer–Verlet (leapfrog, step h = 1/(α·substeps)) of
//   corrected: ∂²_τx = −α²Ĝx,   paper (78): ∂²_τx = +α²Ĝx,
// from x(0) = x0, ∂_τx(0) = 0 (x_1 = x_0 + ½h²a_0), recorded every Δτ = 1/α up to tau_end. The
// paper's run stops once max|x| > 1e150. energy: the staggered leapfrog energy
// ½|v_{n+½}|² + ½α² x_{n+1}ᵀĜx_n of the corrected run (exactly conserved up to rounding).
// growth_rate: slope of log max|x| of the paper's run over its last unit of τ; theory
// acosh(1 + h²α²λ_max/2)/h ≈ 2α (λ_max the largest eigenvalue of Ĝ).
struct SignControl {
  std::vector<double> tau, max_corrected, max_paper, energy;
  double energy_drift = kNaN;  // max |E − E_0| / E_0
  double bound_ratio = kNaN;   // max_τ max|x_corrected| / max|x0|
  // max_τ ‖x_corrected‖₂ / ‖x0‖₂: ≤ 1 exactly, each eigenmode of Ĝ being a·cos(nθ),
  // cos θ = 1 − h²α²λ/2, for this start (x_1 = x_0 + ½h²a_0) when h²α²λ_max ≤ 4.
  double l2_ratio = kNaN;
  double paper_ratio = kNaN;  // max_τ max|x_paper| / max|x0|
  double growth_rate = kNaN, growth_theory = kNaN;
};
SignControl sign_control(const Permutation& p, double alpha, const std::vector<double>& x0,
                         double tau_end, std::int64_t substeps);

// (55)/(75): per neuron and time, η_μν v^μ v^ν = −(Σ_d v_d)² + Σ_d v_d² = −2Σ_{c<d} v_c v_d (coded
// in the last form), v_d = ∂_τx̄^(d). Values
// normalised by Σ_d v_d² where that exceeds 1e-20 of its maximum. max_abs is unnormalised.
struct Constraint {
  double max_abs = 0.0;
  double max_normalised = 0.0;
  double max_relative = 0.0;       // max |η v v| / max_{t,i} Σ_d v_d² (one global scale)
  std::vector<double> normalised;  // the distribution (all (t, i) counted)
};
Constraint null_constraint(const std::vector<Field>& rates);
// Histogram of `values` on `bins` equal bins of [lo, hi] (values outside are clamped).
std::vector<double> histogram(const std::vector<double>& values, double lo, double hi, int bins);

// (76) corrected, conformal gauge h = diag(−1, 1), Δσ = Δτ = 1/α:
//   A = Σ_t Δτ L(t),  L(t) = Δσ Σ_i η_μμ[−(v^μ_i)² + (s^μ_i)²],  s = α(x − πx) (backward ∂_σ),
// and the string energy E^μ = ½Σ_i[(v^μ_i)² + α² x^μ_i(Ĝx^μ)_i], E_η = −E^0 + Σ_d E^d.
// Discrete: v at t + ½ and the staggered E_{t+½} = ½Σ[(α(x(t+1) − x(t)))² + α² x(t+1)ᵀĜx(t)]
// (exactly conserved for linear f, scale 1); continuous: v = the ODE rate at t.
// fields/rates: per subsystem d = 1..D (x̄^(d) = ½x̄^(d−) + ½x̄^(d+) and its rate).
struct StringAction {
  std::vector<double> lagrangian;           // L(t)
  double action = 0.0;                      // A
  std::vector<std::vector<double>> energy;  // [μ][t], μ = 0..D
  std::vector<double> energy_eta;           // E_η(t)
  double energy_drift = 0.0;                // max_μ max_t |E^μ(t) − E^μ(0)| / E^μ(0)
};
StringAction string_action(const Permutation& p, double alpha, TimeMode mode,
                           const std::vector<Field>& fields, const std::vector<Field>& rates);

// The light-cone view of a field on one cycle (times × L, rows = t): the image
// img[a][b] = x(t = ⌊(a + b)/2⌋, k = ⌊(a − b)/2⌋ mod L), a = ξ⁺ = t + k and b = ξ⁻ = t − k in
// lattice units, a, b = 0..T (nearest lattice site). A right-mover g(σ − τ) is constant along a.
std::vector<double> light_cone(const Field& on_cycle);

}  // namespace nnworld::hidden
