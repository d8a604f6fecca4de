#pragma once
// The microscopic ensemble of learning networks in the space of their parameters q (paper
// Sections 4–5, spec §3, §4, §10): M replicas of a network whose trainable variables depend on
// K = 1..3 parameters,
//   b(q) = b₀ + Σ_k q_k b_k,   ŵ(q) = ŵ₀ + Σ_k q_k ŵ_k,
// moved either by the Langevin dynamics whose density obeys (20),
//   dq = γ ∇F(q) dt + √(2D) dW          (Euler–Maruyama, time step dt),
// or by stochastic gradient descent of the networks themselves on a dataset,
//   q ← q − η ∇_q L_B(q)                 (the noise is the mini-batch noise),
// with F(q) tabulated on a core::Grid (from the Laplace free energy of the network at q, from a
// formula, or from minus the dataset loss).
//
//   auto field = trainable::field_from_expression(grid, core::Expression("-q1^2", {"q1"}));
//   auto ens = trainable::gaussian_ensemble(1, 100000, {0.0}, {0.2236}, seed);
//   trainable::LangevinParameters lp{.diffusion = 0.3, .gamma = 0.7, .dt = 5e-3, .seed = 1};
//   for (int s = 0; s < 200; ++s) trainable::em_step(ens, field, lp);
//   auto p = trainable::histogram_density(grid, ens);           (ensemble_measure.hpp)
//
// Replica domain (the grid's cells): axis a of a grid covers the cells [q_i − h/2, q_i + h/2)
// of its points q_i = −L + i h, i.e. [lo_a, hi_a) = [−L_a − h_a/2, L_a − h_a/2), of length 2L_a.
// Periodic grids wrap the replicas into this interval (period 2L_a). Box grids reflect them at
// the walls lo_a and hi_a (zero-flux walls: the boundary condition of (20) on a cell-centred
// finite-volume grid).
//
// Determinism: the noise of replica r at step s is a pure function of (seed, r, s) (Philox
// streams core::RngStream(seed, StreamTag::langevin, r), counter s); replicas are updated
// independently (OpenMP over replicas, MPI ranks over blocks of replicas: advance_langevin), so
// results are bit-identical for any thread or rank count.
#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "nnworld/core/expression.hpp"
#include "nnworld/core/grid.hpp"
#include "nnworld/network/learning.hpp"
#include "nnworld/network/network.hpp"
#include "nnworld/thermo/partition.hpp"

namespace nnworld::trainable {

using core::Point;

// ---- Parametrised network ------------------------------------------------------------------
// b(q) = b₀ + Σ_k q_k b_k and ŵ(q) = ŵ₀ + Σ_k q_k ŵ_k, k = 1..K (K = directions.size()).
// A direction's weights either have the layout of base.w (dense; sparse, whose pattern is then
// added to the base's; permutation with the same `source`) or the network at q is dense.
struct ParametrisedNetwork {
  network::Network base;                            // ŵ₀, b₀, f, m, inputs, outputs
  std::vector<network::Weights> weight_directions;  // ŵ_k
  std::vector<network::Vector> bias_directions;     // b_k

  [[nodiscard]] int dims() const { return static_cast<int>(bias_directions.size()); }
  // Throws nnworld::Error unless 1 ≤ K ≤ 3 and every direction has the shape of the base.
  void validate() const;
  // The network at q (q.size() ≥ K; entries beyond K are ignored).
  [[nodiscard]] network::Network at(std::span<const double> q) const;
  [[nodiscard]] network::Network at(const Point& q) const {
    return at(std::span<const double>(q.data(), 3));
  }
};

// K random directions in the stored pattern of base.w (dense: every entry; sparse: the stored
// entries; permutation: the values) and of b, each entry `scale` × N(0, 1) from
// RngStream(seed, StreamTag::init, 1000 + k).
[[nodiscard]] ParametrisedNetwork random_directions(const network::Network& base, int dims,
                                                    double weight_scale, double bias_scale,
                                                    std::uint64_t seed);

// ---- F(q) on a grid ------------------------------------------------------------------------
enum class Interpolation { linear, cubic };  // cubic: 4-point Lagrange per axis (tensor product)
enum class GradientMethod {
  automatic,  // spectral on a periodic grid, fd4 on a box grid
  spectral,   // FFT (periodic grids only; F must be smooth and periodic)
  fd4         // 4th-order central differences; one-sided 4th order at box edges (n ≥ 5)
};

struct FreeEnergyField {
  core::Grid grid;
  std::vector<double> value;                    // F at the grid points (row-major like the grid)
  std::array<std::vector<double>, 3> gradient;  // gradient[a][i] = ∂F/∂q_a at point i (a < K)

