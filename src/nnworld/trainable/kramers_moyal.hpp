#pragma once
// Kramers–Moyal estimates of the drift and diffusion of the trainable variables from short
// trajectories of the replicas (spec §10, claim 2, test 1), and from them γ(q) and the map
// ħ′²(q) = 4D/(γμ) − 1/μ² (spec §0 item 4), with standard errors and a χ² test of constancy.
//
//   trainable::KramersMoyal km(bins, dt);
//   for (…) { auto before = ens; em_step(ens, field, lp); km.add(before, ens, field); }
//   auto r = km.result();                         // drift, diffusion, γ per bin
//   auto h = trainable::hbar_prime_map(r, mu);    // ħ′² per bin, weighted mean, χ², p-value
//
// Per bin (the cells of `bins`, see ensemble.hpp), from the increments Δq_r = q_r(t + Δt) −
// q_r(t) of the replicas whose q_r(t) lies in the bin (n of them):
//   drift      a_a = ⟨Δq_a⟩ / Δt,               se = s_a / (√n Δt),
//   diffusion  D_a = s_a² / (2Δt),               se = √((m₄ − s⁴)/n) / (2Δt),
// s_a² the sample variance and m₄ the 4th central moment of Δq_a in the bin. For an
// Euler–Maruyama step the conditional increment is exactly a(q)Δt + √(2DΔt)ξ, so a is unbiased
// for the scheme's drift at the bin's mean q (exactly when a is linear in q); D picks up
// Δt·Var_bin(a(q))/2 from the spread of the drift within the bin (≈ Δt a′² h²/24).
//   γ (regression through the origin of Δq on ∇F Δt, ∇F at q_r(t) from the field):
//   γ̂ = Σ Δq·∇F / (Δt Σ|∇F|²),   se = √(Σ (e_r·∇F_r)²) / (Δt Σ|∇F|²),  e_r = Δq_r − γ̂∇F_r Δt
// (heteroscedasticity-robust). Increments from successive steps of the same replicas are
// martingale differences given q, so they may be pooled with these errors.
// Periodic bins: increments are taken as minimum images (|Δq_a| < L_a), so periodic bins must
// have the period 2L_a of the grid that confines the replicas.
#include <cstdint>
#include <limits>
#include <vector>

#include "nnworld/core/grid.hpp"
#include "nnworld/trainable/ensemble.hpp"

namespace nnworld::trainable {

inline constexpr double km_nan = std::numeric_limits<double>::quiet_NaN();

struct KramersMoyalBin {
  Point centre{};                            // the bin's grid point
  Point mean_q{};                            // mean q(t) of its samples
  std::int64_t count = 0;                    // n
  Point drift{}, drift_se{};                 // a_a and its standard error
  Point diffusion{}, diffusion_se{};         // D_a (diagonal, bin variance) and its se
  double gamma = km_nan, gamma_se = km_nan;  // γ̂ (only with a field)
  // With a field: D_a from the residuals e = Δq − γ̂∇F Δt, (1/(n−1)) Σ e_a² / (2Δt), which removes
  // the spread of the drift within the bin (se: the bin variance's relative error).
  Point diffusion_residual{km_nan, km_nan, km_nan};
  Point diffusion_residual_se{km_nan, km_nan, km_nan};
  double grad_f_rms = km_nan;  // √⟨|∇F|²⟩ over the bin's samples
};

struct KramersMoyalResult {
  core::Grid bins;
  double dt = 0.0;
  std::int64_t samples = 0;          // increments binned
  std::int64_t outside = 0;          // increments whose start lay outside the bins (box grids)
  std::vector<KramersMoyalBin> bin;  // one per grid point (row-major)
};

class KramersMoyal {
 public:
  // dt: the time between the two snapshots passed to add (> 0). `dims` must match the grid's.
  KramersMoyal(const core::Grid& bins, double dt);
  // Bins the increments after − before (the same replicas in the same order; dims equal).
  void add(const Ensemble& before, const Ensemble& after);
  // … and accumulates the γ regression with ∇F at the `before` positions.
  void add(const Ensemble& before, const Ensemble& after, const FreeEnergyField& field);
  [[nodiscard]] KramersMoyalResult result() const;

 private:
  void add_impl(const Ensemble& before, const Ensemble& after, const FreeEnergyField* field);
  core::Grid bins_;
  double dt_;
  std::int64_t outside_ = 0;
  // Per bin: n, Σq_a, ΣΔ_a, ΣΔ_a², ΣΔ_a³, ΣΔ_a⁴ (Δ shifted by the bin's first increment for
  // accuracy), ΣΔ·g, Σ|g|², Σ(Δ·g)², Σ(Δ·g)|g|², Σ|g|⁴.
  struct Sums {
    double n = 0.0;
    Point q{}, shift{};
    Point s1{}, s2{}, s3{}, s4{};  // Σ(Δ − c)^j per axis, c = shift
    Point sdg{}, sgg{};            // per axis: ΣΔ_a g_a, Σ g_a²
    double dg = 0.0, gg = 0.0, dg2 = 0.0, dg_gg = 0.0, gg2 = 0.0;
  };
  std::vector<Sums> sums_;
};

// ħ′² = 4D/(γμ) − 1/μ² per bin, with D = (1/K) Σ_a D_a (residual D_a when available), γ = γ̂ (bins
// with count ≥ min_count and finite γ, D), errors propagated as independent:
//   ratio = D/(γμ),  se_ratio = (1/μ) √((se_D/γ)² + (D se_γ/γ²)²),  se_ħ′² = 4 se_ratio.
// Constancy (spec §10 claim 2 test 1, "D/(γμ) constant within its confidence interval"): the
// weighted mean r̄ = Σ w_i r_i / Σ w_i (w_i = 1/se_i²), χ² = Σ w_i (r_i − r̄)², dof = n − 1,
// p = Q(dof/2, χ²/2) (regularised upper incomplete gamma).
struct HbarPrimeBin {
  Point mean_q{};
  std::int64_t count = 0;
  double diffusion = 0.0, diffusion_se = 0.0;
  double gamma = 0.0, gamma_se = 0.0;
  double ratio = 0.0, ratio_se = 0.0;  // D/(γμ)
  double hbar_prime_squared = 0.0, hbar_prime_squared_se = 0.0;
};
struct HbarPrimeMap {
  std::vector<HbarPrimeBin> bins;
  double mean_ratio = km_nan, mean_ratio_se = km_nan;  // weighted mean of D/(γμ)
  double mean_hbar_prime_squared = km_nan;             // 4 r̄ − 1/μ²
  double chi2 = km_nan;
  int dof = 0;
  double p_value = km_nan;  // of constancy
};
[[nodiscard]] HbarPrimeMap hbar_prime_map(const KramersMoyalResult& km, double mu_lagrange,
                                          std::int64_t min_count = 100);

// Q(s, x) = Γ(s, x)/Γ(s) (series for x < s + 1, continued fraction otherwise); the χ² survival
// function with ν degrees of freedom is Q(ν/2, χ²/2).
[[nodiscard]] double gamma_q(double s, double x);

}  // namespace nnworld::trainable
