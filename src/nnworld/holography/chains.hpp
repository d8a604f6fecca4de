#pragma once
// Holography (paper Section 10): a sparse, deep bulk network made of chains of neurons between
// boundary neurons, and the dense boundary weight matrix that encodes it.
//
//   ChainNetwork net{4, {{0, 1, 3}, {2, 3, 7}}};        // 0 → 1 through 3 bulk neurons, …
//   auto w = weight_matrix(net);                        // sparse N×N, w(i, j) = 1 for j → i
//   BoundaryMap m = boundary_map(w, net.n_boundary, 0.1);  // ŵ_∂(ε) of (99)
//   Eigen::MatrixXd d = chain_distance(m.w_boundary, 0.1); // (100): d(1,0) = 3
//
// Neuron numbering: boundary neurons are 0..n_boundary−1; the bulk neurons of chain c follow,
// in chain order, in the order the chains are listed. The convention of Section 2 (x ← f(ŵx + b))
// makes w(i, j) ≠ 0 an edge j → i.
#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <cstdint>
#include <string>
#include <vector>

namespace nnworld::holography {

// A chain from boundary neuron `from` to boundary neuron `to` through `bulk` ≥ 0 bulk neurons:
// bulk + 1 edges of weight 1. from == to closes the chain into a loop on one boundary neuron.
struct Chain {
  std::int64_t from = 0;
  std::int64_t to = 0;
  std::int64_t bulk = 0;
};

struct ChainNetwork {
  std::int64_t n_boundary = 0;
  std::vector<Chain> chains;

  [[nodiscard]] std::int64_t n_bulk() const;
  [[nodiscard]] std::int64_t n() const { return n_boundary + n_bulk(); }
  // Throws nnworld::Error naming the chain: an endpoint off the boundary, a negative length.
  void validate() const;
};

// ŵ: N×N, column-compressed; w(i, j) = 1 for every edge j → i of every chain (parallel edges
// add up).
Eigen::SparseMatrix<double> weight_matrix(const ChainNetwork& net);

// Projections of Section 2 onto the boundary: P̂_∂ (n_boundary × N, rows = boundary neurons),
// P̂_in (boundary neurons where a chain starts: signals enter the bulk) and P̂_out (where a chain
// ends). Rows in increasing neuron order.
struct Projections {
  Eigen::SparseMatrix<double> boundary;
  Eigen::SparseMatrix<double> in;
  Eigen::SparseMatrix<double> out;
};
Projections projections(const ChainNetwork& net);

// The boundary map (99) and what it is built from.
struct BoundaryMap {
  double epsilon = 0.0;
  // ŵ_∂(ε) = P̂_∂ εŵ (I − εŵ)⁻¹ P̂_∂ᵀ (99, with the inverse; spec §0 #11).
  Eigen::MatrixXd w_boundary;
  // C(ε): the sum over paths from boundary neuron j to i whose interior is bulk only, of the
  // product of εw along the path (for chains: C_ij = Σ_{chains j→i} ε^{bulk+1}). (99) is
  // ŵ_∂ = C (I − C)⁻¹ = C + C² + …: a path through boundary neurons is a sequence of such
  // segments.
  Eigen::MatrixXd transfer;
  // Collatz–Wielandt bound ρ(εŵ) ≤ ρ_bound < 1 from x = (I − C)⁻¹ 1 > 0:
  // ρ(C) ≤ max_i (Cx)_i / x_i = 1 − 1 / max_i x_i.
  double rho_bound = 0.0;
  // Sweeps of the bulk iteration (the longest bulk segment, for chains).
  std::int64_t bulk_sweeps = 0;
};

// (99) at scale, for ŵ ≥ 0 (sparse; the first n_boundary neurons are the boundary).
// Schur complement onto the boundary: C = εŵ_∂∂ + εŵ_∂b (I − εŵ_bb)⁻¹ εŵ_b∂, with the bulk
// block solved column by column by the Neumann (Jacobi) iteration z ← εŵ_∂b-free sweeps
// z_{k+1} = εŵ_bb z_k on sparse fronts: exact, and O(bulk neurons reached), when the bulk has no
// cycle (chains); geometric at rate ερ(ŵ_bb) otherwise, stopped at a relative 1e-17. Then
// ŵ_∂ = C (I − C)⁻¹ by dense LU. Columns run on OpenMP threads, each serial: the result is
// bit-identical for any thread count.
// ε ≥ 1/ρ(ŵ) (the series (99) diverges) throws nnworld::Error; so do ε ≤ 0 and a negative
// weight (the test ρ(εŵ) < 1 ⇔ x = (I − C)⁻¹ 1 > 0 holds for ŵ ≥ 0).
BoundaryMap boundary_map(const Eigen::SparseMatrix<double>& w, std::int64_t n_boundary,
                         double epsilon);

// (99) literally, for small N: P̂_∂ εŵ (I − εŵ)⁻¹ P̂_∂ᵀ by a dense LU of I − εŵ. A reference
// for boundary_map.
Eigen::MatrixXd boundary_map_dense(const Eigen::MatrixXd& w, std::int64_t n_boundary,
                                   double epsilon);

// (99) as printed in the extracted text, without the inverse: P̂_∂ εŵ (I − εŵ) P̂_∂ᵀ. Labelled
// "printed": its boundary block is zero for every chain of more than one edge (spec §9b).
Eigen::MatrixXd boundary_map_printed(const Eigen::MatrixXd& w, std::int64_t n_boundary,
                                     double epsilon);

// (100) d(i, j) = log_ε ŵ^∂_ij − 1; +∞ where ŵ^∂_ij = 0 (no path from j to i).
Eigen::MatrixXd chain_distance(const Eigen::MatrixXd& w_boundary, double epsilon);

// The direct transfer recovered from boundary data alone: C = ŵ_∂ (I + ŵ_∂)⁻¹, the inverse of
// ŵ_∂ = C (I − C)⁻¹. It removes composite paths and the cycle correction of spec T10.2
// (d = L + log_ε 1/(1 − ε^Λ) on a cycle of Λ edges); log_ε C_ij − 1 is then the bulk length of
// the chain j → i.
Eigen::MatrixXd direct_transfer(const Eigen::MatrixXd& w_boundary);

// The transfer C(ε) of a chain network in closed form, Σ_{chains j→i} ε^{bulk+1}: the
// reference for boundary_map().transfer, and the fast path of the reconnection dynamics.
Eigen::MatrixXd chain_transfer(const ChainNetwork& net, double epsilon);

// ŵ_∂ = C (I − C)⁻¹ for a given transfer C ≥ 0, with the ρ(C) < 1 test of boundary_map.
// Returns false (and leaves the outputs unspecified) when ρ(C) ≥ 1.
bool boundary_from_transfer(const Eigen::MatrixXd& transfer, Eigen::MatrixXd& w_boundary,
                            double& rho_bound);

// ρ(ŵ) of a chain network: 0 when no cycle passes through the boundary graph, otherwise 1/ε*
// with ρ(C(ε*)) = 1, found by bisection on ε (ρ(C(ε)) increases with ε), to a relative 1e-12.
double spectral_radius(const ChainNetwork& net);

}  // namespace nnworld::holography
