#pragma once
// Ensembles of learning networks (paper Sections 4–5, follow-up claims 1–2; spec §10 and
// shared/physics/bridges.md): M replicas of one real network — the state map (1), the loss (3)
// or (4), mini-batch SGD — each replica with its own trainable variables θ = (b, ŵ), measured in
// a K-dimensional subspace
//   θ(q) = θ₀ + Σ_k q_k d_k,   d_k orthonormal in R^{N + N²} (b first, then ŵ row-major),
//   q_k = d_k·(θ − θ₀).
// Two modes (`train_all`): frozen — only q is trained, θ = θ(q) at every step (SGD on q with the
// chain rule ∂L/∂q_k = d_k·∇_θL); trained — every entry of θ is trained and q is the projection
// of θ − θ₀ onto the directions (the remaining parameters move too).
//
// One SGD step of replica r (the step counter s of the ensemble):
//   rows j_k = RngStream(seed, minibatch, r).below(s, k, S), k < B_r (with replacement);
//   x_k = the relaxed state of row j_k: x = 0, the inputs set to the row and held, relax_steps
//         applications of (1) on the active neurons, then the outputs set to the row's targets;
//   g = (1/B_r) Σ_k ∇_θ H(x_k; θ), H the bulk loss (3) (or (4)): ∂H/∂b_i = −r_i f′(y_i),
//       ∂H/∂w_ij = −r_i f′(y_i) x_j, r = x − f(y), y = ŵx + b;
//   frozen: q ← q − η_r D ᵀg, θ ← θ(q);  trained: θ ← θ − η_r g, q ← Dᵀ(θ − θ₀).
// Adaptive learning (ensemble_sgd.hpp, `AdaptiveOptions`): η_r or B_r set before the step from the
// replica's running estimate Σ̄_r of the per-sample variance of the q-gradient (step_size,
// batch_size), so that η Σ̄ / (2B) — D/γ of the step — stays at the target θ.
//
// Grand-canonical neurons (the number of neurons adapted, follow-up claim 2): the hidden neurons
// (neither input nor output) of replica r are active or not (a mask). Every `every` steps each
// replica proposes to switch one hidden neuron, drawn uniformly, on or off: an inactive neuron
// has state 0 and no weights or bias; a neuron switched on takes the weights and bias the family
// gives it, θ(q_r) restricted to its row, its column and b_i (frozen: the replica's θ(q_r);
// trained: θ₀ + D q_r) — the rule for a new neuron's weights. The proposal is accepted with the
// reservoir's Metropolis probability min(1, exp(−β(ΔF − μ_N ΔN))), ΔF the change of the free
// energy F(θ) of the replica's hidden variables (FreeEnergyOptions below) and μ_N the reservoir's
// chemical potential; in the Laplace form each hidden neuron adds (2β)⁻¹ log(β/2π) — the
// −(2β)⁻¹ log 2π of eq. (45) and the (2β)⁻¹ log β of the measure — plus its share of
// (2β)⁻¹ log det ∇²_hh H. Streams: RngStream(seed, exchange, r) at counter (s, ·).
//
// Determinism: replica r uses only streams keyed by (seed, r) with the ensemble's step as the
// counter, and replicas run independently (OpenMP over replicas, each serial), so the ensemble
// is bit-identical for any thread count.
#include <cstdint>
#include <span>
#include <vector>

#include "nnworld/core/grid.hpp"
#include "nnworld/network/learning.hpp"
#include "nnworld/network/network.hpp"
#include "nnworld/thermo/clamped.hpp"
#include "nnworld/trainable/ensemble.hpp"
#include "nnworld/trainable/ensemble_sgd.hpp"

namespace nnworld::trainable {

// θ₀ and K orthonormal directions (dense weights).
struct Subspace {
  network::Network base;                  // θ₀ (dense ŵ), f, m, inputs, outputs
  std::vector<std::vector<double>> axes;  // d_k, each of length N + N², orthonormal

