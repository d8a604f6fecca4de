#pragma once
// The fixture of the CLI tests: runs the nnworld binary in a fresh directory, captures exit code,
// stdout and stderr, and checks the bad-input contract (exit 2, one located error line, nothing
// written).
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

namespace nnworld::cli_test {

namespace fs = std::filesystem;

// Most tests point the report at a missing interpreter: the fallback page is quick.
inline constexpr const char* kNoPython = "NNWORLD_PYTHON=/nonexistent/python3";

#ifdef NNWORLD_MPIEXEC
// Environment of the runs under mpirun: CI runs as root; the shared-memory transport is the one a
// single machine needs, and CMA (single-copy) is often unavailable in containers.
inline const std::string kMpiEnv =
    std::string(kNoPython) +
    " OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
    " OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none"
    " OMPI_MCA_rmaps_base_oversubscribe=1";

// The launcher prefix for `ranks` ranks on this machine.
inline std::string mpirun(int ranks) {
  return std::string("'" NNWORLD_MPIEXEC "' -np ") + std::to_string(ranks) +
         " --oversubscribe --bind-to none";
}
#endif

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Whether `file` opens as an HDF5 file (h5py could read it).
inline bool h5_opens(const fs::path& file) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return false;
  H5Fclose(f);
  return true;
}

class CliFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    // Suite, test and pid keep concurrent runs (release and asan builds, ctest -j) apart.
    const std::string tag =
        std::string(info->test_suite_name()) + "_" + info->name() + "_" + std::to_string(getpid());
    dir_ = fs::temp_directory_path() / ("nnworld_cli_" + tag);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    io_ = fs::temp_directory_path() / ("nnworld_cli_io_" + tag);
    fs::remove_all(io_);
    fs::create_directories(io_);
  }
  void TearDown() override {
    fs::remove_all(dir_);
    fs::remove_all(io_);
  }

  // Runs `nnworld ARGS` in the test directory with the environment assignments `env`.
  CliResult run(const std::string& args, const std::string& env = kNoPython) const {
    return run_under("", args, env);
  }
  // Runs `LAUNCHER nnworld ARGS` (LAUNCHER: e.g. "mpirun -np 2").
  CliResult run_under(const std::string& launcher, const std::string& args,
                      const std::string& env = kNoPython) const {
    const std::string cmd = "cd '" + dir_.string() + "' && env " + env + " " + launcher + " '" +
                            NNWORLD_BINARY "' " + args + " >'" + (io_ / "out").string() + "' 2>'" +
                            (io_ / "err").string() + "'";
    const int status = std::system(cmd.c_str());
    CliResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(io_ / "out");
    r.err = slurp(io_ / "err");
    return r;
  }
  // Starts `nnworld ARGS` in the test directory without waiting (output discarded); the caller
  // signals and reaps the returned process.
  pid_t spawn(const std::string& args) const {
    const std::string cmd = "cd '" + dir_.string() + "' && exec env " + std::string(kNoPython) +
                            " '" NNWORLD_BINARY "' " + args + " >/dev/null 2>&1";
    const pid_t pid = fork();
    if (pid == 0) {
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    return pid;
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name) << text;
  }
  nlohmann::json summary(const std::string& run_dir) const {
    std::ifstream in(dir_ / run_dir / "summary.json");
    return nlohmann::json::parse(in);
  }
  [[nodiscard]] const fs::path& dir() const { return dir_; }

  // Runs `run ARGS` with --strict (an oracle failure is exit 4) into s/ (replacing the run there)
  // and returns its summary.
  nlohmann::json run_ok(const std::string& args) const {
    const CliResult r = run("run " + args + " --strict --quiet --overwrite --out s");
    EXPECT_EQ(r.code, 0) << r.err;
    return summary("s");
  }
  // Number of checks of `kind` ("oracle" | "claim") in a summary that passed (or failed).
  static int count(const nlohmann::json& s, const std::string& kind, bool passed) {
    int k = 0;
    for (const auto& c : s["checks"]) k += c["kind"] == kind && c["passed"].get<bool>() == passed;
    return k;
  }

  // The first check whose name starts with `prefix`, or nullptr.
  static const nlohmann::json* check(const nlohmann::json& s, const std::string& prefix) {
    for (const auto& c : s["checks"]) {
      if (c["name"].get<std::string>().rfind(prefix, 0) == 0) return &c;
    }
    return nullptr;
  }

  // A bad-input run: exit 2, exactly one stderr line matching `pattern`, nothing created.
  void expect_bad_input(const std::string& args, const std::string& pattern) const {
    const CliResult r = run(args + " --out result");
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_TRUE(std::regex_match(r.err, std::regex(pattern + "\n")))
        << "stderr: " << r.err << "pattern: " << pattern;
    EXPECT_FALSE(fs::exists(dir_ / "result")) << args;
    EXPECT_FALSE(fs::exists(dir_ / "result.partial")) << args;
    EXPECT_FALSE(fs::exists(dir_ / "out")) << args;
    EXPECT_EQ(r.out, "");
  }

 private:
  fs::path dir_;
  fs::path io_;
};

}  // namespace nnworld::cli_test
