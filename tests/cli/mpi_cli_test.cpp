// Results do not depend on the MPI rank count: the same config run directly and under
// `mpirun -np R` (R = 1, 2, 4, one thread per rank) gives the same observables, checks and datasets
// bit for bit. The engines split independent items (Langevin replicas, AIS particles, HMC chains,
// holography reconnection replicas, the sub-runs of a world suite) into per-rank shares and gather
// them in item order before any reduction, and all randomness is keyed by (seed, purpose, item), so
// no reduction order changes. A build without MPI (no NNWORLD_MPIEXEC) has no rank tests: this
// file compiles to nothing there.
#include <gtest/gtest.h>

#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "cli_fixture.hpp"
#include "run_compare.hpp"

#ifdef NNWORLD_MPIEXEC
namespace {

using namespace nnworld::cli_test;  // NOLINT(google-build-using-namespace)

class Mpi : public CliFixture {
 protected:
  // Runs CONFIG (with `extra` arguments) directly into "direct/" and under mpirun with each
  // rank count into "np<R>/", and compares every run with the direct one.
  void expect_rank_independent(const std::string& config, const std::string& extra,
                               std::initializer_list<int> rank_counts) {
    const std::string args = "run " + config + " --quiet --threads 1 " + extra;
    const CliResult direct = run(args + " --out direct", kMpiEnv);
    ASSERT_EQ(direct.code, 0) << direct.err;
    for (int r : rank_counts) {
      const std::string out = "np" + std::to_string(r);
      const CliResult res = run_under(mpirun(r), args + " --out " + out, kMpiEnv);
      ASSERT_EQ(res.code, 0) << out << ": " << res.err;
      EXPECT_EQ(res.out, "") << out;  // --quiet on every rank
      EXPECT_EQ(summary(out)["ranks"], r) << out;
      EXPECT_GT(expect_same_run(dir() / "direct", dir() / out), 0u) << out;
    }
  }
};

// Langevin replicas (10⁵, split in blocks of 256) with histograms, moments and the PDE.
TEST_F(Mpi, FokkerPlanckEnsembleIsTheSameOnOneTwoAndFourRanks) {
  expect_rank_independent(NNWORLD_SOURCE_DIR "/experiments/fokker_planck.toml", "", {1, 2, 4});
}

// AIS particles (256) and HMC chains (5 here, so the shares are unequal).
TEST_F(Mpi, PartitionSamplersAreTheSameOnOneTwoAndFourRanks) {
  expect_rank_independent(NNWORLD_SOURCE_DIR "/experiments/partition.toml",
                          "--set sampling.hmc_chains=5 --set sampling.particles=250", {1, 2, 4});
}

// simulate_langevin with observations: the two-packet replicas, fewer of them.
TEST_F(Mpi, InterferenceReplicasAreTheSameOnOneAndThreeRanks) {
  expect_rank_independent(NNWORLD_SOURCE_DIR "/experiments/quantum_interference_control.toml",
                          "--set ensemble.replicas=20000 --set ensemble.steps=400", {3});
}

// Holography reconnection replicas (48, split 16/16/16 on three ranks), their entropy series
// and the event-by-event correlation pooled over all of them.
TEST_F(Mpi, HolographyReplicasAreTheSameOnOneAndThreeRanks) {
  expect_rank_independent(NNWORLD_SOURCE_DIR "/experiments/holography.toml",
                          "--set holography.events=300", {3});
}

// A world suite on two ranks: the sub-runs are dealt out (i mod 2), each written by its rank;
// the merged summary and every sub-run match the one-rank suite.
TEST_F(Mpi, WorldSuiteOnTwoRanksMatchesOneRank) {
  write("suite.toml", std::string("experiment = \"world\"\n") +
                          "[[run]]\nname = \"fp\"\nconfig = \"" NNWORLD_SOURCE_DIR
                          "/experiments/fokker_planck.toml\"\n"
                          "[[run]]\nname = \"chains\"\nconfig = \"" NNWORLD_SOURCE_DIR
                          "/experiments/holography_chains.toml\"\n"
                          "[[run]]\nname = \"partition\"\nconfig = \"" NNWORLD_SOURCE_DIR
                          "/experiments/partition_linear.toml\"\n");
  const CliResult one = run("run suite.toml --quiet --threads 1 --out one", kMpiEnv);
  ASSERT_EQ(one.code, 0) << one.err;
  const CliResult two =
      run_under(mpirun(2), "run suite.toml --quiet --threads 1 --out two", kMpiEnv);
  ASSERT_EQ(two.code, 0) << two.err;
  const auto a = summary("one");
  const auto b = summary("two");
  EXPECT_EQ(a["observables"].dump(), b["observables"].dump());
  EXPECT_EQ(a["checks"].dump(), b["checks"].dump());
  ASSERT_EQ(b["runs"].size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(b["runs"][i]["rank"], static_cast<int>(i % 2));
    const std::string name = b["runs"][i]["name"];
    EXPECT_EQ(summary("two/" + name)["ranks"], 1) << name;  // each ran on its rank alone
    EXPECT_GT(expect_same_run(dir() / "one" / name, dir() / "two" / name), 0u) << name;
  }
  EXPECT_FALSE(fs::exists(dir() / "two.partial"));
}

// Bad input on several ranks: every rank stops with exit 2, one error line (rank 0's; mpirun adds
// its own report of the non-zero exit), nothing written.
TEST_F(Mpi, BadInputOnTwoRanksIsOneErrorAndNothingWritten) {
  write("bad.toml", "experiment = \"fokker_planck\"\n[trainable]\ndifusion = 0.3\n");
  const CliResult r = run_under(mpirun(2), "run bad.toml --out result", kMpiEnv);
  EXPECT_EQ(r.code, 2) << r.err;
  const std::regex line("(^|\n)error: bad\\.toml:3:[^\n]*did you mean 'trainable\\.diffusion'");
  const auto n =
      std::distance(std::sregex_iterator(r.err.begin(), r.err.end(), line), std::sregex_iterator());
  EXPECT_EQ(n, 1) << r.err;
  EXPECT_FALSE(fs::exists(dir() / "result"));
  EXPECT_FALSE(fs::exists(dir() / "result.partial"));
}
}  // namespace
#endif
