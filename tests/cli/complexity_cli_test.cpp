// The nnworld binary on the "complexity" experiment: bad input (exit 2, one located error line,
// nothing written) and a small run whose oracles pass and whose claims are recorded.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_fixture.hpp"

namespace {

using namespace nnworld::cli_test;  // NOLINT(google-build-using-namespace)

class ComplexityCli : public CliFixture {};

TEST_F(ComplexityCli, BadInput) {
  write("cfg.toml", "experiment = \"complexity\"\n[complexity]\nsegmnts = 3\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:3:11: key 'complexity\.segmnts': unknown key \(did you mean 'complexity\.segments'\?\))");
  write("cfg.toml", "experiment = \"complexity\"\n[complexity]\nsegment_steps = 0\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:3:17: key 'complexity\.segment_steps': value 0 out of range \(expected in \[1, 1e\+09\]\))");
  // A permutation teacher needs every output to read a distinct input.
  write("cfg.toml",
        "experiment = \"complexity\"\n[network]\nn_inputs = 4\nn_outputs = 6\n[data]\n"
        "source = \"permutation\"\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:6:10: key 'data\.source': a permutation teacher needs 1 <= n_outputs <= n_inputs \(got n_inputs = 4, n_outputs = 6\) \(expected n_outputs between 1 and n_inputs, or another data source\))");
  write("cfg.toml", "experiment = \"complexity\"\n[data]\nsource = \"missing.csv\"\n");
  expect_bad_input("run cfg.toml", R"(error: cfg\.toml:3:10: key 'data\.source': cannot open .*)");
  write("cfg.toml", "experiment = \"complexity\"\n");
  expect_bad_input("run cfg.toml --set network.n_hidden=2000",
                   R"(error: --set network\.n_hidden: N = .* too large .*)");
}

TEST_F(ComplexityCli, SmallRunOraclesPass) {
  write("cfg.toml",
        "experiment = \"complexity\"\n[network]\nn_inputs = 6\nn_outputs = 6\n[complexity]\n"
        "segments = 4\nsegment_steps = 40\n[data]\nsamples = 128\n");
  const CliResult r = run("run cfg.toml --strict --quiet --out c");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto s = summary("c");
  EXPECT_EQ(s["status"], "ok");
  EXPECT_EQ(s["experiment"], "complexity");
  const auto& o = s["observables"];
  EXPECT_EQ(o["n"], 12);
  const double d0 = o["permutation_distance_initial"].get<double>();
  const double d1 = o["permutation_distance_final"].get<double>();
  // 0 ≤ distance ≤ 1 − 1/N for any matrix.
  for (double d : {d0, d1}) {
    EXPECT_GE(d, 0.0);
    EXPECT_LE(d, 1.0 - 1.0 / 12.0);
  }
  int oracles = 0, claims = 0;
  for (const auto& c : s["checks"]) {
    if (c["kind"] == "oracle") {
      ++oracles;
      EXPECT_TRUE(c["passed"].get<bool>()) << c.dump();
    } else {
      ++claims;
    }
  }
  EXPECT_GE(oracles, 4);
  EXPECT_GE(claims, 4);
  // One measurement before training and one per segment.
  bool found = false;
  for (const auto& a : s["arrays"]) found = found || a == "complexity/permutation_distance";
  EXPECT_TRUE(found);
  EXPECT_TRUE(std::filesystem::exists(dir() / "c" / "data.h5"));
}

}  // namespace
