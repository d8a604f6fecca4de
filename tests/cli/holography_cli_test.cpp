// The nnworld binary on the "holography" experiment: the shipped configs run with every oracle
// passing, and bad input (a chain naming a neuron that is not on the boundary, ε ≥ 1/ρ(w), a
// negative length, chains given twice over) exits 2 with the key's FILE:LINE:COL and leaves no
// output.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_fixture.hpp"

namespace {

using namespace nnworld::cli_test;  // NOLINT(google-build-using-namespace)

using HolographyCli = CliFixture;

TEST_F(HolographyCli, ShippedRandomNetworkPassesEveryOracle) {
  const auto s = run_ok(NNWORLD_SOURCE_DIR "/experiments/holography.toml");
  EXPECT_EQ(s["status"], "ok");
  EXPECT_EQ(s["experiment"], "holography");
  EXPECT_EQ(count(s, "oracle", false), 0) << s["checks"].dump(1);
  // T10.1–T10.3, transfer, dense reference, recovery, recovery after reconnection, equilibrium.
  EXPECT_EQ(count(s, "oracle", true), 8) << s["checks"].dump(1);
  const auto& o = s["observables"];
  EXPECT_EQ(o["n_boundary"], 32);
  EXPECT_EQ(o["n_chains"], 32);
  EXPECT_EQ(o["chain_lengths"]["true"].size(), 32u);
  EXPECT_EQ(o["chain_lengths"]["recovered"].size(), 32u);
  EXPECT_LE(o["max_length_error"].get<double>(), 1e-9);
  // A permutation network is a union of cycles: ρ(ŵ) = 1.
  EXPECT_NEAR(o["spectral_radius"].get<double>(), 1.0, 1e-9);
  // (100) as printed misses the cycle correction log_ε 1/(1 − ε^Λ), which is > 0.
  const auto* printed = check(s, "(100) as printed gives the chain lengths");
  ASSERT_NE(printed, nullptr);
  EXPECT_FALSE((*printed)["passed"].get<bool>());
  EXPECT_GT(o["max_length_error_naive"].get<double>(), 1e-3);
  // 61 recorded points of each entropy; the bulk starts from equal lengths (entropy 0 or a few
  // bins) and rises.
  const auto& sb = o["bulk_entropy"];
  ASSERT_EQ(sb.size(), 61u);
  EXPECT_EQ(o["boundary_entropy"].size(), 61u);
  EXPECT_GT(sb.back().get<double>(), sb.front().get<double>() + 1.0);
  EXPECT_TRUE(o["entropy_production_correlation"].contains("ci95_lo"));
  EXPECT_EQ(o["refused_events"], 0);
}

TEST_F(HolographyCli, ShippedGivenChainsPassEveryOracle) {
  const auto s = run_ok(NNWORLD_SOURCE_DIR "/experiments/holography_chains.toml");
  EXPECT_EQ(count(s, "oracle", false), 0) << s["checks"].dump(1);
  const auto& o = s["observables"];
  EXPECT_EQ(o["source"], "given");
  EXPECT_EQ(o["n_bulk"], 19);
  // One cycle of 23 edges: (100) as printed is off by log_ε 1/(1 − ε²³) on every chain.
  const double eps = 0.8;
  const double corr = std::log(1.0 / (1.0 - std::pow(eps, 23))) / std::log(eps);
  const auto& truth = o["chain_lengths"]["true"];
  const auto& naive = o["chain_lengths"]["naive"];
  ASSERT_EQ(truth.size(), 4u);
  const int lengths[] = {3, 5, 7, 4};
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_NEAR(truth[k].get<double>(), lengths[k], 1e-12) << k;
    EXPECT_NEAR(naive[k].get<double>() - truth[k].get<double>(), corr, 1e-10) << k;
  }
  EXPECT_LE(o["max_length_error"].get<double>(), 1e-12);
}

TEST_F(HolographyCli, SameSeedGivesTheSameBitsOnOneAndTwoThreads) {
  const std::string cfg = NNWORLD_SOURCE_DIR "/experiments/holography_chains.toml";
  const std::string small = " --quiet --set holography.events=100 --set holography.replicas=9";
  ASSERT_EQ(run("run " + cfg + small + " --threads 1 --out t1").code, 0);
  ASSERT_EQ(run("run " + cfg + small + " --threads 2 --out t2").code, 0);
  auto o1 = summary("t1")["observables"];
  auto o2 = summary("t2")["observables"];
  o1.erase("timing");  // wall times
  o2.erase("timing");
  EXPECT_EQ(o1.dump(), o2.dump());
}

