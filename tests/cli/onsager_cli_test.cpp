// The nnworld binary on the "onsager" experiment: the shipped configs pass every oracle (the
// corrected (92) identity, the conformal closed forms) while the paper's (91) claim fails, and
// bad input (dimension 4, φ naming an unknown coordinate) exits 2 with the key's FILE:LINE:COL
// and leaves no output.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "cli_fixture.hpp"

namespace {

using namespace nnworld::cli_test;  // NOLINT(google-build-using-namespace)

class OnsagerCli : public CliFixture {};

TEST_F(OnsagerCli, ShippedConfigPassesOraclesAndThePrintedFormFails) {
  const auto s = run_ok(NNWORLD_SOURCE_DIR "/experiments/onsager.toml");
  EXPECT_EQ(s["status"], "ok");
  EXPECT_EQ(count(s, "oracle", false), 0) << s["checks"].dump(1);
  EXPECT_EQ(count(s, "oracle", true), 2);  // seed 1, and every seed of 1, 2, 3
  EXPECT_EQ(count(s, "claim", false), 1) << s["checks"].dump(1);  // (91)–(92) as printed
  const auto& o = s["observables"];
  EXPECT_LE(o["relative"]["einstein_hilbert_vs_gamma_gamma"].get<double>(), 1e-8);
  EXPECT_GT(o["relative"]["paper_eq91_vs_einstein_hilbert"].get<double>(), 0.1);
  EXPECT_GT(o["min_metric_eigenvalue"].get<double>(), 0.05);
  EXPECT_LE(o["seeds"]["worst_relative_einstein_hilbert_vs_gamma_gamma"].get<double>(), 1e-8);
}

TEST_F(OnsagerCli, ShippedConformalConfigMatchesClosedForms) {
  const auto s = run_ok(NNWORLD_SOURCE_DIR "/experiments/onsager_conformal.toml");
  EXPECT_EQ(count(s, "oracle", false), 0) << s["checks"].dump(1);
  EXPECT_EQ(count(s, "oracle", true), 3);  // identity, ∫√gR = 2J, ∫√gL_(91) = −10J
  EXPECT_EQ(count(s, "claim", false), 1);
}

TEST_F(OnsagerCli, DimensionMustBeTwoOrThree) {
  write("cfg.toml", "experiment = \"onsager\"\n[onsager]\ndimension = 4\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:3:13: key 'onsager\.dimension': value 4 out of range \(expected in \[2, 3\]\))");
}

TEST_F(OnsagerCli, PhiMustUseTheTorusCoordinates) {
  write("cfg.toml",
        "experiment = \"onsager\"\n[onsager]\ndimension = 2\nmetric = \"conformal\"\n"
        "phi = \"sin(x) + cos(z)\"\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:5:7: key 'onsager\.phi': .*"z".* \(expected a muParser formula in x, y\))");
}

}  // namespace
