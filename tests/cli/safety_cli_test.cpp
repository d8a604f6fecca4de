// Output safety, resource bounds, clean interrupts, resume and report robustness: each case of
// the hostile-but-ordinary user who found them. Nothing the user wrote is deleted; every refusal
// is exit 2 with a located message and nothing half-written; a signal stops the run with valid
// files and exit 130/143.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cli_fixture.hpp"

namespace {

using namespace nnworld::cli_test;  // NOLINT(google-build-using-namespace)

const std::string kFokkerPlanck = NNWORLD_SOURCE_DIR "/experiments/fokker_planck.toml";
const std::string kSmall = "experiment = \"network\"\n[network]\nn = 3\n[dynamics]\nsteps = 5\n";

class Safety : public CliFixture {
 protected:
  // Starts `nnworld ARGS`, sends `sig` after `delay`, and returns the exit code (-1: killed by
  // a signal, -2: still running 60 s later).
  int signal_after(const std::string& args, int sig, std::chrono::milliseconds delay) const {
    const pid_t pid = spawn(args);
    std::this_thread::sleep_for(delay);
    kill(pid, sig);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    int status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -2;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
};

// ---- 1. data loss ------------------------------------------------------------------------------

TEST_F(Safety, APreviousRunIsKeptWithoutOverwriteAndTheUsersFilesStayWithIt) {
  write("cfg.toml", kSmall);
  ASSERT_EQ(run("run cfg.toml -q --out r").code, 0);
  write("r/notes.txt", "mine");
  write("r/cfg.toml", kSmall);  // a config stored inside the run directory
  const CliResult again = run("run cfg.toml -q --seed 7 --out r");
  EXPECT_EQ(again.code, 2) << again.err;
  EXPECT_NE(again.err.find("--overwrite"), std::string::npos) << again.err;
  EXPECT_EQ(summary("r")["seed"], 1);
  const CliResult over = run("run r/cfg.toml -q --seed 7 --overwrite --out r");
  ASSERT_EQ(over.code, 0) << over.err;
  EXPECT_EQ(summary("r")["seed"], 7);
  EXPECT_EQ(slurp(dir() / "r" / "notes.txt"), "mine");
  EXPECT_TRUE(fs::exists(dir() / "r" / "cfg.toml"));  // its own run did not delete it
  EXPECT_FALSE(fs::exists(dir() / "r.previous"));
}

TEST_F(Safety, APartialDirectoryWithTheUsersFilesIsNeverDeleted) {
  write("cfg.toml", kSmall);
  fs::create_directories(dir() / "r.partial");
  write("r.partial/draft.txt", "mine");
  for (const char* extra : {"", " --overwrite"}) {
    const CliResult r = run(std::string("run cfg.toml -q --out r") + extra);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("r.partial/draft.txt"), std::string::npos) << r.err;
  }
  EXPECT_EQ(slurp(dir() / "r.partial" / "draft.txt"), "mine");
  EXPECT_FALSE(fs::exists(dir() / "r"));
}

// ---- 2. crashes --------------------------------------------------------------------------------

TEST_F(Safety, ThreadCountsAreBounded) {
  write("cfg.toml", kSmall);
  for (const char* n : {"100000", "40000"}) {
    const CliResult r = run(std::string("run cfg.toml -q --out t --threads ") + n);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("too many threads"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir() / "t.partial"));
    EXPECT_FALSE(fs::exists(dir() / "t"));
  }
}

// ---- 3. sizes refused before anything is allocated ---------------------------------------------

TEST_F(Safety, SizesBeyondTheMachinesMemoryAreRefusedAtTheKey) {
  const std::string holo = NNWORLD_SOURCE_DIR "/experiments/holography.toml";
  const auto t0 = std::chrono::steady_clock::now();
  for (const char* n : {"100000", "40000"}) {
    const CliResult r = run("validate " + holo + " --set holography.n_boundary=" + n,
                            std::string(kNoPython) + " NNWORLD_MEMORY_LIMIT=8e9");
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("holography.n_boundary"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("of memory is available"), std::string::npos) << r.err;
  }
  write("big.toml",
        "experiment = \"network\"\n[network]\nn = 100000000\ninit = \"sparse_random\"\n");
  const CliResult big =
      run("validate big.toml", std::string(kNoPython) + " NNWORLD_MEMORY_LIMIT=8e9");
  EXPECT_EQ(big.code, 2) << big.err;
  EXPECT_NE(big.err.find("network.n"), std::string::npos) << big.err;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
  const CliResult fp = run("validate " NNWORLD_SOURCE_DIR
                           "/experiments/fokker_planck.toml --set ensemble.replicas=100000000",
                           std::string(kNoPython) + " NNWORLD_MEMORY_LIMIT=1e9");
  EXPECT_EQ(fp.code, 2) << fp.err;
  EXPECT_NE(fp.err.find("ensemble.replicas"), std::string::npos) << fp.err;
  write("batch.toml", kSmall + std::string("[training]\nenabled = true\nbatch = 1000000000000\n"));
  const CliResult batch = run("validate batch.toml");
  EXPECT_EQ(batch.code, 2) << batch.err;
  EXPECT_NE(batch.err.find("training.batch"), std::string::npos) << batch.err;
  // validate prints the estimate.
  const CliResult ok = run("validate " + holo);
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.out.find("memory estimate"), std::string::npos) << ok.out;
}

// ---- 4. interrupts -----------------------------------------------------------------------------

