// Strong and weak scaling of the replica ensemble over MPI ranks and OpenMP threads: M replicas
// of the Ornstein–Uhlenbeck problem of the ensemble_em benchmark rows (K = 1, F = −q²/2 on a
// 256-point box grid over [−8, 8), D = 0.25, γ = 0.5, dt = 10⁻³, linear interpolation), S steps
// of dq = γ∇F dt + √(2D) dW by trainable::simulate_langevin with an observation (the gather of
// every rank's share to every rank) each 100 steps, as the experiments do. Prints one JSON line
// (rank 0): ranks, threads, replicas, steps, seconds (barrier to barrier), replica-steps per
// second, and Σq and Σq² of the final ensemble, which must not depend on ranks or threads.
//
//   mpirun -np R nnworld_scaling --replicas M --steps S --threads T      (bench/scaling.py)
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "nnworld/core/grid.hpp"
#include "nnworld/core/parallel.hpp"
#include "nnworld/trainable/ensemble.hpp"

namespace core = nnworld::core;
namespace tr = nnworld::trainable;

int main(int argc, char** argv) {
  core::MpiSession mpi(argc, argv);
  std::int64_t replicas = 1 << 20, steps = 200;
  int threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const long long v = std::atoll(argv[i + 1]);
    if (key == "--replicas") {
      replicas = v;
    } else if (key == "--steps") {
      steps = v;
    } else if (key == "--threads") {
      threads = static_cast<int>(v);
    } else {
      std::fprintf(stderr, "error: unknown option %s (expected --replicas, --steps, --threads)\n",
                   key.c_str());
      return 2;
    }
  }
  if (replicas < 1 || steps < 1 || threads < 1) {
    std::fprintf(stderr, "error: --replicas, --steps and --threads must be positive\n");
    return 2;
  }
  omp_set_num_threads(threads);
  const core::Comm& comm = core::Comm::world();

  const core::Grid g = core::make_grid({256}, {8.0}, core::Boundary::box);
  std::vector<double> f(static_cast<std::size_t>(g.size()));
  g.for_each([&](std::int64_t i, const core::Point& q) {
    f[static_cast<std::size_t>(i)] = -0.5 * q[0] * q[0];
  });
  const tr::FreeEnergyField field = tr::make_field(g, std::move(f), tr::GradientMethod::fd4);
  tr::LangevinParameters p;
  p.diffusion = 0.25;
  p.gamma = 0.5;
  p.dt = 1e-3;
  p.seed = 7;
  p.interpolation = tr::Interpolation::linear;
  const double sd = std::sqrt(p.diffusion / p.gamma);
  tr::Ensemble e = tr::gaussian_ensemble(1, replicas, {0.0, 0.0, 0.0}, {sd, 0.0, 0.0}, 11);
  tr::advance_langevin(e, field, p, 1);  // warm-up: first touch, page faults

  comm.barrier();
  const auto t0 = std::chrono::steady_clock::now();
  tr::simulate_langevin(e, field, p, steps, 100, [](const tr::Ensemble&) {});
  comm.barrier();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  double s1 = 0.0, s2 = 0.0;
  for (double q : e.q) {
    s1 += q;
    s2 += q * q;
  }
  if (comm.root()) {
    std::printf(
        "{\"ranks\": %d, \"threads\": %d, \"replicas\": %lld, \"steps\": %lld, \"seconds\": %.6g, "
        "\"replica_steps_per_s\": %.6g, \"sum_q\": %.17g, \"sum_q2\": %.17g}\n",
        comm.size(), threads, static_cast<long long>(replicas), static_cast<long long>(steps),
        seconds, static_cast<double>(replicas) * static_cast<double>(steps) / seconds, s1, s2);
  }
  return 0;
}
