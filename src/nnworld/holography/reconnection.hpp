#pragma once
// Reconnection of chains (paper Section 10, after (100)): two chains j → i and l → k cross at a
// bulk neuron of each and become j → k and l → i. The number of bulk neurons is conserved, and so
// is every boundary neuron's count of chains starting and ending there.
//
// The move, for chains a = (j → i, L_a) and b = (l → k, L_b) drawn uniformly among all pairs:
// cut a after p ∈ {0..L_a} of its bulk neurons and b after q ∈ {0..L_b}, uniformly; the new
// chains are j → k with p + (L_b − q) bulk neurons and l → i with q + (L_a − p). The result
// depends on s = p − q only. It is accepted with the Metropolis probability that makes the
// move symmetric,
//   A = min(1, [n'(s) / ((L'_1 + 1)(L'_2 + 1))] / [n(s) / ((L_a + 1)(L_b + 1))]),
// where n(s) counts the cuts (p, q) giving s forward and n'(s) those giving it back. The
// stationary law is then uniform over configurations (lengths and head assignment): the bulk
// entropy log Ω is maximal, and one chain's length has the closed-form marginal
//   P(L = k) = C(N − k + m − 2, m − 2) / C(N + m − 1, m − 1)
// for m chains with N bulk neurons in all (uniform compositions of N into m parts), with
// E L = N/m and Var L = N (m − 1)(m + N) / (m² (m + 1)).
#include <cstdint>
#include <vector>

#include "nnworld/core/rng.hpp"
#include "nnworld/holography/chains.hpp"

namespace nnworld::holography {

struct ReconnectionEvent {
  std::int64_t a = 0, b = 0;  // the two chains (a < b)
  std::int64_t p = 0, q = 0;  // cut points
  bool accepted = false;
};

// Crosses chains a and b (a ≠ b) after p of a's bulk neurons and q of b's: a = (j → i, L_a)
// becomes j → k with p + (L_b − q), and b = (l → k, L_b) becomes l → i with q + (L_a − p).
void cross(ChainNetwork& net, std::int64_t a, std::int64_t b, std::int64_t p, std::int64_t q);

// One proposed reconnection at event `step`, drawn from `rng` (counter (step, 0..1)).
// Networks with fewer than two chains are left as they are (accepted = false).
ReconnectionEvent reconnect(ChainNetwork& net, const core::RngStream& rng, std::uint64_t step);

// The number of cuts (p, q) with p ∈ [0, la], q ∈ [0, lb] and p − q = s.
std::int64_t cut_count(std::int64_t la, std::int64_t lb, std::int64_t s);

// Shannon entropy −Σ p_k log p_k of the histogram of chain lengths (bins of width 1).
double bulk_entropy(const ChainNetwork& net);

// Shannon entropy of the histogram of d(i, j) = log_ε ŵ^∂_ij − 1 (100) over the entries with
// ŵ^∂_ij > 0, in bins [(k − ½)·width, (k + ½)·width) (centred on the integers for width 1).
double boundary_entropy(const Eigen::MatrixXd& w_boundary, double epsilon, double bin_width);

// Shannon entropy of a histogram of counts (natural log; empty → 0).
double histogram_entropy(const std::vector<double>& counts);

// The equilibrium marginal P(L = k), k = 0..n_bulk, of one of m chains with n_bulk bulk neurons
// in all (see above; m ≥ 2).
std::vector<double> equilibrium_length_pmf(std::int64_t n_bulk, std::int64_t m);

// Var L at equilibrium: N (m − 1)(m + N) / (m² (m + 1)).
double equilibrium_length_variance(std::int64_t n_bulk, std::int64_t m);

}  // namespace nnworld::holography