  [[nodiscard]] int dims() const { return static_cast<int>(axes.size()); }
  [[nodiscard]] std::int64_t n() const { return base.n(); }
  [[nodiscard]] std::int64_t parameters() const { return n() + n() * n(); }
  // θ₀ + Σ_k q_k d_k (q.size() ≥ K).
  [[nodiscard]] std::vector<double> theta_at(std::span<const double> q) const;
  // The network of parameter vector θ with only the `active` neurons (all when empty).
  [[nodiscard]] network::Network network_of(std::span<const double> theta,
                                            std::span<const std::uint8_t> active = {}) const;
  // The mask (1 = active) with every input and output neuron and the first `active_hidden`
  // hidden neurons (in index order) active; all neurons when active_hidden < 0.
  [[nodiscard]] std::vector<std::uint8_t> first_hidden_mask(std::int64_t active_hidden) const;
};

// The subspace of a parametrised network (ensemble.hpp) with its directions orthonormalised
// (Gram–Schmidt in the order given): q then measures θ − θ₀ along orthonormal axes. The base
// must have dense weights. Throws nnworld::Error for linearly dependent directions.
[[nodiscard]] Subspace orthonormal_subspace(const ParametrisedNetwork& pnet);
// The subspace of explicit directions (each of length N + N²), orthonormalised.
[[nodiscard]] Subspace orthonormal_subspace(network::Network base,
                                            std::vector<std::vector<double>> directions);

// The free energy of a replica's hidden variables (thermo/clamped.hpp): the boundary (the inputs,
// and the outputs where the data have targets) clamped to each of `rows` of the dataset, F_∂ by
// Laplace (or sampled), averaged over the rows:
//   F(θ) = (1/|rows|) Σ_rows F_∂(θ; row).
struct FreeEnergyOptions {
  double beta = 5.0;
  std::vector<Eigen::Index> rows{0};
  thermo::ClampedOptions clamped{};
};
// F(θ) of one network (NaN when a row has no minimum).
[[nodiscard]] double data_free_energy(const network::Network& net, const network::Dataset& data,
                                      const FreeEnergyOptions& options);

struct NeuronExchange {
  bool enabled = false;
  std::int64_t every = 10;          // steps between proposals
  double chemical_potential = 0.0;  // μ_N of the reservoir
  std::int64_t min_active = 1;      // hidden neurons kept at least
  FreeEnergyOptions free_energy{};  // the F of the acceptance, and its β
};

struct NetworkEnsembleOptions {
  double step = 0.05;      // η (the initial η in step_size mode)
  std::int64_t batch = 8;  // B (the initial B in batch_size mode); ≥ 2
  int relax_steps = 5;     // state-map iterations per sample
  network::LossKind loss = network::LossKind::bulk;
  bool train_all = false;  // false: frozen (only q); true: every parameter, q the projection
  std::uint64_t seed = 1;
  AdaptiveOptions adapt{};  // scope replica only
  NeuronExchange neurons{};
};

class NetworkEnsemble {
 public:
  // Every replica starts at θ(q_r) with q_r from `start` (its dims must be K), all hidden
  // neurons active (or the first `initial_hidden` of them when ≥ 0), η and B of the options.
  NetworkEnsemble(Subspace subspace, const Ensemble& start, NetworkEnsembleOptions options,
                  std::int64_t initial_hidden = -1);

  // One SGD step of every replica (and, every `neurons.every` steps, one exchange proposal).
  // Throws nnworld::Divergence naming the replica and the step if a loss or a parameter becomes
  // non-finite.
  void step(const network::Dataset& data);

