#pragma once
// How close a weight matrix is to a permutation: the "low complexity" end point of learning that
// paper Sections 1, 8 and 11 attribute to the second law of learning ("the neural network must
// have evolved to a network with a very low complexity, such as a network whose weight matrix is
// a permutation matrix", before Eq. (59)). The paper gives no formula for that complexity; the
// measures here are our operational definitions, each stated with its formula, next to the
// complexity C of spec §2 (Eq. (12) in the Laplace form) at the fixed points of the network.
//
// Convention: a permutation σ of the rows is stored as hidden::Permutation with
// source[i] = σ(i), i.e. π_{iσ(i)} = 1 and (πx)_i = x_{σ(i)} (the convention of permutation.hpp),
// so hidden::cycles / cycle_lengths apply to it unchanged.
#include <cstdint>
#include <vector>

#include "nnworld/hidden/permutation.hpp"
#include "nnworld/network/network.hpp"

namespace nnworld::hidden {

using network::Matrix;

// ---- Linear assignment --------------------------------------------------------------------
struct Assignment {
  Permutation sigma;   // source[i] = σ(i): the column given to row i
  double value = 0.0;  // Σ_i c_{iσ(i)}, summed in row order i = 0, 1, …
};

// max_σ Σ_i c_{iσ(i)} over all permutations σ of a dense N×N matrix: the Hungarian method with
// row/column potentials and shortest augmenting paths (Kuhn–Munkres in the O(N³) form of
// Jonker–Volgenant / Edmonds–Karp), run on the costs −c. Deterministic: among several optimal σ
// the one its fixed scan order finds (each step takes the first column of least reduced cost).
// Throws nnworld::Error if c is not square or holds a non-finite value. N = 0 gives σ = ().
Assignment max_weight_assignment(const Matrix& c);

// ---- Distance to the permutation matrices -------------------------------------------------
struct PermutationMeasures {
  std::int64_t n = 0;
  // ‖w‖²_F = Σ_i Σ_j w²_ij (row sums added in row order).
  double frobenius_squared = 0.0;
  // σ maximising Σ_i w²_{iσ(i)}: the generalised permutation (signed, scaled) closest to w in
  // Frobenius norm, ‖w − D π_σ‖²_F = ‖w‖²_F − Σ_i w²_{iσ(i)} with D = diag(w_{iσ(i)}).
  Permutation nearest;
  double captured = 0.0;  // Σ_i w²_{iσ(i)}
  // permutation_distance = 1 − Σ_i w²_{iσ(i)} / ‖w‖²_F ∈ [0, 1 − 1/N]: 0 iff w is a generalised
  // permutation matrix, 1 − 1/N for a matrix with all |w_ij| equal. NaN for w = 0.
  double permutation_distance = 0.0;
  // σ₀ maximising Σ_i w_{iσ₀(i)} (signs count) and ‖w − π_σ₀‖_F / √N with the plain 0/1 π_σ₀:
  // 0 iff w is a permutation matrix.
  Permutation nearest_plain;
  double plain_distance = 0.0;
  // Row entropies H_i / log N, H_i = −Σ_j p_ij log p_ij, p_ij = |w_ij| / Σ_j |w_ij| (0 log 0 = 0):
  // 0 for a row with one non-zero entry, 1 for a row with all |w_ij| equal. NaN for a zero row;
  // 0 for N = 1.
  std::vector<double> row_entropy;
  double mean_row_entropy = 0.0;  // mean over the non-zero rows (NaN if there are none)
  // Cycles of the nearest permutation σ (hidden::cycle_lengths(nearest)), largest first.
  std::vector<std::int64_t> cycle_lengths;
  std::int64_t cycles = 0;         // number of cycles (fixed points included)
  std::int64_t largest_cycle = 0;  // length of the longest cycle
  std::int64_t fixed_points = 0;   // σ(i) = i: cycles of length 1 (N for a near-diagonal w)
  // Σ_i w²_ii / ‖w‖²_F ∈ [0, 1]: the weight on the diagonal (1 for a diagonal w, 1/N for a matrix
  // with all |w_ij| equal). Separates "close to the identity" from "close to another permutation".
  double diagonal_fraction = 0.0;
};

// All of the above for a dense N×N matrix (N ≥ 1). Throws nnworld::Error if w is not square,
// empty or holds a non-finite value.
PermutationMeasures permutation_measures(const Matrix& w);

// Normalised row entropy of one row (the definition above); NaN for a zero row.
double row_entropy(const Eigen::Ref<const Eigen::RowVectorXd>& row);

// ---- Complexity C of spec §2 at the fixed points ------------------------------------------
struct FixedPointComplexity {
  network::Vector x;             // fixed point x* = f(ŵx* + b)
  double complexity = 0.0;       // C (see below); +∞ at a zero mode
  double spectral_radius = 0.0;  // ρ(Ĵ) at x*
};

// Spec §2 (Laplace form of (12)): C = −½ log det(Ĝ(x*) − mI), Ĝ = (I − Ĵ)ᵀ(I − Ĵ), Ĵ = f̂′ŵ (8),
// (9). For m = 0 this is C = −log|det(I − f̂′ŵ)|, computed from the LU factors of I − Ĵ
// (Σ_i log|U_ii|); for m ≠ 0 from the eigenvalues of the symmetric Ĝ − mI (+∞ is never returned
// there: a non-positive eigenvalue gives NaN, no Gaussian). Evaluated at every fixed point
// network::fixed_points(net, newton) finds, in its order (lowest loss first). C = +∞ where
// I − Ĵ is singular (e.g. a permutation ŵ with linear f: spec §2b).
std::vector<FixedPointComplexity> fixed_point_complexity(const network::Network& net,
                                                         const network::NewtonOptions& newton = {});

}  // namespace nnworld::hidden
