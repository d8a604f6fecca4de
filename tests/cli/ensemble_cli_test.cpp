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

#include "cli_fixture.hpp"

namespace {

using namespace nnworld::cli_test;  // NOLINT(google-build-using-namespace)

class EnsembleCli : public CliFixture {};

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
