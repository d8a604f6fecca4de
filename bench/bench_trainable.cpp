// Google Benchmark rows of the trainable-variable kernels (bench/RESULTS.md, "Trainable-variable
// kernels"): one Strang split-step of the Schrödinger equation (34) by trainable::Schrodinger,
// and one Euler–Maruyama step of the replica ensemble (19)–(20) by trainable::em_step. The rows,
// and one SGD step of an ensemble of learning networks by trainable::NetworkEnsemble. The rows,
// sizes and models are the same as in bench/peers/numpy_trainable.py (NumPy, SciPy and PyTorch).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "nnworld/core/grid.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/network/learning.hpp"
#include "nnworld/trainable/ensemble.hpp"
#include "nnworld/trainable/network_ensemble.hpp"
#include "nnworld/trainable/schrodinger.hpp"

void add_trainable_rows();

namespace {

namespace tr = nnworld::trainable;
namespace core = nnworld::core;
namespace network = nnworld::network;

// ---- Split-step (34) ------------------------------------------------------------------------
// Problem: ħ = 1, M = 1, V = ½|q|² (harmonic, ω = 1), a Gaussian packet of width σ = 1/√2 per
// axis (the ground-state width) centred at q = 1 on every axis, P = 0, dt = 10⁻³. Grid: n points
// per axis on [−L, L), L = √(πn/2), periodic, so that q covers the same range as k
// (k_max = π/h = L): the packet is resolved at every n.
constexpr double split_dt = 1e-3;
// evolve(ψ, dt, S) per call: Google Benchmark counts the S steps as S iterations
// (KeepRunningBatch), so the row's time is per step. The e^{−iV dt/2ħ}, e^{−iV dt/ħ} and
// e^{−iħk² dt/2M} tables that evolve() computes on every call are spread over the S steps; the
// counter `one_step_call_s` is the time of one evolve(ψ, dt, 1) call (the fastest of three,
// measured once per problem): with t the row's time per step, (one_step_call_s − t)·S/(S − 1)
// is the per-call setup.
constexpr std::int64_t split_steps_per_call = 16;

// Model per step (N = total grid points): FFT and inverse FFT of N complex points,
// 5 N log₂N flops each, plus two complex × complex multiplies (6 flops each) per point.
// Bytes: ψ read and written once per transform (2 × 32 N) and the kinetic and potential phase
// factors read once each (2 × 16 N): 96 N B, the minimum of a two-transform step that fuses
// the multiplies into the transforms' passes.
double split_flops(double n_total) {
  return 2.0 * 5.0 * n_total * std::log2(n_total) + 12.0 * n_total;
}
double split_bytes(double n_total) {
  return 96.0 * n_total;
}

struct SplitProblem {
  std::int64_t n = 0;
  int dims = 0;
  std::unique_ptr<tr::Schrodinger> solver;
  std::vector<core::Complex> psi;
  double one_step_call = 0.0;  // seconds of one evolve(ψ, dt, 1) call
};
std::unique_ptr<SplitProblem> split_problem;

SplitProblem& split_setup(int dims, std::int64_t n) {
  if (!split_problem || split_problem->n != n || split_problem->dims != dims) {
    split_problem.reset();  // one problem alive at a time (2048² holds 64 MiB per array)
    split_problem = std::make_unique<SplitProblem>();
    SplitProblem& p = *split_problem;
    p.n = n;
    p.dims = dims;
    const double l = std::sqrt(std::numbers::pi * static_cast<double>(n) / 2.0);
    const core::Grid g = dims == 1 ? core::make_grid({n}, {l}, core::Boundary::periodic)
                                   : core::make_grid({n, n}, {l, l}, core::Boundary::periodic);
    std::vector<double> v(static_cast<std::size_t>(g.size()));
    g.for_each([&](std::int64_t i, const core::Point& q) {
      v[static_cast<std::size_t>(i)] = 0.5 * (q[0] * q[0] + q[1] * q[1]);
    });
    p.solver = std::make_unique<tr::Schrodinger>(g, 1.0, 1.0, std::move(v));
    tr::QuantumMap m;
    m.hbar = 1.0;
    m.mass = 1.0;
    const std::vector<double> centre(static_cast<std::size_t>(dims), 1.0);
    const std::vector<double> width(static_cast<std::size_t>(dims), std::sqrt(0.5));
    const std::vector<double> momentum(static_cast<std::size_t>(dims), 0.0);
    p.psi = tr::gaussian_packet(g, m, centre, width, momentum);
    p.solver->evolve(p.psi, split_dt, 1);  // warm-up (FFTW's first execution, first touch)
    p.one_step_call = 1e300;
    for (int k = 0; k < 3; ++k) {
      const auto t0 = std::chrono::steady_clock::now();
      p.solver->evolve(p.psi, split_dt, 1);
      const auto t1 = std::chrono::steady_clock::now();
      p.one_step_call = std::min(p.one_step_call, std::chrono::duration<double>(t1 - t0).count());
    }
  }
  return *split_problem;
}

void add_split_row(int dims, std::int64_t n) {
  const std::string row = "split_step/" + std::to_string(dims) + "d/n:" + std::to_string(n);
  benchmark::RegisterBenchmark(
      row.c_str(),
      [dims, n](benchmark::State& state) {
        SplitProblem& p = split_setup(dims, n);
        while (state.KeepRunningBatch(split_steps_per_call)) {
          p.solver->evolve(p.psi, split_dt, split_steps_per_call);
          benchmark::ClobberMemory();
        }
        const double n_total = static_cast<double>(p.psi.size());
        const double bytes = split_bytes(n_total), flops = split_flops(n_total);
        state.SetBytesProcessed(
            static_cast<std::int64_t>(bytes * static_cast<double>(state.iterations())));
        state.counters["flops"] =
            benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
        state.counters["bytes_model"] = bytes;
        state.counters["flop_model"] = flops;
        state.counters["one_step_call_s"] = p.one_step_call;
        state.counters["steps_per_call"] = static_cast<double>(split_steps_per_call);
        state.counters["threads"] = omp_get_max_threads();
      })
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

// The counters of a row that advances `replicas` replicas by one step per iteration, with the
// byte and flop models of one call.
void set_replica_counters(benchmark::State& state, std::int64_t replicas, double bytes,
                          double flops) {
  state.SetBytesProcessed(
      static_cast<std::int64_t>(bytes * static_cast<double>(state.iterations())));
  state.SetItemsProcessed(replicas * state.iterations());
  state.counters["replica_steps_per_s"] = benchmark::Counter(
      static_cast<double>(replicas), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["flops"] =
      benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes_model"] = bytes;
  state.counters["flop_model"] = flops;
}

// ---- Euler–Maruyama (19)–(20) ---------------------------------------------------------------
// Problem: K = 1, F(q) = −q²/2 tabulated at 256 points of a box grid on [−8, 8) (∇F by 4th-order
// differences, exact for a quadratic: ∇F = −q), D = 0.25, γ = 0.5, dt = 10⁻³, linear
// interpolation: the replicas follow an Ornstein–Uhlenbeck process whose stationary law
// N(0, D/γ = ½) they start in, so every timed step sees the same distribution (no replica comes
// near the walls at ±8, 11 standard deviations out). One call = em_step(ensemble, field, p):
// Philox4x64-10 keyed by (seed, replica), counter (step, 0); Box–Muller; the update.
constexpr std::int64_t em_grid_points = 256;
constexpr double em_extent = 8.0;

// Model per replica-step: q read and written (16 B; the 2 KiB ∇F table stays in L1). Flops as
// coded in the K = 1 linear kernel (ensemble.cpp em_kernel, ensemble_kernels.hpp): two open-unit
// conversions 4, sincos 2πu 59, −2 log u 31, √ and ρ z 2, stencil and interpolation 8, the update
// 4: 108 flops (fma = 2), besides the integer work of Philox4x64-10 (20 64 × 64 → 128-bit
// multiplies, 4 of its 8 output words unused for K = 1).
constexpr double em_bytes_per_replica = 16.0;
constexpr double em_flops_per_replica = 108.0;

struct EmProblem {
  std::int64_t replicas = 0;
  tr::FreeEnergyField field;
  tr::Ensemble ensemble;
  tr::LangevinParameters params;
};
std::unique_ptr<EmProblem> em_problem;

EmProblem& em_setup(std::int64_t replicas) {
  if (!em_problem || em_problem->replicas != replicas) {
    em_problem.reset();
    em_problem = std::make_unique<EmProblem>();
    EmProblem& p = *em_problem;
    p.replicas = replicas;
    const core::Grid g = core::make_grid({em_grid_points}, {em_extent}, core::Boundary::box);
    std::vector<double> f(static_cast<std::size_t>(g.size()));
    g.for_each([&](std::int64_t i, const core::Point& q) {
      f[static_cast<std::size_t>(i)] = -0.5 * q[0] * q[0];
    });
    p.field = tr::make_field(g, std::move(f), tr::GradientMethod::fd4);
    p.params.diffusion = 0.25;
    p.params.gamma = 0.5;
    p.params.dt = 1e-3;
    p.params.seed = 7;
    p.params.interpolation = tr::Interpolation::linear;
    const double sd = std::sqrt(p.params.diffusion / p.params.gamma);
    p.ensemble = tr::gaussian_ensemble(1, replicas, core::Point{0.0, 0.0, 0.0},
                                       core::Point{sd, 0.0, 0.0}, 11);
  }
  return *em_problem;
}

void add_em_row(std::int64_t replicas) {
  const std::string row = "ensemble_em/k:1/replicas:" + std::to_string(replicas);
  benchmark::RegisterBenchmark(row.c_str(),
                               [replicas](benchmark::State& state) {
                                 EmProblem& p = em_setup(replicas);
                                 tr::em_step(p.ensemble, p.field, p.params);  // warm-up
                                 for (auto _ : state) {
                                   tr::em_step(p.ensemble, p.field, p.params);
                                   benchmark::ClobberMemory();
                                 }
                                 const double m = static_cast<double>(replicas);
                                 const double bytes = em_bytes_per_replica * m,
                                              flops = em_flops_per_replica * m;
                                 set_replica_counters(state, replicas, bytes, flops);
                                 state.counters["threads"] = omp_get_max_threads();
                               })
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

// ---- Network SGD ensemble (network_ensemble.hpp) --------------------------------------------
// Problem: M replicas of a tanh network of N neurons (inputs 0..3, outputs N−2, N−1, dense ŵ of
// entries 0.5/√N·N(0, 1), b = 0), every parameter trained (train_all), K = 1; a teacher dataset
// of 256 rows (the same network labels Gaussian inputs); one call = one SGD step of every
// replica: B = 8 rows drawn per replica (Philox keyed by (seed, replica)), 5 iterations of (1)
// with the inputs held, the outputs set to the targets, the bulk loss (3) and its gradient,
// θ ← θ − η g (η = 0.05), q ← dᵀ(θ − θ₀).
// Model per replica-step: (R + 2) products ŵ·X of N × N by N × B (R relaxations, the loss, and
// the outer product g Xᵀ): 2N²B(R + 2) flops, + 4P for the update and the projection
// (P = N + N²); bytes: θ read and written, 16 P.
constexpr int net_relax = 5;
constexpr std::int64_t net_batch = 8;

struct NetProblem {
  std::int64_t n = 0, replicas = 0;
  network::Dataset data;
  std::unique_ptr<tr::NetworkEnsemble> ensemble;
};
std::unique_ptr<NetProblem> net_problem;

NetProblem& net_setup(std::int64_t n, std::int64_t replicas) {
  if (!net_problem || net_problem->n != n || net_problem->replicas != replicas) {
    net_problem.reset();
    net_problem = std::make_unique<NetProblem>();
    NetProblem& p = *net_problem;
    p.n = n;
    p.replicas = replicas;
    network::Network net;
    net.activation = network::ActivationKind::tanh;
    net.b = network::Vector::Zero(n);
    network::DenseWeights w(n, n);
    const core::RngStream rng(1, core::StreamTag::init, 0);
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t j = 0; j < n; ++j) {
        w(i, j) = 0.5 / std::sqrt(static_cast<double>(n)) *
                  rng.normal(static_cast<std::uint64_t>(i), static_cast<std::uint64_t>(j));
      }
    }
    net.w = w;
    net.inputs = {0, 1, 2, 3};
    net.outputs = {static_cast<std::int32_t>(n - 2), static_cast<std::int32_t>(n - 1)};
    p.data = network::synthetic_dataset("teacher", net, 256, 2, net_relax);
    const std::int64_t params = n + n * n;
    std::vector<double> d(static_cast<std::size_t>(params));
    for (std::int64_t i = 0; i < params; ++i)
      d[static_cast<std::size_t>(i)] = rng.normal(99, static_cast<std::uint64_t>(i));
    tr::NetworkEnsembleOptions o;
    o.step = 0.05;
    o.batch = net_batch;
    o.relax_steps = net_relax;
    o.train_all = true;
    p.ensemble = std::make_unique<tr::NetworkEnsemble>(
        tr::orthonormal_subspace(net, {d}),
        tr::gaussian_ensemble(1, replicas, core::Point{0.0, 0.0, 0.0}, core::Point{0.3, 0.0, 0.0},
                              3),
        o);
  }
  return *net_problem;
}

void add_net_row(std::int64_t n, std::int64_t replicas) {
  const std::string row = "network_ensemble/n:" + std::to_string(n) +
                          "/batch:" + std::to_string(net_batch) +
                          "/replicas:" + std::to_string(replicas);
  benchmark::RegisterBenchmark(
      row.c_str(),
      [n, replicas](benchmark::State& state) {
        NetProblem& p = net_setup(n, replicas);
        p.ensemble->step(p.data);  // warm-up
        for (auto _ : state) {
          p.ensemble->step(p.data);
          benchmark::ClobberMemory();
        }
        const double m = static_cast<double>(replicas), nn = static_cast<double>(n);
        const double params = nn + nn * nn;
        const double flops =
            m * (2.0 * nn * nn * static_cast<double>(net_batch) * (net_relax + 2) + 4.0 * params);
        const double bytes = m * 16.0 * params;
        set_replica_counters(state, replicas, bytes, flops);
        // The replicas' state over their parameters (M·P doubles): the memory goal is ≤ 2.
        state.counters["state_over_parameters"] =
            static_cast<double>(p.ensemble->state_bytes()) / (m * params * 8.0);
        state.counters["threads"] = omp_get_max_threads();
      })
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

}  // namespace

void add_trainable_rows() {
  for (const std::int64_t n : {1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20}) add_split_row(1, n);
  for (const std::int64_t n : {512, 1024, 2048}) add_split_row(2, n);
  for (const std::int64_t m : {10'000, 100'000, 1'000'000}) add_em_row(m);
  for (const std::int64_t n : {16, 64}) add_net_row(n, 10'000);
  add_net_row(16, 100'000);
}
