// The nnworld binary on the "learning_ensemble" and "learning_phase" experiments: bad input
// (exit 2 naming the key, nothing written), a replica whose loss turns non-finite (exit 3 naming
// the replica and the step), the pipeline oracle end to end, and a small phase grid.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "check_rules.hpp"
#include "cli_fixture.hpp"

namespace {

using namespace nnworld::cli_test;  // NOLINT(google-build-using-namespace)

class LearningEnsembleCli : public CliFixture {};

const std::string kOracle = NNWORLD_SOURCE_DIR "/experiments/learning_ensemble_oracle.toml";
const std::string kAdaptive = NNWORLD_SOURCE_DIR "/experiments/learning_ensemble_adaptive.toml";
const std::string kPhase = NNWORLD_SOURCE_DIR "/experiments/learning_phase.toml";

TEST_F(LearningEnsembleCli, AdaptationThatCannotHoldIsRefusedNamingTheKey) {
  // B < 2: the gradient noise of a mini-batch needs two samples.
  expect_bad_input(
      "run " + kOracle + " --set sgd.batch=1",
      R"(error: --set sgd\.batch: value 1 out of range \(expected in \[2, 1e\+06\]\))");
  expect_bad_input(
      "run " + kAdaptive + " --set adaptation.min_batch=1",
      R"(error: --set adaptation\.min_batch: value 1 out of range \(expected in \[2, 1e\+06\]\))");
  // N below the inputs plus the outputs: fewer than zero hidden neurons, or more than the
  // network has (the rest would be taken from the boundary).
  expect_bad_input(
      "run " + kAdaptive + " --set neurons.initial_hidden=-1",
      R"(error: --set neurons\.initial_hidden: value -1 out of range \(expected in \[0, 1e\+06\]\))");
  expect_bad_input(
      "run " + kAdaptive + " --set neurons.initial_hidden=11",
      R"(error: --set neurons\.initial_hidden: 11 hidden neurons, the network has 10 \(expected at most network\.n_hidden; N stays at least the inputs plus the outputs\))");
  expect_bad_input(
      "run " + kAdaptive + " --set neurons.min_active=7",
      R"(error: --set neurons\.min_active: 7 above the 6 active at the start \(expected ≤ neurons\.initial_hidden\))");
  expect_bad_input(
      "run " + kPhase + " --set phase.hidden=[4,13]",
      R"(error: --set phase\.hidden: value 13 out of range \(expected in \[0, 12\]\))");
  expect_bad_input(
      "run " + kPhase + " --set phase.batches=[2,2.5]",
      R"(error: --set phase\.batches: element 1 is not an integer: 2\.5 \(expected whole numbers\))");
}

TEST_F(LearningEnsembleCli, DirectionOfTheWrongSizeIsRefused) {
  // N = 5: a direction has N + N² = 30 numbers.
  expect_bad_input(
      "run " + kOracle + " --set subspace.direction=explicit --set subspace.directions=[[1.0,2.0]]",
      R"(error: --set subspace\.directions: a direction of 2 numbers \(expected 30 numbers \(N \+ N², N = 5\)\))");
  // output_bias needs K = 1: the error points at the direction's line in the file.
  expect_bad_input(
      "run " + kOracle +
          " --set subspace.dims=2 --set ensemble.centre=0.4 --set ensemble.width=0.05",
      R"(error: .*learning_ensemble_oracle\.toml:[0-9]+:[0-9]+: key 'subspace\.direction': output_bias needs K = 1 and an output neuron \(expected subspace\.dims = 1 and network\.n_outputs ≥ 1\))");
}

TEST_F(LearningEnsembleCli, ReplicaWhoseLossTurnsNonFiniteExitsThreeNamingReplicaAndStep) {
  // q ← (1 − η)q + η z̄ with η = 100: |q| grows by 99× per step and overflows near step 150.
  const CliResult r = run("run " + kOracle +
                          " --set sgd.step=100 --set ensemble.replicas=64 --set ensemble.steps=400 "
                          "--set checks.closed_form=none --quiet --out d");
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_TRUE(std::regex_search(
      r.err, std::regex(R"(error: step [0-9]+: non-finite value in replica [0-9]+ \(loss or q\))")))
      << r.err;
  EXPECT_EQ(summary("d")["status"], "diverged");
}

// The pipeline oracle (bridges.md §1) through the binary: every oracle passes (exit 0 under
// --strict), every row recomputes, and the one-step test is calibrated on the exact
// Ornstein–Uhlenbeck walk: Fokker–Planck (20) holds while its control, the Madelung continuity
// (32) on the same data, fails.
TEST_F(LearningEnsembleCli, PipelineOracleHoldsAndTheOneStepTestTellsTheDescriptionsApart) {
  const auto s = run_ok(kOracle);
  EXPECT_EQ(s["status"], "ok");
  int oracles = 0;
  for (const auto& c : s["checks"]) {
    nnworld::test::expect_row_recomputes(c, "learning_ensemble_oracle");
    if (c["kind"] == "oracle") {
      ++oracles;
      EXPECT_TRUE(c["passed"].get<bool>()) << c.dump();
    }
  }
  EXPECT_EQ(oracles, 3);
  const auto* fp = check(s, "the network replicas obey Fokker–Planck (20)");
  const auto* m = check(s, "the network replicas obey the Madelung continuity (32)");
  ASSERT_NE(fp, nullptr);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ((*fp)["verdict"], "held") << fp->dump();
  EXPECT_EQ((*m)["verdict"], "not held") << m->dump();
  const auto* t = check(s, "two time scales");
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE((*t)["control"].contains("value"));
}

// A 2 × 2 grid: every point measured, one regime each, the datasets of the heat map present.
TEST_F(LearningEnsembleCli, PhaseGridMeasuresEveryPoint) {
  const auto s =
      run_ok(kPhase +
             " --set phase.steps=[0.1,1.6] --set phase.batches=[2,16] --set phase.hidden=[12] "
             "--set ensemble.replicas=300 --set ensemble.steps=20");
  const auto& p = s["observables"]["points"];
  EXPECT_EQ(p["quantum"].get<int>() + p["classical"].get<int>() + p["euclidean"].get<int>(), 4)
      << p.dump();
  EXPECT_EQ(p["not_measured"], 0);
  for (const auto& name : {"hbar_prime_squared", "hbar_prime_squared_se", "regime", "boundary"}) {
    bool found = false;
    for (const auto& path : s["arrays"]) {
      found = found || path.get<std::string>() == std::string("phase/hidden_12/") + name;
    }
    EXPECT_TRUE(found) << name;
  }
}

}  // namespace
