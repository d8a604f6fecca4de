// The boundary map (99) at scale against the literal dense form, the closed-form transfer of
// chains, the recovery of chain lengths from boundary data, ρ(ŵ), and the input checks.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <numeric>
#include <string>

#include "nnworld/core/error.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/holography/chains.hpp"

namespace nnworld::holography {
namespace {

// A permutation network: boundary neuron i starts one chain and ends one, heads in a seeded
// random order, lengths uniform in [lo, hi]. Its boundary graph is a union of cycles.
ChainNetwork random_permutation_network(std::int64_t nb, std::int64_t lo, std::int64_t hi,
                                        std::uint64_t seed) {
  const core::RngStream rng(seed, core::StreamTag::user);
  std::vector<std::int64_t> heads(static_cast<std::size_t>(nb));
  std::iota(heads.begin(), heads.end(), 0);
  for (std::int64_t i = nb - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(
        rng.below(0, static_cast<std::uint64_t>(i), static_cast<std::uint64_t>(i + 1)));
    std::swap(heads[static_cast<std::size_t>(i)], heads[static_cast<std::size_t>(j)]);
  }
  ChainNetwork net{nb, {}};
  for (std::int64_t i = 0; i < nb; ++i) {
    const auto len =
        lo + static_cast<std::int64_t>(rng.below(1, static_cast<std::uint64_t>(i),
                                                 static_cast<std::uint64_t>(hi - lo + 1)));
    net.chains.push_back({i, heads[static_cast<std::size_t>(i)], len});
  }
  return net;
}

double max_abs(const Eigen::MatrixXd& m) {
  return m.cwiseAbs().maxCoeff();
}

TEST(BoundaryMap, SparseMatchesDenseOnCyclicNetworks) {
  // Both are backward-stable solves of the same system; their difference is bounded by
  // κ(I − C)·ε_mach·‖ŵ_∂‖ with κ ≲ 10 here (ρ(C) ≤ 0.5^5): 1e-13 of the largest entry.
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const ChainNetwork net = random_permutation_network(12, 0, 6, seed);
    const auto w = weight_matrix(net);
    const double eps = 0.5;
    const BoundaryMap m = boundary_map(w, net.n_boundary, eps);
    const Eigen::MatrixXd dense = boundary_map_dense(Eigen::MatrixXd(w), net.n_boundary, eps);
    EXPECT_LE(max_abs(m.w_boundary - dense), 1e-13 * max_abs(dense)) << "seed " << seed;
    // C is exactly Σ ε^{L+1} per chain: L + 1 rounded products against one pow
    const Eigen::MatrixXd c = chain_transfer(net, eps);
    EXPECT_LE(max_abs(m.transfer - c), 1e-15 * max_abs(c));
    EXPECT_LT(m.rho_bound, 1.0);
    EXPECT_EQ(m.bulk_sweeps, 6);  // the longest chain has 6 bulk neurons + the last edge
  }
}

TEST(BoundaryMap, RecoversChainLengthsFromBoundaryData) {
  // ŵ_∂ mixes composite paths and cycle corrections into every entry; C = ŵ_∂ (I + ŵ_∂)⁻¹
  // gives back ε^{L+1} on each chain and 0 elsewhere. Error of d: δC/(C |ln ε|) with
  // δC ~ 1e-16·‖ŵ_∂‖ and C ≥ ε^9 = 2e-3: < 1e-12.
  const ChainNetwork net = random_permutation_network(16, 0, 8, 7);
  const double eps = 0.5;
  const BoundaryMap m = boundary_map(weight_matrix(net), net.n_boundary, eps);
  const Eigen::MatrixXd c = direct_transfer(m.w_boundary);
  const Eigen::MatrixXd d = chain_distance(c, eps);
  const Eigen::MatrixXd naive = chain_distance(m.w_boundary, eps);
  double worst = 0.0, worst_naive = 0.0;
  Eigen::MatrixXi is_chain = Eigen::MatrixXi::Zero(16, 16);
  for (const Chain& ch : net.chains) {
    is_chain(ch.to, ch.from) = 1;
    worst = std::max(worst, std::abs(d(ch.to, ch.from) - static_cast<double>(ch.bulk)));
    worst_naive =
        std::max(worst_naive, std::abs(naive(ch.to, ch.from) - static_cast<double>(ch.bulk)));
  }
  EXPECT_LT(worst, 1e-12);
  // the printed (100) on ŵ_∂ itself is off by the cycle correction log_ε 1/(1 − ε^Λ) > 0
  EXPECT_GT(worst_naive, 1e-6);
  // off the chains, C is round-off: below 1e-15 of the largest entry
  for (Eigen::Index j = 0; j < 16; ++j) {
    for (Eigen::Index i = 0; i < 16; ++i) {
      if (!is_chain(i, j)) {
        EXPECT_LE(std::abs(c(i, j)), 1e-15 * max_abs(c));
      }
    }
  }
}

TEST(BoundaryMap, CyclicBulkConvergesToTheDenseInverse) {
  // A bulk cycle (not made of chains): boundary 0 → bulk 2 → bulk 3 → bulk 2 …, 3 → boundary 1.
  // The bulk iteration is then geometric and stops at a relative 1e-17.
  Eigen::MatrixXd w = Eigen::MatrixXd::Zero(4, 4);
  w(2, 0) = 1.0;
  w(3, 2) = 1.0;
  w(2, 3) = 0.5;
  w(1, 3) = 1.0;
  const double eps = 0.9;
  const BoundaryMap m = boundary_map(w.sparseView(), 2, eps);
  const Eigen::MatrixXd dense = boundary_map_dense(w, 2, eps);
  // closed form: ŵ_∂[1,0] = ε³ / (1 − 0.5 ε²)
  const double exact = std::pow(eps, 3) / (1.0 - 0.5 * eps * eps);
  EXPECT_NEAR(m.w_boundary(1, 0), exact, 1e-15);
  EXPECT_NEAR(dense(1, 0), exact, 1e-15);
  EXPECT_GT(m.bulk_sweeps, 10);
}

TEST(BoundaryMap, SpectralRadiusAndTheEpsilonBound) {
  // two loops on boundary neuron 0, each through L = 3 bulk neurons: C = 2ε⁴, so
  // ρ(ŵ) = 2^{1/4} (closed form); ε just below 1/ρ works, just above is an error.
  const ChainNetwork net{1, {{0, 0, 3}, {0, 0, 3}}};
  const double rho = std::pow(2.0, 0.25);
  EXPECT_NEAR(spectral_radius(net), rho, 1e-12 * rho);
  const auto w = weight_matrix(net);
  EXPECT_NO_THROW((void)boundary_map(w, 1, 0.999 / rho));
  try {
    (void)boundary_map(w, 1, 1.001 / rho);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what_).find("1/ρ(w)"), std::string::npos) << e.what_;
  }
  // an acyclic network has ρ = 0: any ε is allowed
  EXPECT_EQ(spectral_radius(ChainNetwork{3, {{0, 1, 2}, {1, 2, 2}}}), 0.0);
  EXPECT_NO_THROW((void)boundary_map(weight_matrix(ChainNetwork{3, {{0, 1, 2}}}), 3, 5.0));
}

