// The nnworld binary on the "strings" experiment: the shipped configs run with every oracle
// passing, and bad input (cycles not summing to n, α ≤ 0, D < 1, centre/width lists of the wrong
// length) exits 2 with the key's FILE:LINE:COL and leaves no output.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <nlohmann/json.hpp>
#include <string>

#include "cli_fixture.hpp"

namespace {

using namespace nnworld::cli_test;  // NOLINT(google-build-using-namespace)

class StringsCli : public CliFixture {
 protected:
  [[nodiscard]] std::vector<hsize_t> dims(const std::string& path) const {
    const hid_t f = H5Fopen((dir() / "s" / "data.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return {};
    const hid_t d = H5Dopen2(f, path.c_str(), H5P_DEFAULT);
    std::vector<hsize_t> out;
    if (d >= 0) {
      const hid_t sp = H5Dget_space(d);
      out.resize(static_cast<std::size_t>(H5Sget_simple_extent_ndims(sp)));
      H5Sget_simple_extent_dims(sp, out.data(), nullptr);
      H5Sclose(sp);
      H5Dclose(d);
    }
    H5Fclose(f);
    return out;
  }
};

TEST_F(StringsCli, ShippedDiscreteConfigPassesEveryOracle) {
  const auto s = run_ok(NNWORLD_SOURCE_DIR "/experiments/strings.toml");
  EXPECT_EQ(s["status"], "ok");
  EXPECT_EQ(s["experiment"], "strings");
  EXPECT_EQ(count(s, "oracle", false), 0) << s["checks"].dump(1);
  EXPECT_GE(count(s, "oracle", true), 20);
  const auto& o = s["observables"];
  EXPECT_EQ(o["dalembert_error"].get<double>(), 0.0);
  EXPECT_LE(o["wave_residual"].get<double>(), 1e-14);
  EXPECT_LE(o["dispersion_error"].get<double>(), 1e-10);
  EXPECT_EQ(o["linearisation_drift"].get<double>(), 0.0);
  EXPECT_EQ(o["constraint_violation"]["right"].get<double>(), 0.0);
  EXPECT_EQ(o["string_energy"]["mu0"].size(), 256u);
  // Claims as measured: the paper's (78) sign blows up. (55) applied to the {π, πᵀ} average
  // (not a statement of the paper, which has (75) per chirality) is an observable: non-zero
  // once the left-mover of one bump crosses the right-mover of the other.
  const auto* paper = check(s, "paper (78) sign ∂²_τx = +α²Ĝx gives a wave");
  ASSERT_NE(paper, nullptr);
  EXPECT_FALSE((*paper)["passed"].get<bool>());
  EXPECT_GT(o["constraint_violation"]["max_relative"].get<double>(), 0.1);
  EXPECT_NEAR(o["sign_control"]["growth_rate"].get<double>(), 32.0, 1.0);
  // World sheets: (steps + 1) × L images for μ = 0, 1, 2; the light cone (T + 1)².
  for (const char* mu : {"worldsheet/mu0", "worldsheet/mu1", "worldsheet/mu2"}) {
    EXPECT_EQ(dims(mu), (std::vector<hsize_t>{257, 256})) << mu;
  }
  EXPECT_EQ(dims("lightcone/mu0"), (std::vector<hsize_t>{257, 257}));
  EXPECT_EQ(dims("constraint/histogram"), (std::vector<hsize_t>{50}));
  EXPECT_EQ(dims("dispersion/omega_measured"), (std::vector<hsize_t>{129}));
}

TEST_F(StringsCli, ShippedContinuousConfigPassesEveryOracle) {
  const auto s = run_ok(NNWORLD_SOURCE_DIR "/experiments/strings_continuous.toml");
  EXPECT_EQ(count(s, "oracle", false), 0) << s["checks"].dump(1);
  const auto& o = s["observables"];
  EXPECT_LE(o["damped_wave_residual"]["corrected"].get<double>(), 1e-12);
  EXPECT_GT(o["damped_wave_residual"]["paper_sign"].get<double>(), 1.0);
  EXPECT_LE(o["rk4_vs_exact"].get<double>(), 1e-7);
}

TEST_F(StringsCli, TanhRandomPermutationRuns) {
  // Claims may fail (nonlinear f), oracles must not.
  const auto s = run_ok(NNWORLD_SOURCE_DIR
                        "/experiments/strings.toml --set strings.activation=tanh --set "
                        "strings.permutation=random --set strings.steps=64 --set "
                        "initial.amplitude=0.1");
  EXPECT_EQ(count(s, "oracle", false), 0) << s["checks"].dump(1);
  EXPECT_GT(s["observables"]["linearisation_drift"].get<double>(), 0.0);
}

// ---- bad input ---------------------------------------------------------------------------

TEST_F(StringsCli, CyclesMustSumToN) {
  write("cfg.toml", "experiment = \"strings\"\n[strings]\nn = 64\ncycles = [30, 30]\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:4:10: key 'strings\.cycles': the cycle lengths sum to 60, not strings\.n = 64 \(expected lengths summing to strings\.n = 64\))");
}

TEST_F(StringsCli, AlphaMustBePositive) {
  write("cfg.toml", "experiment = \"strings\"\n[strings]\nalpha = 0.0\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:3:9: key 'strings\.alpha': value 0 out of range \(expected > 0\))");
  write("cfg.toml", "experiment = \"strings\"\n");
  expect_bad_input("run cfg.toml --set strings.alpha=-2",
                   R"(error: --set strings\.alpha: value -2 out of range \(expected > 0\))");
}

TEST_F(StringsCli, AtLeastOneSubsystem) {
  write("cfg.toml", "experiment = \"strings\"\n[strings]\nn_subsystems = 0\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:3:16: key 'strings\.n_subsystems': value 0 out of range \(expected in \[1, 64\]\))");
}

TEST_F(StringsCli, OneCentreAndWidthPerSubsystem) {
  write("cfg.toml",
        "experiment = \"strings\"\n[strings]\nn_subsystems = 2\n[initial]\n"
        "centers = [1.0, 2.0, 3.0]\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:5:11: key 'initial\.centers': expected 2 numbers, got 3 elements.*)");
  write("cfg.toml",
        "experiment = \"strings\"\n[strings]\nn_subsystems = 3\n[initial]\n"
        "widths = [0.5, 0.5]\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:5:10: key 'initial\.widths': expected 3 numbers, got 2 elements.*)");
}

}  // namespace
