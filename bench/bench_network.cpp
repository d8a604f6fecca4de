// Google Benchmark rows of the network kernels: the state map (1) x' = f(w x + b) for the three
// weight layouts, one SGD step of the bulk loss (3), and the machine's copy bandwidth. The rows,
// sizes, byte and flop models are the same as in bench/peers/torch_network.py (PyTorch), so
// bench/run.py can print the two side by side; bench/RESULTS.md explains the models.
//
// Extra flag (before the Google Benchmark flags): --threads=N sets the OpenMP thread count of
// the kernels (default: OMP_NUM_THREADS or the number of cores).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "nnworld/core/lapack.hpp"
#include "nnworld/network/learning.hpp"
#include "nnworld/network/network.hpp"

void add_thermo_rows();      // bench_thermo.cpp
void add_trainable_rows();   // bench_trainable.cpp
void add_hidden_rows();      // bench_hidden.cpp
void add_geometry_rows();    // bench_geometry.cpp
void add_holography_rows();  // bench_holography.cpp

namespace {

namespace nw = nnworld::network;

constexpr std::int64_t nnz_per_row = 16;
constexpr double sgd_step_size = 0.01;
constexpr std::int64_t copy_bytes = std::int64_t{256} << 20;  // 256 MiB per buffer

// ---- byte and flop models (the same in torch_network.py) -----------------------------------
struct Model {
  double bytes = 0.0;  // minimum bytes that must move between memory and the core per call
  double flops = 0.0;  // floating-point operations per call (multiply–add = 2)
};

// W once, X, b, the output once.
Model dense_model(double n, double b) {
  return {8.0 * (n * n + 2.0 * n * b + n), 2.0 * n * n * b};
}

// Values 8 B + column 4 B per nonzero, row pointer 4 B, x 8 B (each element at least once),
// b 8 B and the output 8 B per row.
Model sparse_model(double n) {
  const double nnz = static_cast<double>(nnz_per_row) * n;
  return {12.0 * nnz + 4.0 * (n + 1.0) + 24.0 * n, 2.0 * nnz};
}

// source 4 B + value 8 B + b 8 B + x 8 B + output 8 B per row.
Model permutation_model(double n) {
  return {36.0 * n, 2.0 * n};
}

// One train_sgd step (steps = 1) at fixed states X (N×B): the batch loss and gradient (W read
// once), the update (W read and written) and the final ⟨H⟩ over the B rows (W read once);
// X is read three times, b read twice and written once. Flops: the three N×N×B products.
Model sgd_model(double n, double b) {
  return {8.0 * (4.0 * n * n + 3.0 * n * b + 3.0 * n), 6.0 * n * n * b};
}

// ---- problems ---------------------------------------------------------------------------
// One problem is alive at a time: Google Benchmark calls a row's function several times
// (iteration-count estimation, repetitions), and building the largest rows takes a second.
struct Problem {
  std::string row;
  nw::Network net;
  nw::Vector x1;
  nw::Vector out1;
  nw::Matrix x;
  nw::Matrix out;
  nw::Dataset data;
  nw::SgdOptions sgd;
  std::vector<double> src;
  std::vector<double> dst;
  Model model;
};

std::unique_ptr<Problem> current;

std::mt19937_64& rng() {
  static std::mt19937_64 gen(20240601);
  return gen;
}

double uniform(double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng());
}

nw::Vector uniform_vector(std::int64_t n, double lo, double hi) {
  nw::Vector v(n);
  for (std::int64_t i = 0; i < n; ++i) v[i] = uniform(lo, hi);
  return v;
}

nw::Matrix uniform_matrix(std::int64_t rows, std::int64_t cols, double lo, double hi) {
  nw::Matrix m(rows, cols);
  double* p = m.data();
  for (std::int64_t k = 0; k < m.size(); ++k) p[k] = uniform(lo, hi);
  return m;
}

