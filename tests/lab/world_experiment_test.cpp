// The "world" experiment: sub-runs into DIR/<name>/, merged checks, overall status.
#include "lab_test_util.hpp"

namespace {

using namespace nnworld::lab::test;

const char* kSmall = R"(
experiment = "network"
[network]
n = 2
weights = [[0.3, -0.4], [0.5, 0.2]]
bias = [0.1, -0.2]
[dynamics]
steps = 20
x0 = [3.0, -2.0]
)";

const char* kPerm = R"(
experiment = "network"
[network]
n = 8
activation = "linear"
init = "permutation"
[dynamics]
steps = 8
[fixed_point]
starts = 1
)";

const char* kDiverging = R"(
experiment = "network"
[network]
n = 8
activation = "linear"
scale = 10.0
[dynamics]
steps = 2000
[fixed_point]
enabled = false
)";

// The Python report is another component: a missing interpreter exercises the fallback page
// and keeps these tests fast.
class WorldExperiment : public ::testing::Test {
 protected:
  void SetUp() override { setenv("NNWORLD_PYTHON", "/nonexistent/python3", 1); }
  void TearDown() override { unsetenv("NNWORLD_PYTHON"); }
};

TEST_F(WorldExperiment, RunsEverySubRunAndMergesChecks) {
  TempDir tmp;
  tmp.write("small.toml", kSmall);
  std::filesystem::create_directories(tmp.path() / "sub");
  tmp.write("sub/perm.toml", kPerm);
  const Ran r = run_config(R"(
experiment = "world"
[[run]]
name = "contraction"
config = "small.toml"
[[run]]
name = "perm"
config = "sub/perm.toml"
)",
                           tmp.path() / "out", tmp.path(), nnworld::lab::RunOptions{.quiet = true});
  ASSERT_EQ(r.record.status, "ok") << r.record.error;
  EXPECT_EQ(r.summary["experiment"], "world");
  ASSERT_EQ(r.summary["runs"].size(), 2u);
  EXPECT_EQ(r.summary["runs"][0]["name"], "contraction");
  EXPECT_EQ(r.summary["runs"][0]["experiment"], "network");
  EXPECT_EQ(r.summary["runs"][0]["dir"], "contraction");
  EXPECT_EQ(r.summary["runs"][1]["status"], "ok");
  for (const char* name : {"contraction", "perm"}) {
    const auto dir = r.record.dir / name;
    EXPECT_TRUE(std::filesystem::exists(dir / "summary.json")) << name;
    EXPECT_TRUE(std::filesystem::exists(dir / "data.h5")) << name;
    EXPECT_TRUE(std::filesystem::exists(dir / "report.html")) << name;
    EXPECT_FALSE(std::filesystem::exists(r.record.dir / (std::string(name) + ".partial")));
  }
  // Every sub-run check, tagged with its run.
  const auto sub1 = read_json(r.record.dir / "contraction" / "summary.json");
  const auto sub2 = read_json(r.record.dir / "perm" / "summary.json");
  ASSERT_EQ(r.summary["checks"].size(), sub1["checks"].size() + sub2["checks"].size());
  for (std::size_t i = 0; i < sub1["checks"].size(); ++i) {
    auto c = r.summary["checks"][i];
    EXPECT_EQ(c["run"], "contraction");
    c.erase("run");
    EXPECT_EQ(c, sub1["checks"][i]);
  }
  EXPECT_EQ(r.summary["checks"].back()["run"], "perm");
  EXPECT_EQ(r.record.checks_failed, 0);
  EXPECT_EQ(r.summary["observables"]["runs"], 2);
  EXPECT_EQ(r.summary["observables"]["checks"]["passed"], r.summary["checks"].size());
}

TEST_F(WorldExperiment, ADivergingSubRunMarksTheWorldButOthersStillRun) {
  TempDir tmp;
  tmp.write("small.toml", kSmall);
  tmp.write("div.toml", kDiverging);
  const Ran r = run_config(R"(
experiment = "world"
[[run]]
name = "boom"
config = "div.toml"
[[run]]
name = "fine"
config = "small.toml"
)",
                           tmp.path() / "out", tmp.path(), nnworld::lab::RunOptions{.quiet = true});
  EXPECT_EQ(r.record.status, "diverged");
  EXPECT_EQ(nnworld::lab::exit_code(r.record, false), 3);
  EXPECT_NE(r.record.error.find("run 'boom'"), std::string::npos) << r.record.error;
  EXPECT_EQ(r.summary["runs"][0]["status"], "diverged");
  EXPECT_EQ(r.summary["runs"][1]["status"], "ok");
  EXPECT_TRUE(std::filesystem::exists(r.record.dir / "fine" / "summary.json"));
}

TEST_F(WorldExperiment, BadSuitesAreRejectedUpFront) {
  TempDir tmp;
  tmp.write("small.toml", kSmall);
  tmp.write("bad.toml", "experiment = \"network\"\n[network]\nn = -1\n");
  tmp.write("world2.toml",
            "experiment = \"world\"\n[[run]]\nname = \"x\"\nconfig = \"small.toml\"\n");
  EXPECT_EQ(prepare_error("experiment = \"world\"\n", tmp.path()),
            "cfg.toml: no [[run]] entries (expected at least one [[run]] table with name and "
            "config)");
  EXPECT_EQ(prepare_error("experiment = \"world\"\n[[run]]\nname = \"a\"\nconfig = \"small.toml\"\n"
                          "[[run]]\nname = \"a\"\nconfig = \"small.toml\"\n",
                          tmp.path()),
            "cfg.toml:6:8: key 'run[1].name': duplicate run name 'a' (expected distinct names)");
  EXPECT_EQ(
      prepare_error("experiment = \"world\"\n[[run]]\nname = \"../up\"\nconfig = \"small.toml\"\n",
                    tmp.path()),
      "cfg.toml:3:8: key 'run[0].name': invalid run name '../up' (expected letters, "
      "digits, '_', '-' and '.' only)");
  const std::string missing = prepare_error(
      "experiment = \"world\"\n[[run]]\nname = \"a\"\nconfig = \"nope.toml\"\n", tmp.path());
  EXPECT_EQ(missing.rfind("cfg.toml:4:10: key 'run[0].config': cannot open '", 0), 0u) << missing;
  const std::string nested = prepare_error(
      "experiment = \"world\"\n[[run]]\nname = \"a\"\nconfig = \"world2.toml\"\n", tmp.path());
  EXPECT_NE(nested.find("is itself a world suite"), std::string::npos) << nested;
  // Errors inside a sub-config point into that file.
  const std::string sub = prepare_error(
      "experiment = \"world\"\n[[run]]\nname = \"a\"\nconfig = \"bad.toml\"\n", tmp.path());
  EXPECT_EQ(sub, (tmp.path() / "bad.toml").string() +
                     ":3:5: key 'network.n': value -1 out of range (expected >= 1)");
}

}  // namespace
