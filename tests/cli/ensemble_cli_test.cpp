// The nnworld binary on the replica-ensemble keys of the "fokker_planck" and "quantum"
// experiments: bad input (exit 2, one error line with the config-file position, nothing
// written).
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

namespace {

namespace fs = std::filesystem;

// The report's interpreter is pointed at a missing file: the fallback page is quick.
const char* kNoPython = "NNWORLD_PYTHON=/nonexistent/python3";

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class EnsembleCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    // The pid keeps concurrent runs of the suite (release and asan builds) apart.
    const std::string tag = std::string(info->name()) + "_" + std::to_string(getpid());
    dir_ = fs::temp_directory_path() / ("nnworld_cli_ensemble_" + tag);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    io_ = fs::temp_directory_path() / ("nnworld_cli_ensemble_io_" + tag);
    fs::remove_all(io_);
    fs::create_directories(io_);
  }
  void TearDown() override {
    fs::remove_all(dir_);
    fs::remove_all(io_);
  }

  // Runs `nnworld ARGS` in the test directory with the environment assignments `env`.
  CliResult run(const std::string& args, const std::string& env = kNoPython) const {
    const std::string cmd = "cd '" + dir_.string() + "' && env " + env + " '" NNWORLD_BINARY "' " +
                            args + " >'" + (io_ / "out").string() + "' 2>'" +
                            (io_ / "err").string() + "'";
    const int status = std::system(cmd.c_str());
    CliResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(io_ / "out");
    r.err = slurp(io_ / "err");
    return r;
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name) << text;
  }
  nlohmann::json summary(const std::string& run_dir) const {
    std::ifstream in(dir_ / run_dir / "summary.json");
    return nlohmann::json::parse(in);
  }

  // A bad-input run: exit 2, exactly one stderr line matching `pattern`, nothing created.
  void expect_bad_input(const std::string& args, const std::string& pattern) const {
    const CliResult r = run(args + " --out result");
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_TRUE(std::regex_match(r.err, std::regex(pattern + "\n")))
        << "stderr: " << r.err << "pattern: " << pattern;
    EXPECT_FALSE(fs::exists(dir_ / "result")) << args;
    EXPECT_FALSE(fs::exists(dir_ / "result.partial")) << args;
    EXPECT_EQ(r.out, "");
  }

 private:
  fs::path dir_;
  fs::path io_;
};

const std::string kBase =
    "experiment = \"fokker_planck\"\n"
    "[trainable]\n"
    "free_energy = \"-q1^2\"\n"
    "[grid]\n"
    "points = [64]\n"
    "extent = 4.0\n"
    "[time]\n"
    "step = 1e-3\n"
    "end = 0.02\n"
    "record_every = 10\n";

TEST_F(EnsembleCli, NegativeReplicas) {
  write("cfg.toml", kBase + "[ensemble]\nreplicas = -5\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:12:12: key 'ensemble\.replicas': value -5 out of range \(expected .*\))");
}

TEST_F(EnsembleCli, TimeStepNotAMultiple) {
  write("cfg.toml", kBase + "[ensemble]\nreplicas = 100\ntime_step = 2.5e-3\n");
  expect_bad_input("run cfg.toml",
                   R"(error: cfg\.toml:13:13: key 'ensemble\.time_step': step 0\.0025 .*)");
}

TEST_F(EnsembleCli, NetworkDirectionOfTheWrongShape) {
  write("cfg.toml",
        "experiment = \"fokker_planck\"\n"
        "[trainable]\n"
        "free_energy_source = \"network\"\n"
        "[network]\n"
        "n = 2\n"
        "weights = [[0.0, 0.0], [0.0, 0.0]]\n"
        "[ensemble.directions]\n"
        "weights = [[0.0, 0.5, 0.0], [0.5, 0.0, 0.0]]\n"
        "[grid]\n"
        "points = [32]\n"
        "extent = 1.5\n"
        "boundary = \"box\"\n"
        "[fokker_planck]\n"
        "scheme = \"finite_volume\"\n");
  expect_bad_input("run cfg.toml",
                   R"(error: cfg\.toml:8:\d+: key 'ensemble\.directions\.weights.*)");
}

TEST_F(EnsembleCli, FollowUpWithoutANetwork) {
  write("cfg.toml", kBase + "[follow_up]\nenabled = true\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:12:11: key 'follow_up\.enabled': SGD replicas need a network .*)");
}

TEST_F(EnsembleCli, InterferenceOutsideTheQuantumRegime) {
  // γ/μ = 3 > 4D = 1: ħ′² = 4D/(γμ) − 1/μ² < 0, no fringe wavenumber.
  write("cfg.toml",
        "experiment = \"quantum\"\n"
        "[trainable]\n"
        "diffusion = 0.25\n"
        "gamma = 3.0\n"
        "mu_lagrange = 1.0\n"
        "[ensemble]\n"
        "replicas = 1000\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:7:12: key 'ensemble\.replicas': ħ′² = .* ≤ 0: no fringe wavenumber .*)");
}

}  // namespace
