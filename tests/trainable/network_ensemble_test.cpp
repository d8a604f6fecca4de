// Ensembles of learning networks (trainable/network_ensemble.hpp): the batched SGD step against
// network::loss_gradient on the same mini-batches (frozen and trained, bulk and boundary loss),
// bit-identical results for 1 and 2 threads, the pipeline oracle of shared/physics/bridges.md §1
// (an exact discrete Ornstein–Uhlenbeck walk of q = b_o), the clamped free energy against its
// closed form for a linear network, and the neuron exchange's bookkeeping.
#include "nnworld/trainable/network_ensemble.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "nnworld/core/error.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/network/learning.hpp"
#include "nnworld/trainable/ensemble_measure.hpp"

namespace nnworld::trainable {
namespace {

// A tanh network of N = 6: inputs {0, 1}, hidden {2, 3}, outputs {4, 5}; dense weights.
network::Network small_network(network::ActivationKind f = network::ActivationKind::tanh) {
  network::Network net;
  const int n = 6;
  net.activation = f;
  net.b = network::Vector(n);
  network::DenseWeights w(n, n);
  const core::RngStream rng(7, core::StreamTag::init, 0);
  for (int i = 0; i < n; ++i) {
    net.b[i] = 0.1 * rng.normal(0, static_cast<std::uint64_t>(i));
    for (int j = 0; j < n; ++j)
      w(i, j) = 0.4 * rng.normal(1 + static_cast<std::uint64_t>(i), static_cast<std::uint64_t>(j));
  }
  net.w = w;
  net.inputs = {0, 1};
  net.outputs = {4, 5};
  return net;
}

std::vector<double> random_direction(std::int64_t p, std::uint64_t k) {
  const core::RngStream rng(11, core::StreamTag::init, 100 + k);
  std::vector<double> d(static_cast<std::size_t>(p));
  for (std::int64_t i = 0; i < p; ++i)
    d[static_cast<std::size_t>(i)] = rng.normal(0, static_cast<std::uint64_t>(i));
  return d;
}

Subspace two_directions(const network::Network& net) {
  const std::int64_t p = net.n() + net.n() * net.n();
  return orthonormal_subspace(net, {random_direction(p, 0), random_direction(p, 1)});
}

TEST(NetworkEnsemble, SubspaceIsOrthonormalAndThetaRoundTrips) {
  const Subspace s = two_directions(small_network());
  ASSERT_EQ(s.dims(), 2);
  for (int a = 0; a < 2; ++a) {
    for (int b = 0; b < 2; ++b) {
      double dot = 0.0;
      for (std::size_t i = 0; i < s.axes[0].size(); ++i) dot += s.axes[a][i] * s.axes[b][i];
      EXPECT_NEAR(dot, a == b ? 1.0 : 0.0, 1e-14);
    }
  }
  const std::vector<double> q{0.3, -0.7};
  const auto t = s.theta_at(q);
  const auto t0 = s.theta_at(std::vector<double>{0.0, 0.0});
  for (int a = 0; a < 2; ++a) {
    double proj = 0.0;
    for (std::size_t i = 0; i < t.size(); ++i) proj += s.axes[a][i] * (t[i] - t0[i]);
    EXPECT_NEAR(proj, q[static_cast<std::size_t>(a)], 1e-14);
  }
  // A dependent direction is refused.
  const std::int64_t p = 42;
  auto d = random_direction(p, 0);
  EXPECT_THROW((void)orthonormal_subspace(small_network(), {d, d}), nnworld::Error);
}

// The mean gradient of the library's loss over the rows the ensemble draws for replica r.
std::vector<double> reference_gradient(const network::Network& net, const network::Dataset& data,
                                       std::uint64_t seed, std::int64_t r, std::uint64_t step,
                                       std::int64_t batch, int relax, network::LossKind kind) {
  const core::RngStream rng(seed, core::StreamTag::minibatch, static_cast<std::uint64_t>(r));
  const auto n = net.n();
  std::vector<double> g(static_cast<std::size_t>(n + n * n), 0.0);
  for (std::int64_t k = 0; k < batch; ++k) {
    const auto row = static_cast<Eigen::Index>(rng.below(
        step, static_cast<std::uint64_t>(k), static_cast<std::uint64_t>(data.rows.rows())));
    const network::Vector x = relaxed_state(net, data, row, relax);
    const network::LossGradient lg = network::loss_gradient(net, x, kind);
    const network::DenseWeights dw = network::to_dense(lg.dw);
    for (std::int64_t i = 0; i < n; ++i) {
      g[static_cast<std::size_t>(i)] += lg.db[i] / static_cast<double>(batch);
      for (std::int64_t j = 0; j < n; ++j)
        g[static_cast<std::size_t>(n + i * n + j)] += dw(i, j) / static_cast<double>(batch);
    }
  }
  return g;
}

TEST(NetworkEnsemble, StepIsSgdOnTheLibraryLossGradient) {
  const network::Network net = small_network();
  const network::Dataset data = network::synthetic_dataset("teacher", net, 40, 3, 5);
  for (const auto kind : {network::LossKind::bulk, network::LossKind::boundary}) {
    for (const bool train_all : {false, true}) {
      const Subspace sub = two_directions(net);
      NetworkEnsembleOptions o;
      o.step = 0.01;
      o.batch = 5;
      o.relax_steps = 4;
      o.loss = kind;
      o.train_all = train_all;
      o.seed = 9;
      const Ensemble start = gaussian_ensemble(2, 6, {0.2, -0.1, 0.0}, {0.3, 0.3, 0.0}, 5);
      NetworkEnsemble e(sub, start, o);
      std::vector<std::vector<double>> before;
      for (std::int64_t r = 0; r < 6; ++r) {
        const auto t = e.theta(r);
        before.emplace_back(t.begin(), t.end());
      }
      e.step(data);
      for (std::int64_t r = 0; r < 6; ++r) {
        const network::Network nr = sub.network_of(before[static_cast<std::size_t>(r)]);
        const auto g = reference_gradient(nr, data, 9, r, 0, 5, 4, kind);
        const auto after = e.theta(r);
        if (train_all) {
          for (std::size_t i = 0; i < g.size(); ++i) {
            EXPECT_NEAR(after[i], before[static_cast<std::size_t>(r)][i] - 0.01 * g[i], 1e-14);
          }
        } else {
          // q ← q − η Dᵀg, θ = θ(q): θ moves by −η Σ_k (d_k·g) d_k.
          for (std::size_t i = 0; i < g.size(); ++i) {
            double step = 0.0;
            for (int a = 0; a < 2; ++a) {
              double dg = 0.0;
              for (std::size_t j = 0; j < g.size(); ++j) dg += sub.axes[a][j] * g[j];
              step += dg * sub.axes[a][i];
            }
            EXPECT_NEAR(after[i], before[static_cast<std::size_t>(r)][i] - 0.01 * step, 1e-13);
          }
        }
        // q is the projection of θ − θ₀ either way.
        const auto pos = e.positions();
        const auto t0 = sub.theta_at(std::vector<double>{0.0, 0.0});
        for (int a = 0; a < 2; ++a) {
          double proj = 0.0;
          for (std::size_t i = 0; i < g.size(); ++i) proj += sub.axes[a][i] * (after[i] - t0[i]);
          EXPECT_NEAR(pos.q[static_cast<std::size_t>(r * 2 + a)], proj, 1e-12);
        }
      }
    }
  }
}

TEST(NetworkEnsemble, BitIdenticalForOneAndTwoThreads) {
  const network::Network net = small_network();
  const network::Dataset data = network::synthetic_dataset("teacher", net, 40, 3, 5);
  NetworkEnsembleOptions o;
  o.train_all = true;
  o.adapt.mode = Adaptation::step_size;
  o.adapt.target = 1e-3;
  o.neurons.enabled = true;
  o.neurons.every = 2;
  o.neurons.free_energy.rows = {0, 1};
  auto run = [&](int threads) {
    omp_set_num_threads(threads);
    NetworkEnsemble e(two_directions(net), gaussian_ensemble(2, 64, {}, {0.3, 0.3, 0.0}, 5), o);
    for (int s = 0; s < 6; ++s) e.step(data);
    std::vector<double> all;
    for (std::int64_t r = 0; r < e.replicas(); ++r) {
      const auto t = e.theta(r);
      all.insert(all.end(), t.begin(), t.end());
      all.push_back(static_cast<double>(e.active_hidden(r)));
      all.push_back(e.step_size()[static_cast<std::size_t>(r)]);
    }
    return all;
  };
  const auto one = run(1), two = run(2);
  omp_set_num_threads(omp_get_num_procs());
  ASSERT_EQ(one.size(), two.size());
  for (std::size_t i = 0; i < one.size(); ++i) ASSERT_EQ(one[i], two[i]) << i;
}

// bridges.md §1: a linear output neuron o, the boundary loss (4), q = b_o, everything else
// frozen: per sample the loss is ½(ŵ_o·x_in + q − y)², so SGD is exactly
//   q ← (1 − η) q + η z̄_B,  z_s = y_s − ŵ_o·x_s,
// an AR(1) whose mean and variance after t steps from q₀ are
//   μ_z + (1 − η)^t (q₀ − μ_z),   η σ_z² (1 − (1 − η)^{2t}) / (B (2 − η)).
TEST(NetworkEnsemble, PipelineOracleIsAnExactOrnsteinUhlenbeckWalk) {
  network::Network net;
  net.activation = network::ActivationKind::linear;
  net.b = network::Vector::Zero(4);
  network::DenseWeights w = network::DenseWeights::Zero(4, 4);
  w(3, 0) = 0.7;  // output 3 reads input 0 (and input 1 with −0.4)
  w(3, 1) = -0.4;
  net.w = w;
  net.inputs = {0, 1};
  net.outputs = {3};
  // Data: inputs and targets with a known z = y − ŵ_o·x.
  const std::int64_t n = 64;
  network::Dataset data;
  data.rows = network::Matrix(n, 3);
  const core::RngStream rng(21, core::StreamTag::dataset, 0);
  for (std::int64_t s = 0; s < n; ++s) {
    data.rows(s, 0) = rng.uniform(0, static_cast<std::uint64_t>(s)) * 2.0 - 1.0;
    data.rows(s, 1) = rng.uniform(1, static_cast<std::uint64_t>(s)) * 2.0 - 1.0;
    data.rows(s, 2) = 0.5 + 1.7 * rng.normal(2, static_cast<std::uint64_t>(s));
  }
  double mz = 0.0, vz = 0.0;
  for (std::int64_t s = 0; s < n; ++s)
    mz += (data.rows(s, 2) - 0.7 * data.rows(s, 0) + 0.4 * data.rows(s, 1)) / n;
  for (std::int64_t s = 0; s < n; ++s) {
    const double z = data.rows(s, 2) - 0.7 * data.rows(s, 0) + 0.4 * data.rows(s, 1);
    vz += (z - mz) * (z - mz) / n;  // population variance
  }
  std::vector<double> d(4 + 16, 0.0);
  d[3] = 1.0;  // b_o
  NetworkEnsembleOptions o;
  o.step = 0.1;
  o.batch = 8;
  o.relax_steps = 3;
  o.loss = network::LossKind::boundary;
  o.seed = 4;
  const std::int64_t m = 20000;
  NetworkEnsemble e(orthonormal_subspace(net, {d}), gaussian_ensemble(1, m, {2.0}, {0.0}, 1), o);
  const int steps = 30;
  for (int t = 0; t < steps; ++t) e.step(data);
  const Moments mo = moments(e.positions());
  const double decay = std::pow(1.0 - o.step, steps);
  const double mean = mz + decay * (2.0 - mz);
  const double var = o.step * vz * (1.0 - decay * decay) / (8.0 * (2.0 - o.step));
  // 5 standard errors of the sample mean and of the sample variance (kurtosis from the sample).
  EXPECT_NEAR(mo.mean[0], mean, 5.0 * std::sqrt(var / m));
  EXPECT_NEAR(mo.covariance[0][0], var, 5.0 * mo.variance_se[0]);
}

// Linear f, b = 0, boundary clamped: H is quadratic in x_h, so Laplace is the exact Gaussian
// integral F = H(x*) + (N_h/2β) log(β/2π) + (1/2β) log det ∇²_hh H.
TEST(ClampedFreeEnergy, LinearNetworkIsExactAndSamplingAgrees) {
  network::Network net = small_network(network::ActivationKind::linear);
  net.b.setZero();
  const network::Dataset data = network::synthetic_dataset("gaussian", net, 4, 3, 5);
  FreeEnergyOptions o;
  o.beta = 3.0;
  o.rows = {0};
  const double lap = data_free_energy(net, data, o);
  // Closed form: H = ½|(I − W)x|² with x = (x_∂, x_h): ∇²_hh H = [(I − W)ᵀ(I − W)]_hh.
  const network::Matrix a =
      network::Matrix::Identity(6, 6) - network::to_dense(net.w).cast<double>();
  const network::Matrix g = a.transpose() * a;
  const std::vector<int> h{2, 3}, bnd{0, 1, 4, 5};
  network::Matrix ghh(2, 2), ghb(2, 4);
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) ghh(i, j) = g(h[i], h[j]);
    for (int j = 0; j < 4; ++j) ghb(i, j) = g(h[i], bnd[j]);
  }
  network::Vector xb(4);
  xb << data.rows(0, 0), data.rows(0, 1), data.rows(0, 2), data.rows(0, 3);
  const network::Vector xh = -ghh.ldlt().solve(ghb * xb);
  network::Vector x(6);
  x << xb[0], xb[1], xh[0], xh[1], xb[2], xb[3];
  const double hmin = 0.5 * (a * x).squaredNorm();
  const double exact = hmin + 2.0 / (2.0 * 3.0) * std::log(3.0 / (2.0 * std::numbers::pi)) +
                       std::log(ghh.determinant()) / (2.0 * 3.0);
  EXPECT_NEAR(lap, exact, 1e-12);
  // Importance sampling from the Laplace Gaussian is exact for a Gaussian integrand (weights 1).
  o.clamped.samples = 200;
  EXPECT_NEAR(data_free_energy(net, data, o), exact, 1e-12);
}

