#pragma once
// Replicas of a parametrised network trained by stochastic gradient descent on a dataset: each
// replica r takes the step
//   q_r ← q_r − η_r ∇_q L_B(q_r),   L_B = (1/B_r) Σ_{k<B_r} H(x_{s_k}; b(q_r), ŵ(q_r)),
// rows s_k = RngStream(seed, minibatch, r).below(step, k, S) (with replacement), x_s the relaxed
// state of row s (ensemble.hpp: relaxed_state), H the bulk (3) or boundary (4) loss, and
//   ∂L_B/∂q_k = Σ_i (∂L_B/∂b_i) b_{k,i} + Σ_ij (∂L_B/∂w_ij) w_{k,ij}   (chain rule).
// The noise of q is the mini-batch noise. In the continuum with Δt the time of one step
// (spec §10, claim 2), the drift is −(η/Δt)∇⟨H⟩ = γ∇F with F = −⟨H⟩, γ = η/Δt, and the
// diffusion is D = η² Σ_g / (2BΔt) with Σ_g the per-sample gradient variance, so
//   D/γ = η Σ_g / (2B)   ("the SGD temperature"),   ħ′² = 4D/(γμ) − 1/μ².
//
// Adaptive learning (the follow-up paper's "the learning system adjusts its step size and
// mini-batch size"): D/γ = θ is held fixed by adapting, before every step, from a running
// estimate Σ̄ of the per-sample gradient variance,
//   step_size mode:  η_r = 2 B θ / Σ̄         (B fixed),
//   batch_size mode: B_r = round(η Σ̄ / (2θ))  (η fixed; D/γ = θ up to the rounding of B),
//   both:            B_r = round(η₀ Σ̄ / (2θ)), then η_r = 2 B_r θ / Σ̄ (η₀ = reference_step: the
//                    batch follows the noise and the step absorbs B's rounding and clamps),
// both clamped to the given ranges. The number of neurons is not adapted. Two scopes of Σ̄:
//   replica: each replica's own exponential average of its past mini-batch variances, Σ̄_r;
//   map:     one value per cell of a grid in q, Σ̄(c) ← (1 − α)Σ̄(c) + α·(mean of this step's
//            mini-batch variances of the replicas in cell c), shared by the replicas in c (a
//            replica in a cell without an estimate uses its own Σ̄_r). Then η and B are functions
//            of q alone, as the Kramers–Moyal test of D(q)/(γ(q)μ) presumes (kramers_moyal.hpp).
// Σ̄ starts from a probe mini-batch of the initial size, drawn from independent counters.
//
// Determinism: replica r uses only the streams keyed by (seed, r), the counter being the
// ensemble's step; replicas run independently (OpenMP over replicas, each serial), so results
// are bit-identical for any thread count.
#include <cstdint>
#include <span>
#include <vector>

#include "nnworld/network/learning.hpp"
#include "nnworld/trainable/ensemble.hpp"

