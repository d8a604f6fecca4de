#pragma once
// Measurements on ensembles of learning networks for the follow-up paper's claims 1–2 (spec §10):
// the hidden variables' relaxation time (the fast scale of claim 1), and the loop integrals
// ∮∇F·dq of the replicas' paths with their phase statistic (claim 2, test 4).
#include <cstdint>
#include <span>
#include <vector>

#include "nnworld/core/statistics.hpp"
#include "nnworld/network/learning.hpp"
#include "nnworld/trainable/descriptions.hpp"
#include "nnworld/trainable/network_ensemble.hpp"

namespace nnworld::trainable {

// τ_x, the integrated autocorrelation time of the hidden states under the state map (1) in
// iterations. At the relaxed state of a data row (the inputs held), the free neurons follow
// δx ← Ĵ_ff δx (Ĵ = f̂′ŵ, (9), restricted to the neurons (1) updates); with a small noise each
// mode is an AR(1), and the slowest, of coefficient ρ = ρ(Ĵ_ff) (spectral radius), has
// τ = (1 + ρ)/(1 − ρ) (INTERPRETATION: the paper names x fast without a measure). Per replica
// r < `replicas`, the mean over `rows`; the result is the mean over replicas with its standard
// error, and the largest ρ met (τ = ∞ where ρ ≥ 1: the map does not contract).
struct HiddenRelaxation {
  core::MeanError tau;  // iterations
  double rho_max = 0.0;
  std::int64_t not_contracting = 0;  // replica-rows with ρ ≥ 1 (left out of the mean)
};
[[nodiscard]] HiddenRelaxation hidden_relaxation_time(const NetworkEnsemble& ensemble,
                                                      const network::Dataset& data,
                                                      std::span<const Eigen::Index> rows,
                                                      std::int64_t replicas);

// Loop integrals along the replicas' recorded paths: for each replica, scanning the records in
// order from i = 0, the first j ≥ i + min_length with |q_j − q_i| < epsilon closes a loop, and
// the scan goes on from j. ∮∇F·dq over the loop is F_j − F_i: on any single-valued F it is
// ∇F·(q_j − q_i) = O(epsilon |∇F|); where the number of neurons changed on the way (F jumps by
// a neuron's share, eq. (45)) it is the sum of the jumps plus that.
struct LoopIntegral {
  std::int64_t replica = 0;
  std::int64_t from = 0, to = 0;    // record indices
  double integral = 0.0;            // F_j − F_i
  std::int32_t neuron_changes = 0;  // |N_j − N_i| summed over the records of the loop
};
[[nodiscard]] std::vector<LoopIntegral> loop_integrals(const std::vector<ReplicaRecord>& records,
                                                       double epsilon, std::int64_t min_length);

// R = (1/n) Σ cos 2πx_l with its standard error √((1 − (1/n)Σcos²... )/n) (the sample sd of
// cos 2πx_l over √n): 1 when every x_l is an integer, 0 ± 1/√(2n) for phases uniform on [0, 1).
[[nodiscard]] core::MeanError integer_phase(std::span<const double> x);

}  // namespace nnworld::trainable
