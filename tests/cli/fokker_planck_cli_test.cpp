// The nnworld binary on the "fokker_planck" experiment: bad input (exit 2, one error line with
// the config-file position, nothing written) and a small successful run.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>

#include "cli_fixture.hpp"

namespace {

using namespace nnworld::cli_test;  // NOLINT(google-build-using-namespace)

class FokkerPlanckCli : public CliFixture {};

// A configuration from the bodies of its [trainable], [grid], [time] and [initial] tables.
std::string config(const std::string& trainable, const std::string& grid, const std::string& time,
                   const std::string& initial) {
  return "experiment = \"fokker_planck\"\n"
         "[trainable]\n" +
         trainable + "[grid]\n" + grid + "[time]\n" + time + "[initial]\n" + initial;
}

const std::string kTrainable = "diffusion = 0.3\ngamma = 0.7\nfree_energy = \"-q1^2\"\n";
const std::string kGrid = "points = [128]\nextent = 6.0\n";
const std::string kTime = "step = 1e-3\nend = 0.05\nrecord_every = 10\n";
const std::string kInitial = "width = 0.3\n";

TEST_F(FokkerPlanckCli, TimeStepAboveTheStabilityLimit) {
  // Spectral, 2048 points on [−10, 10): dt_max = 2.785/(D(π·1024/10)² + γ·20·π·1023/10) =
  // 7.836e-5 < 1e-4.
  write("cfg.toml", config(kTrainable, "points = [2048]\nextent = 10.0\n",
                           "step = 1e-4\nend = 0.01\n", kInitial) +
                        "[fokker_planck]\nscheme = \"spectral\"\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:10:8: key 'time\.step': dt = 0\.0001 exceeds the explicit RK4 stability limit 7\.83564e-05 of the spectral scheme on 2048 on \[−10, 10\), periodic \(D = 0\.3, γ = 0\.7, max\|∂F/∂q1\| = 20\) \(expected time\.step <= 7\.83564e-05\))");
}

TEST_F(FokkerPlanckCli, FreeEnergyDoesNotParse) {
  write("cfg.toml", config("free_energy = \"q1 + * 2\"\n", kGrid, kTime, kInitial));
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:3:15: key 'trainable\.free_energy': .*"\*".* at position 5 in "q1 \+ \* 2" \(expected a muParser formula in q1\))");
  // A variable beyond K: position of the name.
  write("k2.toml", config("free_energy = \"q1^2 + q3\"\n", "points = [16, 16]\nextent = 6.0\n",
                          kTime, kInitial));
  expect_bad_input(
      "run k2.toml",
      R"(error: k2\.toml:3:15: key 'trainable\.free_energy': .*"q3".* at position 7 in "q1\^2 \+ q3" \(expected a muParser formula in q1, q2\))");
}

TEST_F(FokkerPlanckCli, WidthNotPositive) {
  write("cfg.toml", config(kTrainable, kGrid, kTime, "width = 0.0\n"));
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:14:9: key 'initial\.width': value 0 out of range \(expected > 0\))");
  expect_bad_input("run cfg.toml --set initial.width=-0.2",
                   R"(error: --set initial\.width: value -0\.2 out of range \(expected > 0\))");
}

TEST_F(FokkerPlanckCli, DiffusionNegative) {
  write("cfg.toml", config("diffusion = -0.3\n", kGrid, kTime, kInitial));
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:3:13: key 'trainable\.diffusion': value -0\.3 out of range \(expected >= 0\))");
}

TEST_F(FokkerPlanckCli, SmallRunSucceeds) {
  write("cfg.toml",
        config(kTrainable, kGrid, kTime, kInitial) + "[checks]\nornstein_uhlenbeck = 2.0\n");
  const CliResult r = run("run cfg.toml --out result --quiet");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto s = summary("result");
  EXPECT_EQ(s["experiment"], "fokker_planck");
  EXPECT_EQ(s["status"], "ok");
  int oracles = 0;
  for (const auto& c : s["checks"]) {
    EXPECT_TRUE(c["passed"].get<bool>()) << c.dump();
    oracles += c["kind"] == "oracle";
  }
  EXPECT_GE(oracles, 8);
}

}  // namespace
