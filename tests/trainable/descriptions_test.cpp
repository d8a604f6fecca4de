// Which description do the replicas obey (trainable/descriptions.hpp), and the measurements of
// trainable/network_measures.hpp, on inputs with known answers:
//   * the null law of χ²/dof: the moments of t² for a t-distribution with ν degrees of freedom;
//   * injection–recovery of the one-step test: replicas that perform an exact discrete
//     Ornstein–Uhlenbeck walk (no network) obey the Fokker–Planck step within the null law, and
//     the Madelung continuity on the same data is far outside it;
//   * τ_x of a linear network, (1 + ρ)/(1 − ρ) with ρ the spectral radius of ŵ_ff computed here
//     independently by Eigen's eigenvalue solver;
//   * loop integrals of hand-made paths, and the phase statistic R of integers and half-integers.
#include "nnworld/trainable/descriptions.hpp"

#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <cmath>
#include <vector>

#include "nnworld/core/rng.hpp"
#include "nnworld/trainable/kramers_moyal.hpp"
#include "nnworld/trainable/network_ensemble.hpp"
#include "nnworld/trainable/network_measures.hpp"

namespace nnworld::trainable {
namespace {

TEST(Descriptions, NullLawIsTheMomentsOfStudentsTSquared) {
  // t with ν degrees of freedom: E[t²] = ν/(ν − 2), Var[t²] = 2ν²(ν − 1)/((ν − 2)²(ν − 4)).
  const NullLaw n = null_law(31, 400, 3.0);
  EXPECT_NEAR(n.expected, 31.0 / 29.0, 1e-15);
  const double var = 2.0 * 31.0 * 31.0 * 30.0 / (29.0 * 29.0 * 27.0);
  EXPECT_NEAR(n.tolerance, 3.0 * std::sqrt(var * 3.0 / 400.0), 1e-15);
  EXPECT_TRUE(std::isnan(null_law(4, 400, 1.0).expected));  // ν ≤ 4: no variance
  EXPECT_TRUE(std::isnan(null_law(31, 0, 1.0).tolerance));
}

// q ← (1 − η) q + η μ + s ξ: KM drift a = −η(q − μ) = η ∇F with F = −½(q − μ)², D = s²/2.
std::vector<ReplicaRecord> ou_records(std::int64_t m, std::int64_t steps, std::int64_t every,
                                      KramersMoyal& km, const FreeEnergyField& field) {
  const double eta = 0.1, mu = 0.2, s = 0.03;
  Ensemble e = gaussian_ensemble(1, m, {0.5, 0, 0}, {0.05, 0, 0}, 9);
  const core::RngStream rng(9, core::StreamTag::user, 7);
  std::vector<ReplicaRecord> records;
  auto record = [&] {
    ReplicaRecord r;
    r.time = e.time;
    r.q = e.q;
    for (double q : e.q) r.f.push_back(-0.5 * (q - mu) * (q - mu));
    records.push_back(std::move(r));
  };
  record();
  for (std::int64_t t = 0; t < steps; ++t) {
    const Ensemble before = e;
    for (std::int64_t r = 0; r < m; ++r) {
      auto& q = e.q[static_cast<std::size_t>(r)];
      q = (1.0 - eta) * q + eta * mu +
          s * rng.normal(static_cast<std::uint64_t>(r), static_cast<std::uint64_t>(t));
    }
    e.step += 1;
    e.time += 1.0;
    km.add(before, e, field);
    if (records.back().q_next.empty() && records.back().time == static_cast<double>(t))
      records.back().q_next = e.q;
    if ((t + 1) % every == 0) record();
  }
  return records;
}

TEST(Descriptions, ExactOrnsteinUhlenbeckReplicasObeyFokkerPlanckNotMadelung) {
  const core::Grid grid = core::make_grid({96}, {0.6}, core::Boundary::box);
  std::vector<double> f;
  for (std::int64_t i = 0; i < grid.size(); ++i) {
    const double q = grid.coordinate(0, i);
    f.push_back(-0.5 * (q - 0.2) * (q - 0.2));
  }
  const FreeEnergyField field = make_field(grid, f, GradientMethod::fd4);
  KramersMoyal km(grid, 1.0);
  const auto records = ou_records(20000, 60, 2, km, field);
  DescriptionOptions o;
  o.grid = grid;
  o.groups = 32;
  o.min_count = 30;
  const DescriptionResult d = compare_descriptions(records, km.result(), o);
  ASSERT_GT(d.fokker_planck.dof, 100);
  const NullLaw law = null_law(d.jackknife_dof, d.fokker_planck.dof, d.step_correlation);
  EXPECT_LE(d.fokker_planck.per_dof(), law.expected + law.tolerance)
      << "Fokker–Planck χ²/dof " << d.fokker_planck.per_dof() << ", null " << law.expected << " ± "
      << law.tolerance;
  EXPECT_GT(d.continuity.per_dof(), law.expected + 10.0 * law.tolerance)
      << "Madelung continuity χ²/dof " << d.continuity.per_dof();
}

TEST(NetworkMeasures, HiddenRelaxationTimeOfALinearNetwork) {
  // Linear f: Ĵ = ŵ everywhere, so τ_x = (1 + ρ)/(1 − ρ) with ρ = ρ(ŵ_ff), ff = the neurons
  // (1) updates (all but the inputs).
  network::Network net;
  const int n = 5;
  net.activation = network::ActivationKind::linear;
  net.b = network::Vector::Zero(n);
  network::DenseWeights w(n, n);
  const core::RngStream rng(21, core::StreamTag::init, 0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      w(i, j) = 0.3 * rng.normal(static_cast<std::uint64_t>(i), static_cast<std::uint64_t>(j));
  net.w = w;
  net.inputs = {0};
  net.outputs = {4};
  const Subspace sub =
      orthonormal_subspace(net, {std::vector<double>(static_cast<std::size_t>(n + n * n), 1.0)});
  const Ensemble start = gaussian_ensemble(1, 16, {0, 0, 0}, {1e-300, 0, 0}, 1);
  NetworkEnsembleOptions opt;
  const NetworkEnsemble e(sub, start, opt);
  network::Dataset data;
  data.rows = Eigen::MatrixXd::Constant(2, 2, 0.5);
  const std::vector<Eigen::Index> rows{0, 1};
  const HiddenRelaxation h = hidden_relaxation_time(e, data, rows, 16);
  const Eigen::MatrixXd wff =
      Eigen::MatrixXd(network::to_dense(net.w)).bottomRightCorner(n - 1, n - 1);
  const double rho = Eigen::EigenSolver<Eigen::MatrixXd>(wff).eigenvalues().cwiseAbs().maxCoeff();
  ASSERT_LT(rho, 1.0);
  EXPECT_NEAR(h.rho_max, rho, 1e-10);
  EXPECT_NEAR(h.tau.mean, (1.0 + rho) / (1.0 - rho), 1e-9);
  EXPECT_EQ(h.not_contracting, 0);
}

TEST(NetworkMeasures, LoopIntegralsOfHandMadePaths) {
  // Replica 0 returns within ε after 3 records with one neuron added and removed; replica 1
  // never returns.
  std::vector<ReplicaRecord> rec(5);
  const double q0[] = {0.0, 1.0, 2.0, 0.01, 3.0};
  const double q1[] = {0.0, 0.5, 1.0, 1.5, 2.0};
  const double f0[] = {0.0, 5.0, 7.0, 0.3, 9.0};
  const std::int32_t n0[] = {4, 5, 5, 4, 4};
  for (int t = 0; t < 5; ++t) {
    rec[t].time = t;
    rec[t].q = {q0[t], q1[t]};
    rec[t].f = {f0[t], 0.0};
    rec[t].neurons = {n0[t], 4};
  }
  const auto loops = loop_integrals(rec, 0.05, 3);
  ASSERT_EQ(loops.size(), 1u);
  EXPECT_EQ(loops[0].replica, 0);
  EXPECT_EQ(loops[0].from, 0);
  EXPECT_EQ(loops[0].to, 3);
  EXPECT_NEAR(loops[0].integral, 0.3, 1e-15);
  EXPECT_EQ(loops[0].neuron_changes, 2);
  EXPECT_TRUE(loop_integrals(rec, 0.05, 4).empty());  // the loop spans 3 records, not 4
}

TEST(NetworkMeasures, IntegerPhaseIsOneOnIntegersAndMinusOneOnHalfIntegers) {
  const std::vector<double> ints{1.0, -2.0, 3.0, 0.0};
  EXPECT_NEAR(integer_phase(ints).mean, 1.0, 1e-15);
  const std::vector<double> halves{0.5, 1.5, -2.5};
  EXPECT_NEAR(integer_phase(halves).mean, -1.0, 1e-15);
}

TEST(NetworkMeasures, FirstHiddenMaskKeepsTheBoundary) {
  network::Network net;
  net.activation = network::ActivationKind::tanh;
  net.b = network::Vector::Zero(6);
  net.w = network::DenseWeights(network::DenseWeights::Zero(6, 6));
  net.inputs = {0, 1};
  net.outputs = {4, 5};
  const Subspace sub = orthonormal_subspace(net, {std::vector<double>(42, 1.0)});
  EXPECT_EQ(sub.first_hidden_mask(1), (std::vector<std::uint8_t>{1, 1, 1, 0, 1, 1}));
  EXPECT_EQ(sub.first_hidden_mask(0), (std::vector<std::uint8_t>{1, 1, 0, 0, 1, 1}));
  EXPECT_EQ(sub.first_hidden_mask(-1), (std::vector<std::uint8_t>(6, 1)));
}

}  // namespace
}  // namespace nnworld::trainable
