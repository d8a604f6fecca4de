// Checkpoints and --resume: a run killed (SIGKILL) after a checkpoint and resumed with
// `nnworld run --resume DIR` gives the same observables, checks and datasets, bit for bit, as the
// run that was never stopped; a world suite keeps the sub-runs that had finished. Bad resume
// requests exit 2 and change nothing.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cli_fixture.hpp"
#include "run_compare.hpp"

namespace {

using namespace nnworld::cli_test;  // NOLINT(google-build-using-namespace)

const std::string kFokkerPlanck = NNWORLD_SOURCE_DIR "/experiments/fokker_planck.toml";

class Resume : public CliFixture {
 protected:
  // Starts `nnworld ARGS` in the test directory, waits until `file` (relative to it) exists, and
  // kills the process with SIGKILL. Returns false if the process ended before `file` appeared.
  bool kill_when(const std::string& args, const std::string& file) const {
    const pid_t pid = spawn(args);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    bool seen = false;
    while (std::chrono::steady_clock::now() < deadline) {
      if (fs::exists(dir() / file)) {
        seen = true;
        break;
      }
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) return false;  // ended first
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    return seen && WIFSIGNALED(status);
  }
};

TEST_F(Resume, KilledEnsembleRunResumesToTheSameBits) {
  const std::string args = "run " + kFokkerPlanck + " --quiet --threads 1";
  const CliResult full = run(args + " --out full");
  ASSERT_EQ(full.code, 0) << full.err;
  ASSERT_TRUE(kill_when(args + " --checkpoint-every 0 --out cut", "cut.partial/checkpoint.cbor"));
  ASSERT_FALSE(fs::exists(dir() / "cut")) << "the run finished before it was killed";
  ASSERT_TRUE(fs::exists(dir() / "cut.partial" / "resume.json"));

  const CliResult resumed = run("run --resume cut --quiet --threads 2");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_TRUE(summary("cut").value("resumed", false));  // it continued from the checkpoint
  EXPECT_FALSE(fs::exists(dir() / "cut.partial"));
  EXPECT_FALSE(fs::exists(dir() / "cut" / "checkpoint.cbor"));
  EXPECT_FALSE(fs::exists(dir() / "cut" / "resume.json"));
  EXPECT_GT(expect_same_run(dir() / "full", dir() / "cut"), 10u);
}

#ifdef NNWORLD_MPIEXEC
// A run killed on one rank and resumed on three: the checkpoint is read by every rank and the
// replicas are split afresh; the bits are those of the run that was never stopped.
TEST_F(Resume, RunKilledOnOneRankResumesOnThreeRanks) {
  const std::string args = "run " + kFokkerPlanck + " --quiet --threads 1";
  ASSERT_EQ(run(args + " --out full").code, 0);
  ASSERT_TRUE(kill_when(args + " --checkpoint-every 0 --out cut", "cut.partial/checkpoint.cbor"));
  ASSERT_FALSE(fs::exists(dir() / "cut"));
  const CliResult resumed = run_under(mpirun(3), "run --resume cut --quiet --threads 1", kMpiEnv);
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(summary("cut")["ranks"], 3);
  EXPECT_TRUE(summary("cut").value("resumed", false));
  EXPECT_GT(expect_same_run(dir() / "full", dir() / "cut"), 10u);
}
#endif

TEST_F(Resume, KilledWorldSuiteKeepsFinishedSubRuns) {
  write("suite.toml",
        "experiment = \"world\"\n"
        "[[run]]\nname = \"first\"\nconfig = \"" NNWORLD_SOURCE_DIR
        "/experiments/partition_linear.toml\"\n"
        "[[run]]\nname = \"fp\"\nconfig = \"" +
            kFokkerPlanck + "\"\n");
  const CliResult full = run("run suite.toml --quiet --threads 1 --out full");
  ASSERT_EQ(full.code, 0) << full.err;
  ASSERT_TRUE(kill_when("run suite.toml --quiet --threads 1 --checkpoint-every 0 --out cut",
                        "cut.partial/fp.partial/checkpoint.cbor"));
  ASSERT_FALSE(fs::exists(dir() / "cut"));
  const double first_wall = summary("cut.partial/first")["wall_seconds"];

  const CliResult resumed = run("run --resume cut --quiet --threads 1");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(summary("cut/first")["wall_seconds"], first_wall);  // kept, not run again
  EXPECT_TRUE(summary("cut/fp").value("resumed", false));
  const auto a = summary("full");
  const auto b = summary("cut");
  EXPECT_EQ(a["observables"].dump(), b["observables"].dump());
  EXPECT_EQ(a["checks"].dump(), b["checks"].dump());
  for (const char* name : {"first", "fp"}) {
    EXPECT_GT(expect_same_run(dir() / "full" / name, dir() / "cut" / name), 0u) << name;
  }
}

// A finished sub-run whose config file changed while the suite was stopped is run again; the
// running one still continues from its checkpoint.
TEST_F(Resume, ChangedSubRunConfigIsRunAgain) {
  const std::string first = NNWORLD_SOURCE_DIR "/experiments/partition_linear.toml";
  write("first.toml", slurp(first));
  write("suite.toml",
        "experiment = \"world\"\n"
        "[[run]]\nname = \"first\"\nconfig = \"first.toml\"\n"
        "[[run]]\nname = \"fp\"\nconfig = \"" +
            kFokkerPlanck + "\"\n");
  ASSERT_TRUE(kill_when("run suite.toml --quiet --threads 1 --checkpoint-every 0 --out cut",
                        "cut.partial/fp.partial/checkpoint.cbor"));
  write("first.toml", "description = \"changed while stopped\"\n" + slurp(first));
  const CliResult resumed = run("run --resume cut --quiet --threads 1");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(summary("cut/first")["config"]["description"], "changed while stopped");
  EXPECT_TRUE(summary("cut/fp").value("resumed", false));
}

TEST_F(Resume, BadResumeRequestsExitTwo) {
  // Nothing to resume.
  const CliResult none = run("run --resume nowhere");
  EXPECT_EQ(none.code, 2);
  EXPECT_EQ(none.err.rfind("error: nowhere.partial/resume.json: no interrupted run", 0), 0u)
      << none.err;
  EXPECT_FALSE(fs::exists(dir() / "nowhere.partial"));
  // A config and --resume together.
  const CliResult both = run("run " + kFokkerPlanck + " --resume nowhere");
  EXPECT_EQ(both.code, 2);
  EXPECT_EQ(both.err.rfind("error: nnworld run --resume nowhere: given with a CONFIG", 0), 0u)
      << both.err;

  // A finished run.
  ASSERT_EQ(run("run " + kFokkerPlanck + " --quiet --set ensemble.replicas=0 --out done").code, 0);
  const CliResult done = run("run --resume done");
  EXPECT_EQ(done.code, 2);
  EXPECT_NE(done.err.find("the run is complete"), std::string::npos) << done.err;

  // The config changed after the run stopped.
  write("fp.toml", slurp(kFokkerPlanck));
  ASSERT_TRUE(kill_when("run fp.toml --quiet --threads 1 --checkpoint-every 0 --out cut",
                        "cut.partial/checkpoint.cbor"));
  std::string text = slurp(kFokkerPlanck);
  text.replace(text.find("diffusion = 0.3"), 15, "diffusion = 0.4");
  write("fp.toml", text);
  const CliResult changed = run("run --resume cut");
  EXPECT_EQ(changed.code, 2);
  EXPECT_NE(changed.err.find("has changed since"), std::string::npos) << changed.err;
  EXPECT_TRUE(fs::exists(dir() / "cut.partial" / "checkpoint.cbor"));  // left as it was
  EXPECT_FALSE(fs::exists(dir() / "cut"));
}

}  // namespace