  // F and ∇F at an arbitrary q (periodic grids wrap; box grids extrapolate the edge
  // polynomial, which matters only within h/2 of the outermost points).
  [[nodiscard]] double value_at(const Point& q, Interpolation kind = Interpolation::cubic) const;
  [[nodiscard]] Point gradient_at(const Point& q, Interpolation kind = Interpolation::cubic) const;
};

// ∂f/∂q_axis on the grid by `method`.
[[nodiscard]] std::vector<double> grid_derivative(
    const core::Grid& grid, std::span<const double> f, int axis,
    GradientMethod method = GradientMethod::automatic);
// A field from tabulated values (the gradient is computed by `method`).
[[nodiscard]] FreeEnergyField make_field(const core::Grid& grid, std::vector<double> values,
                                         GradientMethod method = GradientMethod::automatic);
// F(q) = expression(q1, …, qK): the expression's variables are the K coordinates, in order.
[[nodiscard]] FreeEnergyField field_from_expression(
    const core::Grid& grid, const core::Expression& expression,
    GradientMethod method = GradientMethod::automatic);
// F(q) = thermo::laplace(pnet.at(q), β).free_energy at every grid point: the Laplace free
// energy (6) of the hidden variables at inverse temperature β (spec §0 item 1). Throws
// nnworld::Error naming the point if the Gaussian integral does not exist there (zero mode).
// OpenMP over grid points (each point's computation is serial: bit-identical for any threads).
[[nodiscard]] FreeEnergyField field_from_laplace(const ParametrisedNetwork& pnet, double beta,
                                                 const core::Grid& grid,
                                                 const thermo::GaussianOptions& options = {},
                                                 GradientMethod method = GradientMethod::automatic);

// Relaxed state of one dataset row, as network::train_sgd takes it ("x fast, q slow"): x = 0,
// inputs clamped to the row, `relax_steps` applications of the state map (1) with the inputs
// held, then the outputs set to the row's targets when the dataset has them.
[[nodiscard]] network::Vector relaxed_state(const network::Network& net,
                                            const network::Dataset& data, Eigen::Index row,
                                            int relax_steps);
// ⟨H⟩ over the whole dataset for the network at q (the same relaxation).
[[nodiscard]] double dataset_loss_at(const ParametrisedNetwork& pnet, const Point& q,
                                     const network::Dataset& data, int relax_steps,
                                     network::LossKind loss = network::LossKind::bulk);
// F(q) = −⟨H⟩(q) on the grid: with this F the mean SGD update −η∇⟨H⟩ is the drift γ∇F of (19)
// with γ = η / (time per step) > 0.
[[nodiscard]] FreeEnergyField field_from_dataset_loss(
    const ParametrisedNetwork& pnet, const network::Dataset& data, int relax_steps,
    const core::Grid& grid, network::LossKind loss = network::LossKind::bulk,
    GradientMethod method = GradientMethod::automatic);

// ---- Replicas ------------------------------------------------------------------------------
struct Ensemble {
  int dims = 1;                   // K
  std::int64_t replicas = 0;      // M
  std::vector<double> q;          // q[r·K + a]: coordinate a of replica r
  std::int64_t step = 0;          // steps taken (the counter of the noise streams)
  double time = 0.0;              // t
  std::vector<std::int32_t> tag;  // optional label per replica (two_packet_ensemble: 0 or 1)

  [[nodiscard]] Point position(std::int64_t r) const;
};

// M replicas, coordinate a ~ N(mean[a], sd[a]²) independently, from
// RngStream(seed, StreamTag::start, r) (pure function of (seed, r)).
[[nodiscard]] Ensemble gaussian_ensemble(int dims, std::int64_t replicas, const Point& mean,
                                         const Point& sd, std::uint64_t seed);
// Replicas r < M/2 from N(centre1, sd²), the others from N(centre2, sd²); tag[r] = 0 or 1.
[[nodiscard]] Ensemble two_packet_ensemble(int dims, std::int64_t replicas, const Point& centre1,
                                           const Point& centre2, const Point& sd,
                                           std::uint64_t seed);

// [lo_a, hi_a) of the replica domain of axis a (see the header comment).
struct Domain {
  std::array<double, 3> lo{}, hi{};
};
[[nodiscard]] Domain replica_domain(const core::Grid& grid);
// Wraps (periodic) or reflects (box) every replica into the domain.
void confine(Ensemble& ensemble, const core::Grid& grid);

struct LangevinParameters {
  double diffusion = 0.25;  // D
  double gamma = 0.5;       // γ (drift +γ∇F: gradient ascent for γ > 0, spec §3b)
  double dt = 1e-3;
  std::uint64_t seed = 1;
  Interpolation interpolation = Interpolation::cubic;
};

// One Euler–Maruyama step of (19)+(20) for every replica (spec §3a):
//   q_r ← confine(q_r + γ ∇F(q_r) dt + √(2D dt) ξ_r),   ξ_{r,a} ~ N(0, 1),
// ξ from RngStream(seed, langevin, r) at counter (ensemble.step, 0) (Box–Muller on the Philox
// words, kernels::normals); ∇F interpolated from the field. Then step += 1, time += dt. Throws
// nnworld::Divergence if a coordinate becomes non-finite. Replicas are processed in fixed blocks
// of 256 (Philox words, then a vectorised Box–Muller, then the update); OpenMP over blocks from
// 16 blocks (4096 replicas) up. For K = 1 with linear interpolation this is the kernel of the
// replica-steps-per-second benchmark (≈ 22 ns of CPU per replica-step on one core).
void em_step(Ensemble& ensemble, const FreeEnergyField& field, const LangevinParameters& p);

// em_step until ensemble.step == target_step. Under several MPI ranks (core::current_comm())
// each rank steps its share of the replicas (whole blocks) and the shares are gathered at the
// end, so the ensemble is bit-identical to the one-rank result for any rank count.
void advance_langevin(Ensemble& ensemble, const FreeEnergyField& field, const LangevinParameters& p,
                      std::int64_t target_step);

// `steps` steps of em_step (through advance_langevin); observe(ensemble) is called before the
// first step and after every `observe_every` steps (0: never).
void simulate_langevin(Ensemble& ensemble, const FreeEnergyField& field,
                       const LangevinParameters& p, std::int64_t steps,
                       std::int64_t observe_every = 0,
                       const std::function<void(const Ensemble&)>& observe = {});

}  // namespace nnworld::trainable
