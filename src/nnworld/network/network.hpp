#pragma once
// The microscopic neural network of paper Section 2: the septuple (x, P_in, P_out, w, b, f, H).
//
// Conventions (spec §1a):
//   * w_ij is the weight of the directed edge j → i; row i of w holds the inputs of neuron i.
//   * The state map (1)–(2) is x(t+1) = f(w x(t) + b); a batch of states is the matrix whose
//     columns are states, mapped by one GEMM: X(t+1) = f(w X(t) + b 1ᵀ).
//   * Bulk loss (3): H = ½ rᵀr + Σ_i V(x_i), r = x − f(w x + b), V(x) = −m x²/2.
//   * Boundary loss (4): H_∂(x, b, w) = H(P_∂ x, P_∂ b, P_∂ᵀ w P_∂), P_∂ = P_in + P_out the
//     N×N diagonal 0/1 projector onto the boundary neurons.
//   * Ĵ = f̂′ ŵ (f̂′ = diag f′(y), (9)), Ĝ = (I − Ĵ)ᵀ(I − Ĵ) (8),
//     ∇²_x H = Ĝ − Σ_i r_i f″(y_i) w_i·⊗w_i· − m I (spec §1a; = Ĝ − m I at a fixed point).
//
// Weights are stored in one of three layouts chosen once per network: dense (Eigen, row-major
// rows = neurons), sparse (CSR) or a permutation (w_{i, source[i]} = value[i], every other entry
// zero). Every kernel dispatches on the layout and the activation once, outside its loops.
// Kernels use omp_get_max_threads() threads on work split into chunks of a fixed size, so
// results are bit-identical for any thread count.
#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <cstdint>
#include <variant>
#include <vector>

#include "nnworld/network/activation.hpp"

namespace nnworld::network {

using Vector = Eigen::VectorXd;
using Matrix = Eigen::MatrixXd;  // column-major; a batch of states has one state per column
// A batch stored neuron-major: row i holds neuron i's values in every state of the batch.
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using DenseWeights = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using SparseWeights = Eigen::SparseMatrix<double, Eigen::RowMajor, std::int32_t>;  // CSR

// w_{i, source[i]} = value[i]; `source` is a permutation of 0..N−1.
struct PermutationWeights {
  std::vector<std::int32_t> source;
  Vector value;
  [[nodiscard]] std::int64_t size() const { return static_cast<std::int64_t>(source.size()); }
};

using Weights = std::variant<DenseWeights, SparseWeights, PermutationWeights>;

enum class LossKind { bulk, boundary };

struct Network {
  Weights w;
  Vector b;
  ActivationKind activation = ActivationKind::tanh;
  double mass = 0.0;                  // m in V(x) = −m x²/2
  std::vector<std::int32_t> inputs;   // indices of the input neurons (P_in)
  std::vector<std::int32_t> outputs;  // indices of the output neurons (P_out)

  [[nodiscard]] std::int64_t n() const { return b.size(); }
  // Diagonal of P_∂ = P_in + P_out as 0/1 values.
  [[nodiscard]] Vector boundary_mask() const;
  // Throws nnworld::Error if shapes, indices or values are inconsistent.
  void validate() const;
};

// Weight constructors.
DenseWeights to_dense(const Weights& w);
// Cyclic shift π_ij = 1 iff i − 1 ≡ j (mod N) (spec T2.1), times `scale`.
PermutationWeights cyclic_permutation(std::int64_t n, double scale = 1.0);
// The network with ŵ → qŵ (b, f, m, P_in, P_out kept): a one-parameter family of trainable
// variables, q = 1 the network itself.
Network scale_weights(const Network& net, double q);
// wᵀ v for any layout (the product behind Ĵᵀ r in the gradients).
Vector transpose_times(const Weights& w, const Vector& v);

// ---- State map, Eqs. (1)–(2) --------------------------------------------------------------
// y = w x + b.
Vector preactivation(const Network& net, const Vector& x);
// Y = w X + b 1ᵀ for a batch of states (columns).
Matrix preactivation_batch(const Network& net, const Matrix& x);
// x' = f(w x + b)   (1).
Vector state_map(const Network& net, const Vector& x);
void state_map(const Network& net, const Vector& x, Vector& out);  // out must not alias x
// X' = f(w X + b 1ᵀ) for a batch of states (columns).
Matrix state_map_batch(const Network& net, const Matrix& x);
void state_map_batch(const Network& net, const Matrix& x, Matrix& out);
// (1), X' = f(w X + b 1ᵀ), for a batch stored neuron-major (RowMatrix: row i = neuron i in every
// state), bit-identical to state_map_batch on the same states. With permutation weights a step
// gathers whole rows, out_i· = f(v_i x_{source_i}· + b_i): one random memory access per neuron
// instead of one per state. Dense and sparse weights go through the column layout.
void state_map_rows(const Network& net, const RowMatrix& x, RowMatrix& out);  // out ≠ x
// t applications of (1). If `clamped` is non-empty those neurons keep their values.
Vector iterate(const Network& net, Vector x, long steps,
               const std::vector<std::int32_t>& clamped = {});

// ---- Losses (3), (4) and their gradients --------------------------------------------------
// r = x − f(w x + b).
Vector residual(const Network& net, const Vector& x);
// Bulk loss (3): ½|r|² − (m/2)|x|².
double bulk_loss(const Network& net, const Vector& x);
// Boundary loss (4): H(P_∂ x, P_∂ b, P_∂ᵀ w P_∂).
double boundary_loss(const Network& net, const Vector& x);
double loss(const Network& net, const Vector& x, LossKind kind);

// ∂H/∂x, ∂H/∂b, ∂H/∂w at fixed x (for (3) or (4)):
//   ∂H/∂b_i = −r_i f′(y_i),  ∂H/∂w_ij = −r_i f′(y_i) x_j,
//   ∂H/∂x = r − Ĵᵀ r − m x.
// `dw` has the layout of net.w (only stored entries are trainable).
struct LossGradient {
  double loss = 0.0;
  Vector dx;
  Vector db;
  Weights dw;
};
LossGradient loss_gradient(const Network& net, const Vector& x, LossKind kind);

// ---- Linearisation (8), (9) and the exact Hessian -----------------------------------------
Matrix jacobian(const Network& net, const Vector& x);  // Ĵ = f̂′ ŵ, (9)
Matrix g_matrix(const Network& net, const Vector& x);  // Ĝ = (I − Ĵ)ᵀ(I − Ĵ), (8)
Matrix hessian(const Network& net, const Vector& x);   // ∇²_x H of (3), exact
double spectral_radius(const Matrix& a);               // max |eig a|

// ---- Fixed points x* = f(w x* + b) by Newton iteration on r(x) = x − f(w x + b) ----------
struct NewtonOptions {
  int starts = 8;          // number of starting points (x = 0 first, then random)
  double start_scale = 2;  // random starts uniform in [−scale, scale]^N
  int max_iterations = 100;
  double tolerance = 1e-13;  // on max_i |r_i|
  double merge_distance = 1e-8;
  std::uint64_t seed = 1;
};
struct FixedPoint {
  Vector x;
  double residual = 0.0;  // max_i |r_i|
  int iterations = 0;
  double loss = 0.0;             // bulk loss (3) at x
  double spectral_radius = 0.0;  // ρ(Ĵ) at x: < 1 ⇔ linearly stable under (1)
};
// Distinct converged fixed points, sorted by loss; empty if none converged.
std::vector<FixedPoint> fixed_points(const Network& net, const NewtonOptions& options = {});

}  // namespace nnworld::network
