// Reconnection of chains: the cut counting, the conservation laws of the move, its stationary
// law (uniform over configurations, by the Metropolis correction), and the closed-form
// equilibrium marginal of one chain's length.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numeric>

#include "nnworld/core/rng.hpp"
#include "nnworld/holography/reconnection.hpp"

namespace nnworld::holography {
namespace {

TEST(Reconnection, CutCountMatchesEnumeration) {
  for (std::int64_t la = 0; la <= 6; ++la) {
    for (std::int64_t lb = 0; lb <= 6; ++lb) {
      for (std::int64_t s = -8; s <= 8; ++s) {
        std::int64_t n = 0;
        for (std::int64_t p = 0; p <= la; ++p) {
          for (std::int64_t q = 0; q <= lb; ++q) n += (p - q == s);
        }
        EXPECT_EQ(cut_count(la, lb, s), n) << la << " " << lb << " " << s;
      }
    }
  }
}

TEST(Reconnection, ConservesBulkNeuronsAndBoundaryDegrees) {
  ChainNetwork net{6, {{0, 3, 4}, {1, 1, 0}, {2, 5, 9}, {3, 0, 2}, {4, 2, 7}, {5, 4, 1}}};
  const std::int64_t bulk = net.n_bulk();
  std::vector<int> out_deg(6, 0), in_deg(6, 0);
  for (const Chain& c : net.chains) {
    ++out_deg[static_cast<std::size_t>(c.from)];
    ++in_deg[static_cast<std::size_t>(c.to)];
  }
  const core::RngStream rng(3, core::StreamTag::user);
  int accepted = 0;
  for (std::uint64_t step = 0; step < 2000; ++step) {
    accepted += reconnect(net, rng, step).accepted;
    ASSERT_EQ(net.n_bulk(), bulk);
    std::vector<int> o(6, 0), i(6, 0);
    for (const Chain& c : net.chains) {
      ASSERT_GE(c.bulk, 0);
      ++o[static_cast<std::size_t>(c.from)];
      ++i[static_cast<std::size_t>(c.to)];
    }
    ASSERT_EQ(o, out_deg);
    ASSERT_EQ(i, in_deg);
  }
  EXPECT_GT(accepted, 500);  // the move is not frozen
}

TEST(Reconnection, StationaryLawIsUniformOverConfigurations) {
  // m = 3 chains from boundary neurons 0, 1, 2 with heads a permutation of {0, 1, 2} and
  // N = 4 bulk neurons: 3! × C(6, 2) = 90 configurations. 20000 independent replicas, each
  // run 200 events from one start (the move mixes in a few events), give independent samples
  // of the final state: Pearson's χ² against the uniform law has 89 degrees of freedom. The
  // 1e-6 upper quantile of χ²(89) is 168 (Wilson–Hilferty).
  const int replicas = 20000;
  std::map<std::vector<std::int64_t>, int> counts;
  for (int r = 0; r < replicas; ++r) {
    ChainNetwork net{3, {{0, 0, 4}, {1, 1, 0}, {2, 2, 0}}};
    const core::RngStream rng(5, core::StreamTag::user, static_cast<std::uint64_t>(r));
    for (std::uint64_t step = 0; step < 200; ++step) (void)reconnect(net, rng, step);
    std::vector<std::int64_t> key;
    for (const Chain& c : net.chains) {
      key.push_back(c.to);
      key.push_back(c.bulk);
    }
    ++counts[key];
  }
  EXPECT_EQ(counts.size(), 90u);
  const double expected = replicas / 90.0;
  double chi2 = 0.0;
  for (const auto& [key, n] : counts) chi2 += (n - expected) * (n - expected) / expected;
  chi2 += (90.0 - static_cast<double>(counts.size())) * expected;  // states never visited
  std::printf("chi2 = %.1f over 89 dof\n", chi2);
  EXPECT_LT(chi2, 168.0);
}

TEST(Reconnection, EquilibriumMarginalClosedForms) {
  // The marginal P(L = k) sums to 1 and has mean N/m and the Beta-binomial variance; checked
  // against a brute-force count of the compositions of N into m parts (N = 9, m = 4).
  const std::int64_t n = 9, m = 4;
  std::vector<double> brute(n + 1, 0.0);
  double total = 0.0;
  for (std::int64_t a = 0; a <= n; ++a) {
    for (std::int64_t b = 0; a + b <= n; ++b) {
      for (std::int64_t c = 0; a + b + c <= n; ++c) {
        brute[static_cast<std::size_t>(a)] += 1.0;  // d = n − a − b − c
        total += 1.0;
      }
    }
  }
  const auto pmf = equilibrium_length_pmf(n, m);
  double mean = 0.0, second = 0.0;
  for (std::int64_t k = 0; k <= n; ++k) {
    EXPECT_NEAR(pmf[static_cast<std::size_t>(k)], brute[static_cast<std::size_t>(k)] / total,
                1e-14);
    mean += static_cast<double>(k) * pmf[static_cast<std::size_t>(k)];
    second += static_cast<double>(k * k) * pmf[static_cast<std::size_t>(k)];
  }
  EXPECT_NEAR(mean, static_cast<double>(n) / m, 1e-13);
  EXPECT_NEAR(second - mean * mean, equilibrium_length_variance(n, m), 1e-13);
}

TEST(Reconnection, EntropiesOfHistograms) {
  // four chains of lengths 1, 1, 2, 3: p = (1/2, 1/4, 1/4)
  const ChainNetwork net{2, {{0, 1, 1}, {1, 0, 1}, {0, 1, 2}, {1, 0, 3}}};
  EXPECT_NEAR(bulk_entropy(net), 1.5 * std::log(2.0), 1e-15);
  // ŵ_∂ with entries ε^{d+1}: d = 0, 0, 2, 5 and one zero entry (not counted)
  const double eps = 0.5;
  Eigen::MatrixXd wb(2, 3);
  wb << eps, std::pow(eps, 3), 0.0, eps, std::pow(eps, 6), 0.0;
  EXPECT_NEAR(boundary_entropy(wb, eps, 1.0), 1.5 * std::log(2.0), 1e-15);
  // bins of width 4 centred on 0, 4, …: d = 0, 0 in [−2, 2) and d = 2, 5 in [2, 6)
  EXPECT_NEAR(boundary_entropy(wb, eps, 4.0), std::log(2.0), 1e-15);
}

}  // namespace
}  // namespace nnworld::holography
