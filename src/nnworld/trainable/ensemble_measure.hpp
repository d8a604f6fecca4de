#pragma once
// Measurements of the replica ensemble on a grid (paper Section 4, spec §3): the density
// p(t, q) (histogram and Gaussian kernel estimate), moments, the L1 distance to a reference
// density and its statistical floor for M replicas, the Shannon entropy (21) and the entropy
// production (22) measured two ways.
//
// Cells: grid point i stands for the cell of side h_a centred on it (see ensemble.hpp); the
// histogram density of cell i is n_i / (M h_1⋯h_K). Sums are serial (deterministic).
#include <cstdint>
#include <span>
#include <vector>

#include "nnworld/core/grid.hpp"
#include "nnworld/trainable/ensemble.hpp"

namespace nnworld::trainable {

struct DensityEstimate {
  std::vector<double> p;              // density at the grid points (∫p = fraction inside)
  std::int64_t outside = 0;           // replicas outside the grid's cells (box grids)
  std::array<double, 3> bandwidth{};  // kernel bandwidth per axis (0 for a histogram)
};

// Histogram: p_i = n_i / (M h_1⋯h_K), n_i the replicas in cell i (periodic grids wrap).
[[nodiscard]] DensityEstimate histogram_density(const core::Grid& grid, const Ensemble& ensemble);
// Integer counts n_i (the same binning).
[[nodiscard]] std::vector<std::int64_t> histogram_counts(const core::Grid& grid,
                                                         const Ensemble& ensemble,
                                                         std::int64_t* outside = nullptr);

// The mean of `values` (one per replica; non-finite ones skipped) over the replicas in each
// cell (the histogram's binning); NaN where a cell holds fewer than min_count values.
[[nodiscard]] std::vector<double> cell_means(const core::Grid& grid, const Ensemble& ensemble,
                                             std::span<const double> values,
                                             std::int64_t min_count = 1);

// Gaussian kernel density estimate p̂(q) = (1/M) Σ_r Π_a φ_{h_a}(q_a − q_{r,a}), binned: the
// histogram convolved, axis by axis, with the Gaussian weights w_m ∝ exp(−(m h)²/(2 bw²)),
// |m| ≤ ⌈5 bw/h⌉, normalised to Σ w_m = 1 (mass conserved exactly). Periodic grids wrap the
// kernel; box grids reflect the kernel mass at the walls (the reflecting walls of the
// replicas). Binning adds h²/12 to the variance of the estimate (Sheppard), the kernel bw².
// bandwidth[a] ≤ 0 selects Silverman's rule for that axis.
[[nodiscard]] DensityEstimate kde_density(const core::Grid& grid, const Ensemble& ensemble,
                                          std::array<double, 3> bandwidth = {0.0, 0.0, 0.0});
// The kernel of kde_density applied to a binned density p (the same discrete Gaussian weights
// per axis, bandwidth[a] ≤ 0: no smoothing along a): linear in p.
[[nodiscard]] std::vector<double> smooth_density(const core::Grid& grid, std::vector<double> p,
                                                 const std::array<double, 3>& bandwidth);
// Silverman's rule per axis: bw_a = σ_a (4 / ((K + 2) M))^{1/(K+4)}.
[[nodiscard]] std::array<double, 3> silverman_bandwidth(const Ensemble& ensemble);

// Sample moments of the replica coordinates (periodic coordinates are taken as stored).
struct Moments {
  Point mean{};
  std::array<std::array<double, 3>, 3> covariance{};  // unbiased (divisor M − 1)
  Point mean_se{};                                    // √(Var_a / M)
  Point variance_se{};  // standard error of the sample variance: √((m₄ − s⁴)/M)
  Point kurtosis{};     // m₄ / s⁴ (3 for a Gaussian)
};
[[nodiscard]] Moments moments(const Ensemble& ensemble);
// Moments of the replicas with tag == which (two_packet_ensemble).
[[nodiscard]] Moments moments(const Ensemble& ensemble, std::int32_t which);

// L1 = ∫ |p − p_ref| d^K q ≈ Σ_i |p_i − p_ref,i| h_1⋯h_K.
[[nodiscard]] double l1_distance(const core::Grid& grid, std::span<const double> p,
                                 std::span<const double> reference);

// E|X − nP| for X ~ Binomial(n, P), de Moivre's closed form
//   E|X − nP| = 2 ν C(n, ν) P^ν (1 − P)^{n−ν+1},   ν = ⌊nP⌋ + 1,
// evaluated in logarithms (lgamma); 0 for P ∈ {0, 1}.
[[nodiscard]] double binomial_mean_abs_deviation(std::int64_t n, double p);

// The statistical floor of the histogram L1 for M replicas drawn from p_ref itself: with
// P_i = p_ref,i h_1⋯h_K the probability of cell i (clamped to [0, 1]) and n_i ~ Binomial(M, P_i),
//   floor = E Σ_i |n_i/M − P_i| = (1/M) Σ_i E|n_i − M P_i|                      (exact),
//   sd ≈ √(Σ_i [P_i(1 − P_i)/M − (E|n_i/M − P_i|)²])        (cells taken as independent),
//   gaussian = √(2/(πM)) Σ_i √(P_i(1 − P_i))                 (the large-M P_i limit).
struct StatisticalFloor {
  double expected = 0.0;
  double sd = 0.0;
  double gaussian = 0.0;
};
[[nodiscard]] StatisticalFloor statistical_floor(const core::Grid& grid,
                                                 std::span<const double> reference,
                                                 std::int64_t replicas);

// Shannon entropy (21): S_q = −∫ p log p (cells with p ≤ 0 contribute 0).
[[nodiscard]] double shannon_entropy(const core::Grid& grid, std::span<const double> p);

// Entropy production (22), first line, on a (smoothed) density p:
//   dS_q/dt = ∫ [D |∇p|²/p − γ ∇p·∇F] = Σ_stoch + Σ_learn,
//   Σ_stoch = 4D ∫ |∇√p|²  (= D × Fisher information ≥ 0),   Σ_learn = −γ ∫ ∇p·∇F,
// with ∇√p and ∇p by 4th-order differences (GradientMethod::fd4) and ∇F from the field (same
// grid). Valid with periodic or vanishing boundary values (spec §3b).
struct EntropyProduction {
  double stochastic = 0.0;  // Σ_stoch
  double learning = 0.0;    // Σ_learn
  double total = 0.0;
};
[[nodiscard]] EntropyProduction entropy_production(const core::Grid& grid,
                                                   std::span<const double> p,
                                                   const FreeEnergyField& field, double diffusion,
                                                   double gamma);

// dS/dt from a series S(t_j) by central differences (one-sided at the ends):
//   (S_{j+1} − S_{j−1}) / (t_{j+1} − t_{j−1}).
[[nodiscard]] std::vector<double> entropy_rate(std::span<const double> times,
                                               std::span<const double> entropy);

}  // namespace nnworld::trainable