// Dense N×N with entries uniform in ±√(3/N) (variance 1/N: w x = O(1) for |x_j| = O(1)).
nw::DenseWeights dense_weights(std::int64_t n) {
  const double s = std::sqrt(3.0 / static_cast<double>(n));
  nw::DenseWeights w(n, n);
  double* p = w.data();
  for (std::int64_t k = 0; k < w.size(); ++k) p[k] = uniform(-s, s);
  return w;
}

// CSR with 16 nonzeros per row; the k-th one in column k⌊N/16⌋ + U[0, ⌊N/16⌋), so the columns
// of a row are distinct, sorted and spread over all of x.
nw::SparseWeights sparse_weights(std::int64_t n) {
  const std::int64_t seg = n / nnz_per_row;
  const double s = std::sqrt(3.0 / static_cast<double>(nnz_per_row));
  nw::SparseWeights w(n, n);
  w.resizeNonZeros(n * nnz_per_row);
  std::int32_t* outer = w.outerIndexPtr();
  std::int32_t* inner = w.innerIndexPtr();
  double* value = w.valuePtr();
  std::uniform_int_distribution<std::int64_t> offset(0, seg - 1);
  for (std::int64_t i = 0; i < n; ++i) {
    outer[i] = static_cast<std::int32_t>(i * nnz_per_row);
    for (std::int64_t k = 0; k < nnz_per_row; ++k) {
      inner[i * nnz_per_row + k] = static_cast<std::int32_t>(k * seg + offset(rng()));
      value[i * nnz_per_row + k] = uniform(-s, s);
    }
  }
  outer[n] = static_cast<std::int32_t>(n * nnz_per_row);
  return w;
}

nw::PermutationWeights permutation_weights(std::int64_t n, bool cyclic) {
  nw::PermutationWeights w;
  if (cyclic) {
    w = nw::cyclic_permutation(n);  // source[i] = i − 1 mod N
  } else {
    w.source.resize(static_cast<std::size_t>(n));
    std::iota(w.source.begin(), w.source.end(), 0);
    std::shuffle(w.source.begin(), w.source.end(), rng());
  }
  w.value = uniform_vector(n, -1.0, 1.0);
  return w;
}

void set_network(Problem& p, nw::Weights w, std::int64_t n) {
  p.net.w = std::move(w);
  p.net.b = uniform_vector(n, -0.1, 0.1);
  p.net.activation = nw::ActivationKind::tanh;
}

using Builder = std::function<void(Problem&)>;
using Body = std::function<void(Problem&)>;

Problem& problem(const std::string& row, const Builder& build) {
  if (!current || current->row != row) {
    current.reset();  // free the previous row's arrays first
    current = std::make_unique<Problem>();
    current->row = row;
    build(*current);
  }
  return *current;
}