TEST(NetworkEnsemble, ExchangeKeepsTheNeuronBookkeeping) {
  network::Network net = small_network();
  const network::Dataset data = network::synthetic_dataset("teacher", net, 40, 3, 5);
  NetworkEnsembleOptions o;
  o.neurons.enabled = true;
  o.neurons.every = 1;
  o.neurons.chemical_potential = 5.0;  // a reservoir that favours neurons
  o.neurons.min_active = 1;
  o.neurons.free_energy.rows = {0, 1, 2};
  NetworkEnsemble e(two_directions(net), gaussian_ensemble(2, 50, {}, {0.2, 0.2, 0.0}, 5), o, 1);
  for (std::int64_t r = 0; r < 50; ++r) EXPECT_EQ(e.active_hidden(r), 1);
  for (int s = 0; s < 8; ++s) e.step(data);
  std::int64_t total = 0;
  for (std::int64_t r = 0; r < 50; ++r) {
    const std::int64_t a = e.active_hidden(r);
    EXPECT_GE(a, 1);
    EXPECT_LE(a, 2);
    total += a;
    // An inactive neuron carries no weights; the network of a replica has its active neurons.
    const auto act = e.active(r);
    const auto th = e.theta(r);
    for (std::int64_t i = 0; i < 6; ++i) {
      if (act[static_cast<std::size_t>(i)] != 0) continue;
      EXPECT_EQ(th[static_cast<std::size_t>(i)], 0.0);
      for (std::int64_t j = 0; j < 6; ++j) {
        EXPECT_EQ(th[static_cast<std::size_t>(6 + i * 6 + j)], 0.0);
        EXPECT_EQ(th[static_cast<std::size_t>(6 + j * 6 + i)], 0.0);
      }
    }
    EXPECT_EQ(e.network(r).n(), 4 + a);
  }
  EXPECT_EQ(total - 50, e.neurons_added() - e.neurons_removed());
  EXPECT_GT(e.neurons_added(), 0);
}

}  // namespace
// The pipeline oracle's law against its own recursion, computed independently: one SGD step of
// the AR(1) q ← (1 − η)q + η z̄_B maps mean m to μ_z + (1 − η)(m − μ_z) and variance v to
// (1 − η)²v + η²σ_z²/B; the cell densities of the law sum to 1 over a grid of ±12 sd.
TEST(OutputBiasWalk, LawFollowsTheOneStepRecursion) {
  trainable::OutputBiasWalk walk;
  walk.mu_z = 0.3;
  walk.sigma_z_squared = 2.5;
  walk.eta = 0.2;
  walk.batch = 4.0;
  double m = -1.0, v = 0.04;  // q₀ = −1, w₀ = 0.2
  for (int t = 0; t <= 40; ++t) {
    EXPECT_NEAR(walk.mean(t, -1.0), m, 1e-14) << t;
    EXPECT_NEAR(walk.variance(t, 0.2), v, 1e-14) << t;
    m = walk.mu_z + (1.0 - walk.eta) * (m - walk.mu_z);
    v = (1.0 - walk.eta) * (1.0 - walk.eta) * v +
        walk.eta * walk.eta * walk.sigma_z_squared / walk.batch;
  }
  EXPECT_DOUBLE_EQ(walk.diffusion(), 0.2 * 0.2 * 2.5 / 8.0);
  const double sd = std::sqrt(walk.variance(7.0, 0.2));
  const double half = std::abs(walk.mean(7.0, -1.0)) + 12.0 * sd;  // the grid is [−L, L)
  const core::Grid grid = core::make_grid({4000}, {half}, core::Boundary::box);
  const std::vector<double> p = walk.cell_density(grid, 7.0, -1.0, 0.2);
  double total = 0.0;
  for (double x : p) total += x * grid.spacing(0);
  EXPECT_NEAR(total, 1.0, 1e-12);
}

}  // namespace nnworld::trainable
