// Google Benchmark rows of the hidden-variable "strings" update (paper Sections 7–8): one step
// X' = f(π X) of D subsystem fields over N neurons, with π the single cycle (60) or a uniformly
// random permutation, b = 0 and f linear (the pure permutation) or tanh. The rows, sizes and
// byte model are the same as in bench/peers/numpy_hidden.py (NumPy), so bench/run.py prints the
// two side by side; bench/RESULTS.md explains the model.
//
//   strings_update/{cyclic,random}/n:N/d:D       network::state_map_rows (the step of
//                                                hidden::simulate_strings): X neuron-major N×D,
//                                                linear f, b = 0, w = to_weights(π)
//   strings_update_tanh/{cyclic,random}/n:N/d:D  the same with f = tanh
//   strings_colmajor/{cyclic,random}/n:N/d:D     network::state_map_batch on the same states
//                                                stored column-major (one state per column); no
//                                                peer: what the layout costs
//
// Byte model (all rows): the minimum that must move, x read once (8 N D), X' written once
// (8 N D) and the source index read once (4 N).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "nnworld/hidden/permutation.hpp"
#include "nnworld/network/network.hpp"

void add_hidden_rows();

namespace {

namespace nw = nnworld::network;
namespace hd = nnworld::hidden;

constexpr std::int64_t strings_n = 10'000'000;
constexpr std::uint64_t permutation_seed = 20240603;

void set_counters(benchmark::State& state, double n, double d) {
  const double bytes = 16.0 * n * d + 4.0 * n;
  state.SetBytesProcessed(
      static_cast<std::int64_t>(bytes * static_cast<double>(state.iterations())));
  state.counters["bytes_model"] = bytes;
  state.counters["flop_model"] = 0.0;
  state.counters["threads"] = omp_get_max_threads();
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "error: bench_hidden: %s\n", what.c_str());
  std::exit(1);
}

// The two networks (w = π, b = 0) are built once.
nw::Network& network_of(bool cyclic) {
  static std::map<bool, nw::Network> cache;
  auto it = cache.find(cyclic);
  if (it == cache.end()) {
    const hd::Permutation p = cyclic ? hd::cyclic_permutation({strings_n})
                                     : hd::random_permutation(strings_n, permutation_seed);
    nw::Network net;
    net.w = hd::to_weights(p);
    net.b = nw::Vector::Zero(strings_n);
    it = cache.emplace(cyclic, std::move(net)).first;
  }
  return it->second;
}

// The states of one (D, layout) are alive at a time; the rows are registered D by D, so
// consecutive rows share them.
struct States {
  std::int64_t d = 0;
  bool rows = false;
  nw::RowMatrix xr, outr;  // neuron-major N×D
  nw::Matrix xc, outc;     // column-major N×D
};
std::unique_ptr<States> states;

States& states_for(std::int64_t d, bool rows) {
  if (!states || states->d != d || states->rows != rows) {
    states.reset();
    states = std::make_unique<States>();
    States& s = *states;
    s.d = d;
    s.rows = rows;
    std::mt19937_64 gen(20240604 + static_cast<std::uint64_t>(d));
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    if (rows) {
      s.xr.resize(strings_n, d);
      for (std::int64_t k = 0; k < s.xr.size(); ++k) s.xr.data()[k] = u(gen);
      s.outr.setZero(strings_n, d);
    } else {
      s.xc.resize(strings_n, d);
      for (std::int64_t k = 0; k < s.xc.size(); ++k) s.xc.data()[k] = u(gen);
      s.outc.setZero(strings_n, d);
    }
  }
  return *states;
}

// For linear f every row is a pure copy: X' = π X exactly, checked on a sample of neurons.
template <class M>
void check_permuted(bool cyclic, const M& x, const M& out) {
  const auto& src = std::get<nw::PermutationWeights>(network_of(cyclic).w).source;
  for (std::int64_t i = 0; i < strings_n; i += 9973) {
    for (std::int64_t j = 0; j < x.cols(); ++j) {
      if (out(i, j) != x(src[static_cast<std::size_t>(i)], j)) {
        fail("X' != pi X at neuron " + std::to_string(i) + ", field " + std::to_string(j));
      }
    }
  }
}

std::string suffix(bool cyclic, std::int64_t d) {
  return std::string(cyclic ? "cyclic" : "random") + "/n:" + std::to_string(strings_n) +
         "/d:" + std::to_string(d);
}

template <class Fn>
void register_row(const std::string& row, Fn fn) {
  benchmark::RegisterBenchmark(row.c_str(), fn)->UseRealTime()->Unit(benchmark::kMillisecond);
}

}  // namespace

void add_hidden_rows() {
  for (const std::int64_t d : {1, 2, 4, 8}) {
    for (const bool tanh : {false, true}) {
      for (const bool cyclic : {true, false}) {
        const std::string row =
            std::string(tanh ? "strings_update_tanh/" : "strings_update/") + suffix(cyclic, d);
        register_row(row, [d, tanh, cyclic](benchmark::State& state) {
          nw::Network& net = network_of(cyclic);
          net.activation = tanh ? nw::ActivationKind::tanh : nw::ActivationKind::linear;
          States& s = states_for(d, true);
          nw::state_map_rows(net, s.xr, s.outr);  // warm-up
          if (!tanh) check_permuted(cyclic, s.xr, s.outr);
          for (auto _ : state) {
            nw::state_map_rows(net, s.xr, s.outr);
            benchmark::ClobberMemory();
          }
          set_counters(state, static_cast<double>(strings_n), static_cast<double>(d));
        });
      }
    }
    for (const bool cyclic : {true, false}) {
      register_row("strings_colmajor/" + suffix(cyclic, d), [d, cyclic](benchmark::State& state) {
        nw::Network& net = network_of(cyclic);
        net.activation = nw::ActivationKind::linear;
        States& s = states_for(d, false);
        nw::state_map_batch(net, s.xc, s.outc);  // warm-up
        check_permuted(cyclic, s.xc, s.outc);
        for (auto _ : state) {
          nw::state_map_batch(net, s.xc, s.outc);
          benchmark::ClobberMemory();
        }
        set_counters(state, static_cast<double>(strings_n), static_cast<double>(d));
      });
    }
  }
}
