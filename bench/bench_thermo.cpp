// Google Benchmark rows of the thermodynamics kernels (bench/RESULTS.md, "Thermodynamics
// kernels"): the log det of a symmetric positive-definite matrix that Laplace's method (7)
// needs, and one evaluation of the bulk loss (3) with its gradient ∂H/∂x as each HMC leapfrog
// step does. The rows, sizes and models are the same as in bench/peers/numpy_thermo.py
// (log det, NumPy) and bench/peers/torch_network.py (gradient, PyTorch).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "nnworld/network/network.hpp"
#include "nnworld/thermo/partition.hpp"
#include "nnworld/thermo/sampler.hpp"

void add_thermo_rows();

namespace {

namespace nw = nnworld::network;
namespace th = nnworld::thermo;

// Diagonal shift of the log-det matrix: the spectrum of ½(R + Rᵀ), R uniform in ±√(3/N)
// (off-diagonal variance 1/(2N)), fills [−√2, √2] (semicircle), so A = ½(R + Rᵀ) + 2I has
// eigenvalues in [0.59, 3.41]: positive definite and well conditioned, like Ĝ − mI + shift.
constexpr double log_det_shift = 2.0;

std::mt19937_64& rng() {
  static std::mt19937_64 gen(20240602);
  return gen;
}

double uniform(double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng());
}

void set_counters(benchmark::State& state, double bytes, double flops) {
  state.SetBytesProcessed(
      static_cast<std::int64_t>(bytes * static_cast<double>(state.iterations())));
  state.counters["flops"] =
      benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes_model"] = bytes;
  state.counters["flop_model"] = flops;
  state.counters["threads"] = omp_get_max_threads();
}

// One matrix alive at a time (the 4096 row holds 128 MiB).
struct LogDetProblem {
  std::int64_t n = 0;
  nw::Matrix a;
};
std::unique_ptr<LogDetProblem> log_det_problem;

const nw::Matrix& log_det_matrix(std::int64_t n) {
  if (!log_det_problem || log_det_problem->n != n) {
    log_det_problem.reset();
    log_det_problem = std::make_unique<LogDetProblem>();
    log_det_problem->n = n;
    const double s = std::sqrt(3.0 / static_cast<double>(n));
    nw::Matrix& a = log_det_problem->a;
    a.resize(n, n);
    for (std::int64_t j = 0; j < n; ++j) {
      for (std::int64_t i = 0; i <= j; ++i) {
        const double v = i == j ? uniform(-s, s) + log_det_shift : 0.5 * uniform(-s, s);
        a(i, j) = v;
        a(j, i) = v;
      }
    }
  }
  return log_det_problem->a;
}

struct GradientProblem {
  std::int64_t n = 0;
  nw::Network net;
  nw::Vector x;
  nw::Vector grad;
};
std::unique_ptr<GradientProblem> gradient_problem;

GradientProblem& gradient_setup(std::int64_t n) {
  if (!gradient_problem || gradient_problem->n != n) {
    gradient_problem.reset();
    gradient_problem = std::make_unique<GradientProblem>();
    GradientProblem& p = *gradient_problem;
    p.n = n;
    const double s = std::sqrt(3.0 / static_cast<double>(n));
    nw::DenseWeights w(n, n);
    for (std::int64_t k = 0; k < w.size(); ++k) w.data()[k] = uniform(-s, s);
    p.net.w = std::move(w);
    p.net.b.resize(n);
    for (std::int64_t i = 0; i < n; ++i) p.net.b[i] = uniform(-0.1, 0.1);
    p.net.activation = nw::ActivationKind::tanh;
    p.net.mass = 0.0;
    p.x.resize(n);
    for (std::int64_t i = 0; i < n; ++i) p.x[i] = uniform(-1.0, 1.0);
    p.grad.resize(n);
  }
  return *gradient_problem;
}

}  // namespace

void add_thermo_rows() {
  // log det A by thermo::log_det_spd (symmetrise, Eigen LLT, 2 Σ log L_ii), the code path of
  // thermo::laplace and thermo::paper_eq7. Model: A read once (8 N² B); Cholesky N³/3 flops.
  for (const std::int64_t n : {512, 1024, 2048, 4096}) {
    benchmark::RegisterBenchmark(("log_det/spd/n:" + std::to_string(n)).c_str(),
                                 [n](benchmark::State& state) {
                                   const nw::Matrix& a = log_det_matrix(n);
                                   for (auto _ : state) {
                                     benchmark::DoNotOptimize(th::log_det_spd(a));
                                   }
                                   const double nd = static_cast<double>(n);
                                   set_counters(state, 8.0 * nd * nd, nd * nd * nd / 3.0);
                                 })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  // H = ½|x − tanh(W x + b)|² (3, m = 0) and ∂H/∂x = r − Wᵀ(f′(y) ⊙ r) by
  // thermo::bulk_loss_and_gradient, one state. Model: W once, x, b, the gradient
  // (8 (N² + 3N) B); W x and Wᵀ v: 4 N² flops.
  for (const std::int64_t n : {256, 1024, 4096}) {
    benchmark::RegisterBenchmark(
        ("hmc_gradient/dense/n:" + std::to_string(n)).c_str(),
        [n](benchmark::State& state) {
          GradientProblem& p = gradient_setup(n);
          benchmark::DoNotOptimize(th::bulk_loss_and_gradient(p.net, p.x, p.grad));
          for (auto _ : state) {
            benchmark::DoNotOptimize(th::bulk_loss_and_gradient(p.net, p.x, p.grad));
            benchmark::ClobberMemory();
          }
          const double nd = static_cast<double>(n);
          set_counters(state, 8.0 * (nd * nd + 3.0 * nd), 4.0 * nd * nd);
        })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
}
