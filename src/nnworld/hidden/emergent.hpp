#pragma once
// Emergent metric of paper Section 9 (spec §8, follow-up claims 1, 3, 4): the metric g^i_μν
// carried by each neuron, measured from the velocity correlations of a simulated gas of
// neurons, coarse-grained into a smooth field g_μν(X), and the geodesic motion of a localised
// excitation (a ring-coupled cluster of neurons) in it.
//
// Microscopic model (an interpretation; the paper leaves the estimator open, spec §8b GAP).
// Neuron i carries one hidden state per spatial subsystem μ = 1..D, x_i ∈ [0, 2π)^D (periodic;
// the time-like subsystem is the clock τ, Sec. 8), with conjugate momenta p_i. Its weights
// between subsystems are w^i_μν = g_μν(x_i) for a smooth positive-definite field g(X) held by
// the slow trainable variables, fixed during a hidden-variable run (claim 1, two timescales).
//   H_i = ½ g^{μν}(x_i) p_μ p_ν                         (kinetic term of (77) with the metric)
//       + (α²/2) Σ_μ x^μ·Ĝ(π) x^μ (cluster neurons only, Ĝ = (I − π)ᵀ(I − π), flat contraction)
// The Hamiltonian flow of the first term is the geodesic flow of g:
//   ẋ^μ = v^μ = g^{μν}p_ν,   ṗ_c = −½ ∂_c g^{μν} p_μ p_ν = ½ v^μ v^ν ∂_c g_μν.
// Gas (entropy production): each step is one RK4 step of this flow, then the exact
// Ornstein–Uhlenbeck update of p at fixed x,
//   p ← c p + √(T(1 − c²)) L(x) ξ,  c = e^{−γh},  L Lᵀ = g(x),  ξ ~ N(0, I),
// which leaves p | x ~ N(0, T g(x)) invariant, hence Cov(v | x) = T g(x)⁻¹ and the equilibrium
// density of x ∝ √det g(x) (the Gibbs measure e^{−H/T} dx dp integrated over p).
//
// Random numbers: core::RngStream(seed, user, stream), one counter per (step, neuron, axis),
// so every result is independent of the number of threads; cell sums are accumulated per
// fixed neuron batch and combined in batch order (bitwise reproducible for any thread count).
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nnworld/core/expression.hpp"
#include "nnworld/geometry/metric.hpp"

namespace nnworld::hidden {

using geometry::Matrix;
using geometry::Vector;

// One Fourier term a cos(k·X) + b sin(k·X) of a metric component.
struct FourierTerm {
  std::array<int, 3> k{0, 0, 0};
  double a = 0.0;
  double b = 0.0;
};

// A smooth symmetric metric field g_μν(X) on the D-torus [0, 2π)^D, D = 2 or 3: either a
// Fourier series per packed component (a ≤ b, row-major upper triangle) with analytic
// derivatives, or a conformal field e^{2φ(X)}δ with φ an expression of x, y (, z) whose
// gradient is a 4th-order central difference (core::Expression::derivative, h = 1e-3: error
// ~1e-12). Evaluation of a conformal field is not thread-safe: copy the field per thread.
class MetricField {
 public:
  static MetricField fourier(int dim, std::vector<std::vector<FourierTerm>> components);
  static MetricField conformal(int dim, const std::string& phi);
  // Spec T9.2 / geometry::random_cosine_metric: g = δ + ε h, h_ab = ½Σ_i c_i cos(k_i·X + φ_i),
  // drawn with the same Philox counters as geometry::random_cosine_metric(grid, ε, seed, modes,
  // k_max), so both agree on grid points.
  static MetricField random_cosine(int dim, double epsilon, std::uint64_t seed, int modes = 4,
                                   int k_max = 2);