TEST_F(HolographyCli, ChainOffTheBoundaryIsBadInput) {
  write("cfg.toml",
        "experiment = \"holography\"\n[holography]\nn_boundary = 4\n[[holography.chains]]\n"
        "from = 0\nto = 7\nbulk = 2\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:6:6: key 'holography\.chains\[0\]\.to': neuron 7 is not on the boundary \(expected a boundary neuron 0\.\.3\))");
}

TEST_F(HolographyCli, NegativeLengthIsBadInput) {
  write("cfg.toml",
        "experiment = \"holography\"\n[holography]\nn_boundary = 4\n[[holography.chains]]\n"
        "from = 0\nto = 1\nbulk = -3\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:7:8: key 'holography\.chains\[0\]\.bulk': negative length -3 \(expected a number of bulk neurons >= 0\))");
  write("cfg.toml", "experiment = \"holography\"\n[holography.random]\nmin_bulk = -1\n");
  expect_bad_input("run cfg.toml",
                   R"(error: cfg\.toml:3:12: key 'holography\.random\.min_bulk': value -1 .*)");
}

TEST_F(HolographyCli, EpsilonAtOrAboveInverseSpectralRadiusIsBadInput) {
  // Two loops of 4 edges through neuron 0: ρ(ŵ)⁴ = 2, 1/ρ = 2^{−1/4} ≈ 0.8409.
  write("cfg.toml",
        "experiment = \"holography\"\n[holography]\nn_boundary = 2\nepsilon = 0.9\n"
        "[[holography.chains]]\nfrom = 0\nto = 0\nbulk = 3\n"
        "[[holography.chains]]\nfrom = 0\nto = 0\nbulk = 3\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:4:11: key 'holography\.epsilon': ε = 0\.9 is not below 1/ρ\(w\) = 0\.840896 \(ρ\(w\) = 1\.18921\): the series Σ εⁿwⁿ of \(99\) diverges \(expected 0 < ε < 0\.840896\))");
  // Just below 1/ρ it runs.
  const CliResult ok =
      run("run cfg.toml --quiet --strict --out r --set holography.epsilon=0.84 "
          "--set holography.events=20 --set holography.replicas=4");
  EXPECT_EQ(ok.code, 0) << ok.err;
  // Equal lengths can raise ρ: loops of 21 and 21 edges on neuron 0 (ρ = 2^{1/21}) and one
  // edge on neuron 1 become loops of 15 and 14 edges and one of 14: ρ is the root of
  // ρ⁻¹⁵ + ρ⁻¹⁴ = 1, 1.0489849 (scipy brentq), 1/ρ = 0.9533025.
  write("cfg.toml",
        "experiment = \"holography\"\n[holography]\nn_boundary = 2\nepsilon = 0.96\n"
        "[[holography.chains]]\nfrom = 0\nto = 0\nbulk = 20\n"
        "[[holography.chains]]\nfrom = 0\nto = 0\nbulk = 20\n"
        "[[holography.chains]]\nfrom = 1\nto = 1\nbulk = 0\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml: key 'holography\.start': with equal lengths ρ\(w\) = 1\.04898 and ε = 0\.96 is not below 1/ρ\(w\) = 0\.953303 \(expected start = "network" or 0 < ε < 0\.953303\))");
  // A permutation network (ρ = 1) rejects ε = 1, given on the command line.
  write("cfg.toml", "experiment = \"holography\"\n");
  expect_bad_input("run cfg.toml --set holography.epsilon=1",
                   R"(error: --set holography\.epsilon: ε = 1 is not below 1/ρ\(w\) = 1 .*)");
}

TEST_F(HolographyCli, ChainsAndRandomTogetherAreBadInput) {
  write("cfg.toml",
        "experiment = \"holography\"\n[holography]\nn_boundary = 4\n[holography.random]\n"
        "chains = 4\n[[holography.chains]]\nfrom = 0\nto = 1\nbulk = 2\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:.*key 'holography\.random': both holography\.chains and holography\.random are given \(expected one of them\))");
}

}  // namespace