  [[nodiscard]] const Subspace& subspace() const { return sub_; }
  [[nodiscard]] const NetworkEnsembleOptions& options() const { return opt_; }
  [[nodiscard]] std::int64_t replicas() const { return m_; }
  [[nodiscard]] int dims() const { return k_; }
  [[nodiscard]] std::int64_t steps_done() const { return step_; }
  // q of every replica as an Ensemble (time = steps done).
  [[nodiscard]] Ensemble positions() const;
  [[nodiscard]] std::span<const double> theta(std::int64_t r) const;
  [[nodiscard]] std::span<const std::uint8_t> active(std::int64_t r) const;
  [[nodiscard]] std::int64_t active_hidden(std::int64_t r) const;
  [[nodiscard]] const std::vector<double>& step_size() const { return eta_; }
  [[nodiscard]] const std::vector<std::int64_t>& batch() const { return batch_; }
  [[nodiscard]] const std::vector<double>& noise() const { return noise_; }
  [[nodiscard]] const std::vector<double>& batch_loss() const { return loss_; }
  // Exchange proposals accepted so far (adding, removing).
  [[nodiscard]] std::int64_t neurons_added() const { return added_; }
  [[nodiscard]] std::int64_t neurons_removed() const { return removed_; }
  // The network of replica r (its active neurons).
  [[nodiscard]] network::Network network(std::int64_t r) const;
  // Bytes held by the replicas' state (parameters, q, masks, per-replica scalars).
  [[nodiscard]] std::size_t state_bytes() const;

 private:
  void exchange(std::int64_t r, std::uint64_t step, const network::Dataset& data);
  void sync_q(std::int64_t r);
  Subspace sub_;
  NetworkEnsembleOptions opt_;
  std::int64_t m_ = 0, n_ = 0, p_ = 0;
  int k_ = 1;
  std::int64_t step_ = 0;
  std::vector<double> theta_;         // M × P
  std::vector<double> q_;             // M × K
  std::vector<std::int32_t> tag_;     // the start's tags (two packets), empty for none
  std::vector<std::uint8_t> active_;  // M × N
  std::vector<std::uint8_t> hidden_;  // N: 1 for a hidden neuron
  std::vector<double> eta_, noise_, loss_;
  std::vector<std::int64_t> batch_;
  std::int64_t added_ = 0, removed_ = 0;
};

// F(θ_r) of replicas r < count (OpenMP over replicas, each serial: bit-identical for any thread
// count).
[[nodiscard]] std::vector<double> replica_free_energies(const NetworkEnsemble& ensemble,
                                                        const network::Dataset& data,
                                                        const FreeEnergyOptions& options,
                                                        std::int64_t count);

// The pipeline oracle (bridges.md §1): q = b_o of a linear output neuron o under the boundary
// loss (4), every other parameter frozen, performs the AR(1) q ← (1 − η)q + η z̄_B exactly, with
// z_s = y_o,s − b_o − Σ_j w_oj x_j,s the residual of row s at q = 0 (every boundary neuron
// clamped to the row). Its law at step t from N(q₀, w₀²) is Gaussian:
//   mean μ_z + (1 − η)^t (q₀ − μ_z),
//   variance (1 − η)^{2t} w₀² + ησ_z²(1 − (1 − η)^{2t})/(B(2 − η)),
// the Ornstein–Uhlenbeck solution of (20) at whole steps (γ_eff = −ln(1 − η)); the one-step
// Kramers–Moyal coefficients are γ = η (F = −½(q − μ_z)², (19)) and D = η²σ_z²/(2B).
struct OutputBiasWalk {
  double mu_z = 0.0;
  double sigma_z_squared = 0.0;  // population variance of z over the rows
  double eta = 0.0;
  double batch = 1.0;

  // z over the rows of `data` for the (linear, one-output) network of `subspace`.
  [[nodiscard]] static OutputBiasWalk of(const Subspace& subspace, const network::Dataset& data,
                                         double eta, std::int64_t batch);
  [[nodiscard]] double mean(double t, double q0) const;
  [[nodiscard]] double variance(double t, double w0) const;
  [[nodiscard]] double diffusion() const { return eta * eta * sigma_z_squared / (2.0 * batch); }
  // The law's probability per unit length in each cell of the 1-D `grid` (exact cell integrals
  // divided by the spacing), at step t.
  [[nodiscard]] std::vector<double> cell_density(const core::Grid& grid, double t, double q0,
                                                 double w0) const;
};

}  // namespace nnworld::trainable
