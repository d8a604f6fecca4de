// The nnworld binary on the "classical" experiment: bad input (exit 2, one located error line,
// nothing written) and a small successful run.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli_fixture.hpp"

namespace {

using namespace nnworld::cli_test;  // NOLINT(google-build-using-namespace)

class ClassicalCli : public CliFixture {};

// A small valid config (K = 1, harmonic ω = 1 with γ = 0.5: V = q1²/2).
const char* kBase =
    "experiment = \"classical\"\n"
    "[trainable]\n"
    "gamma = 0.5\n"
    "potential = \"0.5*q1^2\"\n"
    "[classical]\n"
    "particles = 4\n"
    "[initial]\n"
    "centre = [1.0]\n"
    "momentum = 0.3\n"
    "curvature = 0.3\n"
    "[time]\n"
    "step = 1e-3\n"
    "end = 0.5\n"
    "[grid]\n"
    "points = 64\n"
    "extent = 5.0\n"
    "[field]\n"
    "terminal = \"-1.5*q1^2\"\n"
    "[checks]\n"
    "harmonic_omega = 1.0\n"
    "terminal_curvature = -3.0\n";

// ---- bad input -----------------------------------------------------------------------------

TEST_F(ClassicalCli, GammaNotPositive) {
  write("cfg.toml", "experiment = \"classical\"\n[trainable]\ngamma = 0\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:3:9: key 'trainable\.gamma': γ = 0: the characteristics Mq̈ = −∇V need the mass M = 1/\(2γ\), which requires γ > 0 \(expected γ > 0\))");
  write("neg.toml", "experiment = \"classical\"\n");
  expect_bad_input("run neg.toml --set trainable.gamma=-0.5",
                   R"(error: --set trainable\.gamma: γ = -0\.5: .* \(expected γ > 0\))");
}

TEST_F(ClassicalCli, MuNotPositive) {
  write("cfg.toml", "experiment = \"classical\"\n[trainable]\nmu_lagrange = -1.0\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:3:15: key 'trainable\.mu_lagrange': μ = -1: .* \(expected μ > 0\))");
}

TEST_F(ClassicalCli, PotentialDoesNotParse) {
  // The message names the expression and the 0-based position (ExpressionError::describe()).
  write("cfg.toml", "experiment = \"classical\"\n[trainable]\npotential = \"q1 + * 2\"\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:3:13: key 'trainable\.potential': .*"\*".* at position 5 in "q1 \+ \* 2" \(expected a muParser formula in q1\))");
  // A variable beyond K (K = 2 from the centre).
  write("k.toml",
        "experiment = \"classical\"\n[trainable]\npotential = \"q1^2 + q3\"\n[initial]\n"
        "centre = [0.0, 1.0]\n");
  expect_bad_input(
      "run k.toml",
      R"(error: k\.toml:3:13: key 'trainable\.potential': .*"q3".* at position 7 in "q1\^2 \+ q3" \(expected a muParser formula in q1, q2\))");
}

TEST_F(ClassicalCli, FreeEnergyDoesNotParse) {
  write("cfg.toml", "experiment = \"classical\"\n[initial]\nfree_energy = \"sin(q1\"\n");
  expect_bad_input("run cfg.toml",
                   R"(error: cfg\.toml:3:15: key 'initial\.free_energy': .* in "sin\(q1" .*)");
}

TEST_F(ClassicalCli, TimeStepAboveRk4Limit) {
  // Declared harmonic ω = 1: RK4 is stable for ω dt ≤ 2√2.
  write("cfg.toml", std::string(kBase) + "[output]\nevery = 1\n");
  expect_bad_input(
      "run cfg.toml --set time.step=3.0 --set time.end=30",
      R"(error: --set time\.step: dt = 3 exceeds the RK4 stability limit 2√2/ω = 2\.82843 for the harmonic frequency ω = 1 \(checks\.harmonic_omega\) \(expected time\.step <= 2\.82843\))");
  // Undeclared: the local frequency at the centre, ω² = 2γ λ_max(∇∇V) = 2·0.5·4.
  write("local.toml",
        "experiment = \"classical\"\n[trainable]\npotential = \"2*q1^2\"\n[time]\nstep = 1.5\n"
        "end = 15\n");
  expect_bad_input(
      "run local.toml",
      R"(error: local\.toml:5:8: key 'time\.step': dt = 1\.5 exceeds the RK4 stability limit 2√2/ω = 1\.41421 for the harmonic frequency ω = 2 .*)");
}

TEST_F(ClassicalCli, TimeStepNotPositive) {
  write("cfg.toml", "experiment = \"classical\"\n[time]\nstep = 0\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:3:8: key 'time\.step': value 0 out of range \(expected > 0\))");
}

TEST_F(ClassicalCli, HarmonicDeclarationMustMatchPotential) {
  write("cfg.toml",
        "experiment = \"classical\"\n[trainable]\npotential = \"q1^2\"\n[checks]\n"
        "harmonic_omega = 1.0\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:3:13: key 'trainable\.potential': checks\.harmonic_omega = 1 declares V = ω²\|q\|²/\(4γ\), but V = 1 ≠ 0\.5 .*)");
}

TEST_F(ClassicalCli, OtherBadInput) {
  write("form.toml", "experiment = \"classical\"\n[classical]\nform = \"both_ways\"\n");
  expect_bad_input("run form.toml", R"(error: form\.toml:3:8: key 'classical\.form': .*)");
  write("k.toml", "experiment = \"classical\"\n[initial]\ncentre = [0, 0, 0, 0]\n");
  expect_bad_input(
      "run k.toml",
      R"(error: k\.toml:3:10: key 'initial\.centre': 4 coordinates \(expected 1, 2 or 3 coordinates \(K = 1\.\.3\)\))");
  write("both.toml",
        "experiment = \"classical\"\n[initial]\nfree_energy = \"0.3*q1^2\"\ncurvature = 1\n");
  expect_bad_input("run both.toml",
                   R"(error: both\.toml:3:15: key 'initial\.free_energy': given together with .*)");
  write("grid.toml", "experiment = \"classical\"\n[grid]\npoints = 63\n");
  expect_bad_input(
      "run grid.toml",
      R"(error: grid\.toml:3:10: key 'grid\.points': grid\.points = 63 \(expected even integers >= 8\))");
  write("terminal.toml", std::string(kBase));
  expect_bad_input("run terminal.toml --set field.terminal=-q1^2",
                   R"(error: --set field\.terminal: checks\.terminal_curvature = -3 declares .*)");
}

// ---- a run -----------------------------------------------------------------------------------

TEST_F(ClassicalCli, SmallRun) {
  // Exit 0 with the claim of (42) failing and every oracle passing (so --strict is 0 too).
  write("cfg.toml", kBase);
  const CliResult r = run("run cfg.toml --quiet --strict --out r");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto s = summary("r");
  EXPECT_EQ(s["experiment"], "classical");
  EXPECT_EQ(s["status"], "ok");
  int oracles = 0, claims_failed = 0;
  for (const auto& c : s["checks"]) {
    if (c["kind"] == "oracle") {
      ++oracles;
      EXPECT_TRUE(c["passed"].get<bool>()) << c.dump();
    } else if (!c["passed"].get<bool>()) {
      ++claims_failed;
      EXPECT_EQ(c["equation"], "(42)");
      EXPECT_GT(c["value"].get<double>(), 1e-3);  // γ²|(∇∇F)∇F|, not a resolution effect
    }
  }
  EXPECT_EQ(oracles, 7);
  EXPECT_EQ(claims_failed, 1);
  const auto& o = s["observables"];
  EXPECT_EQ(o["time"].size(), 51u);  // 500 steps, every 10th and both ends
  EXPECT_EQ(o["mean"]["corrected"].size(), 51u);
  EXPECT_EQ(o["variance"]["paper"].size(), 51u);
  EXPECT_TRUE(o.contains("energy"));
  EXPECT_TRUE(o.contains("free_energy"));
  EXPECT_DOUBLE_EQ(o["mass"].get<double>(), 1.0);
  EXPECT_TRUE(fs::exists(dir() / "r" / "data.h5"));
}

}  // namespace