TEST(BoundaryMap, BitIdenticalForOneAndTwoThreads) {
  const ChainNetwork net = random_permutation_network(40, 0, 30, 11);
  const auto w = weight_matrix(net);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const BoundaryMap one = boundary_map(w, net.n_boundary, 0.8);
  omp_set_num_threads(2);
  const BoundaryMap two = boundary_map(w, net.n_boundary, 0.8);
  omp_set_num_threads(saved);
  EXPECT_EQ(one.w_boundary, two.w_boundary);
  EXPECT_EQ(one.transfer, two.transfer);
}

TEST(ChainNetwork, WeightsAndProjections) {
  const ChainNetwork net{3, {{0, 1, 2}, {1, 1, 0}}};
  EXPECT_EQ(net.n(), 5);
  const Eigen::MatrixXd w(weight_matrix(net));
  // 0 → 3 → 4 → 1, and the one-edge loop 1 → 1
  Eigen::MatrixXd expected = Eigen::MatrixXd::Zero(5, 5);
  expected(3, 0) = expected(4, 3) = expected(1, 4) = expected(1, 1) = 1.0;
  EXPECT_EQ(w, expected);
  const Projections p = projections(net);
  EXPECT_EQ(p.boundary.rows(), 3);
  EXPECT_EQ(p.in.rows(), 2);   // neurons 0 and 1 start chains
  EXPECT_EQ(p.out.rows(), 1);  // only neuron 1 ends one
  EXPECT_EQ(Eigen::MatrixXd(p.out)(0, 1), 1.0);
}

TEST(ChainNetwork, BadChainsAreNamed) {
  auto message = [](const ChainNetwork& net) {
    try {
      net.validate();
    } catch (const Error& e) {
      return e.where + ": " + e.what_;
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(ChainNetwork{4, {{0, 1, 3}, {2, 7, 1}}}),
            "chain 1 (2 → 7, 1 bulk): neuron 7 is not on the boundary");
  EXPECT_EQ(message(ChainNetwork{4, {{0, 1, -2}}}), "chain 0 (0 → 1, -2 bulk): negative length");
}

}  // namespace
}  // namespace nnworld::holography