TEST_F(Safety, SigtermStopsTheRunWithValidFiles) {
  const int code = signal_after("run " + kFokkerPlanck + " -q --threads 1 --out fp", SIGTERM,
                                std::chrono::milliseconds(1200));
  ASSERT_NE(code, 0) << "the run finished before the signal";
  EXPECT_EQ(code, 143);
  ASSERT_TRUE(fs::exists(dir() / "fp" / "summary.json"));
  EXPECT_EQ(summary("fp")["status"], "interrupted");
  EXPECT_TRUE(h5_opens(dir() / "fp" / "data.h5"));
  EXPECT_FALSE(fs::exists(dir() / "fp.partial"));
}

TEST_F(Safety, SigintWithCheckpointsLeavesARunThatResumes) {
  const int code =
      signal_after("run " + kFokkerPlanck + " -q --threads 1 --checkpoint-every 0 --out c", SIGINT,
                   std::chrono::milliseconds(1500));
  ASSERT_NE(code, 0) << "the run finished before the signal";
  EXPECT_EQ(code, 130);
  ASSERT_TRUE(fs::exists(dir() / "c.partial" / "checkpoint.cbor"));
  EXPECT_TRUE(h5_opens(dir() / "c.partial" / "data.h5"));
  EXPECT_EQ(summary("c.partial")["status"], "interrupted");
  // A fresh run into c is refused while the resumable one is there.
  EXPECT_EQ(run("run " + kFokkerPlanck + " -q --out c").code, 2);
  const CliResult resumed = run("run --resume c/ -q --threads 1");  // trailing slash: the same run
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(summary("c")["status"], "ok");
  EXPECT_TRUE(summary("c").value("resumed", false));
}

// ---- 5. resume ---------------------------------------------------------------------------------

TEST_F(Safety, ResumeRefusesConflictsAndDamagedRecords) {
  const int code =
      signal_after("run " + kFokkerPlanck + " -q --threads 1 --checkpoint-every 0 --out c", SIGTERM,
                   std::chrono::milliseconds(1500));
  ASSERT_EQ(code, 143);
  for (const char* extra :
       {" --seed 99", " --set fokker_planck.steps=3", " --overwrite", " --out elsewhere"}) {
    const CliResult r = run(std::string("run --resume c -q") + extra);
    EXPECT_EQ(r.code, 2) << extra << ": " << r.err;
    EXPECT_NE(r.err.find("given with"), std::string::npos) << r.err;
  }
  const std::string record = slurp(dir() / "c.partial" / "resume.json");
  nlohmann::json edited = nlohmann::json::parse(record);
  edited["seed"] = "ninety-nine";
  write("c.partial/resume.json", edited.dump());
  CliResult r = run("run --resume c -q");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("field 'seed'"), std::string::npos) << r.err;
  write("c.partial/resume.json", record);
  // A damaged checkpoint is refused, not resumed with other data.
  std::string cbor = slurp(dir() / "c.partial" / "checkpoint.cbor");
  cbor.resize(cbor.size() / 2);
  std::ofstream(dir() / "c.partial" / "checkpoint.cbor", std::ios::binary | std::ios::trunc)
      << cbor;
  r = run("run --resume c -q");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("checkpoint"), std::string::npos) << r.err;
}

// ---- 6. report ---------------------------------------------------------------------------------

TEST_F(Safety, AReportOfAWrongShapedSummaryIsBadInputAndStaleFiguresGo) {
  fs::create_directories(dir() / "r" / "figures");
  for (const char* text : {"[]", "{\"checks\": 5}", "{\"experiment\": \"x\", \"status\": 1}"}) {
    write("r/summary.json", text);
    const CliResult r = run("report r -q");
    EXPECT_EQ(r.code, 2) << text << ": " << r.err;
    EXPECT_NE(r.err.find("r/summary.json"), std::string::npos) << r.err;
  }
  write("r/summary.json",
        "{\"experiment\": \"x\", \"status\": \"ok\", \"checks\": [{\"name\": \"a\", \"passed\": "
        "\"yes\"}], \"runs\": [{\"name\": \"s\", \"dir\": 5}]}");
  write("r/figures/old.png", "stale");
  write("r/figures/mine.txt", "mine");
  const CliResult r = run("report r -q");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(fs::exists(dir() / "r" / "figures" / "old.png"));
  EXPECT_TRUE(fs::exists(dir() / "r" / "figures" / "mine.txt"));
  EXPECT_TRUE(fs::exists(dir() / "r" / "report.html"));
}

// ---- 7. edges and messages ---------------------------------------------------------------------

TEST_F(Safety, EdgesOfTheCommandLineAreRefused) {
  write("cfg.toml", kSmall);
  write("afile", "x");
  for (const char* args :
       {"run cfg.toml -q --seed -1 --out e", "run cfg.toml -q --seed 18446744073709551615 --out e",
        "run cfg.toml -q --checkpoint-every nan --out e", "run cfg.toml -q --out ''",
        "run cfg.toml -q --out afile/sub"}) {
    const CliResult r = run(args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  }
  EXPECT_FALSE(fs::exists(dir() / "e"));
  EXPECT_FALSE(fs::exists(dir() / "out"));
  EXPECT_EQ(slurp(dir() / "afile"), "x");
}

TEST_F(Safety, MessagesStayShort) {
  write("cfg.toml", kSmall);
  const std::string huge(100000, 'x');  // one argument holds at most 128 KiB
  CliResult r = run("validate cfg.toml --set 'network.activation=[" + huge + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_LT(r.err.size(), 400u) << r.err.substr(0, 400);
  r = run("validate cfg.toml --set 'network.bias[99999999999999999999]=1'");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.find("7766279631452241919"), std::string::npos) << r.err;
  r = run("validate /dev/zero");  // an endless device is refused before it is read
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
}

}  // namespace
