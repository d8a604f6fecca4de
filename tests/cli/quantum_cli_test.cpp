// The nnworld binary on the "quantum" experiment: bad input (exit 2, one located error line,
// nothing written) and small successful runs of the shipped config and of the Euclidean bridge.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli_fixture.hpp"

namespace {

using namespace nnworld::cli_test;  // NOLINT(google-build-using-namespace)

class QuantumCli : public CliFixture {};

// ---- bad input: exit 2, `error: FILE:LINE:COL: key '…': …`, no output ----------------------

TEST_F(QuantumCli, GammaMuNotPositive) {
  // No Schrödinger equation without γμ > 0 (ħ² = 4D/(γμ)): located at μ when μ ≤ 0 is given,
  // else at γ.
  write("cfg.toml", "experiment = \"quantum\"\n[trainable]\ngamma = 0.5\nmu_lagrange = -2.0\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:4:15: key 'trainable\.mu_lagrange': γμ = -1: ħ² = 4D/\(γμ\) is not positive, there is no Schrödinger equation \(expected γμ > 0 \(spec §4 existence condition\)\))");
  write("cfg.toml", "experiment = \"quantum\"\n[trainable]\ngamma = -0.5\nmu_lagrange = 2.0\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:3:9: key 'trainable\.gamma': γμ = -1: ħ² = 4D/\(γμ\) is not positive, there is no Schrödinger equation \(expected γμ > 0 \(spec §4 existence condition\)\))");
  // --set is located too.
  write("cfg.toml", "experiment = \"quantum\"\n");
  expect_bad_input("run cfg.toml --set trainable.mu_lagrange=0",
                   R"(error: --set trainable\.mu_lagrange: γμ = 0: .*)");
}

TEST_F(QuantumCli, PotentialDoesNotParse) {
  // The expression and the position from core::ExpressionError::describe().
  write("cfg.toml", "experiment = \"quantum\"\n[trainable]\npotential = \"q1 + * 2\"\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:3:13: key 'trainable\.potential': Unexpected operator "\*" found at position 5 in "q1 \+ \* 2" \(expected a muParser formula in q1\))");
  // A variable beyond K = 1.
  write("cfg.toml", "experiment = \"quantum\"\n[trainable]\npotential = \"q1^2 + q2\"\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:3:13: key 'trainable\.potential': Unexpected token "q2" found at position 7 in "q1\^2 \+ q2" \(expected a muParser formula in q1\))");
  // Parses, but is not finite on the grid.
  write("cfg.toml", "experiment = \"quantum\"\n[trainable]\npotential = \"log(q1)\"\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:3:13: key 'trainable\.potential': V is not finite at q = \(-16, 0, 0\) \(expected a potential finite on the whole grid\))");
}

TEST_F(QuantumCli, WidthNotPositive) {
  write("cfg.toml", "experiment = \"quantum\"\n[initial]\nwidth = 0.0\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:3:9: key 'initial\.width': value 0 out of range \(expected > 0\))");
  write("cfg.toml",
        "experiment = \"quantum\"\n[initial]\ncentre = [0.0, 1.0]\nwidth = [1.0, -0.5]\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:4:15: key 'initial\.width': value -0\.5 out of range \(expected > 0\))");
}

TEST_F(QuantumCli, UnitarySolverRefusedOutsideTheQuantumRegime) {
  // With the boxed terms, γ/μ = 1.5 > 4D = 1 is Euclidean: ħ′² < 0.
  write("cfg.toml",
        "experiment = \"quantum\"\n[trainable]\ngamma = 3.0\nmu_lagrange = 2.0\n[quantum]\n"
        "boxed = true\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:6:9: key 'quantum\.boxed': with the boxed terms the system is euclidean for γ/μ = 1\.5, 4D = 1 \(ħ′² = -0\.0833333\): the unitary solver is refused \(expected 0 < γ/μ < 4D, or quantum\.mode = "bridge" \(two-point problem\)\))");
  // The bridge, conversely, only exists in the Euclidean regime.
  write("cfg.toml", "experiment = \"quantum\"\n[quantum]\nboxed = true\nmode = \"bridge\"\n");
  expect_bad_input("run cfg.toml",
                   R"(error: cfg\.toml:4:8: key 'quantum\.mode': the full system is quantum .*)");
  // The printed form has no boxed variant.
  write("cfg.toml", "experiment = \"quantum\"\n[quantum]\nform = \"paper\"\nboxed = true\n");
  expect_bad_input("run cfg.toml", R"(error: cfg\.toml:4:9: key 'quantum\.boxed': .*)");
}

TEST_F(QuantumCli, DeclaredClosedFormMustMatchThePotential) {
  write("cfg.toml",
        "experiment = \"quantum\"\n[trainable]\npotential = \"0.4*q1^2\"\n[checks]\n"
        "closed_form = \"harmonic\"\nharmonic_omega = 1.0\n");
  expect_bad_input(
      "run cfg.toml",
      R"(error: cfg\.toml:3:13: key 'trainable\.potential': checks\.closed_form = "harmonic" declares V = ω²\|q\|²/\(4γ\) with ω = 1, but V = .*)");
}

// ---- runs ----------------------------------------------------------------------------------

TEST_F(QuantumCli, ShippedConfigPassesItsChecks) {
  const CliResult r =
      run("run " NNWORLD_SOURCE_DIR "/experiments/quantum.toml --strict --quiet --out q");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto s = summary("q");
  EXPECT_EQ(s["status"], "ok");
  EXPECT_EQ(s["experiment"], "quantum");
  const auto& o = s["observables"];
  EXPECT_DOUBLE_EQ(o["hbar"].get<double>(), 1.0);
  EXPECT_NEAR(o["hbar_prime"].get<double>(), std::sqrt(0.75), 1e-15);
  EXPECT_EQ(o["regime"], "quantum");
  ASSERT_EQ(o["time"].size(), 101u);
  for (const char* key : {"mean", "variance", "energy", "norm", "entropy"}) {
    EXPECT_EQ(o[key].size(), 101u) << key;
  }
  EXPECT_EQ(o["entropy_production"]["formula"].size(), 101u);
  EXPECT_EQ(o["entropy_production"]["numeric"].size(), 101u);
  int oracles = 0;
  for (const auto& c : s["checks"]) {
    EXPECT_TRUE(c["passed"].get<bool>()) << c.dump();
    oracles += c["kind"] == "oracle";
  }
  EXPECT_GE(oracles, 6);
  // |Ψ|²(t, q) as a frames × points image.
  const hid_t f = H5Fopen((dir() / "q" / "data.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hid_t d = H5Dopen2(f, "psi/density", H5P_DEFAULT);
  ASSERT_GE(d, 0);
  const hid_t space = H5Dget_space(d);
  hsize_t dims[2] = {0, 0};
  ASSERT_EQ(H5Sget_simple_extent_ndims(space), 2);
  H5Sget_simple_extent_dims(space, dims, nullptr);
  EXPECT_EQ(dims[0], 101u);
  EXPECT_EQ(dims[1], 256u);
  H5Sclose(space);
  H5Dclose(d);
  H5Fclose(f);
}

TEST_F(QuantumCli, EuclideanBridgeRun) {
  // γ/μ = 0.8 > 4D = 0.4 with V = 0: the Cole–Hopf two-point problem against the heat kernels.
  write(
      "cfg.toml",
      "experiment = \"quantum\"\n[trainable]\ndiffusion = 0.1\ngamma = 0.8\nmu_lagrange = 1.0\n"
      "potential = \"0\"\n[quantum]\nboxed = true\nmode = \"bridge\"\n[initial]\ncentre = [-2.0]\n"
      "[bridge]\ncentre = 3.0\nwidth = 1.4\n[time]\nstep = 0.01\nend = 1.5\nframes = 30\n"
      "[checks]\nclosed_form = \"free\"\n");
  const CliResult r = run("run cfg.toml --strict --quiet --out b");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto s = summary("b");
  EXPECT_EQ(s["observables"]["regime"], "euclidean");
  EXPECT_TRUE(s["observables"]["hbar_prime"].is_null());  // ħ′² < 0
  EXPECT_GT(s["observables"]["kappa"].get<double>(), 0.0);
  ASSERT_GE(s["checks"].size(), 5u);
  for (const auto& c : s["checks"]) EXPECT_TRUE(c["passed"].get<bool>()) << c.dump();
}

}  // namespace