void add_row(const std::string& row, Builder build, Body body) {
  benchmark::RegisterBenchmark(row.c_str(),
                               [row, build, body](benchmark::State& state) {
                                 Problem& p = problem(row, build);
                                 body(p);  // warm-up (first touch of outputs, caches)
                                 for (auto _ : state) {
                                   body(p);
                                   benchmark::ClobberMemory();
                                 }
                                 state.SetBytesProcessed(static_cast<std::int64_t>(
                                     p.model.bytes * static_cast<double>(state.iterations())));
                                 state.counters["flops"] = benchmark::Counter(
                                     p.model.flops, benchmark::Counter::kIsIterationInvariantRate);
                                 state.counters["bytes_model"] = p.model.bytes;
                                 state.counters["flop_model"] = p.model.flops;
                                 state.counters["threads"] = omp_get_max_threads();
                               })
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

// ---- rows -------------------------------------------------------------------------------------

void add_dense_rows() {
  for (const std::int64_t n : {256, 512, 1024, 2048, 4096, 8192}) {
    for (const std::int64_t b : {1, 256}) {
      const std::string row =
          "state_map/dense/n:" + std::to_string(n) + "/batch:" + std::to_string(b);
      add_row(
          row,
          [n, b](Problem& p) {
            set_network(p, dense_weights(n), n);
            if (b == 1) {
              p.x1 = uniform_vector(n, -1.0, 1.0);
              p.out1.resize(n);
            } else {
              p.x = uniform_matrix(n, b, -1.0, 1.0);
              p.out.resize(n, b);
            }
            p.model = dense_model(static_cast<double>(n), static_cast<double>(b));
          },
          [b](Problem& p) {
            if (b == 1) {
              nw::state_map(p.net, p.x1, p.out1);
            } else {
              nw::state_map_batch(p.net, p.x, p.out);
            }
          });
    }
  }
}

void add_sparse_rows() {
  for (const std::int64_t n : {100'000, 300'000, 1'000'000}) {
    add_row(
        "state_map/sparse/n:" + std::to_string(n),
        [n](Problem& p) {
          set_network(p, sparse_weights(n), n);
          p.x1 = uniform_vector(n, -1.0, 1.0);
          p.out1.resize(n);
          p.model = sparse_model(static_cast<double>(n));
        },
        [](Problem& p) { nw::state_map(p.net, p.x1, p.out1); });
  }
}

void add_permutation_rows() {
  for (const bool cyclic : {true, false}) {
    for (const std::int64_t n : {1'000'000, 3'000'000, 10'000'000}) {
      add_row(
          std::string("state_map/permutation_") + (cyclic ? "cyclic" : "random") +
              "/n:" + std::to_string(n),
          [n, cyclic](Problem& p) {
            set_network(p, permutation_weights(n, cyclic), n);
            p.x1 = uniform_vector(n, -1.0, 1.0);
            p.out1.resize(n);
            p.model = permutation_model(static_cast<double>(n));
          },
          [](Problem& p) { nw::state_map(p.net, p.x1, p.out1); });
    }
  }
}

// One SGD update of (w, b) by train_sgd (steps = 1): every neuron is an input clamped to the
// data and relax_steps = 0, so H and its gradient are taken at x = the data rows, as in the
// PyTorch peer. The dataset has B rows; train_sgd draws B of them (with replacement) and ends
// with ⟨H⟩ over the dataset.
void add_sgd_rows() {
  for (const std::int64_t n : {256, 1024, 4096}) {
    for (const std::int64_t b : {1, 256}) {
      add_row(
          "sgd_step/dense/n:" + std::to_string(n) + "/batch:" + std::to_string(b),
          [n, b](Problem& p) {
            set_network(p, dense_weights(n), n);
            p.net.inputs.resize(static_cast<std::size_t>(n));
            std::iota(p.net.inputs.begin(), p.net.inputs.end(), 0);
            p.data.rows = uniform_matrix(b, n, -1.0, 1.0);
            p.data.source = "bench";
            p.sgd.step = sgd_step_size;
            p.sgd.batch = b;
            p.sgd.steps = 1;
            p.sgd.relax_steps = 0;
            p.sgd.loss = nw::LossKind::bulk;
            p.sgd.threads = omp_get_max_threads();
            p.model = sgd_model(static_cast<double>(n), static_cast<double>(b));
          },
          [](Problem& p) {
            const nw::TrainingResult r = nw::train_sgd(p.net, p.data, p.sgd);
            benchmark::DoNotOptimize(r.final_loss);
          });
    }
  }
}

// Copy bandwidth: memcpy of a 256 MiB buffer, split into 1 MiB pieces over the threads (the
// same static partition that first touched the pages). Counted bytes = read + write.
void add_copy_row() {
  add_row(
      "copy/bytes:" + std::to_string(copy_bytes),
      [](Problem& p) {
        const auto count = static_cast<std::size_t>(copy_bytes) / sizeof(double);
        p.src.resize(count);
        p.dst.resize(count);
        constexpr std::int64_t piece = (std::int64_t{1} << 20) / 8;
        const auto pieces = static_cast<std::int64_t>(count) / piece;
        double* s = p.src.data();
        double* d = p.dst.data();
#pragma omp parallel for schedule(static)
        for (std::int64_t k = 0; k < pieces; ++k) {
          for (std::int64_t i = k * piece; i < (k + 1) * piece; ++i) {
            s[i] = static_cast<double>(i);
            d[i] = 0.0;
          }
        }
        p.model = {2.0 * static_cast<double>(copy_bytes), 0.0};
      },
      [](Problem& p) {
        constexpr std::int64_t piece = (std::int64_t{1} << 20) / 8;
        const auto pieces = static_cast<std::int64_t>(p.src.size()) / piece;
        const double* s = p.src.data();
        double* d = p.dst.data();
#pragma omp parallel for schedule(static)
        for (std::int64_t k = 0; k < pieces; ++k) {
          std::memcpy(d + k * piece, s + k * piece, piece * sizeof(double));
        }
      });
}

// The machine's float64 FLOP rate, the roof of the compute-bound rows: C = A B for n×n
// matrices, the columns of B and C split into one block per OpenMP thread, each block one serial
// OpenBLAS dgemm (core::gemm_serial, as nnworld's own tiled kernels use it). Flops 2n³.
constexpr std::int64_t peak_gemm_n = 4096;

void add_peak_row() {
  add_row(
      "peak/gemm/n:" + std::to_string(peak_gemm_n),
      [](Problem& p) {
        const auto n = static_cast<std::size_t>(peak_gemm_n);
        p.src.assign(2 * n * n, 0.0);
        p.dst.assign(n * n, 0.0);
        for (std::size_t i = 0; i < 2 * n * n; ++i)
          p.src[i] = static_cast<double>((i * 2654435761u) % 1000) / 1000.0 - 0.5;
        nnworld::core::blas_single_thread();
        const double n3 = static_cast<double>(peak_gemm_n) * static_cast<double>(peak_gemm_n) *
                          static_cast<double>(peak_gemm_n);
        p.model = {3.0 * 8.0 * static_cast<double>(n * n), 2.0 * n3};
      },
      [](Problem& p) {
        const std::int64_t n = peak_gemm_n;
        const double* a = p.src.data();
        const double* b = p.src.data() + n * n;
        double* c = p.dst.data();
        const int threads = omp_get_max_threads();
#pragma omp parallel for schedule(static, 1)
        for (int t = 0; t < threads; ++t) {
          const std::int64_t j0 = n * t / threads, j1 = n * (t + 1) / threads;
          nnworld::core::gemm_serial(false, false, n, j1 - j0, n, 1.0, a, n, b + j0 * n, n, 0.0,
                                     c + j0 * n, n);
        }
      });
}

}  // namespace

int main(int argc, char** argv) {
  // Strip --threads=N before Google Benchmark parses the rest.
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0) {
      const int t = std::atoi(argv[i] + 10);
      if (t < 1) {
        std::fprintf(stderr, "error: --threads: expected an integer >= 1, got '%s'\n",
                     argv[i] + 10);
        return 2;
      }
      omp_set_num_threads(t);
    } else {
      args.push_back(argv[i]);
    }
  }
  int n_args = static_cast<int>(args.size());
  add_copy_row();
  add_peak_row();
  add_dense_rows();
  add_sparse_rows();
  add_permutation_rows();
  add_sgd_rows();
  add_thermo_rows();
  add_trainable_rows();
  add_hidden_rows();
  add_geometry_rows();
  add_holography_rows();
  benchmark::Initialize(&n_args, args.data());
  if (benchmark::ReportUnrecognizedArguments(n_args, args.data())) return 2;
  benchmark::AddCustomContext("omp_threads", std::to_string(omp_get_max_threads()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