  [[nodiscard]] int dimension() const { return dim_; }
  [[nodiscard]] bool is_conformal() const { return phi_.has_value(); }
  // Packed component lists (Fourier fields only).
  [[nodiscard]] const std::vector<std::vector<FourierTerm>>& components() const { return comps_; }
  // g_μν(X).
  [[nodiscard]] Matrix value(const double* x) const;
  // g_μν(X) and dg[c] = ∂_c g_μν(X).
  void jet(const double* x, Matrix& g, std::array<Matrix, 3>& dg) const;
  // The same field as a geometry::Metric (coordinates x, y (, z)): conformally_flat(φ) or a
  // user metric whose entries are the Fourier sums written out as expressions.
  [[nodiscard]] geometry::Metric to_metric() const;

 private:
  int dim_ = 2;
  std::vector<std::vector<FourierTerm>> comps_;
  std::optional<core::Expression> phi_;
};

// Packed index of (a, b), a ≤ b or not: row-major upper triangle (as geometry::component_index).
[[nodiscard]] int packed_index(int dim, int a, int b);

// ---- single-neuron dynamics --------------------------------------------------------------
// Right-hand side of Hamilton's equations for H = ½ g^{μν}(x) p_μ p_ν:
// dx = g⁻¹p, dp_c = ½ vᵀ ∂_c g v. State (x, p) of length 2D.
void geodesic_hamilton_rhs(const MetricField& g, const double* x, const double* p, double* dx,
                           double* dp);
// One RK4 step of that flow (step h), in place.
void hamilton_rk4_step(const MetricField& g, double* x, double* p, double h);
// Exact OU update at fixed x: p ← c p + √(T(1 − c²)) L(x) ξ, c = e^{−γh}, LLᵀ = g(x) (Cholesky).
// xi: D standard normals.
void ou_momentum_step(const Matrix& g, double* p, double temperature, double c, const double* xi);

// ---- gas and the estimator ---------------------------------------------------------------
struct GasSetup {
  std::int64_t neurons = 4096;
  double temperature = 1.0;        // T: fixes the scale of ĝ = T·Cov(v)⁻¹
  double gamma = 1.0;              // OU friction γ
  double step = 0.05;              // h of the RK4 + OU step
  std::int64_t burn_in = 20;       // steps before the first sample (the start is equilibrium)
  std::int64_t samples = 100;      // time samples
  std::int64_t sample_every = 10;  // steps between samples
  int bins = 8;                    // B cells per axis
  int batches = 32;                // fixed neuron batches (jackknife groups)
  std::uint64_t seed = 1;
};

// Per cell (flat index, axis D−1 fastest; cell c covers [2π j_a/B, 2π(j_a + 1)/B) per axis):
struct CellEstimate {
  std::vector<double> counts;  // samples per cell
  // Packed components per cell, [cell][component]:
  std::vector<std::vector<double>> g_hat;  // ĝ = T (Σ v vᵀ / n)⁻¹
  std::vector<std::vector<double>> g_se;   // jackknife standard error over neuron batches
  // Leave-one-batch-out estimates [batch][cell][component] (NaN where a cell has none): refit
  // each to propagate the estimation error into derived quantities (jackknife).
  std::vector<std::vector<std::vector<double>>> g_jack;
  std::vector<std::vector<double>> target;  // (∫_cell √g g⁻¹ / ∫_cell √g)⁻¹ of the planted g
  std::vector<std::vector<double>> centre;  // planted g at the cell centre
  std::vector<std::array<double, 3>> centres;
  double chi2_per_dof = 0.0;     // mean over valid (cell, component) of ((ĝ − target)/se)²
  std::int64_t dof = 0;          // number of terms in that mean
  std::int64_t valid_cells = 0;  // cells with ≥ 2 batches contributing and an invertible Cov
  double chi2_expected = 0.0;    // E[t²_ν] = ν/(ν − 2), ν = batches − 1
  double chi2_sigma = 0.0;       // √(Var[t²_ν]/valid_cells) (components treated as correlated)
  double relative_rms_error = 0.0;  // √(Σ|ĝ − target|²_F / Σ|target|²_F) over valid cells
  double relative_rms_se = 0.0;     // the same with the se in place of the error
  double coarse_grain_bias = 0.0;   // √(Σ|target − centre|²_F / Σ|centre|²_F)
  std::int64_t n_samples = 0;       // velocity samples used
};

// Runs the gas from its equilibrium (x by rejection from √det g, p ~ N(0, T g(x))) and measures
// ĝ per cell. `progress(k)` after time sample k. Throws nnworld::Error on bad input and
// nnworld::Divergence on a non-finite state.
CellEstimate simulate_gas(const MetricField& planted, const GasSetup& s,
                          const std::function<void(std::int64_t)>& progress = {});

// Least-squares Fourier fit of each component of ĝ_cell with |k|∞ ≤ K (weights = cell counts).
// Each basis function is averaged over its cell (the factor Π_a sinc(k_a π/B)), so the fit
// models ĝ_cell as the cell average of the field (exact to first order in the variation of g
// across a cell). Throws nnworld::Error if (2K + 1) > B or the normal equations are singular.
MetricField fit_fourier(const CellEstimate& e, int dim, int bins, int k_max);

// The same fit of the leave-one-batch-out estimate `batch` (weights: the full cell counts).
MetricField fit_fourier_jackknife(const CellEstimate& e, int dim, int bins, int k_max, int batch);

// Geodesic of a field from x0 with dx/dτ = v0 by the Hamiltonian flow of ½g^{μν}p_μp_ν
// (hamilton_rk4_step, p₀ = g(x₀)v₀), positions at steps 0, record_every, …, and the last.
std::vector<std::vector<double>> geodesic_positions(const MetricField& g,
                                                    const std::vector<double>& x0,
                                                    const std::vector<double>& v0, double step,
                                                    std::int64_t steps, std::int64_t record_every);

// ---- localised excitation (claim 4) ------------------------------------------------------
struct ExcitationSetup {
  int cluster = 16;            // n_c neurons on one ring π (a single cycle)
  double alpha = 2.0;          // ring stiffness α
  double spread = 0.05;        // initial positions X₀ + spread·ξ
  double temperature = 1e-3;   // T_exc: velocity jitter p = g V₀ + √T_exc L ξ
  std::vector<double> x0, v0;  // X₀, V₀ (D each)
  double step = 0.01;          // RK4 step (γ = 0: Hamiltonian)
  std::int64_t steps = 400;
  std::int64_t record_every = 10;
  std::int64_t replicas = 64;  // M independent replicas
  // false: (α²/2)Σ_μ x^μ·Ĝx^μ (flat contraction); true: the covariant ring
  // (α²/2)Σ_i Δ_iᵀ g(m_i) Δ_i, Δ_i = x_{i+1} − x_i, m_i = (x_i + x_{i+1})/2 (equal for g = δ).
  bool metric_coupling = false;
  std::uint64_t seed = 1;
};

struct ExcitationRun {
  std::vector<double> tau;                // recorded times
  std::vector<std::vector<double>> mean;  // [t][μ] centroid averaged over replicas
  std::vector<std::vector<double>> se;    // [t][μ] standard error across replicas
  double max_energy_drift = 0.0;          // max |H(τ) − H(0)| / |H(0)| over replicas
};

// The cluster: H = Σ_i ½ g^{μν}(x_i)p_iμ p_iν + (α²/2) Σ_μ x^μ·Ĝ x^μ (or its covariant edge
// form, metric_coupling), RK4 (unwrapped
// coordinates; g is periodic). Centroid X̄ = (1/n_c)Σ_i x_i per replica.
ExcitationRun simulate_excitation(const MetricField& g, const ExcitationSetup& s,
                                  const std::function<void(std::int64_t)>& progress = {});

// R over a periodic n^D grid of the torus (spectral, geometry::torus_fields), flat index with
// axis D−1 fastest at X_a = 2π j_a / n.
std::vector<double> ricci_scalar_map(const MetricField& g, std::int64_t points);
// Packed component c of g sampled on the same grid.
std::vector<double> component_map(const MetricField& g, int c, std::int64_t points);

}  // namespace nnworld::hidden
