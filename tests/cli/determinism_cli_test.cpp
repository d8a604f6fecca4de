// The default world suite gives the same bits on 1 and 2 threads: every sub-run's observables
// (wall times under "timing" aside), every check, and every dataset of every data.h5. All
// randomness comes from counter-based streams keyed by (seed, purpose, index), and every
// threaded reduction runs over fixed chunks in a fixed order, so the thread count must not show.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "cli_fixture.hpp"
#include "run_compare.hpp"

namespace {

using namespace nnworld::cli_test;  // NOLINT(google-build-using-namespace)

using Determinism = CliFixture;

TEST_F(Determinism, WorldSuiteGivesTheSameBitsOnOneAndTwoThreads) {
  const std::string suite = NNWORLD_SOURCE_DIR "/experiments/world.toml";
  const CliResult one = run("run " + suite + " --quiet --threads 1 --out one");
  ASSERT_EQ(one.code, 0) << one.err;
  const CliResult two = run("run " + suite + " --quiet --threads 2 --out two");
  ASSERT_EQ(two.code, 0) << two.err;
  const auto runs = summary("one")["runs"];
  ASSERT_GE(runs.size(), 20u);
  std::size_t datasets = 0;
  for (const auto& entry : runs) {
    const std::string name = entry["name"];
    EXPECT_EQ(summary("one/" + name)["threads"], 1) << name;
    EXPECT_EQ(summary("two/" + name)["threads"], 2) << name;
    datasets += expect_same_run(dir() / "one" / name, dir() / "two" / name);
  }
  EXPECT_GT(datasets, 100u);
}

}  // namespace