namespace nnworld::trainable {

enum class Adaptation { none, step_size, batch_size, both };
enum class AdaptScope { replica, map };

struct AdaptiveOptions {
  Adaptation mode = Adaptation::none;
  double target = 0.01;    // θ = D/γ = η Σ_g / (2B) to hold (D/(γμ) = θ/μ)
  double smoothing = 0.1;  // α: Σ̄ ← (1 − α) Σ̄ + α Σ̂_batch after every step
  double min_step = 1e-6;  // η range (step_size mode)
  double max_step = 1.0;
  std::int64_t min_batch = 2;  // B range (batch_size mode)
  std::int64_t max_batch = 4096;
  double reference_step = 0.05;  // η₀ of mode both
  AdaptScope scope = AdaptScope::replica;
  core::Grid map_grid{};  // cells of the shared estimate (scope map; K axes)
};

// The adaptive rule from an estimate Σ̄ (noise): step_size mode sets η = clamp(2Bθ/Σ̄),
// batch_size mode sets B = clamp(round(ηΣ̄/(2θ))); mode none changes nothing.
void apply_adaptation(const AdaptiveOptions& adapt, double noise, double& eta, std::int64_t& batch);

struct SgdEnsembleOptions {
  double step = 0.05;       // η (the initial η in step_size mode)
  std::int64_t batch = 16;  // B (the initial B in batch_size mode); ≥ 2
  int relax_steps = 10;     // state-map iterations per sample
  network::LossKind loss = network::LossKind::bulk;
  std::uint64_t seed = 1;
  double time_per_step = 1.0;  // Δt of one SGD step
  AdaptiveOptions adapt{};
};

struct SgdEnsemble {
  Ensemble ensemble;                // positions, step counter, time (+= Δt per step)
  std::vector<double> step_size;    // η_r used by the next step
  std::vector<std::int64_t> batch;  // B_r used by the next step
  std::vector<double> noise;        // Σ̄_r (NaN until the first step)
  std::vector<double> batch_loss;   // L_B of the last step, before its update
  std::vector<double> noise_map;    // Σ̄(c) per cell of adapt.map_grid (scope map; NaN: none)
};

// Every replica starts with η and B of the options.
[[nodiscard]] SgdEnsemble make_sgd_ensemble(Ensemble start, const SgdEnsembleOptions& options);

// Mini-batch loss, its q-gradient and the per-sample gradient variance at q:
//   L_B = (1/B) Σ_s H_s,  g = (1/B) Σ_s ∇_q H_s,  Σ̂ = (1/K) Σ_a (1/(B−1)) Σ_s (∂_a H_s − g_a)².
struct BatchGradient {
  double loss = 0.0;
  Point gradient{};
  double variance = 0.0;  // Σ̂ per coordinate (0 for B = 1)
};
[[nodiscard]] BatchGradient minibatch_gradient(const ParametrisedNetwork& pnet, const Point& q,
                                               const network::Dataset& data,
                                               std::span<const Eigen::Index> rows, int relax_steps,
                                               network::LossKind loss = network::LossKind::bulk);

struct SgdStepSummary {
  double mean_batch_loss = 0.0;   // mean over replicas of L_B (before the update)
  double mean_step = 0.0;         // mean η_r used
  double mean_batch = 0.0;        // mean B_r used
  double mean_temperature = 0.0;  // mean over replicas of η_r Σ̂_r / (2 B_r) (this batch's Σ̂)
};

// One SGD step of every replica (in an adaptive mode η_r or B_r are set first). If `grid` is
// given, the replicas are confined to its domain afterwards (wrap or reflect, as em_step).
// Throws nnworld::Divergence if a coordinate or loss becomes non-finite.
SgdStepSummary sgd_step(SgdEnsemble& sgd, const ParametrisedNetwork& pnet,
                        const network::Dataset& data, const SgdEnsembleOptions& options,
                        const core::Grid* grid = nullptr);

// The mean SGD direction on the grid: value = −⟨H⟩ (as field_from_dataset_loss) and gradient =
// −⟨∂H/∂q⟩ over the whole dataset, taken at the relaxed states x_s(q) like the SGD step. The
// step's expected update is then exactly η × gradient, i.e. the drift γ∇F of (19) with
// γ = η/Δt. With relax_steps = 0 (no state depends on q) this gradient is ∇(−⟨H⟩); otherwise it
// omits the dependence of x_s on q ("x fast, q slow") and is not a gradient in general.
// OpenMP over grid points.
[[nodiscard]] FreeEnergyField sgd_drift_field(const ParametrisedNetwork& pnet,
                                              const network::Dataset& data, int relax_steps,
                                              const core::Grid& grid,
                                              network::LossKind loss = network::LossKind::bulk);

// ⟨H⟩ over the whole dataset for every replica (OpenMP over replicas).
[[nodiscard]] std::vector<double> replica_losses(const Ensemble& ensemble,
                                                 const ParametrisedNetwork& pnet,
                                                 const network::Dataset& data, int relax_steps,
                                                 network::LossKind loss = network::LossKind::bulk);

}  // namespace nnworld::trainable
