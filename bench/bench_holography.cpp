// Google Benchmark rows of the holography boundary map (paper Section 10, Eq. (99)) at scale:
// 10³ boundary neurons, ≈ 10⁶ bulk neurons. The rows, network and checksums are the same as in
// bench/peers/scipy_holography.py (SciPy), so bench/run.py prints the two side by side;
// bench/RESULTS.md explains them.
//
//   holography/boundary_map/boundary:1000      holography::boundary_map(w, 1000, ε) on the
//                                              prebuilt sparse ŵ (Schur complement onto the
//                                              boundary: sparse bulk fronts, then a dense LU)
//   holography/weights_and_map/boundary:1000   holography::weight_matrix(net) + boundary_map
//
// Network (both sides): a permutation network. Boundary neuron i starts chain i, which ends at
// boundary neuron π(i) after L_i bulk neurons. With RngStream(seed 1, StreamTag::bench):
// L_i = 1 + below(0, i, 1999) (uniform in [1, 1999], mean 1000), and π is the Fisher–Yates
// shuffle of the identity, for k = nb−1 … 1: swap(π[k], π[below(1, k, k + 1)]). Every neuron has
// one input and one output edge of weight 1, so ŵ is a permutation matrix, ρ(ŵ) = 1, and
// ε = 0.99 < 1/ρ.
//
// Counters (reported by the peer too, compared by run.py): check_sum_w = Σ_ij ŵ_∂ij;
// check_sum_length = Σ over chains of log_ε C_{π(i) i} − 1 with C = direct_transfer(ŵ_∂) (the
// bulk lengths recovered from boundary data alone); check_bulk_total = Σ_i L_i (the true total,
// which check_sum_length should reproduce). No byte or flop model.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "nnworld/core/rng.hpp"
#include "nnworld/holography/chains.hpp"

void add_holography_rows();

namespace {

namespace holo = nnworld::holography;

constexpr std::int64_t holo_boundary = 1000;
constexpr std::int64_t holo_max_bulk = 1999;
constexpr std::uint64_t holo_seed = 1;
constexpr double holo_epsilon = 0.99;

holo::ChainNetwork permutation_network() {
  const nnworld::core::RngStream rng(holo_seed, nnworld::core::StreamTag::bench);
  std::vector<std::int64_t> head(static_cast<std::size_t>(holo_boundary));
  for (std::int64_t i = 0; i < holo_boundary; ++i) head[static_cast<std::size_t>(i)] = i;
  for (std::int64_t k = holo_boundary - 1; k >= 1; --k) {
    const auto j = rng.below(1, static_cast<std::uint64_t>(k), static_cast<std::uint64_t>(k + 1));
    std::swap(head[static_cast<std::size_t>(k)], head[j]);
  }
  holo::ChainNetwork net;
  net.n_boundary = holo_boundary;
  for (std::int64_t i = 0; i < holo_boundary; ++i) {
    const auto bulk =
        1 + static_cast<std::int64_t>(rng.below(0, static_cast<std::uint64_t>(i),
                                                static_cast<std::uint64_t>(holo_max_bulk)));
    net.chains.push_back({i, head[static_cast<std::size_t>(i)], bulk});
  }
  return net;
}

const holo::ChainNetwork& network() {
  static const holo::ChainNetwork net = [] {
    holo::ChainNetwork n = permutation_network();
    std::fprintf(stderr, "holography bench: %lld boundary + %lld bulk = %lld neurons\n",
                 static_cast<long long>(n.n_boundary), static_cast<long long>(n.n_bulk()),
                 static_cast<long long>(n.n()));
    return n;
  }();
  return net;
}

void set_counters(benchmark::State& state, const holo::BoundaryMap& m) {
  const holo::ChainNetwork& net = network();
  const Eigen::MatrixXd c = holo::direct_transfer(m.w_boundary);
  const double log_eps = std::log(holo_epsilon);
  double length = 0.0;
  for (const holo::Chain& ch : net.chains) {
    length += std::log(c(ch.to, ch.from)) / log_eps - 1.0;
  }
  state.counters["bytes_model"] = 0.0;
  state.counters["flop_model"] = 0.0;
  state.counters["threads"] = omp_get_max_threads();
  state.counters["neurons"] = static_cast<double>(net.n());
  state.counters["check_sum_w"] = m.w_boundary.sum();
  state.counters["check_sum_length"] = length;
  state.counters["check_bulk_total"] = static_cast<double>(net.n_bulk());
}

void map_row(benchmark::State& state) {
  static const Eigen::SparseMatrix<double> w = holo::weight_matrix(network());
  holo::BoundaryMap m;
  for (auto _ : state) {
    m = holo::boundary_map(w, holo_boundary, holo_epsilon);
    benchmark::DoNotOptimize(m.w_boundary.data());
  }
  set_counters(state, m);
}

void weights_and_map_row(benchmark::State& state) {
  const holo::ChainNetwork& net = network();
  holo::BoundaryMap m;
  for (auto _ : state) {
    const Eigen::SparseMatrix<double> w = holo::weight_matrix(net);
    m = holo::boundary_map(w, holo_boundary, holo_epsilon);
    benchmark::DoNotOptimize(m.w_boundary.data());
  }
  set_counters(state, m);
}

}  // namespace

void add_holography_rows() {
  const std::string nb = std::to_string(holo_boundary);
  benchmark::RegisterBenchmark(("holography/boundary_map/boundary:" + nb).c_str(), map_row)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("holography/weights_and_map/boundary:" + nb).c_str(),
                               weights_and_map_row)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}
